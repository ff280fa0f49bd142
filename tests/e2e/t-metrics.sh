#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The metrics export: `stubdmctl stats --openmetrics` checked by Debian's
# promtool, per-guest series (with a hostile guest name escaped), the
# policy's metrics_file written atomically, and a real node_exporter
# serving stubdmd's series from it on loopback.
. "$TOP/tests/lib.sh"
for c in promtool prometheus-node-exporter curl; do
	command -v "$c" >/dev/null || { echo "$c missing (make deps)"; exit 77; }
done
hvsim_start
mkdir -p "$T/prom"
# global_policy [LINES]: the test policy with LINES in its [global].
# Guests are never unpaused: a stub crash is a restart, not on_dm_death.
global_policy() {
	write_policy <<<'unpause_guest = no'
	[ $# -eq 0 ] || sed -i "/^\[global\]\$/a $*" "$T/policy.ini"
}
global_policy "metrics_file = $T/prom/stubdmd.prom\nmetrics_interval = 1s"
SOCK=$T/ctl.sock
ctl() { "$STUBDMCTL" -S "$SOCK" "$@"; }
# series NAME LABELS: the value of one series in $T/m (labels as written).
# (awk -v would take the backslashes of escaped labels as its own escapes.)
series() { K="$1{$2}" awk '{ k = ENVIRON["K"] } index($0, k " ") == 1 { print substr($0, length(k) + 2) }' "$T/m"; }
metrics() { ctl stats --openmetrics >"$T/m"; }

g=$(hvsimctl create-hvm web1) || fail "create-hvm"
ge=$(hvsimctl create-hvm evil) || fail "create-hvm"
# A name with a double quote, a backslash (xenstore-write's \\), a newline,
# an escape sequence and a C1 control (CSI), written by the toolstack
# before the daemon starts.
xenstore-write "/local/domain/$ge/name" "ev\"il\\\\x
2$(printf '\033[31m\302\233')" || fail "writing the name"
stubdmd_start
wait_gstate web1 running
wait_until 10 'ctl list | grep -q "^ev"' || fail "evil not listed"

# --- stubdmctl stats --openmetrics, checked by promtool
check "stats --openmetrics: exit 0" metrics
check "promtool check metrics accepts it" bash -c "promtool check metrics <'$T/m' >'$T/promtool.out' 2>&1"
check "... with nothing to say" test ! -s "$T/promtool.out"
check "host: state gauge" test "$(series stubdm_guests 'state="running"')" -ge 1
check "host: counters from Stats" test "$(awk '$1 == "stubdm_spawns_total" { print $2 }' "$T/m")" -ge 1
check "host: TYPE counter for a _total" grep -qx '# TYPE stubdm_spawns_total counter' "$T/m"
L="guest=\"web1\",domid=\"$g\""
check "web1: state running" test "$(series stubdm_guest_state "$L,state=\"running\"")" = 1
check "web1: other states 0" test "$(series stubdm_guest_state "$L,state=\"failed\"")" = 0
check "web1: restarts 0" test "$(series stubdm_guest_restarts_total "$L")" = 0
check "web1: stub memory 32 MiB" test "$(series stubdm_guest_stub_memory_bytes "$L")" = 33554432
check "web1: time to ready, in seconds" \
	awk -v k="stubdm_guest_ready_seconds{$L}" '$1 == k && $2 > 0 && $2 < 30 { f = 1 } END { exit !f }' "$T/m"
check "web1: last exit none" test "$(series stubdm_guest_last_exit "$L,exit=\"none\"")" = 1
# The hostile name as stubdmd has it, and escaped as the format says.
ctl --json list >"$T/list.json"
read_name() {
	python3 -c 'import json, sys
g = [g for g in json.load(open(sys.argv[1]))["guests"] if g["domid"] == int(sys.argv[2])]
s = g[0]["name"]
if sys.argv[3] == "escaped":
    s = s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
    s = "".join("?" if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in s)
print(s, end="")' "$T/list.json" "$ge" "$1"
}
evil=$(read_name raw)
esc=$(read_name escaped)
check "the hostile name is the one written" test "$evil" = "ev\"il\\x
2$(printf '\033[31m\302\233')"
check "... its label has no control character left" \
	bash -c "! LC_ALL=C grep -q \$'[\\x01-\\x09\\x0b-\\x1f\\x7f]\\|\\xc2[\\x80-\\x9f]' '$T/m'"
check "... its label value is escaped" \
	test "$(series stubdm_guest_state "guest=\"$esc\",domid=\"$ge\",state=\"running\"")" = 1
check "... and no line starts with the name's second line" bash -c "! grep -q '^2' '$T/m'"

# A crash counts: restarts and the last exit.
s=$(stub_of web1)
hvsimctl crash "$s" >/dev/null
wait_until 20 'metrics && test "$(series stubdm_guest_restarts_total "$L")" = 1' ||
	fail "web1's restart not counted"
wait_gstate web1 running
metrics
check "after a stub crash: restarts 1" test "$(series stubdm_guest_restarts_total "$L")" = 1
check "... last exit crashed" test "$(series stubdm_guest_last_exit "$L,exit=\"crashed\"")" = 1

# --- the textfile: written atomically, every metrics_interval
F=$T/prom/stubdmd.prom
wait_until 10 test -s "$F" || fail "no $F"
check "metrics_file: promtool accepts it" bash -c "promtool check metrics <'$F'"
check "... mode 0644" test "$(stat -c %a "$F")" = 644
# A write under way has its temporary file beside it for a moment: one
# left behind stays, one under way goes.
check "... nothing else left in its directory" \
	wait_until 5 'test "$(ls -A "$T/prom")" = stubdmd.prom'
check "... it has web1's series" wait_until 5 grep -q "^stubdm_guest_state{$L,state=\"running\"} 1$" "$F"
ino=$(stat -c %i "$F")
check "... rewritten (renamed over) within a few intervals" \
	wait_until 5 'test "$(stat -c %i "$F")" != "$ino"'

# --- a real node_exporter reads it and serves stubdmd's series
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$T/prom" >"$T/node-exporter.out" 2>&1 &
_pids="$_pids $!"
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" >"$T/scrape"; }
wait_until 20 scrape || fail "node_exporter did not answer: $(tail -3 "$T/node-exporter.out")"
check "node_exporter: read the file without error" \
	grep -qx 'node_textfile_scrape_error 0' "$T/scrape"
check "node_exporter: serves web1's state" \
	grep -qx "stubdm_guest_state{domid=\"$g\",guest=\"web1\",state=\"running\"} 1" "$T/scrape"
check "node_exporter: serves the host counters" grep -q '^stubdm_spawns_total [1-9]' "$T/scrape"
check "node_exporter: serves the hostile name's series" \
	grep -qF "stubdm_guest_state{domid=\"$ge\",guest=\"$esc\",state=\"running\"} 1" "$T/scrape"

# --- off again on reload; a bad directory is survived
global_policy
ctl reload >/dev/null
rm -f "$F"
sleep 2.5
check "metrics_file unset by reload: no longer written" test ! -e "$F"
global_policy "metrics_file = $T/nodir/stubdmd.prom\nmetrics_interval = 1s"
ctl reload >/dev/null
check "an unwritable metrics_file: one warning" \
	wait_until 5 grep -q "metrics: writing $T/nodir/stubdmd.prom: No such file or directory; will retry" "$T/stubdmd.log"
sleep 1.5
check "... not repeated every interval" test "$(grep -c "metrics: writing $T/nodir" "$T/stubdmd.log")" -eq 1
check "... and the daemon lives on" ctl list
stubdmd_stop
done_testing
