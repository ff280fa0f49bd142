#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The device state of a paused own-mode guest (SaveDeviceState,
# RestoreDeviceState; stubdmctl save-state and restore-state): the save
# asks the stub's QEMU for xen-save-devices-state to /dev/fdset/1, whose
# bytes reach the dom0 end of console 1 (the simulated QEMU appends them
# to SIM/qemu-save.GUEST), and copies what is new there to a new file.
# The restore replaces the stub by one built with console 2 reading the
# state and QEMU's -incoming: the simulated QEMU loads it only if it is
# a state of that guest.  No device-model death, no restart counted,
# exactly one stub after, an event saying so.  Refused: unprivileged, an
# adopted guest, a running guest, an unknown guest, bad paths, a guest
# with no dom0 QEMU for its consoles; QEMU's error, silence and a save
# that never reaches dom0 leave no file.
. "$TOP/tests/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv (util-linux) missing"; exit 77; }
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
ctl_out() { "$STUBDMCTL" -S "$T/ctl.sock" "$@" 2>&1; }
stat_of() { ctl --json stats | tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
disk() { echo "dev=qdisk/$1/params=$3 dev=qdisk/$1/type=qdisk dev=qdisk/$1/mode=w dev=qdisk/$1/dev=$2 dev=qdisk/$1/device-type=disk"; }
restarts() { ctl --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["guest"]["restarts"])'; }
hvsim_start
write_policy <<'P'
dm_probe_interval = 300ms
dm_probe_timeout = 200ms
dm_probe_misses = 3
unpause_guest = no
P
stubdmd_start
chmod 0755 "$T"
chmod 0666 "$T/ctl.sock"
: >"$T/a.img"
: >"$T/b.img"
: >"$T/stub-kernel"
# shellcheck disable=SC2046
hvsimctl create-hvm sv1 $(disk 768 hda "$T/a.img") >/dev/null || fail "create-hvm sv1"
hvsimctl create-hvm nodisk1 >/dev/null
hvsimctl xl-create xlsv1 kernel="$T/stub-kernel" stubmem=96 mem=512 >/dev/null
wait_gstate sv1 running
wait_gstate nodisk1 running
wait_gstate xlsv1 running
wait_until 10 'test "$(stat_of dm_probes)" -ge 6' || fail "no probes"
g=$(domid_of sv1)
stub=$(stub_of sv1)
# It ran, then its toolstack paused it: a guest with a past.
hvsimctl unpause sv1 >/dev/null
sleep 0.3
hvsimctl pause sv1 >/dev/null

# Save, as root.
check "save-state succeeds" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/sv1.state' >'$T/save.out' 2>&1"
check "... and says so" grep -qxF "sv1: device state saved to $T/sv1.state" "$T/save.out"
check "QEMU was asked: xen-save-devices-state to /dev/fdset/1" \
	bash -c "'$HVSIMCTL' --rundir '$SIM' qmp-log $stub | grep -qxF 'save /dev/fdset/1'"
check "the file holds the state QEMU wrote, whole" \
	grep -qxF "hvsim device state of domain $g, saved by stub $stub" "$T/sv1.state"
check "... one state only" test "$(grep -c QEVM "$T/sv1.state")" = 1
check "no temporary file left beside it" bash -c "! ls '$T' | grep -q 'sv1.state\.'"
check "logged, naming the guest" grep -q "guest \"sv1\".*device state save to $T/sv1.state: saved, [0-9]* bytes" "$T/stubdmd.log"
check "the guest still paused, its stub unchanged" \
	bash -c "test \"\$('$HVSIMCTL' --rundir '$SIM' list | awk -v d=$g '\$1 == d { print \$4 }')\" = paused && test '$(stub_of sv1)' = '$stub'"
check "a second save to the same file: refused, it exists" \
	bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/sv1.state' 2>&1 | grep -q 'InvalidStateFile.*exists'"
hvsimctl unpause sv1 >/dev/null
hvsimctl shutdown sv1 suspend >/dev/null
check "a guest suspended for a save (not paused): saved too" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/sv1s.state' >/dev/null && test -s '$T/sv1s.state'"
hvsimctl resume sv1 >/dev/null
hvsimctl pause sv1 >/dev/null
check "a second save to another file: only the new state" \
	bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/sv1b.state' >/dev/null && test \"\$(grep -c QEVM '$T/sv1b.state')\" = 1"

# Refusals.
check "uid 65534: save-state refused" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 /tmp/x.state 2>&1 | grep -q PermissionDenied"
check "uid 65534: restore-state refused" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$T/ctl.sock' restore-state sv1 '$T/sv1.state' 2>&1 | grep -q PermissionDenied"
rm -f "$T/x.state"
check "an adopted guest: refused, naming xl save" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state xlsv1 '$T/x.state' 2>&1 | grep -q 'DeviceStateUnsupported.*xl save'"
check "a guest without a qdisk disk: refused (no dom0 QEMU)" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state nodisk1 '$T/x.state' 2>&1 | grep -q 'DeviceStateUnsupported.*qdisk'"
check "an unknown guest: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state nosuch '$T/x.state' 2>&1 | grep -q NoSuchGuest"
check "a directory that does not exist: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/nodir/x.state' 2>&1 | grep -q 'InvalidStateFile.*No such file'"
check "restore from a missing file: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' restore-state sv1 '$T/none.state' 2>&1 | grep -q 'InvalidStateFile.*No such file'"
check "restore from a file that is no device state: refused" bash -c "echo junk >'$T/junk.state'; '$STUBDMCTL' -S '$T/ctl.sock' restore-state sv1 '$T/junk.state' 2>&1 | grep -q 'InvalidStateFile.*no QEMU device state'"
check "restore from a directory: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' restore-state sv1 '$T' 2>&1 | grep -q 'InvalidStateFile.*not a regular file'"
check "a relative path over the socket: refused" bash -c "printf '%s\0' '{\"method\":\"io.stubdm.SaveDeviceState\",\"parameters\":{\"guest\":\"sv1\",\"file\":\"x.state\"}}' | timeout 5 socat -t 2 - UNIX-CONNECT:'$T/ctl.sock' | tr '\0' '\n' | grep -q 'InvalidStateFile.*not an absolute path'"
hvsimctl unpause sv1 >/dev/null
check "a running guest: save refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/x.state' 2>&1 | grep -q 'GuestNotPaused.*pause it first'"
check "a running guest: restore refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' restore-state sv1 '$T/sv1.state' 2>&1 | grep -q GuestNotPaused"
hvsimctl pause sv1 >/dev/null
check "the refusals left no file" test ! -e "$T/x.state"
check "... and the same stub" test "$(stub_of sv1)" = "$stub"

# QEMU's error, QEMU's silence, a state that never reaches dom0.
for mode in save-error save-lost; do
	hvsimctl qmp "$stub" $mode >/dev/null
	check "$mode: the save fails with DeviceStateFailed" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/$mode.state' 2>&1 | grep -q DeviceStateFailed"
	check "$mode: no file" test ! -e "$T/$mode.state"
done
hvsimctl qmp "$stub" save-hang >/dev/null
check "save-hang: fails within the 15 s QMP limit, no file" bash -c "timeout 30 '$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/hang.state' 2>&1 | grep -q 'DeviceStateFailed.*no answer in time' && test ! -e '$T/hang.state'"
hvsimctl qmp "$stub" ok >/dev/null
check "no temporary files left" bash -c "! ls '$T' | grep -q '\.state\.'"
check "the daemon lives on, sv1 running on the same stub" bash -c "test \"\$('$STUBDMCTL' -S '$T/ctl.sock' --json status sv1 | python3 -c 'import json,sys; g=json.load(sys.stdin)[\"guest\"]; print(g[\"state\"], g[\"stub_domid\"])')\" = 'running $stub'"

# Restore: a new stub loads the state; the old one is no death.
r0=$(restarts sv1)
check "restore-state succeeds" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' restore-state sv1 '$T/sv1.state' >'$T/restore.out' 2>&1"
check "... and says so" grep -qxF "sv1: device state restored from $T/sv1.state" "$T/restore.out"
new=$(stub_of sv1)
check "a new stub" test -n "$new" -a "$new" != "$stub"
check "exactly one stub of sv1" test "$(live_stubs sv1)" = 1
check "the new stub was given the state on console 2" has_dev sv1 "restore=$SIM/qemu-resume.$g"
check "... and QEMU -incoming \$STUBDOM_RESTORE_INCOMING_ARG" has_arg sv1 '-incoming $STUBDOM_RESTORE_INCOMING_ARG'
check "its QEMU loaded sv1's state" bash -c "'$HVSIMCTL' --rundir '$SIM' console $new | grep -q 'incoming: device state of domain $g loaded'"
check "the copy in dom0 is removed once it is loaded" test ! -e "$SIM/qemu-resume.$g"
check "the guest stays paused" test "$(dom_state "$g")" = paused
check "no restart counted" test "$(restarts sv1)" = "$r0"
check "no device-model death logged" bash -c "! grep -q 'guest \"sv1\".*\(device model died\|on_dm_death\)' '$T/stubdmd.log'"
check "last_exit replaced, reason says restored" bash -c "ctl_j=\$('$STUBDMCTL' -S '$T/ctl.sock' --json status sv1); echo \"\$ctl_j\" | grep -q '\"last_exit\": \"replaced\"' && echo \"\$ctl_j\" | grep -q 'device state restored from'"
check "logged, naming the guest and the new stub" grep -q "guest \"sv1\".*device state restore from $T/sv1.state: restored by stub domain $new" "$T/stubdmd.log"
check "the events say so" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' events | grep 'sv1' | grep -q 'device state restored'"
check "the new stub answers QMP and can be saved again" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state sv1 '$T/sv1c.state' >/dev/null && grep -qF 'saved by stub $new' '$T/sv1c.state'"
check "no orphan, no duplicate: one stub for each of sv1, nodisk1, xlsv1" test "$(all_live_stubs)" = 3

# A state of another guest: the new stub's QEMU refuses it and dies;
# the guest has lost its device model (on_dm_death), said as a failure.
# shellcheck disable=SC2046
hvsimctl create-hvm sv2 $(disk 768 hda "$T/b.img") >/dev/null || fail "create-hvm sv2"
wait_gstate sv2 running
hvsimctl unpause sv2 >/dev/null
sleep 0.3
hvsimctl pause sv2 >/dev/null
check "restoring sv1's state into sv2 fails" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' restore-state sv2 '$T/sv1.state' 2>&1 | grep -q 'DeviceStateFailed.*new stub'"
check "... sv2 failed, on_dm_death applied" bash -c "test \"\$('$STUBDMCTL' -S '$T/ctl.sock' --json status sv2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"guest\"][\"state\"])')\" = failed && grep -q 'guest \"sv2\".*on_dm_death' '$T/stubdmd.log'"
check "the dom0 copy of the state is gone" test ! -e "$SIM/qemu-resume.$(domid_of sv2)"
check "sv1 untouched: one stub, running" bash -c "test '$(live_stubs sv1)' = 1"

# A stub from the warm pool has the pool's channel as its console 1: no
# save.  A restore builds a stub (never a spare: its console 2 must read
# the state from the start), which can then be saved.
write_policy <<'P'
dm_probe_interval = 300ms
dm_probe_timeout = 200ms
dm_probe_misses = 3
unpause_guest = no
[guest "pool*"]
pool_size = 1
P
ctl reload >/dev/null || fail "reload with a pool"
wait_until 10 'test "$(live_spares | wc -l)" = 1' || fail "no spare built"
spare=$(live_spares)
# shellcheck disable=SC2046
hvsimctl create-hvm pool1 $(disk 768 hda "$T/a.img") >/dev/null || fail "create-hvm pool1"
wait_gstate pool1 running
pg=$(domid_of pool1)
check "pool1 took the spare" test "$(stub_of pool1)" = "$spare"
hvsimctl pause pool1 >/dev/null
check "a stub from the pool: save refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state pool1 '$T/p.state' 2>&1 | grep -q 'DeviceStateUnsupported.*warm pool'"
printf 'QEVM\nhvsim device state of domain %s, saved by stub 0\n' "$pg" >"$T/p.state"
wait_until 10 'test "$(live_spares | wc -l)" = 1' || fail "no spare again"
check "restore-state for it succeeds" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' restore-state pool1 '$T/p.state' >/dev/null"
check "... with a stub built for it, not a spare" bash -c "test -n \"\$('$HVSIMCTL' --rundir '$SIM' list | awk '\$2 ~ /^stubdm-spare-/')\" && grep -q 'guest \"pool1\".*building stub domain' '$T/stubdmd.log'"
check "... given the state" has_dev pool1 "restore=$SIM/qemu-resume.$pg"
check "which can then be saved" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' save-state pool1 '$T/p2.state' >/dev/null && grep -q 'of domain $pg' '$T/p2.state'"
done_testing
