#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live scan against LVM's own report, inside the VM (tools/bench.sh lvmscan): a node
# with N LVs active (N dm devices), interleaved runs of `lvs -a --reportformat json`,
# `dmsetup info -c` and `dmwatch scan --json` (and, to show where the time goes, the
# `lvm fullreport` dmwatch runs, and the lvs + pvs pair it ran before). Target: the
# scan within 1.1x of one lvs. Prints a markdown table, and first a real fullreport of
# a small live VG (thin pool, thin volumes, linear LV, classic snapshot) between
# "=== fullreport-live.json" and "=== end" lines: tests/fixtures/lvm's live fixture.
#
# Usage: bench_lvmscan.sh [RUNS] (default 5; tools/bench.sh passes BENCH_LVM_RUNS, 9).
# Environment: BENCH_LVM_SIZES (LVs, default "200 1000").
. "$(dirname "$0")/lib.sh"

SIZES=${BENCH_LVM_SIZES:-"200 1000"}
RUNS=${1:-5}
# what src/collect/lvm.c runs
SEG_FIELDS=vg_name,vg_uuid,lv_name,lv_uuid,lv_attr,lv_size,pool_lv,origin,thin_id,seg_pe_ranges,vg_extent_size
OLD_SEG_FIELDS=vg_name,vg_uuid,lv_name,lv_uuid,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,thin_id,seg_pe_ranges,vg_extent_size
export LVM_SUPPRESS_FD_WARNINGS=1

fullreport() {
	lvm fullreport -a --config "global/activation=0 backup/backup=0 log/report_command_log=1 log/command_log_selection=all" \
		--reportformat json --units s --nosuffix \
		--configreport vg -o vg_name --configreport lv -o lv_uuid \
		--configreport pvseg -o pvseg_start --configreport seg -o "$SEG_FIELDS" \
		--configreport pv -o pv_name,pe_start --configreport log -o log_type,log_ret_code
}

# --- the live fixture: a small VG as a PVE node has it --------------------------
mkvg live "$(mkloop 128)"
lvcreate -qq -L 48M -T live/data
lvcreate -qq -V 32M -T live/data -n vm-100-disk-0
lvcreate -qq -V 32M -T live/data -n vm-101-disk-0
lvcreate -qq -s -kn -n snap_vm-100-disk-0_before live/vm-100-disk-0
lvcreate -qq -L 16M -n vm-200-disk-0 live
lvcreate -qq -s -L 4M -n vm-200-backup live/vm-200-disk-0
dd if=/dev/urandom of=/dev/live/vm-100-disk-0 bs=1M count=8 oflag=direct status=none
dd if=/dev/urandom of=/dev/live/vm-200-disk-0 bs=1M count=1 oflag=direct status=none
echo "=== fullreport-live.json"
fullreport 2> /dev/null
echo "=== end"
"$DMWATCH" scan --json > /tmp/bench-live.json || true
python3 - /tmp/bench-live.json <<-'EOF' || die "dmwatch did not read the live VG"
	import json, sys
	st = json.load(open(sys.argv[1]))
	assert not [p for p in st["problems"] if p["source"] == "lvm"], st["problems"]
	lvs = {d["lv"] for d in st["devices"] if d["vg"] == "live"}
	assert {"vm-100-disk-0", "vm-200-backup"} <= lvs, lvs
EOF
vgchange -an -qq live > /dev/null
vgremove -ff -y -qq live > /dev/null

# --- N linear LVs of one extent, made in one metadata write ---------------------
# vgcfgrestore of generated metadata and one vgchange -ay: lvcreate per LV would
# rescan every device each time (minutes under TCG for 1,000).
add_lvs() {
	local vg=$1 n=$2 dev
	dev=$(mkloop $((n + 8)))
	echo "$vg" >> "$LIB_STATE/vgs"
	pvcreate -qq -y "$dev" > /dev/null
	vgcreate -qq -s 1M "$vg" "$dev" > /dev/null
	vgcfgbackup -q -f "/tmp/$vg.vg" "$vg" > /dev/null
	python3 - "/tmp/$vg.vg" "$vg" "$n" <<-'EOF'
		import random, string, sys
		path, vg, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
		rnd = random.Random(vg)
		def uuid():
		    s = "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(32))
		    return "-".join((s[0:6], s[6:10], s[10:14], s[14:18], s[18:22], s[22:26], s[26:32]))
		text = open(path).read()
		lvs = "".join(
		    f"""
		{vg}-lv{i} {{
		id = "{uuid()}"
		status = ["READ", "WRITE", "VISIBLE"]
		flags = []
		segment_count = 1
		segment1 {{
		start_extent = 0
		extent_count = 1
		type = "striped"
		stripe_count = 1
		stripes = ["pv0", {i}]
		}}
		}}
		""" for i in range(n))
		# the last closing brace is the VG's: the LVs go in just before it
		cut = text.rindex("}")
		open(path, "w").write(text[:cut] + "logical_volumes {\n" + lvs + "}\n" + text[cut:])
	EOF
	vgcfgrestore -q -f "/tmp/$vg.vg" "$vg" > /dev/null
	vgchange -ay -qq "$vg" > /dev/null
}

