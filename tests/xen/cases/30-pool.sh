# SPDX-License-Identifier: GPL-2.0-only
# The warm pool on real Xen (sourced by tests/xen/scenarios): a guest
# section gets pool_size = 1 by a reload; the spare boots without a target
# and waits (the test image's init polls its target); a new guest takes
# it: renamed <guest>-dm, target set, its device model runs; the pool
# refills; a reload without the pool destroys the spare.  Time to ready,
# mkguest -> device model running, with and without the pool, in the same
# boot: tests/xen/run prints the ratio.
# plan: 2

cp "$POLICY" /tmp/policy.orig
# pool_policy SIZE: the test policy plus a section with its own stub
# (its cmdline differs), so that no other scenario's guest takes a spare.
pool_policy() {
	cat /tmp/policy.orig
	printf '\n[guest "wp*"]\ncmdline = console=hvc0 quiet wp\n'
	printf 'unpause_guest = no\npool_size = %s\n' "$1"
}
reload() { kill -HUP "$DAEMON"; sleep 2; }
spares() { xl list 2>/dev/null | awk '$1 ~ /^stubdm-spare-/ { print $2 }'; }
stat_of() {
	stubdmctl --json stats 2>/dev/null | tr -d ' \n' |
	    sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}
pool_is() { [ "$(stat_of pool_ready)" = "$1" ]; }

# A. Cold (no pool), then warm (a spare waiting), same section.
why=""
pool_policy 0 >"$POLICY"
reload
cold=$(time_stubdmd wpcold1)
[ -n "$cold" ] || why="cold guest's stub never ran"
pool_policy 1 >"$POLICY"
reload
if ! wait_for $SLOW spare_waiting; then
	why="$why no spare waiting for a target"
else
	spare=$(spares)
	SCEN_T0=$(now)
	t=$(now)
	g=$(mkguest wpwarm1)
	poll "$SLOW" 100000 stub_running wpwarm1 "$g" && warm=$(elapsed "$t")
	[ -n "${warm:-}" ] || why="$why warm guest's stub never ran"
	[ "$(domid wpwarm1-dm)" = "$spare" ] ||
	    why="$why wpwarm1-dm is $(domid wpwarm1-dm), not the spare $spare"
	[ "$(xenstore-read /local/domain/$spare/target)" = "$g" ] ||
	    why="$why the spare's target is not the guest"
	log_has "wpwarm1.*took spare stub domain $spare from the pool" ||
	    why="$why no 'took spare' log line"
	wait_for $SLOW pool_is 1 || why="$why the pool did not refill"
	[ "$(count_dm wpwarm1)" = 1 ] || why="$why $(count_dm wpwarm1) stubs"
	mkguest --destroy "$g"
fi
xl list
grep "pool:\|wpwarm1\|wpcold1" "$LOG" | tail -n 8
echo "XENTEST: bench pool cold (mkguest -> device model running): ${cold:-} s"
echo "XENTEST: bench pool warm (mkguest -> device model running): ${warm:-} s"
result "$([ -z "$why" ]; echo $?)" "warm pool: a new guest takes a \
booted spare, renamed, its device model runs; the pool refills" "$why"

# B. The pool leaves the policy: its spares are destroyed.
why=""
cp /tmp/policy.orig "$POLICY"
reload
no_spares() { [ -z "$(spares)" ]; }
wait_for 60 no_spares || why="spares left: $(spares)"
[ "$(stat_of pool_ready)" = 0 ] || why="$why pool_ready $(stat_of pool_ready)"
result "$([ -z "$why" ]; echo $?)" "a reload without the pool destroys \
its spares" "$why"
