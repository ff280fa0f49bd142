#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# hvsim's domain table: create-hvm/pvh/pv, the list and hv-list formats,
# types and emulation flags, pause/unpause, shutdown reasons, destroy,
# @introduceDomain/@releaseDomain, domids never reused, the toolstack's
# xenstore entries, and the control protocol's errors.
. "$TOP/tests/lib.sh"
hvsim_start

not() { ! "$@"; }
quiet() { "$@" >/dev/null; }
line_of() { hvsimctl list | awk -v d="$1" '$1 == d'; }
hv_of() { hvsimctl hv-list | awk -v d="$1" '$1 == d'; }
hv_field() { hv_of "$1" | awk -v f="$2" '{ print $f }'; }
err_of() { hvsimctl "$@" 2>&1 >/dev/null; }
perms_of() { xenstore-ls -p "$(dirname "$1")" | awk -v n="$(basename "$1")" '$1 == n { print $NF }' | tr -d '()'; }
ctl_raw() { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    try:
        b = s.recv(65536)
    except ConnectionResetError:  # it hung up on unread input
        break
    if not b:
        break
    out += b
sys.stdout.write(out.decode())' "$SIM/ctl"; }

# --- Domain-0 and creation ---------------------------------------------
check "Domain-0 is listed" test "$(line_of 0)" = "0 Domain-0 pv running - ever_unpaused=1 ioreq=0 mem=4096"
check "Domain-0 in hv-list: domid 0, PV, running" test "$(hv_of 0 | cut -d' ' -f1-7)" = "0 0 0 0 0 0 0"

xenstore-watch -n 2 @introduceDomain >"$T/intro.out" 2>&1 &
ipid=$!
wait_until 5 test -s "$T/intro.out"
h=$(hvsimctl create-hvm web1)
check "the first domid is 1" test "$h" = 1
check "create-hvm fires @introduceDomain" wait_until 5 not kill -0 "$ipid"
check "... after the initial event" test "$(tr '\n' ' ' <"$T/intro.out")" = "@introduceDomain @introduceDomain "
p=$(hvsimctl create-pvh pvh1)
v=$(hvsimctl create-pv pv1)
r=$(hvsimctl create-hvm --running run1)
check "domids increase" test "$p,$v,$r" = 2,3,4
check "list: an HVM guest, created paused" test "$(line_of "$h")" = "1 web1 hvm paused - ever_unpaused=0 ioreq=0 mem=1024"
check "list: PVH and PV types" test "$(dom_field "$p" 3),$(dom_field "$v" 3)" = pvh,pv
check "create-hvm --running unpauses it" test "$(dom_state "$r"),$(dom_kv "$r" ever_unpaused)" = running,1
check "hv-list: HVM flag and emulation flags 3ff" test "$(hv_field "$h" 2) $(hv_field "$h" 3)" = "1 3ff"
check "hv-list: PVH is HVM with only the local APIC (1)" test "$(hv_field "$p" 2) $(hv_field "$p" 3)" = "1 1"
check "hv-list: PV is not HVM, no emulation" test "$(hv_field "$v" 2) $(hv_field "$v" 3)" = "0 0"
check "hv-list: paused guest, no cpu time yet" test "$(hv_field "$h" 4) $(hv_field "$h" 8)" = "1 0"
check "hv-list: memory in KiB" test "$(hv_field "$h" 9)" = 1048576
check "hv-list: every domain, 10 fields" test "$(hvsimctl hv-list | awk 'NF == 10' | wc -l)" = 5
uuid=$(hv_field "$h" 10)
check "hv-list: a version-4 uuid" bash -c "[[ $uuid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]"

# --- what the toolstack wrote ------------------------------------------
check "/local/domain/<id>/name" test "$(xenstore-read /local/domain/$h/name)" = web1
check "/local/domain/<id>/domid" test "$(xenstore-read /local/domain/$h/domid)" = "$h"
check "/local/domain/<id>/vm = /vm/<uuid>" test "$(xenstore-read /local/domain/$h/vm)" = "/vm/$uuid"
check "/vm/<uuid>/uuid and name" test "$(xenstore-read /vm/$uuid/uuid) $(xenstore-read /vm/$uuid/name)" = "$uuid web1"
check "memory/static-max and target in KiB" test "$(xenstore-read /local/domain/$h/memory/static-max) $(xenstore-read /local/domain/$h/memory/target)" = "1048576 1048576"
check "/local/domain/<id> is n0,r<id>" test "$(perms_of /local/domain/$h)" = "n0,r$h"
check "create-hvm mem=512" test "$(hvsimctl create-hvm small mem=512 >/dev/null && dom_kv "$(domid_of small)" mem)" = 512

# --- running, pausing, shutting down -----------------------------------
hvsimctl unpause web1 >/dev/null
check "unpause by name" test "$(dom_state "$h"),$(dom_kv "$h" ever_unpaused)" = running,1
sleep 0.05
check "a running domain accumulates cpu time" test "$(hv_field "$h" 8)" -gt 0
hvsimctl pause "$h" >/dev/null
check "pause" test "$(dom_state "$h"),$(hv_field "$h" 4)" = paused,1
check "ever_unpaused stays set" test "$(dom_kv "$h" ever_unpaused)" = 1
c1=$(hv_field "$h" 8); sleep 0.05
check "a paused domain's cpu time stands still" test "$(hv_field "$h" 8)" = "$c1"
xenstore-watch -n 2 @releaseDomain >"$T/rel.out" 2>&1 &
rpid=$!
wait_until 5 test -s "$T/rel.out"
hvsimctl shutdown "$h" reboot >/dev/null
check "shutdown by name: shutdown:reboot" test "$(dom_state "$h")" = shutdown:reboot
check "hv-list: shutdown flag and reason 1" test "$(hv_field "$h" 5) $(hv_field "$h" 6)" = "1 1"
check "a shutdown fires @releaseDomain" wait_until 5 not kill -0 "$rpid"
check "a second shutdown keeps the first reason" test "$(hvsimctl shutdown "$h" crash; dom_state "$h")" = shutdown:reboot
for reason in 0:poweroff 2:suspend 4:watchdog 5:soft_reset; do
	id=$(hvsimctl create-pv "sd${reason%%:*}")
	hvsimctl shutdown "$id" "${reason%%:*}" >/dev/null
	check "shutdown reason ${reason%%:*} is ${reason#*:}" test "$(dom_state "$id"),$(hv_field "$id" 6)" = "shutdown:${reason#*:},${reason%%:*}"
done
hvsimctl crash run1 >/dev/null
check "crash = shutdown:crash (reason 3)" test "$(dom_state "$r"),$(hv_field "$r" 6)" = shutdown:crash,3
check "a bad reason is EINVAL" test "$(err_of shutdown pv1 melt | cut -d' ' -f2)" = EINVAL

# --- destroying ---------------------------------------------------------
xenstore-watch -n 2 @releaseDomain >"$T/rel2.out" 2>&1 &
rpid=$!
wait_until 5 test -s "$T/rel2.out"
hvsimctl destroy "$h" >/dev/null
check "destroy removes the domain" test -z "$(line_of "$h")"
check "destroy fires @releaseDomain" wait_until 5 not kill -0 "$rpid"
check "its /local/domain/<id> is gone" not xenstore-exists /local/domain/$h
check "its /vm/<uuid> is gone" not xenstore-exists /vm/$uuid
last=$(hvsimctl list | awk 'END { print $1 }')
n=$(hvsimctl create-hvm web1)
check "the name is free again; the domid is the next one" test "$n" = $((last + 1))
check "domids are not reused" test "$n" != "$h"
check "a dead domain is ESRCH" test "$(err_of pause "$h" | cut -d' ' -f2)" = ESRCH

# --- names and errors ---------------------------------------------------
check "a name in use is EEXIST" test "$(err_of create-hvm web1 | cut -d' ' -f2)" = EEXIST
check "an empty name is EINVAL" test "$(err_of create-hvm '' | cut -d' ' -f2)" = EINVAL
check "a 65-byte name is EINVAL" test "$(err_of create-pv "$(head -c 65 /dev/zero | tr '\0' n)" | cut -d' ' -f2)" = EINVAL
check "a 64-byte name is fine" quiet hvsimctl create-pv "$(head -c 64 /dev/zero | tr '\0' n)"
check "a name like a domid is EINVAL" test "$(err_of create-pv 123 | cut -d' ' -f2)" = EINVAL
sp=$(hvsimctl create-pv 'my vm')
check "odd names are percent-encoded in list" test "$(dom_field "$sp" 2)" = my%20vm
check "... and kept as they are in xenstore" test "$(xenstore-read /local/domain/$sp/name)" = "my vm"
check "an unknown domain is ESRCH" test "$(err_of destroy nosuch | cut -d' ' -f2)" = ESRCH
check "an unknown verb is EINVAL" test "$(err_of frobnicate | cut -d' ' -f2)" = EINVAL
check "a missing argument is EINVAL" test "$(err_of pause | cut -d' ' -f2)" = EINVAL
check "Domain-0 cannot be destroyed" test "$(err_of destroy 0 | cut -d' ' -f2)" = EPERM
check "hvsimctl exits 1 on ERR" bash -c "'$HVSIMCTL' --rundir '$SIM' destroy nosuch 2>/dev/null; test \$? = 1"
check "hvsimctl exits 2 on a usage error" bash -c "'$HVSIMCTL' 2>/dev/null; test \$? = 2"

# --- the wire: many requests on one connection, bad lines --------------
out=$(printf 'list\nsock-as 9\ncrash%%20x\n\n%%ZZ\n' | ctl_raw)
check "many requests on one connection, one reply each" test "$(grep -c '^\(OK\|ERR\)' <<<"$out")" = 5
check "an empty line and a bad escape are EINVAL" test "$(grep -c '^ERR EINVAL' <<<"$out")" = 3
out=$( (head -c 70000 /dev/zero | tr '\0' a; printf '\nlist\n') | ctl_raw)
check "a line over 64 KiB: E2BIG and the connection is closed" test "$out" = "ERR E2BIG line longer than 65536 bytes"
check "hvsim still answers" quiet hvsimctl list

kill -TERM "$HVSIM_PID"
wait "$HVSIM_PID"
check "hvsim exits 0 on SIGTERM" test $? = 0
done_testing
