# SPDX-License-Identifier: GPL-2.0-only
# xl save, xl restore and xl migrate (to this same host) of the test guest
# in counter mode (tests/xen/guest/counter.inc) served by libxl's stub
# from the lean linux-qemu image, which carries QEMU's device state over
# the stub's consoles 1 and 2 (images/linux-qemu/init).  The guest counts
# on COM1 about every second, writes the count to sector 18 and sends a
# frame with it every 5 counts; a restored guest goes on counting where it
# stopped (a rebooted one would say hello and start at 1).  stubdmd adopts
# libxl's stubs, takes the old stub's end for a save (no device-model
# death), adopts the new one and, after a migration, follows xl's rename
# of the guest from "xsv--incoming".
# plan: 2

# xsv_cfg NAME DISK MAC: the test guest with libxl's lean stub.
xsv_cfg() {
	guest_cfg "$1" "$2" "$3"
	linux_qemu_stub
}
xsv_mode() {	# DOMID: stubdmd's mode of that guest
	stubdmctl list 2>/dev/null | awk -v d="$1" '$2 == d { print $4 }'
}
xsv_adopted() { [ "$(xsv_mode "$(domid "$1")")" = adopted ]; }
xsv_name() {	# DOMID: the name stubdmd lists that guest under
	stubdmctl list 2>/dev/null | awk -v d="$1" '$2 == d { print $1 }'
}
xsv_named() { [ "$(xsv_name "$(domid "$1")")" = "$1" ]; }
# xsv_counts FILE: the counts the guest printed, one a line.
xsv_counts() {
	tr -d '\r' <"$1" 2>/dev/null | sed -n 's/^GUEST: count \([0-9]*\)$/\1/p'
}
xsv_last() { xsv_counts "$1" | tail -n 1; }
xsv_first() { xsv_counts "$1" | head -n 1; }
xsv_counted() { [ "$(xsv_last "$1")" -ge "$2" ] 2>/dev/null; }
# xsv_sector IMG: the count sector's text ("STUBDM-GUEST-COUNT-nonce N").
xsv_sector() { dd if="$1" bs=512 skip=18 count=1 2>/dev/null | tr -d '\0\n'; }
xsv_disk_past() {	# IMG NONCE N: the sector holds a count above N
	v=$(xsv_sector "$1")
	[ "${v% *}" = "STUBDM-GUEST-COUNT-$2" ] && [ "${v##* }" -gt "$3" ]
}
xsv_frame_past() {	# NONCE N: a captured count frame above N
	sed -n "s/.*STUBDM-GUEST-COUNT-$1-\([0-9]*\).*/\1/p" /tmp/frames |
	    awk -v n="$2" '$1 > n { f = 1 } END { exit !f }'
}
xsv_deaths() { grep -c "guest \"$1.*device model died" "$LOG"; }

# xsv_after NAME NONCE BEFORE T: why the guest NAME, whose serial file
# (opened anew by the new stub's dom0 QEMU) held counts up to BEFORE at
# uptime T, does not go on where it stopped, nothing when it does: its
# first count follows BEFORE (at most the seconds since T later, plus 5),
# no new hello, its count sector and a frame past BEFORE; stubdmd adopted
# its new stub and logged no device-model death.
xsv_after() {
	s=/tmp/$1.serial
	wait_for 90 xsv_counted "$s" 1 || echo "no count on its serial port;"
	f=$(xsv_first "$s")
	slack=$(awk -v a="$4" -v b="$(now)" 'BEGIN { printf "%d", b - a + 5 }')
	[ -n "$f" ] && [ "$f" -gt "$3" ] && [ "$f" -le $(($3 + slack)) ] ||
	    echo "first count after it '$f', before it $3 (slack $slack s);"
	serial_has "$s" "GUEST: hello" && echo "it booted again;"
	wait_for 30 xsv_disk_past "/tmp/$1.img" "$2" "$3" ||
	    echo "count sector '$(xsv_sector "/tmp/$1.img")';"
	wait_for 30 xsv_frame_past "$2" "$3" ||
	    echo "no count frame past $3 on xenbr0;"
	wait_for 60 xsv_adopted "$1" ||
	    echo "new stub not adopted (mode '$(xsv_mode "$(domid "$1")")');"
	[ "$(xsv_deaths "$1")" = 0 ] || echo "a device-model death logged;"
	echo "$1: counts before $3, after from $f to $(xsv_last "$s")" >&2
}

n5=$(nonce)
guest_disk /tmp/xsv.img "$n5" 0
printf C | dd of=/tmp/xsv.img bs=1 seek=$((16 * 512 + 29)) conv=notrunc \
    2>/dev/null
xsv_cfg xsv /tmp/xsv.img 00:16:3e:5d:05:05 >/tmp/xsv.cfg
rm -f /tmp/xsv.serial /tmp/xsv.save

