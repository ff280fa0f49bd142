#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Simulated stub domains: build-pv, set-target, the device model reading
# its arguments as the stub and reporting "running", its ioreq server in
# the guest, dying stubs that linger until their guest goes, every fault
# kind, the 8-slot limit, a device model that may not read its
# arguments, and restart-xenstored.
. "$TOP/tests/lib.sh"
hvsim_start --boot-delay 100

not() { ! "$@"; }
quiet() { "$@" >/dev/null; }
: >"$T/kernel"
uuidgen() { cat /proc/sys/kernel/random/uuid; }
build() { hvsimctl build-pv "$1-dm" 32 1 "$T/kernel" "" "" "uuid=$(uuidgen)"; }
dm_state() { xenstore-read "/local/domain/$1/device-model/$2/state" 2>/dev/null; }
is_ready() { [ "$(dm_state "$1" "$2")" = running ]; }
has_ioreq() { [ "$(dom_kv "$1" ioreq)" = "$2" ]; }
console_has() { hvsimctl console "$1" 100 | grep -qF -- "$2"; }

# What stubdmd's spawn does (libxl's order): arguments readable by the
# stub only (PERMS overrides), target, the device model's own directory.
setup() {	# GUEST STUB [ARGV_PERMS]
	local g=$1 s=$2 vm perms=${3:-"n0 r$2"}
	vm=$(xenstore-read "/local/domain/$g/vm")
	xenstore-rm "$vm/image/dm-argv" 2>/dev/null	# a previous stub's
	xenstore-write "$vm/image/dm-argv" ""
	xenstore-chmod "$vm/image/dm-argv" $perms
	xenstore-write -- "$vm/image/dm-argv/001" -xen-domid \
		"$vm/image/dm-argv/002" "$g" "$vm/image/dm-argv/003" -machine \
		"$vm/image/dm-argv/004" xenfv
	xenstore-write "/local/domain/$s/target" "$g"
	hvsimctl set-target "$s" "$g"
	xenstore-write "/local/domain/$s/device-model/$g" ""
	xenstore-chmod "/local/domain/$s/device-model/$g" "n$s" "r$g"
}

# --- a stub domain's life ----------------------------------------------
# (A longer boot for this first stub: "not ready before" must not race.)
hvsimctl fault web1 slow-boot 800 count=1 >/dev/null
g=$(hvsimctl create-hvm web1)
s=$(build web1)
check "build-pv: a paused PV domain of 32 MiB" test "$(hvsimctl list | awk -v s="$s" '$1 == s { print $2, $3, $4, $NF }')" = "web1-dm pv paused mem=32"
check "hv-list: 32768 KiB, not HVM" test "$(hvsimctl hv-list | awk -v s="$s" '$1 == s { print $2, $9 }')" = "0 32768"
check "its toolstack entries" test "$(xenstore-read /local/domain/$s/name)" = web1-dm
setup "$g" "$s"
check "set-target shows in list" test "$(dom_field "$s" 5)" = "$g"
hvsimctl unpause "$s" >/dev/null
check "not ready before the boot delay" not is_ready "$s" "$g"
check "the device model reports running" wait_until 5 is_ready "$s" "$g"
check "it registered one ioreq server in the guest" test "$(dom_kv "$g" ioreq)" = 1
check "the stub runs" test "$(dom_state "$s")" = running
check "console: QEMU's arguments from dm-argv" console_has "$s" "qemu: -xen-domid $g -machine xenfv"
check "console: device model running" console_has "$s" "device model running"
check "console LINES gives the last lines" test "$(hvsimctl console "$s" 1)" = "device model running"
check "the state node is the stub's (it wrote it)" test "$(xenstore-ls -p /local/domain/$s/device-model/$g | awk '{ print $NF }')" = "(n$s,r$g)"
hvsimctl destroy "$s" >/dev/null
check "a destroyed stub with a server lingers as dying" test "$(dom_state "$s")" = dying
check "... with no memory" test "$(dom_kv "$s" mem)" = 0
check "... and its server stays in the guest" test "$(dom_kv "$g" ioreq)" = 1
check "... its xenstore entries are gone" not xenstore-exists /local/domain/$s
check "a dying domain is not addressable" not quiet hvsimctl pause "$s" 2>/dev/null
check "its console still is" console_has "$s" "device model running"
s2=$(build web1)
check "a new stub of the same name while the old one is dying" test "$(live_stubs web1),$(dying_count)" = 1,1
hvsimctl destroy "$s2" >/dev/null
check "a stub without a server goes at once" test -z "$(dom_field "$s2" 1)"
hvsimctl destroy "$g" >/dev/null
check "destroying the guest takes its dying stub with it" test -z "$(dom_field "$s" 1)$(dom_field "$g" 1)"

