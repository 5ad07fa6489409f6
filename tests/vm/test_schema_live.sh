#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The JSON contract (docs/schema/) against what only a real kernel gives: trace
# --json lines of real dm ioctls, an I/O error and snapshot / thin-pool samples,
# and a live scan with the state the collectors saved (not a loaded one).
# `make check-schema` covers everything that needs no kernel.
. "$(dirname "$0")/lib.sh"

# check KIND FILE: FILE (event: JSON lines) valid against docs/schema/KIND.schema.json
check() {
	python3 "$REPO/tests/schema/check.py" --validate "$1" "$2" >&2 ||
		die "$2 does not match docs/schema/$1.schema.json"
}

out=/tmp/schema-trace.json
start_tracer "$out" /tmp/schema-trace.err --json --interval 0.5

pv=$(mkloop 64)
mkvg schemavg "$pv"
lvcreate -qq -L 24M -T schemavg/pool
lvcreate -qq -V 16M -T schemavg/pool -n vm-300-disk-0
lvcreate -qq -L 8M -n vm-301-disk-0 schemavg
lvcreate -qq -s -L 4M -n snap-301-0 schemavg/vm-301-disk-0
dm_create schema-err "0 2048 error"
expect_fail dd if=/dev/mapper/schema-err of=/dev/null bs=4096 count=1 iflag=direct
expect_fail dmsetup create schema-err --table "0 2048 error"
dmsetup remove schema-err
wait_for_line "$out" '"event":"dm_remove","name":"schema-err"' 60
wait_for_line "$out" '"event":"cow_usage","name":"schemavg-snap--301--0"' 60
wait_for_line "$out" '"event":"cow_usage","name":"schemavg-pool-tpool"' 60
kill -INT "$tpid"
rc=0
wait "$tpid" || rc=$?
assert_eq 0 "$rc" "trace exit status after SIGINT"
keep "$out"
assert_contains "$out" '"event":"io_error","dev":"dm-[0-9]+","name":"schema-err"'
assert_contains "$out" '"event":"dm_create","name":"schema-err",.*"ret":-16,"errno":"EBUSY"'
check event "$out"

pve_init pve1
cat > /etc/pve/storage.cfg <<'EOF'
lvmthin: local-lvm
	thinpool pool
	vgname schemavg
	content rootdir,images

lvm: schemavg
	vgname schemavg
	content images
EOF
cat > /etc/pve/nodes/pve1/qemu-server/300.conf <<'EOF'
name: web
scsi0: local-lvm:vm-300-disk-0,size=16M
EOF
rc=0
"$DMWATCH" scan --node pve1 --json --save-state /tmp/schema-state.json > /tmp/schema-scan.json ||
	rc=$?
keep /tmp/schema-scan.json /tmp/schema-state.json
# VM 301 has no config: its disk is a tombstone (a warning)
assert_eq 1 "$rc" "scan exit code"
check scan /tmp/schema-scan.json
check state /tmp/schema-state.json
