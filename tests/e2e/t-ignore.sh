#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# PVH and PV domains, stubdom = no, and guests whose device model another
# toolstack provides never get a stub domain.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
[guest "nostub*"]
stubdom = no
P
stubdmd_start
hvsimctl create-pvh pvh1 >/dev/null
hvsimctl create-pv pv1 >/dev/null
hvsimctl create-hvm nostub1 >/dev/null
# A guest libxl created: libxl writes /libxl/<domid> before it introduces
# the domain.  The daemon is held still meanwhile to keep that order.
kill -STOP "$STUBDMD_PID"
id=$(hvsimctl create-hvm --running libxl1)
xenstore-write /libxl/$id/type hvm
kill -CONT "$STUBDMD_PID"
hvsimctl create-hvm web1 >/dev/null
wait_gstate web1 running
sleep 1.2
check "PVH guest: no stub" test "$(live_stubs pvh1)" = 0
check "PV guest: no stub" test "$(live_stubs pv1)" = 0
check "stubdom = no: no stub" test "$(live_stubs nostub1)" = 0
check "stubdom = no: recorded as ignored" is_gstate nostub1 ignored
check "exactly one stub on the host" test "$(all_live_stubs)" = 1
check "libxl's guest: no stub" test "$(live_stubs libxl1)" = 0
check "libxl's guest: reported as libxl's" grep -q 'libxl1.*created by libxl' "$T/stubdmd.log"
check "stubdom = no guest stays paused" test "$(dom_state "$(domid_of nostub1)")" = paused
done_testing