ms() { echo $((($2 - $1) / 1000)); }

# time_ms CMD...: wall ms of one run, output discarded
time_ms() {
	local t0 t1
	t0=${EPOCHREALTIME//[!0-9]/}
	"$@" > /dev/null 2>&1 || true
	t1=${EPOCHREALTIME//[!0-9]/}
	ms "$t0" "$t1"
}

# "median (min-max)" of the numbers in a file, one per line
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f (%d-%d)", m, v[1], v[NR] }'
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

lvs_json() { lvs -a --reportformat json; }
dm_info() { dmsetup info -c; }
scan_json() { "$DMWATCH" scan --json; }
scan_nolvm() { "$DMWATCH" scan --no-lvm --json; }
old_pair() {
	lvs -a --segments --reportformat json --units s --nosuffix -o "$OLD_SEG_FIELDS"
	pvs --reportformat json --units s --nosuffix -o pv_name,pe_start
}

cmds="lvs_json dm_info scan_json fullreport scan_nolvm old_pair"
declare -A label=(
	[lvs_json]='`lvs -a --reportformat json`'
	[dm_info]='`dmsetup info -c`'
	[scan_json]='`dmwatch scan --json`'
	[fullreport]='`lvm fullreport ...` (what the scan runs)'
	[scan_nolvm]='`dmwatch scan --no-lvm --json`'
	[old_pair]='`lvs --segments` + `pvs` (what the scan ran before)'
)

echo "| LVs | dm devices | command | median ms (min-max), $RUNS interleaved runs |"
echo "|---:|---:|---|---|"
made=0
summary=""
for n in $SIZES; do
	add_lvs "bench$n" $((n - made))
	made=$n
	devices=$(dmsetup info -c --noheadings | wc -l)
	# the scan must have read every LV, or its time means nothing
	"$DMWATCH" scan --json > /tmp/bench-scan.json || true
	python3 - /tmp/bench-scan.json "$n" <<-'EOF' || die "dmwatch scan did not see the LVs"
		import json, sys
		st = json.load(open(sys.argv[1]))
		assert not [p for p in st["problems"] if p["source"] == "lvm"], st["problems"]
		assert st["summary"]["devices"] >= int(sys.argv[2]), st["summary"]
	EOF
	for c in $cmds; do : > "/tmp/bench-$c"; done
	: > /tmp/bench-ratio
	for _ in $(seq 1 "$RUNS"); do
		for c in $cmds; do
			time_ms "$c" >> "/tmp/bench-$c"
		done
		# per round: this round's scan over this round's lvs
		awk -v a="$(tail -n 1 /tmp/bench-scan_json)" -v b="$(tail -n 1 /tmp/bench-lvs_json)" \
			'BEGIN { if (b > 0) printf "%.3f\n", a / b }' >> /tmp/bench-ratio
	done
	for c in $cmds; do
		echo "| $n | $devices | ${label[$c]} | $(stats "/tmp/bench-$c") |"
	done
	ratio=$(awk -v a="$(median /tmp/bench-scan_json)" -v b="$(median /tmp/bench-lvs_json)" \
		'BEGIN { printf "%.2f", a / b }')
	spread=$(sort -n /tmp/bench-ratio | awk '{ v[NR] = $1 } END { printf "%.2f-%.2f", v[1], v[NR] }')
	summary="$summary| $n | $devices | ${ratio}x (per-round $spread) | <= 1.1x | $(awk -v r="$ratio" 'BEGIN { print r <= 1.1 ? "met" : "NOT met" }') |
"
done
echo
echo "| LVs | dm devices | dmwatch scan --json / lvs -a, medians | target | |"
echo "|---:|---:|---|---|---|"
printf '%s' "$summary"
