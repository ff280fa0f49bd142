#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Connection limits on the control socket: one user other than root holds
# at most max_connections_per_user; users together at most 120 of the
# 128, so root always gets in.  A refused connection gets the error
# io.stubdm.TooManyConnections before the close; the log says so once per
# burst, then sums the rest up.
. "$TOP/tests/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv (util-linux) missing"; exit 77; }
hvsim_start
write_policy </dev/null
sed -i 's/^\[global\]$/[global]\nmax_connections_per_user = 4/' "$T/policy.ini"
chmod 0755 "$T"		# let the unprivileged users reach the socket
stubdmd_start
SOCK=$T/ctl.sock
chmod 0666 "$SOCK"
ctl() { "$STUBDMCTL" -S "$SOCK" "$@"; }
as_uid() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }

# (The system's python3: the unprivileged users may not read root's.)
# hold.py N FIFO: open N connections, call GetInfo on each, report how
# each went ("held": answered, or the error it was sent), then keep the
# held ones open until FIFO is written.
cat >"$T/hold.py" <<'PY'
import json, socket, sys
n, fifo = int(sys.argv[1]), sys.argv[2]
held, results = [], []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[3])
    s.settimeout(30)
    try:    # a refused connection may be closed before the call is sent
        s.sendall(b'{"method":"io.stubdm.GetInfo"}\0')
    except (BrokenPipeError, ConnectionResetError):
        pass
    buf = b""
    while not buf.endswith(b"\0"):
        d = s.recv(65536)
        assert d, "closed without a reply"
        buf += d
    reply = json.loads(buf[:-1])
    if "error" in reply:
        results.append(json.dumps(reply, sort_keys=True))
        try:    # closed with the call unread: a reset (Linux)
            assert s.recv(1) == b"", "a refused connection stays open"
        except ConnectionResetError:
            pass
        s.close()
    else:
        held.append(s)
        results.append("held")
for r in results:
    print(r)
sys.stdout.flush()
open(fifo).read()
PY
refusal() { echo "{\"error\": \"io.stubdm.TooManyConnections\", \"parameters\": {\"limit\": $1}}"; }
mkfifo "$T/go"
# hold N UID OUT: in the background; waits until N results are printed.
hold() {
	as_uid "$2" /usr/bin/python3 "$T/hold.py" "$1" "$T/go" "$SOCK" \
	    >"$3" 2>&1 &
	holders="$holders $!"
	wait_until 30 "test \$(wc -l <'$3') -ge $1" || fail "hold: $(cat "$3")"
}
# Each holder reads the FIFO to its end: one open-and-close lets all go.
release() { : >"$T/go"; wait $holders; holders=; }
holders=

hold 10 65534 "$T/h1"
check "uid 65534: 4 connections held, 6 refused" \
	test "$(grep -c '^held$' "$T/h1")/$(grep -cF "$(refusal 4)" "$T/h1")" = 4/6
check "... a refusal is a Varlink error with the limit" \
	grep -qxF "$(refusal 4)" "$T/h1"
as_uid 65534 "$STUBDMCTL" -S "$SOCK" list >"$T/out" 2>"$T/err"
rc=$?
check "... stubdmctl as that user: exit 1, the error in words" \
	test "$rc" = 1
check "... naming the error and the limit" \
	grep -q '^stubdmctl: io.stubdm.TooManyConnections: too many connections .*: 4$' "$T/err"
check "another user is not affected" \
	as_uid 65533 "$STUBDMCTL" -S "$SOCK" list
check "root is not affected" ctl list
check "the refusals are logged once" \
	test "$(grep -c 'refusing a connection of uid 65534' "$T/stubdmd.log")" = 1
check "... naming the limit" \
	grep -q 'refusing a connection of uid 65534 pid [0-9]*: 4 connections of this user open (max_connections_per_user)' "$T/stubdmd.log"
wait_until 15 "grep -q 'refused 6 more connections in the last 10 s' '$T/stubdmd.log'"
check "... the rest of the burst summed up in one line" \
	grep -q 'refused 6 more connections in the last 10 s' "$T/stubdmd.log"
check "stats count them" bash -c "'$STUBDMCTL' -S '$SOCK' --json stats | grep -q '\"connections_refused\": 7'"
release
check "closed connections count no more: the user connects again" \
	as_uid 65534 "$STUBDMCTL" -S "$SOCK" list

# Non-root users share 120 connections; root keeps the last 8.
sed -i 's/^max_connections_per_user = 4$/max_connections_per_user = 120/' "$T/policy.ini"
ctl reload >/dev/null || fail "reload"
hold 70 65534 "$T/h2"
hold 60 65533 "$T/h3"
check "users together: 120 connections, then refused (limit 120)" \
	test "$(cat "$T/h2" "$T/h3" | grep -c '^held$')/$(cat "$T/h2" "$T/h3" | grep -cF "$(refusal 120)")" = 120/10
check "root still gets in" ctl list
release
check "the daemon lives" kill -0 "$STUBDMD_PID"
stubdmd_stop
done_testing
