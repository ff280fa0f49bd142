#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A stub that dies after its guest has run is never silently replaced:
# each on_dm_death action, and no rebuild.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
[guest "crash*"]
on_dm_death = crash-guest
[guest "destroy*"]
on_dm_death = destroy-guest
[guest "pause*"]
on_dm_death = pause-guest
[guest "leave*"]
on_dm_death = leave
P
stubdmd_start
for g in crash1 destroy1 pause1 leave1; do hvsimctl create-hvm "$g" >/dev/null; done
for g in crash1 destroy1 pause1 leave1; do wait_gstate "$g" running; done
for g in crash1 destroy1 pause1 leave1; do hvsimctl crash "$(stub_of $g)" >/dev/null; done
wait_gstate crash1 failed
wait_until 10 'test -z "$(domid_of destroy1)"' || fail "destroy1 survived"
wait_gstate pause1 failed
wait_gstate leave1 failed
check "crash-guest: guest shut down with reason crash" test "$(dom_state "$(domid_of crash1)")" = shutdown:crash
check "destroy-guest: guest destroyed" test -z "$(domid_of destroy1)"
check "pause-guest: guest paused" test "$(dom_state "$(domid_of pause1)")" = paused
check "leave: guest left running" test "$(dom_state "$(domid_of leave1)")" = running
sleep 1.2
check "no stub rebuilt for any of them" test "$(all_live_stubs)" = 0
check "no restart counted" test "$(gfield leave1 restarts)" = 0
check "logged as a device model death" grep -q 'device model died after the guest had run' "$T/stubdmd.log"
done_testing
