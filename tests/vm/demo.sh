#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: inside the VM, build a small Proxmox-like node (a thin pool with
# guest disks, guests under /etc/pve, one problem of each kind), show `dmwatch scan`,
# then show `dmwatch trace` watching a backup go wrong: a busy create, a classic
# snapshot filling up until it turns Invalid, and the backup's read errors on it.
. "$(dirname "$0")/lib.sh"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "building a demo node: VG pve (thin pool data), VG backup (classic snapshots)"
mkvg pve "$(mkloop 160)"
mkvg backup "$(mkloop 96)"
lvcreate -qq -L 64M -T pve/data
for lv in vm-100-disk-0 vm-101-disk-0 vm-101-disk-1 vm-105-disk-0 vm-300-disk-0; do
	lvcreate -qq -V 32M -T pve/data -n "$lv"
done
dd if=/dev/urandom of=/dev/pve/vm-100-disk-0 bs=1M count=30 oflag=direct status=none
dd if=/dev/urandom of=/dev/pve/vm-101-disk-0 bs=1M count=24 oflag=direct status=none
lvcreate -qq -L 32M -n vm-102-disk-0 backup
dm_create pve-vm--101--disk--0-dup "$(dmsetup table pve-vm--101--disk--0)"

pve_init pve1
mkdir -p /etc/pve/nodes/pve2/lxc
cat > /etc/pve/storage.cfg <<'EOF'
lvmthin: local-lvm
	thinpool data
	vgname pve
	content rootdir,images

lvm: Backup
	vgname backup
	content images
EOF
printf 'name: web\nscsi0: local-lvm:vm-100-disk-0,size=32M\n' > /etc/pve/qemu-server/100.conf
printf 'name: db\nscsi0: local-lvm:vm-101-disk-0,size=32M\n' > /etc/pve/qemu-server/101.conf
printf 'name: mail\nvirtio0: Backup:vm-102-disk-0,size=32M\n' > /etc/pve/qemu-server/102.conf
printf 'hostname: far\nrootfs: local-lvm:vm-300-disk-0,size=32M\n' > /etc/pve/nodes/pve2/lxc/300.conf

say "dmwatch scan   (VM 101 has a leftover disk and a -dup mapping, 105 has no guest, CT 300 lives on pve2)"
"$DMWATCH" scan --node pve1 || true

say "dmwatch trace  (a backup takes a 4 MiB snapshot of VM 102's disk while the VM keeps writing)"
out=/tmp/demo-trace.txt
"$DMWATCH" trace --interval 0.5 > "$out" 2>&1 &
tpid=$!
on_cleanup "kill $tpid 2>/dev/null"
wait_for_line "$out" "Hit Ctrl-C to end" 180
expect_fail dmsetup create pve-vm--101--disk--0-dup --table "0 8 zero" 2> /dev/null
lvcreate -qq -s -L 4M -n snap-102-0 backup/vm-102-disk-0
for i in 1 2 3 4 5 6; do
	dd if=/dev/urandom of=/dev/backup/vm-102-disk-0 bs=1M count=1 seek=$i oflag=direct status=none
	wait_until 5 grep -q "COW .*snap--102\|SNAP_INVALID" "$out" 2> /dev/null || true
done
dd if=/dev/backup/snap-102-0 of=/dev/null bs=1M count=1 iflag=direct status=none 2> /dev/null || true
lvremove -qq -y backup/snap-102-0
# (at 80 columns the name is cut: backup-snap--102~)
wait_for_line "$out" "remove .*backup-snap--102" 60
kill -INT "$tpid"
wait "$tpid" || true
cat "$out"
say "done: see README.md for what each column means"
