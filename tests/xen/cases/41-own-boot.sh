# SPDX-License-Identifier: GPL-2.0-only
# Own mode, a guest that boots: mkguest --firmware --disk --nic builds
# the test guest with no libxl (hvmloader, SeaBIOS, its disk and NIC
# entries where libxl writes them, in the transaction that names it);
# stubdmd builds its stub from the linux-qemu image (policy.ini, guests
# qemuob* and qemuor*) with that disk and NIC and a console for its
# serial port (serial = file:/tmp/%n.serial), unpauses it once QEMU runs,
# and the guest boots from its disk through the stub.  Judged from dom0:
# its serial file, the marker it writes to sector 17 of its disk image
# (it flushes the disk's write cache, as an OS does), its frame captured
# on xenbr0.
# A. built cold; its time to the first serial line and its disk benchmark
#    (bench_guest stubdmd-cold, which cases/60-bench-guest.sh compares).
# B. the stub destroyed while the guest is still paused (unpause_guest =
#    no): stubdmd rebuilds it, and the guest then boots through the new
#    stub, served the same way.
# C. serial = pty: the guest's lines come out of the pty in dom0.
# D. from the warm pool: a reload gives guests qemuow* a pool; the guest
#    takes the booted spare, which is given its disk, NIC and serial
#    console before its target is written; served the same way.  Its
#    time to the first serial line goes to bench_guest's stubdmd-pool.
# plan: 4

own_proofs() { guest_served "$1" "$2" "$3" $((SLOW * 2)); }
# own_logs NAME DOMID: what to read when it failed.
own_logs() {
	grep "\"$1\"" "$LOG" | tail -n 6 | sed 's/^/log: /'
	tail -n 30 "/var/log/xen/console/guest-$1-dm.log" 2>/dev/null |
	    sed "s/^/$1-dm: /"
	xl dmesg 2>/dev/null | grep "(d$2)" | tail -n 6 |
	    sed 's/^/xl dmesg: /'
}

# own_paused NAME MAC: mkguest's test guest NAME (disk /tmp/NAME.img)
# whose stub reaches running while it stays paused; its domid on
# stdout, or why not on stderr (the guest destroyed) and non-zero.
own_paused() {
	if ! d=$(mkguest --firmware --mem 64 --disk "/tmp/$1.img" --nic "$2" \
	    "$1" 2>"/tmp/$1.err"); then
		echo "mkguest failed: $(cat "/tmp/$1.err")" >&2
		return 1
	fi
	wait_for $((SLOW * 2)) stub_running "$1" "$d" && echo "$d" && return 0
	echo "its stub did not reach running" >&2
	own_logs "$1" "$d" >&2
	mkguest --destroy "$d" >/dev/null 2>&1
	return 1
}

# A. Cold: the guest unpaused by stubdmd once its stub's QEMU runs.
SCEN_T0=$(now)
why=""
on=$(nonce)
omac=00:16:3e:5d:00:21
guest_disk /tmp/qemuob1.img "$on" $BENCH_KIB 2
rm -f /tmp/qemuob1.serial
capture_start
t=$(now)	# as case 60 times xl create: from the command on
if ! og=$(mkguest --firmware --mem 64 --disk /tmp/qemuob1.img --nic $omac \
    qemuob1 2>/tmp/qemuob1.err); then
	why="mkguest failed: $(cat /tmp/qemuob1.err)"
	capture_stop
else
	# Its first serial line and disk benchmark, for cases/60-bench-guest.sh.
	bench_guest stubdmd-cold qemuob1 "$t" ||
	    echo "XENTEST: info: qemuob1 gave no benchmark figures"
	stub_boot stubdmd-cold /var/log/xen/console/guest-qemuob1-dm.log
	stub_steps stubdmd-cold qemuob1-dm
	why=$(own_proofs qemuob1 "$on" $omac)
	own_logs qemuob1 "$og"
	mkguest --destroy "$og" >/dev/null 2>&1
fi
result "$([ -z "$why" ]; echo $?)" "own mode: a guest built without libxl \
boots through stubdmd's linux-qemu stub; its serial port, disk and NIC \
served" "$why"

# B. Rebuilt before the guest ran: the first stub destroyed under the
#    paused guest, the guest unpaused (mkguest --run) once the new stub's
#    QEMU runs.
SCEN_T0=$(now)
why=""
rn=$(nonce)
rmac=00:16:3e:5d:00:22
guest_disk /tmp/qemuor1.img "$rn" 0
rm -f /tmp/qemuor1.serial
if ! rg=$(own_paused qemuor1 $rmac 2>/tmp/qemuor1.why); then
	why=$(head -n 1 /tmp/qemuor1.why)
	sed 1d /tmp/qemuor1.why
else
	old=$(domid qemuor1-dm)
	xl destroy "$old"
	new_stub() { s=$(domid qemuor1-dm); [ -n "$s" ] && [ "$s" != "$old" ]; }
	if ! wait_for $SLOW new_stub ||
	    ! wait_for $((SLOW * 2)) stub_running qemuor1 "$rg"; then
		why="no rebuilt stub reached running"
	else
		echo "XENTEST: bench own-mode stub rebuilt: $(elapsed \
"$SCEN_T0") s"
		is_paused qemuor1 || why="the guest ran before mkguest --run;"
		serial_has /tmp/qemuor1.serial "GUEST: hello" &&
		    why="$why it printed before it ran;"
		capture_start
		mkguest --run "$rg"
		why="$why$(own_proofs qemuor1 "$rn" $rmac)"
	fi
	own_logs qemuor1 "$rg"
	mkguest --destroy "$rg" >/dev/null 2>&1
