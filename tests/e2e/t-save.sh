#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Save, restore and migration of guests whose stub libxl built and stubdmd
# adopted, in the order libxl 4.17 does them (xl save, xl migrate to the
# same host): the guest is suspended (Xen's shutdown reason "suspend"),
# libxl destroys its stub, then the guest; the restored or migrated-in
# guest is a new domain (named NAME--incoming until libxl renames it) with
# a stub of its own.  A stub that ends that way is no device-model death;
# one that crashes during the save is, once the guest runs again.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
on_dm_death = pause-guest
P
: >"$T/stub-kernel"
: >"$T/stub-rootfs"
xl_create() {	# NAME [xl-create options]: libxl's stub domain
	hvsimctl xl-create "$@" kernel="$T/stub-kernel" \
	    ramdisk="$T/stub-rootfs" cmdline="console=hvc0" stubmem=96 mem=512
}
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
mode_of() { ctl list | awk -v n="$1" '$1 == n { print $4 }'; }
builds_for() { grep -c "guest \"$1\".*building stub domain" "$T/stubdmd.log"; }
logged() { grep -q "guest \"$1\".*$2" "$T/stubdmd.log"; }
deaths() { grep -c "device model died" "$T/stubdmd.log"; }
running_guest() { is_dom_state "$1" running; }
# xl_save DOMID STUB: what libxl does once the device state is saved.
xl_save() {
	hvsimctl shutdown "$1" suspend >/dev/null
	sleep 0.5	# stubdmd's scans see the suspended guest, stub alive
	hvsimctl destroy "$2" >/dev/null
}

stubdmd_start

# 1. xl save: suspended guest, stub destroyed, then the guest.
xl_create sv1 >/dev/null
wait_gstate sv1 running
wait_until 10 'test "$(mode_of sv1)" = adopted'
wait_until 10 'running_guest "$(domid_of sv1)"'
g=$(domid_of sv1)
hvsimctl shutdown "$g" suspend >/dev/null
sleep 1
check "suspended guest, stub alive: still running" is_gstate sv1 running
hvsimctl destroy "$(stub_of sv1)" >/dev/null
wait_until 10 'logged sv1 "saved or migrated"'
check "save: the suspend is logged" logged sv1 "guest suspended: a save or a migration begins"
check "save: the stub's end is logged as a save" logged sv1 \
    "saved or migrated: the guest is suspended and its toolstack ended its stub"
check "save: stopped, last exit saved" test "$(gstate sv1)/$(gfield sv1 exit)" = stopped/saved
check "save: no device-model death" test "$(deaths)" = 0
check "save: the event says what happened" sh -c "'$STUBDMCTL' -S '$T/ctl.sock' events | grep -q 'saved or migrated'"
sleep 1
check "save: no rebuild" test "$(builds_for sv1)/$(live_stubs sv1)" = 0/0
check "save: the guest left as libxl left it" is_dom_state "$g" shutdown:suspend
hvsimctl destroy "$g" >/dev/null
wait_until 10 '! ctl list | grep -q "^sv1 "'
check "save: the guest forgotten once gone" sh -c "! '$STUBDMCTL' -S '$T/ctl.sock' list | grep -q '^sv1 '"

# 2. xl restore: a new domain with libxl's stub, adopted.
xl_create sv1--incoming >/dev/null
wait_gstate sv1--incoming running
wait_until 10 'test "$(mode_of sv1--incoming)" = adopted'
check "restore: one stub, none built by stubdmd" test "$(live_stubs sv1--incoming)/$(builds_for sv1--incoming)" = 1/0
hvsimctl rename "$(domid_of sv1--incoming)" sv1 >/dev/null
check "restore: the new stub adopted" test "$(ctl list | awk -v d="$(domid_of sv1)" '$2 == d { print $4 }')" = adopted
check "restore: still no device-model death" test "$(deaths)" = 0

# 3. xl migrate to the same host: the source renamed NAME--migratedaway,
#    the destination created as NAME--incoming; then the source saved and
#    gone, the destination renamed.
xl_create mg1 >/dev/null
wait_gstate mg1 running
wait_until 10 'test "$(mode_of mg1)" = adopted'
src=$(domid_of mg1)
srcstub=$(stub_of mg1)
hvsimctl rename "$src" mg1--migratedaway >/dev/null
xl_create mg1--incoming >/dev/null
wait_gstate mg1--incoming running
xl_save "$src" "$srcstub"
wait_until 10 'grep -q "saved or migrated" "$T/stubdmd.log" && test "$(grep -c "saved or migrated" "$T/stubdmd.log")" -ge 2'
hvsimctl destroy "$src" >/dev/null
dst=$(domid_of mg1--incoming)
hvsimctl rename "$dst" mg1 >/dev/null
sleep 1
check "migrate: the source's stub ended as a save" test "$(grep -c "saved or migrated: the guest is suspended" "$T/stubdmd.log")" = 2
check "migrate: the destination's stub adopted" test "$(ctl list | awk -v d="$dst" '$2 == d { print $4 }')" = adopted
check "migrate: one live stub, no orphan destroyed, no death" \
    test "$(all_live_stubs)/$(deaths)" = 2/0
check "migrate: nothing built by stubdmd" test "$(grep -c "building stub domain" "$T/stubdmd.log")" = 0

# 4. The stub crashes during the save (a real death: the save fails and
#    libxl resumes the guest): on_dm_death once the guest runs again.
xl_create cr1 >/dev/null
wait_gstate cr1 running
wait_until 10 'running_guest "$(domid_of cr1)"'
c=$(domid_of cr1)
hvsimctl shutdown "$c" suspend >/dev/null
hvsimctl crash "$(stub_of cr1)" >/dev/null
wait_until 10 'logged cr1 "the stub ended during the guest.s save"'
check "crash in a save: logged as the stub's own end" logged cr1 \
    "the stub ended during the guest.s save or migration (stub domain [0-9]* shut down (crash))"
check "crash in a save: no on_dm_death while suspended" test "$(deaths)" = 0
hvsimctl resume "$c" >/dev/null
wait_until 10 'is_dom_state "$c" paused'
check "resumed without its stub: on_dm_death = pause-guest" is_dom_state "$c" paused
check "resumed without its stub: a device-model death logged" logged cr1 \
    "device model died after the guest had run (the guest runs again after a save, without its device model)"
check "resumed without its stub: failed, not rebuilt" test "$(gstate cr1)/$(builds_for cr1)" = failed/0

# 5. A save that fails with the stub alive (xl save -c, a refused
#    migration): the guest resumes with its stub, nothing happens.
xl_create ck1 >/dev/null
wait_gstate ck1 running
k=$(domid_of ck1)
hvsimctl shutdown "$k" suspend >/dev/null
sleep 1
hvsimctl resume "$k" >/dev/null
sleep 1.5
check "checkpoint: still running with the same stub" test "$(gstate ck1)/$(live_stubs ck1)" = running/1
check "checkpoint: its suspend and resume logged" sh -c "grep -q 'guest \"ck1\".*guest suspended: a save' '$T/stubdmd.log' && grep -q 'guest \"ck1\".*guest resumed after a suspend' '$T/stubdmd.log'"
check "checkpoint: nothing logged as a saved stub or a death" sh -c "! grep -q 'guest \"ck1\".*\(saved or migrated\|device model died\)' '$T/stubdmd.log'"
stubdmd_stop
done_testing
