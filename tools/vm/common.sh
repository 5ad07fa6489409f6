# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# common.sh - host side of the dmwatch test VM, sourced by run.sh and run-tests.sh.
#
# One boot runs a list of jobs.  The host writes the list and the environment into
# the results directory, which the guest mounts writable over 9p at /results;
# tools/vm/guest-init.sh (PID 1 in the guest) runs the jobs and writes each one's
# output and exit status back there (the file layout is described at the top of
# guest-init.sh).  The host only ever polls for files, with a deadline, and QEMU
# runs under timeout(1): a panic, a hang or a guest that never reports ends in a
# clear failure, never in a CI timeout.
#
# Environment (all optional):
#   VM_TIMEOUT        whole-run limit in seconds, QEMU is killed after it (1500;
#                     run-tests.sh: at least 300 s + 300 s per scenario)
#   VM_BOOT_TIMEOUT   limit for the guest to come up and report ready (300)
#   VM_TEST_TIMEOUT   limit per job inside the guest, 0 = none (600; run.sh: 0)
#   VM_OUT            output directory (<repo>/.output/vm): initramfs, console.log,
#                     qemu.log, results/
#   VM_KERNEL         kernel: a suite (bullseye bookworm trixie sid), a version
#                     prefix (5.10 6.1 6.12 7) or an image path (default bookworm,
#                     the machine's own; others come from tools/vm/kernels.sh fetch)
#   VM_MEM, VM_SMP    guest memory in MiB (2048) and CPUs (2)
#   VM_QEMU           QEMU binary (qemu-system-x86_64)
#   VM_TCG_THREAD     multi (one host thread per CPU, the default) or single
#                     (all CPUs on one thread: slower, but code one CPU patches
#                     is seen at once by the other; docs/kernel.md says why)
#   VM_APPEND         extra kernel command line
#   VM_HOSTNAME       guest host name (dmwatch-vm)
#   VM_CONSOLE_LINES  console lines shown when the guest fails to report (40)
#   DMWATCH_*         passed through to the guest jobs

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)
VM_OUT=${VM_OUT:-$REPO/.output/vm}
VM_TIMEOUT=${VM_TIMEOUT:-1500}
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-300}
VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-600}
VM_MEM=${VM_MEM:-2048}
VM_SMP=${VM_SMP:-2}
VM_QEMU=${VM_QEMU:-qemu-system-x86_64}
VM_TCG_THREAD=${VM_TCG_THREAD:-multi}
RESULTS=$VM_OUT/results
CONSOLE=$VM_OUT/console.log
QEMU_PID=
QEMU_RC=

vm_die() {
	echo "vm: error: $*" >&2
	exit 2
}

# Microseconds since the epoch (EPOCHREALTIME's separator follows the locale).
vm_now_us() {
	echo "${EPOCHREALTIME//[!0-9]/}"
}

# vm_secs T0_US [T1_US]: seconds between two vm_now_us stamps, one decimal.
vm_secs() {
	local t1=${2:-$(vm_now_us)}
	local d=$(((t1 - $1 + 50000) / 100000))
	echo "$((d / 10)).$((d % 10))"
}

# The guest mounts its own /tmp, /run, /proc, /sys and /dev over the host's:
# anything it must run has to live elsewhere.
vm_check_visible() {
	case $1/ in
	/tmp/* | /run/* | /proc/* | /sys/* | /dev/* | /var/run/*)
		vm_die "$1 is under a directory the guest replaces with its own (/tmp /run /proc /sys /dev); move it elsewhere" ;;
	esac
}

# VM_KERNEL names the kernel: a suite of the matrix (bullseye bookworm trixie
# sid), a version prefix (5.10, 6.12, 7) or an image path; kernels.sh resolves it
# to the image and its modules directory.  Sets KERNEL, KVER, VM_MODDIR.
vm_pick_kernel() {
	local r
	r=$("$VM_DIR/kernels.sh" resolve "${VM_KERNEL:-bookworm}") || vm_die "no kernel '${VM_KERNEL:-bookworm}'"
	KERNEL=${r%% *}
	VM_MODDIR=${r#* }
	KVER=${VM_MODDIR##*/}
	[ -r "$KERNEL" ] || vm_die "cannot read kernel $KERNEL"
	[ -f "$VM_MODDIR/modules.dep" ] || vm_die "no $VM_MODDIR/modules.dep for $KERNEL"
	vm_check_visible "$VM_MODDIR"
	case $VM_MODDIR in
	*[[:space:]]*) vm_die "the modules path '$VM_MODDIR' contains white space (it goes on the kernel command line)" ;;
	esac
	export VM_KERNEL=$KERNEL VM_MODDIR
}

