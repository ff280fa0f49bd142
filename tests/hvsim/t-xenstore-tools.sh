#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Debian's xenstore-* tools against hvsim's xenstore: writes, reads,
# listings, removal, permissions as unprivileged domains see them
# (hvsimctl sock-as), owner and target rights, xenstore-watch, limits.
. "$TOP/tests/lib.sh"
hvsim_start

not() { ! "$@"; }
as() { local sock; sock=$(hvsimctl sock-as "$1") || return 1; shift; XENSTORED_PATH=$sock "$@"; }
perms_of() { xenstore-ls -p "$(dirname "$1")" | awk -v n="$(basename "$1")" '$1 == n { print $NF }' | tr -d '()'; }

# --- plain reads and writes --------------------------------------------
xenstore-write /t/a 1 /t/b "two words"
check "xenstore-write, xenstore-read" test "$(xenstore-read /t/b)" = "two words"
check "xenstore-exists" xenstore-exists /t/a
check "xenstore-exists fails for a missing node" not xenstore-exists /t/none
check "xenstore-list in creation order" test "$(xenstore-list /t | tr '\n' ' ')" = "a b "
check "xenstore-ls shows values" bash -c 'xenstore-ls /t | grep -qx "b = \"two words\""'
xenstore-write /t/c/d/e x
check "xenstore-write creates the missing parents" test "$(xenstore-list /t/c)" = d
xenstore-rm /t/c
check "xenstore-rm removes the subtree" not xenstore-exists /t/c/d/e
check "xenstore-rm of a missing node under an existing one is fine" xenstore-rm /t/c
check "xenstore-rm under a missing parent fails" not xenstore-rm /t/nope/nope
check "Domain-0's name" test "$(xenstore-read /local/domain/0/name)" = Domain-0
check "/local/domain/0 is n0" test "$(perms_of /local/domain/0)" = n0
v4000=$(head -c 4000 /dev/zero | tr '\0' v)
check "a 4000-byte value fits" bash -c "xenstore-write /t/big '$v4000' && test \"\$(xenstore-read /t/big | wc -c)\" = 4001"
# libxenstore refuses an over-long message itself; xsclient-test sends one
# raw and checks hvsim's own E2BIG.
v5000=$(head -c 5000 /dev/zero | tr '\0' v)
check "a 5000-byte value is refused (E2BIG)" not xenstore-write /t/big "$v5000"
check "a path with // is refused" not xenstore-write /t//x 1
check "a path with a space is refused" not xenstore-write "/t/x y" 1
check "a trailing / is refused" not xenstore-read /t/
check "nothing was written by the refused requests" test "$(xenstore-list /t | tr '\n' ' ')" = "a b big "

# --- permissions --------------------------------------------------------
xenstore-write /t/secret s
xenstore-chmod /t/secret n0
check "xenstore-ls -p shows n0" test "$(perms_of /t/secret)" = n0
check "domain 5 cannot read a node n0" not as 5 xenstore-read /t/secret
check "domain 5 cannot list /t (n0)" not as 5 xenstore-list /t
xenstore-chmod /t/secret n0 r5
check "xenstore-ls -p shows n0,r5" test "$(perms_of /t/secret)" = n0,r5
check "domain 5 reads a node n0 r5" test "$(as 5 xenstore-read /t/secret)" = s
check "domain 5 cannot write it" not as 5 xenstore-write /t/secret x
check "domain 6 still cannot read it" not as 6 xenstore-read /t/secret
check "a domain cannot change perms it does not own" not as 5 xenstore-chmod /t/secret n0 r5 r6
xenstore-write /t/mine m
xenstore-chmod /t/mine n5
check "the owner writes its node" as 5 xenstore-write /t/mine mm
check "the owner creates below it" as 5 xenstore-write /t/mine/kid k
check "what it creates is its own" test "$(perms_of /t/mine/kid)" = n5
check "the owner grants read" as 5 xenstore-chmod /t/mine n5 r6
check "the grantee reads" test "$(as 6 xenstore-read /t/mine)" = mm
check "the owner may not give its node away" not as 5 xenstore-chmod /t/mine n6
check "dom0 may" xenstore-chmod /t/mine n6
check "a domain cannot create under a node it cannot write" not as 5 xenstore-write /t/secret/kid x
# Relative paths live under the domain's home.
xenstore-write /local/domain/5/home ""
xenstore-chmod /local/domain/5/home n5
check "a relative path is under /local/domain/<domid>" as 5 xenstore-write home/rel 1
check "... where dom0 finds it" test "$(xenstore-read /local/domain/5/home/rel)" = 1

# Target rights: a stub domain has its guest's rights once set-target runs.
g=$(hvsimctl create-hvm tguest)
s=$(hvsimctl create-pv tstub --paused)
xenstore-write /t/guestnode g
xenstore-chmod /t/guestnode "n$g"
check "a stub cannot read its guest's node before set-target" not as "$s" xenstore-read /t/guestnode
hvsimctl set-target "$s" "$g"
check "after set-target it reads it" test "$(as "$s" xenstore-read /t/guestnode)" = g
check "and writes it (owner's rights)" as "$s" xenstore-write /t/guestnode gg
xenstore-write /t/forguest x
xenstore-chmod /t/forguest n0 "r$g"
check "an ACL entry for the guest serves its stub too" test "$(as "$s" xenstore-read /t/forguest)" = x
check "another domain still cannot" not as 7 xenstore-read /t/guestnode
check "the guest's own home is readable by it (n0 r<guest>)" test "$(as "$g" xenstore-read /local/domain/$g/name)" = tguest

# --- watches ------------------------------------------------------------
xenstore-watch -n 2 /t/w >"$T/watch.out" 2>&1 &
wpid=$!
wait_until 5 test -s "$T/watch.out"
xenstore-write /t/other 1
xenstore-write /t/w/x 1
check "xenstore-watch -n 2 exits after two events" wait_until 5 not kill -0 "$wpid"
check "it printed the initial event, then the change" test "$(tr '\n' ' ' <"$T/watch.out")" = "/t/w /t/w/x "
# A domain's watch fires only for what it may read.
as 5 xenstore-watch -n 2 /t/v >"$T/watch5.out" 2>&1 &
wpid=$!
wait_until 5 test -s "$T/watch5.out"
xenstore-write /t/v/hidden 1
xenstore-chmod /t/v/hidden n0
xenstore-write /t/v/hidden 2
xenstore-write /t/v/shown 1
xenstore-chmod /t/v/shown n0 r5
xenstore-write /t/v/shown 2
check "an unprivileged watch sees the node it may read" wait_until 5 not kill -0 "$wpid"
check "and not the one it may not" bash -c "! grep -q hidden '$T/watch5.out'"

kill -TERM "$HVSIM_PID"
wait "$HVSIM_PID"
check "hvsim exits 0 on SIGTERM" test $? = 0
done_testing
