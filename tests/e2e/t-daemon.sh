#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The daemon skeleton: start-up errors are clear, SIGTERM/SIGINT stop it
# cleanly (exit 0), -n checks a policy.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy </dev/null
check "-n accepts the test policy" "$STUBDMD" -n -f "$T/policy.ini"
check "-n accepts the shipped policy" "$STUBDMD" -n -f "$TOP/etc/stubdmd.ini"
out=$("$STUBDMD" -d -f "$T/policy.ini" --sim "$T/nowhere" 2>&1); rc=$?
check "no simulated host: exit 1" test "$rc" = 1
check "no simulated host: says where it looked" grep -q "$T/nowhere/ctl" <<<"$out"
out=$("$STUBDMD" -d -f "$T/missing.ini" --sim "$SIM" 2>&1); rc=$?
check "missing policy: exit 1 naming the file" test "$rc" = 1 -a -n "$(grep missing.ini <<<"$out")"
out=$("$STUBDMD" --bogus 2>&1); rc=$?
check "usage error: exit 2" test "$rc" = 2
stubdmd_start
kill -INT "$STUBDMD_PID"; wait "$STUBDMD_PID"; rc=$?
check "SIGINT: clean exit 0" test "$rc" = 0
stubdmd_start
check "SIGTERM: clean exit 0" stubdmd_stop
check "shutdown logged" grep -q 'stub domains keep running' "$T/stubdmd.log"
done_testing