# Everything before the boot: tools, kernel, initramfs, lock, a fresh results dir.
vm_prepare() {
	local t
	for t in "$VM_QEMU" timeout flock; do
		command -v "$t" > /dev/null || vm_die "$t not found; run 'make deps'"
	done
	vm_check_visible "$REPO"
	case $REPO in
	*[[:space:]]*) vm_die "the repository path '$REPO' contains white space (it goes on the kernel command line)" ;;
	esac
	vm_pick_kernel
	mkdir -p "$VM_OUT" || vm_die "cannot create $VM_OUT"
	INITRD=$VM_OUT/initramfs-$KVER.cpio.gz

	# One VM per output directory: the results share would be shared otherwise.
	exec 9> "$VM_OUT/lock"
	flock -n 9 || vm_die "another VM run holds $VM_OUT/lock (set VM_OUT to run in parallel)"

	"$VM_DIR/mkinitramfs.sh" "$INITRD" || vm_die "building the initramfs failed"

	rm -rf "$RESULTS"
	mkdir -p "$RESULTS" || vm_die "cannot create $RESULTS"
	: > "$CONSOLE"
	: > "$RESULTS/jobs"
	# The guest runs a copy of ./dmwatch: relinking it on the host while the
	# tests run would swap the binary under running processes.
	if [ -x "$REPO/dmwatch" ]; then
		cp "$REPO/dmwatch" "$VM_OUT/dmwatch" || vm_die "cannot copy ./dmwatch"
	fi
	{
		printf 'export VM_REPO=%q\n' "$REPO"
		[ -x "$VM_OUT/dmwatch" ] && printf 'export DMWATCH_BIN=%q\n' "$VM_OUT/dmwatch"
		printf 'export VM_TEST_TIMEOUT=%q\n' "$VM_TEST_TIMEOUT"
		[ -n "${VM_HOSTNAME:-}" ] && printf 'VM_HOSTNAME=%q\n' "$VM_HOSTNAME"
		for t in $(compgen -e); do
			case $t in
			DMWATCH_*) printf 'export %s=%q\n' "$t" "${!t}" ;;
			esac
		done
	} > "$RESULTS/env"
}

# vm_add_job NAME COMMAND [ARGS...]: queue a job; the guest runs it from the repo
# root with bash -c, so the command line is quoted here once.
vm_add_job() {
	local name=$1
	shift
	printf '%s\t%s\n' "$name" "$(printf '%q ' "$@")" >> "$RESULTS/jobs"
}

vm_cleanup() {
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2> /dev/null; then
		# timeout(1) passes SIGTERM on to QEMU.
		kill -TERM "$QEMU_PID" 2> /dev/null
		wait "$QEMU_PID" 2> /dev/null
	fi
}

