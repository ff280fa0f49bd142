#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The libFuzzer targets (make fuzz-build): every seed and every input that
# once crashed replays cleanly, then `make fuzz`'s runner (tests/fuzz/run)
# fuzzes each target for a few seconds, as in a fresh clone (no regress
# directory yet), and tells a crash from a target that could not run.
. "$TOP/tests/lib.sh"
FUZZ=$TOP/build/fuzz/tests/fuzz
: "${FUZZ_CHECK_SECONDS:=4}"
[ -x "$FUZZ/fuzz-control" ] || { echo "not built (make fuzz-build)"; exit 77; }
# quiet LOG CMD...: run CMD with its output in LOG.
quiet() { local log=$1; shift; "$@" >"$log" 2>&1; }
for t in fuzz-control fuzz-policy fuzz-xsvalue fuzz-super fuzz-builder \
    fuzz-qmp; do
	seeds=$TOP/tests/fuzz/corpus/$t regress=$T/regress-$t
	mkdir -p "$regress" "$T/corpus-$t"
	cp "$TOP/tests/fuzz/regress/$t"/* "$regress" 2>/dev/null
	check "$t: $(ls "$seeds" | wc -l) seeds replay cleanly" \
		quiet "$T/$t.seeds.log" "$FUZZ/$t" -runs=0 "$seeds"
	check "$t: $(ls "$regress" | wc -l) inputs that once crashed replay cleanly" \
		quiet "$T/$t.regress.log" "$FUZZ/$t" -runs=0 "$regress"
done

# The runner on a copy of the fuzz directory without its regress
# directories, as git leaves a fresh clone.
mkdir -p "$T/top/tests"
cp -r "$TOP/tests/fuzz" "$T/top/tests/fuzz"
rm -rf "$T/top/tests/fuzz/regress"
targets=$(cd "$TOP/tests/fuzz" && ls fuzz-*.c | sed 's/\.c$//')
runner() { FUZZ_BIN=$1 FUZZ_OUT=$T/out "$T/top/tests/fuzz/run" "${@:2}"; }
runner "$FUZZ" "$FUZZ_CHECK_SECONDS" $targets >"$T/run.out" 2>&1
check "make fuzz's runner: every target fuzzed, exit 0" test $? = 0
for t in $targets; do
	check "$t: ran its ${FUZZ_CHECK_SECONDS} s without a crash, with figures" \
		grep -qE "^$t: ran [0-9]+ s, [0-9]+ runs, " "$T/run.out"
done

# Stand-ins for libFuzzer: one leaves a crash artifact, one stops without.
mkdir -p "$T/fake"
printf '#!/bin/sh\nfor a; do case $a in -artifact_prefix=*) p=${a#*=}x;; esac; done\n: >"$p"; echo "==1==ERROR: deadly signal"; echo "artifact_prefix=x; Test unit written to $p"; exit 1\n' \
	>"$T/fake/fuzz-policy"
printf '#!/bin/sh\necho "No such file or directory: x"; exit 1\n' \
	>"$T/fake/fuzz-builder"
chmod +x "$T/fake/"*
runner "$T/fake" 1 fuzz-policy >"$T/crash.out" 2>&1
check "a crash: CRASH, exit 1" test $? = 1
check "... naming its artifact" \
	grep -q "^fuzz-policy: CRASH after .*crash-fuzz-policy-x" "$T/crash.out"
runner "$T/fake" 1 fuzz-builder >"$T/unrun.out" 2>&1
check "no crash, libFuzzer stopped: FAILED TO RUN, exit 2" test $? = 2
check "... with libFuzzer's reason, not CRASH" grep -q \
	"^fuzz-builder: FAILED TO RUN (exit 1, no crash): No such file" "$T/unrun.out"
runner "$T/fake" 1 fuzz-nosuch >"$T/nobin.out" 2>&1
check "no binary: FAILED TO RUN, exit 2" test $? = 2
check "... saying which file" \
	grep -q "^fuzz-nosuch: FAILED TO RUN: no $T/fake/fuzz-nosuch" "$T/nobin.out"
done_testing
