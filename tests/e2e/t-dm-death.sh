#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A stub that dies after its guest has run is never silently replaced:
# each on_dm_death action, and no rebuild.  A guest that shuts down ends
# its device model (QEMU exits with it): no failure, no action.
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

# The guest powers off; then its stub's QEMU exits and the stub powers off.
hvsimctl create-hvm pause2 >/dev/null
wait_gstate pause2 running
s2=$(stub_of pause2)
hvsimctl shutdown pause2 poweroff >/dev/null
hvsimctl shutdown "$s2" poweroff >/dev/null
wait_gstate pause2 stopped
check "a guest that shut down: its stub's end is no device model death" \
	bash -c "! grep -q 'guest \"pause2\".*device model died' '$T/stubdmd.log'"
check "... on_dm_death not applied (the guest is not paused)" \
	test "$(dom_state "$(domid_of pause2)")" = shutdown:poweroff
check "... the reason says the guest shut down" \
	grep -q 'guest "pause2".*the guest shut down (poweroff); its device model ended with it' "$T/stubdmd.log"
wait_until 10 'test "$(live_stubs pause2)" = 0' || fail "pause2's stub left"
check "... its stub is destroyed, none rebuilt" test "$(gfield pause2 restarts)" = 0
hvsimctl destroy pause2 >/dev/null
wait_until 10 'test -z "$(gstate pause2)"' || fail "pause2 not forgotten"
check "... and the guest forgotten when its toolstack destroys it" test -z "$(gstate pause2)"
done_testing
