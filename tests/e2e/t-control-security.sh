#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The control socket under attack: its mode and group, privileged methods
# refused to other users, and raw-socket abuse (bad JSON, bad calls,
# oversized messages, a client that never reads, many clients at once)
# that must fail that client only.
. "$TOP/tests/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv (util-linux) missing"; exit 77; }
hvsim_start
write_policy </dev/null
chmod 0755 "$T"		# let the unprivileged user reach the socket
stubdmd_start
SOCK=$T/ctl.sock
ctl() { "$STUBDMCTL" -S "$SOCK" "$@"; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$STUBDMCTL" -S "$SOCK" "$@"; }
# nobody_exit WANT ARGS...: as uid 65534; output in $T/out, $T/err.
nobody_exit() {
	local want=$1 rc; shift
	nobody "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$want" ] || { note "exit $rc, wanted $want: $(cat "$T/err")"; return 1; }
}
denied() { nobody_exit 1 "$@" && grep -q '^stubdmctl: io.stubdm.PermissionDenied: ' "$T/err"; }
ctl_quiet() { ctl "$@" >/dev/null; }
alive() { kill -0 "$STUBDMD_PID" && ctl list >/dev/null; }

# A raw Varlink client: raw.py CASE; exit 0 when the daemon behaved.
cat >"$T/raw.py" <<'PY'
import json, os, socket, sys, time
path, case = sys.argv[1], sys.argv[2]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    for _ in range(200):    # a full backlog says EAGAIN: retry
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            time.sleep(0.01)
    s.connect(path)
    return s

class Peer:
    def __init__(self):
        self.s, self.buf = conn(), b""
    def send(self, raw):
        self.s.sendall(raw)
    def call(self, method, params=None, **kw):
        m = {"method": method}
        if params is not None:
            m["parameters"] = params
        m.update(kw)
        self.send(json.dumps(m).encode() + b"\0")
    def recv(self):
        """The next message, or None at end of stream."""
        while b"\0" not in self.buf:
            try:
                d = self.s.recv(1 << 16)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d
        m, _, self.buf = self.buf.partition(b"\0")
        return json.loads(m)
    def expect(self, error=None, **params):
        r = self.recv()
        assert r is not None, "connection closed, wanted %s" % error
        assert r.get("error") == error, "got %r, wanted %s" % (r, error)
        for k, v in params.items():
            assert r["parameters"].get(k) == v, "got %r, wanted %s=%r" % (r, k, v)
        return r
    def expect_eof(self):
        r = self.recv()
        assert r is None, "got %r, wanted the connection closed" % r

E = "io.stubdm."

def garbage():
    p = Peer()
    p.send(b"{not json\0")
    p.expect(E + "InvalidMessage")
    p.expect_eof()

def nonobject():
    p = Peer()
    for raw in (b"[1,2]\0", b'"str"\0', b"42\0", b"null\0"):
        p.send(raw)
        p.expect(E + "InvalidMessage")
    p.call(E + "GetInfo")
    assert p.expect()["parameters"]["interface_version"] == 5

def badcall():
    p = Peer()
    for m in ({"parameters": {}}, {"method": 5}, {"method": None},
              {"method": E + "List", "parameters": 5},
              {"method": E + "List", "parameters": []},
              {"method": E + "List", "more": "yes"},
              {"method": E + "List", "oneway": 1}):
        p.send(json.dumps(m).encode() + b"\0")
        p.expect(E + "InvalidMessage")
    p.call(E + "List", {})
    assert "guests" in p.expect()["parameters"]

def nomethod():
    p = Peer()
    for m in (E + "Nope", "", "io.stubdm.list"):
        p.call(m)
        p.expect(E + "MethodNotFound", method=m)

