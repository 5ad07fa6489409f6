#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh SCRIPT [ARGS...] - boot the test VM once and run SCRIPT in it as root.
#
# SCRIPT is an absolute path or one relative to the current directory or to the
# repository root (`make demo` runs tests/vm/demo.sh).  It runs from the
# repository root, with bash unless it is executable.  Its output is streamed to
# the terminal while it runs; run.sh exits with its exit status, or 124 when the
# VM hit VM_TIMEOUT and 125 when the guest never reported a status (the tail of
# the serial console is shown then).  Environment: see tools/vm/common.sh.

set -u
# A demo runs as long as it likes within VM_TIMEOUT.
VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-0}
. "$(dirname "$0")/common.sh"

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '4,11s/^# \{0,1\}//p' "$0"
	[ $# -ge 1 ]
	exit $?
fi

script=$1
shift
if [ -f "$script" ]; then
	script=$(realpath "$script")
elif [ -f "$REPO/$script" ]; then
	script=$(realpath "$REPO/$script")
else
	vm_die "no such script: $script"
fi
vm_check_visible "$script"

vm_prepare
if [ -x "$script" ]; then
	vm_add_job run "$script" "$@"
else
	vm_add_job run bash "$script" "$@"
fi
# tail needs the file before the guest creates it.
: > "$RESULTS/run.out"

echo "vm: booting $KVER to run ${script#"$REPO"/}" >&2
rc=
vm_boot_ready >&2
case $? in
0) [ -s "$RESULTS/setup.warn" ] && vm_print_boot_info >&2 ;;
2) echo "vm: the guest was not ready after VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT}s" >&2
   vm_explain_death >&2
   vm_cleanup
   exit 125 ;;
esac
# --pid: tail stops once QEMU is gone, whatever happened to the guest. The script
# starts after "ready", so nothing of run.out comes before this.
tail -n +1 -f --pid="$QEMU_PID" "$RESULTS/run.out" &
tail_pid=$!
if vm_wait_file "$RESULTS/run.rc"; then
	rc=$(cat "$RESULTS/run.rc")
	vm_wait_exit
fi
wait "$tail_pid" 2> /dev/null

if [ -z "$rc" ]; then
	vm_explain_death >&2
	vm_reap
	[ "$QEMU_RC" = 124 ] && exit 124
	exit 125
fi
trouble=$(vm_kernel_trouble "$RESULTS/run.dmesg")
if [ -n "$trouble" ]; then
	echo "vm: warning: the kernel complained (full log in $RESULTS/run.dmesg):" >&2
	printf '%s\n' "$trouble" | head -n 5 | sed 's/^/    kernel| /' >&2
fi
echo "vm: exit status $rc after $(vm_secs "$VM_T0")s" >&2
exit "$rc"
