#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Own mode: a guest's disks and NICs come from the PV backends its
# toolstack wrote.  The stub is given them (as libxl gives a guest's to its
# stub) and QEMU gets libxl's arguments for them; the simulated device
# model refuses to start if the two disagree.  A rebuild gives them again;
# hostile backends are refused for that guest only; a guest with devices
# may take a spare from the warm pool, which is given them when taken
# (t-pool-devices.sh has more of that).
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
unpause_guest = no
pool_size = 1
P
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
# A disk and a NIC as libxl writes their backends (libxl_disk.c, _nic.c).
disk() {	# DEVID VDEV PARAMS [TYPE [MODE [DEVTYPE]]]: backend/vbd, or qdisk's
	local p="dev=vbd/$1"
	[ "${4:-}" = qdisk ] && p="dev=qdisk/$1"
	echo "$p/params=$3 $p/type=${4:-phy} $p/mode=${5:-w} $p/dev=$2 $p/device-type=${6:-disk}"
}
nic() {		# DEVID MAC [BRIDGE]
	local p="dev=vif/$1"
	echo "$p/mac=$2 $p/bridge=${3:-xenbr0} $p/handle=$1 $p/type=vif_ioemu $p/script=/etc/xen/scripts/vif-bridge"
}

stubdmd_start
wait_until 10 'test -n "$(live_spares)"' || fail "no spare built"
spare=$(live_spares | head -n1)

# Two disks (a raw file through QEMU's qdisk, a block device) and a NIC.
# shellcheck disable=SC2046
g=$(hvsimctl create-hvm dev1 $(disk 768 hda aio:/srv/dev1.img qdisk) \
	$(disk 832 hdb /dev/vg0/dev1-data) $(nic 0 00:16:3e:12:34:56 br0)) ||
	fail "create-hvm"
wait_gstate dev1 running
s=$(stub_of dev1)
check "the device model started (args match the stub's devices)" \
	test "$(xenstore-read /local/domain/$s/device-model/$g/state)" = running
check "it took the spare, which was given its devices" grep -q \
	"guest \"dev1\".*took spare stub domain $spare from the pool; giving it 2 disks, 1 NIC" \
	"$T/stubdmd.log"
check "the spare became its stub" test "$s" = "$spare"
check "the pool refills" wait_until 10 'test -n "$(live_spares)"'
check "the stub has three devices" test "$(stub_devices dev1 | wc -l)" = 3
check "a qdisk's backend is where libxl writes it" \
	test "$(xenstore-read /local/domain/$g/device/vbd/768/backend)" = "/local/domain/0/backend/qdisk/$g/768"
check "the stub's first disk: the guest's qdisk" \
	has_dev dev1 'vbd=768,0,hda,qdisk,w,disk,raw,/srv/dev1.img'
check "the stub's second disk: the guest's block device" \
	has_dev dev1 'vbd=832,0,hdb,phy,w,disk,raw,/dev/vg0/dev1-data'
check "the stub's vif (default model rtl8139)" \
	has_dev dev1 'vif=0,0,00:16:3e:12:34:56,br0,,rtl8139,ioemu,/etc/xen/scripts/vif-bridge'
check "QEMU: hda as libxl writes it for a stub" \
	has_arg dev1 '-drive file=/dev/xvda,if=ide,index=0,media=disk,format=host_device,cache=writeback'
check "QEMU: hdb" \
	has_arg dev1 '-drive file=/dev/xvdb,if=ide,index=1,media=disk,format=host_device,cache=writeback'
check "QEMU: the NIC" \
	has_arg dev1 '-device rtl8139,id=nic0,netdev=net0,mac=00:16:3e:12:34:56'
check "QEMU: its tap, named as libxl names it" \
	has_arg dev1 "-netdev type=tap,id=net0,ifname=vif$g.0-emu,br=br0,script=no,downscript=no"
check "no -net none with a NIC" lacks_arg dev1 ' -net none '

# A rebuild (the stub died, the guest never ran) gives them again.
hvsimctl crash "$s"
wait_until 10 'test "$(gfield dev1 restarts)" = 1' || fail "no rebuild"
wait_gstate dev1 running
s2=$(stub_of dev1)
check "a new stub" test -n "$s2" -a "$s2" != "$s"
check "the new stub has the same devices" test "$(stub_devices dev1 | sort)" = \
	"$(hvsimctl devices "$s" | sort)"
check "and its device model started" \
	test "$(xenstore-read /local/domain/$s2/device-model/$g/state)" = running

# A CD-ROM with no medium, a PV-only NIC, disks past hdd (PV only), one
# with xvd's extended number (1 << 28 | 16 << 8: xvdq).
# shellcheck disable=SC2046
hvsimctl create-hvm dev2 $(disk 5632 hdc '' phy r cdrom) \
	$(disk 51776 xvde /srv/dev2-e.img) \
	$(disk 268439552 xvdq /srv/dev2-q.img) \
	"dev=vif/1/mac=00:16:3e:00:00:01" "dev=vif/1/type=vif" >/dev/null ||
	fail "create-hvm dev2"
