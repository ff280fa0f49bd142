# Own mode with devices: stubdmd reads the guest's PV disk backend that a
# toolstack wrote, libxl gives the stub the same disk (a qdisk served by a
# QEMU in dom0, the only disk backend a dom0 without hotplug scripts can
# serve), and the guest's QEMU gets libxl's -drive for it.  The test stub
# image (guests never*: never unpaused) stands in for QEMU.  Judged from
# dom0: xenstore's backends and frontends, the arguments, the dom0 QEMU.
# plan: 1

SCEN_T0=$(now)
why=""
gd=$(mkguest neverdev1)
# stubdmd reads a guest's devices when it builds its stub: this guest has
# none yet (mkguest writes none), so stop its stub, write them as a
# toolstack does, and start it again.
wait_for $SLOW stub_running neverdev1 "$gd" || why="no first stub"
stubdmctl stop neverdev1 >/dev/null 2>&1 || why="$why stop refused"
wait_for 60 gone neverdev1-dm || why="$why first stub not destroyed"
img=/tmp/neverdev1.img
dd if=/dev/zero of="$img" bs=1M count=8 2>/dev/null
back=/local/domain/0/backend/vbd/$gd/768
front=/local/domain/$gd/device/vbd/768
xenstore-write "$back/params" "aio:$img" "$back/type" qdisk \
    "$back/mode" w "$back/dev" hda "$back/device-type" disk \
    "$back/frontend" "$front" "$back/frontend-id" "$gd" \
    "$front/backend" "$back" "$front/backend-id" 0 \
    "$front/virtual-device" 768 "$front/state" 1
stubdmctl start neverdev1 >/dev/null 2>&1 || why="$why start refused"
if ! wait_for $SLOW stub_running neverdev1 "$gd"; then
	why="$why stub with the disk did not reach running"
	grep "neverdev1" "$LOG" | tail -n 5
else
	sd=$(domid neverdev1-dm)
	xenstore-ls -f "/local/domain/0/backend/qdisk/$sd" 2>/dev/null |
	    sed 's/^/stub-backend: /' | head -n 20
	[ "$(xenstore-read "/local/domain/0/backend/qdisk/$sd/768/params" \
	    2>/dev/null)" = "$img" ] ||
	    [ "$(xenstore-read "/local/domain/0/backend/qdisk/$sd/768/params" \
	    2>/dev/null)" = "aio:$img" ] ||
	    why="$why the stub has no qdisk backend for $img"
	xenstore-exists "/local/domain/$sd/device/vbd/768" ||
	    why="$why the stub has no vbd frontend 768"
	vm=$(xenstore-read "/local/domain/$gd/vm")
	args=""
	for k in $(xenstore-list "$vm/image/dm-argv"); do
		args="$args $(xenstore-read "$vm/image/dm-argv/$k")"
	done
	echo "neverdev1 dm-argv:$args"
	echo "$args " | grep -q -- " -drive file=/dev/xvda,if=ide,index=0,\
media=disk,format=host_device,cache=writeback " || why="$why no -drive"
	echo "$args " | grep -q -- " -net none " || why="$why no -net none"
	log_has "neverdev1.*building stub domain (.*1 disk, 0 NICs)" ||
	    why="$why build log line without its devices"
	ps | grep -v grep | grep -q "xen-domid $sd .*xen-attach\|xen-attach.*xen-domid $sd" ||
	    ps | grep -v grep | grep -q "qemu.*-xen-domid $sd" ||
	    why="$why no dom0 QEMU serving the stub's qdisk"
fi
result "$([ -z "$why" ]; echo $?)" "own mode: the stub gets the guest's \
disk through libxl (qdisk) and QEMU libxl's -drive for it" "$why"
mkguest --destroy "$gd" >/dev/null 2>&1
