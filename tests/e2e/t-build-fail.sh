#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A failed build is a failure like any other: back-off, then success.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy </dev/null
stubdmd_start
hvsimctl fault 'bf*' build-fail count=2 >/dev/null
hvsimctl create-hvm bf1 >/dev/null
wait_gstate bf1 running 10
check "two restarts after two build failures" test "$(gfield bf1 restarts)" = 2
check "build failures logged with hvsim's reason" grep -q 'build-failed: .*injected build failure' "$T/stubdmd.log"
check "one stub in the end" test "$(live_stubs bf1)" = 1
check "the daemon is still running" kill -0 "$STUBDMD_PID"
done_testing