def badparams():
    p = Peer()
    cases = [(E + "Status", {}, "guest"), (E + "Status", {"guest": [1]}, "guest"),
             (E + "Status", {"guest": -1}, "guest"),
             (E + "Status", {"guest": 1 << 40}, "guest"),
             (E + "Status", {"guest": ""}, "guest"),
             (E + "Stop", {"guest": {}}, "guest"),
             (E + "Events", {"follow": "yes"}, "follow"),
             (E + "Events", {"follow": True}, "follow"),   # without more
             (E + "SetLogLevel", {"level": 3}, "level"),
             (E + "SetLogLevel", {"level": "loud"}, "level")]
    for method, params, name in cases:
        p.call(method, params)
        p.expect(E + "InvalidParameter", parameter=name)
    p.call(E + "Status", {"guest": "nosuch"})
    p.expect(E + "NoSuchGuest", guest="nosuch")
    p.call(E + "Status", {"guest": 4242})
    p.expect(E + "NoSuchGuest", guest="4242")

def toolarge():
    p = Peer()
    try:
        p.send(b"a" * (100 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass
    p.expect(E + "MessageTooLarge")
    p.expect_eof()

def padded(size):
    m = {"method": E + "GetInfo", "parameters": {"pad": ""}}
    n = size - len(json.dumps(m).encode())
    m["parameters"]["pad"] = "x" * n
    raw = json.dumps(m).encode()
    assert len(raw) == size
    return raw + b"\0"

def limit():
    p = Peer()
    p.send(padded(64 * 1024))
    assert p.expect()["parameters"]["interface_version"] == 5
    p.send(padded(64 * 1024 + 1))
    p.expect(E + "MessageTooLarge")
    p.expect_eof()

def pipelined():
    p = Peer()
    p.send(b"".join(json.dumps({"method": E + m}).encode() + b"\0"
                    for m in ("GetInfo", "List", "Stats")))
    assert "version" in p.expect()["parameters"]
    assert "guests" in p.expect()["parameters"]
    assert "calls" in p.expect()["parameters"]
    p.call(E + "GetInfo", oneway=True)
    p.call(E + "List")
    assert "guests" in p.expect()["parameters"]

def follow():
    p = Peer()
    p.call(E + "Events", {"follow": True}, more=True)
    r = p.expect()
    assert r.get("continues") is True and isinstance(r["parameters"]["events"], list)
    print("following", flush=True)
    r = p.expect()
    ev = r["parameters"]["events"]
    assert r.get("continues") is True and len(ev) == 1 and ev[0]["guest"], r
    print("event", json.dumps(ev[0]), flush=True)

def flood():
    # Follow the events and pipeline calls, never reading a byte.
    p = Peer()
    p.call(E + "Events", {"follow": True}, more=True)
    try:
        for _ in range(4000):
            p.call(E + "List")
    except (BrokenPipeError, ConnectionResetError):
        pass
    print("flooded", flush=True)
    time.sleep(float(sys.argv[3]))
    p.s.settimeout(20)
    got = 0
    while p.recv() is not None:
        got += 1
    assert got < 4000, "the daemon queued everything (%d replies)" % got
    print("dropped after", got, "replies", flush=True)

def many():
    peers = [Peer() for _ in range(50)]
    for p in peers:
        p.call(E + "GetInfo")
    for p in peers:
        assert p.expect()["parameters"]["interface_version"] == 5

def maxconns():
    # Refused ones are sent io.stubdm.TooManyConnections, then closed.
    peers = [conn() for _ in range(140)]
    time.sleep(1)
    closed = 0
    for s in peers:
        s.setblocking(False)
        try:
            d = s.recv(65536)
        except BlockingIOError:
            continue
        if d:
            r = json.loads(d.rstrip(b"\0"))
            assert r["error"] == "io.stubdm.TooManyConnections", r
            assert r["parameters"]["limit"] == 128, r
            try:
                d = s.recv(1)
            except BlockingIOError:
                assert False, "refused, but left open"
            except ConnectionResetError:
                d = b""
        closed += d == b""
    assert closed >= 12, "%d of 140 closed at accept" % closed
    assert closed <= 12 + 2, "%d of 140 closed at accept" % closed
    print("# closed at accept:", closed, flush=True)
    for s in peers:
        s.close()

try:
    globals()[case]()
except AssertionError as e:
    print("raw %s: %s" % (case, e), file=sys.stderr)
    sys.exit(1)
PY
raw() { python3 "$T/raw.py" "$SOCK" "$@"; }

hvsimctl create-hvm web1 >/dev/null
wait_gstate web1 running

# --- the socket itself
check "socket mode 0660" test "$(stat -c %a "$SOCK")" = 660
check "socket owned by the daemon's user" test "$(stat -c %u "$SOCK")" = "$(id -u)"
check "uid 65534 cannot connect to a 0660 socket" nobody_exit 3 list
check "... and is told why" grep -q "cannot connect to $SOCK: Permission denied" "$T/err"

# --- read-only for everyone who can connect, privileged for root only
chmod 0666 "$SOCK"
check "uid 65534: list works" nobody_exit 0 list
check "uid 65534: sees web1" grep -q '^web1 ' "$T/out"
check "uid 65534: status, stats, events work" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$SOCK' status web1 >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$SOCK' stats >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups '$STUBDMCTL' -S '$SOCK' events >/dev/null"
check "uid 65534: stop refused" denied stop web1
check "uid 65534: start refused" denied start web1
check "uid 65534: restart refused" denied restart web1
check "uid 65534: reload refused" denied reload
check "uid 65534: set-log-level refused" denied set-log-level debug
check "the refusals changed nothing" test "$(gstate web1)/$(live_stubs web1)" = running/1
check "a refusal is logged with the peer's uid and pid" grep -qE "io.stubdm.Stop refused to uid 65534 pid [0-9]+" "$T/stubdmd.log"
check "reloads untouched" bash -o pipefail -c "'$STUBDMCTL' -S '$SOCK' --json stats | grep -q '\"reloads\": 0'"

# --- raw-socket abuse: each bad client fails alone
check "garbage JSON: InvalidMessage, then closed" raw garbage
check "... logged with the peer's uid and pid" grep -qE "closing the connection of uid 0 pid [0-9]+: malformed JSON" "$T/stubdmd.log"
check "... the daemon lives and serves others" alive
check "JSON non-objects: InvalidMessage, connection kept" raw nonobject
check "ill-typed method/parameters/more/oneway: InvalidMessage" raw badcall
check "unknown methods: MethodNotFound {method}" raw nomethod
check "wrong parameters: InvalidParameter {parameter}, NoSuchGuest" raw badparams
check "100 KiB without NUL: MessageTooLarge, then closed" raw toolarge
check "... logged" grep -q "message larger than 64 KiB" "$T/stubdmd.log"
check "exactly 64 KiB is accepted, one byte more is not" raw limit
check "pipelined calls answered in order; oneway gets no reply" raw pipelined
check "the daemon survived the abuse" alive
check "stats after the abuse" ctl_quiet --json stats
ctl --json stats >"$T/stats.json"
check "stats count the rejected messages" python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["messages_rejected"] >= 20 and d["connections_dropped"] >= 3 else 1)' "$T/stats.json"

# --- Events follow over the raw socket: history, then a live change
raw follow >"$T/follow.out" 2>&1 &
rpid=$!
wait_until 5 grep -q following "$T/follow.out"
hvsimctl create-hvm live1 >/dev/null
check "raw follow: a live event with continues" wait_until 10 grep -q '^event .*"guest": "live1"' "$T/follow.out"
wait "$rpid"; rc=$?
check "raw follow: exited cleanly" test "$rc" -eq 0

# --- a client that follows and floods but never reads
for i in $(seq 10); do hvsimctl create-hvm "f$i" >/dev/null; done
for i in $(seq 10); do wait_gstate "f$i" running; done
raw flood 6 >"$T/flood.out" 2>&1 &
fpid=$!
wait_until 10 grep -q flooded "$T/flood.out"
ok=0
for i in $(seq 10); do
	timeout 3 "$STUBDMCTL" -S "$SOCK" stop "f$i" >/dev/null &&
	timeout 3 "$STUBDMCTL" -S "$SOCK" start "f$i" >/dev/null &&
	timeout 3 "$STUBDMCTL" -S "$SOCK" list >/dev/null && ok=$((ok + 1))
done
check "the daemon answers others while a client does not read" test "$ok" = 10
for i in $(seq 10); do wait_gstate "f$i" running; done
check "the state changes went on" test "$(live_stubs f1)/$(live_stubs f10)" = 1/1
wait "$fpid"; rc=$?
check "the non-reading client was disconnected" test "$rc" -eq 0
check "... and that was logged" grep -qE "closing the connection of uid 0 pid [0-9]+: more than 1 MiB of replies left unread" "$T/stubdmd.log"

# --- many clients at once
check "50 raw clients at once" raw many
pids=""
for i in $(seq 50); do ctl list >"$T/many.$i" 2>&1 & pids="$pids $!"; done
fails=0
for j in $pids; do wait "$j" || fails=$((fails + 1)); done
check "50 stubdmctl list at once all succeed" test "$fails" = 0
check "... each saw web1" test "$(cat "$T"/many.* | grep -c '^web1 ')" = 50
check "past 128 connections, new ones get an error and are closed at accept" raw maxconns
check "... and that is logged" grep -q "refusing a connection of uid 0 pid [0-9]*: 128 connections open in all" "$T/stubdmd.log"
check "the slots come back" wait_until 5 alive

# --- non-root members of admin_group may do privileged calls
sed -i 's/^\[global\]$/[global]\nadmin_group = nogroup/' "$T/policy.ini"
check "reload with admin_group = nogroup" ctl_quiet reload
check "gid 65534 (nogroup) may now stop a guest" nobody_exit 0 stop web1
wait_gstate web1 stopped
check "... and start it" nobody_exit 0 start web1
wait_gstate web1 running

# --- restart: stale socket replaced, group applied, a live one kept
stubdmd_kill9
check "a killed daemon leaves its socket" test -S "$SOCK"
stubdmd_start
check "a stale socket is replaced" alive
check "the socket's group is admin_group" test "$(stat -c %G "$SOCK")" = nogroup
check "mode 0660 again" test "$(stat -c %a "$SOCK")" = 660
timeout 10 "$STUBDMD" -d -f "$T/policy.ini" -S "$SOCK" --sim "$SIM" \
	>"$T/second.log" 2>&1; rc=$?
check "a second daemon on a live socket refuses to start" test "$rc" -ne 0 -a "$rc" -ne 124
check "... saying why" grep -q "another stubdmd answers on it" "$T/second.log"
check "... and leaves the first one's socket alone" alive
stubdmd_stop
check "a clean shutdown removes the socket" test ! -e "$SOCK"

# --- socket activation: systemd's socket is used, and left in place
if command -v systemd-socket-activate >/dev/null; then
	# It clears the environment but for what -E names.
	envs="-E XENSTORED_PATH"
	for v in ASAN_OPTIONS UBSAN_OPTIONS; do
		[ -n "${!v:-}" ] && envs="$envs -E $v"
	done
	systemd-socket-activate -l "$T/act.sock" $envs "$STUBDMD" -d \
		-f "$T/policy.ini" --sim "$SIM" >>"$T/act.log" 2>&1 &
	apid=$!
	_pids="$_pids $apid"
	wait_until 5 test -S "$T/act.sock"
	check "activation: the first client starts the daemon and is served" \
		ctl_quiet -S "$T/act.sock" list
	check "... on the socket systemd passed" grep -q "listening on the socket passed by systemd" "$T/act.log"
	check "... not on the policy's socket" test ! -e "$SOCK"
	kill -TERM "$apid"; wait "$apid"; rc=$?
	check "... a clean exit" test "$rc" -eq 0
	check "... leaves systemd's socket file alone" test -S "$T/act.sock"
else
	note "systemd-socket-activate missing: socket activation not tested"
fi
done_testing
