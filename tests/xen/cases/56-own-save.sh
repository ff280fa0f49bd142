# SPDX-License-Identifier: GPL-2.0-only
# Own mode: the device state of a guest whose stub stubdmd built, saved
# and restored with stubdmctl save-state and restore-state (stubdmd(8),
# SAVE AND RESTORE).  The test guest in counter mode (guest/counter.inc)
# boots through stubdmd's linux-qemu stub (policy.ini, guests qemuos*)
# and counts on COM1 about every second, writes the count to sector 18
# and sends a frame with it every 5 counts through its rtl8139.  Paused
# (mkguest --pause: the bare hypercall, as a toolstack), its device state
# is saved to a file (QMP xen-save-devices-state over the stub's console
# 1), then restored: stubdmd destroys the stub and builds a new one whose
# QEMU loads that file from console 2 (-incoming).  The guest's memory
# stays in place: mkguest cannot save or restore memory, so that half is
# the toolstack's and untested here.  Unpaused, the guest counts on where
# it stopped (a fresh QEMU would have reset the NIC: no frame), its disk
# still served, a frame after; no device-model death, one stub.
# plan: 1

os_counts() {
	tr -d '\r' <"$1" 2>/dev/null | sed -n 's/^GUEST: count \([0-9]*\)$/\1/p'
}
os_last() { os_counts "$1" | tail -n 1; }
os_first() { os_counts "$1" | head -n 1; }
os_counted() { [ "$(os_last "$1")" -ge "$2" ] 2>/dev/null; }
os_sector() { dd if="$1" bs=512 skip=18 count=1 2>/dev/null | tr -d '\0\n'; }
os_disk_past() {	# IMG NONCE N: the sector holds a count above N
	v=$(os_sector "$1")
	[ "${v% *}" = "STUBDM-GUEST-COUNT-$2" ] && [ "${v##* }" -gt "$3" ]
}
os_frame_past() {	# NONCE N: a captured count frame above N
	sed -n "s/.*STUBDM-GUEST-COUNT-$1-\([0-9]*\).*/\1/p" /tmp/frames |
	    awk -v n="$2" '$1 > n { f = 1 } END { exit !f }'
}
os_health() { stubdmctl status "$1" 2>/dev/null | sed -n 's/^device model: //p'; }
os_probed() { [ "$(os_health "$1")" = ok ]; }
os_stubs() { xl list 2>/dev/null | awk -v n="$1-dm" '$1 == n' | wc -l; }

SCEN_T0=$(now)
why=""
on=$(nonce)
omac=00:16:3e:5d:05:06
g=qemuos1
guest_disk /tmp/$g.img "$on" 0
printf C | dd of=/tmp/$g.img bs=1 seek=$((16 * 512 + 29)) conv=notrunc \
    2>/dev/null
rm -f /tmp/$g.serial /tmp/$g.state /tmp/$g.serial.1
capture_start
if ! og=$(mkguest --firmware --mem 64 --disk /tmp/$g.img --nic $omac $g \
    2>/tmp/$g.err); then
	why="mkguest failed: $(cat /tmp/$g.err)"
elif ! wait_for 150 os_counted /tmp/$g.serial 3; then
	why="the guest does not count: $(tr -d '\r' </tmp/$g.serial | tail -n 3)"
elif ! wait_for 30 os_probed $g; then
	why="its device model is not probed ok: '$(os_health $g)'"
else
	old=$(domid $g-dm)
	mkguest --pause "$og"
	is_paused $g || why="not paused;"
	before=$(os_last /tmp/$g.serial)
	t=$(now)
	if ! timeout 60 stubdmctl save-state $g /tmp/$g.state >/tmp/$g.out 2>&1
	then
		why="$why save-state failed: $(cat /tmp/$g.out)"
	else
		echo "XENTEST: bench own-mode save-state: $(elapsed "$t") s," \
		    "$(wc -c </tmp/$g.state) bytes"
		cp /tmp/$g.serial /tmp/$g.serial.1
		t=$(now)
		if ! timeout 120 stubdmctl restore-state $g /tmp/$g.state \
		    >/tmp/$g.out 2>&1; then
			why="$why restore-state failed: $(cat /tmp/$g.out)"
		else
			echo "XENTEST: bench own-mode restore-state (a new" \
			    "stub ready): $(elapsed "$t") s"
			new=$(domid $g-dm)
			[ -n "$new" ] && [ "$new" != "$old" ] ||
			    why="$why stub not replaced ($old -> '$new');"
			is_paused $g || why="$why the guest ran before it was unpaused;"
			t=$(now)
			mkguest --run "$og"
			wait_for 60 os_counted /tmp/$g.serial 1 ||
			    why="$why no count after the restore;"
			f=$(os_first /tmp/$g.serial)
			[ -n "$f" ] && [ "$f" -gt "$before" ] &&
			    [ "$f" -le $((before + 5)) ] ||
			    why="$why first count after it '$f', before it $before;"
			serial_has /tmp/$g.serial "GUEST: hello" &&
			    why="$why it booted again;"
			wait_for 30 os_disk_past /tmp/$g.img "$on" "$before" ||
			    why="$why count sector '$(os_sector /tmp/$g.img)';"
			wait_for 30 os_frame_past "$on" "$before" ||
			    why="$why no count frame past $before on xenbr0;"
			echo "$g: counts before $before, after from $f to" \
			    "$(os_last /tmp/$g.serial)"
		fi
	fi
	log_has "\"$g\".*device state restore from /tmp/$g.state: restored" ||
	    why="$why no 'restored' logged;"
	grep -q "\"$g\".*\(device model died\|on_dm_death\)" "$LOG" &&
	    why="$why a device-model death logged;"
	[ "$(os_stubs $g)" = 1 ] || why="$why $(os_stubs $g) stubs named $g-dm;"
fi
capture_stop
tail -n 20 /var/log/xen/console/guest-$g-dm.log 2>/dev/null | sed "s/^/$g-dm: /"
grep "\"$g\"" "$LOG" | tail -n 10 | sed 's/^/log: /'
[ -n "$og" ] && mkguest --destroy "$og" >/dev/null 2>&1
result "$([ -z "$why" ]; echo $?)" "own mode: stubdmctl save-state, then \
restore-state by a new stub; the guest counts on where it stopped, its \
disk and NIC served, no device-model death, one stub" "$why"
