# SPDX-License-Identifier: GPL-2.0-only
# A burst (sourced by tests/xen/scenarios): four guests created at once
# each get one running stub.  The builds' times and the event loop's
# longest stall are printed: tests/xen/README.md compares them from
# before and after the one builder process, which builds one stub at a
# time, so the later builds of a burst include their wait in its queue.
# plan: 1

why=""
SCEN_T0=$(now)
t=$(now)
burst=""
for n in 1 2 3 4; do
	burst="$burst $(mkguest burst$n)"
done
n=0
for g in $burst; do
	n=$((n + 1))
	wait_for $SLOW stub_running burst$n "$g" ||
	    why="$why burst$n-dm not running"
done
all=$(elapsed "$t")
for n in 1 2 3 4; do
	[ "$(count_dm burst$n)" = 1 ] ||
	    why="$why $(count_dm burst$n) burst$n-dm"
done
result "$([ -z "$why" ]; echo $?)" "four guests at once: four running \
stubs" "$why"
echo "XENTEST: bench burst: four guests to four running stubs in $all s"
grep "burst.*device model ready after\|stub domain [0-9]* built in" "$LOG" |
    sed "s/^/XENTEST: bench burst: /"
for g in $burst; do
	mkguest --destroy "$g" >/dev/null
done
