#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dmwatch scan against real LVM on loop devices and a fake /etc/pve: every class,
# reason and severity, snapshot and thin-pool space, the grade, the exit code, and
# that a saved state analyses to the same verdict.
. "$(dirname "$0")/lib.sh"

pv1=$(mkloop 160)
pv2=$(mkloop 64)
pv3=$(mkloop 64)
mkvg pve "$pv1"
mkvg ssd-ha01 "$pv2"
mkvg vmdata "$pv3"

# thin pool with guest volumes
lvcreate -qq -L 72M -T pve/data
for lv in vm-101-disk-0 vm-101-disk-7 vm-102-disk-0 base-100-disk-0 vm-104-disk-0 \
	  vm-119-disk-0 vm-200-disk-0; do
	lvcreate -qq -V 64M -T pve/data -n "$lv"
done
lvcreate -qq -s -kn -n vm-103-disk-0 pve/base-100-disk-0		# linked clone
lvcreate -qq -s -kn -n snap_vm-101-disk-0_snap1 pve/vm-101-disk-0	# PVE thin snapshot
# fill the pool past 80 %
dd if=/dev/urandom of=/dev/pve/vm-101-disk-0 bs=1M count=60 oflag=direct status=none

# the same disk number on a second storage whose id differs from its VG in case
lvcreate -qq -L 8M -n vm-119-disk-0 ssd-ha01

# a stale mapping: LV vm-105-disk-0 removed behind dm's back, its extents reused
lvcreate -qq -L 8M -n vm-105-disk-0 ssd-ha01
stale_table=$(dmsetup table ssd--ha01-vm--105--disk--0)
stale_uuid=$(dmsetup info -c --noheadings -o uuid ssd--ha01-vm--105--disk--0)
lvremove -qq -y ssd-ha01/vm-105-disk-0
lvcreate -qq -L 8M -n vm-120-disk-0 ssd-ha01
dm_create ssd--ha01-vm--105--disk--0 "$stale_table" --uuid "$stale_uuid"

# seed 000's "-dup": a second mapping of the same thin device
dm_create pve-vm--101--disk--0-dup "$(dmsetup table pve-vm--101--disk--0)"
# a kpartx-style partition on a guest disk: not a duplicate
uuid101=$(dmsetup info -c --noheadings -o uuid pve-vm--101--disk--0)
dm_create pve-vm--101--disk--0p1 "0 4096 linear /dev/mapper/pve-vm--101--disk--0 2048" \
	--uuid "part1-$uuid101"

# classic snapshots: one near full, one overflowed to Invalid
lvcreate -qq -L 32M -n vm-110-disk-0 vmdata
lvcreate -qq -s -L 4M -n snap-110-0 vmdata/vm-110-disk-0
dd if=/dev/urandom of=/dev/vmdata/vm-110-disk-0 bs=1K count=3500 oflag=direct status=none
lvcreate -qq -L 16M -n vm-111-disk-0 vmdata
lvcreate -qq -s -L 4M -n snap-111-0 vmdata/vm-111-disk-0
dd if=/dev/urandom of=/dev/vmdata/vm-111-disk-0 bs=1M count=6 oflag=direct status=none
dmsetup status vmdata-snap--110--0 vmdata-snap--111--0 >&2

pve_init pve1
mkdir -p /etc/pve/nodes/pve2/qemu-server
cat > /etc/pve/storage.cfg <<'EOF'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup

lvmthin: local-lvm
	thinpool data
	vgname pve
	content rootdir,images

lvm: SSD-HA01
	vgname ssd-ha01
	content images
	shared 1

lvm: vmdata
	vgname vmdata
	content images
EOF
cat > /etc/pve/nodes/pve1/qemu-server/100.conf <<'EOF'
name: tmpl
scsi0: local-lvm:base-100-disk-0,size=64M
template: 1
EOF
cat > /etc/pve/nodes/pve1/qemu-server/101.conf <<'EOF'
name: web
parent: snap1
scsi0: local-lvm:vm-101-disk-0,size=64M

[snap1]
scsi0: local-lvm:vm-101-disk-0,size=64M
snaptime: 1700000000
EOF
cat > /etc/pve/nodes/pve1/lxc/102.conf <<'EOF'
hostname: ct102
rootfs: local-lvm:vm-102-disk-0,size=64M
EOF
cat > /etc/pve/nodes/pve1/qemu-server/103.conf <<'EOF'
name: clone
scsi0: local-lvm:base-100-disk-0/vm-103-disk-0,size=64M
EOF
cat > /etc/pve/nodes/pve1/qemu-server/110.conf <<'EOF'
name: db
virtio0: vmdata:vm-110-disk-0,size=32M
EOF
cat > /etc/pve/nodes/pve1/qemu-server/111.conf <<'EOF'
name: db2
virtio0: vmdata:vm-111-disk-0,size=16M
EOF
cat > /etc/pve/nodes/pve1/qemu-server/119.conf <<'EOF'
name: multi
efidisk0: SSD-HA01:vm-119-disk-0,size=8M
scsi1: local-lvm:vm-119-disk-0,size=64M
EOF
cat > /etc/pve/nodes/pve1/qemu-server/120.conf <<'EOF'
name: new
scsi0: SSD-HA01:vm-120-disk-0,size=8M
EOF
cat > /etc/pve/nodes/pve2/qemu-server/200.conf <<'EOF'
name: far
scsi0: local-lvm:vm-200-disk-0,size=64M
EOF
# VM 101 runs: a process whose arguments say "-id 101", as qemu's do
mkdir -p /run/qemu-server
sh -c 'sleep 600; :' kvm -id 101 -name web &
echo $! > /run/qemu-server/101.pid
on_cleanup "kill $! 2>/dev/null; rm -rf /run/qemu-server"

