# SPDX-License-Identifier: GPL-2.0-only
# Living beside xl (sourced by tests/xen/scenarios): a stub domain that
# libxl builds (xl create with device_model_stubdomain_override = 1, the
# test stub image) is adopted; when it is destroyed before the guest has
# run, stubdmd rebuilds it from what libxl built it from, compared in
# xenstore before and after; once the guest has run, on_dm_death; a guest
# whose QEMU libxl runs in dom0 is left alone and listed as dom0-dm.
# plan: 4

# stub_entries GUEST: what the guest's stub was built from and given.
stub_entries() {
	s=$(domid "$1-dm")
	g=$(domid "$1")
	svm=$(xenstore-read "/local/domain/$s/vm")
	gvm=$(xenstore-read "/local/domain/$g/vm")
	for k in kernel ramdisk cmdline; do
		echo "$k=$(xenstore-read "$svm/image/$k" 2>/dev/null)"
	done
	echo "static-max=$(xenstore-read "/local/domain/$s/memory/static-max")"
	echo "vcpus=$(xenstore-list "/local/domain/$s/cpu" | wc -l)"
	for k in $(xenstore-list "$gvm/image/dm-argv"); do
		echo "dm-argv/$k=$(xenstore-read "$gvm/image/dm-argv/$k")"
	done
}
mode_of() { stubdmctl list 2>/dev/null | awk -v n="$1" '$1 == n { print $4 }'; }
adopted() { [ "$(mode_of "$1")" = adopted ]; }

# A. xl create -p: libxl's stub is adopted.
why=""
xl_cfg lxa1 >/tmp/lxa1.cfg
if ! xl create -p /tmp/lxa1.cfg >/tmp/lxa1.out 2>&1; then
	why="xl create failed: $(tail -n 3 /tmp/lxa1.out)"
elif ! wait_for 60 log_has "lxa1.*adopted libxl's stub domain"; then
	why="libxl's stub of lxa1 not adopted"
else
	wait_for 10 adopted lxa1 || why="stubdmctl list mode: $(mode_of lxa1)"
	[ "$(count_dm lxa1)" = 1 ] || why="$why $(count_dm lxa1) lxa1-dm"
	is_paused lxa1 || why="$why guest unpaused"
fi
grep "lxa1" "$LOG" | tail -n 3
result "$([ -z "$why" ]; echo $?)" "xl create with a libxl stub: adopted, \
shown as adopted" "$why"

# B. xl destroy of that stub (the guest never ran): rebuilt with the same
#    kernel, ramdisk, cmdline, memory and arguments.
why=""
if [ -z "$(domid lxa1-dm)" ]; then
	why="no stub to destroy"
else
	old=$(domid lxa1-dm)
	stub_entries lxa1 >/tmp/lxa1.before
	SCEN_T0=$(now)
	xl destroy "$old"
	new_lxa_stub() { s=$(domid lxa1-dm); [ -n "$s" ] && [ "$s" != "$old" ]; }
	g=$(domid lxa1)
	if ! wait_for $SLOW new_lxa_stub; then
		why="no new stub after destroying $old"
	elif ! wait_for $SLOW stub_running lxa1 "$g"; then
		why="the rebuilt stub did not reach running"
	else
		stub_entries lxa1 >/tmp/lxa1.after
		echo "before:"; cat /tmp/lxa1.before
		echo "after:"; cat /tmp/lxa1.after
		cmp -s /tmp/lxa1.before /tmp/lxa1.after ||
		    why="entries differ: $(diff /tmp/lxa1.before \
		    /tmp/lxa1.after | tr '\n' ' ')"
		grep -q '^kernel=/test/vmlinuz$' /tmp/lxa1.after ||
		    why="$why kernel not libxl's"
		grep -q '^dm-argv/001=' /tmp/lxa1.after ||
		    why="$why no dm-argv"
		s=$(domid lxa1-dm)
		[ "$(xenstore-read /local/domain/$g/image/device-model-domid)" \
		    = "$s" ] || why="$why device-model-domid not the new stub"
		[ "$(count_dm lxa1)" = 1 ] || why="$why $(count_dm lxa1) stubs"
		is_paused lxa1 || why="$why guest unpaused"
		adopted lxa1 || why="$why mode $(mode_of lxa1)"
	fi
fi
grep "lxa1" "$LOG" | tail -n 5
result "$([ -z "$why" ]; echo $?)" "adopted stub destroyed before the \
guest ran: rebuilt as libxl built it" "$why"

# C. The guest has run: its adopted stub dies, on_dm_death (pause-guest
#    in this policy), no rebuild.
why=""
xl_cfg lxr1 >/tmp/lxr1.cfg
if ! xl create -p /tmp/lxr1.cfg >/tmp/lxr1.out 2>&1; then
	why="xl create failed: $(tail -n 3 /tmp/lxr1.out)"
elif ! wait_for 60 adopted lxr1; then
	why="lxr1's stub not adopted"
else
	# xl unpause would first ask the device model to resume over QMP,
	# which the test stub image does not serve: the bare hypercall.
	mkguest --run "$(domid lxr1)"
	sleep 3	# the next scan sees a guest that has run
	s=$(domid lxr1-dm)
	SCEN_T0=$(now)
	xl destroy "$s"
	wait_for 60 is_paused lxr1 || why="guest not paused (on_dm_death)"
	sleep 5
	exists lxr1-dm && why="$why stub rebuilt under a guest that ran"
	log_has "lxr1.*device model died after the guest had run" ||
	    why="$why no dm-death log line"
fi
grep "lxr1" "$LOG" | tail -n 4
result "$([ -z "$why" ]; echo $?)" "adopted stub dies after the guest \
ran: on_dm_death, no rebuild" "$why"
# D. A guest whose device model libxl runs in dom0 (no stub domain):
#    never touched, listed as dom0-dm, no <name>-dm ever built.
why=""
# No VGA: dom0's test image carries no VGA BIOS ROM for QEMU to load.
{ xl_cfg lxd1 | grep -v '^device_model_stubdomain_override\|^stubdomain_'
  echo 'vga = "none"'; } >/tmp/lxd1.cfg
if ! timeout 300 xl create -p /tmp/lxd1.cfg >/tmp/lxd1.out 2>&1; then
	why="xl create failed (its output and QEMU's log above)"
	sed 's/^/xl: /' /tmp/lxd1.out
	tail -n 30 /var/log/xen/qemu-dm-lxd1.log 2>/dev/null | sed 's/^/qemu-dm: /'
else
	dom0_dm() { [ "$(mode_of lxd1)" = dom0-dm ]; }
	wait_for 60 dom0_dm || why="stubdmctl list mode: '$(mode_of lxd1)'"
	g=$(domid lxd1)
	[ "$(xenstore-read /local/domain/0/device-model/$g/state)" = running ] ||
	    why="$why dom0's QEMU did not report running"
	sleep 3
	exists lxd1-dm && why="$why a stub domain was built"
	log_has "lxd1.*building stub domain" && why="$why stubdmd built one"
	is_paused lxd1 || why="$why guest unpaused"
fi
grep "lxd1" "$LOG" | tail -n 3
result "$([ -z "$why" ]; echo $?)" "guest with a QEMU in dom0: left alone, \
listed as dom0-dm" "$why"

xl list
timeout 60 xl destroy lxd1 || echo "XENTEST: xl destroy lxd1 failed or hung"
timeout 60 xl destroy lxa1 || echo "XENTEST: xl destroy lxa1 failed or hung"
timeout 60 xl destroy lxr1 || echo "XENTEST: xl destroy lxr1 failed or hung"
