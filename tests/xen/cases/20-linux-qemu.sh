# SPDX-License-Identifier: GPL-2.0-only
# The linux-qemu stub image (images/linux-qemu) with Debian's real QEMU.
# Sourced by tests/xen/scenarios; guests named qemu* get the image
# (policy.ini).  The target is a mkguest guest with its vCPU created
# (--vcpu: Xen gives each vCPU the ioreq event channel QEMU binds; without
# it QEMU stops at "shared evtchn 0 bind error 22").  It has no firmware
# and its vCPU is never initialised, so it never runs; QEMU needs no more
# to attach (it registers its ioreq server and populates its VGA RAM
# under the guest's memory limit).
# plan: 3

# The stub's console, as xenconsoled logs it.
qlog() { echo "/var/log/xen/console/guest-$1-dm.log"; }
show_console() { tail -n 40 "$(qlog "$1")" 2>/dev/null | sed "s/^/$1-dm: /"; }
has_running_line() { grep -q "STUB: device model running at" "$1"; }
ndying() { xl list 2>/dev/null | grep -c '^(null) '; }

# 1. QEMU runs in the stub and writes "running" itself (this image's
#    init never does): it has attached to the guest and created its
#    ioreq server, or it would have exited.
SCEN_T0=$(now)
tq=$(now)
gq=$(mkguest --vcpu qemu1)
why=""
if ! wait_for $SLOW stub_running qemu1 "$gq"; then
	why="stub qemu1-dm did not reach running (state:\
 '$(dm_state "$(domid qemu1-dm)" "$gq")')"
else
	took=$(elapsed "$tq")
	sq=$(domid qemu1-dm)
	cl=$(qlog qemu1)
	grep -q "STUB: dm-argv: -xen-domid $gq -machine xenfv" "$cl" ||
	    why="the stub did not read its arguments"
	grep -q "STUB: QEMU started" "$cl" || why="$why no 'QEMU started' line"
	# The init prints its line when its watch on the state fires and
	# xenconsoled writes it to the log after: it may come a little after
	# the state this test saw.
	wait_for 10 has_running_line "$cl"
	boot=$(sed -n 's/.*STUB: device model running at \([0-9.]*\) s.*/\1/p' \
	    "$cl" | head -n 1)
	[ -n "$boot" ] || why="$why no 'device model running' line"
	wait_for 10 not_paused qemu1 || why="$why guest still paused"
	echo "XENTEST: bench linux-qemu stub: mkguest -> QEMU running $took s;" \
	    "stub kernel boot -> QEMU running ${boot:-?} s (stub uptime)"
fi
show_console qemu1
result "$([ -z "$why" ]; echo $?)" "linux-qemu stub: real QEMU attaches \
to its guest and reports running" "$why"

# 2. Xen's own view of that ioreq server: the destroyed stub lingers as a
#    dying domain while its server stays registered in the guest, and
#    goes when the guest goes (DESIGN.md, "When a stub domain dies").
why=""
if [ -z "${sq:-}" ]; then
	why="no running qemu1-dm"
else
	SCEN_T0=$(now)
	n0=$(ndying)
	xl destroy "$sq"
	wait_for 30 gone qemu1-dm || why="qemu1-dm not destroyed"
	sleep 2
	xl list
	[ "$(ndying)" -gt "$n0" ] ||
	    why="$why no dying stub: QEMU held no ioreq server"
	mkguest --destroy "$gq"
	back() { [ "$(ndying)" -le "$n0" ]; }
	wait_for 60 back || why="$why the dying stub outlived its guest"
fi
result "$([ -z "$why" ]; echo $?)" "linux-qemu stub: its ioreq server \
keeps the dead stub until the guest goes" "$why"

# 3. QEMU refuses its arguments and exits 1: the image crashes its
#    stub (the exit is the domain's shutdown reason), the policy gives up.
SCEN_T0=$(now)
gb=$(mkguest --vcpu qemubad1)
why=""
wait_for $((SLOW * 2)) gone qemubad1 || why="guest not destroyed by on_giveup"
grep -q "STUB: QEMU exited with status 1; crashing" "$(qlog qemubad1)" ||
    why="$why no 'QEMU exited with status 1' on the console"
log_has "qemubad1.*crash" || why="$why crash reason not logged"
exists qemubad1-dm && why="$why its stub is left"
grep "STUB: \|qemu-system" "$(qlog qemubad1)" | sed 's/^/qemubad1-dm: /'
result "$([ -z "$why" ]; echo $?)" "linux-qemu stub: QEMU's failure \
crashes the stub" "$why"
