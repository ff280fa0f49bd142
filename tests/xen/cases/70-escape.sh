# SPDX-License-Identifier: GPL-2.0-only
# A hostile stub domain, from the inside (docs/threat-model.md): the test
# image's escape program (tests/xen/escape.c, stubtest=escape) tries what
# a compromised QEMU would against its own target, dom0, another HVM guest,
# that guest's stub and Xen, and prints one line per attempt; its table is
# printed here ("XENTEST: escape: ...") and judged: anything but its own
# target refused; against its own target, what a device model needs works
# and nothing else does.  Sourced by tests/xen/scenarios (cases/README).
# plan: 2

# escape_log: the escape stub's console; escape_lines WHO: its table lines
# about WHO ("own-target", or "other" for all the rest), without their
# "ESCAPE: " prefix.
escape_log() { tr -d '\r' <"$eclog"; }
escape_lines() {
	escape_log | sed -n 's/^.*ESCAPE: //p' |
	    awk -v w="$1" 'NF >= 6 && $5 ~ /^(pass|UNEXPECTED):$/ &&
		(w == "own-target") == ($1 == "own-target")'
}
# escape_why WHO MIN: why WHO's lines fail: fewer than MIN, or any
# unexpected.
escape_why() {
	n=$(escape_lines "$1" | wc -l)
	u=$(escape_lines "$1" | grep -c ' UNEXPECTED: ')
	[ "$n" -ge "$2" ] || echo "only $n attempts against $1 (want $2);"
	[ "$u" -eq 0 ] || echo "$u unexpected against $1:" \
	    "$(escape_lines "$1" | grep ' UNEXPECTED: ' | head -n 3 | tr '\n' ';')"
}

# 1. Every attempt on anything but its own target is refused.
SCEN_T0=$(now)
why=""
eclog=/var/log/xen/console/guest-escape1-dm.log
gv=$(mkguest escvict1)
wait_for $SLOW stub_running escvict1 "$gv" ||
    why="the other guest's stub did not start;"
sv=$(domid escvict1-dm)
vvm=$(xenstore-read "/local/domain/$gv/vm")
# Its vCPU created, as for a real QEMU: Xen gives each vCPU its ioreq
# event channel, which a device model binds.
ge=$(mkguest --vcpu escape1)
wait_for $SLOW exists escape1-dm || why="$why no stub escape1-dm;"
se=$(domid escape1-dm)
if [ -n "$se" ]; then
	xenstore-write "/local/domain/$se/escape" "$gv $sv $vvm"
	xenstore-chmod "/local/domain/$se/escape" "n0" "r$se"
fi
wait_for $SLOW grep -q "ESCAPE: done" "$eclog" ||
    why="$why no end of the table: $(escape_log | tail -n 3 | tr '\n' ';')"
escape_log | sed -n 's/^.*ESCAPE: /XENTEST: escape: /p; s/^.*ESCAPE-NOTE: /XENTEST: escape note: /p'
total=$(escape_log | sed -n 's/^.*ESCAPE: done \([0-9]*\) attempts.*/\1/p')
[ "$total" = "$(($(escape_lines own-target | wc -l) + \
    $(escape_lines other | wc -l)))" ] ||
    why="$why $total attempts said, not as many lines;"
for v in dom0 other-guest other-stub xen domid-io; do
	escape_lines other | awk -v v="$v" '$1 == v' | grep -q . ||
	    why="$why no attempt against $v;"
done
why="$why$(escape_why other 150)"
wait_for 30 stub_running escvict1 "$gv" || why="$why the other stub is no more;"
exists escvict1 || why="$why the other guest is gone;"
result "$([ -z "$why" ]; echo $?)" "a hostile stub reaches nothing but its \
own target (dom0, another guest, its stub, Xen)" "$why"

# 2. Against its own target: what a device model needs works (ioreq server,
#    foreign map, IRQ levels, ...), the rest is refused; then the stub goes
#    on as any stub.
why="$(escape_why own-target 30)"
escape_lines own-target |
    awk '$3 == "allowed" && $4 == "ok" && $6 == "ioreq-pages"' |
    grep -q . ||
    why="$why the ioreq server's pages were not mapped;"
wait_for 60 stub_running escape1 "$ge" ||
    why="$why the stub did not go on to running;"
result "$([ -z "$why" ]; echo $?)" "against its own target only what a \
device model needs" "$why"
mkguest --destroy "$ge"
mkguest --destroy "$gv"
