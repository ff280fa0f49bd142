# xl with libxl's own Linux stub domain built from the linux-qemu image
# (sourced by tests/xen/scenarios).  The guest really boots: hvmloader,
# SeaBIOS, a boot sector on its emulated disk (tests/xen/xlstub-boot.asm)
# that prints on its serial port and writes its disk.  Judged from dom0:
# the serial file, the disk image's bytes, SeaBIOS's lines in xl dmesg,
# dom0's side of the stub's NIC; QMP through libxl's vchan-socket-proxy
# (xl unpause, xl qemu-monitor-command); then the stub dies under the
# running guest: on_dm_death = crash-guest, seen by xl; and a stub that
# dies before its guest ran is rebuilt by stubdmd with libxl's consoles
# and QMP, and the guest boots on the rebuilt stub.
# plan: 4

# xls_cfg NAME MAC-BYTE: a guest file for xl; its disk is /tmp/NAME.img
# (the boot sector, then zeros), its serial port the file /tmp/NAME.serial.
xls_cfg() {
	dd if=/dev/zero of="/tmp/$1.img" bs=1024 count=1024 2>/dev/null
	dd if=/test/xlstub-boot.bin of="/tmp/$1.img" conv=notrunc 2>/dev/null
	: >"/tmp/$1.serial"
	cat <<EOC
name = "$1"
type = "hvm"
memory = 64
vcpus = 1
vga = "none"
vnc = 0
boot = "c"
on_crash = "preserve"
device_model_version = "qemu-xen"
device_model_stubdomain_override = 1
stubdomain_kernel = "/test/qemu-stubdom-linux-kernel"
stubdomain_ramdisk = "/test/qemu-stubdom-linux-rootfs"
stubdomain_memory = 256
stubdomain_cmdline = "console=hvc0 quiet"
disk = [ "format=raw,vdev=hda,access=rw,backendtype=qdisk,target=/tmp/$1.img" ]
vif = [ "mac=00:16:3e:00:05:$2,bridge=xenbr0,script=/etc/xen/scripts/vif-test" ]
serial = "file:/tmp/$1.serial"
EOC
}
# What libxl's dom0 QEMU logs of the stub's console 0 (its kernel, init).
xls_console() {
	tail -n 200 "/var/log/xen/qemu-dm-$1.log" 2>/dev/null | sed "s/^/$1-dm: /"
}
serial_has() { grep -q "$2" "/tmp/$1.serial"; }
disk_written() {
	dd if="/tmp/$1.img" bs=512 skip=1 count=1 2>/dev/null |
	    grep -q XLSTUB-DISK-WRITTEN
}
booted_from_disk() {
	xl dmesg | grep -q "(d$1).*Booting from Hard Disk"
}

# A. xl create (no -p: xl unpauses the guest, which asks QEMU to
#    continue over QMP): the guest boots and its serial port, disk and
#    NIC are served by QEMU in libxl's stub.
SCEN_T0=$(now)
why=""
xls_cfg xls1 51 >/tmp/xls1.cfg
if ! timeout $SLOW xl create /tmp/xls1.cfg >/tmp/xls1.out 2>&1; then
	why="xl create failed: $(tail -n 5 /tmp/xls1.out | tr '\n' ' ')"
	cat /tmp/xls1.out
else
	g=$(domid xls1)
	s=$(domid xls1-dm)
	echo "XENTEST: bench xl create with the linux-qemu stub: $(elapsed \
"$SCEN_T0") s"
	wait_for $SLOW serial_has xls1 "guest boot sector runs" ||
	    why="nothing on the guest's serial port"
	wait_for 30 disk_written xls1 || why="$why the disk was not written"
	booted_from_disk "$g" || why="$why no 'Booting from Hard Disk' (d$g)"
	not_paused xls1 || why="$why guest still paused"
	# The stub's NIC in dom0 (netback's vif<stub>.0) is up in the
	# bridge, and the stub bridged it to QEMU's tap.
	[ -e "/sys/class/net/xenbr0/brif/vif$s.0" ] ||
	    why="$why vif$s.0 not in xenbr0"
	grep -q "STUB: NIC 0: .* bridged to" "/var/log/xen/qemu-dm-xls1.log" ||
	    why="$why the stub did not bridge its NIC"
	echo "serial:"; sed 's/^/xls1 serial: /' /tmp/xls1.serial
	xl dmesg | grep "(d$g)" | tail -n 5
fi
xls_console xls1
result "$([ -z "$why" ]; echo $?)" "xl create with libxl's linux-qemu \
stub: the guest boots, serial, disk and NIC served" "$why"

# B. QMP through libxl's vchan-socket-proxy: xl pause/unpause (QMP
#    "stop"/"cont") and xl qemu-monitor-command reach QEMU in the stub.
#    xl cd-insert is refused by libxl itself for any stub domain.
SCEN_T0=$(now)
why=""
if ! exists xls1; then
	why="no xls1"
