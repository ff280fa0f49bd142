#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# stubdmctl's output for people carries no control character: guest names
# with C0, DEL, C1 (U+0080-U+009F) and invalid UTF-8, and stub console
# lines with the same, come out as visible escapes (\x1b, \u009b); valid
# UTF-8 text comes out as is.  Checked byte by byte on what stubdmctl
# prints: list, status, events, an error.
. "$TOP/tests/lib.sh"
hvsim_start
# The stub's console repeats the policy's cmdline (hvsim: "built: ...").
write_policy <<EOF2
cmdline = con$(printf '\033')[2J$(printf '\302\233')1;1H$(printf '\177')-ok
EOF2
SOCK=$T/ctl.sock
ctl() { "$STUBDMCTL" -S "$SOCK" "$@"; }
# clean FILE: no C0 but the newline, no DEL, no C1, no invalid UTF-8.
clean() {
	python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in b if c < 0x20 and c != 0x0a or c == 0x7f]
try:
    t = b.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("invalid UTF-8: %s" % e)
c1 = [c for c in t if 0x80 <= ord(c) <= 0x9f]
sys.exit("control characters: %r %r" % (bad, c1) if bad or c1 else 0)' "$1"
}
# has FILE TEXT: TEXT (printf format) is in FILE, byte for byte.
has() { grep -qF -- "$(printf "$2")" "$1"; }

csi=$(printf '\302\233')	# U+009B, the 8-bit CSI
nel=$(printf '\302\205')	# U+0085
n1="c1${csi}31m${nel}x"
n2="esc$(printf '\033')]0;pwned$(printf '\007')$(printf '\177')caf$(printf '\303\251')"
n3="bad$(printf '\377\376')utf"
g1=$(hvsimctl create-hvm h1) || fail "create-hvm"
g2=$(hvsimctl create-hvm h2) || fail "create-hvm"
g3=$(hvsimctl create-hvm h3) || fail "create-hvm"
xenstore-write "/local/domain/$g1/name" "$n1" || fail "writing a name"
xenstore-write "/local/domain/$g2/name" "$n2" || fail "writing a name"
xenstore-write "/local/domain/$g3/name" "$n3" || fail "writing a name"
stubdmd_start
gst() { xenstore-read "/tool/stubdmd/guests/$1" | tr ' ' '\n' | sed -n 's/^state=//p'; }
wait_until 10 'test "$(gst "$g1")/$(gst "$g2")/$(gst "$g3")" = running/running/running' ||
	fail "guests not running: $(tail -5 "$T/stubdmd.log")"
ctl stop "$g2" >/dev/null || fail "stop"

ctl list >"$T/list" || fail "list"
check "list: no control character, valid UTF-8" clean "$T/list"
check "... C1 controls shown as \\u009b, \\u0085" has "$T/list" 'c1\\u009b31m\\u0085x'
check "... C0 and DEL as \\x1b, \\x07, \\x7f; valid UTF-8 (e-acute) as is" \
	has "$T/list" 'esc\\x1b]0;pwned\\x07\\x7fcaf\303\251'
check "... invalid UTF-8 does not get through (the daemon sends ?)" \
	has "$T/list" 'bad??utf'
ctl status "$g2" >"$T/status" || fail "status"
check "status: no control character, valid UTF-8" clean "$T/status"
check "... the name escaped" has "$T/status" 'esc\\x1b]0;pwned'
# (hvsim's console already turns C0 and DEL into ?; C1 gets through.)
check "... console lines escaped (C1 CSI)" \
	has "$T/status" 'con?[2J\\u009b1;1H?-ok'
ctl events >"$T/events" || fail "events"
check "events: no control character, valid UTF-8" clean "$T/events"
check "... names escaped" has "$T/events" 'c1\\u009b31m\\u0085x (domid'
ctl status "$n1" >"$T/by-name" 2>&1
check "status by the hostile name works, escaped" has "$T/by-name" 'name: c1\\u009b31m'
ctl status "nosuch${csi}$(printf '\033')x" >"$T/err" 2>&1
check "an error naming a hostile name: escaped too" clean "$T/err"
ctl --json list >"$T/json" || fail "--json list"
check "--json is JSON's own escaping (the exact name round-trips)" python3 -c '
import json, sys
names = [g["name"] for g in json.load(open(sys.argv[1]))["guests"]]
sys.exit(0 if sys.argv[2] in names else 1)' "$T/json" "$n1"
check "the daemon lives" kill -0 "$STUBDMD_PID"
stubdmd_stop
done_testing
