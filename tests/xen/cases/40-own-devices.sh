# SPDX-License-Identifier: GPL-2.0-only
# Own mode with devices: stubdmd reads the guest's PV disk and NIC
# backends that a toolstack wrote; libxl gives the stub the same disk (a
# qdisk served by a QEMU in dom0, the only disk backend a dom0 without
# blkback hotplug scripts can serve) and a vif of the same MAC (netback,
# the test's vif script puts it in xenbr0); the guest's QEMU gets libxl's
# -drive, -device and -netdev for them.  The test stub image (guests
# never*: never unpaused) stands in for QEMU.  Judged from dom0:
# xenstore's backends, the arguments, the dom0 QEMU, the bridge.
# plan: 2

# own_devices_check STUB GUEST: what is wrong with the stub's devices and
# the guest's arguments, appended to $why.
own_devices_check() {
	xenstore-ls -f "/local/domain/0/backend/qdisk/$1" 2>/dev/null |
	    sed 's/^/stub-backend: /' | head -n 12
	p=$(xenstore-read "/local/domain/0/backend/qdisk/$1/768/params" \
	    2>/dev/null)
	[ "$p" = "$img" ] || [ "$p" = "aio:$img" ] ||
	    why="$why stub $1 has no qdisk backend for $img"
	xenstore-exists "/local/domain/$1/device/vbd/768" ||
	    why="$why stub $1 has no vbd frontend 768"
	ps | grep -v grep | grep -Eq "xen-domid $1 .*xen-attach|qemu.*-xen-domid $1 " ||
	    why="$why no dom0 QEMU serving stub $1's qdisk"
	xenstore-ls -f "/local/domain/0/backend/vif/$1" 2>/dev/null |
	    sed 's/^/stub-vif: /' | head -n 12
	[ "$(xenstore-read "/local/domain/0/backend/vif/$1/0/mac" \
	    2>/dev/null)" = "$mac" ] || why="$why stub $1 has no vif of $mac"
	[ "$(xenstore-read "/local/domain/0/backend/vif/$1/0/hotplug-status" \
	    2>/dev/null)" = connected ] || why="$why stub $1's vif not connected"
	[ -e "/sys/class/net/xenbr0/brif/vif$1.0" ] ||
	    why="$why vif$1.0 is not in xenbr0"
	vm=$(xenstore-read "/local/domain/$2/vm")
	args=""
	for k in $(xenstore-list "$vm/image/dm-argv"); do
		args="$args $(xenstore-read "$vm/image/dm-argv/$k")"
	done
	echo "neverdev1 dm-argv (stub $1):$args"
	echo "$args " | grep -q -- " -drive file=/dev/xvda,if=ide,index=0,\
media=disk,format=host_device,cache=writeback " || why="$why no -drive"
	echo "$args " | grep -q -- " -device rtl8139,id=nic0,netdev=net0,\
mac=$mac " || why="$why no -device rtl8139"
	echo "$args " | grep -q -- " -netdev type=tap,id=net0,\
ifname=vif$2.0-emu,br=xenbr0,script=no,downscript=no " ||
	    why="$why no -netdev"
	echo "$args " | grep -q -- " -net none " && why="$why -net none"
}

# 1. The guest's devices, written as a toolstack writes them, reach the
#    stub and its QEMU's arguments.
SCEN_T0=$(now)
why=""
sd=""
gd=$(mkguest neverdev1)
# stubdmd reads a guest's devices when it builds its stub: this guest has
# none yet (mkguest writes none), so stop its stub, write them as a
# toolstack does, and start it again.
wait_for $SLOW stub_running neverdev1 "$gd" || why="no first stub"
stubdmctl stop neverdev1 >/dev/null 2>&1 || why="$why stop refused"
wait_for 60 gone neverdev1-dm || why="$why first stub not destroyed"
img=/tmp/neverdev1.img
dd if=/dev/zero of="$img" bs=1M count=8 2>/dev/null
back=/local/domain/0/backend/qdisk/$gd/768
front=/local/domain/$gd/device/vbd/768
xenstore-write "$back/params" "aio:$img" "$back/type" qdisk \
    "$back/mode" w "$back/dev" hda "$back/device-type" disk \
    "$back/frontend" "$front" "$back/frontend-id" "$gd" \
    "$front/backend" "$back" "$front/backend-id" 0 \
    "$front/virtual-device" 768 "$front/state" 1
mac=00:16:3e:5d:00:01
vback=/local/domain/0/backend/vif/$gd/0
vfront=/local/domain/$gd/device/vif/0
xenstore-write "$vback/mac" "$mac" "$vback/bridge" xenbr0 \
    "$vback/script" /test/vif-test "$vback/type" vif_ioemu \
    "$vback/handle" 0 "$vback/frontend" "$vfront" "$vback/frontend-id" "$gd" \
    "$vfront/backend" "$vback" "$vfront/backend-id" 0 "$vfront/handle" 0 \
    "$vfront/mac" "$mac" "$vfront/state" 1
stubdmctl start neverdev1 >/dev/null 2>&1 || why="$why start refused"
if ! wait_for $SLOW stub_running neverdev1 "$gd"; then
	why="$why stub with the devices did not reach running"
	grep "neverdev1" "$LOG" | tail -n 5
else
	sd=$(domid neverdev1-dm)
	own_devices_check "$sd" "$gd"
	log_has "neverdev1.*building stub domain (.*1 disk, 1 NIC)" ||
	    why="$why build log line without its devices"
fi
result "$([ -z "$why" ]; echo $?)" "own mode: the stub gets the guest's \
disk (qdisk) and NIC (vif) through libxl, QEMU libxl's arguments" "$why"

# 2. That stub destroyed while its guest has never run: the rebuilt stub
#    gets the same devices again.
SCEN_T0=$(now)
why=""
new_stub() {
	s=$(domid neverdev1-dm)
	[ -n "$s" ] && [ "$s" != "$sd" ] && stub_running neverdev1 "$gd"
}
if [ -z "$sd" ]; then
	why="no stub with devices to destroy"
else
	xl destroy "$sd"
	if ! wait_for $SLOW new_stub; then
		why="no rebuilt stub reached running"
		grep "neverdev1" "$LOG" | tail -n 5
	else
		sd2=$(domid neverdev1-dm)
		own_devices_check "$sd2" "$gd"
		[ "$(grep -c "neverdev1.*building stub domain (.*1 disk, 1 NIC)" \
		    "$LOG")" -ge 2 ] || why="$why no second build with them"
	fi
fi
result "$([ -z "$why" ]; echo $?)" "own mode: a rebuilt stub gets the \
guest's disk and NIC again" "$why"
mkguest --destroy "$gd" >/dev/null 2>&1
