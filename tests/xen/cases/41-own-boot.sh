# SPDX-License-Identifier: GPL-2.0-only
# PENDING, not run (scenarios sources cases/*.sh only): on 2026-12-02 the
# stub's QEMU stopped at "(XEN) d6v0 Over-allocation for d5: 16641 >
# 16640": mkguest --firmware gives the guest a maximum of its memory plus
# 1 MiB, and QEMU in the stub (-vga std, the rtl8139's ROM) needs more;
# libxl adds the video memory (8 or 16 MiB) to an HVM guest's maximum.
# Rename to 41-own-boot.sh once mkguest does the same.
# Own mode, a guest that boots: mkguest --firmware --disk --nic builds
# the test guest with no libxl (hvmloader, SeaBIOS, its disk and NIC
# entries where libxl writes them, in the transaction that names it);
# stubdmd builds its stub from the linux-qemu image (guests qemu*) with
# that disk and NIC, unpauses it once QEMU runs, and the guest boots from
# its disk through the stub.  Judged from dom0: the marker the guest
# writes to sector 17 of its disk image, its frame captured on xenbr0.
# (Its serial port is not served: stubdmd gives its own stubs no serial
# consoles.)
# plan: 1

SCEN_T0=$(now)
why=""
on=$(nonce)
omac=00:16:3e:5d:00:21
guest_disk /tmp/ob1.img "$on" 0
capture_start
if ! og=$(mkguest --firmware --mem 64 --disk /tmp/ob1.img --nic $omac \
    qemuob1 2>/tmp/ob1.err); then
	why="mkguest failed: $(cat /tmp/ob1.err)"
else
	wait_for $((SLOW * 2)) stub_running qemuob1 "$og" ||
	    why="its stub did not reach running"
	wait_for 60 not_paused qemuob1 || why="$why guest not unpaused"
	wrote() { [ "$(disk_marker /tmp/ob1.img)" = "STUBDM-GUEST-WROTE-$on" ]; }
	wait_for 300 wrote ||
	    why="$why sector 17 holds '$(disk_marker /tmp/ob1.img)'"
	sent() { grep -q "STUBDM-GUEST-FRAME-$on" /tmp/frames; }
	wait_for 60 sent || why="$why no frame from the guest on xenbr0"
	grep "qemuob1" "$LOG" | tail -n 6 | sed 's/^/log: /'
	tail -n 30 /var/log/xen/console/guest-qemuob1-dm.log 2>/dev/null |
	    sed 's/^/qemuob1-dm: /'
	xl dmesg 2>/dev/null | grep "(d$og)" | tail -n 6 | sed 's/^/xl dmesg: /'
	mkguest --destroy "$og" >/dev/null 2>&1
fi
capture_stop
sed 's/^/capture: /' /tmp/frames | head -n 4
result "$([ -z "$why" ]; echo $?)" "own mode: a guest built without libxl \
boots through stubdmd's linux-qemu stub, its disk and NIC served" "$why"
