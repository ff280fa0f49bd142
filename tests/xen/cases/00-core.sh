# SPDX-License-Identifier: GPL-2.0-only
# The core scenarios: stubdmd's own mode on real Xen (the test stub
# image), its failure handling, and living beside a libxl stub.  Sourced
# by tests/xen/scenarios (cases/README).
# plan: 11

# 1. An HVM guest from the test toolstack gets its stub domain.
SCEN_T0=$(now)
pvh=$(mkguest --pvh pvh1)
g1=$(mkguest hvm1)
why=""
if ! wait_for $SLOW stub_running hvm1 "$g1"; then
	why="stub hvm1-dm did not reach running"
else
	s1=$(domid hvm1-dm)
	t=$(xenstore-read /local/domain/$s1/target)
	dmd=$(xenstore-read /local/domain/$g1/image/device-model-domid)
	[ "$t" = "$g1" ] || why="target is '$t', not $g1"
	[ "$dmd" = "$s1" ] || why="$why device-model-domid is '$dmd'"
	wait_for 10 not_paused hvm1 || why="$why guest still paused"
	log_has "hvm1.*device model ready" || why="$why no 'ready' log line"
fi
result "$([ -z "$why" ]; echo $?)" "HVM guest gets a running stub domain" \
    "$why"
xl list

# 2. A PVH guest has no device model: no stub.
why=""
exists pvh1-dm && why="pvh1-dm exists"
is_paused pvh1 || why="$why pvh1 was unpaused"
result "$([ -z "$why" ]; echo $?)" "PVH guest ignored" "$why"

# 3. The stub's xenstore permissions: its own directory, read-only args,
#    and (on its console) refused writes elsewhere.
why=""
vm=$(xenstore-read /local/domain/$g1/vm)
xenstore-ls -p /local/domain/$s1/device-model >/tmp/perm.dm
xenstore-ls -p "$vm/image" >/tmp/perm.vm
cat /tmp/perm.dm /tmp/perm.vm
grep -q "^$g1 .*(n$s1,r$g1)" /tmp/perm.dm || why="device-model/$g1 perms"
grep -q "^dm-argv .*(n0,r$s1)" /tmp/perm.vm || why="$why dm-argv perms"
grep -q '^ *001 = "-xen-domid"' /tmp/perm.vm || why="$why dm-argv/001"
grep -q "^ *0[0-9][0-9] = \"-vga\"" /tmp/perm.vm || why="$why policy args"
clog=/var/log/xen/console/guest-hvm1-dm.log
grep -q "STUB: self=$s1 target=$g1 vm=$vm " $clog ||
    why="$why stub did not read its target and vm path"
grep -q "STUB: dm-argv: -xen-domid $g1" $clog ||
    why="$why stub did not read its arguments"
grep -q "forbidden write to /local/domain/0/stubtest: refused" $clog ||
    why="$why write to dom0's directory not refused"
grep -q "forbidden write to /vm/stubtest: refused" $clog ||
    why="$why write to /vm not refused"
grep -q ALLOWED $clog && why="$why a forbidden write was allowed"
result "$([ -z "$why" ]; echo $?)" "stub confined to its own and its \
target's xenstore paths" "$why"

# 4. The stub of a never-run guest is destroyed: rebuilt.
g4=$(mkguest never1)
why=""
if ! wait_for $SLOW stub_running never1 "$g4"; then
	why="first stub never1-dm did not reach running"
else
	old=$(domid never1-dm)
	SCEN_T0=$(now)
	xl destroy "$old"
	new_stub() { s=$(domid never1-dm); [ -n "$s" ] && [ "$s" != "$old" ]; }
	if ! wait_for $SLOW new_stub; then
		why="no new stub after destroying $old"
	elif ! wait_for $SLOW stub_running never1 "$g4"; then
		why="new stub did not reach running"
	fi
	is_paused never1 || why="$why guest was unpaused"
	xenstore-ls /local/domain/$old >/dev/null 2>&1 &&
	    why="$why xenstore entries of stub $old linger"
	log_has "never1.*restarting" || why="$why no 'restarting' log line"
fi
result "$([ -z "$why" ]; echo $?)" "stub of a never-run guest rebuilt" "$why"
xl list

