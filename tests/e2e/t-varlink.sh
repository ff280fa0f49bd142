#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# stubdmd as a Varlink service, seen by an independent client: Debian's Go
# Varlink library with the bindings varlink-go-interface-generator makes
# from io.stubdm.varlink (tests/varlink, built by `make varlink-bins`).
# org.varlink.service (GetInfo, GetInterfaceDescription, its errors), the
# io.stubdm calls, a streaming Events call, and a privileged call refused
# to an unprivileged user; the IDL checked by the generator.
. "$TOP/tests/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv (util-linux) missing"; exit 77; }
GODIR=$TOP/build/go
make -s -C "$TOP" varlink-bins >"$T/go-build.log" 2>&1 ||
	fail "building the Go client: $(tail -5 "$T/go-build.log")"
CLIENT=$GODIR/varlink-client
# Debian's (package varlink-go), else the one built from its source.
GEN=$(command -v varlink-go-interface-generator) ||
	GEN=$GODIR/varlink-go-interface-generator
IDL=$TOP/stubdmd/io.stubdm.varlink

hvsim_start
write_policy </dev/null
chmod 0755 "$T"		# let the unprivileged user reach the socket
stubdmd_start
SOCK=$T/ctl.sock
ctl() { "$STUBDMCTL" -S "$SOCK" "$@"; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
g=$(hvsimctl create-hvm web1) || fail "create-hvm"
wait_gstate web1 running

# --- the IDL: the generator accepts it, and can refuse a broken one
mkdir -p "$T/idl"
cp "$IDL" "$T/idl/"
check "varlink-go-interface-generator accepts io.stubdm.varlink" \
	"$GEN" "$T/idl/io.stubdm.varlink"
check "... and writes the bindings" grep -q '^package iostubdm' "$T/idl/iostubdm.go"
printf 'method Broken(x: nosuchtype) -> ()\n' >>"$T/idl/io.stubdm.varlink"
check "... and refuses an interface with an unknown type" \
	bash -c "! '$GEN' '$T/idl/io.stubdm.varlink' 2>/dev/null"

# --- org.varlink.service
check "GetInfo, GetInterfaceDescription (the installed IDL), their errors" \
	"$CLIENT" "$SOCK" service "$IDL"

# --- the wire, raw: what the specification says about names and null
cat >"$T/raw.py" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
buf = b""
def call(msg):
    global buf
    s.sendall(json.dumps(msg).encode() + b"\0")
    while b"\0" not in buf:
        d = s.recv(65536)
        assert d, "connection closed after %r" % msg
        buf += d
    m, _, buf = buf.partition(b"\0")
    return json.loads(m)
def expect(msg, error, **params):
    r = call(msg)
    assert r.get("error") == error, "%r: got %r, wanted %s" % (msg, r, error)
    for k, v in params.items():
        assert r["parameters"].get(k) == v, "%r: got %r" % (msg, r)
    return r
V = "org.varlink.service."
r = expect({"method": V + "GetInfo", "parameters": None}, None)
assert r["parameters"]["interfaces"] == ["org.varlink.service", "io.stubdm"], r
expect({"method": "io.stubdm.List", "parameters": None}, None)
expect({"method": V + "GetInterfaceDescription"}, V + "InvalidParameter",
       parameter="interface")
expect({"method": V + "GetInterfaceDescription", "parameters": None},
       V + "InvalidParameter", parameter="interface")
expect({"method": V + "GetInterfaceDescription",
        "parameters": {"interface": 5}}, V + "InvalidParameter",
       parameter="interface")
expect({"method": V + "GetInterfaceDescription",
        "parameters": {"interface": "io.nope"}}, V + "InterfaceNotFound",
       interface="io.nope")
expect({"method": V + "Nope"}, V + "MethodNotFound", method=V + "Nope")
expect({"method": "org.example.ping.Ping"}, V + "InterfaceNotFound",
       interface="org.example.ping")
expect({"method": "io.stubdm.Nope"}, "io.stubdm.MethodNotFound",
       method="io.stubdm.Nope")
r = expect({"method": V + "GetInterfaceDescription",
            "parameters": {"interface": V[:-1]}}, None)
assert r["parameters"]["description"].startswith("#"), r
PY
check "raw: null parameters, the org.varlink.service errors" \
	python3 "$T/raw.py" "$SOCK"

# --- io.stubdm, read-only, as root and as an unprivileged user
check "List, Status, GetInfo, Stats: replies match the IDL" \
	"$CLIENT" "$SOCK" read web1
chmod 0666 "$SOCK"	# the test's socket: let uid 65534 connect
check "uid 65534: the read-only calls work" \
	nobody "$CLIENT" "$SOCK" read web1

# --- a privileged call from an unprivileged user
nobody "$CLIENT" "$SOCK" stop web1 >"$T/out" 2>"$T/err"
check "uid 65534: Stop is refused with io.stubdm.PermissionDenied" \
	grep -qx refused "$T/out"
check "... and web1 still runs (hvsim: one live stub)" \
	test "$(gstate web1)" = running -a "$(live_stubs web1)" -eq 1
"$CLIENT" "$SOCK" stop web1 >"$T/out" 2>"$T/err"
check "root: Stop is allowed" grep -qx allowed "$T/out"
wait_gstate web1 stopped
check "... and web1's stub is gone (hvsim)" test "$(live_stubs web1)" -eq 0

# --- a streaming call: Events with more, then live changes
"$CLIENT" "$SOCK" events 2 >"$T/events" 2>"$T/events.err" &
ev=$!
_pids="$_pids $ev"
wait_until 10 grep -qx history "$T/events" || fail "no first Events reply"
ctl start web1 >/dev/null
wait_until 20 'grep -q "^web1 spawning starting$" "$T/events"'
check "Events (more): live changes stream, flagged continues" \
	grep -qx 'web1 stopped spawning' "$T/events"
check "... and in order" bash -c "grep -A1 -x 'web1 stopped spawning' '$T/events' | grep -qx 'web1 spawning starting'"
wait "$ev"
check "... the client read them and exited 0" test $? -eq 0
wait_gstate web1 running

check "the daemon is still alive" kill -0 "$STUBDMD_PID"
stubdmd_stop
done_testing
