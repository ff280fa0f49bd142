#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A new paused HVM guest gets exactly one stub domain, set up the way Xen's
# toolstack does it, and is unpaused once its device model is ready.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy </dev/null
stubdmd_start

g=$(hvsimctl create-hvm web1) || fail "create-hvm"
wait_gstate web1 running
s=$(stub_of web1)
check "exactly one stub domain named web1-dm" test "$(live_stubs web1)" = 1
check "stub targets the guest in Xen" test "$(dom_field "$s" 5)" = "$g"
check "stub is a running PV domain" test "$(dom_field "$s" 3)/$(dom_state "$s")" = pv/running
check "guest unpaused after ready" test "$(dom_kv "$g" ever_unpaused)/$(dom_state "$g")" = 1/running
check "device model registered one ioreq server" test "$(dom_kv "$g" ioreq)" = 1
check "/local/domain/<stub>/target" test "$(xenstore-read /local/domain/$s/target)" = "$g"
check "guest's image/device-model-domid" test "$(xenstore-read /local/domain/$g/image/device-model-domid)" = "$s"
check "device model reported running" test "$(xenstore-read /local/domain/$s/device-model/$g/state)" = running
vm=$(xenstore-read /local/domain/$g/vm)
check "dm-argv starts with -xen-domid <guest>" test "$(xenstore-read $vm/image/dm-argv/001) $(xenstore-read $vm/image/dm-argv/002)" = "-xen-domid $g"
check "dm-argv owned by dom0, readable by the stub only" \
	test "$(xenstore-ls -p $vm/image | awk '/^dm-argv/ { print $NF }' | tr -d ')(')" = "n0,r$s"
check "device-model dir owned by the stub, readable by the guest" \
	test "$(xenstore-ls -p /local/domain/$s/device-model | awk -v g=$g '$1 == g { print $NF }' | tr -d ')(')" = "n$s,r$g"
gs=$(hvsimctl sock-as "$g")
check "the guest cannot read its stub's arguments" \
	bash -c "! XENSTORED_PATH=$gs xenstore-read $vm/image/dm-argv/001 2>/dev/null"
ss=$(hvsimctl sock-as "$s")
check "the stub can read its arguments" \
	bash -c "XENSTORED_PATH=$ss xenstore-read $vm/image/dm-argv/001 >/dev/null"
check "the guest cannot write the device model's state" \
	bash -c "! XENSTORED_PATH=$gs xenstore-write /local/domain/$s/device-model/$g/state x 2>/dev/null"
check "the daemon's records are dom0-only" \
	test "$(xenstore-ls -p /tool | awk '/^stubdmd/ { print $NF }' | tr -d ')(')" = "n0"
sleep 1.2	# two reconciles: nothing may change
check "reconcile leaves a healthy stub alone" test "$(stub_of web1)" = "$s"
check "log names the guest and its stub" grep -q "guest \"web1\" (domid $g, stub $s): device model ready" "$T/stubdmd.log"
stubdmd_stop
check "stopping the daemon leaves the stub running" test "$(dom_state "$s")" = running
done_testing
