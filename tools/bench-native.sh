#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The tracer's cost per I/O on the machine's own kernel (BPF JIT-compiled, not
# emulated): 4 KiB random direct reads with fio, as fast as the device goes, on
#   - a zram device (bio-based: every completion runs block_bio_complete), and
#   - a loop device over a tmpfs file (request-based: dmwatch attaches
#     block_rq_error where the kernel has it (5.18+), which runs nothing for a
#     successful request, else block_rq_complete),
# in five arms: no tracer / `dmwatch trace` / `dmwatch trace --uevents` / the same
# filter as a bpftrace one-liner (block_bio_complete and block_rq_complete, errors
# only, the same fields printed: the tracepoints such a one-liner is written on) /
# an empty program on the block completion tracepoints (tools/bpf-floor.c: what
# any attached program pays, whatever it does). `--uevents` is dmwatch's I/O path
# alone: on a kernel without kprobes (this one) dmwatch takes the dm lifecycle from
# the ioctl syscall tracepoints, and those send every system call of the machine
# (fio's reads too) through the kernel's traced syscall path; where kprobes work
# (Proxmox's kernels) the lifecycle programs run only on dm's own ioctls, so
# there dmwatch costs an I/O what the --uevents arm does. Runs are
# interleaved in rounds whose arm order rotates, so drift in the machine's load
# hits every arm alike; each tracer arm is compared with the no-tracer run of its
# own round, by fio's own CPU time per I/O (everything the kernel does for the
# tracer on that I/O's path: the program, the tracepoint's dispatch, bpftrace's
# trace record, the traced syscall path). fio's CPU figure is too coarse on a shared
# host for tens of ns, so on zram the same arms run again under tools/ioloop, which
# times its own CPU per read in short blocks and keeps the low ones. Then runs with
# kernel.bpf_stats_enabled=1 give the ns per run of the per-I/O BPF program alone
# (stats off during the timed runs: they cost two clock reads per run themselves).
#
# Usage: tools/bench-native.sh DMWATCH > table.md   (root; fio, bpftrace, bpftool;
# NATIVE_FLOOR the bpf-floor tool, default .output/tools/bpf-floor; NATIVE_IOLOOP
# tools/ioloop.c, default .output/tools/ioloop)
# Environment: NATIVE_ROUNDS (default 12), NATIVE_SECONDS per run (default 3),
# NATIVE_FINE_ROUNDS rounds of the fine-grained zram measure (default 24),
# NATIVE_STATS_RUNS bpf_stats runs per arm (default 2), NATIVE_CPU the CPU fio is
# pinned to (default the last one), NATIVE_RAW a directory to keep the raw figures in
# (runs.txt, fine.txt, stats.txt). The table is made by tools/bench-native-table.py.
# Devices made here (a zram device, a loop device over /dev/shm) are removed at exit.
set -eu

dmwatch=${1:?usage: bench-native.sh DMWATCH}
rounds=${NATIVE_ROUNDS:-12}
fine_rounds=${NATIVE_FINE_ROUNDS:-24}
stats_runs=${NATIVE_STATS_RUNS:-2}
secs=${NATIVE_SECONDS:-3}
cpu=${NATIVE_CPU:-$(($(nproc) - 1))}
floor=${NATIVE_FLOOR:-$(dirname "$0")/../.output/tools/bpf-floor}
ioloop=${NATIVE_IOLOOP:-$(dirname "$0")/../.output/tools/ioloop}
work=$(mktemp -d /tmp/dmwatch-bench-native.XXXXXX)
raw=$work/runs.txt
fine=$work/fine.txt
zram=""
zram_added=""
loopdev=""
loopfile=""
tracefs_mounted=""
stats_was=""
tracer_pid=""

die() {
	echo "bench-native: $*" >&2
	exit 3
}

