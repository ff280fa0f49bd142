#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# stubdmd under systemd's notify protocol (sd_notify(3)), read from a
# datagram socket as systemd would: READY=1 once the control socket
# listens and the first reconcile is done, STATUS= with live counts,
# RELOADING=1 + MONOTONIC_USEC= ... READY=1 around every reload (a
# rejected one too), WATCHDOG=1 from the event loop (none while it is
# stuck), STOPPING=1 last; stub domains outlive the daemon.
. "$TOP/tests/lib.sh"
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
N=$T/notify.txt
: >"$N"
python3 "$TOP/tests/service/dgram-listen" "$T/notify.sock" "$N" \
	"$T/ctl.sock" 2>>"$T/listen.log" &
_pids="$_pids $!"
wait_until 10 test -S "$T/notify.sock" || fail "the notify listener did not start"

# rec KEY: the numbers of the datagrams that carry KEY=... (in order).
rec() { awk -v k="$1=" 'index($2, k) == 1 { print $1 }' "$N"; }
# val N KEY: KEY's value in datagram N.
val() { awk -v n="$1" -v k="$2=" '$1 == n && index($2, k) == 1 { sub(/^[0-9]+ [A-Z_]+=/, ""); print }' "$N"; }
last() { rec "$1" | tail -n1; }
count() { rec "$1" | wc -l; }
statuses() { awk 'index($2, "STATUS=") == 1 { sub(/^[0-9]+ STATUS=/, ""); print }' "$N"; }
has_status() { statuses | grep -qxF "$1"; }

hvsim_start
write_policy <<'P'
memory = 32
P
hvsimctl create-hvm pre1 >/dev/null
export NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000
stubdmd_start
unset NOTIFY_SOCKET WATCHDOG_USEC

# --- start-up
wait_until 10 'test -n "$(rec READY)"' || fail "no READY=1: $(cat "$N")"
r=$(rec READY | head -n1)
check "the first message is READY=1" test "$(head -n1 "$N" | cut -d' ' -f2)" = READY=1
check "the control socket accepts when READY=1 arrives" test "$(val "$r" PROBE)" = ok
check "READY=1 after the first reconcile (the guest already counted)" \
	grep -q '^1 guest, ' <<<"$(val "$r" STATUS)"
check "READY=1 once at start-up" test "$(count READY)" = 1

# --- STATUS: live counts
wait_until 10 'has_status "1 guest, 1 running, 0 backing off, 0 failed"'
check "STATUS follows the guest to running" has_status "1 guest, 1 running, 0 backing off, 0 failed"
hvsimctl create-hvm g2 >/dev/null
hvsimctl fault bad build-fail >/dev/null
hvsimctl create-hvm bad >/dev/null
wait_until 15 'has_status "3 guests, 2 running, 0 backing off, 1 failed"'
check "STATUS counts new guests and a failed one" has_status "3 guests, 2 running, 0 backing off, 1 failed"
n1=$(wc -l <"$N"); sleep 2.2
check "STATUS is not repeated while nothing changes" \
	test -z "$(awk -v n="$n1" 'NR > n && index($2, "STATUS=") == 1' "$N")"

# --- watchdog: keep-alives every 200 ms (WATCHDOG_USEC / 2) from the loop
check "WATCHDOG=1 keep-alives are sent" test "$(count WATCHDOG)" -ge 5
check "no keep-alive before READY=1" test "$(rec WATCHDOG | head -n1)" -gt "$r"
# A stuck loop: xenstored (hvsim) stops answering, and the next xenstore
# call of the daemon (the 500 ms reconcile) blocks.
kill -STOP "$HVSIM_PID"
sleep 1.5
w1=$(count WATCHDOG); sleep 1.5; w2=$(count WATCHDOG)
kill -CONT "$HVSIM_PID"
check "no keep-alive while the event loop is stuck" test "$w1" = "$w2"
wait_until 5 'test "$(count WATCHDOG)" -gt "$w2"'
check "keep-alives resume with the loop" test "$(count WATCHDOG)" -gt "$w2"

