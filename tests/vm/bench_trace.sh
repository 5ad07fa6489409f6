#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tracer benchmark, inside the VM (tools/bench.sh trace): the cost of `dmwatch
# trace` on I/O through a dm-linear device (throughput with the tracer off, on,
# and with the bpftrace one-liner doing the same job, interleaved in one run; and
# how often each one's programs run per read, which under emulation says more
# than time), an I/O error storm on a dm error target at the target rate and as
# fast as it goes (events seen, lost, missed), and the tracer's peak RSS. Prints
# a markdown table.
. "$(dirname "$0")/lib.sh"

STORM=$REPO/.output/tools/ioerr-storm
[ -x "$STORM" ] || die "build the tools first (make tools)"
modprobe brd rd_nr=1 rd_size=262144
on_cleanup "dmsetup remove bench-lin 2>/dev/null; modprobe -r brd 2>/dev/null"
dm_create bench-lin "0 $(sectors /dev/ram0) linear /dev/ram0 0"
dm_create bench-err "0 2048 error"

# read-throughput of the linear device: MiB/s of direct 4 KiB reads
read_mibs() {
	local t0 t1
	t0=${EPOCHREALTIME//[!0-9]/}
	dd if=/dev/mapper/bench-lin of=/dev/null bs=4k count=40000 iflag=direct status=none
	t1=${EPOCHREALTIME//[!0-9]/}
	echo $((40000 * 4096 * 1000000 / (t1 - t0) / 1048576))
}

median() { tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

start_tracer() {
	"$DMWATCH" trace --json > /tmp/bench-trace.json 2> /tmp/bench-trace.err &
	tpid=$!
	wait_until 300 sh -c "grep -q 'Hit Ctrl-C' /tmp/bench-trace.err || ! kill -0 $tpid" ||
		die "tracer not ready"
	kill -0 "$tpid" || { cat /tmp/bench-trace.err >&2; die "tracer died"; }
}

# the peer: the bpftrace one-liner of tools/bench-native.sh
start_bpftrace() {
	bpftrace "$REPO/tools/bench-ioerr.bt" > /tmp/bench-bpftrace.out 2> /tmp/bench-bpftrace.err &
	tpid=$!
	wait_until 300 sh -c "grep -q '^ready' /tmp/bench-bpftrace.out || ! kill -0 $tpid" ||
		die "bpftrace not ready"
	kill -0 "$tpid" || { cat /tmp/bench-bpftrace.err >&2; die "bpftrace died"; }
}

# runs_per_read NAME...: BPF program runs per 4 KiB read of one read_mibs, summed
# over the programs whose names start with each NAME (bpf_stats on meanwhile)
runs_per_read() {
	local before after name
	before=0 after=0
	sysctl -q -w kernel.bpf_stats_enabled=1
	for name in "$@"; do
		before=$((before + $(bpf_runs "$name" | cut -d' ' -f2)))
	done
	read_mibs > /dev/null
	for name in "$@"; do
		after=$((after + $(bpf_runs "$name" | cut -d' ' -f2)))
	done
	sysctl -q -w kernel.bpf_stats_enabled=0
	awk -v n=$((after - before)) 'BEGIN { printf "%.2f", n / 40000 }'
}

stop_tracer() {
	kill -INT "$tpid"
	wait "$tpid" || true
}

read_mibs > /dev/null	# warm up
off=""
on=""
bt=""
bio_hook=$(kernel_bio_hook)
start_tracer
dm_runs=$(runs_per_read "$bio_hook" block_rq_)
stop_tracer
start_bpftrace
bt_runs=$(runs_per_read block_bio_compl block_rq_compl)
stop_tracer
# interleave off/on/bpftrace runs so drift in the emulator hits all alike
for i in 1 2 3 4 5 6 7 8 9; do
	off="$off $(read_mibs)"
	start_tracer
	on="$on $(read_mibs)"
	hwm=$(awk '/VmHWM/ { print $2 }' /proc/$tpid/status)
	stop_tracer
	start_bpftrace
	bt="$bt $(read_mibs)"
	stop_tracer
done
off_m=$(echo $off | median)
on_m=$(echo $on | median)
bt_m=$(echo $bt | median)

# storm RATE: one storm thread (the other vCPU is the tracer's) for 5 s at RATE
# errors/s (0: as fast as it goes) with a freshly started tracer; sets made,
# rate, seen, lost and missed: errors the tracer neither showed nor counted as
# lost (an event lost in the ring is counted; a hook that did not run is not)
storm() {
	local out
	start_tracer
	out=$("$STORM" /dev/mapper/bench-err 5 1 "$1")
	stop_tracer
	seen=$(grep -c '"event":"io_error"' /tmp/bench-trace.json || true)
	lost=$(sed -n 's/.* \([0-9]*\) lost$/\1/p' /tmp/bench-trace.err)
	made=${out#errors }
	made=${made%% *}
	rate=${out##*rate }
	if [ -n "$lost" ]; then
		missed=$((made - seen - lost))
	else
		lost="?" missed="?"	# the tracer gave no summary: missed unknown too
	fi
}
storm 100000
paced="| error storm at 100k errors/s: made / seen / lost / missed | ${made} (${rate}) / ${seen} / ${lost} / ${missed} |"
storm 0
max="| error storm as fast as one thread goes: made / seen / lost / missed | ${made} (${rate}) / ${seen} / ${lost} / ${missed} |"

cat <<EOF
| measure | value |
|---|---|
| dm-linear 4 KiB direct reads, tracer off (median of 9) | ${off_m} MiB/s |
| dm-linear 4 KiB direct reads, tracer on (median of 9) | ${on_m} MiB/s |
| throughput ratio on/off | $(awk -v a="$on_m" -v b="$off_m" 'BEGIN { printf "%.3f", a / b }') |
| dm-linear 4 KiB direct reads, bpftrace one-liner on (median of 9) | ${bt_m} MiB/s |
| throughput ratio bpftrace/off | $(awk -v a="$bt_m" -v b="$off_m" 'BEGIN { printf "%.3f", a / b }') |
| BPF program runs per successful read: dmwatch (bio errors from \`${bio_hook}\`) | ${dm_runs} |
| BPF program runs per successful read: bpftrace one-liner | ${bt_runs} |
${paced}
${max}
| tracer peak RSS (VmHWM) | ${hwm} KiB |
EOF
echo "raw: off=[$off] on=[$on] bpftrace=[$bt]" >&2
