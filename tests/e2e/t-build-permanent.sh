#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A build that no retry can change (a name too long for "<name>-dm", a
# kernel or ramdisk the policy names that is not there) gives up at once,
# saying why; a transient failure is still retried up to max_restarts.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<EOF2
on_giveup = leave
[guest "nok*"]
kernel = $T/no-such-kernel
[guest "nord*"]
ramdisk = $T/no-such-ramdisk
[guest "tr*"]
max_restarts = 2
EOF2
SOCK=$T/ctl.sock
ctl() { "$STUBDMCTL" -S "$SOCK" "$@"; }
stat_of() { ctl --json stats | python3 -c '
import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
reason() { ctl --json status "$1" | python3 -c '
import json, sys; d = json.load(sys.stdin); print(d.get("guest", d)["reason"])'; }
stubdmd_start

# hvsim's names hold 64 bytes: a 62-byte guest name leaves no room for -dm.
name62=$(printf 'n%.0s' $(seq 62))
hvsimctl fault 'tr*' build-fail count=10 >/dev/null
hvsimctl create-hvm nok1 >/dev/null
hvsimctl create-hvm nord1 >/dev/null
hvsimctl create-hvm "$name62" >/dev/null
hvsimctl create-hvm tr1 >/dev/null
wait_gstate nok1 failed 10
wait_gstate nord1 failed 10
wait_gstate "$name62" failed 10
wait_gstate tr1 failed 20

check "missing kernel: failed without a restart" \
	test "$(gfield nok1 restarts)" = 0
check "... the reason names the kernel and says permanent" \
	test "$(reason nok1)" = "permanent build failure: kernel $T/no-such-kernel: No such file or directory"
check "... on_giveup was applied, once" \
	test "$(grep -c 'nok1.*permanent build failure.*on_giveup = leave' "$T/stubdmd.log")" = 1
check "... no stub domain was built" test "$(live_stubs nok1)" = 0
check "missing ramdisk: failed at once, saying so" \
	test "$(gfield nord1 restarts)/$(reason nord1)" = "0/permanent build failure: ramdisk $T/no-such-ramdisk: No such file or directory"
check "name too long for <name>-dm: failed without a restart" \
	test "$(gfield "$name62" restarts)" = 0
check "... the reason says permanent" \
	bash -c "'$STUBDMCTL' -S '$SOCK' --json status '$name62' | grep -q '\"reason\": \"permanent build failure: '"
check "transient (injected) failures: retried max_restarts = 2 times" \
	test "$(gfield tr1 restarts)" = 2
check "... then given up with the hypervisor's reason" \
	bash -c "'$STUBDMCTL' -S '$SOCK' --json status tr1 | grep -q 'injected build failure; gave up: max_restarts = 2 reached'"
check "... and only transient failures were logged as restarting" \
	bash -c "! grep -q 'restarting in.*\(nok1\|nord1\|$name62\)' '$T/stubdmd.log' && grep -q 'tr1.*restarting in' '$T/stubdmd.log'"
check "build failures counted: 3 permanent + 3 transient" \
	test "$(stat_of build_failures)" = 6

# The operator puts the kernel in place and starts the guest again.
: >"$T/no-such-kernel"
ctl start nok1 >/dev/null
wait_gstate nok1 running 10
check "after the kernel is there, start brings the guest up" \
	test "$(live_stubs nok1)" = 1
check "the daemon is still running" kill -0 "$STUBDMD_PID"
stubdmd_stop
done_testing
