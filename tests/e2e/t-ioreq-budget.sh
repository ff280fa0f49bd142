#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every started stub may leave an ioreq server behind; a guest has 8.  The
# daemon never starts a ninth, whatever max_restarts says.
. "$TOP/tests/lib.sh"
hvsim_start --boot-delay 20
write_policy <<'P'
max_restarts = 50
backoff_initial = 20ms
backoff_max = 40ms
unpause_guest = no
P
stubdmd_start
# Each stub becomes ready (registers its server), then crashes.
hvsimctl fault 'slots*' crash-after 100 >/dev/null
g=$(hvsimctl create-hvm slots1)
wait_gstate slots1 failed 30
check "gave up for want of ioreq slots" grep -q 'no ioreq-server slot left' "$T/stubdmd.log"
check "8 stubs started, no more" test "$(gfield slots1 starts)" = 8
check "hvsim: 8 ioreq servers in the guest" test "$(dom_kv $g ioreq)" = 8
check "no live stub" test "$(live_stubs slots1)" = 0
done_testing
