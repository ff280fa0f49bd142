# SPDX-License-Identifier: GPL-2.0-only
# xl with libxl's own Linux stub domain built from the linux-qemu image
# (sourced by tests/xen/scenarios).  The test guest (tests/xen/guest)
# really boots: hvmloader, SeaBIOS, its boot code on its emulated disk,
# served by QEMU in libxl's stub.  Judged from dom0: its serial file, its
# disk image's bytes, a capture of its frame on xenbr0; QMP through
# libxl's vchan-socket-proxy (xl pause/unpause, xl qemu-monitor-command);
# the stub killed under a running guest: on_dm_death = crash-guest, seen
# by xl.  (A stub destroyed before its guest ran, rebuilt by stubdmd:
# 51-xl-rebuild.sh.)
# plan: 3

# xls_cfg NAME DISK MAC: the test guest's file (guest_cfg) with libxl's
# stub from the linux-qemu image (linux_qemu_stub).
xls_cfg() {
	guest_cfg "$1" "$2" "$3" | sed 's/^on_crash = .*/on_crash = "preserve"/'
	linux_qemu_stub
}
# What libxl's dom0 QEMU logs of the stub's console 0 (its kernel, init).
xls_console() {
	tail -n 40 "/var/log/xen/qemu-dm-$1.log" 2>/dev/null | sed "s/^/$1-dm: /"
}
mode_of() { stubdmctl list 2>/dev/null | awk -v n="$1" '$1 == n { print $4 }'; }
adopted() { [ "$(mode_of "$1")" = adopted ]; }
guest_proofs() { guest_served "$1" "$2" "$3" $SLOW; }

# A. xl create (no -p: xl unpauses the guest, which asks QEMU to
#    continue over QMP): the guest boots and its serial port, disk and
#    NIC are served by QEMU in libxl's stub.
SCEN_T0=$(now)
why=""
n1=$(nonce)
guest_disk /tmp/xls1.img "$n1" 0
xls_cfg xls1 /tmp/xls1.img 00:16:3e:5d:05:01 >/tmp/xls1.cfg
rm -f /tmp/xls1.serial
capture_start
if ! timeout $SLOW xl create /tmp/xls1.cfg >/tmp/xls1.out 2>&1; then
	why="xl create failed: $(grep error /tmp/xls1.out | head -n 2)"
	capture_stop
else
	echo "XENTEST: bench xl create with the linux-qemu stub: $(elapsed \
"$SCEN_T0") s"
	why=$(guest_proofs xls1 "$n1" 00:16:3e:5d:05:01)
fi
xls_console xls1
# xl destroy ends the stub before the guest: no device-model death.
if [ -z "$why" ]; then
	timeout 60 xl destroy xls1 2>/dev/null
	wait_for 30 log_has 'guest "xls1".*guest is gone' ||
	    why="stubdmd did not see xls1 go;"
	! log_has 'guest "xls1".*device model died' ||
	    why="$why xl destroy was taken for a device-model death;"
fi
result "$([ -z "$why" ]; echo $?)" "xl create with libxl's linux-qemu \
stub: the test guest boots from its disk; serial, disk and NIC served; \
xl destroy is no device-model death" "$why"
timeout 60 xl destroy xls1 2>/dev/null

# B. QMP through libxl's vchan-socket-proxy, on a guest that keeps
#    running (an empty disk: SeaBIOS finds nothing to boot and waits):
#    xl pause and unpause (QMP "cont"), xl qemu-monitor-command.
SCEN_T0=$(now)
why=""
dd if=/dev/zero of=/tmp/xls2.img bs=1M count=1 2>/dev/null
xls_cfg xls2 /tmp/xls2.img 00:16:3e:5d:05:02 >/tmp/xls2.cfg
if ! timeout $SLOW xl create /tmp/xls2.cfg >/tmp/xls2.out 2>&1; then
	why="xl create failed: $(grep error /tmp/xls2.out | head -n 2)"
else
	# stubdmd probes it through libxl's socket too (every 2 s, one
	# connection per probe): answered before and after xl's own QMP.
	xls_health() { stubdmctl status xls2 2>/dev/null | sed -n 's/^device model: //p'; }
	xls_ok() { [ "$(xls_health)" = ok ]; }
	wait_for 30 xls_ok || why="probe through libxl's socket: '$(xls_health)'"
	xl pause xls2
	is_paused xls2 || why="$why xl pause did not pause"
	timeout 60 xl unpause xls2 || why="$why xl unpause failed"
	not_paused xls2 || why="$why xl unpause did not unpause"
	v=$(timeout 60 xl qemu-monitor-command xls2 "info version" 2>&1)
	echo "xl qemu-monitor-command xls2 'info version': $v"
	echo "$v" | grep -q '^7\.2' || why="$why no QEMU version over QMP"
	timeout 60 xl cd-insert xls2 hdc /tmp/xls2.img >/tmp/xls2.cd 2>&1
	echo "XENTEST: info: xl cd-insert: rc $?: $(tr '\n' ' ' </tmp/xls2.cd)"
	sleep 5
	xls_ok || why="$why after xl's QMP: '$(xls_health)'"
	echo "XENTEST: info: xls2 probes through libxl's socket:" \
	    "$(grep -c '"xls2".*did not answer QMP' "$LOG") missed," \
	    "health $(xls_health)"
fi
xls_console xls2
result "$([ -z "$why" ]; echo $?)" "QMP to QEMU in libxl's stub: xl \
pause, unpause, qemu-monitor-command, with stubdmd's probes beside" "$why"

# C. The stub dies under the running guest: stubdmd (which adopted it)
#    applies on_dm_death = crash-guest; xl (on_crash = "preserve") shows
#    the guest crashed.
crashed() { xl_state xls2 | grep -q c; }
SCEN_T0=$(now)
why=""
if ! exists xls2-dm; then
	why="no xls2-dm"
elif ! wait_for 60 adopted xls2; then
	why="xls2's stub not adopted (mode '$(mode_of xls2)')"
else
	sleep 3	# the next scan sees a guest that has run
	xl destroy "$(domid xls2-dm)"
	wait_for 60 crashed || why="guest not crashed: '$(xl_state xls2)'"
	log_has "xls2.*device model died after the guest had run" ||
	    why="$why no dm-death log line"
	sleep 3
	exists xls2-dm && why="$why a stub was rebuilt"
fi
xl list
grep "xls2" "$LOG" | tail -n 4
result "$([ -z "$why" ]; echo $?)" "libxl's stub dies under the running \
guest: on_dm_death crash-guest, xl sees it crashed" "$why"
timeout 60 xl destroy xls2 || echo "XENTEST: xl destroy xls2 failed or hung"
