#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# stubdmctl against a daemon on the simulated host: every verb, in words
# and as JSON, the exit codes, and the effects checked from hvsim's view.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
[guest "noway"]
stubdom = no
[guest "quiet*"]
unpause_guest = no
P
stubdmd_start

ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
# jq_ok FILE EXPR: EXPR (Python, the document is d) holds for the JSON file.
jq_ok() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
# Run ctl, keep stdout/stderr in $T/out, $T/err; succeed if it exits $1.
ctl_exit() {
	local want=$1 rc; shift
	ctl "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$want" ] || { note "exit $rc, wanted $want: $(cat "$T/err")"; return 1; }
}

g=$(hvsimctl create-hvm web1) || fail "create-hvm"
wait_gstate web1 running
s=$(stub_of web1)

# --- usage and connection errors
check "no verb: usage, exit 2" ctl_exit 2
check "unknown verb: exit 2" ctl_exit 2 frobnicate
check "status without GUEST: exit 2" ctl_exit 2 status
check "events with a bad option: exit 2" ctl_exit 2 events --sideways
check "help lists every verb" bash -o pipefail -c "'$STUBDMCTL' help | grep -c -E '^  (list|status|start|stop|restart|reload|events|stats|set-log-level|version|help) ' | grep -qx 11"
"$STUBDMCTL" -S "$T/nowhere.sock" list >"$T/out" 2>"$T/err"; rc=$?
check "no daemon: exit 3" test "$rc" -eq 3
check "no daemon: names the socket and the reason" grep -q "$T/nowhere.sock: No such file or directory" "$T/err"

# --- list
check "stubdmctl list: exit 0" ctl_exit 0 list
check "list: header" grep -qE '^NAME +DOMID +STATE +MODE +STUB +RESTARTS +LAST-EXIT +DM +REASON$' "$T/out"
check "list: columns aligned" bash -c "awk '{ print index(\$0, \$3) }' '$T/out' | sort -u | wc -l | grep -qx 1"
check "list: web1 running with its stub" \
	awk -v g="$g" -v s="$s" '$1 == "web1" && $2 == g && $3 == "running" && $4 == "own" && $5 == s && $6 == 0 { f = 1 } END { exit !f }' "$T/out"
check "stubdmctl --json list: exit 0" ctl_exit 0 --json list
check "list --json" jq_ok "$T/out" "[x for x in d['guests'] if x['name'] == 'web1' and x['domid'] == $g and x['stub_domid'] == $s and x['state'] == 'running' and x['mode'] == 'own' and x['restarts'] == 0 and x['last_exit'] == 'none']"

# --- options anywhere, as systemctl, virsh and git take them
check "stubdmctl list --json: exit 0" ctl_exit 0 list --json
check "... the same document as --json list" jq_ok "$T/out" "[x for x in d['guests'] if x['name'] == 'web1' and x['domid'] == $g]"
check "stubdmctl status web1 --json: exit 0" ctl_exit 0 status web1 --json
check "... JSON about web1" jq_ok "$T/out" "d['guest']['name'] == 'web1'"
check "stubdmctl status --json web1" ctl_exit 0 status --json web1
check "... JSON about web1" jq_ok "$T/out" "d['guest']['name'] == 'web1'"
check "-S after the verb" bash -c "'$STUBDMCTL' list -S '$T/ctl.sock' | grep -q '^web1 '"
check "--socket=PATH after the verb's argument" bash -c "'$STUBDMCTL' status web1 --socket='$T/ctl.sock' | grep -qx 'name: web1'"
check "-- ends the options: a guest named --json" ctl_exit 1 status -- --json
check "... is looked up as a guest" grep -q 'NoSuchGuest.*--json' "$T/err"
check "options after --: not options" ctl_exit 2 list -- --json
check "a verb's option on another verb: exit 2" ctl_exit 2 list --follow
check "... says which" grep -qx 'stubdmctl: list does not take --follow' "$T/err"
check "stats --openmetrics is stats's only" ctl_exit 2 status web1 --openmetrics

