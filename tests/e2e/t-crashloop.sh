#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A stub that crashes on every start: back-off, at most max_restarts in the
# window, then FAILED and each on_giveup action.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
max_restarts = 2
[guest "leave*"]
on_giveup = leave
[guest "pause*"]
on_giveup = pause-guest
[guest "destroy*"]
on_giveup = destroy-guest
P
stubdmd_start
hvsimctl fault '*' crash-after 50 >/dev/null
for g in leave1 pause1 destroy1; do hvsimctl create-hvm "$g" >/dev/null; done
wait_gstate leave1 failed 15
wait_gstate pause1 failed 15
wait_until 15 'test -z "$(domid_of destroy1)"' || fail "destroy1 not destroyed"
check "leave: guest left as it was" test "$(dom_state "$(domid_of leave1)")" = paused
check "leave: 2 restarts, then gave up" test "$(gfield leave1 restarts)" = 2
check "leave: no live stub" test "$(live_stubs leave1)" = 0
check "pause-guest: guest paused" test "$(dom_state "$(domid_of pause1)")" = paused
check "destroy-guest: guest destroyed" test -z "$(domid_of destroy1)"
check "gave-up logged with the reason" grep -q 'gave up: max_restarts = 2 reached; on_giveup = leave' "$T/stubdmd.log"
check "no stub domain left anywhere" test "$(all_live_stubs)" = 0
done_testing