json=/tmp/scan.json
rc=0
"$DMWATCH" scan --node pve1 --json --save-state /tmp/state.json > "$json" || rc=$?
keep "$json" /tmp/state.json
assert_eq 2 "$rc" "scan exit code"
"$DMWATCH" scan --node pve1 > /tmp/scan.txt || true
cat /tmp/scan.txt >&2

# dev_verdict NAME -> "class reason severity" from the JSON
dev_verdict() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["devices"]:
    if x["name"] == sys.argv[2]:
        print(x["class"], x["reason"] or "-", x["severity"])
        sys.exit(0)
print("missing")' "$json" "$1"
}
expect_dev() {
	assert_eq "$(dev_verdict "$1")" "$2" "$1"
}

expect_dev pve-data "internal - ok"
expect_dev pve-data-tpool "internal - ok"
expect_dev pve-data_tdata "internal - ok"
expect_dev pve-data_tmeta "internal - ok"
expect_dev pve-vm--101--disk--0 "valid - ok"
expect_dev pve-snap_vm--101--disk--0_snap1 "valid - ok"
expect_dev pve-vm--102--disk--0 "valid - ok"
expect_dev pve-base--100--disk--0 "valid - ok"
expect_dev pve-vm--103--disk--0 "valid - ok"
expect_dev pve-vm--119--disk--0 "valid - ok"
expect_dev ssd--ha01-vm--119--disk--0 "valid - ok"
expect_dev ssd--ha01-vm--120--disk--0 "valid - ok"
expect_dev pve-vm--104--disk--0 "tombstone no-guest warning"
expect_dev pve-vm--101--disk--7 "tombstone unreferenced warning"
expect_dev pve-vm--200--disk--0 "tombstone other-node warning"
expect_dev ssd--ha01-vm--105--disk--0 "tombstone stale critical"
expect_dev pve-vm--101--disk--0-dup "duplicate - critical"
expect_dev pve-vm--101--disk--0p1 "internal - ok"
expect_dev vmdata-vm--110--disk--0 "valid - ok"
expect_dev vmdata-vm--110--disk--0-real "internal - ok"
expect_dev vmdata-snap--110--0-cow "internal - ok"
expect_dev vmdata-snap--110--0 "valid - ok"

python3 - "$json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
snaps = {s["lv"]: s for s in d["snapshots"]}
def need(cond, what):
    if not cond:
        sys.exit("FAIL: " + what + "\n" + json.dumps(d["snapshots"], indent=1))
need(snaps["pve/data"]["kind"] == "thin-pool", "pool kind")
need(snaps["pve/data"]["used_percent"] >= 80, "pool over 80 %")
need(snaps["pve/data"]["severity"] in ("warning", "critical"), "pool flagged")
need(snaps["vmdata/snap-110-0"]["severity"] == "warning", "near-full snapshot is a warning")
need(80 <= snaps["vmdata/snap-110-0"]["used_percent"] < 95, "near-full snapshot percent")
need(snaps["vmdata/snap-110-0"]["origin"] == "vmdata/vm-110-disk-0", "snapshot origin")
need(snaps["vmdata/snap-111-0"]["state"] == "invalid", "overflowed snapshot invalid")
need(snaps["vmdata/snap-111-0"]["severity"] == "critical", "invalid is critical")
need(d["grade"] == "F" and d["exit"] == 2, "grade F, exit 2")
s = d["summary"]
need(s["tombstones"] == 4 and s["duplicates"] == 1, "summary counts %s" % s)
g = {x["vmid"]: x for x in d["guests"]}
need(g[101]["running"] is True, "VM 101 running")
need(g[101]["health"] == "duplicate", "VM 101 health duplicate")
need(g[119]["health"] == "clean", "VM 119 clean")
need(g[102]["type"] == "lxc", "CT 102 is lxc")
need(g[104]["exists"] is False, "guest 104 does not exist")
EOF

# the saved state analyses offline to the identical verdict
"$DMWATCH" scan --state /tmp/state.json --json > /tmp/scan2.json || true
diff -u "$json" /tmp/scan2.json >&2 || die "--state round trip differs"
# and saving a loaded state gives the same file
"$DMWATCH" scan --state /tmp/state.json --save-state /tmp/state2.json --json > /dev/null || true
diff -u /tmp/state.json /tmp/state2.json >&2 || die "state save/load not identical"
log "scan scenario: all verdicts as expected"
