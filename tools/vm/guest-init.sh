#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-init.sh - PID 1 of the dmwatch test VM, started by the initramfs after it
# switched root into the overlay on the host's root (tools/vm/mkinitramfs.sh).
#
# It makes the guest look enough like a real host for device-mapper, LVM and BPF
# (tmpfs /run and /tmp, tracefs, debugfs, bpffs, dm and loop modules, an lvm.conf
# that works without udev), then runs the jobs the host queued in /results/jobs
# one after the other, and powers the guest off.  It never runs on the host.
#
# Protocol with the host (tools/vm/common.sh), all files in the "results" share:
#   env          shell fragment written by the host, sourced here (VM_REPO,
#                VM_TEST_TIMEOUT, pass-through DMWATCH_* variables)
#   jobs         one job a line: NAME<TAB>COMMAND (COMMAND is shell-quoted)
#   guest.log    what this script did; warnings also go to setup.warn
#   boot.dmesg   the kernel log up to the first job
#   ready        written when the guest is set up (uptime in it)
#   NAME.out     the job's stdout and stderr, written as it runs
#   NAME.dmesg   kernel messages logged while the job ran (the kernel ring buffer
#                is cleared before each job, so a job's dmesg is its own)
#   NAME.d/      files the job kept for post-mortem (VM_ARTIFACTS), if any
#   NAME.time    the job's wall time in seconds
#   NAME.left    what the job left behind (dm devices, loops), if anything
#   NAME.rc      the job's exit status; written last, so its presence = job done
#   done         written after the last job, just before power-off
#
# Being PID 1, this script must never exit early (that panics the kernel), so no
# "set -e": every step copes with its own failure and the guest always powers off.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
# C locale: error texts such as "Input/output error" are what scenarios grep for.
export LC_ALL=C
# No udev in the guest: libdevmapper creates /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1
# lvm warns about every inherited descriptor; scenarios redirect a lot.
export LVM_SUPPRESS_FD_WARNINGS=1

R=/results
: > "$R/guest.log"
: > "$R/setup.warn"

glog() {
	echo "guest: $*"
	echo "$*" >> "$R/guest.log"
}

gwarn() {
	glog "warning: $*"
	echo "$*" >> "$R/setup.warn"
}

uptime_s() {
	local up _
	read -r up _ < /proc/uptime
	echo "$up"
}

power_off() {
	sync
	# sysrq works whatever kernel.sysrq says; it is asynchronous, so wait for it.
	echo o > /proc/sysrq-trigger 2>/dev/null
	/bin/busybox poweroff -f 2>/dev/null
	local _
	for _ in $(seq 30); do
		sleep 1
	done
	# Still alive: leaving PID 1 panics and panic=-1 + -no-reboot ends QEMU.
	exit 1
}

# mnt FSTYPE TARGET [OPTIONS]: mount unless something is mounted there already.
mnt() {
	mountpoint -q "$2" && return 0
	mkdir -p "$2" 2>/dev/null
	mount -t "$1" ${3:+-o "$3"} "$1" "$2" || gwarn "cannot mount $1 on $2"
}

setup_mounts() {
	# Normally the initramfs moved a devtmpfs here already.
	mnt devtmpfs /dev mode=0755
	mnt devpts /dev/pts gid=5,mode=0620,ptmxmode=0666
	mnt tmpfs /dev/shm mode=1777,nosuid,nodev
	# The host's /run and /tmp must not show through: pid files, lvm locks and
	# scenario scratch files belong to the guest.
	mnt tmpfs /run mode=0755,nosuid,nodev
	mnt tmpfs /tmp mode=1777,nosuid,nodev
	mnt tracefs /sys/kernel/tracing
	mnt debugfs /sys/kernel/debug
	mnt bpf /sys/fs/bpf mode=0700
	# /sys/kernel/security/lockdown: what `dmwatch doctor` reports
	mnt securityfs /sys/kernel/security
	mnt cgroup2 /sys/fs/cgroup
	mkdir -p /run/lock/lvm /run/lvm /run/qemu-server /run/lock/qemu-server
}

# dm-mod first: the other targets depend on it.  The rest are loaded on demand by
# the kernel (request_module runs /sbin/modprobe of the host root).
MODULES="dm-mod dm-snapshot dm-thin-pool dm-flakey dm-multipath dm-round-robin \
dm-zero dm-delay loop"

# A kernel fetched by tools/vm/kernels.sh keeps its modules outside the host's
# /lib/modules; the overlay is writable, so link them where modprobe (and the
# kernel's request_module) look.
link_modules() {
	local arg dir='' args
	read -r -a args < /proc/cmdline
	for arg in "${args[@]}"; do
		case $arg in
		dmwatch.modules=*) dir=${arg#dmwatch.modules=} ;;
		esac
	done
	[ -n "$dir" ] && [ ! -e "/lib/modules/$(uname -r)" ] || return 0
	mkdir -p /lib/modules
	ln -s "$dir" "/lib/modules/$(uname -r)" || gwarn "cannot link $dir to /lib/modules/$(uname -r)"
}

setup_modules() {
	local m
	link_modules
	# One modprobe for all: every exec from the 9p root costs time under TCG.
	# shellcheck disable=SC2086
	modprobe -a $MODULES >> "$R/guest.log" 2>&1 && return 0
	for m in $MODULES; do
		modprobe "$m" >> "$R/guest.log" 2>&1 || gwarn "modprobe $m failed"
	done
}

