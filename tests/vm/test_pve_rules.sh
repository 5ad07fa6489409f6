#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Verdicts that follow Proxmox's own reading of its configs, on real LVM: a qcow2
# snapshot chain on thick LVM (snapshot-as-volume-chain), a volume named after
# another vmid in unused0 and in a cloud-init drive, fleecing images, [PENDING]
# and [pve:pending], the cdrom alias, empty values, a drive whose volume is not its
# first property, and base-N names that only lvmthin takes. Everything referenced
# stays valid; the rest are tombstones for the right reason. Then the what-if:
# the saved node against an edited copy of /etc/pve.
. "$(dirname "$0")/lib.sh"

mkvg vmdata "$(mkloop 64)"
mkvg thinvg "$(mkloop 96)"
lvcreate -qq -L 48M -T thinvg/data
# the LVs LVMPlugin makes for a qcow2 disk with three snapshots, and leftovers
for lv in vm-8006-disk-0.qcow2 snap_vm-8006-disk-0_snap1.qcow2 snap_vm-8006-disk-0_snap2.qcow2 \
	  snap_vm-8006-disk-0_snap3.qcow2 snap_vm-8006-disk-0_old.qcow2 vm-8006-state-snap1 \
	  vm-120-disk-0 vm-8006-cloudinit vm-130-fleece-1 vm-200-disk-1 base-170-disk-0 \
	  vm-999-disk-0; do
	lvcreate -qq -L 4M -n "$lv" vmdata
done
for lv in vm-8006-disk-0 vm-8006-disk-1 vm-8006-disk-2 vm-8006-disk-3 vm-120-cloudinit \
	  vm-130-disk-0 vm-130-fleece-0 vm-200-disk-0 vm-200-disk-3 base-170-disk-0; do
	lvcreate -qq -V 8M -T thinvg/data -n "$lv"
done

pve_init pve1
cat > /etc/pve/storage.cfg <<'EOF2'
lvmthin: local-lvm
	thinpool data
	vgname thinvg
	content rootdir,images

lvm: lvm-store
	vgname vmdata
	content images,rootdir
	snapshot-as-volume-chain 1
EOF2
cat > /etc/pve/qemu-server/8006.conf <<'EOF2'
boot: 
cdrom: local-lvm:vm-120-cloudinit,media=cdrom
efidisk0: local-lvm:vm-8006-disk-1,efitype=4m,size=4M
ide0: lvm-store:vm-8006-cloudinit,media=cdrom
name: chain
parent: snap3
scsi0: cache=writeback,local-lvm:vm-8006-disk-0,size=8M
scsi1: lvm-store:vm-8006-disk-0.qcow2,size=4M
tpmstate0: local-lvm:vm-8006-disk-2,size=4M,version=v2.0
unused0: lvm-store:vm-120-disk-0

[PENDING]
scsi2: local-lvm:vm-8006-disk-3,size=8M

[snap1]
scsi1: lvm-store:vm-8006-disk-0.qcow2,size=4M
snaptime: 1754000100
vmstate: lvm-store:vm-8006-state-snap1

[snap2]
parent: snap1
scsi1: lvm-store:vm-8006-disk-0.qcow2,size=4M

[snap3]
parent: snap2
scsi1: lvm-store:vm-8006-disk-0.qcow2,size=4M
EOF2
cat > /etc/pve/qemu-server/130.conf <<'EOF2'
name: backup-me
scsi0: local-lvm:vm-130-disk-0,size=8M

[special:fleecing]
fleecing-images: local-lvm:vm-130-fleece-0,lvm-store:vm-130-fleece-1
EOF2
cat > /etc/pve/lxc/200.conf <<'EOF2'
hostname: ct
mp0: mp=/srv,lvm-store:vm-200-disk-1,size=4M
rootfs: local-lvm:vm-200-disk-0,size=8M

[pve:pending]
mp1: local-lvm:vm-200-disk-3,mp=/new,size=8M
EOF2

json=/tmp/rules.json
"$DMWATCH" scan --node pve1 --json --save-state /tmp/rules-state.json > "$json" || true
"$DMWATCH" scan --node pve1 > /tmp/rules.txt || true
keep "$json" /tmp/rules.txt /tmp/rules-state.json
cat /tmp/rules.txt >&2

verdict() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["devices"]:
    if x["name"] == sys.argv[2]:
        print(x["class"], x["reason"] or "-", x["vmid"])
        sys.exit(0)
print("missing")' "$1" "$2"
}
expect() {	# expect JSON DMNAME "class reason vmid"
	assert_eq "$(verdict "$1" "$2")" "$3" "$2"
}

for name in vmdata-vm--8006--disk--0.qcow2 vmdata-snap_vm--8006--disk--0_snap1.qcow2 \
	    vmdata-snap_vm--8006--disk--0_snap2.qcow2 vmdata-snap_vm--8006--disk--0_snap3.qcow2 \
	    vmdata-vm--8006--state--snap1 vmdata-vm--120--disk--0 vmdata-vm--8006--cloudinit \
	    thinvg-vm--8006--disk--0 thinvg-vm--8006--disk--1 thinvg-vm--8006--disk--2 \
	    thinvg-vm--8006--disk--3 thinvg-vm--120--cloudinit; do
	expect "$json" "$name" "valid - 8006"
done
expect "$json" thinvg-vm--130--fleece--0 "valid - 130"
expect "$json" vmdata-vm--130--fleece--1 "valid - 130"
expect "$json" thinvg-vm--200--disk--0 "valid - 200"
expect "$json" vmdata-vm--200--disk--1 "valid - 200"
expect "$json" thinvg-vm--200--disk--3 "valid - 200"
expect "$json" vmdata-snap_vm--8006--disk--0_old.qcow2 "tombstone unreferenced 8006"
expect "$json" vmdata-vm--999--disk--0 "tombstone no-guest 999"
expect "$json" thinvg-base--170--disk--0 "tombstone no-guest 170"
# thick LVM does not take base-N names: a plain LV
expect "$json" vmdata-base--170--disk--0 "valid - None"
assert_not_contains /tmp/rules.txt "input"

# the remedies are commands a shell reads back into the same words
python3 - "$json" <<'EOF2'
import json, shlex, sys
d = json.load(open(sys.argv[1]))
for x in d["devices"]:
    if x["remedy"]:
        words = shlex.split(x["remedy"])
        if words[0] not in ("lvchange", "dmsetup", "qm", "pct"):
            sys.exit("FAIL: remedy is not one command: %r" % x["remedy"])
EOF2

# what if VM 8006's config were gone: the saved node against an edited copy
cp -a /etc/pve/. /tmp/pve-edit
rm /tmp/pve-edit/nodes/pve1/qemu-server/8006.conf
"$DMWATCH" scan --state /tmp/rules-state.json --pve-dir /tmp/pve-edit --json > /tmp/whatif.json || true
keep /tmp/whatif.json
expect /tmp/whatif.json vmdata-vm--120--disk--0 "tombstone no-guest 120"
expect /tmp/whatif.json vmdata-snap_vm--8006--disk--0_snap1.qcow2 "tombstone no-guest 8006"
expect /tmp/whatif.json thinvg-vm--130--fleece--0 "valid - 130"
# options that read this host are refused with a saved state
rc=0
"$DMWATCH" scan --state /tmp/rules-state.json --run-dir /run > /tmp/refused.txt 2>&1 || rc=$?
assert_eq 3 "$rc" "--run-dir with --state"
assert_eq 1 "$(wc -l < /tmp/refused.txt)" "one line"