cleanup() {
	[ -z "$tracer_pid" ] || { kill -INT "$tracer_pid" 2>/dev/null; wait "$tracer_pid" 2>/dev/null || :; }
	[ -z "$stats_was" ] || sysctl -q -w kernel.bpf_stats_enabled="$stats_was" || :
	[ -z "$loopdev" ] || losetup -d "$loopdev" || :
	[ -z "$loopfile" ] || rm -f "$loopfile"
	if [ -n "$zram" ]; then
		echo 1 > "/sys/block/$zram/reset" || :
		[ -z "$zram_added" ] || echo "${zram#zram}" > /sys/class/zram-control/hot_remove || :
	fi
	[ -z "$tracefs_mounted" ] || umount /sys/kernel/tracing || :
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 3' INT TERM

[ "$(id -u)" = 0 ] || die "needs root"
for tool in fio bpftrace bpftool taskset losetup python3; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (tools/deps.sh installs it)"
done
[ -x "$dmwatch" ] || die "$dmwatch: not executable"
[ -x "$floor" ] || die "$floor: not executable (make tools)"
[ -x "$ioloop" ] || die "$ioloop: not executable (make tools)"

# bpftrace's tracepoints (and dmwatch's syscall tier) need tracefs
if [ ! -e /sys/kernel/tracing/events/block ]; then
	mount -t tracefs nodev /sys/kernel/tracing || die "cannot mount tracefs"
	tracefs_mounted=1
fi

# a zram device of our own: a new one when the kernel can add them, else an unused zram0
if [ -w /sys/class/zram-control/hot_add ]; then
	zram=zram$(cat /sys/class/zram-control/hot_add)
	zram_added=1
elif [ -e /sys/block/zram0 ] && [ "$(cat /sys/block/zram0/disksize)" = 0 ]; then
	zram=zram0
else
	die "no free zram device"
fi
echo 1G > "/sys/block/$zram/disksize"
loopfile=$(mktemp /dev/shm/dmwatch-bench-loop.XXXXXX)
truncate -s 1G "$loopfile"
loopdev=$(losetup -f --show "$loopfile")

# written once with fio's random (incompressible) data, so reads return real data:
# zram keeps incompressible pages whole, a read is a copy
for dev in "/dev/$zram" "$loopdev"; do
	fio --name=fill --filename="$dev" --rw=write --bs=1M --direct=1 --ioengine=psync \
		--size=1G --output-format=terse > /dev/null || die "fio could not fill $dev"
done

# The one-liner an admin would write for the same job (tools/bench-ioerr.bt).
bpftrace_prog=$(dirname "$0")/bench-ioerr.bt

# start ARM's tracer and return once its probes are attached (its own ready line)
tracer_start() {
	case $1 in
	off)
		return 0
		;;
	dmwatch | uevents)
		# shellcheck disable=SC2046
		"$dmwatch" trace $([ "$1" = dmwatch ] || echo --uevents) > "$work/tracer.out" \
			2> "$work/tracer.err" &
		ready='^Tracing device-mapper events'
		log=$work/tracer.err
		;;
	bpftrace)
		bpftrace "$bpftrace_prog" > "$work/tracer.out" 2> "$work/tracer.err" &
		ready='^ready$'
		log=$work/tracer.out
		;;
	floor)
		"$floor" block_bio_complete block_rq_complete > "$work/tracer.out" 2> "$work/tracer.err" &
		ready='^ready$'
		log=$work/tracer.out
		;;
	esac
	tracer_pid=$!
	i=0
	until grep -q "$ready" "$log" 2>/dev/null; do
		kill -0 "$tracer_pid" 2>/dev/null ||
			die "$1 ended before it was ready: $(tail -n 3 "$work/tracer.err")"
		i=$((i + 1))
		[ "$i" -lt 600 ] || die "$1 not ready after 60 s"
		sleep 0.1
	done
}

tracer_stop() {
	[ -n "$tracer_pid" ] || return 0
	kill -INT "$tracer_pid"
	wait "$tracer_pid" || :
	tracer_pid=""
}

# engine and queue depth that give each device its most IOPS here: zram completes
# in the submitter's own call (psync); loop hands requests to its worker (io_uring, 32)
fio_args() {
	case $1 in
	zram) echo "--ioengine=psync --iodepth=1" ;;
	loop) echo "--ioengine=io_uring --iodepth=32" ;;
	esac
}

# one timed run: "iops cpu_ns_per_io" of fio (its own CPU time: user + system)
fio_run() {
	# shellcheck disable=SC2046
	taskset -c "$cpu" fio --name=bench --filename="$2" --rw=randread --bs=4k --direct=1 \
		$(fio_args "$1") --runtime="$secs" --time_based --norandommap --randrepeat=0 \
		--output-format=json > "$work/fio.json" || die "fio on $2 failed"
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
r = j["read"]
cpu_ns = (j["usr_cpu"] + j["sys_cpu"]) / 100 * r["runtime"] * 1e6
print("%.1f %.1f" % (r["iops"], cpu_ns / r["total_ios"]))' "$work/fio.json"
}

