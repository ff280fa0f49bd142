# SPDX-License-Identifier: GPL-2.0-only
# Liveness over QMP on real Xen (stubdmd(8), LIVENESS): stubdmd probes
# the linux-qemu image's QEMU with query-status through the vchan the
# image serves (device-model/<guest>/qmp-vchan), from its own event loop.
# Guests qemuhang* (policy.ini): probed every 2 s, 1 s to answer, hung
# after 3 misses, on_dm_hang = pause-guest.  The knob that hangs a device
# model is `xl pause` of its stub domain: QEMU (and the stub's kernel)
# stop, the vchan stays, nothing answers: a device model stuck as a
# deadlocked QEMU or a thrashing stub is, seen from dom0.
# 1. a running device model is probed and answers (no miss);
# 2. its stub paused: found hung within the bound, on_dm_hang pauses the
#    guest, the hung stub is kept, logged and shown as hung.
# plan: 2

hq_health() { stubdmctl status "$1" 2>/dev/null | sed -n 's/^device model: //p'; }
hq_stat() { stubdmctl stats 2>/dev/null | sed -n "s/^$1: //p"; }
hq_ok() { [ "$(hq_health "$1")" = ok ]; }

SCEN_T0=$(now)
why=""
gh=$(mkguest --vcpu qemuhang1)
if ! wait_for $SLOW stub_running qemuhang1 "$gh"; then
	why="stub qemuhang1-dm did not reach running"
else
	wait_for 20 not_paused qemuhang1 || why="guest not unpaused"
	p0=$(hq_stat dm_probes)
	# Three probe intervals: the connection is made, each is answered.
	sleep 7
	p1=$(hq_stat dm_probes)
	wait_for 10 hq_ok qemuhang1 ||
	    why="$why device model not ok: '$(hq_health qemuhang1)'"
	[ "${p1:-0}" -gt "${p0:-0}" ] || why="$why no probes ($p0 -> $p1)"
	# Its own misses (the Stats counter is every guest's: in a full
	# run, other guests' probes may have missed under emulation).
	m=$(grep -c '"qemuhang1".*did not answer QMP' "$LOG")
	[ "$m" = 0 ] || why="$why probes missed: $m"
	echo "XENTEST: qemuhang1: probes $p0 -> $p1 in 7 s, health" \
	    "$(hq_health qemuhang1)"
fi
grep '"qemuhang1"' "$LOG" | grep -i 'qmp\|probe' | tail -n 5 | sed 's/^/log: /'
result "$([ -z "$why" ]; echo $?)" "liveness: a running device model is \
probed over QMP through the image's vchan and answers" "$why"

# 2. Bound: 3 x 2 s + 1 s after the pause; TCG and a 1 s poll: 30 s.
why=""
sh=$(domid qemuhang1-dm)
if [ -z "$sh" ] || [ -n "$(hq_health qemuhang1 | grep -v ok)" ]; then
	why="no probed qemuhang1-dm to hang"
else
	SCEN_T0=$(now)
	th=$(now)
	xl pause "$sh"
	wait_for 30 log_has '"qemuhang1".*device model hung' ||
	    why="not found hung"
	took=$(elapsed "$th")
	wait_for 10 is_paused qemuhang1 || why="$why guest not paused"
	[ "$(hq_health qemuhang1)" = hung ] ||
	    why="$why status says '$(hq_health qemuhang1)'"
	[ "$(domid qemuhang1-dm)" = "$sh" ] || why="$why hung stub not kept"
	log_has '"qemuhang1".*on_dm_hang = pause-guest' ||
	    why="$why on_dm_hang not logged"
	echo "XENTEST: bench hang: stub paused -> found hung $took s" \
	    "(bound 7 s + polling)"
	xl unpause "$sh"
fi
grep '"qemuhang1"' "$LOG" | tail -n 8 | sed 's/^/log: /'
mkguest --destroy "$gh" >/dev/null 2>&1
result "$([ -z "$why" ]; echo $?)" "liveness: a device model whose stub \
is stopped is found hung and on_dm_hang acts" "$why"
