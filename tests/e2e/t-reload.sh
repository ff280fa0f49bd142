#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# SIGHUP reload: new guests and future rebuilds use the new policy; running
# stubs are left alone; a bad policy is rejected whole with file:line.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
memory = 32
P
stubdmd_start
hvsimctl create-hvm old1 >/dev/null
wait_gstate old1 running
s=$(stub_of old1)
sed -i 's/^memory = 32$/memory = 48/' "$T/policy.ini"
kill -HUP "$STUBDMD_PID"
wait_until 5 grep -q "policy $T/policy.ini loaded" "$T/stubdmd.log"
hvsimctl create-hvm new1 >/dev/null
wait_gstate new1 running
check "running stub untouched by the reload" test "$(stub_of old1)" = "$s"
check "old stub keeps its memory" test "$(dom_kv $s mem)" = 32
check "new guest's stub uses the new memory" test "$(dom_kv "$(stub_of new1)" mem)" = 48
cp "$T/policy.ini" "$T/good.ini"
printf 'bogus_key = 1\n' >>"$T/policy.ini"
kill -HUP "$STUBDMD_PID"
wait_until 5 grep -q 'rejected' "$T/stubdmd.log"
check "bad policy rejected with file:line" grep -q "$T/policy.ini:[0-9]*: .*bogus_key" "$T/stubdmd.log"
hvsimctl create-hvm new2 >/dev/null
wait_gstate new2 running
check "the old policy stays in force" test "$(dom_kv "$(stub_of new2)" mem)" = 48
check "the daemon is still running" kill -0 "$STUBDMD_PID"
done_testing
