#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The warm pool and guests with devices: a spare of a Linux image taken by
# a guest with disks, NICs or a serial port is given them before its
# target is written (the simulated QEMU refuses to start unless its
# arguments match what the stub was given); a spare of a Mini-OS image
# serves device-less guests only; a spare that cannot be given them is
# destroyed and the guest built again, nothing orphaned.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
unpause_guest = no
pool_size = 1
serial = pty
[guest "mini*"]
image = minios
P
disk() { echo "dev=qdisk/$1/params=$3 dev=qdisk/$1/type=qdisk dev=qdisk/$1/mode=w dev=qdisk/$1/dev=$2 dev=qdisk/$1/device-type=disk"; }
nic() { echo "dev=vif/$1/mac=$2 dev=vif/$1/bridge=xenbr0 dev=vif/$1/handle=$1 dev=vif/$1/type=vif_ioemu"; }

stubdmd_start
wait_until 10 'test "$(live_spares | wc -l)" = 2' || fail "no spares built"
before=$(live_spares | sort)

# shellcheck disable=SC2046
g=$(hvsimctl create-hvm web1 $(disk 768 hda /srv/web1.img) \
	$(nic 0 00:16:3e:00:00:11)) || fail "create-hvm web1"
wait_gstate web1 running
s=$(stub_of web1)
check "a guest with a disk, a NIC and a serial port took a spare" \
	bash -c "grep -qx '$s' <<<'$before'"
check "no stub was built for it" bash -c \
	"! grep -q 'guest \"web1\".*building stub domain' '$T/stubdmd.log'"
check "the spare was given the disk" \
	has_dev web1 'vbd=768,0,hda,qdisk,w,disk,raw,/srv/web1.img'
check "the NIC, as a cold build gives it" \
	has_dev web1 'vif=0,0,00:16:3e:00:00:11,xenbr0,,rtl8139,ioemu,'
check "and the serial console" has_dev web1 'serial=pty'
check "its device model started: its arguments match what it was given" \
	test "$(xenstore-read "/local/domain/$s/device-model/$g/state")" = running
check "QEMU: the disk and the serial port" bash -c \
	"a='$(dm_argv web1)'; [[ \$a == *' -drive file=/dev/xvda,if=ide,index=0,media=disk,format=host_device,cache=writeback '* && \$a == *' -serial /dev/hvc3 '* ]]"
check "the pool refills" wait_until 10 'test "$(live_spares | wc -l)" = 2'

# A Mini-OS spare: a guest with a disk does not take it, one without does.
mspare=$(grep -vx "$s" <<<"$before")
# shellcheck disable=SC2046
hvsimctl create-hvm mini1 $(disk 768 hda /srv/mini1.img) >/dev/null ||
	fail "create-hvm mini1"
wait_gstate mini1 running
check "a Mini-OS guest with a disk gets a stub built for it" bash -c \
	"test '$(stub_of mini1)' != '$mspare' && grep -q 'guest \"mini1\".*building stub domain' '$T/stubdmd.log'"
hvsimctl create-hvm mini2 >/dev/null || fail "create-hvm mini2"
wait_gstate mini2 running
check "a device-less Mini-OS guest takes the Mini-OS spare" \
	test "$(stub_of mini2)" = "$mspare"
check "Mini-OS: no console for serial = pty (its QEMU gets no -serial)" \
	lacks_dev mini1 serial=

# The toolstack cannot give a spare the devices: it goes, the guest is
# built again (a spare or a cold build), and runs with them.
wait_until 10 'test "$(live_spares | wc -l)" = 2' || fail "the pool did not refill"
hvsimctl fault 'bad*' attach-fail count=1 >/dev/null
taken=$(live_spares | sort)
# shellcheck disable=SC2046
hvsimctl create-hvm bad1 $(disk 768 hda /srv/bad1.img) >/dev/null ||
	fail "create-hvm bad1"
wait_gstate bad1 running
check "the failure is logged, naming the spare" grep -q \
	"guest \"bad1\".*giving spare stub domain [0-9]* the guest's devices: injected attach failure" \
	"$T/stubdmd.log"
failed=$(sed -n 's/.*guest "bad1".*giving spare stub domain \([0-9]*\) .*/\1/p' "$T/stubdmd.log" | head -n1)
check "that spare was one of the pool's" bash -c "grep -qx '$failed' <<<'$taken'"
check "and is destroyed" wait_until 10 "! hvsimctl list | awk '\$4 != \"dying\" { print \$1 }' | grep -qx '$failed'"
check "the guest runs on another stub, with its disk" bash -c \
	"test '$(stub_of bad1)' != '$failed' && '$HVSIMCTL' --rundir '$SIM' devices '$(stub_of bad1)' | grep -qxF 'vbd=768,0,hda,qdisk,w,disk,raw,/srv/bad1.img'"
check "one stub per guest, nothing orphaned" \
	test "$(all_live_stubs)" = 4
check "the daemon lives on" "$STUBDMCTL" -S "$T/ctl.sock" list
stubdmd_stop
done_testing
