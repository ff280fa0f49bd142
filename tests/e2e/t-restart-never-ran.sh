#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A stub that dies before its guest has ever run is rebuilt after back-off;
# the dead stub lingers as a dying domain (Xen keeps its ioreq server).
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
unpause_guest = no
P
stubdmd_start
g=$(hvsimctl create-hvm build1)
wait_gstate build1 running
s1=$(stub_of build1)
check "guest still paused (unpause_guest = no)" test "$(dom_state $g)" = paused
hvsimctl crash "$s1"
wait_until 10 'test "$(gfield build1 restarts)" = 1' || fail "no restart"
wait_gstate build1 running
s2=$(stub_of build1)
check "a new stub domain" test -n "$s2" -a "$s2" != "$s1"
check "exactly one live stub" test "$(live_stubs build1)" = 1
check "the old stub lingers as dying" test "$(dom_state $s1)" = dying
check "two ioreq servers registered in the guest" test "$(dom_kv $g ioreq)" = 2
check "exit reason recorded" test "$(gfield build1 exit)" = crashed
check "the dying stub is tracked" test "$(gfield build1 dying)" = "$s1"
check "back-off logged" grep -q 'restarting in' "$T/stubdmd.log"
sleep 1.2
check "the dying stub is not destroyed again and again" test "$(grep -c "destroying stub domain $s1" "$T/stubdmd.log")" -le 1
hvsimctl destroy build1 >/dev/null
wait_until 10 'test "$(hvsimctl list | wc -l)" = 1' || fail "leftovers: $(hvsimctl list)"
check "guest destroyed: no stub and no dying stub left" test "$(hvsimctl list | wc -l)" = 1
done_testing
