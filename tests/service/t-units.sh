#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The systemd units: installed (make install into a private prefix, so that
# the paths they name exist), they pass `systemd-analyze verify` with their
# Documentation= man pages found; the service is Type=notify with a
# watchdog, a synchronous ExecReload, Restart=on-failure, ordered after
# xenstored/xenconsoled, only on a dom0; every hardening directive is
# commented and none takes away what Xen and libxl need; `systemd-analyze
# security` rates it no worse than it does now.
. "$TOP/tests/lib.sh"
command -v systemd-analyze >/dev/null ||
	{ echo "systemd-analyze is not installed (Debian: systemd)"; exit 77; }
# Can it verify at all here (it needs systemd's own units)?
mkdir -p "$T/probe"
printf '[Service]\nExecStart=/bin/true\n' >"$T/probe/stubdm-probe.service"
out=$(cd "$T" && systemd-analyze verify --man=no "$T/probe/stubdm-probe.service" 2>&1) ||
	{ echo "systemd-analyze verify cannot run here: $out" | head -n1; exit 77; }
P=$T/prefix
make -s -C "$TOP" --no-print-directory install O="${BUILD#"$TOP"/}" PREFIX="$P" \
	sysconfdir="$P/etc" >"$T/install.log" 2>&1 || fail "make install: $(tail -5 "$T/install.log")"
U=$P/lib/systemd/system
svc=$U/stubdmd.service sock=$U/stubdmd.socket
man_ok=yes
command -v man >/dev/null || man_ok=no
for u in "$svc" "$sock"; do
	out=$(cd "$T" && MANPATH=$P/share/man systemd-analyze verify --man=$man_ok "$u" 2>&1); rc=$?
	check "systemd-analyze verify $(basename "$u"): clean" test "$rc" = 0 -a -z "$out"
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
done

# key NAME: the values of NAME= in the installed service (one a line).
key() { sed -n "s/^$1=//p" "$svc"; }
check "Type=notify" test "$(key Type)" = notify
check "ExecStart runs the installed stubdmd in the foreground on the installed policy" \
	test "$(key ExecStart)" = "$P/sbin/stubdmd -d -f $P/etc/stubdmd.ini"
check "ExecReload is the synchronous stubdmctl reload, on ExecStart's policy" \
	test "$(key ExecReload)" = "$P/sbin/stubdmctl -f $P/etc/stubdmd.ini reload"
check "WatchdogSec= is set" grep -qE '^[0-9]+(s|min)?$' <<<"$(key WatchdogSec)"
check "Restart=on-failure" test "$(key Restart)" = on-failure
check "ordered after xenstored and xenconsoled" \
	grep -qE 'xenstored\.service.*xenconsoled\.service' <<<"$(key After)"
check "no Requires= that would stop it with xenstored" test -z "$(key Requires)"
check "only on a Xen dom0" test "$(key ConditionPathExists)" = /proc/xen/capabilities
check "no ExecStop that could destroy stub domains" test -z "$(key ExecStop)"
check "the socket unit listens where stubdmctl looks by default" \
	test "$(sed -n 's/^ListenStream=//p' "$sock")" = /run/stubdmd/stubdmd.sock

# Every directive after "# Hardening" belongs to a commented block.
bare=$(awk '/^# Hardening/ { on = 1 } /^\[Install\]/ { on = 0 }
	on && /^#/ { c = 1; next } on && /^$/ { c = 0; next }
	on && /=/ && !c { print }' "$TOP/systemd/stubdmd.service")
check "every hardening directive is commented" test -z "$bare"
[ -z "$bare" ] || echo "$bare" | sed 's/^/# uncommented: /'
for d in ProtectSystem=full ProtectHome=yes NoNewPrivileges=yes \
	'CapabilityBoundingSet=~' SystemCallFilter=@system-service \
	RestrictAddressFamilies= IPAddressDeny=any; do
	check "hardening: $d" grep -q "^$d" "$svc"
done
# What would take /dev/xen away (ProtectClock= does on systemd 252: it
# becomes a device allow-list of the RTC alone), or the capabilities and
# sockets that libxl's hotplug scripts use.
for d in PrivateDevices DevicePolicy DeviceAllow ProtectClock ProtectKernelTunables \
	PrivateNetwork User DynamicUser; do
	check "hardening leaves the Xen devices and hotplug alone: no $d=" test -z "$(key "$d")"
done
check "hardening keeps CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_IPC_LOCK, CAP_CHOWN" \
	test -z "$(grep -A8 '^CapabilityBoundingSet=~' "$svc" | grep -E 'CAP_(SYS_ADMIN|NET_ADMIN|IPC_LOCK|CHOWN)\b')"
check "hardening keeps UNIX sockets" grep -q '^RestrictAddressFamilies=.*AF_UNIX' "$svc"
score=$(cd "$T" && systemd-analyze security --offline=yes "$svc" 2>/dev/null |
	sed -n 's/.*Overall exposure level for stubdmd.service: \([0-9.]*\).*/\1/p')
if [ -n "$score" ]; then
	check "systemd-analyze security: exposure $score <= 5.0" awk -v s="$score" 'BEGIN { exit !(s <= 5.0) }'
fi
done_testing
