#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Living beside xl: the three cases (no device model: stubdmd's own; a stub
# libxl built: adopted; a QEMU in dom0: left alone), a libxl stub that is
# still starting is left to libxl, a dead adopted stub is rebuilt from what
# libxl used (same kernel, ramdisk, cmdline, memory, arguments) while the
# guest has never run and gets on_dm_death once it has, adopt = no, and
# adoption across a daemon restart.  hvsimctl xl-create writes what
# `xl create` with device_model_stubdomain_override = 1 leaves in xenstore.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
on_dm_death = pause-guest
[guest "noad*"]
adopt = no
P
: >"$T/stub-kernel"
: >"$T/stub-rootfs"
xl_create() {	# NAME [xl-create options]: libxl's stub domain
	hvsimctl xl-create "$@" kernel="$T/stub-kernel" \
	    ramdisk="$T/stub-rootfs" cmdline="console=hvc0 libxl-made" \
	    stubmem=96 mem=512
}
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
mode_of() { ctl list | awk -v n="$1" '$1 == n { print $4 }'; }
builds_for() { grep -c "guest \"$1\".*building stub domain" "$T/stubdmd.log"; }
# What a stub was built from, in the order xl would print it.
stub_image() {	# STUB_DOMID
	local vm
	vm=$(xenstore-read "/local/domain/$1/vm")
	echo "kernel=$(xenstore-read "$vm/image/kernel")" \
	    "ramdisk=$(xenstore-read "$vm/image/ramdisk")" \
	    "cmdline=$(xenstore-read "$vm/image/cmdline")" \
	    "mem=$(dom_kv "$1" mem)"
}
dm_args() {	# GUEST: libxl's arguments, one line
	local vm k
	vm=$(xenstore-read "/local/domain/$(domid_of "$1")/vm")
	for k in $(xenstore-list "$vm/image/dm-argv"); do
		printf '%s ' "$(xenstore-read "$vm/image/dm-argv/$k")"
	done
}
args_perms() {	# GUEST: the permissions of every dm-argv node
	local vm
	vm=$(xenstore-read "/local/domain/$(domid_of "$1")/vm")
	xenstore-ls -p "$vm/image" | sed -n 's/.*(\(.*\))$/\1/p' | sort -u
}
stub_ready() { [ "$(xenstore-read "/local/domain/$(stub_of "$1")/device-model/$(domid_of "$1")/state" 2>/dev/null)" = running ]; }

stubdmd_start

# 1. The three cases side by side.
hvsimctl create-hvm own1 >/dev/null
xl_create lx1 -p >/dev/null
hvsimctl xl-create d0guest --dom0-dm >/dev/null
wait_gstate own1 running
wait_gstate lx1 running
wait_until 10 'test "$(mode_of d0guest)" = dom0-dm'
check "own guest: stubdmd's stub" test "$(mode_of own1)" = own
check "libxl's stub adopted" test "$(mode_of lx1)" = adopted
check "dom0 QEMU reported as such" test "$(mode_of d0guest)" = dom0-dm
check "adoption logged with what libxl built" grep -q \
    "guest \"lx1\".*adopted libxl's stub domain [0-9]* (device model running; kernel $T/stub-kernel, 96 MiB, 1 vCPU)" "$T/stubdmd.log"
check "dom0-dm guest: no stub, left alone" test "$(live_stubs d0guest)" = 0
check "libxl's guest: no second stub" test "$(live_stubs lx1)/$(builds_for lx1)" = 1/0
check "xl create -p: the guest stays paused" is_dom_state "$(domid_of lx1)" paused
check "status names the mode" sh -c "'$STUBDMCTL' -S '$T/ctl.sock' status lx1 | grep -q 'adopted'"

# 2. A libxl stub still starting is libxl's until it reports running.
hvsimctl fault 'slow*' slow-boot 1500 count=1 >/dev/null
xl_create slow1 -p >/dev/null
sleep 0.8
check "starting libxl stub: not adopted yet" test "$(mode_of slow1)" = libxl
check "starting libxl stub: no stub of ours" test "$(live_stubs slow1)/$(builds_for slow1)" = 1/0
wait_gstate slow1 running 10
check "adopted once it runs" test "$(mode_of slow1)" = adopted

# 2b. A libxl stub that never gets ready: left to libxl for start_timeout,
#     then adopted; stubdmd's own start_timeout then counts, and the
#     never-run guest's stub is rebuilt (the fault hits libxl's stub only).
hvsimctl fault 'stuck*' never-ready count=1 >/dev/null
xl_create stuck1 -p >/dev/null
sleep 1
check "never-ready libxl stub: left to libxl meanwhile" test "$(mode_of stuck1)/$(builds_for stuck1)" = libxl/0
wait_until 10 'grep -q "guest \"stuck1\".*adopted libxl.s stub domain [0-9]* (not ready within start_timeout" "$T/stubdmd.log"'
check "adopted after start_timeout, not ready" grep -q 'guest "stuck1".*adopted libxl.s stub domain [0-9]* (not ready within start_timeout' "$T/stubdmd.log"
wait_gstate stuck1 running 15
check "then rebuilt, and ready" test "$(builds_for stuck1)/$(live_stubs stuck1)" = 1/1
check "the failure was never-ready" grep -q 'guest "stuck1".*stub domain failed (never-ready' "$T/stubdmd.log"

