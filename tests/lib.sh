# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for the shell tests.  Source it first:  . "$TOP/tests/lib.sh"
# The runner exports TOP (repo root), BUILD (where the binaries are: "." or
# build/asan) and TEST_TMP (a private directory, removed when the test passes).
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=.}"
: "${TEST_TMP:=$(mktemp -d /tmp/stubdm-t.XXXXXX)}"
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
HVSIM=$BUILD/tests/hvsim/hvsim
HVSIMCTL=$BUILD/tests/hvsim/hvsimctl
STUBDMD=$BUILD/stubdmd/stubdmd
STUBDMCTL=$BUILD/stubdmctl/stubdmctl
T=$TEST_TMP
SIM=$T/sim
_pids=""

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds.
# A single argument is shell code, evaluated afresh each time: use that
# form for conditions with $(...), which the caller's shell would
# otherwise expand once:  wait_until 10 'test "$(gfield g1 restarts)" = 1'
wait_until() {
	local limit=$1 i=0; shift
	while ! if [ $# -eq 1 ]; then eval "$1"; else "$@"; fi >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge $((limit * 20)) ] && return 1
		sleep 0.05
	done
}

_cleanup() {
	local rc=$? p
	for p in $_pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $_pids; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break; sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# A sanitizer report anywhere fails the test, whatever it asserted.
	for p in "$T"/*.log; do
		[ -f "$p" ] || continue
		if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$p"; then
			echo "FAIL: sanitizer report in $p:" >&2
			grep -m5 -A5 -E 'ERROR|runtime error' "$p" >&2
			rc=1
		fi
	done
	exit $rc
}
trap _cleanup EXIT

# hvsim_start [ARGS...]: start the simulated host on $SIM and point the
# xenstore clients at it.
hvsim_start() {
	mkdir -p "$SIM"
	"$HVSIM" --rundir "$SIM" "$@" >>"$T/hvsim.log" 2>&1 &
	_pids="$_pids $!"
	HVSIM_PID=$!
	wait_until 10 test -e "$SIM/ready" || fail "hvsim did not start"
	export XENSTORED_PATH=$SIM/socket
}

hvsimctl() { "$HVSIMCTL" --rundir "$SIM" "$@"; }

# Exits 66 are sanitizer reports (see tests/run).
check_sanitizer_log() {
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1"; then
		fail "sanitizer report in $1: $(grep -m3 -E 'ERROR|runtime error' "$1")"
	fi
}

# --- the daemon -----------------------------------------------------------

# A test policy: fast timings, a kernel file that exists.  Extra lines on
# stdin are appended; those before any [section] header go to [defaults]
# and replace the base value of a key they set (a key set twice in one
# section is an error in a policy).
write_policy() {
	local f=${1:-$T/policy.ini} extra
	extra=$(cat)
	: >"$T/kernel"
	{
		printf '[global]\nreconcile_interval = 500ms\n'
		printf 'state_path = /tool/stubdmd\ncontrol_socket = %s\n' "$T/ctl.sock"
		printf '[defaults]\nkernel = %s\nramdisk =\nmemory = 32\n' "$T/kernel"
		printf 'backoff_initial = 100ms\nbackoff_max = 400ms\n'
		printf 'start_timeout = 2s\nrestart_window = 1m\nmax_restarts = 3\n'
	} | awk -v extra="$extra" '
		BEGIN {
			n = split(extra, x, "\n")
			for (i = 1; i <= n && x[i] !~ /^\[/; i++)
				if (split(x[i], kv, "=") > 1) {
					k = kv[1]; gsub(/[ \t]/, "", k); set[k] = 1
				}
		}
		{ k = $1; if (!(k in set) || $0 ~ /^\[/) print }
		END { if (extra != "") print extra }
	' >"$f"
	chmod 0644 "$f"
}

# stubdmd_start [POLICY]: start the daemon on the simulated host and wait
# until it has done its first reconcile.
stubdmd_start() {
	local pol=${1:-$T/policy.ini} n
	n=$(grep -c 'supervising' "$T/stubdmd.log" 2>/dev/null)
	"$STUBDMD" -d -f "$pol" -S "$T/ctl.sock" --sim "$SIM" \
		>>"$T/stubdmd.log" 2>&1 &
	STUBDMD_PID=$!
	_pids="$_pids $STUBDMD_PID"
	wait_until 20 'test "$(grep -c supervising "$T/stubdmd.log")" -gt "${n:-0}"' ||
		fail "stubdmd did not start: $(tail -5 "$T/stubdmd.log")"
}

stubdmd_kill9() {
	kill -KILL "$STUBDMD_PID" 2>/dev/null
	wait "$STUBDMD_PID" 2>/dev/null
}

# stubdmd_stop: SIGTERM; the daemon must exit 0 (and leak-free under ASan).
stubdmd_stop() {
	local rc
	kill -TERM "$STUBDMD_PID"
	wait "$STUBDMD_PID"
	rc=$?
	[ "$rc" -eq 0 ] || fail "stubdmd exited $rc on SIGTERM"
}

# --- hvsim's view (the invariants are checked here, not in the daemon's word)

# hvsimctl list: domid name type state target ever_unpaused= ioreq= mem=
domid_of() { hvsimctl list | awk -v n="$1" '$2 == n && $4 != "dying" { print $1; exit }'; }
dom_field() { hvsimctl list | awk -v d="$1" -v f="$2" '$1 == d { print $f }'; }
dom_state() { dom_field "$1" 4; }
dom_kv() { hvsimctl list | awk -v d="$1" -v k="$2" '$1 == d { for (i = 6; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'; }
# Live (not dying) stub domains named GUEST-dm.
live_stubs() { hvsimctl list | awk -v n="$1-dm" '$2 == n && $4 != "dying"' | wc -l; }
stub_of() { domid_of "$1-dm"; }
# Own-mode stubs (t-own-*.sh): a guest's QEMU arguments as one line
# (<vm>/image/dm-argv), one of them present, its stub's devices as the
# simulated toolstack recorded them, one of those present, the spares.
dm_argv() {
	local vm k
	vm=$(xenstore-read "/local/domain/$(domid_of "$1")/vm")
	for k in $(xenstore-list "$vm/image/dm-argv"); do
		printf ' %s' "$(xenstore-read "$vm/image/dm-argv/$k")"
	done
	echo ' '
}
has_arg() { dm_argv "$1" | grep -qF -- " $2 "; }
# lacks_arg GUEST TEXT: its QEMU arguments are there and none has TEXT.
lacks_arg() {
	local a
	a=$(dm_argv "$1") && [ "$a" != ' ' ] && ! grep -qF -- "$2" <<<"$a"
}
stub_devices() { hvsimctl devices "$(stub_of "$1")"; }
has_dev() { stub_devices "$1" | grep -qxF -- "$2"; }	# no pipe after check
# lacks_dev GUEST PATTERN: its stub's devices are known and none matches.
lacks_dev() {
	local d
	d=$(stub_devices "$1") || return 1
	! grep -q -- "$2" <<<"$d"
}
live_spares() { hvsimctl list | awk '$2 ~ /^stubdm-spare-/ && $4 != "dying" { print $1 }'; }
dying_count() { hvsimctl list | awk '$4 == "dying"' | wc -l; }
# All live stub domains, and all live HVM guests.
all_live_stubs() { hvsimctl list | awk '$2 ~ /-dm$/ && $4 != "dying"' | wc -l; }

# The daemon's record of a guest (its state word).
gstate() {
	local id
	id=$(domid_of "$1") || return 1
	[ -n "$id" ] || return 1
	xenstore-read "/tool/stubdmd/guests/$id" 2>/dev/null |
		tr ' ' '\n' | sed -n 's/^state=//p'
}
grecord() { xenstore-read "/tool/stubdmd/guests/$(domid_of "$1")" 2>/dev/null; }
gfield() { grecord "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

is_gstate() { [ "$(gstate "$1")" = "$2" ]; }
wait_gstate() {	# NAME STATE [SECONDS]
	wait_until "${3:-10}" is_gstate "$1" "$2" ||
		fail "guest $1: state '$(gstate "$1")', wanted '$2'; log: $(tail -5 "$T/stubdmd.log")"
}
is_dom_state() { [ "$(dom_state "$1")" = "$2" ]; }

# _lib_fn_in_bash_c CODE: print the first shell function of this shell that
# CODE runs as a command without defining it.  A `bash -c` does not have
# the library's functions (nor does `sh -c`): there it is "command not
# found", and a check such as `bash -c "! hvsimctl ..."` passes whatever
# hvsimctl would say.
# Command positions: the start, after ; & | ! ( ) { } $( ` or a newline,
# after the keywords that start a command, and after VAR=value words;
# text in single quotes is skipped.
_lib_fn_in_bash_c() {
	local code=$1 fn word seg words
	local -A fns=()
	for fn in $(declare -F | awk '{ print $3 }'); do fns[$fn]=1; done
	code=$(sed "s/'[^']*'/''/g" <<<"$code")	# quoted text runs nothing
	while IFS= read -r seg; do
		read -ra words <<<"$seg"
		for word in "${words[@]}"; do
			word=${word#[\"\']}; word=${word%[\"\']}
			case $word in
			then|do|else|elif|if|while|until|time|*=*) continue ;;
			'') break ;;
			esac
			[ -n "${fns[$word]:-}" ] &&
				! [[ $code =~ (^|[^[:alnum:]_])$word\ ?\(\) ]] &&
				{ printf '%s\n' "$word"; return 0; }
			break
		done
	done < <(printf '%s\n' "$code" | tr ';&|!(){}`' '\n\n\n\n\n\n\n\n\n')
	return 1
}

# TAP helpers: check N DESC CMD...
_tapn=0
check() {
	local desc=$1 fn; shift
	_tapn=$((_tapn + 1))
	if [[ $1 == @(bash|sh) && ${2:-} == -c ]] &&
	    fn=$(_lib_fn_in_bash_c "${3:-}"); then
		echo "not ok $_tapn - $desc # bash -c runs the shell function" \
		    "$fn, which it does not have: the check cannot fail"
		_tapfail=1
		return
	fi
	if "$@"; then echo "ok $_tapn - $desc"; else echo "not ok $_tapn - $desc"; _tapfail=1; fi
}
_tapfail=0
done_testing() { [ "$_tapfail" -eq 0 ]; }
