#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live-scan benchmark, inside the VM (tools/bench.sh vmscan): N real dm devices;
# `dmwatch scan` (libdevmapper, one process) against what a shell script does per
# device (dmsetup info + table + status, as seed 000's tool does), in one run.
# Prints a markdown table.
. "$(dirname "$0")/lib.sh"

N=${BENCH_DEVICES:-200}
loop=$(mkloop 64)
for i in $(seq 1 "$N"); do
	dm_create "bench-$i" "0 8 linear $loop $((i * 8))"
done

ms() { echo $((($2 - $1) / 1000)); }

t0=${EPOCHREALTIME//[!0-9]/}
"$DMWATCH" scan --no-lvm --json > /tmp/bench-scan.json || true
t1=${EPOCHREALTIME//[!0-9]/}
devices=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["devices"])' /tmp/bench-scan.json)

t2=${EPOCHREALTIME//[!0-9]/}
for name in $(dmsetup ls | awk '{ print $1 }'); do
	dmsetup info "$name" > /dev/null
	dmsetup table "$name" > /dev/null
	dmsetup status "$name" > /dev/null
done
t3=${EPOCHREALTIME//[!0-9]/}

scan_ms=$(ms "$t0" "$t1")
shell_ms=$(ms "$t2" "$t3")
cat <<EOF
| measure ($devices dm devices, guest: QEMU TCG) | value |
|---|---|
| dmwatch scan --no-lvm --json, whole run | ${scan_ms} ms |
| per device | $(awk -v t="$scan_ms" -v n="$devices" 'BEGIN { printf "%.2f", t / n }') ms |
| shell loop of dmsetup info + table + status | ${shell_ms} ms |
| per device | $(awk -v t="$shell_ms" -v n="$devices" 'BEGIN { printf "%.2f", t / n }') ms |
| speed-up | $(awk -v a="$shell_ms" -v b="$scan_ms" 'BEGIN { printf "x%.0f", a / b }') |
EOF