fi
result "$([ -z "$why" ]; echo $?)" "own mode: its stub destroyed while the \
guest was paused is rebuilt; the guest then boots through the new stub, \
its serial port, disk and NIC served" "$why"

# C. serial = pty (guests qemuop*, left paused): the stub's console 3 is
#    a pty in dom0, whose path the dom0 QEMU writes where xl console
#    -t pv -n 3 reads it; the guest's lines come out of it.
SCEN_T0=$(now)
why=""
pn=$(nonce)
guest_disk /tmp/qemuop1.img "$pn" 0
if ! pg=$(own_paused qemuop1 00:16:3e:5d:00:23 2>/tmp/qemuop1.why); then
	why=$(head -n 1 /tmp/qemuop1.why)
	sed 1d /tmp/qemuop1.why
else
	ps_=$(domid qemuop1-dm)
	tty=$(xenstore-read "/local/domain/$ps_/device/console/3/tty" 2>/dev/null)
	case $tty in
	/dev/pts/*)
		timeout 200 cat "$tty" >/tmp/qemuop1.serial 2>/dev/null &
		reader=$!
		sleep 1
		mkguest --run "$pg"
		wait_for $((SLOW * 2)) serial_has /tmp/qemuop1.serial \
		    "GUEST: nonce $pn" ||
		    why="no nonce line from its pty $tty"
		kill $reader 2>/dev/null
		tr -d '\r' </tmp/qemuop1.serial | head -n 4 |
		    sed 's/^/qemuop1 pty: /'
		;;
	*)	why="no pty at device/console/3/tty of its stub: '$tty'" ;;
	esac
	own_logs qemuop1 "$pg"
	mkguest --destroy "$pg" >/dev/null 2>&1
fi
result "$([ -z "$why" ]; echo $?)" "own mode, serial = pty: the guest's \
serial port is a pty in dom0 (its stub's console 3, where xl console \
reads it)" "$why"

# D. The warm pool: a spare of the linux-qemu image, booted and waiting
#    for a target, taken by a guest with a disk, a NIC and a serial port.
#    (Its section is added here, with a cmdline of its own, so that no
#    other guest takes the spare.)
SCEN_T0=$(now)
why=""
cp "$POLICY" /tmp/policy.41
{
	cat /tmp/policy.41
	printf '\n[guest "qemuow*"]\nkernel = /test/qemu-stubdom-linux-kernel\n'
	printf 'ramdisk = /test/qemu-stubdom-linux-rootfs\n'
	printf 'cmdline = console=hvc0 quiet stubdm_pool\nmemory = 96\n'
	printf 'device_model_args =\nserial = file:/tmp/%%n.serial\n'
	# No card, as the cold bench guest (qemuob*): with stdvga SeaBIOS
	# runs the VGA ROM, every port access a round trip to the stub, and
	# the pool's first serial line came 2 s after the cold stub's.
	printf 'vga = none\npool_size = 1\n'
} >"$POLICY"
kill -HUP "$DAEMON"
wn=$(nonce)
wmac=00:16:3e:5d:00:24
guest_disk /tmp/qemuow1.img "$wn" 0
rm -f /tmp/qemuow1.serial
if ! wait_for $((SLOW * 2)) spare_waiting; then
	why="no spare waiting for a target"
	grep "pool" "$LOG" | tail -n 4 | sed 's/^/log: /'
else
	n=$(waiting_spare)
	f=/var/log/xen/console/guest-$n.log
	spare=$(domid "$n")
	capture_start
	t=$(now)
	if ! wg=$(mkguest --firmware --mem 64 --disk /tmp/qemuow1.img \
	    --nic $wmac qemuow1 2>/tmp/qemuow1.err); then
		why="mkguest failed: $(cat /tmp/qemuow1.err)"
		capture_stop
	elif ! wait_for $SLOW stub_running qemuow1 "$wg"; then
		why="its stub did not reach running"
		capture_stop
		grep "spare\|qemuow1" "$LOG" | tail -n 12 | sed 's/^/log: /'
		xenstore-ls -f "/local/domain/0/backend/console/$spare" \
		    2>/dev/null | head -n 30 | sed 's/^/spare consoles: /'
		tail -n 40 "$f" | sed 's/^/spare: /'
		own_logs qemuow1 "$wg"
		mkguest --destroy "$wg" >/dev/null 2>&1
	else
		first=$(time_serial "$t" /tmp/qemuow1.serial "GUEST: hello" \
		    $((SLOW * 2)))
		ws=$(domid qemuow1-dm)
		why=$(own_proofs qemuow1 "$wn" $wmac)
		if [ "$ws" != "$spare" ]; then
			why="$why its stub is $ws, not the spare $spare;"
		elif [ -n "$first" ]; then	# for cases/60-bench-guest.sh
			echo "first $first" >/tmp/bench.stubdmd-pool
			echo "XENTEST: bench guest stubdmd-pool: first serial" \
			    "line $first s"
			stub_steps stubdmd-pool "$n"
		fi
		log_has "qemuow1.*took spare stub domain $spare from the pool; giving it 1 disk, 1 NIC, serial file:/tmp/qemuow1.serial" ||
		    why="$why no 'took spare ... giving it' log line;"
		grep "spare\|qemuow1" "$LOG" | tail -n 6 | sed 's/^/log: /'
		own_logs qemuow1 "$wg"
		mkguest --destroy "$wg" >/dev/null 2>&1
	fi
fi
cp /tmp/policy.41 "$POLICY"
kill -HUP "$DAEMON"
result "$([ -z "$why" ]; echo $?)" "own mode, from the warm pool: a booted \
spare taken by a guest is given its disk, NIC and serial console; the \
guest boots through it, served" "$why"