setup_lvm() {
	local lvmetad=
	# use_lvmetad exists only up to LVM 2.02; 2.03 warns about it.
	case $(lvm version 2>/dev/null | sed -n 's/^ *LVM version: *//p') in
	2.02.*) lvmetad="	use_lvmetad = 0" ;;
	esac

	mkdir -p /etc/lvm
	# The host's system.devices would restrict LVM to the host's disks.
	rm -f /etc/lvm/devices/system.devices
	cat > /etc/lvm/lvm.conf <<-EOF
	# Written by tools/vm/guest-init.sh inside the test VM (overlay: the host's
	# /etc/lvm is untouched).  Everything not set here is LVM's default.
	devices {
		# No udev: LVM must find devices by scanning /dev itself.
		obtain_device_list_from_udev = 0
		external_device_info_source = "none"
		# PVs live on loop devices, or on non-LVM dm devices (flakey, error...)
		# for I/O error scenarios.  LVs are never scanned as PVs (scan_lvs).
		global_filter = [ "a|^/dev/loop[0-9]+\$|", "a|^/dev/mapper/|", "a|^/dev/dm-[0-9]+\$|", "r|.*|" ]
		scan_lvs = 0
		use_devicesfile = 0
		# Hints in /run/lvm could outlive a scenario's devices.
		hints = "none"
	}
	activation {
		# Nobody answers udev cookies here: without these, LVM waits forever.
		udev_sync = 0
		udev_rules = 0
		# No dmeventd in the guest; scenarios watch pools and snapshots themselves.
		monitoring = 0
	}
	global {
	$lvmetad
	}
	EOF
	# (Checked with lvmconfig --validate while writing this; not run at every
	# boot because starting lvm from the 9p root takes seconds on a busy host.)
}

# Best effort: undo whatever a job left, so the next one starts clean.  Records
# what was left in NAME.left so the host can point at the untidy scenario.
reset_guest() {
	local name=$1 left

	# Every process but PID 1 (us) and kernel threads: background tracers,
	# recorders, a stuck dd.  kill(-1) from PID 1 spares exactly PID 1.
	kill -KILL -1 2>/dev/null
	wait 2>/dev/null

	left=$( {
		dmsetup ls 2>/dev/null | grep -v '^No devices found' | sed 's/^/dm: /'
		losetup -a 2>/dev/null | sed 's/^/loop: /'
	} )
	[ -n "$left" ] && printf '%s\n' "$left" > "$R/$name.left"

	# Filesystems on dm or loop devices keep them open.
	awk '$1 ~ "^/dev/(mapper/|dm-|loop)" { print $2 }' /proc/mounts | sort -r |
		while read -r mp; do umount -l "$mp" 2>/dev/null; done
	dmsetup remove_all >/dev/null 2>&1
	if dmsetup ls 2>/dev/null | grep -qv '^No devices found'; then
		# Open devices: --force swaps their tables for "error" first.
		dmsetup remove_all --force >/dev/null 2>&1
	fi
	losetup -D 2>/dev/null
	find /tmp -mindepth 1 -delete 2>/dev/null
	rm -rf /etc/lvm/backup/* /etc/lvm/archive/* /run/lvm/* 2>/dev/null
	hostname "$GUEST_HOSTNAME" 2>/dev/null
}

run_job() {
	local name=$1 cmd=$2 t0 t1 rc pid

	dmesg -C 2>/dev/null
	t0=${EPOCHREALTIME//[!0-9]/}
	mkdir -p "$R/$name.d"
	# timeout makes its own process group: a job that outlives its budget is
	# killed with everything it started (-k: SIGKILL 10 s after SIGTERM).
	# VM_TEST_TIMEOUT=0 means no per-job limit.
	(
		cd "${VM_REPO:-/}" || exit 125
		export VM_SCENARIO="$name" VM_RESULTS="$R" VM_ARTIFACTS="$R/$name.d"
		exec timeout -k 10 "${VM_TEST_TIMEOUT:-0}" bash -c "$cmd"
	) < /dev/null > "$R/$name.out" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	[ "$rc" = 124 ] && echo "vm: $name killed after ${VM_TEST_TIMEOUT}s (VM_TEST_TIMEOUT)" >> "$R/$name.out"
	t1=${EPOCHREALTIME//[!0-9]/}

	dmesg > "$R/$name.dmesg" 2>/dev/null
	rmdir "$R/$name.d" 2>/dev/null
	echo $(((t1 - t0 + 500000) / 1000000)) > "$R/$name.time"
	reset_guest "$name"
	echo "$rc" > "$R/$name.rc.tmp"
	mv "$R/$name.rc.tmp" "$R/$name.rc"
	glog "job $name: exit $rc"
}

glog "started at uptime $(uptime_s)s, kernel $(uname -r)"
# shellcheck disable=SC1091 # written by the host at run time
[ -r "$R/env" ] && . "$R/env"
GUEST_HOSTNAME=${VM_HOSTNAME:-dmwatch-vm}
hostname "$GUEST_HOSTNAME"

setup_mounts
setup_modules
glog "modules loaded at uptime $(uptime_s)s"
setup_lvm
# BPF maps and programs are charged to locked memory on older kernels.
ulimit -l unlimited
ulimit -c 0
dmesg > "$R/boot.dmesg" 2>/dev/null
uptime_s > "$R/ready"
glog "ready at uptime $(uptime_s)s"

if [ -r "$R/jobs" ]; then
	while IFS=$'\t' read -r name cmd; do
		[ -n "$name" ] || continue
		glog "job $name: $cmd"
		run_job "$name" "$cmd"
	done < "$R/jobs"
else
	gwarn "no $R/jobs: nothing to run"
fi

uptime_s > "$R/done"
glog "done at uptime $(uptime_s)s, powering off"
power_off
