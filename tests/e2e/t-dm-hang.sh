#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Liveness over QMP: a device model that stops answering is found hung
# within dm_probe_misses x dm_probe_interval (+ dm_probe_timeout), and
# on_dm_hang acts on its guest only; a hung stub of a guest that never ran
# is rebuilt as a dead one is.  A monitor that sends garbage or floods is
# cut off, counted and named in the log; the daemon lives on.
. "$TOP/tests/lib.sh"
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
stat_of() { ctl --json stats | tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
health() { ctl --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["guest"]["dm_health"])'; }
hvsim_start
write_policy <<'P'
dm_probe_interval = 300ms
dm_probe_timeout = 200ms
dm_probe_misses = 3
[guest "pause*"]
on_dm_hang = pause-guest
[guest "fresh*"]
unpause_guest = no
# A monitor answering garbage or flooding is cut off at every probe, and
# each cut is a miss: three in a row would find calm1 and calm2 hung if
# the test, slowed by the host's load, took 0.9 s to make them answer
# again.  What is tested on them is the cut, not the verdict.
[guest "calm*"]
dm_probe_misses = 100
P
stubdmd_start
for g in crash1 pause1 fresh1 calm1 calm2; do hvsimctl create-hvm "$g" >/dev/null; done
: >"$T/stub-kernel"
hvsimctl xl-create xlcalm1 kernel="$T/stub-kernel" stubmem=96 mem=512 >/dev/null
for g in crash1 pause1 fresh1 calm1 calm2; do wait_gstate "$g" running; done
wait_gstate xlcalm1 running
wait_until 10 'test "$(stat_of dm_probes)" -ge 10' || fail "no probes: $(tail -5 "$T/stubdmd.log")"
check "a probed device model is ok" test "$(health calm1)" = ok
# libxl's QMP socket serves one client at a time and libxl connects per
# operation: an adopted stub's probe connects per probe and never holds
# it; stubdmd's own stub keeps its one connection.
wait_until 10 'test "$(hvsimctl qmp-served "$(stub_of xlcalm1)")" -ge 4' ||
	fail "adopted stub probed over $(hvsimctl qmp-served "$(stub_of xlcalm1)") connections"
check "an adopted stub is probed, one connection per probe" test "$(health xlcalm1)" = ok
check "stubdmd's own stub: one connection held" test "$(hvsimctl qmp-served "$(stub_of calm1)")" = 1
check "stubdmctl list shows it" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' list | grep -E '^calm1 .* ok( |$)'"
check "no probe missed while all answer" test "$(stat_of dm_probe_misses)" = 0
calm1_stub=$(stub_of calm1); calm2_stub=$(stub_of calm2)

# Told to hang: found hung in 3 x 300 ms + 200 ms, plus one interval of
# phase; 2.5 s is the limit a working probe always meets.
t0=$(date +%s%N)
hvsimctl qmp "$(stub_of crash1)" hang >/dev/null
hvsimctl qmp "$(stub_of pause1)" hang >/dev/null
wait_gstate crash1 failed 10
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
note "hang noticed after $ms ms (limit 2500)"
check "noticed within the configured time" test "$ms" -le 2500
check "... not before dm_probe_misses probes could miss" test "$ms" -ge 600
wait_gstate pause1 failed 10
check "on_dm_hang = crash-guest (default): guest crashed" \
	test "$(dom_state "$(domid_of crash1)")" = shutdown:crash
check "on_dm_hang = pause-guest: guest paused" test "$(dom_state "$(domid_of pause1)")" = paused
check "last exit hung, in its record too" test "$(gfield pause1 exit)" = hung
check "status says hung" test "$(health pause1)" = hung
check "the hung stub is kept for the post-mortem" test "$(live_stubs pause1)" = 1
check "logged as hung, naming the guest" grep -q 'guest "pause1".*device model hung: 3 QMP probes in a row unanswered' "$T/stubdmd.log"
check "... with the stub's console tail" grep -q 'guest "pause1".*stub console: "device model running"' "$T/stubdmd.log"
check "counted" test "$(stat_of dm_hangs)" = 2
check "in the metrics" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' stats --openmetrics | grep -qx 'stubdm_dm_hangs_total 2'"
check "an event says so" bash -c "'$STUBDMCTL' -S '$T/ctl.sock' --json events | grep -q 'device model hung'"
check "nothing else touched: calm1 and calm2 keep their stubs" \
	test "$(stub_of calm1)/$(stub_of calm2)" = "$calm1_stub/$calm2_stub"
check "... running, and ok" test "$(gstate calm1)/$(gstate calm2)/$(health calm2)" = running/running/ok
check "... and their guests run" test "$(dom_state "$(domid_of calm1)")" = running

# A guest that never ran: its hung stub is destroyed and rebuilt.
old=$(stub_of fresh1)
hvsimctl qmp "$old" hang >/dev/null
wait_until 10 'test -n "$(stub_of fresh1)" && test "$(stub_of fresh1)" != "$old" && is_gstate fresh1 running' ||
	fail "fresh1 not rebuilt: $(gstate fresh1); $(tail -5 "$T/stubdmd.log")"
check "never ran: the hung stub is rebuilt" test "$(gfield fresh1 restarts)" = 1
check "... the old one destroyed" bash -c "! '$HVSIMCTL' --rundir '$SIM' list | awk '\$1 == $old && \$4 != \"dying\"' | grep -q ."
check "... its guest still paused, never run" test "$(dom_state "$(domid_of fresh1)")" = paused

# Garbage and floods close the connection, are counted and logged.
hvsimctl qmp "$calm1_stub" garbage >/dev/null
hvsimctl qmp "$calm2_stub" flood >/dev/null
wait_until 10 'test "$(stat_of qmp_closed)" -ge 2' || fail "bad monitors not cut off"
check "garbage: connection closed, logged naming the guest" grep -q 'guest "calm1".*QMP connection to the device model closed: a message that is not JSON' "$T/stubdmd.log"
check "flood: connection closed at the line cap" grep -q 'guest "calm2".*QMP connection to the device model closed: a message longer than QMP_LINE_MAX' "$T/stubdmd.log"
hvsimctl qmp "$calm1_stub" ok >/dev/null
hvsimctl qmp "$calm2_stub" ok >/dev/null
wait_until 10 'test "$(health calm1)/$(health calm2)" = ok/ok' || fail "no recovery: $(health calm1) $(health calm2)"
check "answering again: ok, still running" test "$(gstate calm1)/$(gstate calm2)" = running/running
check "the daemon lives" kill -0 "$STUBDMD_PID"
stubdmd_stop
done_testing