# Start QEMU in the background under timeout(1).  Sets QEMU_PID, VM_T0.
vm_boot() {
	# QEMU option values escape ',' as ',,'.
	local root_dir=/ res_dir=${RESULTS//,/,,}
	# no_timer_check: on a busy host TCG is too slow for the IO-APIC timer check,
	# and 6.12 panicked in it ("IO-APIC + timer doesn't work"); VM images skip it.
	local append="console=ttyS0 panic=-1 rdinit=/init quiet nowatchdog no_timer_check"
	append+=" dmwatch.init=$VM_DIR/guest-init.sh ${VM_APPEND:-}"
	# A fetched kernel's modules are not in the host's /lib/modules: the guest links them.
	[ "$VM_MODDIR" = "/lib/modules/$KVER" ] || append+=" dmwatch.modules=$VM_MODDIR"

	trap vm_cleanup EXIT
	trap 'echo "vm: interrupted, stopping QEMU" >&2; exit 130' INT
	trap 'echo "vm: terminated, stopping QEMU" >&2; exit 143' TERM
	VM_T0=$(vm_now_us)
	timeout -k 10 "$VM_TIMEOUT" "$VM_QEMU" \
		-accel tcg,thread="$VM_TCG_THREAD" -cpu max -smp "$VM_SMP" -m "$VM_MEM" \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$CONSOLE" \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$append" \
		-fsdev "local,id=hostroot,path=$root_dir,security_model=none,readonly=on,multidevs=remap" \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev "local,id=results,path=$res_dir,security_model=none" \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		< /dev/null > "$VM_OUT/qemu.log" 2>&1 &
	QEMU_PID=$!
}

# vm_boot_ready: vm_boot, then wait for the guest's "ready"; returns as vm_wait_file.
# A kernel panic before "ready" comes before anything of ours ran in the guest
# (7.2 under multi-threaded TCG now and then trips over an int3 of its own boot-time
# text patching, "Oops: int3" in a timer interrupt): its console is kept and the
# guest boots once more. A panic after "ready" is never retried.
vm_boot_ready() {
	local rc
	vm_boot
	vm_wait_file "$RESULTS/ready" "$VM_BOOT_TIMEOUT"
	rc=$?
	if [ "$rc" = 1 ] && grep -q 'Kernel panic' "$CONSOLE"; then
		cp "$CONSOLE" "$VM_OUT/console-boot-panic.log"
		echo "vm: the guest kernel panicked while booting, before anything of ours ran" \
			"($(grep -m 1 -o 'RIP: [^ ]*' "$CONSOLE" || echo 'no RIP line'); console kept in" \
			"$VM_OUT/console-boot-panic.log): booting once more"
		QEMU_RC=
		vm_boot
		vm_wait_file "$RESULTS/ready" "$VM_BOOT_TIMEOUT"
		rc=$?
	fi
	return "$rc"
}

vm_running() {
	kill -0 "$QEMU_PID" 2> /dev/null
}

# Collect QEMU's exit status once it is gone (124 = killed by VM_TIMEOUT).
vm_reap() {
	if [ -z "$QEMU_RC" ]; then
		wait "$QEMU_PID" 2> /dev/null
		QEMU_RC=$?
	fi
}

# vm_wait_file FILE [SECONDS]: poll until FILE exists.  Returns 0 when it does,
# 1 when QEMU is gone without it, 2 when SECONDS passed first.
vm_wait_file() {
	local file=$1 limit=${2:-0} t0
	t0=$(vm_now_us)
	while :; do
		[ -e "$file" ] && return 0
		if ! vm_running; then
			# The guest may have written it just before it went away.
			[ -e "$file" ] && return 0
			vm_reap
			return 1
		fi
		if [ "$limit" -gt 0 ] && [ $(($(vm_now_us) - t0)) -ge $((limit * 1000000)) ]; then
			return 2
		fi
		sleep 0.2
	done
}

# After the guest said "done" it powers itself off; give it a minute, then stop it.
vm_wait_exit() {
	local _
	for _ in $(seq 300); do
		vm_running || break
		sleep 0.2
	done
	vm_running && kill -TERM "$QEMU_PID" 2> /dev/null
	vm_reap
}

# Why the guest stopped talking, for the user: timeout, QEMU's own errors, console.
vm_explain_death() {
	vm_running || vm_reap
	if vm_running; then
		echo "vm: the guest is still running but did not report in time"
	elif [ "$QEMU_RC" = 124 ] || [ "$QEMU_RC" = 137 ]; then
		echo "vm: QEMU killed after VM_TIMEOUT=${VM_TIMEOUT}s"
	elif grep -q 'Kernel panic' "$CONSOLE"; then
		# panic=-1 reboots at once and -no-reboot turns that into QEMU's exit.
		echo "vm: the guest kernel panicked"
	else
		echo "vm: QEMU exited with status $QEMU_RC"
	fi
	if [ -s "$VM_OUT/qemu.log" ]; then
		echo "vm: QEMU said:"
		tail -n 20 "$VM_OUT/qemu.log" | sed 's/^/    qemu| /'
	fi
	echo "vm: last lines of the serial console ($CONSOLE):"
	tail -n "${VM_CONSOLE_LINES:-40}" "$CONSOLE" | tr -d '\r' | sed 's/^/    console| /'
}

# Kernel messages that mean the kernel itself went wrong during a job.
vm_kernel_trouble() {
	[ -f "$1" ] || return 1
	grep -E 'Oops|BUG:|kernel BUG|general protection fault|WARNING: CPU:|Kernel panic|Unable to handle kernel' "$1"
}

vm_print_boot_info() {
	local up
	up=$(cat "$RESULTS/ready" 2> /dev/null)
	echo "vm: guest ready after $(vm_secs "$VM_T0")s (kernel $KVER, guest uptime ${up}s)"
	if [ -s "$RESULTS/setup.warn" ]; then
		echo "vm: guest setup warnings (see $RESULTS/guest.log):"
		sed 's/^/    /' "$RESULTS/setup.warn"
	fi
}
