#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tracer benchmark, inside the VM (tools/bench.sh trace): the cost of `dmwatch
# trace` on I/O through a dm-linear device (throughput with the tracer off and on,
# in one run), an I/O error storm on a dm error target (events/s seen, lost
# events), and the tracer's peak RSS. Prints a markdown table.
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

stop_tracer() {
	kill -INT "$tpid"
	wait "$tpid" || true
}

read_mibs > /dev/null	# warm up
off=""
on=""
start_tracer
stop_tracer
# interleave off/on runs so drift in the emulator hits both alike
for i in 1 2 3 4 5 6 7 8 9; do
	off="$off $(read_mibs)"
	start_tracer
	on="$on $(read_mibs)"
	hwm=$(awk '/VmHWM/ { print $2 }' /proc/$tpid/status)
	stop_tracer
done
off_m=$(echo $off | median)
on_m=$(echo $on | median)

start_tracer
# one storm thread: the other vCPU is the tracer's
storm=$("$STORM" /dev/mapper/bench-err 5 1)
sleep 1
stop_tracer
seen=$(grep -c '"event":"io_error"' /tmp/bench-trace.json || true)
lost=$(sed -n 's/.* \([0-9]*\) lost$/\1/p' /tmp/bench-trace.err)
made=${storm#errors }
made=${made%% *}
rate=${storm##*rate }

cat <<EOF
| measure | value |
|---|---|
| dm-linear 4 KiB direct reads, tracer off (median of 9) | ${off_m} MiB/s |
| dm-linear 4 KiB direct reads, tracer on (median of 9) | ${on_m} MiB/s |
| throughput ratio on/off | $(awk -v a="$on_m" -v b="$off_m" 'BEGIN { printf "%.3f", a / b }') |
| error storm: errors made | ${made} (${rate}) |
| error storm: io_error events seen | ${seen} |
| error storm: lost events | ${lost:-?} |
| tracer peak RSS (VmHWM) | ${hwm} KiB |
EOF
echo "raw: off=[$off] on=[$on]" >&2
