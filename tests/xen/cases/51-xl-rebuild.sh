# SPDX-License-Identifier: GPL-2.0-only
# PENDING, not run (scenarios sources cases/*.sh only).  On 2026-12-02,
# on an idle machine, this failed: stubdmd rebuilt libxl's stub from the
# linux-qemu image (same kernel, arguments, disk, NIC, consoles), but the
# rebuilt stub's init never got past loading its PV front-ends (insmod
# xen-blkfront waits for the disk's back-end to connect): the disk's
# qdisk back-end in dom0 was apparently not served for the new stub, and
# start_timeout (4 min) ran out twice.  Needs: find who serves the
# rebuilt stub's qdisk back-end (libxl starts a dom0 QEMU for a PV
# domain's qdisk disks; check that the rebuild's libxl config gets one and
# that the old stub's QEMU released the image), then rename this file to
# .sh.  Uses 50-xl-stub.sh's helpers (xls_cfg, guest_proofs, adopted).
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
		capture_start
		mkguest --run "$g"
		why="$why$(guest_proofs xlr1 "$nr" 00:16:3e:5d:05:03)"
		adopted xlr1 || why="$why mode $(mode_of xlr1)"
	fi
fi
tail -n 30 /var/log/xen/console/guest-xlr1-dm.log 2>/dev/null |
    sed 's/^/xlr1-dm: /'
grep "xlr1" "$LOG" | tail -n 5
result "$([ -z "$why" ]; echo $?)" "libxl's stub destroyed before the \
guest ran: rebuilt with its consoles, the guest boots on it" "$why"
timeout 60 xl destroy xlr1 2>/dev/null
