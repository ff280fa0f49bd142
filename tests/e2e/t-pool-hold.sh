#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The pool holds its fill while stub domains start (pool.h): a spare a
# guest took is replaced once no stub domain is being built or booting,
# so that its build does not take dom0's CPU from guests waiting for
# their device models; never more than POOL_HOLD_MAX_MS (15 s) late.
. "$TOP/tests/lib.sh"
hvsim_start --boot-delay 300 --qemu-start 50
# policy: write_policy's, stdin appended, logging at debug (the hold's
# line).
policy() {
	write_policy
	sed -i 's/^\[global\]$/[global]\nlog_level = debug/' "$T/policy.ini"
}
policy <<'P'
pool_size = 1
[guest "slow*"]
memory = 64
pool_size = 0
start_timeout = 1m
P
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
stat_of() { ctl --json stats | tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
spares() { hvsimctl list | awk '$2 ~ /^stubdm-spare-/ && $4 != "dying"' | wc -l; }
# The pool's count of spares built and building.
pooled() { echo "$(stat_of pool_ready)/$(stat_of pool_building)"; }
# take NAME: guest NAME takes the spare and runs.
take() {
	hvsimctl create-hvm "$1" >/dev/null
	wait_gstate "$1" running
	check "$1 took the spare" grep -q "guest \"$1\".*took spare stub domain" "$T/stubdmd.log"
}

stubdmd_start
wait_until 10 'test "$(stat_of pool_ready)" = 1' || fail "no spare built"
hvsimctl fault 'slow*' never-ready >/dev/null

# A stub that never gets ready holds the fill, up to the bound.
hvsimctl create-hvm slow1 >/dev/null
wait_gstate slow1 starting
take p1
sleep 2
check "held: no spare built while slow1's stub starts" test "$(pooled)/$(spares)" = 0/0/0
check "slow1 still starting" is_gstate slow1 starting
check "the hold is logged" grep -q "pool: fill held while stub domains start" "$T/stubdmd.log"
wait_until 30 'test "$(spares)" = 1' || fail "the pool was never filled"
check "the bound: filled while slow1 still starts" is_gstate slow1 starting
check "the bound's end is logged" grep -q "pool: filling after 15 s although stub domains are still starting (1)" "$T/stubdmd.log"
wait_until 10 'test "$(stat_of pool_ready)" = 1' || fail "the spare never got ready"

# The fill goes on as soon as the starting stub is gone.
ctl stop slow1 >/dev/null
wait_until 10 '! is_gstate slow1 starting' || fail "slow1 did not stop"
hvsimctl create-hvm slow2 >/dev/null
wait_gstate slow2 starting
take p2
sleep 1
check "held again for slow2" test "$(pooled)/$(spares)" = 0/0/0
hvsimctl destroy "$(domid_of slow2)" >/dev/null
wait_until 10 'test "$(spares)" = 1' || fail "no fill after slow2 went"
check "filled when slow2 went, not by the bound" test \
	"$(grep -c 'pool: filling after' "$T/stubdmd.log")" = 1
check "one stub per guest" test "$(live_stubs p1)$(live_stubs p2)" = 11

# A host without a pool is never held: no timer polls for a spare no one
# wants (a reload while a stub starts fills, or would hold, the pools).
policy <<'P'
pool_size = 0
[guest "slow*"]
memory = 64
start_timeout = 1m
P
hvsimctl create-hvm slow3 >/dev/null
wait_gstate slow3 starting
held=$(grep -c 'pool: fill held' "$T/stubdmd.log")
ctl reload >/dev/null
wait_until 10 'test "$(stat_of pool_target)" = 0' || fail "the reload did not drop the pool"
sleep 1
check "no pool: never held" test "$(grep -c 'pool: fill held' "$T/stubdmd.log")" = "$held"
check "the daemon lives on" ctl list
stubdmd_stop
done_testing
