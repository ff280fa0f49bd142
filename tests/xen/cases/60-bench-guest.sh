# SPDX-License-Identifier: GPL-2.0-only
# The seed's performance claim, measured with the test guest (tests/xen/
# guest, bench_guest in scenarios): the time from creating the guest to
# its first serial line, and its emulated disk's throughput (BENCH_KIB
# KiB written then read through int 13h, dom0 idle, then dom0 loaded:
# one vCPU, four busy loops, load_start), with its QEMU in dom0 and in a
# stub domain, printed side by side as ratios to dom0's in "XENTEST:
# bench guest ..." lines.
# All are from one boot of the test bed; under TCG the absolute figures
# say little (tests/xen/README.md), the ratios are what to read.
# C. stubdmd's own stub (own mode: mkguest --firmware, its stub built
#    cold from the linux-qemu image, guests qemuob* in policy.ini;
#    cases/41-own-boot.sh's guest when it ran in this boot).  From
#    the pool (stubdmd-pool): cases/41-own-boot.sh D's guest, its first
#    serial line only (it runs no disk benchmark), when 41 ran.
#   XEN_CASES="40 41 60" make check-xen    (or all cases: make check-xen)
# plan: 3

# A. QEMU in dom0: cases/40-guest-dom0.sh's guest when it ran in this
#    boot, else a guest of its own.
why=""
if [ -f /tmp/bench.dom0 ] && grep -q '^loaded [0-9]' /tmp/bench.dom0; then
	echo "XENTEST: info: dom0's figures from cases/40-guest-dom0.sh"
else
	guest_disk /tmp/gb0.img "$(nonce)" $BENCH_KIB 2
	guest_cfg gb0 /tmp/gb0.img 00:16:3e:5d:00:10 >/tmp/gb0.cfg
	rm -f /tmp/gb0.serial
	t=$(now)
	if ! timeout 300 xl create /tmp/gb0.cfg >/tmp/gb0.out 2>&1; then
		why="xl create failed: $(tail -n 3 /tmp/gb0.out | tr '\n' ' ')"
	else
		bench_guest dom0 gb0 "$t" || why="no figures (serial below)"
		tr -d '\r' </tmp/gb0.serial | sed 's/^/gb0 serial: /'
	fi
	wait_for 60 gone gb0
	timeout 60 xl destroy gb0 2>/dev/null
fi
result "$([ -z "$why" ]; echo $?)" "bench: the test guest with QEMU in \
dom0 boots and runs its disk benchmark idle and loaded" "$why"

# B. libxl's Linux stub domain (xl create, the linux-qemu image).
why=""
guest_disk /tmp/gb1.img "$(nonce)" $BENCH_KIB 2
{ guest_cfg gb1 /tmp/gb1.img 00:16:3e:5d:00:11; linux_qemu_stub; } \
    >/tmp/gb1.cfg
# libxl gives its stub 30 s from unpause to QEMU running (compiled in),
# which a loaded machine can miss under TCG: one more try then, said.
gb1_create() {
	rm -f /tmp/gb1.serial
	t=$(now)
	timeout 600 xl create /tmp/gb1.cfg >/tmp/gb1.out 2>&1
}
gb1_create
rc=$?
if [ $rc != 0 ] && grep -q "startup timed out" /tmp/gb1.out; then
	echo "XENTEST: info: libxl's stub missed libxl's 30 s; trying again"
	sed 's/^/xl: /' /tmp/gb1.out
	wait_for 60 gone gb1
	timeout 60 xl destroy gb1 2>/dev/null
	gb1_create
	rc=$?
fi
if [ $rc != 0 ]; then
	why="xl create failed (its output and the stub's console above)"
	sed 's/^/xl: /' /tmp/gb1.out
	tail -n 30 /var/log/xen/qemu-dm-gb1.log 2>/dev/null |
	    sed 's/^/gb1-dm: /'
else
	bench_guest libxl-stub gb1 "$t" || why="no figures (serial below)"
	stub_boot libxl-stub /var/log/xen/qemu-dm-gb1.log
	tr -d '\r' </tmp/gb1.serial | sed 's/^/gb1 serial: /'
