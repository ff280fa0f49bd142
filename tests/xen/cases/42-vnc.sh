# SPDX-License-Identifier: GPL-2.0-only
# The guest's screen and keyboard over VNC, own mode: mkguest --firmware
# builds the test guest in its screen mode (parameter byte 29 = 'V',
# guest/screen.inc: the top three text rows white on blue, red and green,
# then each key's scan code on COM1); stubdmd builds its stub from the
# linux-qemu image with xl's default card (policy.ini, qemuvnc*), and
# serves the screen on /run/stubdmd/vnc/qemuvnc1.sock.  Judged from dom0
# with programs no one here wrote:
# A. TightVNC's vncsnapshot, through socat to that socket, takes the
#    screen; djpeg reads it back; the three rows have their colours
#    (a pixel of each, within JPEG's error) and the screen its size.
# B. a key sent in raw RFB through socat (KeyEvent 'a') reaches the
#    guest: "GUEST: key 0x1e" (its PS/2 scan code) on its serial port.
# C. stubdmctl screenshot writes a PNG of the same size, kept on the
#    host as build/xen/vnc-qemuvnc1.png (the picture of A too, as
#    vnc-qemuvnc1-vncsnapshot.jpg).
# E. the same guest has an empty CD-ROM drive hdc (mkguest --cdrom;
#    parameter byte 30 = 'D': it watches the drive over ATAPI,
#    guest/cdrom.inc): an ISO made now by Debian's genisoimage with a
#    fresh volume id, stubdmctl cd-insert'ed while the guest runs, is
#    read by the guest ("GUEST: cd CD001 <volume id>" on COM1, from its
#    primary volume descriptor); the daemon is then restarted (SIGTERM,
#    started again) with the ISO in, and after stubdmctl cd-eject the
#    guest says "GUEST: cd no medium" again, the stub's disk xvdzc gone.
# D. xl create with libxl's stub and vnc = 1 (xl's default card): the
#    VNC server libxl runs in dom0 for the stub's PV framebuffer (the one
#    xl vncviewer opens) does not show the guest's screen, as stubdmd(8)
#    says why; vncsnapshot's picture of it is kept as
#    build/xen/vnc-xlsvnc1-libxl.jpg.
# plan: 5

VSOCK=/run/stubdmd/vnc/qemuvnc1.sock
# vnc_px PPM X Y [WIDTH]: "R G B" of a binary PPM of WIDTH (720) pixels
# a row whose header is 15 bytes (djpeg's "P6\n720 400\n255\n").
vnc_px() {
	dd if="$1" bs=1 skip=$((15 + ($3 * ${4:-720} + $2) * 3)) count=3 \
	    2>/dev/null | od -An -tu1 | tr -s ' ' | sed 's/^ //'
}
# vnc_near "R G B" R G B: each within 48 of the expected (JPEG).
vnc_near() {
	echo "$1" | awk -v r="$2" -v g="$3" -v b="$4" '
	    function d(a, b) { return a > b ? a - b : b - a }
	    NF == 3 && d($1, r) <= 48 && d($2, g) <= 48 && d($3, b) <= 48 \
	    { ok = 1 } END { exit !ok }'
}
# vnc_keep FILE NAME: FILE's bytes to the host (tests/xen/run).
vnc_keep() { base64 "$1" | sed "s/^/XENFILE $2 /"; }
vnc_logs() {
	grep '"qemuvnc1"' "$LOG" | tail -n 8 | sed 's/^/log: /'
	tail -n 20 /var/log/xen/console/guest-qemuvnc1-dm.log 2>/dev/null |
	    sed 's/^/qemuvnc1-dm: /'
	tr -d '\r' </tmp/qemuvnc1.serial 2>/dev/null |
	    sed 's/^/qemuvnc1 serial: /'
}

# The guest wrote its screen, or its device model died (no use waiting).
qemuvnc1_died() { log_has 'guest "qemuvnc1".*device model died'; }
screen_or_died() {
	serial_has /tmp/qemuvnc1.serial "GUEST: screen written" ||
	    qemuvnc1_died
}
SCEN_T0=$(now)
why=""
ip link set lo up 2>/dev/null
vn=$(nonce)
guest_disk /tmp/qemuvnc1.img "$vn" 0 1
printf VD | dd of=/tmp/qemuvnc1.img bs=1 seek=$((16 * 512 + 29)) \
    conv=notrunc 2>/dev/null