# --- status
check "stubdmctl status web1: exit 0" ctl_exit 0 status web1
check "status: key: value lines" grep -qx 'state: running' "$T/out"
check "status: stub domid" grep -qx "stub domid: $s" "$T/out"
check "status: ioreq slots used" grep -qx 'ioreq slots used: 1' "$T/out"
check "status: policy section and settings" bash -c "grep -qx 'policy section: defaults' '$T/out' && grep -qx '  memory = 32' '$T/out'"
check "status by domid" ctl_exit 0 status "$g"
check "status by domid names web1" grep -qx 'name: web1' "$T/out"
check "stubdmctl --json status DOMID: exit 0" ctl_exit 0 --json status "$g"
check "status --json" jq_ok "$T/out" "d['guest']['name'] == 'web1' and d['guest']['starts'] == 1 and d['guest']['ever_ran'] is True and d['guest']['dying'] == [] and d['guest']['policy']['section'] == 'defaults' and d['guest']['policy']['settings']['kernel'] == '$T/kernel' and d['guest']['state_since'].endswith('Z')"
check "status of an unknown guest: exit 1" ctl_exit 1 status nosuch
check "status of an unknown guest: NoSuchGuest" grep -q '^stubdmctl: io.stubdm.NoSuchGuest: no such guest: nosuch$' "$T/err"
check "status of an unknown domid: exit 1" ctl_exit 1 status 4242

# --- stats and version
check "stubdmctl stats: exit 0" ctl_exit 0 stats
check "stats: key: value" bash -c "grep -qE '^spawns: [1-9]' '$T/out' && grep -qx 'reloads: 0' '$T/out'"
check "stubdmctl --json stats: exit 0" ctl_exit 0 --json stats
check "stats --json" jq_ok "$T/out" "d['spawns'] >= 1 and d['ready'] >= 1 and d['reloads'] == 0 and d['reload_failures'] == 0 and d['connections_served'] >= 5 and 'messages_rejected' in d and 'orphans_destroyed' in d and d['backend_stall_us_max'] == 0"
check "stubdmctl version: exit 0" ctl_exit 0 version
check "version: the client's" grep -qE '^stubdmctl [0-9.]+ \(interface 5\)$' "$T/out"
check "version: the daemon's" grep -qE '^stubdmd [0-9.]+ \(interface 5, backend sim\)$' "$T/out"
check "stubdmctl --json version: exit 0" ctl_exit 0 --json version
check "version --json" jq_ok "$T/out" "d['daemon']['interface_version'] == 5 and d['daemon']['backend'] == 'sim' and d['daemon']['states']['running'] == 1 and d['daemon']['policy'] == '$T/policy.ini' and d['version'] == d['daemon']['version']"
"$STUBDMCTL" -S "$T/nowhere.sock" version >"$T/out" 2>"$T/err"; rc=$?
check "version without a daemon: exit 0" test "$rc" -eq 0
check "... the client's version, the daemon unreachable" bash -c "grep -q '^stubdmctl ' '$T/out' && grep -q 'not reachable at $T/nowhere.sock' '$T/err'"

# --- stop: the stub goes, the guest is stopped, nothing rebuilds it
check "stop: exit 0" ctl_exit 0 stop web1
check "stop: says stopped" grep -qx 'web1: stopped' "$T/out"
wait_gstate web1 stopped
check "stop: no live stub in hvsim" test "$(live_stubs web1)" = 0
sleep 1.2	# two reconciles
check "stop: no rebuild" test "$(live_stubs web1)/$(gstate web1)" = 0/stopped
check "stop: list shows no stub" bash -o pipefail -c "'$STUBDMCTL' -S '$T/ctl.sock' list | awk '\$1 == \"web1\" && \$3 == \"stopped\" && \$5 == \"-\" && \$7 == \"stopped\" { f = 1 } END { exit !f }'"

