#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Own mode, the guest's serial port (policy key serial): the stub is
# built with the console for it (the simulated toolstack records it and
# its QEMU refuses to start unless -serial /dev/hvc3 matches), %n is the
# guest's name, a rebuild gives it again, a spare taken by a guest with a
# serial port is given the console first, a name that cannot be a file
# name is refused for that guest only, and a bad value is refused with
# file:line.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
unpause_guest = no
pool_size = 1
serial = file:/var/log/stubdm/%n-%%.serial
[guest "quiet*"]
serial = none
P

stubdmd_start
wait_until 10 'test -n "$(live_spares)"' || fail "no spare built"
spare=$(live_spares | head -n 1)

hvsimctl create-hvm ser1 >/dev/null || fail "create-hvm ser1"
wait_gstate ser1 running
g=$(domid_of ser1)
s=$(stub_of ser1)
check "its device model started (-serial matches the stub's console)" \
	test "$(xenstore-read "/local/domain/$s/device-model/$g/state")" = running
check "the stub got the serial console, %n and %% expanded" \
	has_dev ser1 'serial=file:/var/log/stubdm/ser1-%.serial'
check "QEMU: -serial /dev/hvc3 (libxl's first serial console)" \
	has_arg ser1 '-serial /dev/hvc3'
check "it took the spare, given the console before its target" bash -c \
	"test '$s' = '$spare' && grep -q 'guest \"ser1\".*took spare stub domain $spare from the pool; giving it 0 disks, 0 NICs, serial file:/var/log/stubdm/ser1-%.serial' '$T/stubdmd.log'"

hvsimctl crash "$s"
wait_until 10 'test "$(gfield ser1 restarts)" = 1' || fail "no rebuild"
wait_gstate ser1 running
check "a rebuild gives the console again" \
	has_dev ser1 'serial=file:/var/log/stubdm/ser1-%.serial'

wait_until 10 'test -n "$(live_spares)"' || fail "the pool did not refill"
spare=$(live_spares | head -n 1)
hvsimctl create-hvm quiet1 >/dev/null || fail "create-hvm quiet1"
wait_gstate quiet1 running
check "serial = none: no console" lacks_dev quiet1 serial=
check "serial = none: no -serial" lacks_arg quiet1 -serial
check "serial = none: it may take the spare" test "$(stub_of quiet1)" = "$spare"

hvsimctl create-hvm .hidden >/dev/null || fail "create-hvm .hidden"
check "a name that cannot be a file name: that guest refused, said why" \
	wait_until 10 "grep -q 'guest \".hidden\".*serial: the guest.s name cannot be part of a file name' '$T/stubdmd.log'"
check "and given up at once (a permanent failure)" \
	wait_until 10 'is_gstate .hidden failed'
check "the others run on" is_gstate ser1 running

# A bad value: refused with file:line, the running policy kept.
cp "$T/policy.ini" "$T/good.ini"
printf '[guest "x*"]\nserial = tcp:127.0.0.1:4555\n' >>"$T/policy.ini"
check "a bad serial is refused with file:line" bash -c \
	"'$STUBDMD' -n -f '$T/policy.ini' 2>&1 | grep -q 'policy.ini:[0-9][0-9]*: .*serial.*none, pty or file:PATH'"
check "reload refuses it and keeps the old one" bash -c \
	"! '$STUBDMCTL' -S '$T/ctl.sock' reload >/dev/null 2>&1"
check "the daemon still runs ser1" is_gstate ser1 running
done_testing
