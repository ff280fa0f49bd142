# SPDX-License-Identifier: GPL-2.0-only
# The test guest (tests/xen/guest) with its QEMU in dom0, as libxl runs
# it: xl create with hvmloader + SeaBIOS, an IDE disk (qdisk), an rtl8139
# NIC.  Each proof is judged from outside the guest: its COM1 file, its
# disk image's bytes, a capture of its frame on dom0's bridge, Xen's
# list once it has powered off.  Also prints the time from xl create to
# its first serial line and its disk benchmark with dom0 idle and loaded
# (bench_guest: XENTEST: bench guest dom0 ..., /tmp/bench.dom0, which
# cases/60-bench-guest.sh compares with the stubs').
# plan: 4

why_boot="" why_disk="" why_nic="" why_off=""
gn=$(nonce)
guest_disk /tmp/gd1.img "$gn" $BENCH_KIB 2
guest_cfg gd1 /tmp/gd1.img 00:16:3e:5d:00:01 >/tmp/gd1.cfg
rm -f /tmp/gd1.serial
capture_start
t=$(now)
if ! timeout 300 xl create /tmp/gd1.cfg >/tmp/gd1.out 2>&1; then
	why_boot="xl create failed (its output and QEMU's log above)"
	sed 's/^/xl: /' /tmp/gd1.out
	tail -n 30 /var/log/xen/qemu-dm-gd1.log 2>/dev/null |
	    sed 's/^/qemu-dm: /'
else
	echo "XENTEST: info: xl create of gd1 returned after $(elapsed "$t") s"
	bench_guest dom0 gd1 "$t"
	if ! serial_has /tmp/gd1.serial "GUEST: hello"; then
		why_boot="no 'GUEST: hello' on its serial port"
	else
		wait_for 120 serial_has /tmp/gd1.serial "GUEST: done" ||
		    why_boot="the guest did not reach its end"
		serial_has /tmp/gd1.serial "GUEST: nonce $gn" ||
		    why_boot="$why_boot its nonce line is not $gn"
	fi
fi
tr -d '\r' </tmp/gd1.serial 2>/dev/null | sed 's/^/gd1 serial: /'
xl dmesg 2>/dev/null | grep '(d[0-9]*)' | tail -n 8 | sed 's/^/xl dmesg: /'
result "$([ -z "$why_boot" ]; echo $?)" "QEMU in dom0: the test guest boots \
(hvmloader, SeaBIOS, its boot sector) and prints on its serial port" \
    "$why_boot"

m=$(disk_marker /tmp/gd1.img)
[ "$m" = "STUBDM-GUEST-WROTE-$gn" ] ||
    why_disk="sector 17 of its disk holds '$m'"
serial_has /tmp/gd1.serial "GUEST: disk write+read ok" ||
    why_disk="$why_disk; the guest did not read back what it wrote"
result "$([ -z "$why_disk" ]; echo $?)" "QEMU in dom0: the test guest \
writes its disk (the marker with its nonce is in the image) and reads it \
back" "$why_disk"

# The frame leaves the guest before its end; give the capture a moment.
sleep 1
capture_stop
sed 's/^/capture: /' /tmp/frames | head -n 6
grep -q "STUBDM-GUEST-FRAME-$gn" /tmp/frames ||
    why_nic="no frame with its nonce on xenbr0 ($(tail -n 1 \
    /tmp/frames.err))"
grep -q "00:16:3e:5d:00:01 > ff:ff:ff:ff:ff:ff, ethertype Unknown (0x88b5)" \
    /tmp/frames || why_nic="$why_nic; not from its MAC, broadcast, 0x88b5"
result "$([ -z "$why_nic" ]; echo $?)" "QEMU in dom0: the test guest's \
rtl8139 frame (broadcast, 0x88b5, its nonce) reaches dom0's bridge" \
    "$why_nic"

wait_for 60 gone gd1 ||
    why_off="still in xl list after its ACPI power-off: $(xl list gd1 |
    tail -n 1)"
result "$([ -z "$why_off" ]; echo $?)" "QEMU in dom0: the test guest powers \
off (ACPI) and the domain goes" "$why_off"
timeout 60 xl destroy gd1 2>/dev/null