wait_gstate dev2 running
check "QEMU: an empty CD-ROM as libxl writes it" bash -c \
	"grep -qF -- ' -drive if=none,readonly=on,id=ide-5632 -device ide-cd,id=ide-5632,drive=ide-5632,bus=ide.1,unit=0 ' <<<'$(dm_argv dev2)'"
check "QEMU: no drive for xvde (libxl emulates hda..hdd only)" \
	lacks_arg dev2 xvde
check "QEMU: no emulated NIC for a vif-only NIC: -net none" has_arg dev2 '-net none'
check "the stub gets the disks and the vif, no PV disk for the empty CD-ROM" \
	test "$(stub_devices dev2 | wc -l)/$(stub_devices dev2 | grep -c ',hdc,')" = 3/0
check "... xvdq by its extended number" bash -c \
	"'$HVSIMCTL' --rundir '$SIM' devices $(stub_of dev2) | grep -qF 'vbd=268439552,0,xvdq,'"

# A guest with no devices still works, and may take the spare.
wait_until 10 'test -n "$(live_spares)"' || fail "the pool did not refill"
spare=$(live_spares | head -n1)
hvsimctl create-hvm plain >/dev/null
wait_gstate plain running
check "a device-less guest works" test "$(live_stubs plain)" = 1
check "it took the spare" test "$(stub_of plain)" = "$spare"
check "QEMU: -net none and no -drive" bash -c \
	"a='$(dm_argv plain)'; [[ \$a == *' -net none '* && \$a != *-drive* ]]"

# Hostile or broken backends: that guest is refused, with the reason.
bad() {		# NAME WHY-PATTERN CREATE-ARGS...
	local n=$1 why=$2
	shift 2
	hvsimctl create-hvm "$n" "$@" >/dev/null || fail "create-hvm $n"
	wait_until 10 "grep -q 'guest \"$n\".*refused the guest.s devices: .*$why' '$T/stubdmd.log'" &&
		test "$(live_stubs "$n")" = 0
}
long=$(printf '/%.0s' $(seq 300) | tr / a)
check "params too long" bad b-long "params is longer than 255" \
	$(disk 768 hda "/srv/$long")
check "control characters" bad b-ctrl "params has characters" \
	"dev=vbd/768/params=/srv/a$(printf '\001')b"
check "path traversal in params" bad b-dots "params has characters" \
	$(disk 768 hda /srv/../etc/shadow)
check "a comma (QEMU's option separator)" bad b-comma "params has characters" \
	$(disk 768 hda /srv/a,file=/etc/shadow)
check "an unknown backend type" bad b-type "type file is not phy" \
	$(disk 768 hda /srv/x file)
check "a bad MAC" bad b-mac "mac has characters" \
	"dev=vif/0/mac=00:16:3e:zz:00:01"
check "a read-only IDE disk (libxl refuses it)" bad b-ro "read-only IDE" \
	$(disk 768 hda /srv/x phy r)
check "a device number past xvd's extended ones" bad b-devid "up to 536870911" \
	$(disk 536870912 xvdq /srv/x)
check "10,000 disks" bad b-flood "the guest has 10000, stubdmd gives a stub at most 16" \
	flood=vbd:10000
check "a refused guest counts build failures (restart policy)" \
	test "$(gfield b-flood exit)" = build-failed
check "the daemon lives on" ctl list >/dev/null
check "and still serves the good guest" is_gstate dev1 running

# A frontend pointed at another guest's backend: refused at the rebuild.
g2=$(domid_of dev2)
xenstore-write "/local/domain/$g2/device/vbd/5632/backend" \
	"/local/domain/0/backend/vbd/$g/768"
hvsimctl crash "$(stub_of dev2)"
wait_until 10 "grep -q 'guest \"dev2\".*refused the guest.s devices: vbd 5632: the frontend.s backend path is not /local/domain/0/backend/vbd|qdisk|vbd3/$g2/5632' '$T/stubdmd.log'"
check "a frontend pointing at another guest's backend" grep -q \
	"guest \"dev2\".*vbd 5632: the frontend's backend path is not" "$T/stubdmd.log"
check "no stub built for it" test "$(live_stubs dev2)" = 0

# Rewrite a backend of a supervised guest to a hostile value: its next
# rebuild is refused, nothing else.
xenstore-write "/local/domain/0/backend/vbd/$g/832/dev" 'hd;b'
hvsimctl crash "$s2"
wait_until 10 "grep -q 'guest \"dev1\".*refused the guest.s devices: vbd 832: dev has characters' '$T/stubdmd.log'"
check "a hostile rewrite is refused at the rebuild" grep -q 'guest "dev1".*vbd 832: dev has characters' "$T/stubdmd.log"
check "the other guests' stubs are untouched" test "$(live_stubs plain)" = 1

stubdmd_stop
done_testing
