#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Logging: under journald (stderr is the journal stream) every line about a
# guest carries GUEST=, GUEST_DOMID=, STUBDOM_DOMID= (when it has a stub),
# STUBDM_STATE= and, for the lifecycle events, MESSAGE_ID=; otherwise each
# line on stderr starts with "stubdmd: PRIORITY: ".  journald's socket is
# faked in a private mount namespace, so this needs root and unshare(1).
. "$TOP/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (a private mount namespace)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
unshare -m true 2>/dev/null || { echo "unshare -m does not work here"; exit 77; }
J=$T/journal.txt
: >"$J"

hvsim_start
write_policy </dev/null
hvsimctl create-hvm g1 >/dev/null
hvsimctl create-hvm 'odd"name' >/dev/null

# journald's socket in a tmpfs /run that only the daemon sees; stderr is
# a file whose dev:ino is JOURNAL_STREAM, as systemd sets it.
: >"$T/stderr.log"
export JOURNAL_STREAM=$(stat -c '%d:%i' "$T/stderr.log")
unshare -m bash -c '
	mount -t tmpfs tmpfs /run || exit 77
	mkdir -p /run/systemd/journal
	python3 "$1/tests/service/dgram-listen" /run/systemd/journal/socket \
		"$2" 2>>"$3/listen.log" &
	echo $! >"$3/listen.pid"
	for i in $(seq 100); do
		[ -S /run/systemd/journal/socket ] && break; sleep 0.05
	done
	exec "$4" -d -f "$3/policy.ini" -S "$3/ctl.sock" --sim "$5"
' sh "$TOP" "$J" "$T" "$STUBDMD" "$SIM" 2>>"$T/stderr.log" &
STUBDMD_PID=$!
_pids="$_pids $STUBDMD_PID"
wait_until 10 test -s "$T/listen.pid" || fail "no journal listener"
_pids="$_pids $(cat "$T/listen.pid")"
unset JOURNAL_STREAM
wait_gstate g1 running
stub=$(stub_of g1) g1=$(domid_of g1)
wait_until 5 'grep -q "MESSAGE_ID=6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d02" "$J"'
stubdmd_stop

# entry MATCH: the fields of the entries (datagrams) with a field MATCH,
# one entry a line, fields separated by "|".
entries() {
	awk -v m="$1" '{ n = $1; sub(/^[0-9]+ /, ""); e[n] = e[n] "|" $0; if ($0 == m) hit[n] = 1 }
		END { for (n in hit) print e[n] "|" }' "$J"
}
has() { grep -qF "|$2|" <<<"$1"; }
ready=$(entries "MESSAGE_ID=6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d02" | grep -F '|GUEST=g1|')
spawned=$(entries "MESSAGE_ID=6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d01" | grep -F '|GUEST=g1|')
check "nothing is written to stderr under journald" test ! -s "$T/stderr.log"
check "the ready event of g1 is in the journal" test -n "$ready"
check "ready: GUEST_DOMID= is the guest's domid" has "$ready" "GUEST_DOMID=$g1"
check "ready: STUBDOM_DOMID= is its stub's domid" has "$ready" "STUBDOM_DOMID=$stub"
check "ready: STUBDM_STATE= is set" grep -q '|STUBDM_STATE=[a-z]*|' <<<"$ready"
check "ready: PRIORITY=6 (info)" has "$ready" "PRIORITY=6"
check "ready: SYSLOG_IDENTIFIER=stubdmd" has "$ready" "SYSLOG_IDENTIFIER=stubdmd"
check "the spawned event carries its MESSAGE_ID" test -n "$spawned"
# Every entry whose message is about a guest: its fields agree with the
# text 'guest "NAME" (domid D[, stub S]): ...'.
audit() {
	awk '{ n = $1; sub(/^[0-9]+ /, ""); f[n] = f[n] "\n" $0 }
	END {
		for (n in f) {
			if (!match(f[n], /\nMESSAGE=guest "[^\n]*" \(domid [0-9]+(, stub [0-9]+)?\)/))
				continue
			head = substr(f[n], RSTART, RLENGTH)
			split(head, w, /[(), ]+/)
			dom = ""; stub = ""
			for (i in w) { if (w[i] == "domid") dom = w[i + 1]; if (w[i] == "stub") stub = w[i + 1] }
			ok = index(f[n], "\nGUEST=") && index(f[n], "\nGUEST_DOMID=" dom "\n")
			ok = ok && index(f[n], "\nSTUBDM_STATE=")
			if (stub != "") ok = ok && index(f[n], "\nSTUBDOM_DOMID=" stub "\n")
			else ok = ok && !index(f[n], "\nSTUBDOM_DOMID=")
			print (ok ? "ok" : "bad"), n
		}
	}' "$J"
}
check "every line about a guest carries fields that agree with it" \
	test "$(audit | grep -c '^ok')" -gt 5 -a -z "$(audit | grep '^bad')"
check "lines without a stub domain exist and have no STUBDOM_DOMID=" \
	grep -q 'MESSAGE=guest "g1" (domid [0-9]*): ' "$J"
check "no location fields that would always name log.c" \
	test -z "$(grep -E '^[0-9]+ CODE_(FILE|LINE|FUNC)=' "$J")"
check "no placeholder fields for what a line does not have" \
	test -z "$(grep -E '_NONE=' "$J")"
check "an untrusted name is escaped in GUEST=" grep -qF 'GUEST=odd\x22name' "$J"
check "lines about the daemon have no GUEST=" \
	test -n "$(entries 'MESSAGE=stubdmd stopped' | grep -v '|GUEST=')"

# Not under journald: plain lines on stderr, each with its priority.
stubdmd_start
stubdmd_stop
check "stderr lines start with 'stubdmd: PRIORITY: '" \
	test -z "$(grep -vE '^stubdmd: (error|warning|info|debug): ' "$T/stubdmd.log")"
check "a guest line names the guest, its domid and its stub" \
	grep -qE "^stubdmd: info: guest \"g1\" \(domid $g1, stub [0-9]+\): " "$T/stubdmd.log"
done_testing
