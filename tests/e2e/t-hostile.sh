#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Hostile inputs from guests, stub domains and a slow control client:
# names full of quotes, newlines and shell syntax, or as long as xenstore
# allows; stubs that write garbage or huge values where the daemon reads,
# delete their own directory, or write where they may not; a client that
# sends one byte a second.  Each fails alone; nothing reaches a shell.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy </dev/null
SOCK=$T/ctl.sock
ctl() { "$STUBDMCTL" -S "$SOCK" "$@"; }
alive() { kill -0 "$STUBDMD_PID" && ctl list >/dev/null; }
# as DOMID CMD...: run a xenstore client as that domain.
as() { local d=$1; shift; XENSTORED_PATH=$(hvsimctl sock-as "$d") "$@"; }
refused() { ! as "$@" 2>/dev/null; }
# hvsim_name DOMID: the domain's name as hvsim has it (list encodes it).
hvsim_name() {
	hvsimctl list | awk -v d="$1" '$1 == d { print $2 }' | python3 -c '
import sys, urllib.parse
sys.stdout.write(urllib.parse.unquote(sys.stdin.read().strip()))'
}
gstate_id() { xenstore-read "/tool/stubdmd/guests/$1" | tr ' ' '\n' | sed -n 's/^state=//p'; }
gfield_id() { xenstore-read "/tool/stubdmd/guests/$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# At most 64 bytes (hvsim's limit on domain names), with quotes, a newline,
# command substitutions, pipes and an escape sequence (xenstore-write would
# take a backslash as an escape).
evil="a\"b'c
\$(touch P1)\`touch P2\`;touch P3|&%n$(printf '\033')[31m"
pwned() { ls "$TOP"/P? "$T"/P? /P? /tmp/P? 2>/dev/null | grep -q .; }
long=$(head -c 4000 /dev/zero | tr '\0' 'A')

# --- hostile names: the toolstack wrote them before the daemon started
ge=$(hvsimctl create-hvm evil) || fail "create-hvm"
gl=$(hvsimctl create-hvm long) || fail "create-hvm"
xenstore-write "/local/domain/$ge/name" "$evil" || fail "writing the name"
xenstore-write "/local/domain/$gl/name" "$long" || fail "writing the long name"
check "the guest cannot rename itself" refused "$ge" \
	xenstore-write "/local/domain/$ge/name" x

# The slow client starts now and takes half a minute: one byte a second.
cat >"$T/slow.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
for b in b'{"method":"io.stubdm.List"}\0':
    s.sendall(bytes([b]))
    time.sleep(1)
s.settimeout(10)
buf = b""
while not buf.endswith(b"\0"):
    d = s.recv(65536)
    if not d:
        sys.exit("closed before the reply")
    buf += d
print("reply", len(json.loads(buf[:-1])["parameters"]["guests"]), "guests")
PY

stubdmd_start
python3 "$T/slow.py" "$SOCK" >"$T/slow.out" 2>&1 &
slow=$!
wait_until 10 'test "$(gstate_id "$ge")" = running'
check "a name with quotes, newlines and shell syntax: supervised, running" \
	test "$(gstate_id "$ge")" = running
se=$(hvsimctl list | awk -v g="$ge" '$5 == g && $4 != "dying" { print $1 }')
check "... exactly one stub, named NAME-dm" test "$(hvsimctl list |
	awk -v g="$ge" '$5 == g && $4 != "dying"' | wc -l)" = 1
check "... the stub's name is the guest's with -dm" \
	test "$(hvsim_name "$se")" = "$evil-dm"
check "... nothing was run by a shell" eval '! pwned'
check "... the log quotes it on one line" \
	grep -qF 'guest "a\x22b'"'"'c\x0a$(touch P1)`touch P2`;touch P3|&%n\x1b[31m" (domid' "$T/stubdmd.log"
check "... no raw control characters in the log" \
	bash -c "! grep -q \$'\033' '$T/stubdmd.log' && ! grep -q '^.(touch P1)' '$T/stubdmd.log'"
ctl list >"$T/list.out"
check "... stubdmctl list prints no control characters" \
	bash -c "! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <'$T/list.out')"
check "... --json round-trips the name exactly" python3 -c '
import json, subprocess, sys
out = subprocess.run(sys.argv[1:4] + ["--json", "list"], capture_output=True)
names = [g["name"] for g in json.loads(out.stdout)["guests"]]
sys.exit(0 if sys.argv[4] in names else 1)' "$STUBDMCTL" -S "$SOCK" "$evil"

# The real backend forks a worker for libxl but never runs a program.
check "the daemon cannot run a shell: no system, popen, exec*, posix_spawn" \
	bash -c "! nm -D --undefined-only '$STUBDMD' | grep -qwE 'system|popen|exec[lv]p?e?|fexecve|posix_spawnp?'"

wait_until 15 'test "$(gstate_id "$gl")" = failed'
check "a 4000-byte name: the build fails, the guest is failed" \
	test "$(gstate_id "$gl")" = failed
check "... saying why" bash -c "xenstore-read /tool/stubdmd/guests/$gl | grep -q 'reason=.*too%20long'"
check "... and it has no stub" test "$(hvsimctl list |
	awk -v g="$gl" '$5 == g && $4 != "dying"' | wc -l)" = 0
check "... the log line is cut short" grep -qE '"A{60,}\.\.\." \(domid '"$gl"'\)' "$T/stubdmd.log"
check "... status by domid works" bash -c "'$STUBDMCTL' -S '$SOCK' status $gl >/dev/null"
check "the daemon lives" alive

# --- a stub that writes garbage, huge values, or removes its directory
hvsimctl fault hostile never-ready count=1 >/dev/null
g=$(hvsimctl create-hvm hostile)
wait_until 10 'test "$(gstate_id "$g")" = starting'
s=$(gfield_id "$g" stub)
st=/local/domain/$s/device-model/$g/state
# The record says starting before the daemon has made the stub's
# device-model directory (n<stub>) and written its target, last: a stub
# acts once it has its target (under load the writes below came first
# once, and were refused).
wait_until 10 "xenstore-exists /local/domain/$s/target" || fail "stub $s got no target"
huge=$(head -c 3900 /dev/zero | tr '\0' 'r')
for v in garbage "running " " running" RUNNING "running
" "$huge" "$(printf 'running\001')"; do
	as "$s" xenstore-write "$st" "$v" || fail "the stub cannot write its state"
done
check "a stub writing garbage and huge states: still starting" \
	test "$(gstate_id "$g")" = starting
check "... the guest is still paused" test "$(dom_state "$g")" = paused
as "$s" xenstore-rm "/local/domain/$s/device-model/$g"
check "... it may remove its own directory" \
	bash -c "! xenstore-exists /local/domain/$s/device-model/$g"
check "... the daemon lives" alive
wait_until 15 'test "$(gstate_id "$g")" = running'
check "... start_timeout, then a new stub that works" \
	test "$(gstate_id "$g")/$(gfield_id "$g" restarts)" = running/1
s2=$(gfield_id "$g" stub)
check "... exactly one live stub" test "$(hvsimctl list |
	awk -v g="$g" '$5 == g && $4 != "dying"' | wc -l)" = 1
as "$s2" xenstore-rm "/local/domain/$s2/device-model/$g"
as "$s2" xenstore-write "/local/domain/$s2/device-model/$g/state" "$huge" 2>/dev/null
sleep 1.2	# two reconciles
check "a running stub removing its directory changes nothing" \
	test "$(gstate_id "$g")/$(gfield_id "$g" stub)" = "running/$s2"

# --- where a stub and a guest may not write (hvsim enforces xenstore's rules)
vm=$(xenstore-read "/local/domain/$g/vm")
sw=$(gfield_id "$ge" stub)
check "stub: cannot write its own arguments" refused "$s2" \
	xenstore-write "$vm/image/dm-argv/001" -evil
check "stub: cannot read another guest's arguments" refused "$s2" \
	xenstore-read "$(xenstore-read "/local/domain/$ge/vm")/image/dm-argv/001"
check "stub: cannot write another stub's state" refused "$s2" \
	xenstore-write "/local/domain/$sw/device-model/$ge/state" x
check "stub: cannot write the daemon's records" refused "$s2" \
	xenstore-write "/tool/stubdmd/guests/$g" "v=1 state=stopped"
check "stub: cannot read the daemon's records" refused "$s2" \
	xenstore-read "/tool/stubdmd/guests/$g"
check "stub: cannot write dom0's tree" refused "$s2" \
	xenstore-write /local/domain/0/name x
check "stub: cannot point the guest at another device model" refused "$s2" \
	xenstore-write "/local/domain/$g/image/device-model-domid" "$sw"
check "guest: cannot write its stub's arguments" refused "$g" \
	xenstore-write "$vm/image/dm-argv/001" -evil
check "guest: cannot write its stub's directory" refused "$g" \
	xenstore-write "/local/domain/$s2/device-model/$g/x" x
check "guest: cannot write the daemon's records" refused "$g" \
	xenstore-write "/tool/stubdmd/guests/$g" "v=1 state=stopped"
check "the records are unchanged" test "$(gstate_id "$g")" = running
check "the arguments are unchanged" \
	test "$(xenstore-read "$vm/image/dm-argv/001")" = -xen-domid

# --- the slow client was answered, and nobody waited for it
n=0
for i in $(seq 10); do timeout 2 "$STUBDMCTL" -S "$SOCK" list >/dev/null && n=$((n + 1)); done
check "others are served while a client sends a byte a second" test "$n" = 10
wait "$slow"; rc=$?
check "the slow client got its reply" test "$rc" = 0
check "... listing every guest" grep -qE '^reply [23] guests' "$T/slow.out"
check "the daemon lives" alive

# --- a policy that others could change (tests/policy/bad-writable.* has
# the -n check): refused on reload and at start-up, with the reason
pol=$T/policy.ini
refuses() {	# WHAT: a reload is refused saying why; the old policy stays
	! ctl reload >"$T/reload.out" 2>&1 &&
	grep -q "writable by users other than root" "$T/reload.out" &&
	test "$(gstate_id "$g")" = running
}
chmod 0666 "$pol"
check "policy mode 0666: reload refused, old policy kept" refuses
chmod 0664 "$pol"; chgrp nogroup "$pol"
check "policy group-writable by a non-root group: refused" refuses
chmod 0644 "$pol"; chgrp root "$pol"; chown 65534 "$pol"
check "policy owned by another user: refused" refuses
chown root "$pol"
check "... and the refusals are logged" grep -q "policy $pol rejected" "$T/stubdmd.log"
check "back to 0644 root: reload works" bash -c "'$STUBDMCTL' -S '$SOCK' reload >/dev/null"
cp "$pol" "$T/w.ini"; chmod 0666 "$T/w.ini"
"$STUBDMD" -d -f "$T/w.ini" -S "$T/w.sock" --sim "$SIM" >"$T/w.log" 2>&1
rc=$?
check "a daemon started on a writable policy exits non-zero" test "$rc" -ne 0
check "... saying why" grep -q "w.ini: writable by users other than root (owner uid 0, mode 0666); refusing it" "$T/w.log"
stubdmd_stop
done_testing
