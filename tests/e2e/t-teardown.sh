#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A guest that goes away takes its stub domain with it, in every state.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy </dev/null
stubdmd_start
for g in a1 a2 a3; do hvsimctl create-hvm "$g" >/dev/null; done
for g in a1 a2 a3; do wait_gstate "$g" running; done
hvsimctl destroy a1 >/dev/null
hvsimctl shutdown a2 poweroff >/dev/null
hvsimctl destroy a2 >/dev/null
wait_until 10 'test "$(all_live_stubs)" = 1' || fail "stubs left: $(hvsimctl list)"
check "a1's stub destroyed" test "$(live_stubs a1)" = 0
check "a2's stub destroyed" test "$(live_stubs a2)" = 0
check "a3 untouched" test "$(live_stubs a3)" = 1
check "no dying leftovers" test "$(dying_count)" = 0
check "records of departed guests removed" test "$(xenstore-list /tool/stubdmd/guests | wc -l)" = 1
done_testing
