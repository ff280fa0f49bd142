#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Golden files for `stubdmd -n`: every NAME.ini here is checked (with each
# line of NAME.args as extra arguments, if present) and the output must
# equal NAME.out.  @KERNEL@ in a policy becomes a readable file; NAME.mode
# sets the file's mode.  UPDATE_GOLDEN=1 rewrites the .out files.
. "$TOP/tests/lib.sh"
src=$TOP/tests/policy
: >"$T/kernel"

run_case() {	# NAME: print what stubdmd -n says, for each argument line
	local name=$1 args
	sed "s|@KERNEL@|$T/kernel|g" "$src/$name.ini" >"$T/$name.ini"
	chmod "$(cat "$src/$name.mode" 2>/dev/null || echo 0644)" "$T/$name.ini"
	{ [ -f "$src/$name.args" ] && cat "$src/$name.args" || echo; } |
	while IFS= read -r args; do
		echo "\$ stubdmd -n -f $name.ini${args:+ $args}"
		# shellcheck disable=SC2086
		(cd "$T" && "$STUBDMD" -n -f "$name.ini" $args >"$T/out" 2>"$T/err")
		echo "exit $?"
		sed "s|$T|@T@|g" "$T/out" "$T/err"
	done
}

for ini in "$src"/*.ini; do
	name=$(basename "$ini" .ini)
	run_case "$name" >"$T/$name.got"
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T/$name.got" "$src/$name.out"
	fi
	if diff -u "$src/$name.out" "$T/$name.got" >"$T/$name.diff" 2>&1; then
		check "$name" true
	else
		cat "$T/$name.diff"
		check "$name" false
	fi
done
out=$("$STUBDMD" -n -f "$T/no-such.ini" 2>&1); rc=$?
check "a missing file: exit 1, named with the reason" \
	test "$rc/$out" = "1/$T/no-such.ini: cannot open: No such file or directory
$T/no-such.ini: policy rejected (1 error)"
check "every good file has a golden output" test -z "$(cd "$src" && for f in *.ini; do [ -f "${f%.ini}.out" ] || echo "$f"; done)"
done_testing
