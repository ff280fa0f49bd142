#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The licence is stated everywhere it should be: LICENSE is the GPL-2 text,
# every source, script, build file, unit and manual page says
# "SPDX-License-Identifier: GPL-2.0-only" in its first lines, and none
# carries another project's copyright header.
. "$TOP/tests/lib.sh"
cd "$TOP" || exit 2
command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "not a git checkout"; exit 77; }

check "LICENSE is the GNU GPL version 2" \
	grep -q "GNU GENERAL PUBLIC LICENSE" LICENSE -a -n "$(grep 'Version 2, June 1991' LICENSE)"
check "debian/copyright says GPL-2.0-only" grep -q '^License: GPL-2.0-only' debian/copyright

# Source files: by name, and executable scripts by their #! line.
sources() {
	git ls-files | while IFS= read -r f; do
		case $f in
		tests/fuzz/corpus/*|tests/fuzz/regress/*) continue ;;
		tests/policy/*.sh) ;;
		tests/policy/*) continue ;;
		*.c|*.h|*.sh|*.mk|*.go|*.asm|*.bash|*.varlink|*.py|*.ini|\
		Makefile|*/Makefile|debian/rules|systemd/*|man/*.[158]) ;;
		*) head -c2 "$f" 2>/dev/null | grep -q '^#!' || continue ;;
		esac
		printf '%s\n' "$f"
	done
}
missing=$(sources | while IFS= read -r f; do
	head -n3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-only' ||
	    printf '%s\n' "$f"
done)
check "every source file has its SPDX line${missing:+ (missing: $(echo $missing))}" \
	test -z "$missing"
check "there are sources to look at" test "$(sources | wc -l)" -gt 100
# (The brackets keep this line from matching itself.)
foreign=$(sources | xargs grep -lE \
	'Copyrigh[t].*(Citri[x]|XenSourc[e]|Intel Corporatio[n]|Samuel Thibaul[t]|SUS[E])' \
	2>/dev/null)
check "no other project's copyright header${foreign:+ ($foreign)}" test -z "$foreign"
done_testing