# --- mini-os: one dmargs string -----------------------------------------
g=$(hvsimctl create-hvm mini1)
s=$(build mini1)
vm=$(xenstore-read /local/domain/$g/vm)
xenstore-write "$vm/image/dmargs" " -xen-domid $g -machine xenfv"
xenstore-chmod "$vm/image/dmargs" n0 "r$s"
xenstore-write /local/domain/$s/target "$g"
hvsimctl set-target "$s" "$g"
xenstore-write /local/domain/$s/device-model/$g ""
xenstore-chmod /local/domain/$s/device-model/$g "n$s" "r$g"
hvsimctl unpause "$s" >/dev/null
check "a mini-os stub reads dmargs" wait_until 5 is_ready "$s" "$g"
check "console: its arguments" console_has "$s" "qemu: -xen-domid $g -machine xenfv"

# --- a device model that may not read its arguments --------------------
g=$(hvsimctl create-hvm noargs1)
s=$(build noargs1)
setup "$g" "$s" n0
hvsimctl unpause "$s" >/dev/null
check "arguments n0 (no r<stub>): the stub crashes" wait_until 5 is_dom_state "$s" shutdown:crash
check "console says why" console_has "$s" "cannot read dm-argv: EACCES"
check "no server was registered" test "$(dom_kv "$g" ioreq)" = 0
g=$(hvsimctl create-hvm nostate1)
s=$(build nostate1)
setup "$g" "$s"
xenstore-chmod /local/domain/$s/device-model/$g n0 "r$s"
hvsimctl unpause "$s" >/dev/null
check "a device model that cannot write its state crashes" wait_until 5 is_dom_state "$s" shutdown:crash
check "console says why" console_has "$s" "cannot write device-model state: EACCES"
g=$(hvsimctl create-hvm notarget1)
s=$(build notarget1)
hvsimctl unpause "$s" >/dev/null
sleep 0.3
check "a stub without a target does not start a device model" test "$(dom_state "$s")/$(dom_kv "$g" ioreq)" = running/0

# --- faults --------------------------------------------------------------
hvsimctl fault 'bf*' build-fail count=1 >/dev/null
hvsimctl create-hvm bf1 >/dev/null
check "build-fail: build-pv fails with EIO" test "$(build bf1 2>&1 >/dev/null)" = "hvsimctl: EIO injected build failure"
check "count=1: the next build works" quiet build bf1
check "a bad fault kind is EINVAL" not quiet hvsimctl fault 'x*' melt 2>/dev/null
check "crash-after needs its MS" not quiet hvsimctl fault 'x*' crash-after 2>/dev/null

hvsimctl fault 'ca*' crash-after 400 >/dev/null
g=$(hvsimctl create-hvm ca1)
s=$(build ca1)
setup "$g" "$s"
hvsimctl unpause "$s" >/dev/null
check "crash-after: the device model gets ready first" wait_until 5 is_ready "$s" "$g"
check "then the stub crashes" wait_until 5 is_dom_state "$s" shutdown:crash
check "console: the injected crash" console_has "$s" "injected fault: crash after 400 ms"
check "its server stays registered" test "$(dom_kv "$g" ioreq)" = 1
hvsimctl fault 'cb*' crash-after 0 >/dev/null
g=$(hvsimctl create-hvm cb1)
s=$(build cb1)
setup "$g" "$s"
hvsimctl unpause "$s" >/dev/null
check "crash-after 0: crashes before its device model is ready" wait_until 5 is_dom_state "$s" shutdown:crash
sleep 0.3
check "... and never reports running" not is_ready "$s" "$g"

hvsimctl fault 'nr*' never-ready >/dev/null
g=$(hvsimctl create-hvm nr1)
s=$(build nr1)
setup "$g" "$s"
hvsimctl unpause "$s" >/dev/null
check "never-ready: the device model starts" wait_until 5 console_has "$s" "qemu: -xen-domid"
sleep 0.3
check "... but never reports running" not is_ready "$s" "$g"
check "... registers no server" test "$(dom_kv "$g" ioreq)" = 0
check "... and the stub keeps running" test "$(dom_state "$s")" = running

hvsimctl fault 'sb*' slow-boot 1500 >/dev/null
g=$(hvsimctl create-hvm sb1)
s=$(build sb1)
setup "$g" "$s"
hvsimctl unpause "$s" >/dev/null
sleep 0.5
check "slow-boot 1500: not ready after 500 ms" not is_ready "$s" "$g"
check "ready later" wait_until 10 is_ready "$s" "$g"
hvsimctl fault clear >/dev/null
g=$(hvsimctl create-hvm sb2)
s=$(build sb2)
setup "$g" "$s"
hvsimctl unpause "$s" >/dev/null
check "fault clear: the default boot delay again" wait_until 1 is_ready "$s" "$g"