# A. xl save, then xl restore.
SCEN_T0=$(now)
why=""
capture_start
if ! timeout $SLOW xl create /tmp/xsv.cfg >/tmp/xsv.out 2>&1; then
	why="xl create failed: $(grep error /tmp/xsv.out | head -n 2)"
elif ! wait_for 120 xsv_counted /tmp/xsv.serial 3; then
	why="the guest does not count: $(tr -d '\r' </tmp/xsv.serial | tail -n 3)"
elif ! wait_for 60 xsv_adopted xsv; then
	why="stub not adopted (mode '$(xsv_mode "$(domid xsv)")')"
else
	old=$(domid xsv)
	t=$(now)
	if ! timeout $SLOW xl -v save xsv /tmp/xsv.save >/tmp/xsv.out 2>&1
	then
		why="xl save failed: $(grep -i error /tmp/xsv.out |
		    head -n 3 | tr '\n' ' ')"
		sed 's/^/xl save: /' /tmp/xsv.out | tail -n 60
		ls -la /var/lib/xen/ 2>&1 | sed 's/^/xl save: /'
	fi
	echo "XENTEST: bench xl save with the linux-qemu stub: $(elapsed "$t") s"
	before=$(xsv_last /tmp/xsv.serial)
	t=$(now)
	cp /tmp/xsv.serial /tmp/xsv.serial.1
	log_has "guest \"xsv\" (domid $old[,)].*\(saved or migrated\|guest is gone (suspended\)" ||
	    why="$why stubdmd did not log the save;"
	if [ -z "$why" ]; then
		if ! timeout $SLOW xl -v restore /tmp/xsv.save >/tmp/xsv.out 2>&1
		then
			why="xl restore failed: $(grep -i error /tmp/xsv.out |
			    head -n 3 | tr '\n' ' ')"
			sed 's/^/xl restore: /' /tmp/xsv.out | tail -n 60
		else
			echo "XENTEST: bench xl restore with the linux-qemu" \
			    "stub: $(elapsed "$t") s"
			why=$(xsv_after xsv "$n5" "$before" "$t")
		fi
	fi
fi
tail -n 30 "/var/log/xen/qemu-dm-xsv.log" 2>/dev/null | sed 's/^/xsv-dm: /'
grep "xsv" "$LOG" | tail -n 8
result "$([ -z "$why" ]; echo $?)" "xl save and xl restore with libxl's \
linux-qemu stub: the guest counts on; disk and NIC served; new stub \
adopted, no device-model death" "$why"

# B. xl migrate to this host (xl migrate -s "": the host argument is the
#    receiver's command line).
if [ -z "$why" ]; then
	before=$(xsv_last /tmp/xsv.serial)
	t=$(now)
	old=$(domid xsv)
	if ! timeout $SLOW xl -v migrate -s "" xsv "xl migrate-receive" \
	    >/tmp/xsv.out 2>&1; then
		why="xl migrate failed: $(grep -i error /tmp/xsv.out |
		    head -n 3 | tr '\n' ' ')"
		sed 's/^/xl migrate: /' /tmp/xsv.out | tail -n 60
		tail -n 30 /var/log/xen/qemu-dm-xsv--incoming.log 2>/dev/null |
		    sed 's/^/xsv--incoming-dm: /'
		# The save file (qemu-save.<old domid>) and what the receiver
		# wrote of the state (qemu-resume.<new domid>).
		ls -l /var/lib/xen/ 2>&1 | sed 's/^/xl migrate: /'
	else
		echo "XENTEST: bench xl migrate to localhost with the" \
		    "linux-qemu stub: $(elapsed "$t") s"
		why=$(xsv_after xsv "$n5" "$before" "$t")
		[ "$(domid xsv)" != "$old" ] || why="$why still domain $old;"
		# Received as xsv--incoming, renamed by xl at the end.
		wait_for 10 xsv_named xsv || why="$why stubdmd lists it as \
'$(xsv_name "$(domid xsv)")';"
		log_has "guest \"xsv[-a-z]*\" (domid $old[,)].*\(saved or migrated\|guest is gone (suspended\)" ||
		    why="$why stubdmd did not log the migration;"
	fi
else
	why="not run: xl save and restore failed"
fi
tail -n 20 "/var/log/xen/qemu-dm-xsv.log" 2>/dev/null | sed 's/^/xsv-dm: /'
grep "xsv" "$LOG" | tail -n 8
result "$([ -z "$why" ]; echo $?)" "xl migrate to the same host with \
libxl's linux-qemu stub: the guest counts on; disk and NIC served; new \
stub adopted, the guest's new name followed, no device-model death" "$why"
capture_stop
timeout 60 xl destroy xsv 2>/dev/null
