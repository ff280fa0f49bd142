#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The domain listing is made off the event loop (stubdmd/lister.c): while
# the simulated host takes 3 s over each listing, the daemon answers its
# clients; a listing that the operator's restart of a stub overtook is
# taken again, so the new stub is not mourned as gone; a failed listing
# is retried.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy </dev/null
stubdmd_start
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }

hvsimctl create-hvm web1 >/dev/null || fail "create-hvm web1"
wait_gstate web1 running
s1=$(stub_of web1)

hvsimctl list-fault 3000 || fail "list-fault"
hvsimctl create-hvm web2 >/dev/null || fail "create-hvm web2"
sleep 0.5	# the watch fired: a listing is under way, 3 s long
t0=$(date +%s%N)
ctl list >"$T/list" 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
note "stubdmctl list answered in $ms ms during a 3 s listing"
check "the daemon answers while a listing is under way" grep -q '^web1 ' "$T/list"
check "... before that listing is in (web2 not known yet)" bash -c "! grep -q '^web2 ' '$T/list'"
wait_gstate web2 running 30
check "web2 got one stub" test "$(live_stubs web2)" = 1
check "... and no restart" test "$(gfield web2 restarts)" = 0
check "web1 kept its stub" test "$(stub_of web1)" = "$s1"

# The operator replaces web1's stub while a listing (snapshot: the old
# stub) is under way: believed, it would say the new stub is gone and
# web1, which has run, would be crashed (on_dm_death).
sleep 0.2
ctl restart web1 >/dev/null 2>&1 || fail "restart web1"
wait_until 10 'test -n "$(stub_of web1)" && test "$(stub_of web1)" != "$s1"' ||
	fail "web1 got no new stub"
s1=$(stub_of web1)
wait_gstate web1 running 30
sleep 7		# two more 3 s listings in, each begun after the restart
check "a listing the restart overtook did not mourn the new stub" \
	test "$(gstate web1)/$(stub_of web1)/$(dom_state "$(domid_of web1)")" = "running/$s1/running"
check "... nor crashed web1" bash -c "! grep -q 'web1.*disappeared' '$T/stubdmd.log'"

hvsimctl list-fault 0 fail || fail "list-fault fail"
hvsimctl create-hvm web3 >/dev/null || fail "create-hvm web3"
wait_until 10 grep -q 'listing domains: .*will retry' "$T/stubdmd.log"
check "a failed listing is logged and retried" grep -q 'listing domains: .*will retry' "$T/stubdmd.log"
check "the daemon answers on" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' list | grep -q '^web1 '"
check "web1 still has its stub" test "$(stub_of web1)" = "$s1"
hvsimctl list-fault 0 || fail "list-fault 0"
wait_gstate web3 running 10
check "once listings work again, web3 is found and served" test "$(live_stubs web3)" = 1
stubdmd_stop
done_testing
