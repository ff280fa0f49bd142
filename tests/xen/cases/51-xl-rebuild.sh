# SPDX-License-Identifier: GPL-2.0-only
# A libxl stub rebuilt by stubdmd serves its guest (uses 50-xl-stub.sh's
# helpers: xls_cfg, guest_proofs, adopted).  The rebuilt stub gets the
# guest's disks from libxl's device list, whose qdisk format stubdmd reads
# back from the guest's backend (libxl's list leaves it unknown, and the
# new stub's back-end would be "(null):PATH", which no QEMU opens), and
# libxl's consoles for its serial ports (stubdmd/xlstub.c).
# plan: 1

# D. xl create -p: libxl's stub is adopted, then destroyed before the
#    guest ran: stubdmd rebuilds it with libxl's consoles (the serial
#    port); the guest boots, served by the rebuilt stub.  It is unpaused
#    with the bare hypercall (mkguest --run): xl unpause first asks QEMU
#    to continue over QMP, and a rebuilt stub has no QMP proxy in dom0
#    (libxl's died with the old stub; stubdmd starts no programs).
SCEN_T0=$(now)
why=""
nr=$(nonce)
guest_disk /tmp/xlr1.img "$nr" 0
xls_cfg xlr1 /tmp/xlr1.img 00:16:3e:5d:05:03 >/tmp/xlr1.cfg
rm -f /tmp/xlr1.serial
if ! timeout $SLOW xl create -p /tmp/xlr1.cfg >/tmp/xlr1.out 2>&1; then
	why="xl create -p failed: $(grep error /tmp/xlr1.out | head -n 2)"
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
		echo "XENTEST: bench xl stub rebuilt: $(elapsed "$SCEN_T0") s"
		xenstore-ls "/local/domain/$(domid xlr1-dm)/device/console" |
		    head -n 12
		is_paused xlr1 || why="guest unpaused before xl unpause"
		adopted xlr1 || why="$why mode $(mode_of xlr1), not adopted;"
		capture_start
		mkguest --run "$g"
		why="$why$(guest_proofs xlr1 "$nr" 00:16:3e:5d:05:03)"
	fi
fi
tail -n 30 /var/log/xen/console/guest-xlr1-dm.log 2>/dev/null |
    sed 's/^/xlr1-dm: /'
if [ -n "$why" ]; then
	# Who serves the rebuilt stub's disk: its qdisk back-end, the dom0
	# QEMUs, what they logged.
	s=$(domid xlr1-dm)
	xenstore-ls -f "/local/domain/0/backend/qdisk/$s" 2>&1 | head -n 20 |
	    sed 's/^/xs: /'
	xenstore-ls -f "/local/domain/$s/device/vbd" 2>&1 | head -n 10 |
	    sed 's/^/xs: /'
	ps -eo pid,args | grep '[q]emu-system' | cut -c1-200 |
	    sed 's/^/ps: /'
	for f in /var/log/xen/qemu-dm-xlr1-dm.log*; do
		tail -n 15 "$f" 2>/dev/null | sed "s|^|$f: |"
	done
fi
grep "xlr1" "$LOG" | tail -n 5
result "$([ -z "$why" ]; echo $?)" "libxl's stub destroyed before the \
guest ran: rebuilt by stubdmd, the guest boots on it; serial, disk and \
NIC served" "$why"
timeout 60 xl destroy xlr1 2>/dev/null
