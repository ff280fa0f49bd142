#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The warm pool: pool_size spares built and booted without a target; a new
# guest takes one (renamed <guest>-dm, target set, arguments written, its
# device model starts), the pool refills; a guest whose settings build a
# different stub does not take one; a reload that changes the stub drains
# and rebuilds the pool; a spare that dies is replaced; spares of a killed
# daemon are destroyed at the next start; a clean stop destroys them.
. "$TOP/tests/lib.sh"
hvsim_start --boot-delay 600 --qemu-start 50
write_policy <<'P'
pool_size = 2
[guest "big*"]
memory = 64
pool_size = 0
P
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
stat_of() { ctl --json stats | tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# Live spares as hvsim sees them: name, mem, target.
spares() { hvsimctl list | awk '$2 ~ /^stubdm-spare-/ && $4 != "dying"'; }
nspares() { spares | wc -l; }
spare_ids() { spares | awk '{ print $1 }' | sort; }
dm_ready() { [ "$(xenstore-read "/local/domain/$(stub_of "$1")/device-model/$(domid_of "$1")/state" 2>/dev/null)" = running ]; }

stubdmd_start
wait_until 10 'test "$(stat_of pool_ready)" = 2'
check "two spares built" test "$(nspares)" = 2
check "spares have no target" test "$(spares | awk '$5 != "-"' | wc -l)" = 0
check "spares are running (booting or waiting)" test "$(spares | awk '$4 != "running"' | wc -l)" = 0
check "stats report the pool's memory" test "$(stat_of pool_memory_mib)" = 64
check "stats report the target size" test "$(stat_of pool_target)" = 2
wait_until 5 'hvsimctl console "$(spare_ids | head -n1)" | grep -q "a spare, waiting"'
check "a booted spare waits for a target" sh -c "'$HVSIMCTL' --rundir '$SIM' console $(spare_ids | head -n1) | grep -q 'a spare, waiting'"

# A guest takes a spare.
before=$(spare_ids)
hvsimctl create-hvm p1 >/dev/null
wait_gstate p1 running
s=$(stub_of p1)
check "the guest's stub is a former spare" sh -c "echo '$before' | grep -qx '$s'"
check "renamed <guest>-dm" test "$(dom_field "$s" 2)" = p1-dm
check "its target is the guest" test "$(dom_field "$s" 5)" = "$(domid_of p1)"
check "its device model runs" dm_ready p1
check "taken from the pool (log)" grep -q "guest \"p1\".*took spare stub domain $s from the pool" "$T/stubdmd.log"
check "arguments readable by it" sh -c "xenstore-ls -p \"\$(xenstore-read /local/domain/$(domid_of p1)/vm)/image\" | grep -q 'dm-argv .*(n0,r$s)'"
check "the guest is unpaused" is_dom_state "$(domid_of p1)" running
wait_until 10 'test "$(stat_of pool_ready)" = 2'
check "the pool refills" test "$(nspares)" = 2
check "pool_taken counted" test "$(stat_of pool_taken)" = 1

# More guests than spares: the rest are built as usual.
for g in p2 p3 p4; do hvsimctl create-hvm "$g" >/dev/null; done
for g in p2 p3 p4; do wait_gstate "$g" running; done
# Two ready spares, and the refill races the third guest: it takes the
# new spare (booting) or is built; either way one stub each.
n=$(grep -c 'guest "p[234]".*took spare stub domain' "$T/stubdmd.log")
check "the spares were taken" test "$n" -ge 2
check "one stub each" test "$(live_stubs p2)$(live_stubs p3)$(live_stubs p4)" = 111
wait_until 10 'test "$(stat_of pool_ready)" = 2'
check "the pool refills to its size" test "$(nspares)" = 2

# A guest whose settings build another stub does not take a spare.
hvsimctl create-hvm big1 >/dev/null
wait_gstate big1 running
check "other settings: built, not from the pool" grep -q 'guest "big1".*building stub domain' "$T/stubdmd.log"
check "other settings: its own memory" test "$(dom_kv "$(stub_of big1)" mem)" = 64

# A spare that dies is replaced.
victim=$(spare_ids | head -n1)
hvsimctl crash "$victim" >/dev/null
wait_until 10 'test "$(stat_of pool_died)" = 1 && test "$(nspares)" = 2'
check "a dead spare is replaced" test "$(nspares)/$(stat_of pool_died)" = 2/1
check "the dead spare is destroyed" test -z "$(spares | awk -v v="$victim" '$1 == v')"

# A reload that changes the stub: the pool is drained and rebuilt.
old=$(spare_ids)
write_policy <<'P'
pool_size = 3
memory = 48
[guest "big*"]
memory = 64
pool_size = 0
P
ctl reload >/dev/null
wait_until 10 'test "$(nspares)" = 3 && test "$(stat_of pool_ready)" = 3'
check "reload: the old spares are gone" test -z "$(comm -12 <(echo "$old") <(spare_ids))"
check "reload: spares with the new memory" test "$(spares | awk '{ print $NF }' | sort -u)" = mem=48
check "reload: pool_memory_mib follows" test "$(stat_of pool_memory_mib)" = 144

# kill -9: the next start destroys the old spares, builds new ones.
old=$(spare_ids)
stubdmd_kill9
stubdmd_start
wait_until 10 'test "$(stat_of pool_ready)" = 3'
wait_until 10 'test -z "$(comm -12 <(echo "$old") <(spare_ids))"'
check "restart: spares of the killed daemon destroyed" test -z "$(comm -12 <(echo "$old") <(spare_ids))"
check "restart: exactly pool_size spares" test "$(nspares)" = 3
check "restart: guests keep their stubs" test "$(live_stubs p1)$(live_stubs p4)" = 11
# SIGTERM: the spares go, the guests' stubs stay.
stubdmd_stop
wait_until 10 'test "$(nspares)" = 0'
check "stop: spares destroyed" test "$(nspares)" = 0
check "stop: guests' stubs stay" test "$(live_stubs p1)$(live_stubs big1)" = 11
done_testing