# 3. The adopted stub of a never-run guest dies: rebuilt as libxl built it.
old=$(stub_of lx1)
before_img=$(stub_image "$old")
before_args=$(dm_args lx1)
hvsimctl destroy "$old" >/dev/null
wait_until 10 'test -n "$(stub_of lx1)" && test "$(stub_of lx1)" != "$old"'
wait_gstate lx1 running
new=$(stub_of lx1)
check "rebuilt: a new stub domain" test -n "$new" -a "$new" != "$old"
check "rebuilt from libxl's kernel, ramdisk, cmdline, memory" \
    test "$(stub_image "$new")" = "$before_img"
note "before: $before_img"
note "after:  $(stub_image "$new")"
check "libxl's arguments kept as they were" test "$(dm_args lx1)" = "$before_args"
check "arguments readable by the new stub only" test "$(args_perms lx1)" = "n0,r$new"
check "device-model-domid names the new stub" \
    test "$(xenstore-read "/local/domain/$(domid_of lx1)/image/device-model-domid")" = "$new"
check "the new stub's device model runs" stub_ready lx1
check "still one stub" test "$(live_stubs lx1)" = 1
check "the guest is still paused (libxl's choice)" is_dom_state "$(domid_of lx1)" paused
check "still adopted" test "$(mode_of lx1)" = adopted

# 4. A guest that has run: on_dm_death, no rebuild under it.
xl_create ran1 >/dev/null
wait_gstate ran1 running
wait_until 10 'is_dom_state "$(domid_of ran1)" running'
hvsimctl crash "$(stub_of ran1)" >/dev/null
wait_until 10 'is_dom_state "$(domid_of ran1)" paused'
sleep 1
check "dm death after run: on_dm_death = pause-guest" is_dom_state "$(domid_of ran1)" paused
check "dm death after run: not rebuilt" test "$(builds_for ran1)" = 0
check "dm death logged" grep -q 'guest "ran1".*device model died after the guest had run' "$T/stubdmd.log"

# 4b. xl destroy ends the stub first and the guest a moment later: no
#     device-model death.  A stub destroyed by someone else under a guest
#     that stays is a death, judged after the grace (3 s).
xl_create xld1 >/dev/null
xl_create xld2 >/dev/null
wait_gstate xld1 running
wait_gstate xld2 running
wait_until 10 'is_dom_state "$(domid_of xld1)" running && is_dom_state "$(domid_of xld2)" running'
deaths0=$(grep -c 'device model died' "$T/stubdmd.log")
hvsimctl destroy "$(stub_of xld1)" >/dev/null
hvsimctl destroy "$(stub_of xld2)" >/dev/null
sleep 0.5
hvsimctl destroy xld1 >/dev/null
wait_until 10 'test -z "$(gstate xld1)"' || fail "xld1 not forgotten"
check "xl destroy: the grace is logged" \
    grep -q 'guest "xld1".*stub domain destroyed by someone else; judged in 3000 ms' "$T/stubdmd.log"
check "xl destroy: the guest went in the grace, no device-model death" \
    bash -c "! grep -q 'guest \"xld1\".*device model died' '$T/stubdmd.log'"
wait_until 10 'is_dom_state "$(domid_of xld2)" paused' || fail "xld2 not paused"
check "stub destroyed, guest stays: on_dm_death after the grace" \
    is_dom_state "$(domid_of xld2)" paused
check "... logged as a device-model death, once" \
    test "$(grep -c 'guest "xld2".*device model died' "$T/stubdmd.log")" = 1
check "... and only xld2's" \
    test "$(grep -c 'device model died' "$T/stubdmd.log")" = $((deaths0 + 1))
hvsimctl destroy xld2 >/dev/null

# 5. adopt = no: shown as libxl's and left alone, even when it dies.
xl_create noad1 -p >/dev/null
wait_until 10 'grep -q "guest \"noad1\".*adopt = no" "$T/stubdmd.log"'
check "adopt = no: mode libxl" test "$(mode_of noad1)" = libxl
hvsimctl destroy "$(stub_of noad1)" >/dev/null
sleep 1.5
check "adopt = no: its dead stub is not rebuilt" test "$(live_stubs noad1)/$(builds_for noad1)" = 0/0

# 6. kill -9 and restart: adopted guests stay adopted, nothing duplicated;
#    a libxl guest created meanwhile is adopted at start-up.
lx1_stub=$(stub_of lx1)
stubdmd_kill9
xl_create late1 -p >/dev/null
stubdmd_start
wait_gstate late1 running
wait_until 10 'test "$(mode_of lx1)" = adopted'
check "restart: lx1 still adopted, same stub" test "$(mode_of lx1)/$(stub_of lx1)" = "adopted/$lx1_stub"
check "restart: libxl guest created while down adopted" test "$(mode_of late1)" = adopted
check "restart: dom0-dm guest still left alone" test "$(mode_of d0guest)/$(live_stubs d0guest)" = dom0-dm/0
check "restart: one stub per guest" test "$(live_stubs lx1)$(live_stubs late1)$(live_stubs slow1)$(live_stubs stuck1)" = 1111
# The record keeps libxl's build: a rebuild after the restart uses it.
hvsimctl destroy "$lx1_stub" >/dev/null
wait_until 10 'test -n "$(stub_of lx1)" && test "$(stub_of lx1)" != "$lx1_stub"'
wait_gstate lx1 running
check "rebuilt after a restart from the same kernel and memory" \
    test "$(stub_image "$(stub_of lx1)")" = "$before_img"
check "no duplicates anywhere" test -z "$(hvsimctl list | awk '$2 ~ /-dm$/ && $4 != "dying" { print $2 }' | sort | uniq -d)"
stubdmd_stop
done_testing