# 5. The stub of a guest that has run dies: on_dm_death, no rebuild.
why=""
xl destroy "$s1"
wait_for 60 is_paused hvm1 || why="guest not paused (on_dm_death)"
sleep 5
exists hvm1-dm && why="$why stub rebuilt under a running guest"
log_has "hvm1.*device model died after the guest had run" ||
    why="$why no dm-death log line"
# Its console's last lines, kept for the post-mortem (xenconsoled's log).
if command -v stubdmctl >/dev/null; then
	stubdmctl status hvm1 >/tmp/status.hvm1 2>&1
	grep -q "STUB: device model running" /tmp/status.hvm1 ||
	    why="$why console tail missing from stubdmctl status"
fi
result "$([ -z "$why" ]; echo $?)" "dm death after the guest ran: \
pause-guest, no rebuild" "$why"

# 6. A stub that crashes at every start: crash loop, then on_giveup.
g6=$(mkguest crashy1)
why=""
wait_for $((SLOW * 3)) gone crashy1 || why="guest not destroyed by on_giveup"
n=$(grep -c "crashy1.*restarting" "$LOG")
[ "$n" -ge 2 ] || why="$why only $n restarts logged"
log_has "crashy1.*on_giveup = destroy-guest" || why="$why no give-up line"
log_has "crashy1.*crash" || why="$why crash reason not logged"
exists crashy1-dm && why="$why its stub is left"
result "$([ -z "$why" ]; echo $?)" "crash loop ends in on_giveup \
(destroy-guest)" "$why"
grep "crashy1" "$LOG" | tail -n 12

# 7. The guest goes away: its stub goes too, xenstore entries included.
#    The test toolstack destroys it (xl destroy would take the stub too:
#    libxl destroys the domain named in image/device-model-domid).
g7=$(mkguest gone1)
why=""
if ! wait_for $SLOW stub_running gone1 "$g7"; then
	why="stub gone1-dm did not reach running"
else
	s7=$(domid gone1-dm)
	SCEN_T0=$(now)
	mkguest --destroy "$g7"
	wait_for 60 gone gone1-dm || why="stub $s7 not destroyed"
	log_has "gone1.*guest is gone; destroying its stub domain" ||
	    why="$why no 'guest is gone' log line"
	sleep 1
	xenstore-ls /local/domain/$s7 >/dev/null 2>&1 &&
	    why="$why xenstore entries of stub $s7 linger"
fi
result "$([ -z "$why" ]; echo $?)" "guest destroyed: stub destroyed" "$why"

# 8. stubdmd killed and restarted: stubs adopted, no duplicates.
g8=$(mkguest keep1)
why=""
if ! wait_for $SLOW stub_running keep1 "$g8"; then
	why="stub keep1-dm did not reach running"
else
	s8=$(domid keep1-dm)
	s4=$(domid never1-dm)
	SCEN_T0=$(now)
	kill -9 "$DAEMON"
	wait "$DAEMON" 2>/dev/null
	start_daemon
	wait_for 60 log_has "keep1.*adopted" || why="keep1 not adopted"
	sleep 6
	[ "$(domid keep1-dm)" = "$s8" ] || why="$why keep1-dm replaced"
	[ "$(domid never1-dm)" = "$s4" ] || why="$why never1-dm replaced"
	[ "$(count_dm keep1)" = 1 ] || why="$why $(count_dm keep1) keep1-dm"
	[ "$(count_dm never1)" = 1 ] || why="$why $(count_dm never1) never1-dm"
	# And the restarted daemon still does its work.
	g9=$(mkguest after1)
	wait_for $SLOW stub_running after1 "$g9" ||
	    why="$why new guest after the restart got no stub"
fi
result "$([ -z "$why" ]; echo $?)" "restart: stubs adopted, no duplicates" \
    "$why"
xl list

# 9. The builder process dies mid-build without a report: a build failure
#    with a reason, no half-built domain left, no zombie, then a new
#    builder makes a good rebuild.
children_of() {
	for f in /proc/[0-9]*/stat; do
		{ read -r pid comm st ppid rest <"$f"; } 2>/dev/null &&
		    [ "$ppid" = "$1" ] && echo "$pid $st"
	done
}
one_dm() { [ "$(count_dm "$1")" = 1 ]; }
no_zombie() { ! children_of "$DAEMON" | grep -q ' Z$'; }
# building_pids NAME: the builder processes that started building NAME-dm.
building_pids() {
	sed -n "s/^stubdmd-build\[\([0-9]*\)\]: $1-dm: building$/\1/p" \
	    "$LOG"
}
g10=$(mkguest killb1)
why=""
builder_seen() { [ -n "$(building_pids "$1")" ]; }
poll 60 50000 builder_seen killb1
helper=$(building_pids killb1 | head -n 1)
if [ -z "$helper" ]; then
	why="no builder seen building killb1-dm"
