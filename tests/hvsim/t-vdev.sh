#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# PV devices in the simulated host: create-hvm's dev= words and add-dev
# write backends and frontends as a toolstack does; build-pv's vbd= and
# vif= words give a stub its devices (listed by `devices`); the stub's
# simulated QEMU fails when its arguments and its devices disagree.
. "$TOP/tests/lib.sh"
hvsim_start --boot-delay 50

not() { ! "$@"; }
: >"$T/kernel"
uuid() { cat /proc/sys/kernel/random/uuid; }
build() {	# GUEST DEVICE-WORDS...
	local g=$1
	shift
	hvsimctl build-pv "$g-dm" 32 1 "$T/kernel" "" "" "uuid=$(uuid)" "$@"
}
setup() {	# GUEST STUB ARG...: what stubdmd's spawn writes
	local g=$1 s=$2 vm i=1 a
	shift 2
	vm=$(xenstore-read "/local/domain/$g/vm")
	xenstore-write "$vm/image/dm-argv" ""
	xenstore-chmod "$vm/image/dm-argv" n0 "r$s"
	for a in -xen-domid "$g" "$@"; do
		xenstore-write -- "$vm/image/dm-argv/$(printf %03d $i)" "$a"
		i=$((i + 1))
	done
	hvsimctl set-target "$s" "$g" >/dev/null
	xenstore-write "/local/domain/$s/device-model/$g" ""
	xenstore-chmod "/local/domain/$s/device-model/$g" "n$s" "r$g"
	xenstore-write "/local/domain/$s/target" "$g"
	hvsimctl unpause "$s" >/dev/null
}
state() { xenstore-read "/local/domain/$2/device-model/$1/state" 2>/dev/null; }

g=$(hvsimctl create-hvm v1 dev=vbd/768/params=/srv/v1.img dev=vbd/768/dev=hda \
	dev=vif/0/mac=00:16:3e:00:00:01) || fail "create-hvm"
back=/local/domain/0/backend/vbd/$g/768
check "create-hvm writes the backend's keys" \
	test "$(xenstore-read $back/params) $(xenstore-read $back/dev)" = "/srv/v1.img hda"
check "and the frontend pointing at it" \
	test "$(xenstore-read /local/domain/$g/device/vbd/768/backend)" = "$back"
check "a vif too" \
	test "$(xenstore-read /local/domain/0/backend/vif/$g/0/mac)" = 00:16:3e:00:00:01
hvsimctl add-dev v1 vbd 832 params=/srv/b dev=hdb >/dev/null
check "add-dev adds one later" \
	test "$(xenstore-read /local/domain/$g/device/vbd/832/backend)" = "/local/domain/0/backend/vbd/$g/832"
hvsimctl add-dev v1 qdisk 5632 params=aio:/srv/c dev=hdc >/dev/null
check "a qdisk: backend/qdisk, its frontend a vbd (libxl's layout)" \
	test "$(xenstore-read /local/domain/$g/device/vbd/5632/backend)" = "/local/domain/0/backend/qdisk/$g/5632"
check "add-dev refuses a kind it does not know" not hvsimctl add-dev v1 pci 0 2>/dev/null
check "create-hvm refuses a malformed dev= word" \
	not hvsimctl create-hvm v9 dev=vbd/x/params=/a 2>/dev/null
check "and leaves no domain behind" test -z "$(domid_of v9)"
hvsimctl create-hvm v2 flood=vbd:300 >/dev/null
check "flood=vbd:N writes N frontends" \
	test "$(xenstore-list /local/domain/$(domid_of v2)/device/vbd | wc -l)" = 300

vbd='vbd=768,0,hda,phy,w,disk,raw,/srv/v1.img'
vif='vif=0,0,00:16:3e:00:00:01,xenbr0,,rtl8139,ioemu,'
drive='file=/dev/xvda,if=ide,index=0,media=disk,format=host_device,cache=writeback'
nic='rtl8139,id=nic0,netdev=net0,mac=00:16:3e:00:00:01'
tap="type=tap,id=net0,ifname=vif$g.0-emu,br=xenbr0,script=no,downscript=no"
s=$(build v1 "$vbd" "$vif") || fail "build-pv with devices"
check "devices lists what build-pv gave" test "$(hvsimctl devices "$s")" = "$vbd
$vif"
check "build-pv refuses a malformed device word" \
	not build v1 vbd=1,2 2>/dev/null
setup "$g" "$s" -drive "$drive" -device "$nic" -netdev "$tap"
check "QEMU starts when its arguments match its devices" \
	wait_until 5 'test "$(state $g $s)" = running'

# The same devices, arguments that miss one: QEMU fails, says which.
g3=$(hvsimctl create-hvm v3)
s3=$(build v3 "$vbd" "$vif")
setup "$g3" "$s3" -device "$nic" -netdev "type=tap,id=net0,ifname=vif$g3.0-emu,br=xenbr0,script=no,downscript=no"
check "a disk without its -drive: the stub crashes" \
	wait_until 5 'test "$(dom_state $s3)" = shutdown:crash'
check "console says which" sh -c "'$HVSIMCTL' --rundir '$SIM' console $s3 | grep -q 'no -drive $drive'"
# A -drive for a disk the stub was not given.
g4=$(hvsimctl create-hvm v4)
s4=$(build v4)
setup "$g4" "$s4" -drive "$drive"
check "a -drive without a disk: the stub crashes" \
	wait_until 5 'test "$(dom_state $s4)" = shutdown:crash'
# A NIC given, no -netdev.
g5=$(hvsimctl create-hvm v5)
s5=$(build v5 "$vif")
setup "$g5" "$s5" -net none
check "a NIC without its -netdev: the stub crashes" \
	wait_until 5 'test "$(dom_state $s5)" = shutdown:crash'
done_testing