# another tracer on these tracepoints would sit in every arm, "off" included
block_progs() {
	bpftool prog show | grep -c -e 'name [a-z_]*bio_compl' -e 'name [a-z_]*rq_compl' \
		-e 'name [a-z_]*rq_err' -e 'name floor ' || :
}

# the five arms in round R's order: each goes first in every fifth round
rotate() {
	for i in 0 1 2 3 4; do
		echo off dmwatch uevents bpftrace floor | cut -d' ' -f$((($1 + i) % 5 + 1))
	done
}

foreign_before=$(block_progs)
load_before=$(cat /proc/loadavg)
for kind in zram loop; do
	dev=/dev/$zram
	[ "$kind" = zram ] || dev=$loopdev
	r=0
	while [ "$r" -lt "$rounds" ]; do
		for arm in $(rotate "$r"); do
			tracer_start "$arm"
			echo "$kind $arm $r $(fio_run "$kind" "$dev") $(cut -d' ' -f1 /proc/loadavg)" >> "$raw"
			tracer_stop
		done
		r=$((r + 1))
	done
done
# The cost on a zram read, fine-grained: fio's CPU figure carries the noise of a
# shared host (hundreds of ns from run to run). tools/ioloop times its own thread's
# CPU per read in blocks of 10,000 reads (~40 ms); interference only ever adds, so
# each tracer run keeps a low quantile of its blocks ("p20 median": the 20th
# percentile and the median, ns per read), compared with the no-tracer run of its
# own round.
r=0
while [ "$r" -lt "$fine_rounds" ]; do
	for arm in $(rotate "$r"); do
		tracer_start "$arm"
		taskset -c "$cpu" "$ioloop" "/dev/$zram" 10000 25 > "$work/ioloop.txt" ||
			die "ioloop on /dev/$zram failed"
		echo "zram $arm $r $(cut -d' ' -f1 "$work/ioloop.txt" | sort -n |
			awk '{ v[NR] = $1 } END { print v[int(NR / 5) + 1], v[int((NR + 1) / 2)] }')" >> "$fine"
		tracer_stop
	done
	r=$((r + 1))
done
load_after=$(cat /proc/loadavg)
foreign_after=$(block_progs)

# exact BPF cost: runs with bpf_stats on, arms alternating; a tracer's programs
# are the ones that were not loaded before it started. Of its programs on the
# block tracepoints (not dmwatch's lifecycle ones: fio makes ioctls too), the one
# that ran most is the per-I/O one; when none ran (dmwatch's block_rq_error on a
# kernel that has it: no request failed), the one on this device's tracepoint,
# with 0 runs.
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
for kind in zram loop; do
	dev=/dev/$zram
	[ "$kind" = zram ] || dev=$loopdev
	r=0
	while [ "$r" -lt "$stats_runs" ]; do
		for arm in dmwatch bpftrace floor; do
			bpftool prog show --json > "$work/progs-before.json"
			tracer_start "$arm"
			fio_run "$kind" "$dev" > /dev/null
			bpftool prog show --json > "$work/progs-after.json"
			tracer_stop
			python3 -c 'import json, sys
old = {p["id"] for p in json.load(open(sys.argv[1]))}
new = [p for p in json.load(open(sys.argv[2])) if p["id"] not in old and
       (p.get("name", "").startswith("block_") or p.get("name") == "floor")]
want = {"zram": "block_bio", "loop": "block_rq"}[sys.argv[3]]
p = max(new, key=lambda p: (p.get("run_cnt", 0), p.get("name", "").startswith(want)))
cnt = p.get("run_cnt", 0)
print("%s %s %s %d %.1f" % (sys.argv[3], sys.argv[4], p.get("name", "?"), cnt,
			   p.get("run_time_ns", 0) / cnt if cnt else 0))' \
				"$work/progs-before.json" "$work/progs-after.json" "$kind" "$arm" \
				>> "$work/stats.txt"
		done
		r=$((r + 1))
	done
done
sysctl -q -w kernel.bpf_stats_enabled="$stats_was"
stats_was=""

# the raw figures, kept where asked (tools/bench.sh: .output/bench) to remake the table
[ -z "${NATIVE_RAW:-}" ] || { mkdir -p "$NATIVE_RAW" && cp "$raw" "$fine" "$work/stats.txt" "$NATIVE_RAW/"; }
python3 "$(dirname "$0")/bench-native-table.py" "$raw" "$fine" "$work/stats.txt" "$secs" "$cpu" \
	"$load_before" "$load_after" "$foreign_before" "$foreign_after"
