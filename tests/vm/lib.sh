# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - helpers for the VM scenarios tests/vm/test_*.sh.  Source it first:
#
#	. "$(dirname "$0")/lib.sh"
#
# Scenarios run as root inside the test VM (tools/vm/run-tests.sh), one bash
# process each, from the repository root.  Sourcing this file:
#   - turns on "set -euo pipefail": any failing command fails the scenario and
#     the ERR trap says which line.  For a command that must fail, use
#     expect_fail (a plain "! cmd" does NOT fail the scenario under set -e);
#   - installs an EXIT trap that runs cleanup_dm, so a scenario removes what it
#     made whether it passes or dies half way.
#
# The device helpers (mkloop, dm_create, mkvg) record what they make; cleanup_dm
# also removes any dm device that appeared after the scenario started, so one
# made with plain dmsetup or lvcreate is cleaned up as well.
#
# Variables: REPO (repository root), DMWATCH (its ./dmwatch binary), DM_MAJOR
# (device-mapper's block major, read from /proc/devices once dm-mod is loaded),
# VM_ARTIFACTS (a directory in the results share: files kept for post-mortem).
# Exit 77 (skip MSG) reports the scenario as SKIP.
#
# Helpers: log die skip, assert_eq assert_ne assert_match assert_contains
# assert_not_contains expect_fail, wait_until wait_for_line (bounded polls),
# mkloop dm_create mkvg sectors, on_cleanup pve_init keep, cleanup_dm.

set -euo pipefail
# Also inside $(...), where bash drops -e by default: dev=$(mkloop 64) must fail
# the scenario when losetup fails.
shopt -s inherit_errexit

# For the scenarios that source this file.
# shellcheck disable=SC2034
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034
DMWATCH=${DMWATCH_BIN:-$REPO/dmwatch}
# shellcheck disable=SC2034
SCENARIO=${VM_SCENARIO:-$(basename "$0" .sh)}
VM_ARTIFACTS=${VM_ARTIFACTS:-}
# shellcheck disable=SC2034
DM_MAJOR=$(awk '$2 == "device-mapper" { print $1 }' /proc/devices)