rm -f /tmp/qemuvnc1.serial
if ! vg=$(mkguest --firmware --mem 64 --disk /tmp/qemuvnc1.img --cdrom \
    qemuvnc1 2>/tmp/qemuvnc1.err); then
	why="mkguest failed: $(cat /tmp/qemuvnc1.err)"
elif ! { wait_for $((SLOW * 2)) screen_or_died &&
    serial_has /tmp/qemuvnc1.serial "GUEST: screen written"; }; then
	why="the guest never wrote its screen$(qemuvnc1_died &&
	    echo ': its device model died');"
elif ! wait_for 10 test -S "$VSOCK"; then
	why="no $VSOCK;"
elif [ "$(stubdmctl console qemuvnc1 --vnc 2>&1)" != "$VSOCK" ]; then
	why="console --vnc says '$(stubdmctl console qemuvnc1 --vnc 2>&1)';"
fi
ls -l "$VSOCK" 2>&1 | sed 's/^/socket: /'

# What the stub says first through the socket (RFB's greeting), for the
# log: each picture below is judged on its own.
if [ -z "$why" ]; then
	{ printf 'RFB 003.008\n'; sleep 5; } |
	    timeout 20 socat -t 5 - "UNIX-CONNECT:$VSOCK" 2>&1 | head -c 12 |
	    od -c | head -n 2 | sed 's/^/greeting: /'
fi

# A. vncsnapshot (display 1: TCP 5901) through socat.
if [ -z "$why" ]; then
	socat TCP-LISTEN:5901,bind=127.0.0.1,reuseaddr \
	    "UNIX-CONNECT:$VSOCK" 2>/tmp/socat.err &
	sp=$!
	sleep 1
	t=$(now)
	if ! timeout 120 vncsnapshot -verbose -quality 100 127.0.0.1:1 \
	    /tmp/vnc.jpg >/tmp/vncsnapshot.out 2>&1; then
		why="vncsnapshot failed after $(elapsed "$t") s: $(tail -n 3 \
		    /tmp/vncsnapshot.out | tr '\n' ' ')"
		sed 's/^/vncsnapshot: /' /tmp/vncsnapshot.out
	elif ! djpeg -pnm /tmp/vnc.jpg >/tmp/vnc.ppm 2>/tmp/djpeg.err; then
		why="djpeg failed: $(cat /tmp/djpeg.err)"
	else
		vnc_keep /tmp/vnc.jpg vnc-qemuvnc1-vncsnapshot.jpg
		head -c 15 /tmp/vnc.ppm | tr '\n' ' ' | grep -q '^P6 720 400 255 ' ||
		    why="$why the picture is not 720x400 text mode: $(head -c 15 /tmp/vnc.ppm | tr '\n' ' ');"
		for row in "0 0 0 170 blue" "1 170 0 0 red" "2 0 170 0 green"; do
			set -- $row
			px=$(vnc_px /tmp/vnc.ppm 712 $(($1 * 16 + 8)))
			vnc_near "$px" "$2" "$3" "$4" ||
			    why="$why row $1 is ($px), not $5;"
		done
		# Below the rows the guest wrote: not one of their colours.
		px=$(vnc_px /tmp/vnc.ppm 712 $((20 * 16 + 8)))
		vnc_near "$px" 0 0 170 && why="$why row 20 is blue too;"
	fi
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
fi
[ -z "$why" ] || vnc_logs
result "$([ -z "$why" ]; echo $?)" "own mode, vga = stdvga: the guest's \
screen through stubdmd's socket, taken by vncsnapshot: 720x400, its rows \
blue, red, green" "$why"

# B. 'a' (keysym 0x61), down and up, in raw RFB 3.8 through socat.
SCEN_T0=$(now)
kwhy=""
if [ -n "$why" ] && [ ! -S "$VSOCK" ]; then
	kwhy="no screen socket"
else
	{ printf 'RFB 003.008\n'; sleep 1; printf '\001'; sleep 1
	  printf '\001'; sleep 1
	  printf '\004\001\000\000\000\000\000\141'
	  printf '\004\000\000\000\000\000\000\141'; sleep 2; } |
	    timeout 30 socat -t 5 - "UNIX-CONNECT:$VSOCK" >/dev/null 2>&1
	wait_for 20 serial_has /tmp/qemuvnc1.serial "GUEST: key 0x1e" ||
	    kwhy="no 'GUEST: key 0x1e' on its serial port: $(tr -d '\r' \
	    </tmp/qemuvnc1.serial 2>/dev/null | grep 'GUEST: key' | tr '\n' ' ')"