# --- eight ioreq-server slots per guest ---------------------------------
g=$(hvsimctl create-hvm slots1)
for i in 1 2 3 4 5 6 7 8; do
	s=$(build slots1)
	setup "$g" "$s"
	hvsimctl unpause "$s" >/dev/null
	wait_until 5 is_ready "$s" "$g" || break
	hvsimctl destroy "$s" >/dev/null
done
check "eight stubs, eight servers, eight dying stubs" test "$(dom_kv "$g" ioreq),$(dying_count)" = 8,8
s=$(build slots1)
setup "$g" "$s"
hvsimctl unpause "$s" >/dev/null
check "the ninth device model crashes" wait_until 5 is_dom_state "$s" shutdown:crash
check "console: no slot" console_has "$s" "failed to create ioreq server: no slot"
check "still eight servers" test "$(dom_kv "$g" ioreq)" = 8
hvsimctl destroy "$g" >/dev/null
check "destroying the guest frees them all" test "$(dying_count)" = 0

# --- restart-xenstored ---------------------------------------------------
xenstore-write /keep/me 1
xenstore-chmod /keep/me n0 r5
xenstore-watch -n 100 /keep >"$T/w.out" 2>&1 &
wpid=$!
s5=$(hvsimctl sock-as 5)
XENSTORED_PATH=$s5 xenstore-watch -n 100 /keep >"$T/w5.out" 2>&1 &
w5pid=$!
wait_until 5 test -s "$T/w.out" && wait_until 5 test -s "$T/w5.out"
g=$(hvsimctl create-hvm xr1)
s=$(build xr1)
setup "$g" "$s"
hvsimctl restart-xenstored 1500 >/dev/null
hvsimctl unpause "$s" >/dev/null
check "restart-xenstored drops a watching client" wait_until 5 not kill -0 "$wpid"
check "... and a domain's client" wait_until 5 not kill -0 "$w5pid"
check "connections are refused meanwhile" not xenstore-read /keep/me 2>/dev/null
check "the control socket keeps working" quiet hvsimctl list
check "a device model works meanwhile (on the tree itself)" wait_until 1 has_ioreq "$g" 1
check "connections are accepted again later" wait_until 10 xenstore-read /keep/me
check "the content survived" test "$(xenstore-read /keep/me)" = 1
check "a device model kept working through the outage" is_ready "$s" "$g"
check "domain sockets are back too" test "$(XENSTORED_PATH=$s5 xenstore-read /keep/me 2>&1)" = 1

# rename: the table and xenstore; names stay unique.
sp=$(hvsimctl build-pv spare1 32 1 "$T/kernel" "" "" uuid=0a1b2c3d-1111-4222-8333-444455556666)
check "rename" quiet hvsimctl rename "$sp" renamed1
check "rename: the table's name" test "$(hvsimctl list | awk -v s="$sp" '$1 == s { print $2 }')" = renamed1
check "rename: xenstore's name" test "$(xenstore-read /local/domain/$sp/name)" = renamed1
check "rename: the vm path's name" test "$(xenstore-read "$(xenstore-read /local/domain/$sp/vm)/name")" = renamed1
sp2=$(hvsimctl build-pv spare2 32 1 "$T/kernel" "" "" uuid=0a1b2c3d-1111-4222-8333-444455556667)
check "rename to a name in use: EEXIST" sh -c "'$HVSIMCTL' --rundir '$SIM' rename $sp2 renamed1 2>&1 | grep -q EEXIST"
check "build-pv writes libxl's image entries" test "$(xenstore-read "$(xenstore-read /local/domain/$sp/vm)/image/kernel")" = "$T/kernel"
# hv-list FIRST: the domains from that domid up (the daemon's new-domain
# listings), still in domid order; a bad FIRST is refused.
check "hv-list FIRST: only domids from FIRST up" test "$(hvsimctl hv-list "$sp" | awk '{ print $1 }' | tr '\n' ' ')" = "$sp $sp2 "
check "hv-list FIRST past the last domain: none" test -z "$(hvsimctl hv-list $((sp2 + 1)))"
check "hv-list with a bad FIRST: EINVAL" sh -c "'$HVSIMCTL' --rundir '$SIM' hv-list x1 2>&1 | grep -q EINVAL"
check "xl-create needs a kernel or --dom0-dm" not quiet hvsimctl xl-create lonely1 2>/dev/null

kill -TERM "$HVSIM_PID"
wait "$HVSIM_PID"
check "hvsim exits 0 on SIGTERM" test $? = 0
done_testing
