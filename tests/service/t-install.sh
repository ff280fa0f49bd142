#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make install / uninstall into a DESTDIR: the tree (binaries, units, man
# pages, bash completion, the sample policy and the interface), the
# directory variables, an existing policy never overwritten, uninstall
# removing what install put there (a changed policy stays); the bash
# completion completes verbs and, from a running daemon, guest names.
. "$TOP/tests/lib.sh"
inst() { make -s -C "$TOP" --no-print-directory O="${BUILD#"$TOP"/}" "$@" >>"$T/make.log" 2>&1; }
files() { (cd "$1" && find . -type f -printf '%m %p\n' | sort); }

D=$T/stage
check "make install PREFIX=/usr DESTDIR=...: exit 0" inst install PREFIX=/usr DESTDIR="$D"
want="644 ./etc/stubdmd.ini
644 ./usr/lib/systemd/system/stubdmd.service
644 ./usr/lib/systemd/system/stubdmd.socket
644 ./usr/share/bash-completion/completions/stubdmctl
644 ./usr/share/doc/stubdm/io.stubdm.varlink
644 ./usr/share/doc/stubdm/stubdmd.ini
644 ./usr/share/man/man5/stubdmd.ini.5
644 ./usr/share/man/man8/stubdmctl.8
644 ./usr/share/man/man8/stubdmd.8
755 ./usr/sbin/stubdmctl
755 ./usr/sbin/stubdmd"
got=$(files "$D")
check "the installed tree, with its modes" test "$got" = "$want"
[ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") | sed 's/^/# /'
check "the unit runs /usr/sbin/stubdmd on /etc/stubdmd.ini" \
	grep -qx 'ExecStart=/usr/sbin/stubdmd -d -f /etc/stubdmd.ini' "$D/usr/lib/systemd/system/stubdmd.service"
check "the installed stubdmd runs" \
	test "$("$D/usr/sbin/stubdmd" -V)" = "$("$STUBDMD" -V)"
check "the installed stubdmctl runs" \
	sh -c '"$1" help >/dev/null' sh "$D/usr/sbin/stubdmctl"
check "the sample policy is the shipped one" cmp -s "$TOP/etc/stubdmd.ini" "$D/etc/stubdmd.ini"
check "the installed policy passes stubdmd -n" \
	sh -c '"$1" -n -f "$2" >/dev/null 2>&1' sh "$D/usr/sbin/stubdmd" "$D/etc/stubdmd.ini"

echo '; changed by the administrator' >>"$D/etc/stubdmd.ini"
cp "$D/etc/stubdmd.ini" "$T/changed.ini"
check "a second install: exit 0" inst install PREFIX=/usr DESTDIR="$D"
check "an existing policy is never overwritten" cmp -s "$T/changed.ini" "$D/etc/stubdmd.ini"
check "install says it kept the policy" grep -q "keeping $D/etc/stubdmd.ini" "$T/make.log"

check "make uninstall: exit 0" inst uninstall PREFIX=/usr DESTDIR="$D"
check "uninstall removes everything but a changed policy" \
	test "$(files "$D")" = "644 ./etc/stubdmd.ini"
check "the changed policy is left as it was" cmp -s "$T/changed.ini" "$D/etc/stubdmd.ini"

# Every directory variable.
E=$T/stage2
check "make install with every directory variable: exit 0" inst install \
	DESTDIR="$E" PREFIX=/opt/sd sbindir=/opt/sd/bin mandir=/opt/man \
	sysconfdir=/opt/etc unitdir=/opt/units
for f in /opt/sd/bin/stubdmd /opt/sd/bin/stubdmctl /opt/units/stubdmd.service \
	/opt/units/stubdmd.socket /opt/man/man8/stubdmd.8 /opt/man/man8/stubdmctl.8 \
	/opt/man/man5/stubdmd.ini.5 /opt/etc/stubdmd.ini \
	/opt/sd/share/bash-completion/completions/stubdmctl; do
	check "installed $f" test -f "$E$f"
done
check "the unit names sbindir and sysconfdir" \
	grep -qx 'ExecStart=/opt/sd/bin/stubdmd -d -f /opt/etc/stubdmd.ini' "$E/opt/units/stubdmd.service"
check "ExecReload names sbindir and sysconfdir" grep -qx 'ExecReload=/opt/sd/bin/stubdmctl -f /opt/etc/stubdmd.ini reload' "$E/opt/units/stubdmd.service"
check "make uninstall with the same variables: exit 0" inst uninstall \
	DESTDIR="$E" PREFIX=/opt/sd sbindir=/opt/sd/bin mandir=/opt/man \
	sysconfdir=/opt/etc unitdir=/opt/units
check "an unchanged policy goes with uninstall: no file left" test -z "$(files "$E")"

# The bash completion, without the bash-completion package: a minimal
# _init_completion sets the words as it would.
_init_completion() {
	words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
	cur=${words[cword]}; prev=${words[cword - 1]}
}
complete() { :; }
. "$TOP/stubdmctl/stubdmctl.bash"
PATH=$(dirname "$STUBDMCTL"):$PATH
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _stubdmctl; echo "${COMPREPLY[*]}"; }
check "completion: verbs" test "$(comp stubdmctl sta)" = "status start stats"
check "completion: every verb stubdmctl help lists" \
	test "$(comp stubdmctl '' | wc -w)" = "$("$STUBDMCTL" help | grep -c '^  [a-z]')"
check "completion: options" test "$(comp stubdmctl --j)" = "--json"
check "completion: log levels" test "$(comp stubdmctl set-log-level d)" = "debug"
hvsim_start
write_policy </dev/null
stubdmd_start
hvsimctl create-hvm web1 >/dev/null
hvsimctl create-hvm db1 >/dev/null
wait_gstate web1 running
check "completion: guest names from the daemon" \
	test "$(comp stubdmctl -S "$T/ctl.sock" status w)" = "web1"
check "completion: guest names after a verb that takes one" \
	test "$(comp stubdmctl -S "$T/ctl.sock" stop '' | tr ' ' '\n' | sort | tr '\n' ' ')" = "db1 web1 "
check "completion: nothing after the guest" test -z "$(comp stubdmctl -S "$T/ctl.sock" stop web1 '')"
check "completion: options after the verb" test "$(comp stubdmctl list --j)" = "--json"
check "completion: a verb's own options" test "$(comp stubdmctl stats --o)" = "--openmetrics"
check "completion: ... only on that verb" test -z "$(comp stubdmctl list --o)"
check "completion: guest names with the socket after the verb" \
	test "$(comp stubdmctl status -S "$T/ctl.sock" w)" = "web1"
check "completion: a guest after --json" \
	test "$(comp stubdmctl -S "$T/ctl.sock" status --json w)" = "web1"
check "completion: nothing after the guest and an option" \
	test -z "$(comp stubdmctl -S "$T/ctl.sock" stop web1 --json '')"
done_testing
