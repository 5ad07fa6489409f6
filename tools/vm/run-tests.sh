#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh [PATTERN] - run the VM scenarios tests/vm/test_*.sh (`make check-vm`).
#
# Boots ONE guest (Debian's kernel under QEMU TCG, host root read-only over 9p,
# see tools/vm/common.sh) and runs every scenario, or those whose name (file name
# without .sh) matches the extended regex PATTERN, one after the other in that
# boot.  Booting once matters: under TCG a boot plus BPF loading costs tens of
# seconds.  Each scenario runs as its own bash process; between scenarios the
# guest kills leftover processes and removes leftover dm devices and loops.
#
# Prints "PASS name (Ns)" or "FAIL name (Ns)" plus the scenario's output per
# scenario (a scenario exiting 77 is "SKIP"), then "vm: N passed, N failed".
# Exits 0 when all passed, 1 when any failed or the guest died, 2 when it
# could not start.  Environment: see tools/vm/common.sh (VM_TIMEOUT ...).

set -u
given_vm_timeout=${VM_TIMEOUT:-}
. "$(dirname "$0")/common.sh"

# Output longer than this is cut to its tail on failure; the full text stays in
# the results directory.
MAX_LINES=${VM_MAX_LINES:-300}

case ${1:-} in
-h | --help)
	sed -n '4,17s/^# \{0,1\}//p' "$0"
	exit 0 ;;
esac
pattern=${1:-}

names=()
for f in "$REPO"/tests/vm/test_*.sh; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .sh)
	[ -n "$pattern" ] && ! [[ $name =~ $pattern ]] && continue
	names+=("$name")
done
[ ${#names[@]} -gt 0 ] || vm_die "no scenario tests/vm/test_*.sh matches '${pattern}'"
# The whole run's limit grows with the scenarios (each is also bounded by
# VM_TEST_TIMEOUT): a busy host takes several minutes for one under TCG.
if [ -z "$given_vm_timeout" ] && [ $((300 + 300 * ${#names[@]})) -gt "$VM_TIMEOUT" ]; then
	VM_TIMEOUT=$((300 + 300 * ${#names[@]}))
fi

vm_prepare
for name in "${names[@]}"; do
	vm_add_job "$name" bash "$REPO/tests/vm/$name.sh"
done

passed=0
failed=0
skipped=0

show_output() {
	local out=$RESULTS/$1.out n
	[ -s "$out" ] || { echo "    (no output)"; return; }
	n=$(wc -l < "$out")
	if [ "$n" -gt "$MAX_LINES" ]; then
		echo "    ... $((n - MAX_LINES)) lines cut, full output in $out"
	fi
	tail -n "$MAX_LINES" "$out" | sed 's/^/    /'
}

show_kernel_log() {
	local log=$RESULTS/$1.dmesg
	[ -s "$log" ] || return 0
	echo "    --- kernel log during $1 (last 25 lines of $log) ---"
	tail -n 25 "$log" | sed 's/^/    /'
}

# report NAME: read what the guest wrote about scenario NAME and print the verdict.
report() {
	local name=$1 rc secs trouble
	rc=$(cat "$RESULTS/$name.rc")
	secs=$(cat "$RESULTS/$name.time" 2> /dev/null || echo "?")
	trouble=$(vm_kernel_trouble "$RESULTS/$name.dmesg")
	if [ "$rc" = 0 ] && [ -z "$trouble" ]; then
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
	elif [ "$rc" = 77 ] && [ -z "$trouble" ]; then
		echo "SKIP $name (${secs}s): $(sed -n "s/^skipped: //p" "$RESULTS/$name.out" 2> /dev/null | tail -n 1)"
		skipped=$((skipped + 1))
	else
		echo "FAIL $name (${secs}s)"
		failed=$((failed + 1))
		[ -n "$trouble" ] && echo "    the kernel complained during $name:" &&
			printf '%s\n' "$trouble" | head -n 5 | sed 's/^/    kernel| /'
		[ "$rc" != 0 ] && echo "    exit status $rc"
		show_output "$name"
		show_kernel_log "$name"
	fi
	if [ -s "$RESULTS/$name.left" ]; then
		echo "    note: $name left these behind (removed by the runner):"
		sed 's/^/        /' "$RESULTS/$name.left"
	fi
}

echo "vm: ${#names[@]} scenario(s), kernel $KVER, VM_TIMEOUT=${VM_TIMEOUT}s"
dead=
vm_boot_ready
case $? in
0) vm_print_boot_info ;;
1) dead="the guest died before it was ready" ;;
2) dead="the guest was not ready after VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT}s" ;;
esac

for name in "${names[@]}"; do
	if [ -n "$dead" ]; then
		echo "FAIL $name (0s): not run, $dead"
		failed=$((failed + 1))
		continue
	fi
	t0=$(vm_now_us)
	if vm_wait_file "$RESULTS/$name.rc"; then
		report "$name"
		continue
	fi
	# QEMU went away (panic, VM_TIMEOUT) while this scenario ran.
	secs=$(vm_secs "$t0")
	echo "FAIL $name (${secs%.*}s): the guest stopped while it ran"
	failed=$((failed + 1))
	show_output "$name"
	dead="the guest stopped during an earlier scenario"
	vm_explain_death
done

if [ -n "$dead" ]; then
	case $dead in
	*earlier*) ;;
	*) vm_explain_death ;;
	esac
	vm_cleanup
else
	vm_wait_file "$RESULTS/done" 60 ||
		echo "vm: warning: the guest did not say it was done"
	vm_wait_exit
fi

echo "vm: total $(vm_secs "$VM_T0")s, results in $RESULTS"
[ "$skipped" -gt 0 ] && echo "vm: $skipped skipped"
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