# --- start: a new stub
check "start: exit 0" ctl_exit 0 start "$g"
wait_gstate web1 running
s2=$(stub_of web1)
check "start: a new stub domain" test -n "$s2" -a "$s2" != "$s"
check "start: exactly one live stub" test "$(live_stubs web1)" = 1

# --- restart
check "restart: exit 0" ctl_exit 0 --json restart web1
check "restart --json: the guest is rebuilding" jq_ok "$T/out" "d['guest']['name'] == 'web1' and d['guest']['state'] in ('spawning', 'starting', 'running')"
wait_gstate web1 running
s3=$(stub_of web1)
check "restart: another new stub" test -n "$s3" -a "$s3" != "$s2" -a "$s3" != "$s"
check "restart: exactly one live stub" test "$(live_stubs web1)" = 1

# --- a guest stubdmd does not supervise
hvsimctl create-hvm noway >/dev/null
wait_gstate noway ignored
check "stop of an unsupervised guest: exit 1" ctl_exit 1 stop noway
check "... NotSupervised" grep -q '^stubdmctl: io.stubdm.NotSupervised: .*: noway$' "$T/err"
check "start of an unsupervised guest: exit 1" ctl_exit 1 start noway
check "... and it still has no stub" test "$(live_stubs noway)/$(gstate noway)" = 0/ignored

# --- a dead stub's console and history in status
q=$(hvsimctl create-hvm quiet1)
wait_gstate quiet1 running
qs=$(stub_of quiet1)
hvsimctl crash "$qs" >/dev/null
new_stub() { local n; n=$(stub_of "$1"); [ -n "$n" ] && [ "$n" != "$2" ]; }
wait_until 10 new_stub quiet1 "$qs" || note "no rebuild of quiet1's stub"
wait_gstate quiet1 running
check "stubdmctl status quiet1: exit 0" ctl_exit 0 status quiet1
check "status: restarts and last exit after a crash" bash -c "grep -qx 'restarts: 1' '$T/out' && grep -qx 'last exit: crashed' '$T/out'"
check "status: the dead stub's console tail" grep -q '^  | .*device model running' "$T/out"
check "stubdmctl --json status quiet1: exit 0" ctl_exit 0 --json status quiet1
check "status --json: console, last exit time, never ran" jq_ok "$T/out" "'device model running' in d['guest']['console'] and d['guest']['last_exit_time'].endswith('Z') and d['guest']['ever_ran'] is False and d['guest']['policy']['section'] == 'guest \"quiet*\"' and d['guest']['policy']['settings']['unpause_guest'] == 'no'"

# --- events without --follow: the history
check "stubdmctl events: exit 0" ctl_exit 0 events
check "events: web1's stop is in the history" grep -qE "^[0-9-]+T[0-9:.]+Z web1 \(domid $g, stub (-|[0-9]+)\): (running|stopping) -> stopped: stopped by the operator$" "$T/out"
check "events: quiet1 back to running" grep -qE "quiet1 \(domid $q, stub [0-9]+\): starting -> running" "$T/out"
check "stubdmctl --json events: exit 0" ctl_exit 0 --json events
check "events --json" jq_ok "$T/out" "[e for e in d['events'] if e['guest'] == 'web1' and e['new'] == 'stopped' and e['domid'] == $g and e['stub_domid'] is None] and all(e['time'].endswith('Z') for e in d['events'])"

# --- events --follow --json: a live transition arrives
ctl --json events --follow >"$T/follow.out" 2>"$T/follow.err" &
fpid=$!
wait_until 5 grep -q '"new": *"stopped"' "$T/follow.out" || note "no history on follow"
hvsimctl create-hvm live1 >/dev/null
wait_gstate live1 running
check "follow: the live transition arrives" wait_until 5 grep -q '"guest": *"live1".*"new": *"running"' "$T/follow.out"
check "follow: one JSON object per line" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
evs = [json.loads(l) for l in lines]
assert all(isinstance(e, dict) and "old" in e for e in evs)
assert [e for e in evs if e["guest"] == "web1" and e["new"] == "stopped"]
' "$T/follow.out"
check "follow: still running" kill -0 "$fpid"
kill "$fpid"; wait "$fpid" 2>/dev/null

