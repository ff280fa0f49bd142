#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench --quick (20 guests): the benchmark runs end to end on the simulated
# host and prints every figure as a sane number.  Its timings are not
# judged here (they belong to make bench); that it measures at all is.
. "$TOP/tests/lib.sh"
out=$T/bench.out
"$BUILD/bench/bench" --quick --build "$BUILD" >"$out" 2>"$T/bench.err"
rc=$?
sed 's/^/# /' "$out"
check "bench --quick exits 0" test "$rc" = 0
# N arrival det_med det_p99 rdy_med rdy_p99 ev/s ev/cpu-s cpu-ms/g
# rss-KiB/g rss-MiB list-ms reconcile-ms: 13 numbers after the words.
row() { awk -v m="$1" '$1 == 20 && $2 == m' "$out"; }
sane() {
	row "$1" | awk 'NF == 13 {
		for (i = 3; i <= 13; i++) if ($i !~ /^-?[0-9]+(\.[0-9]+)?$/) exit 1
		# detection within 10 s, readiness not before the boot delay,
		# events counted, CPU used, a daemon of some MiB, list and
		# reconcile timed
		if ($3 <= 0 || $3 > 10000 || $4 < $3 || $5 < 0 || $6 < $5) exit 1
		if ($7 <= 0 || $8 <= 0 || $9 <= 0 || $11 < 1 || $12 <= 0 ||
		    $13 <= 0) exit 1
		ok = 1 } END { exit !ok }'
}
check "a burst row, every figure a sane number" sane burst
check "a stream row, every figure a sane number" sane stream
check "where the time went: 60 events each (3 a guest)" \
	test "$(awk '$1 == 20 && ($2 == "burst" || $2 == "stream") && $6 == 60' "$out" | wc -l)" = 2
# N measured RSS PSS PSS/proc stubdmd-KiB 1/R 1/R
model() { awk '$1 == 20 && $2 == 20 && $5 > 0 && $7 ~ /^1\/[0-9]+$/' "$out"; }
check "the per-process model was measured for 20 waiters" test -n "$(model)"
check "its waiters each hold more than 100 KiB" \
	test "$(model | awk '{ print ($5 > 100) }')" = 1
check "the run left no directory behind" \
	test -z "$(sed -n 's/^# N=20, [a-z]*: //p' "$T/bench.err" | while read -r d; do [ -e "$d" ] && echo "$d"; done)"
done_testing
