#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Domain controls (pause, unpause, shutdown, destroy) are made off the
# event loop (hv.h; stubdmd/lister.c's queue): while the simulated host
# takes 3 s over each, the daemon answers its clients, a guest's unpause
# is heard of later, a guest that goes while its stub's unpause is still
# queued leaves no stub behind, and a daemon stopped with controls queued
# makes them, exits cleanly, and its successor neither duplicates nor
# orphans a stub.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
start_timeout = 20s
P
stubdmd_start
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
unpaused() { grep -c "guest \"$1\".*guest unpaused" "$T/stubdmd.log"; }

hvsimctl control-fault 3000 || fail "control-fault"
hvsimctl create-hvm web1 >/dev/null || fail "create-hvm web1"
wait_until 10 'test -n "$(stub_of web1)"' || fail "web1 got no stub"
# The stub's unpause answers in 3 s, the guest's 3 s after it.
sleep 0.5
t0=$(date +%s%N)
ctl list >"$T/list" 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
n=$(unpaused web1)
note "stubdmctl list answered in $ms ms while the unpauses were queued"
check "the daemon answers while its controls are under way" grep -q '^web1 ' "$T/list"
check "... before the guest's unpause was answered" test "$n" = 0
wait_until 15 'test "$(unpaused web1)" = 1' || fail "web1's unpause never answered"
check "the guest's unpause is heard of later, once" test "$(unpaused web1)" = 1
check "... and the guest runs" test "$(dom_state "$(domid_of web1)")" = running
check "web1 is running, with one stub" test "$(gstate web1)/$(live_stubs web1)" = running/1

# A guest that goes while its stub's unpause is still queued: the stub's
# destroy is made after that unpause, and nothing brings the stub back.
hvsimctl create-hvm web2 >/dev/null || fail "create-hvm web2"
wait_until 10 'test -n "$(stub_of web2)"' || fail "web2 got no stub"
hvsimctl destroy web2 >/dev/null || fail "destroy web2"
wait_until 20 'test "$(live_stubs web2)" = 0' || fail "web2's stub stayed"
sleep 4		# every control queued by then answered
check "a guest gone with its stub's unpause queued leaves no stub" test "$(live_stubs web2)" = 0
check "... and no warning about it" bash -c "! grep -q 'warning.*web2.*unpausing' '$T/stubdmd.log'"

# Stopped with controls queued: they are made before the daemon ends.
# The guest's unpause waits behind its stub's (3 s) when the daemon is
# told to stop; a lost one would leave the guest paused for good (the
# record says it has run: the next daemon does not unpause it again).
hvsimctl create-hvm web3 >/dev/null || fail "create-hvm web3"
wait_gstate web3 running 10
s3=$(stub_of web3)
g3=$(domid_of web3)
check "the guest's unpause is still queued at the stop" test "$(unpaused web3)/$(dom_state "$g3")" = 0/paused
stubdmd_stop
check "... and was made before the daemon ended" test "$(dom_state "$g3")" = running
hvsimctl control-fault 0 || fail "control-fault 0"
stubdmd_start
wait_gstate web3 running 20
sleep 1.5	# two reconciles
check "the next daemon keeps web3's stub: no duplicate" test "$(live_stubs web3)/$(stub_of web3)" = "1/$s3"
check "no orphan stub of any guest" test "$(all_live_stubs)" = 2
check "web1 kept its stub through the restart" test "$(live_stubs web1)" = 1
stubdmd_stop
done_testing
