#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# kill -9 the daemon and start it again: every stub is adopted with its
# counters, none duplicated, none orphaned; a guest that died while the
# daemon was down loses its stub at start-up.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
[guest "paused*"]
unpause_guest = no
P
stubdmd_start
for g in r1 r2 r3 paused1; do hvsimctl create-hvm "$g" >/dev/null; done
for g in r1 r2 r3 paused1; do wait_gstate "$g" running; done
hvsimctl crash "$(stub_of paused1)" >/dev/null
wait_until 10 'test "$(gfield paused1 restarts)" = 1'
wait_gstate paused1 running
before=$(hvsimctl list | awk '$2 ~ /-dm$/ { print $1, $2 }' | sort)
stubdmd_kill9
hvsimctl destroy r3 >/dev/null	# its stub is now an orphan
stubdmd_start
wait_until 10 'test "$(live_stubs r3)" = 0'
check "orphaned stub destroyed at start-up" test "$(live_stubs r3)" = 0
after=$(hvsimctl list | awk '$2 ~ /-dm$/ { print $1, $2 }' | sort)
check "the other stubs are the same domains" test "$after" = "$(echo "$before" | grep -v r3-dm)"
check "adopted, not rebuilt" test "$(grep -c 'building stub domain' "$T/stubdmd.log")" = 5
check "counters survive the restart" test "$(gfield paused1 restarts)" = 1
check "states survive" test "$(gstate r1)/$(gstate paused1)" = running/running
check "adoption logged" grep -q 'guest "r1".*adopted: running' "$T/stubdmd.log"
check "exactly one stub per live guest" test "$(all_live_stubs)" = 3
# The adopted daemon still supervises: a crash before the guest ran rebuilds.
hvsimctl crash "$(stub_of paused1)" >/dev/null
wait_until 10 'test "$(gfield paused1 restarts)" = 2'
wait_gstate paused1 running
check "adopted guest rebuilt after its stub crashed" test "$(live_stubs paused1)" = 1
# kill -9 in the middle of a burst of new guests: still no duplicates.
for i in $(seq 20); do hvsimctl create-hvm "burst$i" >/dev/null; done
stubdmd_kill9
stubdmd_start
for i in $(seq 20); do wait_gstate "burst$i" running; done
dups=$(hvsimctl list | awk '$2 ~ /-dm$/ && $4 != "dying" { print $2 }' | sort | uniq -d)
check "no guest has two stubs after a mid-burst kill -9" test -z "$dups"
check "one stub per live guest" test "$(all_live_stubs)" = 23
done_testing