# Private bookkeeping, one file per kind: mkloop runs in $(...) subshells, so
# shell variables would be lost.
LIB_STATE=$(mktemp -d /tmp/vmtest-state.XXXXXX)
: > "$LIB_STATE/loops"
: > "$LIB_STATE/files"
: > "$LIB_STATE/vgs"
: > "$LIB_STATE/dms"
: > "$LIB_STATE/cleanups"
dmsetup ls 2> /dev/null | awk '$1 != "No" { print $1 }' > "$LIB_STATE/dm-before"
LIB_T0=${EPOCHREALTIME//[!0-9]/}

# --- messages -------------------------------------------------------------------

# log MSG: progress line, with seconds since the scenario started.
log() {
	local now=${EPOCHREALTIME//[!0-9]/}
	local d=$(((now - LIB_T0) / 100000))
	printf '[%d.%ds] %s\n' $((d / 10)) $((d % 10)) "$*" >&2
}

die() {
	echo "FAIL: $*" >&2
	# Where die was called from, past the assert helpers.
	local i
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		case ${FUNCNAME[$i]} in
		assert_* | expect_* | wait_* | die) continue ;;
		esac
		echo "  at ${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]} (${FUNCNAME[$i]})" >&2
		break
	done
	exit 1
}

# skip MSG: the scenario cannot run here (run-tests.sh shows MSG).
skip() {
	echo "skipped: $*" >&2
	exit 77
}

lib_on_err() {
	local rc=$? line=$1 cmd=$2
	echo "FAIL: command failed (exit $rc) at ${BASH_SOURCE[1]##*/}:$line: $cmd" >&2
}
# -E: also in functions and subshells.
set -E
trap 'lib_on_err "$LINENO" "$BASH_COMMAND"' ERR

# --- assertions -----------------------------------------------------------------

# assert_eq A B [WHAT]: the two strings are equal.  The message does not say
# which one was expected: scenarios use both orders.
assert_eq() {
	[ "$1" = "$2" ] || die "${3:-values differ}: '$1' != '$2'"
}

# assert_ne GOT UNWANTED [WHAT]
assert_ne() {
	[ "$1" != "$2" ] || die "${3:-value}: got '$1', which it must not be"
}

# assert_contains FILE PATTERN: FILE has a line matching the extended regex.
assert_contains() {
	[ -f "$1" ] || die "assert_contains: no file $1"
	grep -Eq -- "$2" "$1" && return 0
	echo "--- $1 (first 60 lines) ---" >&2
	head -n 60 "$1" >&2
	die "$1 has no line matching /$2/"
}

# assert_not_contains FILE PATTERN
assert_not_contains() {
	[ -f "$1" ] || die "assert_not_contains: no file $1"
	grep -Eq -- "$2" "$1" || return 0
	echo "--- $1: matching lines ---" >&2
	grep -E -- "$2" "$1" | head -n 20 >&2
	die "$1 has a line matching /$2/"
}

# assert_match STRING PATTERN: STRING matches the extended regex.
assert_match() {
	[[ $1 =~ $2 ]] || die "'$1' does not match /$2/"
}

# expect_fail CMD [ARGS...]: CMD must exit non-zero; its output goes to stderr.
# The exit status is left in EXPECT_RC.
expect_fail() {
	EXPECT_RC=0
	"$@" >&2 || EXPECT_RC=$?
	[ "$EXPECT_RC" -ne 0 ] || die "expected to fail but succeeded: $*"
}

# --- waiting (bounded polls, never fixed sleeps) -----------------------------------

# wait_until TIMEOUT CMD [ARGS...]: poll CMD every 0.2 s until it succeeds.
# Returns 1 after TIMEOUT seconds.
wait_until() {
	local limit=$1 t0
	shift
	t0=${EPOCHREALTIME//[!0-9]/}
	until "$@" > /dev/null 2>&1; do
		if [ $((${EPOCHREALTIME//[!0-9]/} - t0)) -ge $((limit * 1000000)) ]; then
			echo "wait_until: still failing after ${limit}s: $*" >&2
			return 1
		fi
		sleep 0.2
	done
}

# wait_for_line FILE PATTERN TIMEOUT: poll until FILE has a line matching the
# extended regex (a tracer's "ready" line, an event).  Returns 1 after TIMEOUT
# seconds, showing the end of FILE.
wait_for_line() {
	local file=$1 pattern=$2 limit=${3:-30}
	if wait_until "$limit" grep -Eq -- "$pattern" "$file"; then
		return 0
	fi
	echo "wait_for_line: no line matching /$pattern/ in $file after ${limit}s; it ends with:" >&2
	tail -n 20 "$file" >&2 2> /dev/null || echo "  (no such file)" >&2
	return 1
}

# --- devices --------------------------------------------------------------------

# mkloop SIZE_MB: sparse backing file under /tmp attached to a free loop device;
# prints the device (dev=$(mkloop 64)).
mkloop() {
	local f dev
	f=$(mktemp "/tmp/vmtest-loop.XXXXXX")
	echo "$f" >> "$LIB_STATE/files"
	truncate -s "${1}M" "$f"
	dev=$(losetup -f --show "$f")
	echo "$dev" >> "$LIB_STATE/loops"
	echo "$dev"
}

# dm_create NAME TABLE [DMSETUP OPTIONS...]: dmsetup create, recorded for cleanup.
dm_create() {
	local name=$1 table=$2
	shift 2
	echo "$name" >> "$LIB_STATE/dms"
	dmsetup create "$name" "$@" --table "$table"
}

# mkvg VG DEVICE...: pvcreate + vgcreate, recorded for cleanup.
mkvg() {
	local vg=$1
	shift
	echo "$vg" >> "$LIB_STATE/vgs"
	pvcreate -qq -y "$@" > /dev/null
	vgcreate -qq "$vg" "$@" > /dev/null
}

# sectors DEV: size of a block device in 512-byte sectors.
sectors() {
	blockdev --getsz "$1"
}

# on_cleanup CMD...: run CMD (as one eval'd string) at cleanup, last added first.
on_cleanup() {
	echo "$*" >> "$LIB_STATE/cleanups"
}

# start_tracer OUT ERR ARGS...: `dmwatch trace ARGS` in the background, stdout to
# OUT, stderr to ERR, its pid in $tpid, killed at cleanup; returns once it says
# "Hit Ctrl-C to end" (attached), dies if it exits before.
start_tracer() {
	local out=$1 err=$2
	shift 2
	"$DMWATCH" trace "$@" > "$out" 2> "$err" &
	tpid=$!
	on_cleanup "kill $tpid 2>/dev/null; wait $tpid 2>/dev/null"
	wait_until 180 sh -c "grep -q 'Hit Ctrl-C to end' $err || ! kill -0 $tpid" ||
		die "tracer never became ready"
	kill -0 "$tpid" || { cat "$err" >&2; die "tracer exited before it was ready"; }
}

# kernel_rq_hook: the request tracepoint dmwatch must use on this kernel, read
# from the kernel's own BTF (not from dmwatch): block_rq_error where it exists
# (5.18+), else block_rq_complete.
kernel_rq_hook() {
	# grep -c reads to the end: grep -q would leave bpftool a broken pipe (pipefail)
	if [ "$(bpftool btf dump file /sys/kernel/btf/vmlinux | grep -c "'btf_trace_block_rq_error'")" != 0 ]; then
		echo block_rq_error
	else
		echo block_rq_complete
	fi
}

# kernel_bio_hook: where dmwatch must take bio errors from on this kernel, read
# from the kernel itself (not from dmwatch): dm core's dm_io_set_error where
# dm_mod's BTF has it and ftrace lists it once (fentry needs both; Debian's 6.1
# and 6.12), else block_bio_complete (5.10 has no such function, 7.x inlines it).
kernel_bio_hook() {
	if [ -e /sys/kernel/btf/dm_mod ] &&
	   [ "$(bpftool btf dump file /sys/kernel/btf/dm_mod | grep -c "FUNC 'dm_io_set_error'")" != 0 ] &&
	   [ "$(grep -c '^dm_io_set_error ' /sys/kernel/tracing/available_filter_functions)" = 1 ]; then
		echo dm_io_set_error
	else
		echo block_bio_complete
	fi
}

# bpf_runs NAME: "PROGRAMS RUNS": how many BPF programs whose name starts with
# NAME are loaded (the kernel keeps 15 characters of a name, so the prefix), and
# their summed run_cnt (counted only while kernel.bpf_stats_enabled=1).
bpf_runs() {
	bpftool prog show --json | python3 -c '
import json, sys
progs = [p for p in json.load(sys.stdin) if p.get("name", "").startswith(sys.argv[1][:15])]
print(len(progs), sum(p.get("run_cnt", 0) for p in progs))' "$1"
}

# pve_init [NODE]: an empty fake /etc/pve for NODE (default: the host name), laid
# out like pmxcfs (qemu-server, lxc and local point into nodes/NODE).  The guest's
# /etc is an overlay: this never touches the host's /etc/pve.  Removed at cleanup.
pve_init() {
	local node=${1:-$(hostname)}
	rm -rf /etc/pve
	mkdir -p "/etc/pve/nodes/$node/qemu-server" "/etc/pve/nodes/$node/lxc"
	ln -s "nodes/$node" /etc/pve/local
	ln -s "nodes/$node/qemu-server" /etc/pve/qemu-server
	ln -s "nodes/$node/lxc" /etc/pve/lxc
	: > /etc/pve/storage.cfg
	on_cleanup "rm -rf /etc/pve"
}

# keep FILE...: copy files into the results share for post-mortem.
keep() {
	[ -n "$VM_ARTIFACTS" ] || return 0
	mkdir -p "$VM_ARTIFACTS"
	cp -r -- "$@" "$VM_ARTIFACTS/" 2> /dev/null || true
}

# dm devices that exist now but did not when the scenario started.
lib_new_dms() {
	dmsetup ls 2> /dev/null | awk '$1 != "No" { print $1 }' |
		grep -vxF -f "$LIB_STATE/dm-before" || true
}

# cleanup_dm: undo everything the scenario made.  Runs from the EXIT trap; safe to
# call more than once.  Best effort throughout: it must get as far as it can.
cleanup_dm() {
	local c dev vg name left _
	set +e
	trap - ERR

	# Background jobs first: a tracer or a dd keeps devices open.
	for c in $(jobs -p); do
		kill "$c" 2> /dev/null
	done
	wait 2> /dev/null

	if [ -s "$LIB_STATE/cleanups" ]; then
		tac "$LIB_STATE/cleanups" | while read -r c; do
			eval "$c"
		done
		: > "$LIB_STATE/cleanups"
	fi

	# Mounts of dm and loop devices hold them open.
	awk '$1 ~ "^/dev/(mapper/|dm-|loop)" { print $2 }' /proc/mounts | sort -r |
		while read -r c; do umount "$c" 2> /dev/null || umount -l "$c"; done

	while read -r vg; do
		[ -n "$vg" ] || continue
		vgchange -an -qq "$vg" > /dev/null 2>&1
		vgremove -ff -y -qq "$vg" > /dev/null 2>&1
	done < "$LIB_STATE/vgs"

	# Devices stack (thin on pool, snapshot on -real/-cow): remove what can be
	# removed, then again, until nothing is left or nothing moves.
	for _ in 1 2 3 4 5 6; do
		left=$(lib_new_dms)
		[ -n "$left" ] || break
		for name in $left; do
			dmsetup remove "$name" > /dev/null 2>&1
		done
	done
	left=$(lib_new_dms)
	if [ -n "$left" ]; then
		for name in $left; do
			dmsetup remove --force "$name" > /dev/null 2>&1
		done
	fi

	# Without udev LVM makes /dev/VG itself; a VG that went away with its loop
	# device (vgremove refused: a device was stacked on it) leaves it behind, and
	# the next scenario's vgcreate of the same name would fail.
	while read -r vg; do
		[ -n "$vg" ] && rm -rf "/dev/${vg:?}"
	done < "$LIB_STATE/vgs"

	while read -r dev; do
		[ -n "$dev" ] && losetup -d "$dev" 2> /dev/null
	done < "$LIB_STATE/loops"
	: > "$LIB_STATE/loops"
	while read -r c; do
		[ -n "$c" ] && rm -f "$c"
	done < "$LIB_STATE/files"
	: > "$LIB_STATE/files"
	: > "$LIB_STATE/vgs"

	left=$(lib_new_dms)
	if [ -n "$left" ]; then
		echo "cleanup: could not remove dm devices: $(tr '\n' ' ' <<< "$left")" >&2
		return 1
	fi
	return 0
}

lib_on_exit() {
	local rc=$?
	cleanup_dm || { [ "$rc" -ne 0 ] || rc=1; }
	rm -rf "$LIB_STATE"
	exit "$rc"
}
trap lib_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