# --- reload
sed -i 's/^memory = 32$/memory = 48/' "$T/policy.ini"
check "reload: exit 0" ctl_exit 0 reload
check "reload: says loaded" grep -qx "policy $T/policy.ini loaded" "$T/out"
check "reload: new settings in status" bash -o pipefail -c "'$STUBDMCTL' -S '$T/ctl.sock' status web1 | grep -qx '  memory = 48'"
printf 'bogus_key = 1\n' >>"$T/policy.ini"
check "reload of a broken policy: exit 1" ctl_exit 1 reload
check "... PolicyRejected" grep -q '^stubdmctl: io.stubdm.PolicyRejected: ' "$T/err"
check "... with FILE:LINE" grep -qE "^$T/policy.ini:[0-9]+: .*bogus_key" "$T/err"
check "... the old policy stays" bash -o pipefail -c "'$STUBDMCTL' -S '$T/ctl.sock' status web1 | grep -qx '  memory = 48'"
check "stubdmctl --json stats: exit 0" ctl_exit 0 --json stats
check "stats count the reloads" jq_ok "$T/out" "d['reloads'] == 1 and d['reload_failures'] == 1"
sed -i '/^bogus_key/d' "$T/policy.ini"

# --- set-log-level
check "set-log-level debug: exit 0" ctl_exit 0 set-log-level debug
check "... says so" grep -qx 'log level debug (was info)' "$T/out"
check "... and GetInfo agrees" bash -o pipefail -c "'$STUBDMCTL' -S '$T/ctl.sock' --json version | grep -q '\"log_level\": \"debug\"'"
check "set-log-level loud: exit 1" ctl_exit 1 set-log-level loud
check "... InvalidParameter level" grep -q '^stubdmctl: io.stubdm.InvalidParameter: invalid parameter: level$' "$T/err"
ctl set-log-level info >/dev/null

# --- the client against a misbehaving server: capped, never hangs
cat >"$T/fake.py" <<'PY'
import os, socket, sys
path, mode = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path + ".tmp")
os.rename(path + ".tmp", path)
srv.listen(1)
c, _ = srv.accept()
buf = b""
while b"\0" not in buf:
    buf += c.recv(4096)
replies = {
    "close": b"",
    "garbage": b"nonsense\0",
    "error": b'{"error":"io.stubdm.Weird","parameters":{"x":1}}\0',
}
try:
    if mode == "big":
        chunk = b" " * (1 << 20)
        for _ in range(17):
            c.sendall(chunk)
    else:
        c.sendall(replies[mode])
except (BrokenPipeError, ConnectionResetError):
    pass
c.close()
PY
fake() {	# fake MODE: stubdmctl list against a fake server
	local pid rc
	rm -f "$T/fake.sock"
	python3 "$T/fake.py" "$T/fake.sock" "$1" &
	pid=$!
	wait_until 5 test -S "$T/fake.sock"
	timeout 20 "$STUBDMCTL" -S "$T/fake.sock" list >"$T/out" 2>"$T/err"
	rc=$?
	wait "$pid"
	return $rc
}
fake big
check "a reply over 16 MiB: exit 3" test $? -eq 3
check "... refused before it is all buffered" grep -q 'reply larger than the 16 MiB limit' "$T/err"
fake close
check "no reply, connection closed: exit 3" test $? -eq 3
check "... says so" grep -q "fake.sock: stubdmd closed the connection" "$T/err"
fake garbage
check "a malformed reply: exit 3" test $? -eq 3
check "... says so" grep -q "fake.sock: malformed reply" "$T/err"
fake error
check "an unknown error: exit 1" test $? -eq 1
check "... named, with its parameters" grep -q '^stubdmctl: io.stubdm.Weird: error: {"x":1}$' "$T/err"

check "the daemon is still running" kill -0 "$STUBDMD_PID"
stubdmd_stop
check "clean shutdown removes the socket" test ! -e "$T/ctl.sock"
done_testing