else
	xl pause xls1
	is_paused xls1 || why="xl pause did not pause"
	timeout 60 xl unpause xls1 || why="$why xl unpause failed"
	not_paused xls1 || why="$why xl unpause did not unpause"
	v=$(timeout 60 xl qemu-monitor-command xls1 "info version" 2>&1)
	echo "xl qemu-monitor-command xls1 'info version': $v"
	echo "$v" | grep -q '^7\.2' || why="$why no QEMU version over QMP"
	timeout 60 xl cd-insert xls1 hdc /tmp/xls1.img >/tmp/xls1.cd 2>&1
	echo "XENTEST: info: xl cd-insert: rc $?: $(tr '\n' ' ' </tmp/xls1.cd)"
fi
result "$([ -z "$why" ]; echo $?)" "QMP to QEMU in libxl's stub: xl \
unpause, xl qemu-monitor-command" "$why"

# C. The stub dies under the running guest: stubdmd (which adopted it)
#    applies on_dm_death = crash-guest; xl (on_crash = "preserve") shows
#    the guest crashed.
crashed() { xl_state xls1 | grep -q c; }
adopted() { [ "$(mode_of "$1")" = adopted ]; }
mode_of() { stubdmctl list 2>/dev/null | awk -v n="$1" '$1 == n { print $4 }'; }
SCEN_T0=$(now)
why=""
if ! exists xls1-dm; then
	why="no xls1-dm"
elif ! wait_for 60 adopted xls1; then
	why="xls1's stub not adopted (mode '$(mode_of xls1)')"
else
	sleep 3	# the next scan sees a guest that has run
	xl destroy "$(domid xls1-dm)"
	wait_for 60 crashed || why="guest not crashed: '$(xl_state xls1)'"
	log_has "xls1.*device model died after the guest had run" ||
	    why="$why no dm-death log line"
	sleep 3
	exists xls1-dm && why="$why a stub was rebuilt"
fi
xl list
grep "xls1" "$LOG" | tail -n 4
result "$([ -z "$why" ]; echo $?)" "libxl's stub dies under the running \
guest: on_dm_death crash-guest, xl sees it crashed" "$why"
timeout 60 xl destroy xls1 || echo "XENTEST: xl destroy xls1 failed or hung"

# D. xl create -p: libxl's stub is adopted, then destroyed before the
#    guest ran: stubdmd rebuilds it with libxl's consoles (the serial
#    port) and QMP proxy; xl unpause (QMP "cont" to the new stub's QEMU)
#    and the guest boots served by the rebuilt stub.
SCEN_T0=$(now)
why=""
xls_cfg xlr1 52 >/tmp/xlr1.cfg
if ! timeout $SLOW xl create -p /tmp/xlr1.cfg >/tmp/xlr1.out 2>&1; then
	why="xl create -p failed: $(tail -n 5 /tmp/xlr1.out | tr '\n' ' ')"
elif ! wait_for 60 adopted xlr1; then
	why="xlr1's stub not adopted (mode '$(mode_of xlr1)')"
else
	old=$(domid xlr1-dm)
	g=$(domid xlr1)
	xl destroy "$old"
	new_stub() { s=$(domid xlr1-dm); [ -n "$s" ] && [ "$s" != "$old" ]; }
	if ! wait_for $SLOW new_stub || ! wait_for $SLOW stub_running xlr1 "$g"
	then
		why="no rebuilt stub reached running"
	else
		s=$(domid xlr1-dm)
		echo "XENTEST: bench xl stub rebuilt: $(elapsed "$SCEN_T0") s"
		xenstore-ls "/local/domain/$s/device/console" 2>&1 | head -n 20
		is_paused xlr1 || why="guest unpaused before xl unpause"
		timeout 60 xl unpause xlr1 || why="$why xl unpause failed"
		wait_for $SLOW serial_has xlr1 "guest boot sector runs" ||
		    why="$why nothing on the guest's serial port"
		wait_for 30 disk_written xlr1 ||
		    why="$why the disk was not written"
		booted_from_disk "$g" || why="$why no 'Booting from Hard Disk'"
		[ -e "/sys/class/net/xenbr0/brif/vif$s.0" ] ||
		    why="$why vif$s.0 not in xenbr0"
		grep -q "STUB: NIC 0: .* bridged to" \
		    "/var/log/xen/console/guest-xlr1-dm.log" ||
		    why="$why the rebuilt stub did not bridge its NIC"
		adopted xlr1 || why="$why mode $(mode_of xlr1)"
		sed 's/^/xlr1 serial: /' /tmp/xlr1.serial
	fi
fi
tail -n 40 /var/log/xen/console/guest-xlr1-dm.log 2>/dev/null |
    sed 's/^/xlr1-dm: /'
grep "xlr1" "$LOG" | tail -n 5
result "$([ -z "$why" ]; echo $?)" "libxl's stub destroyed before the \
guest ran: rebuilt with consoles and QMP, the guest boots on it" "$why"
timeout 60 xl destroy xlr1 || echo "XENTEST: xl destroy xlr1 failed or hung"
