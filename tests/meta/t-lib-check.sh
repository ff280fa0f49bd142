#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The test library's check refuses a check that cannot fail: a `bash -c`
# or `sh -c` that runs one of the library's shell functions, which that
# new shell does not have ("command not found", so `! hvsimctl ...` was
# always true in t-own-serial.sh until 2026-12-06).
. "$TOP/tests/lib.sh"

# inner CODE: the TAP line of one check of CODE, run by a test of its own.
inner() {
	TEST_TMP=$T/inner bash -c '. "$TOP/tests/lib.sh"; check inner "$@"' \
		inner "$@" 2>&1 | grep -E '^(not )?ok 1 - inner'
}
refused() { inner "$@" | grep -q '^not ok 1 - inner # bash -c runs the shell function'; }
passes() { test "$(inner "$@")" = "ok 1 - inner"; }

mkdir -p "$T/inner"
# Hollow on purpose, and held in variables so that the before-stop hook's
# scan for such checks does not take these for real ones.
hollow1='! hvsimctl devices 3 | grep -q serial='
hollow2='true && gstate g1'
check "bash -c \"! hvsimctl ...\" is refused" refused bash -c "$hollow1"
check "... after && too" refused bash -c "$hollow2"
check "... in \$(...)" refused bash -c 'test -n "$(dom_state 3)"'
check "... after a VAR=value" refused bash -c 'X=1 note hi'
check "... and with sh -c" refused sh -c '! live_spares'
check "a function it defines itself is allowed" \
	passes bash -c "$(declare -f note); note hi"
check "a name in single quotes runs nothing: allowed" \
	passes bash -c "! grep -q 'note; fail' /dev/null"
check "a command of the same name's argument is allowed" \
	passes bash -c 'echo check >/dev/null'
check "an ordinary failing bash -c still fails" \
	test "$(inner bash -c false)" = "not ok 1 - inner"
done_testing
