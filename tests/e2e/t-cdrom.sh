#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# CD-ROM media changed at run time (CdInsert, CdEject; stubdmctl cd-insert
# and cd-eject in xl's argument order): the ISO goes to the running stub
# as a read-only PV CD-ROM (xvdzc for hdc), then QEMU in the stub is told
# over QMP (blockdev-change-medium on ide-5632, the simulated QEMU opens
# only a disk the stub has); an eject is QMP's eject, then the disk goes.
# Refused: an unprivileged user, an adopted (xl's) guest, a bad path, an
# unknown drive.  A device model that answers the change with an error
# or never answers: the half-done insert is undone, the daemon and the
# probe live on, and nothing is counted as the device model hanging.  A
# daemon restarted while a medium is in finds it on the stub.
. "$TOP/tests/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv (util-linux) missing"; exit 77; }
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
stat_of() { ctl --json stats | tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
cdroms() { ctl --json status "$1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["guest"]["cdroms"]))'; }
cdvbd() {	# DEVID VDEV PARAMS: a CD-ROM drive's vbd backend, read-only
	local p="dev=vbd/$1"
	echo "$p/params=$3 $p/type=phy $p/mode=r $p/dev=$2 $p/device-type=cdrom"
}
hvsim_start
write_policy <<'P'
dm_probe_interval = 300ms
dm_probe_timeout = 200ms
dm_probe_misses = 3
P
stubdmd_start
chmod 0755 "$T"
chmod 0666 "$T/ctl.sock"
iso=$T/debian.iso
head -c 65536 /dev/zero >"$iso"
chmod 0644 "$iso"
# shellcheck disable=SC2046
hvsimctl create-hvm cd1 $(cdvbd 5632 hdc '') >/dev/null || fail "create-hvm cd1"
hvsimctl create-hvm plain1 >/dev/null
: >"$T/stub-kernel"
hvsimctl xl-create xlcd1 kernel="$T/stub-kernel" stubmem=96 mem=512 >/dev/null
wait_gstate cd1 running
wait_gstate plain1 running
wait_gstate xlcd1 running
wait_until 10 'test "$(stat_of dm_probes)" -ge 6' || fail "no probes"
stub=$(stub_of cd1)

# Insert, as root.
check "cd-insert succeeds" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' >'$T/ins.out' 2>&1"
check "... and says so" grep -qxF "cd1 hdc: $iso inserted" "$T/ins.out"
check "the stub got the ISO as a read-only PV CD-ROM xvdzc (qdisk serves no read-only disk)" \
	has_dev cd1 "vbd=$(( (1 << 28) | (678 << 8) )),0,xvdzc,phy,r,cdrom,raw,$iso"
check "QEMU was told: blockdev-change-medium of ide-5632, that disk" \
	bash -c "'$HVSIMCTL' --rundir '$SIM' qmp-log $stub | grep -qxF 'change ide-5632 /dev/xvdzc host_device read-only'"
check "status shows the medium" test "$(cdroms cd1)" = "[{\"device\": \"hdc\", \"medium\": \"$iso\"}]"
check "stubdmctl status prints it" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' status cd1 | grep -qxF 'cdrom hdc: $iso'"
check "logged, naming the guest" grep -q "guest \"cd1\".*CD-ROM $iso: inserted" "$T/stubdmd.log"
check "a second insert is refused: eject first" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' 2>&1 | grep -q 'eject it first'"

# Refusals.
check "uid 65534: cd-insert refused" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' 2>&1 | grep -q PermissionDenied"
check "uid 65534: cd-eject refused" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$T/ctl.sock' cd-eject cd1 hdc 2>&1 | grep -q PermissionDenied"
check "... the medium stays" test "$(cdroms cd1)" = "[{\"device\": \"hdc\", \"medium\": \"$iso\"}]"
check "an adopted guest: refused, naming xl/libxl" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert xlcd1 hdc '$iso' 2>&1 | grep -q 'MediaUnsupported.*libxl'"
check "a relative path: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-eject cd1 hdc >/dev/null; '$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc debian.iso 2>&1 | grep -q 'InvalidMedium.*not an absolute path'"
check "a path with a space: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '/tmp/a b.iso' 2>&1 | grep -q InvalidMedium"
check "a missing file: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$T/none.iso' 2>&1 | grep -q 'InvalidMedium.*No such file'"
check "a directory: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$T' 2>&1 | grep -q 'InvalidMedium.*not a regular file'"
check "an unknown drive: refused, the drives named" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdd '$iso' 2>&1 | grep -q 'NoSuchDrive.*it has: hdc'"
check "a guest with no CD-ROM drive: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-eject plain1 hdc 2>&1 | grep -q 'NoSuchDrive.*none'"
check "an unknown guest: refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-eject nosuch hdc 2>&1 | grep -q NoSuchGuest"
check "nothing was inserted by the refusals" test "$(cdroms cd1)" = '[{"device": "hdc", "medium": null}]'

# Eject (done by the relative-path check above): QMP, then the disk goes.
check "QEMU was told: eject ide-5632" \
	bash -c "'$HVSIMCTL' --rundir '$SIM' qmp-log $stub | tail -n 1 | grep -qxF 'eject ide-5632'"
check "the stub lost the ISO's disk" lacks_dev cd1 "vbd=$(( (1 << 28) | (678 << 8) )),0,xvdzc,phy,r,disk,raw,$iso"
check "an empty drive: eject refused" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-eject cd1 hdc 2>&1 | grep -q 'holds no medium'"
check "cd-insert again, then cd-eject with its own words" bash -c \
	"'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' >/dev/null && '$STUBDMCTL' -S '$T/ctl.sock' cd-eject cd1 hdc | grep -qxF 'cd1 hdc: ejected'"

# A device model that answers the change with an error: undone.
misses=$(stat_of dm_probe_misses)
hvsimctl qmp "$stub" cd-error >/dev/null
check "an error answer: MediaChangeFailed with QEMU's words" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' 2>&1 | grep -q 'MediaChangeFailed.*GenericError: injected failure'"
check "... the half-done insert undone: the stub has no ISO disk" bash -c "! '$HVSIMCTL' --rundir '$SIM' devices $stub | grep -q xvdzc"
check "... no medium shown" test "$(cdroms cd1)" = '[{"device": "hdc", "medium": null}]'

# One that never answers: the call times out (10 s), the connection is
# opened afresh, the probe goes on; no miss is counted for the CD's time.
hvsimctl qmp "$stub" cd-hang >/dev/null
served=$(hvsimctl qmp-served "$stub")
t0=$(date +%s)
check "no answer: DeviceModelNotAnswering" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' 2>&1 | grep -q 'DeviceModelNotAnswering'"
note "the unanswered change failed after $(( $(date +%s) - t0 )) s"
check "... undone" bash -c "! '$HVSIMCTL' --rundir '$SIM' devices $stub | grep -q xvdzc"
check "... a new QMP connection" test "$(hvsimctl qmp-served "$stub")" -gt "$served"
wait_until 5 'test "$(stat_of dm_probes)" -gt 0' || true
sleep 1
check "... no probe missed meanwhile" test "$(stat_of dm_probe_misses)" = "$misses"
check "... the guest runs on, its device model ok" bash -c "test \"\$('$STUBDMCTL' -S '$T/ctl.sock' --json status cd1 | python3 -c 'import json,sys; g=json.load(sys.stdin)[\"guest\"]; print(g[\"state\"], g[\"dm_health\"])')\" = 'running ok'"
check "... the same stub" test "$(stub_of cd1)" = "$stub"
hvsimctl qmp "$stub" ok >/dev/null
check "it answers again: insert works" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' >/dev/null"

# The daemon restarted while the medium is in: it finds the medium on its
# stub (xvdzc) at its first change, and the eject takes the disk back.
stubdmd_stop
stubdmd_start
wait_until 10 'ctl --json status cd1 | grep -q "\"dm_health\": \"ok\""' ||
	fail "cd1's device model not probed after the restart"
check "restarted: the stub kept the ISO's disk" has_dev cd1 "vbd=$(( (1 << 28) | (678 << 8) )),0,xvdzc,phy,r,cdrom,raw,$iso"
check "restarted: cd-eject of the medium inserted before works" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-eject cd1 hdc | grep -qxF 'cd1 hdc: ejected'"
check "... logged as found on the stub" grep -q "guest \"cd1\".*CD-ROM hdc holds $iso (given to its stub as xvdzc before)" "$T/stubdmd.log"
check "... the stub lost the ISO's disk" bash -c "! '$HVSIMCTL' --rundir '$SIM' devices $stub | grep -q xvdzc"
check "... the drive is empty" test "$(cdroms cd1)" = '[{"device": "hdc", "medium": null}]'
check "... an insert works again" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-insert cd1 hdc '$iso' >/dev/null"
misses=$(stat_of dm_probe_misses)

# A hung device model: no change is sent to it.
hvsimctl qmp "$stub" hang >/dev/null
wait_until 10 'test "$(stat_of dm_probe_misses)" -gt "$misses"' || fail "no miss"
check "a device model missing probes: refused, nothing sent" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' cd-eject cd1 hdc 2>&1 | grep -qE 'DeviceModelNotAnswering|NotRunning'"
check "the daemon lives on" ctl list
note "qmp-log of the stub: $(hvsimctl qmp-log "$stub" | tr '\n' ';')"
stubdmd_stop
done_testing