elif ! children_of "$DAEMON" | grep -q "^$helper "; then
	why="builder $helper is not the daemon's child"
else
	kill -9 "$helper"
	wait_for $SLOW stub_running killb1 "$g10" ||
	    why="no running stub after the builder was killed"
	log_has "killb1.*build helper killed by signal 9" ||
	    why="$why failure reason not logged"
	wait_for 10 one_dm killb1 || why="$why $(count_dm killb1) killb1-dm"
	wait_for 5 no_zombie || why="$why zombie children: $(children_of \
	    "$DAEMON")"
	building_pids killb1 | grep -qv "^$helper\$" ||
	    why="$why no new builder built killb1-dm again"
	[ -d "/proc/$helper" ] && why="$why builder $helper still there"
fi
result "$([ -z "$why" ]; echo $?)" "builder killed mid-build: failure \
with a reason, a new builder rebuilt it, nothing left over" "$why"
grep "killb1\|xen: destroying" "$LOG" | tail -n 8

# 10. Build errors: the policy names a missing kernel (a permanent failure:
#     given up at once, no build tried), or a file that is no kernel
#     (libxl fails the build: libxl's reason, retried, then given up);
#     nothing left either way.
g11=$(mkguest badkern1)
g11b=$(mkguest badimg1)
why=""
failed() { stubdmctl list 2>/dev/null | grep -q "^$1 .* failed "; }
if command -v stubdmctl >/dev/null; then
	wait_for $SLOW failed badkern1 || why="badkern1 not failed"
	wait_for $SLOW failed badimg1 || why="$why badimg1 not failed"
else
	sleep 15
fi
log_has "badkern1.*permanent build failure: kernel /test/no-such-kernel: No such file" ||
    why="$why badkern1: no permanent failure logged"
! log_has "badkern1.*restarting in" || why="$why badkern1 was retried"
! log_has "badkern1.*building stub domain" || why="$why badkern1 was built"
log_has "badimg1.*build-failed: libxl_domain_create_new: libxl error" ||
    why="$why libxl's reason not logged"
log_has "badimg1.*gave up: max_restarts = 1 reached" ||
    why="$why badimg1 not retried, then given up"
# libxl tears its half-built domain down as it fails: give that a moment
# on a loaded machine (seen to lag behind the "failed" state).
wait_for 30 gone badimg1-dm || why="$why a badimg1-dm domain is left"
gone badkern1-dm || why="$why a badkern1-dm domain exists"
is_paused badkern1 || why="$why badkern1 unpaused"
is_paused badimg1 || why="$why badimg1 unpaused"
result "$([ -z "$why" ]; echo $?)" "build errors: a missing kernel given \
up at once; libxl's error retried, then given up" "$why"
grep "badkern1\|badimg1" "$LOG" | tail -n 6

# 11. A guest that libxl builds with its own stub domain (xl create with
#    device_model_stubdomain_override, the same test stub image): stubdmd
#    leaves it to libxl, one device model only.  Timed against stubdmd's
#    path in the same boot (the comparison in README.md).
why=""
SCEN_T0=$(now)
a1=$(time_stubdmd sdb1)
b1=$(time_libxl lxb1)
[ -n "$b1" ] || { why="xl create failed:"; cat /tmp/lxb1.out; }
sleep 3
[ "$(count_dm lxb1)" = 1 ] || why="$why $(count_dm lxb1) lxb1-dm domains"
log_has "lxb1.*created by libxl" || why="$why lxb1 not left to libxl"
result "$([ -z "$why" ]; echo $?)" "guest with a libxl-built stub left \
to libxl" "$why"
xl destroy lxb1
echo "XENTEST: bench stubdmd (mkguest -> device model running): $a1 s"
echo "XENTEST: bench libxl (xl create -p with a stub domain): $b1 s"
grep "device model ready after" "$LOG" | sed "s/^/XENTEST: bench /"
