#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xenstored restarts: the daemon reconnects with back-off, re-arms its
# watches, reconciles, and restarts no healthy stub.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy </dev/null
stubdmd_start
for g in x1 x2; do hvsimctl create-hvm "$g" >/dev/null; done
for g in x1 x2; do wait_gstate "$g" running; done
before=$(stub_of x1),$(stub_of x2)
hvsimctl restart-xenstored 700 >/dev/null
wait_until 10 grep -q 'reconnected to xenstored' "$T/stubdmd.log" || fail "no reconnect"
check "lost connection noticed" grep -q 'lost the connection to xenstored' "$T/stubdmd.log"
hvsimctl create-hvm x3 >/dev/null
wait_gstate x3 running
check "watches re-armed: a new guest gets its stub" test "$(live_stubs x3)" = 1
check "healthy stubs not restarted" test "$(stub_of x1),$(stub_of x2)" = "$before"
check "no duplicate stubs" test "$(all_live_stubs)" = 3
# Two in a row, with a guest arriving while xenstored is down.
hvsimctl restart-xenstored 500 >/dev/null
hvsimctl create-hvm x4 >/dev/null
wait_gstate x4 running 15
check "guest that arrived during the outage is found" test "$(live_stubs x4)" = 1
check "still no duplicates" test "$(all_live_stubs)" = 4
done_testing
