#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench --quick (20 guests): the benchmark runs end to end on the simulated
# host and prints every figure as a sane number.  Its timings are not
# judged here (they belong to make bench); that it measures at all is, and
# that it compares them with a baseline and saves one.
. "$TOP/tests/lib.sh"
out=$T/bench.out
# One figure far better than measured, two far worse, one without a value.
cat >"$T/baseline" <<'EOB'
# a comment stays
rss_kib_guest    burst    20              1000000   1.25
rss_kib_guest    stream   20                0.001   1.25
ev_cpu           burst    20                1e+09   1.50
cpu_ms_guest     burst    20                    -   1.50
ev_cpu           stream   5000               4000   1.50
EOB
"$BUILD/bench/bench" --quick --build "$BUILD" --baseline "$T/baseline" \
	--save-baseline "$T/saved" >"$out" 2>"$T/bench.err"
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
# The baseline table: figure (words), arrival, N, baseline, now, ratio,
# margin, verdict.
verdict() { grep -E "^$1 +$2 +20 " "$out" | awk '{ print $NF }'; }
check "a figure far under its baseline is ok" \
	test "$(verdict 'RSS KiB/guest' burst)" = ok
check "a figure far over its baseline is WORSE" \
	test "$(verdict 'RSS KiB/guest' stream)" = WORSE
check "events/cpu s far under its baseline is WORSE" \
	test "$(verdict 'events/cpu s' burst)" = WORSE
check "a figure without a baseline says so" \
	grep -q '^cpu ms/guest .* - .*(no baseline)$' "$out"
check "a figure of a run not made says so" \
	grep -q '^events/cpu s .* 5000 .*(not run)$' "$out"
check "the worse figures are named at the end" \
	grep -q '^WORSE THAN THE BASELINE' "$out"
saved() { awk -v f="$1" -v a="$2" '$1 == f && $2 == a && $3 == 20 { print $4 }' "$T/saved"; }
check "the saved baseline holds the run's RSS per guest" \
	awk -v s="$(saved rss_kib_guest burst)" -v m="$(awk '$1 == 20 && $2 == "burst" { print $10 }' "$out")" \
	'BEGIN { d = s - m; exit !(s + 0 > 0 && d < 0.01 && d > -0.01) }'
check "the saved baseline fills a figure that had none" \
	awk -v v="$(saved cpu_ms_guest burst)" 'BEGIN { exit !(v + 0 > 0) }'
check "the saved baseline keeps comments and a figure not run" \
	test "$(grep -c '^# a comment stays$\|^ev_cpu  *stream  *5000  *4000 ' "$T/saved")" = 2
echo 'rss_kib_guest burst 20 2.0' >"$T/bad"
check "a baseline line without its margin is refused" \
	sh -c '! "$1" --quick --build "$2" --baseline "$3" >/dev/null 2>&1' \
	sh "$BUILD/bench/bench" "$BUILD" "$T/bad"
done_testing
