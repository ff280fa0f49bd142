#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The manual pages say what the code does: the policy keys (stubdmd.ini.5
# against `stubdmd -n -g`, policy.c's [global] table and the shipped
# policy), stubdmctl's verbs, options and exit codes (stubdmctl.8 against
# `stubdmctl help` and its option table), stubdmd's options, signals,
# states, notify messages, journal fields and MESSAGE_IDs (stubdmd.8
# against the code) and the control methods and errors (stubdmd.8 against
# io.stubdm.varlink).
. "$TOP/tests/lib.sh"
M=$TOP/man
SRC=$TOP/stubdmd

# same DESC "DOCUMENTED" "KNOWN": two word lists are the same set.
same() {
	local a b
	a=$(tr -s '[:space:]' '\n' <<<"$2" | sed '/^$/d' | sort -u)
	b=$(tr -s '[:space:]' '\n' <<<"$3" | sed '/^$/d' | sort -u)
	check "$1" test -n "$a" -a "$a" = "$b"
	[ "$a" = "$b" ] || diff <(echo "$a") <(echo "$b") | sed 's/^/# documented vs code: /'
}
# mdoc_items FILE START_REGEX MACRO: the first word after ".It MACRO" from
# the line matching START_REGEX to the next section header.
mdoc_items() {
	awk -v start="$2" -v mac="$3" '
		$0 ~ start { on = 1; next }
		on && /^\.S[hs] / { exit }
		on && $1 == ".It" && $2 == mac { print $3 }' "$1"
}
# The numbers of an EXIT STATUS list.
mdoc_exit() {
	awk '/^\.Sh EXIT STATUS/ { on = 1; next } on && /^\.Sh / { exit }
		on && $1 == ".It" && $2 ~ /^[0-9]+$/ { print $2 }' "$1"
}
# The names in a C table of { "name", ... } entries that starts at REGEX.
c_table() {
	awk -v start="$2" '
		$0 ~ start { on = 1; next }
		on && /^};/ { exit }
		on { while (match($0, /\{ "[^"]+"/)) { print substr($0, RSTART + 3, RLENGTH - 4); $0 = substr($0, RSTART + RLENGTH) } }' "$1"
}
# The keys of one section of an INI file.
ini_keys() {
	awk -v sec="[$2]" '/^\[/ { on = ($0 == sec); next } on && /^[a-z_]+ *=/ { sub(/ *=.*/, ""); print }' "$1"
}

# --- stubdmd.ini(5)
: >"$T/kernel"
printf '[defaults]\nkernel = %s\nramdisk =\n' "$T/kernel" >"$T/p.ini"
chmod 0644 "$T/p.ini"
code_keys=$("$STUBDMD" -n -f "$T/p.ini" -g anyguest | awk '!/^#/ { print $1 }')
check "stubdmd -n -g prints the settings" test "$(wc -w <<<"$code_keys")" -gt 10
same "stubdmd.ini.5 documents the guest keys stubdmd -n -g prints" \
	"$(mdoc_items "$M/stubdmd.ini.5" '^\.Ss Keys of \[defaults\]' Cm)" "$code_keys"
gkeys=$(c_table "$SRC/policy.c" 'policy_gkeys\[\] = \{')
check "policy.c's [global] table is found" test "$(wc -w <<<"$gkeys")" -ge 3
same "stubdmd.ini.5 documents the [global] keys policy.c knows" \
	"$(mdoc_items "$M/stubdmd.ini.5" '^\.Ss Keys of \[global\]' Cm)" "$gkeys"
same "the shipped policy sets every [global] key" \
	"$(ini_keys "$TOP/etc/stubdmd.ini" global)" "$gkeys"
same "the shipped policy sets every guest key in [defaults]" \
	"$(ini_keys "$TOP/etc/stubdmd.ini" defaults)" "$code_keys"

# --- stubdmctl(8)
verbs=$("$STUBDMCTL" help | awk '/^  [a-z]/ { print $1 }')
same "stubdmctl.8 documents the verbs stubdmctl help lists" \
	"$(awk '/^The verbs are:/ { on = 1 } on && /^\.El/ { exit }
		on && $1 == ".It" && $2 == "Ic" { print $3 }' "$M/stubdmctl.8")" "$verbs"
same "stubdmctl.8 documents stubdmctl's long options" \
	"$(awk '/^The options are/ { on = 1 } on && /^\.El/ { exit }
		on && /^\.It Fl/ { for (i = 1; i <= NF; i++) if ($i ~ /^-[a-z]/) print substr($i, 2) }' "$M/stubdmctl.8")" \
	"$(c_table "$TOP/stubdmctl/stubdmctl.c" 'longopts\[\] = \{')"
same "stubdmctl.8 documents the exit codes stubdmctl help gives" \
	"$(mdoc_exit "$M/stubdmctl.8")" \
	"$("$STUBDMCTL" help | sed -n 's/^Exit: //p' | grep -o '[0-9] [a-z]' | cut -c1)"

# --- stubdmd(8)
same "stubdmd.8 documents stubdmd's long options" \
	"$(awk '/^The options are/ { on = 1 } on && /^\.El/ { exit }
		on && /^\.It Fl/ { for (i = 1; i <= NF; i++) if ($i ~ /^-[a-z]/) print substr($i, 2) }' "$M/stubdmd.8")" \
	"$(c_table "$SRC/stubdmd.c" 'longopts\[\] = \{')"
same "stubdmd.8 documents the options stubdmd --help lists" \
	"$(awk '/^The options are/ { on = 1 } on && /^\.El/ { exit }
		on && /^\.It Fl/ { for (i = 1; i <= NF; i++) if ($i ~ /^-[a-z]/) print substr($i, 2) }' "$M/stubdmd.8")" \
	"$("$STUBDMD" --help | grep -o -- '--[a-z]*' | sed 's/^--//' | sort -u) help"
same "stubdmd.8 documents the control methods of io.stubdm.varlink" \
	"$(mdoc_items "$M/stubdmd.8" '^\.Sh CONTROL INTERFACE' Li | sed 's/^io\.stubdm\.//')" \
	"$(sed -n 's/^method \([A-Za-z]*\)(.*/\1/p' "$SRC/io.stubdm.varlink")"
same "stubdmd.8 documents the errors of io.stubdm.varlink" \
	"$(awk '/^Errors:/ { on = 1 } on && /^\.S[hs] / { exit } on && $1 == ".Li" { print $2 }' "$M/stubdmd.8" | sed 's/^io\.stubdm\.//')" \
	"$(sed -n 's/^error \([A-Za-z]*\) .*/\1/p' "$SRC/io.stubdm.varlink")"
same "stubdmd.8 documents the guest states of io.stubdm.varlink" \
	"$(mdoc_items "$M/stubdmd.8" '^\.Ss Guest states' Cm)" \
	"$(awk '/^type State \(/ { on = 1 } on { print } on && /\)/ { exit }' "$SRC/io.stubdm.varlink" |
		tr '\n' ' ' | sed 's/^type State (//; s/).*//' | tr -d ',')"
same "stubdmd.8 documents the signals stubdmd handles" \
	"$(awk '/^\.Sh SIGNALS/ { on = 1; next } on && /^\.Sh / { exit }
		on && /^\.It Dv/ { for (i = 3; i <= NF; i++) if ($i ~ /^SIG/) print $i }' "$M/stubdmd.8")" \
	"$(grep -o 'SIG[A-Z][A-Z]*' "$SRC/stubdmd.c")"
same "stubdmd.8 documents the sd_notify messages notify.c sends" \
	"$(mdoc_items "$M/stubdmd.8" '^\.Sh SYSTEMD' Li | sed 's/=.*//')" \
	"$(grep -o '\(^\|[^A-Z_]\)[A-Z_]\{5,\}=' "$SRC/notify.c" | tr -dc 'A-Z_=\n' | sed 's/=.*//' | grep -v MONOTONIC_USEC)"
check "stubdmd.8 documents MONOTONIC_USEC=" grep -q 'MONOTONIC_USEC=' "$M/stubdmd.8"
same "stubdmd.8 documents the journal fields of guest lines" \
	"$(awk '/^\.Sh LOGGING/ { on = 1; next } on && /^\.Sh / { exit }
		on && $1 == ".It" && $2 == "Li" && $3 ~ /^[A-Z_]+=$/ { print $3 }' "$M/stubdmd.8" | sed 's/=$//')" \
	"$(grep -o '"[A-Z_]*=%' "$SRC/log.c" | tr -d '"=%' | grep -vx 'MESSAGE\|PRIORITY\|SYSLOG_IDENTIFIER')"
same "stubdmd.8 documents every MESSAGE_ID of log.h" \
	"$(grep -o '^\.It Li [0-9a-f]\{32\}$' "$M/stubdmd.8" | cut -d' ' -f3)" \
	"$(sed -n 's/^#define LOG_MSGID_[A-Z_]*[[:space:]]*"\([0-9a-f]*\)"$/\1/p' "$SRC/log.h")"
same "stubdmd.8 documents the exit codes" \
	"$(mdoc_exit "$M/stubdmd.8")" "0 1 2"
done_testing
