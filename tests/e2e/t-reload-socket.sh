#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `systemctl reload` when the policy moves the control socket: the unit's
# ExecReload (stubdmctl -f POLICY reload) finds the socket the policy
# names when the default one is not there, reloads synchronously and
# fails on a rejected policy.  stubdmctl trusts only a policy stubdmd
# would load, and -S still means that socket alone.
. "$TOP/tests/lib.sh"
[ -e /run/stubdmd/stubdmd.sock ] &&
	{ echo "a stubdmd socket exists at the default path"; exit 77; }
hvsim_start
write_policy </dev/null		# control_socket = $T/ctl.sock
stubdmd_start
exits() {	# WANT CMD...: CMD's exit status is WANT; output in $T/out
	local want=$1 rc; shift
	"$@" >"$T/out" 2>&1
	rc=$?
	[ "$rc" -eq "$want" ] || { note "exit $rc, wanted $want: $(cat "$T/out")"; return 1; }
}
# The unit's ExecReload, with this build's stubdmctl and this policy.
reload_cmd=$(sed -n 's/^ExecReload=//p' "$TOP/systemd/stubdmd.service" |
	sed -e "s|/usr/sbin/stubdmctl|$STUBDMCTL|" -e "s|/etc/stubdmd.ini|$T/policy.ini|")
[ -n "$reload_cmd" ] || fail "no ExecReload in stubdmd.service"
note "ExecReload: $reload_cmd"

check "the unit's ExecReload reloads a daemon on a moved socket" \
	exits 0 $reload_cmd
check "... and the daemon did" \
	test "$(grep -c "policy $T/policy.ini loaded" "$T/stubdmd.log")" = 1
cp "$T/policy.ini" "$T/good.ini"
echo 'bogus line' >>"$T/policy.ini"
check "... a rejected policy fails it (exit 1, FILE:LINE)" \
	bash -c "$(declare -f exits note); T='$T'; exits 1 $reload_cmd && grep -q 'policy.ini:[0-9]*: syntax error' '$T/out'"
cp "$T/good.ini" "$T/policy.ini"
check "stubdmctl -f POLICY list: other verbs find it too" \
	exits 0 "$STUBDMCTL" -f "$T/policy.ini" list
check "-S is that socket alone: no fall-back to the policy's" \
	exits 3 "$STUBDMCTL" -S "$T/nothing.sock" -f "$T/policy.ini" list
cp "$T/policy.ini" "$T/w.ini"
chmod 0666 "$T/w.ini"
check "a policy others may write is not trusted for the socket" \
	exits 3 "$STUBDMCTL" -f "$T/w.ini" list
check "... the error names the default socket" \
	grep -q "cannot connect to /run/stubdmd/stubdmd.sock" "$T/out"
chmod 0644 "$T/w.ini"
chown 65534 "$T/w.ini"
check "... nor one owned by another user" exits 3 "$STUBDMCTL" -f "$T/w.ini" list
check "the daemon lives" kill -0 "$STUBDMD_PID"
stubdmd_stop
done_testing
