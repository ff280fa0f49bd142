#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A guest renamed while stubdmd supervises it (xl renames a guest migrated
# in from "<name>--incoming" once the migration is done, as
# libxl_domain_rename: the guest's and its stub's names in xenstore):
# stubdmd's list, logs and a rebuilt stub follow the new name.
. "$TOP/tests/lib.sh"
hvsim_start
write_policy <<'P'
on_dm_death = pause-guest
P
: >"$T/stub-kernel"
: >"$T/stub-rootfs"
ctl() { "$STUBDMCTL" -S "$T/ctl.sock" "$@"; }
mode_of() { ctl list | awk -v n="$1" '$1 == n { print $4 }'; }
stubdmd_start

g=$(hvsimctl xl-create mig1--incoming -p kernel="$T/stub-kernel" \
    ramdisk="$T/stub-rootfs" stubmem=96 mem=512) || fail "xl-create"
wait_until 10 'test "$(mode_of mig1--incoming)" = adopted' ||
    fail "libxl's stub not adopted"
s=$(stub_of mig1--incoming)
hvsimctl rename "$s" mig1-dm || fail "rename the stub"
hvsimctl rename "$g" mig1 || fail "rename the guest"
check "the list follows the rename" \
    wait_until 10 'test "$(mode_of mig1)" = adopted'
check "the old name is gone from the list" \
    test -z "$(mode_of mig1--incoming)"
check "the rename is logged" \
    grep -q 'guest "mig1" (domid '"$g"'.*renamed (was "mig1--incoming")' \
    "$T/stubdmd.log"
# The stub dies before the guest ran: the rebuilt one has the new name.
hvsimctl crash "$s" || fail "crash the stub"
check "a rebuilt stub takes the new name" \
    wait_until 20 'test -n "$(stub_of mig1)" && test "$(stub_of mig1)" != "$s"'
check "no stub of the old name" test "$(live_stubs mig1--incoming)" = 0
# An own guest renamed the same way.
hvsimctl create-hvm own1 >/dev/null
wait_gstate own1 running
hvsimctl rename "$(domid_of own1)" own2 || fail "rename own1"
check "an own guest's rename is followed too" \
    wait_until 10 'test "$(mode_of own2)" = own'
done_testing
