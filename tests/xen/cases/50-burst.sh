# SPDX-License-Identifier: GPL-2.0-only
# A burst (sourced by tests/xen/scenarios): four own-mode guests created
# at once each get one running stub.  Timed against one such guest alone,
# in the same boot and the same policy section: the ratio is what the
# builder processes (policy key builders) buy; it is printed, never
# judged (tests/xen/README.md).  Also printed: each build's time and its
# wait in the queue, and how many builder processes built the four.
# plan: 1

why=""
SCEN_T0=$(now)
# all_running NAME DOMID ...: every NAME's stub for its DOMID is running.
all_running() {
	while [ $# -ge 2 ]; do
		stub_running "$1" "$2" || return 1
		shift 2
	done
}
# destroy_pairs NAME DOMID ...: the guests go (their stubs with them).
destroy_pairs() {
	while [ $# -ge 2 ]; do
		mkguest --destroy "$2" >/dev/null
		shift 2
	done
}
no_dm() { [ "$(count_dm "$1")" = 0 ]; }
# One alone first; its stub gone before the burst, so that its destroy
# does not wait in a builder's queue in front of the four.
one=$(time_stubdmd burst0)
wait_for 60 no_dm burst0
t=$(now)
pairs=""
for n in 1 2 3 4; do
	pairs="$pairs burst$n $(mkguest burst$n)"
done
# shellcheck disable=SC2086 # the pairs are words
poll "$SLOW" 100000 all_running $pairs
all=$(elapsed "$t")
# shellcheck disable=SC2086
all_running $pairs || { why="not all four running after $all s;"; all=""; }
for n in 1 2 3 4; do
	[ "$(count_dm burst$n)" = 1 ] ||
	    why="$why $(count_dm burst$n) burst$n-dm"
done
result "$([ -z "$why" ]; echo $?)" "four guests at once: four running \
stubs" "$why"
builders=$(sed -n \
    's/^stubdmd-build\[\([0-9]*\)\]: burst[1-4]-dm: building$/\1/p' "$LOG" |
    sort -u | wc -l)
echo "XENTEST: bench burst: one guest to a running stub ${one:-?} s, four \
at once ${all:-?} s, $builders builder processes"
grep "burst.*device model ready after\|stub domain [0-9]* .*built in" "$LOG" |
    sed "s/^/XENTEST: bench burst: /"
# shellcheck disable=SC2086
destroy_pairs $pairs