# --- reloads: RELOADING=1 + MONOTONIC_USEC, then READY=1
sed -i 's/^memory = 32$/memory = 48/' "$T/policy.ini"
kill -HUP "$STUBDMD_PID"
wait_until 5 'test "$(count READY)" = 2' || fail "no READY=1 after SIGHUP: $(tail "$N")"
rl=$(last RELOADING)
check "SIGHUP: RELOADING=1 before the second READY=1" test -n "$rl" -a "$rl" -lt "$(last READY)"
mono=$(val "$rl" MONOTONIC_USEC) recv=$(val "$rl" RECV_USEC)
check "RELOADING=1 carries MONOTONIC_USEC of CLOCK_MONOTONIC" \
	test -n "$mono" -a "$(( recv - mono ))" -ge 0 -a "$(( recv - mono ))" -lt 5000000
check "nothing between RELOADING=1 and READY=1" test "$(last READY)" = $((rl + 1))
out=$("$STUBDMCTL" -S "$T/ctl.sock" reload 2>&1); rc=$?
check "stubdmctl reload: exit 0" test "$rc" = 0
# The reply can come before the listener has written the datagrams out.
wait_until 5 'test "$(count READY)" = 3'
check "stubdmctl reload: RELOADING=1, then READY=1" \
	test "$(count RELOADING)" = 2 -a "$(last READY)" = $(( $(last RELOADING) + 1 ))
check "READY=1 after a good reload has no complaint" \
	grep -q 'failed$' <<<"$(val "$(last READY)" STATUS)"

cp "$T/policy.ini" "$T/good.ini"
printf 'bogus_key = 1\n' >>"$T/policy.ini"
out=$("$STUBDMCTL" -S "$T/ctl.sock" reload 2>&1); rc=$?
check "rejected reload: stubdmctl reload exits 1 (ExecReload fails)" test "$rc" = 1
check "rejected reload: the error names file:line" grep -q "policy.ini:[0-9]*: .*bogus_key" <<<"$out"
wait_until 5 'test "$(count READY)" = 4'
check "rejected reload: RELOADING=1, then READY=1 again" \
	test "$(count RELOADING)" = 3 -a "$(last READY)" = $(( $(last RELOADING) + 1 ))
check "rejected reload: STATUS says the old policy stays" \
	grep -q 'reload rejected' <<<"$(val "$(last READY)" STATUS)"
hvsimctl create-hvm new1 >/dev/null
wait_gstate new1 running
check "rejected reload: the old policy stays in force" test "$(dom_kv "$(stub_of new1)" mem)" = 48
cp "$T/good.ini" "$T/policy.ini"
kill -HUP "$STUBDMD_PID"
wait_until 5 'test "$(count READY)" = 5'
check "the next good reload clears the complaint" \
	grep -qv 'rejected' <<<"$(val "$(last READY)" STATUS)"

# --- STATUS with a warm pool: its spares and their memory
printf 'pool_size = 1\n' >>"$T/policy.ini"
kill -HUP "$STUBDMD_PID"
wait_until 10 'has_status "4 guests, 3 running, 0 backing off, 1 failed, pool 1/1 spares (48 MiB)"'
check "STATUS reports the pool's spares and memory" \
	has_status "4 guests, 3 running, 0 backing off, 1 failed, pool 1/1 spares (48 MiB)"

# --- stop: STOPPING=1 last; the stub domains keep running
stubs=$(all_live_stubs)
check "SIGTERM: clean exit" stubdmd_stop
# The daemon has sent it and gone, but the listener may not have read it yet.
wait_until 10 'test -n "$(rec STOPPING)"'
check "STOPPING=1 is the last message" test "$(last STOPPING)" = "$(tail -n1 "$N" | cut -d' ' -f1)"
check "no keep-alive after STOPPING=1" test "$(last WATCHDOG)" -lt "$(last STOPPING)"
check "stopping the daemon destroys no stub domain" test "$(all_live_stubs)" = "$stubs" -a "$stubs" = 3
done_testing
