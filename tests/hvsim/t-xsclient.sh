#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# libxenstore (Debian's) against hvsim, from C: reads and writes, a
# directory big enough to need DIRECTORY_PART, watches and their first
# event, transactions (commit, abort, EAGAIN on conflict), the special
# watches, set_target, ownership, and raw malformed messages.
. "$TOP/tests/lib.sh"
hvsim_start
"$BUILD/tests/hvsim/xsclient-test" "$HVSIMCTL" "$SIM" | grep -v '^1\.\.' \
	>"$T/xsclient.out" 2>&1
rc=${PIPESTATUS[0]}
# Renumber its TAP lines into this script's sequence.
while read -r line; do
	case $line in
	"ok "*) check "${line#ok * - }" true ;;
	"not ok "*) check "${line#not ok * - }" false ;;
	*) echo "$line" ;;
	esac
done <"$T/xsclient.out"
check "xsclient-test ran to the end (exit 0)" test "$rc" = 0
check "it ran every test" test "$(grep -c '^ok ' "$T/xsclient.out")" -ge 45
kill -TERM "$HVSIM_PID"
wait "$HVSIM_PID"
check "hvsim exits 0 on SIGTERM" test $? = 0
done_testing
