#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A device model that never reports ready: start_timeout, the stub is
# destroyed, and a new one is built (the guest has never run).
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
start_timeout = 500ms
P
stubdmd_start
hvsimctl fault 'slow*' never-ready count=1 >/dev/null
g=$(hvsimctl create-hvm slow1)
wait_until 5 'test -n "$(stub_of slow1)"'
s1=$(stub_of slow1)
wait_gstate slow1 running 10
check "rebuilt after the timeout" test "$(stub_of slow1)" != "$s1"
check "exit reason never-ready" test "$(gfield slow1 exit)" = never-ready
check "the old stub is not alive" test "$(dom_state $s1)" != running
check "exactly one live stub" test "$(live_stubs slow1)" = 1
check "guest unpaused in the end" test "$(dom_state $g)" = running
done_testing
