#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The manual pages lint clean (mdoc, mandoc -Tlint -W warning), render,
# and groff, which man(1) uses on Debian, has no warning either (-ww: a
# literal too long to break is one).
. "$TOP/tests/lib.sh"
command -v mandoc >/dev/null || { echo "mandoc is not installed (Debian: mandoc)"; exit 77; }
command -v groff >/dev/null || { echo "groff is not installed (Debian: groff-base)"; exit 77; }
pages=$(ls "$TOP"/man/*.[1-9])
for want in stubdmd.8 stubdmctl.8 stubdmd.ini.5; do
	check "man/$want exists" test -f "$TOP/man/$want"
done
for p in $pages; do
	out=$(mandoc -Tlint -W warning "$p" 2>&1); rc=$?
	check "$(basename "$p"): mandoc -Tlint -W warning is silent" test "$rc" = 0 -a -z "$out"
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
	check "$(basename "$p"): mdoc, as the others" grep -q '^\.Dd ' "$p"
	check "$(basename "$p"): renders" test -n "$(mandoc -Tutf8 "$p" 2>/dev/null)"
	out=$(groff -ww -mandoc -Tutf8 -z "$p" 2>&1); rc=$?
	check "$(basename "$p"): groff -ww is silent" test "$rc" = 0 -a -z "$out"
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
done
done_testing