fi
result "$([ -z "$kwhy" ]; echo $?)" "own mode: a key sent over VNC \
through stubdmd's socket reaches the guest (scan code 0x1e on COM1)" "$kwhy"

# C. stubdmctl screenshot, kept as an artifact of the run.
SCEN_T0=$(now)
swhy=""
t=$(now)
if ! out=$(timeout 60 stubdmctl screenshot qemuvnc1 /tmp/vnc-qemuvnc1.png \
    2>&1); then
	swhy="stubdmctl screenshot after $(elapsed "$t") s: $out"
elif [ "$out" != "/tmp/vnc-qemuvnc1.png: 720x400" ]; then
	swhy="it says '$out'"
else
	vnc_keep /tmp/vnc-qemuvnc1.png vnc-qemuvnc1.png
fi
[ -z "$swhy" ] || vnc_logs
result "$([ -z "$swhy" ]; echo $?)" "stubdmctl screenshot: a 720x400 PNG \
of the guest's screen (build/xen/vnc-qemuvnc1.png)" "$swhy"

# E. An ISO inserted at run time, read by the guest; then ejected.
SCEN_T0=$(now)
cwhy=""
vol=STUBDM_$(nonce | tr a-f A-F | cut -c1-12)
cd_none() { [ "$(tr -d '\r' </tmp/qemuvnc1.serial 2>/dev/null |
    grep -c 'GUEST: cd no medium')" -ge "$1" ]; }
# The daemon stopped (SIGTERM) and started while the ISO is in, as an
# upgrade does: it adopts the guest, its probe answers again.
cd_ok() { stubdmctl --json status qemuvnc1 2>/dev/null |
    grep -q '"dm_health": "ok"'; }
cd_restart() {
	kill -TERM "$DAEMON"
	wait "$DAEMON" 2>/dev/null
	start_daemon
	wait_for 60 log_has "qemuvnc1.*adopted" && wait_for 60 cd_ok
}
# cd_diag: what dom0 and the stub say of the medium's disk 8 s into an
# insert (shown if it fails: a failed insert takes the disk back).
cd_diag() {
	sleep 8
	st=$(domid qemuvnc1-dm)
	{
	xenstore-ls -f /local/domain/0/backend 2>&1 | grep "/$st/" |
	    grep -v "/768/"
	xenstore-ls -f "/local/domain/$st/device" 2>&1 | grep -v "/768/"
	xenstore-ls -f "/libxl/$st/device" 2>&1 | grep -v "/768/"
	tail -n 8 /var/log/xen/console/guest-qemuvnc1-dm.log
	grep -v "console-[23]: initialise" /var/log/xen/qemu-dm-qemuvnc1-dm.log |
	    tail -n 15
	} | sed 's/^/cd-diag: /'
}
rm -rf /tmp/isod && mkdir -p /tmp/isod && echo "$vol" >/tmp/isod/readme.txt
if [ -z "$vg" ]; then
	cwhy="no guest"
elif ! genisoimage -quiet -V "$vol" -o /tmp/qemuvnc1.iso /tmp/isod \
    2>/tmp/geniso.err; then
	cwhy="genisoimage failed: $(cat /tmp/geniso.err)"
elif ! wait_for 30 cd_none 1; then
	cwhy="the guest never said its drive is empty;"
elif t=$(now) && ! out=$(cd_diag >/tmp/cd-diag 2>&1 &
    timeout 120 stubdmctl cd-insert qemuvnc1 hdc /tmp/qemuvnc1.iso 2>&1); then
	cwhy="stubdmctl cd-insert after $(elapsed "$t") s: $out"
elif echo "cd-insert: $out ($(elapsed "$t") s)" &&
    ! wait_for 60 serial_has /tmp/qemuvnc1.serial "GUEST: cd CD001 $vol\$"; then
	cwhy="the guest did not read volume $vol:$(tr -d '\r' \
	    </tmp/qemuvnc1.serial | grep 'GUEST: cd' | tr '\n' ' ')"
elif ! stubdmctl status qemuvnc1 | grep '^cdrom' || ! cd_restart; then
	cwhy="the daemon restarted with the ISO in: qemuvnc1 not adopted, or \
its device model not probed ok"
elif ! out=$(timeout 120 stubdmctl cd-eject qemuvnc1 hdc 2>&1); then
	cwhy="stubdmctl cd-eject after the daemon's restart: $out"
elif ! wait_for 30 cd_none 2; then
	cwhy="after cd-eject the guest still sees a medium:$(tr -d '\r' \
	    </tmp/qemuvnc1.serial | grep 'GUEST: cd' | tr '\n' ' ')"
elif ! log_has "qemuvnc1.*CD-ROM hdc holds /tmp/qemuvnc1.iso (given to its \
stub as xvdzc before)"; then
	cwhy="the restarted daemon did not say it found the ISO on the stub"
elif xenstore-exists "/local/domain/$(domid qemuvnc1-dm)/device/vbd/\
$(( (1 << 28) | (678 << 8) ))"; then	# xvdzc: two letters, index 678
	cwhy="the stub still has the ISO's disk xvdzc after the eject"
fi
if [ -n "$cwhy" ]; then
	vnc_logs
	cat /tmp/cd-diag 2>/dev/null
fi
result "$([ -z "$cwhy" ]; echo $?)" "own mode: an ISO made by genisoimage, \
stubdmctl cd-insert'ed into hdc while the guest runs, is read by the guest \
over ATAPI (CD001, volume $vol); after the daemon's restart and cd-eject it \
sees no medium and the stub's disk is gone" "$cwhy"
[ -z "$vg" ] || mkguest --destroy "$vg" >/dev/null 2>&1

# D. libxl's stub with vnc = 1: what xl vncviewer's server shows.
SCEN_T0=$(now)
dwhy=""
xn=$(nonce)
guest_disk /tmp/xlsvnc1.img "$xn" 0 1
printf V | dd of=/tmp/xlsvnc1.img bs=1 seek=$((16 * 512 + 29)) \
    conv=notrunc 2>/dev/null
rm -f /tmp/xlsvnc1.serial
{ guest_cfg xlsvnc1 /tmp/xlsvnc1.img 00:16:3e:5d:05:09 |
    sed -e 's/^vnc = 0/vnc = 1/' -e '/^vga = /d' -e '/^vif = /d'
  echo 'vnclisten = "127.0.0.1"'
  echo 'vncdisplay = 2'
  linux_qemu_stub; } >/tmp/xlsvnc1.cfg
if ! timeout $SLOW xl create /tmp/xlsvnc1.cfg >/tmp/xlsvnc1.out 2>&1; then
	dwhy="xl create failed: $(grep -i error /tmp/xlsvnc1.out | head -n 3)"
elif ! wait_for $SLOW serial_has /tmp/xlsvnc1.serial \
    "GUEST: screen written"; then
	dwhy="the guest never wrote its screen"
elif ! timeout 120 vncsnapshot -quiet -quality 100 127.0.0.1:2 \
    /tmp/xlvnc.jpg >/tmp/xlvnc.out 2>&1; then
	dwhy="libxl's VNC server (127.0.0.1:5902) gave no picture: \
$(tail -n 3 /tmp/xlvnc.out | tr '\n' ' ')"
elif ! djpeg -pnm /tmp/xlvnc.jpg >/tmp/xlvnc.ppm 2>/tmp/djpeg.err; then
	dwhy="djpeg failed: $(cat /tmp/djpeg.err)"
else
	vnc_keep /tmp/xlvnc.jpg vnc-xlsvnc1-libxl.jpg
	hdr=$(head -c 15 /tmp/xlvnc.ppm | tr '\n' ' ')
	echo "libxl's VNC server for xlsvnc1: $hdr"
	w=$(echo "$hdr" | cut -d' ' -f2)
	case $hdr in
	"P6 $w "*" 255 ") ;;
	*) dwhy="not a 15-byte PPM header: $hdr" ;;
	esac
	# The guest's blue row, where it would be: not there.
	for x in 8 100 300; do
		[ -z "$dwhy" ] || break
		px=$(vnc_px /tmp/xlvnc.ppm "$x" 8 "$w")
		! vnc_near "$px" 0 0 170 ||
		    dwhy="its pixel ($x, 8) is the guest's blue ($px)"
	done
fi
if [ -n "$dwhy" ]; then
	grep '"xlsvnc1"' "$LOG" | tail -n 6 | sed 's/^/log: /'
	tail -n 20 /var/log/xen/qemu-dm-xlsvnc1.log 2>/dev/null |
	    sed 's/^/xlsvnc1-dm: /'
fi
result "$([ -z "$dwhy" ]; echo $?)" "xl create, libxl's stub, vnc = 1: \
the VNC server libxl runs for the stub's framebuffer (xl vncviewer's) \
does not show the guest's screen, as stubdmd(8) says" "$dwhy"
timeout 60 xl destroy xlsvnc1 2>/dev/null
