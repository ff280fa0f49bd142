#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# images/linux-qemu/qmp-relay between a client and a QEMU stand-in that
# saves its device state the way QEMU does for xen-save-devices-state
# (a descriptor of fd set 1 duplicated, truncated, written at the shared
# offset, closed, then the reply): the state is on console 1 (a pty here)
# when the reply reaches the client, only what is new each time, bytes
# unchanged (a raw console), and everything else passes both ways; a
# QEMU gone drops each client, said once.
. "$TOP/tests/lib.sh"
RELAY=$BUILD/images/linux-qemu/qmp-relay
[ -x "$RELAY" ] || fail "$RELAY is not built"
exec python3 - "$RELAY" "$T" <<'PY'
import os, select, socket, subprocess, sys, threading, time

relay, tmp = sys.argv[1], sys.argv[2]
listen, qsock, saved = tmp + "/qmp.sock", tmp + "/qemu.sock", tmp + "/dm-save"
n = 0
def check(what, ok):
    global n
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what), flush=True)

open(saved, "w").close()
fdset = os.open(saved, os.O_WRONLY)      # QEMU's fd set 1
master, slave = os.openpty()
os.set_blocking(master, False)

# The QEMU stand-in: a greeting, then one reply per line; "save N" first
# saves N bytes as QEMU does (the pause makes a relay that does not wait
# for the copy lose the race).
def qemu_client(c):
    f = c.makefile("rwb", buffering=0)
    f.write(b'{"QMP": {"version": {}}}\r\n')
    for line in f:
        w = line.split()
        if w and w[0] == b"save":
            d = os.dup(fdset)
            os.ftruncate(d, 0)
            os.write(d, state(int(w[1]), int(w[2])))
            os.close(d)
        f.write(b'{"return": "' + line.strip() + b'"}\r\n')
    c.close()
def qemu():
    s = socket.socket(socket.AF_UNIX)
    s.bind(qsock)
    s.listen(4)
    while True:
        threading.Thread(target=qemu_client, args=(s.accept()[0],),
                         daemon=True).start()
threading.Thread(target=qemu, daemon=True).start()

# A state with every byte value, the tty's special ones among them.
def state(size, seed):
    return bytes((i * 7 + seed) % 256 for i in range(size))

# Console 1's far end, read all along as dom0's QEMU does (a pty's buffer
# is smaller than some states); console() is what it got so far.
got_con, con_lock = [b""], threading.Lock()
def con_drain():
    while True:
        try:
            got_con[0] += os.read(master, 65536)
        except BlockingIOError:
            return
def con_reader():
    while True:
        select.select([master], [], [], 0.05)
        with con_lock:
            con_drain()
threading.Thread(target=con_reader, daemon=True).start()
def console():
    with con_lock:
        con_drain()
        out, got_con[0] = got_con[0], b""
    return out

log = open(tmp + "/relay.out", "w+")
p = subprocess.Popen([relay, listen, qsock, saved, os.ttyname(slave)],
                     stdout=log, stderr=subprocess.STDOUT)
for _ in range(100):
    if os.path.exists(listen):
        break
    time.sleep(0.05)

def session(lines):
    c = socket.socket(socket.AF_UNIX)
    c.connect(listen)
    f = c.makefile("rwb", buffering=0)
    got = [f.readline()]
    seen = []
    for l in lines:
        f.write(l + b"\n")
        got.append(f.readline())
        seen.append(console())
    c.close()
    return got, seen

got, seen = session([b'{"execute": "qmp_capabilities"}', b"save 7181 1"])
check("the greeting passes", got[0].startswith(b'{"QMP"'))
check("a command and its reply pass unchanged",
      got[1] == b'{"return": "{"execute": "qmp_capabilities"}"}\r\n')
check("nothing on the console without a save", seen[0] == b"")
check("the whole state is on the console when the reply arrives, raw",
      seen[1] == state(7181, 1))
got, seen = session([b"save 9000 2"])
check("a new client: greeting again", got[0].startswith(b'{"QMP"'))
check("a second save: only its own state follows the first",
      seen[0] == state(9000, 2))
check("the file holds both at their offsets",
      os.path.getsize(saved) == 7181 + 9000)
got, seen = session([b"save 70000 3"])
check("a state larger than the copy buffer arrives whole",
      seen[0] == state(70000, 3))

# QEMU gone (its socket with it): each client is dropped, which the
# stub's console says once, not once per client (a probe every second
# until the stub ends); said again after QEMU came back and went again.
def dropped(k):
    for _ in range(k):
        c = socket.socket(socket.AF_UNIX)
        c.connect(listen)
        ok = c.recv(16) == b""
        c.close()
        if not ok:
            return False
    return True
def drops():
    log.seek(0)
    return log.read().count("STUB: qmp-relay: client dropped: "
                            "No such file or directory")
os.unlink(qsock)
check("QEMU gone: five clients dropped", dropped(5))
check("... said once", drops() == 1)
threading.Thread(target=qemu, daemon=True).start()
for _ in range(100):
    if os.path.exists(qsock):
        break
    time.sleep(0.05)
got, seen = session([b'{"execute": "query-status"}'])
check("QEMU back: a client served again",
      got[1] == b'{"return": "{"execute": "query-status"}"}\r\n')
os.unlink(qsock)
check("QEMU gone again: dropped, and said again", dropped(2) and
      drops() == 2)
p.terminate()
p.wait()
log.seek(0)
said = log.read()
check("the stub's log says what was saved",
      "STUB: device state saved: 7181 bytes to console 1" in said and
      "STUB: device state saved: 9000 bytes to console 1" in said)
sys.exit(0)
PY
