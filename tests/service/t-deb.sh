#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# debian/: dpkg-buildpackage builds an installable .deb from a clean copy
# of the tree, the package holds what make install puts in place, and
# lintian finds no error in it.
. "$TOP/tests/lib.sh"
command -v dpkg-buildpackage >/dev/null && dpkg -s debhelper >/dev/null 2>&1 ||
	{ echo "dpkg-buildpackage or debhelper missing"; exit 77; }
[ "$(cd "$BUILD" && pwd)" = "$(cd "$TOP" && pwd)" ] ||
	{ echo "the package build is not run again under ASan"; exit 77; }
src=$T/stubdm
mkdir -p "$src"
# The checkout's own files, not its build products.
(cd "$TOP" && git ls-files -co --exclude-standard -z 2>/dev/null |
	xargs -0 cp --parents -t "$src") ||
	(cd "$TOP" && tar --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -)
(cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) \
	>"$T/deb.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b: exit 0" test "$rc" = 0
[ "$rc" = 0 ] || tail -20 "$T/deb.log" | sed 's/^/# /'
deb=$(ls "$T"/stubdm_*.deb 2>/dev/null | head -1)
check "a .deb was built" test -n "$deb"
list=$(dpkg -c "$deb" 2>/dev/null | awk '{ print $NF }')
for f in ./usr/sbin/stubdmd ./usr/sbin/stubdmctl ./etc/stubdmd.ini \
	./lib/systemd/system/stubdmd.service ./lib/systemd/system/stubdmd.socket \
	./usr/share/man/man8/stubdmd.8.gz ./usr/share/man/man8/stubdmctl.8.gz \
	./usr/share/man/man5/stubdmd.ini.5.gz \
	./usr/share/bash-completion/completions/stubdmctl; do
	check "the package holds $f" grep -qx "$f" <<<"$list"
done
check "/etc/stubdmd.ini is a conffile" \
	sh -c 'dpkg-deb -e "$1" "$2/ctl" && grep -qx /etc/stubdmd.ini "$2/ctl/conffiles"' sh "$deb" "$T"
check "the packaged stubdmd checks the shipped policy" \
	sh -c 'dpkg-deb -x "$1" "$2/root" && "$2/root/usr/sbin/stubdmd" -n -f "$2/root/etc/stubdmd.ini" >/dev/null 2>&1' sh "$deb" "$T"
# Debian's own checks of the binary package: no error, no warning; the
# informational tags left are printed.
if command -v lintian >/dev/null; then
	lintian --fail-on error --display-info "$deb" >"$T/lintian.out" 2>&1
	rc=$?
	grep -v '^running with root privileges' "$T/lintian.out" | sed 's/^/# lintian: /'
	check "lintian: no error" test "$rc" = 0
	check "... no warning either" bash -c "! grep -q '^W: ' '$T/lintian.out'"
else
	note "lintian is not installed (Debian: lintian); not run"
fi
check "the package has the GPL-2.0-only copyright file, machine-readable" \
	sh -c 'grep -qx "License: GPL-2.0-only" "$1/root/usr/share/doc/stubdm/copyright" &&
	    grep -q "^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" "$1/root/usr/share/doc/stubdm/copyright"' sh "$T"
check "the Maintainer is the project's role address" \
	test "$(dpkg-deb -f "$deb" Maintainer)" = "stubdm project <maintainers@stubdm.example>"
done_testing
