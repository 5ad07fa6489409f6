#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seed 002 replayed under the tracer: a backup takes a small classic snapshot, the
# VM keeps writing to the origin, the COW fills (cow_usage rising, with a rate and a
# time to full), the snapshot turns Invalid (snapshot_invalid), the backup's reads
# fail (io_error named after the snapshot), the snapshot is removed, and the
# errors still carry its name.
. "$(dirname "$0")/lib.sh"

mkvg backup "$(mkloop 96)"
lvcreate -qq -L 48M -n vm-473-disk-1 backup

out=/tmp/trace-cow.json
err=/tmp/trace-cow.err
start_tracer "$out" "$err" --json --interval 0.3

lvcreate -qq -s -L 4M -n snap-473-1 backup/vm-473-disk-1
snap_minor=$(dmsetup info -c --noheadings -o minor backup-snap--473--1 | tr -d ' ')
# the VM keeps writing: 1 MiB at a time, so the tracer sees the COW climb
for i in 0 1 2 3 4 5 6 7; do
	dd if=/dev/urandom of=/dev/backup/vm-473-disk-1 bs=64K count=16 seek=$((i * 16)) \
		oflag=direct status=none
	wait_until 20 grep -q "\"event\":\"cow_usage\",\"name\":\"backup-snap--473--1\".*\"used_percent\":[1-9]" "$out"
	dmsetup status backup-snap--473--1 | grep -q Invalid && break
done
dmsetup status backup-snap--473--1 >&2
dmsetup status backup-snap--473--1 | grep -q Invalid || die "snapshot did not overflow"
wait_for_line "$out" '"event":"snapshot_invalid","name":"backup-snap--473--1"' 30

# the backup reads the snapshot: I/O errors
expect_fail dd if=/dev/backup/snap-473-1 of=/dev/null bs=4K count=16 iflag=direct
lvremove -qq -y backup/snap-473-1
wait_for_line "$out" '"event":"dm_remove","name":"backup-snap--473--1"' 30
kill -INT "$tpid"
rc=0
wait "$tpid" || rc=$?
assert_eq 0 "$rc" "trace exit status"
keep "$out" "$err"

assert_contains "$out" '"event":"dm_create","name":"backup-snap--473--1"'
# at least two rising samples, the later with a rate and an ETA
python3 - "$out" <<'EOF'
import json, sys
samples = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "cow_usage" and e["name"] == "backup-snap--473--1":
        samples.append(e)
pcts = [s["used_percent"] for s in samples]
if len(set(pcts)) < 3:
    sys.exit("FAIL: too few distinct COW samples: %s" % pcts)
if pcts != sorted(pcts):
    sys.exit("FAIL: COW usage not rising: %s" % pcts)
eta = [s for s in samples if s["eta_s"] is not None and s["rate_bytes_per_s"] > 0]
if not eta:
    sys.exit("FAIL: no sample with a fill rate and ETA: %s" % samples)
if any(s["eta_s"] < 0 for s in eta):
    sys.exit("FAIL: negative ETA")
print("cow samples:", pcts, "first eta:", eta[0]["eta_s"], file=sys.stderr)
EOF
assert_contains "$out" "\"event\":\"io_error\",\"dev\":\"dm-$snap_minor\",\"name\":\"backup-snap--473--1\",.*\"op\":\"read\",\"errno\":\"EIO\""
# the remove came after the errors, and the summary names the device
assert_contains "$err" "backup-snap--473--1 +dm-$snap_minor +[0-9]+ errors"