fi
wait_for 60 gone gb1
timeout 60 xl destroy gb1 2>/dev/null
result "$([ -z "$why" ]; echo $?)" "bench: the test guest with QEMU in \
libxl's stub domain boots and runs its disk benchmark idle and loaded" \
    "$why"

# C. stubdmd's stub, built cold for a guest made without libxl:
#    cases/41-own-boot.sh's guest when it ran in this boot, else one of
#    its own.
why=""
if grep -q '^loaded [0-9]' /tmp/bench.stubdmd-cold 2>/dev/null; then
	echo "XENTEST: info: stubdmd's figures from cases/41-own-boot.sh"
else
	guest_disk /tmp/qemuob9.img "$(nonce)" $BENCH_KIB 2
	rm -f /tmp/qemuob9.serial
	t=$(now)
	if ! og=$(mkguest --firmware --mem 64 --disk /tmp/qemuob9.img \
	    --nic 00:16:3e:5d:00:12 qemuob9 2>/tmp/qemuob9.err); then
		why="mkguest failed: $(cat /tmp/qemuob9.err)"
	else
		bench_guest stubdmd-cold qemuob9 "$t" ||
		    why="no figures (serial below)"
		stub_boot stubdmd-cold \
		    /var/log/xen/console/guest-qemuob9-dm.log
		tr -d '\r' </tmp/qemuob9.serial 2>/dev/null |
		    sed 's/^/qemuob9 serial: /'
		mkguest --destroy "$og" >/dev/null 2>&1
	fi
fi
result "$([ -z "$why" ]; echo $?)" "bench: the test guest with QEMU in \
stubdmd's stub domain (own mode, built cold) boots and runs its disk \
benchmark idle and loaded" "$why"

# The figures side by side: each kind's against dom0's.
# bench_fig KIND FIELD COLUMN: a figure from /tmp/bench.KIND.
bench_fig() { awk -v f="$2" -v c="$3" '$1 == f { print $c }' \
    "/tmp/bench.$1" 2>/dev/null; }
bench_ratio() { awk -v a="$1" -v b="$2" \
    'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }
line="first serial line after create: dom0 $(bench_fig dom0 first 2) s"
disk="disk $BENCH_KIB KiB write+read: dom0 idle"
disk="$disk $(bench_fig dom0 idle 2)+$(bench_fig dom0 idle 3) s, loaded"
disk="$disk $(bench_fig dom0 loaded 2)+$(bench_fig dom0 loaded 3) s"
for k in libxl-stub stubdmd-cold stubdmd-pool; do
	[ -f "/tmp/bench.$k" ] || continue
	f=$(bench_fig $k first 2)
	line="$line, $k $f s (x$(bench_ratio "$f" "$(bench_fig dom0 first 2)"))"
	grep -q '^loaded [0-9]' "/tmp/bench.$k" || continue
	for c in idle loaded; do
		s=$(awk '$1 == "'$c'" { print $2 + $3 }' "/tmp/bench.$k")
		d=$(awk '$1 == "'$c'" { print $2 + $3 }' /tmp/bench.dom0 \
		    2>/dev/null)
		disk="$disk; $k $c $(bench_fig $k $c 2)+$(bench_fig $k $c 3)"
		disk="$disk s (x$(bench_ratio "$s" "$d") dom0's)"
	done
done
# What dom0's load costs each: loaded time / idle time.
load="disk under dom0's load (loaded / idle):"
for k in dom0 libxl-stub stubdmd-cold; do
	grep -q '^loaded [0-9]' "/tmp/bench.$k" 2>/dev/null || continue
	l=$(awk '$1 == "loaded" { print $2 + $3 }' "/tmp/bench.$k")
	i=$(awk '$1 == "idle" { print $2 + $3 }' "/tmp/bench.$k")
	load="$load $k x$(bench_ratio "$l" "$i")"
done
echo "XENTEST: bench guest $line"
echo "XENTEST: bench guest $disk"
echo "XENTEST: bench guest $load"
echo "XENTEST: bench guest (x = time / dom0's time, same boot;" \
    "XEN_CASES=\"40 41 60\" make check-xen)"
