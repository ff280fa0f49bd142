#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# 200 guests created at once: all reach running with exactly 200 stubs.
. "$TOP/tests/lib.sh"
hvsim_start --boot-delay 100
write_policy <<'P'
start_timeout = 60s
P
stubdmd_start
# 20 toolstack calls at a time (a bare wait would wait for the daemons too).
for i in $(seq 200); do
	hvsimctl create-hvm "g$i" >/dev/null &
	jobs_=("${jobs_[@]}" $!)
	if [ $((i % 20)) = 0 ]; then wait "${jobs_[@]}"; jobs_=(); fi
done
all_running() { [ "$(hvsimctl list | awk '$2 ~ /^g[0-9]+$/ && $4 == "running"' | wc -l)" = 200 ]; }
wait_until 60 all_running || fail "not all guests running: $(hvsimctl list | awk '$2 ~ /^g[0-9]+$/ { print $4 }' | sort | uniq -c)"
wait_until 10 'test "$(all_live_stubs)" = 200'
check "200 guests running" all_running
check "exactly 200 stub domains" test "$(all_live_stubs)" = 200
dups=$(hvsimctl list | awk '$2 ~ /-dm$/ { print $2 }' | sort | uniq -d)
check "none duplicated" test -z "$dups"
check "no failures" test "$(grep -c 'restarting in\|gave up' "$T/stubdmd.log")" = 0
done_testing
