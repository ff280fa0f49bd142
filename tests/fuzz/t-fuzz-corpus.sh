#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The libFuzzer targets (make fuzz-build): every seed and every input that
# once crashed replays cleanly, then each target fuzzes for a few seconds.
. "$TOP/tests/lib.sh"
FUZZ=$TOP/build/fuzz/tests/fuzz
: "${FUZZ_CHECK_SECONDS:=4}"
[ -x "$FUZZ/fuzz-control" ] || { echo "not built (make fuzz-build)"; exit 77; }
# quiet LOG CMD...: run CMD with its output in LOG.
quiet() { local log=$1; shift; "$@" >"$log" 2>&1; }
for t in fuzz-control fuzz-policy fuzz-xsvalue fuzz-super fuzz-builder; do
	seeds=$TOP/tests/fuzz/corpus/$t regress=$T/regress-$t
	mkdir -p "$regress" "$T/corpus-$t"
	cp "$TOP/tests/fuzz/regress/$t"/* "$regress" 2>/dev/null
	check "$t: $(ls "$seeds" | wc -l) seeds replay cleanly" \
		quiet "$T/$t.seeds.log" "$FUZZ/$t" -runs=0 "$seeds"
	check "$t: $(ls "$regress" | wc -l) inputs that once crashed replay cleanly" \
		quiet "$T/$t.regress.log" "$FUZZ/$t" -runs=0 "$regress"
	check "$t: fuzzes ${FUZZ_CHECK_SECONDS} s without a crash" \
		quiet "$T/$t.fuzz.log" "$FUZZ/$t" \
		-max_total_time="$FUZZ_CHECK_SECONDS" -timeout=10 \
		-dict="$TOP/tests/fuzz/$t.dict" -artifact_prefix="$T/crash-$t-" \
		"$T/corpus-$t" "$seeds" "$regress"
done
done_testing
