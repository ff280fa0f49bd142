#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The guests' screens (policy vga, vnc_group; Console; stubdmctl console
# --vnc and screenshot): an own-mode guest's stub gets a card, VNC and a
# tablet; stubdmd serves the simulated stub's VNC server (tests/hvsim/
# rfb.h) on RUNDIR/vnc/GUEST.sock, root's only unless vnc_group says;
# a picture taken through it is the stub's screen, pixel for pixel (the
# PNG decoded here by Python's zlib, not by libpng); a key sent through
# it reaches the stub; the socket goes with the stub and the guest.
. "$TOP/tests/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv (util-linux) missing"; exit 77; }
SOCK=$T/ctl.sock
VNC=$T/vnc

cat >"$T/rfb.py" <<'PY'
# rfb.py SOCKET key KEYSYM | garbage | png FILE GUESTDOMID
import socket, struct, sys, zlib

def rfb(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    def rd(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise SystemExit("closed")
            b += c
        return b
    assert rd(12).startswith(b"RFB 003.")
    s.sendall(b"RFB 003.008\n")
    n = rd(1)[0]
    assert 1 in rd(n)
    s.sendall(b"\x01")
    assert rd(4) == b"\0\0\0\0"
    s.sendall(b"\x01")
    w, h = struct.unpack(">HH", rd(4))
    rd(16)
    rd(struct.unpack(">I", rd(4))[0])
    return s, w, h

def png_pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat, ihdr = 8, b"", None
    while i < len(data):
        n, t = struct.unpack(">I4s", data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if t == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif t == b"IDAT":
            idat += body
        i += 12 + n
    w, h, depth, ctype = ihdr[:4]
    assert depth == 8 and ctype == 2, ihdr
    raw, rows, prev, bpp = zlib.decompress(idat), [], bytearray(w * 3), 3
    for y in range(h):
        f = raw[y * (w * 3 + 1)]
        line = bytearray(raw[y * (w * 3 + 1) + 1:(y + 1) * (w * 3 + 1)])
        for x in range(len(line)):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, rows

cmd = sys.argv[2]
if cmd == "key":
    s, w, h = rfb(sys.argv[1])
    k = int(sys.argv[3], 0)
    s.sendall(struct.pack(">BBxxI", 4, 1, k) + struct.pack(">BBxxI", 4, 0, k))
    # an update request answered: the key was read before it
    s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))
    s.recv(1)
elif cmd == "hold":
    # connected and through the handshake, then a second client: closed
    s, w, h = rfb(sys.argv[1])
    t = socket.socket(socket.AF_UNIX)
    t.settimeout(5)
    t.connect(sys.argv[1])
    sys.exit(0 if t.recv(1) == b"" else 1)
elif cmd == "garbage":
    s, w, h = rfb(sys.argv[1])
    s.sendall(b"\xff" * 4096)
    s.settimeout(5)
    while s.recv(4096):
        pass
elif cmd == "png":
    w, h, rows = png_pixels(sys.argv[3])
    g = int(sys.argv[4])
    bad = [(x, y) for y in range(h) for x in range(w)
           if tuple(rows[y][3 * x:3 * x + 3]) != ((x * 4) & 255, (y * 8) & 255, g & 255)]
    print("%dx%d, %d pixels differ" % (w, h, len(bad)))
    sys.exit(1 if bad or (w, h) != (64, 32) else 0)
PY
rfbpy() { python3 "$T/rfb.py" "$@"; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$STUBDMCTL" -S "$SOCK" "$@"; }

hvsim_start
write_policy <<'P'
[guest "blind*"]
vga = none
P
stubdmd_start

hvsimctl create-hvm scr1 >/dev/null || fail "create-hvm scr1"
wait_gstate scr1 running
g=$(domid_of scr1)
check "the stub's QEMU gets the card (stdvga: xl's default)" has_arg scr1 '-vga std'
check "... its screen as VNC on a socket in the stub" has_arg scr1 '-vnc unix:/run/vnc.sock'
check "... and a USB tablet" has_arg scr1 '-usb -device usb-tablet'
check "the guest's screen socket appears" wait_until 5 test -S "$VNC/scr1.sock"
check "root's only: mode 0600" test "$(stat -c %a:%u "$VNC/scr1.sock")" = 600:0
check "status shows it" bash -c "'$STUBDMCTL' -S '$SOCK' status scr1 | grep -qxF 'screen (VNC): $VNC/scr1.sock'"
check "console --vnc prints it" test "$("$STUBDMCTL" -S "$SOCK" console scr1 --vnc)" = "$VNC/scr1.sock"
check "console without --vnc: a usage error" bash -c "'$STUBDMCTL' -S '$SOCK' console scr1; test \$? = 2"

check "screenshot writes a PNG" "$STUBDMCTL" -S "$SOCK" screenshot scr1 "$T/scr1.png"
check "the PNG is the stub's screen, pixel for pixel" rfbpy x png "$T/scr1.png" "$g"
check "a key sent over VNC reaches the stub" rfbpy "$VNC/scr1.sock" key 0x1e
check "... as the stub saw it" grep -q "domain $g: vnc key 0x1e" "$T/hvsim.log"
check "one client at a time: a second is closed at once" rfbpy "$VNC/scr1.sock" hold
check "... and said so" grep -q 'guest "scr1".*a second client refused' "$T/stubdmd.log"
check "a client that sends garbage is dropped" rfbpy "$VNC/scr1.sock" garbage
check "... and the daemon answers on" "$STUBDMCTL" -S "$SOCK" screenshot scr1 "$T/again.png"

hvsimctl create-hvm blind1 >/dev/null || fail "create-hvm blind1"
wait_gstate blind1 running
check "vga = none: no card, no VNC" lacks_arg blind1 -vnc
check "vga = none: no socket" test ! -e "$VNC/blind1.sock"
check "vga = none: console says NoScreen" bash -c "'$STUBDMCTL' -S '$SOCK' console blind1 --vnc 2>&1 | grep -q NoScreen"

# Users: the control socket opened to all, the screen still root's.
chmod 0777 "$T"
chmod 0666 "$SOCK"
check "uid 65534: console refused" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$SOCK' console scr1 --vnc 2>&1 | grep -q PermissionDenied"
check "uid 65534: screenshot refused" bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$SOCK' screenshot scr1 /tmp/nobody-$$.png"
check "uid 65534 cannot connect to the screen itself" bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups python3 '$T/rfb.py' '$VNC/scr1.sock' key 0x10"
sed -i 's/^\[global\]$/[global]\nvnc_group = nogroup/' "$T/policy.ini"
"$STUBDMCTL" -S "$SOCK" reload >/dev/null || fail "reload"
check "vnc_group: the socket becomes 0660, its group's" wait_until 5 'test "$(stat -c %a:%G "$VNC/scr1.sock")" = 660:nogroup'
check "gid 65534 (nogroup): console works" test "$(nobody console scr1 --vnc)" = "$VNC/scr1.sock"
check "gid 65534: screenshot works" nobody screenshot scr1 "$T/nobody.png"
check "... the same screen" rfbpy x png "$T/nobody.png" "$g"

# A daemon killed leaves its sockets; the next removes them and serves anew.
stubdmd_kill9
check "kill -9: the socket stays behind" test -S "$VNC/scr1.sock"
: >"$VNC/stale.sock.txt"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$VNC/gone.sock"
stubdmd_start
check "a new daemon removes a stale screen socket" wait_until 5 test ! -e "$VNC/gone.sock"
check "... and nothing that is not one" test -e "$VNC/stale.sock.txt"
rm -f "$VNC/stale.sock.txt"
check "... and serves the running guest's screen again" \
	wait_until 5 "$STUBDMCTL" -S "$SOCK" screenshot scr1 "$T/after-kill.png"

# xl rename: the socket follows the guest's name.
hvsimctl rename "$g" scr2 || fail "rename scr1"
check "a renamed guest's socket takes its new name" \
	wait_until 5 'test -S "$VNC/scr2.sock" && test ! -e "$VNC/scr1.sock"'
check "... status shows the new path" bash -c "'$STUBDMCTL' -S '$SOCK' status scr2 | grep -qxF 'screen (VNC): $VNC/scr2.sock'"
check "... and it serves the same screen" rfbpy "$VNC/scr2.sock" key 0x1f
hvsimctl rename "$g" scr1 || fail "rename scr2 back"
wait_until 5 test -S "$VNC/scr1.sock" || fail "renamed back"

# Two renames the daemon sees at once, the second to the first's old
# name (b, the lower domid, is followed first): neither socket may take
# the other's file, and a name reaches its own guest's screen.
hvsimctl create-hvm swapb >/dev/null || fail "create-hvm swapb"
hvsimctl create-hvm swapa >/dev/null || fail "create-hvm swapa"
wait_gstate swapb running
wait_gstate swapa running
a=$(domid_of swapa) b=$(domid_of swapb)
wait_until 5 'test -S "$VNC/swapa.sock" && test -S "$VNC/swapb.sock"' ||
	fail "no screens for swapa and swapb"
hvsimctl rename "$a" swapz && hvsimctl rename "$b" swapa ||
	fail "rename swapa, swapb"
check "renamed at once: each socket under its guest's new name" \
	wait_until 5 'test -S "$VNC/swapz.sock" && test -S "$VNC/swapa.sock" && test ! -e "$VNC/swapb.sock"'
rfbpy "$VNC/swapz.sock" key 0x21 && rfbpy "$VNC/swapa.sock" key 0x22
check "... swapz.sock reaches swapz's screen" \
	grep -q "domain $a: vnc key 0x21" "$T/hvsim.log"
check "... swapa.sock reaches the renamed swapb's screen" \
	grep -q "domain $b: vnc key 0x22" "$T/hvsim.log"
hvsimctl destroy "$a" && hvsimctl destroy "$b" || fail "destroy swapa, swapz"
check "... and both sockets go with their guests" \
	wait_until 5 'test ! -e "$VNC/swapz.sock" && test ! -e "$VNC/swapa.sock"'

s=$(stub_of scr1)
"$STUBDMCTL" -S "$SOCK" restart scr1 >/dev/null || fail "restart scr1"
check "a new stub: a new screen" wait_until 10 'test -S "$VNC/scr1.sock" && test "$(stub_of scr1)" != "$s" && is_gstate scr1 running'
check "... the new stub's, within the half second the sockets follow in" \
	wait_until 2 "$STUBDMCTL" -S "$SOCK" screenshot scr1 "$T/rebuilt.png"
hvsimctl crash "$(stub_of scr1)"
check "a dead stub (the guest crashed, on_dm_death): the socket goes" \
	wait_until 5 test ! -e "$VNC/scr1.sock"
stubdmd_stop
check "the daemon stopped: nothing left in $VNC" test -z "$(ls "$VNC")"
done_testing
