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
# A scan writes nothing of LVM's: with its metadata backups gone (as after a restore
# from an old image), `vgs` and `lvm fullreport` write them again and archive (lvs
# does not); the scan's report must not.
rm -f /etc/lvm/backup/* /etc/lvm/archive/*
"$DMWATCH" scan --node pve1 --json --save-state /tmp/state.json > "$json" || rc=$?
keep "$json" /tmp/state.json
assert_eq 2 "$rc" "scan exit code"
written=$(find /etc/lvm/backup /etc/lvm/archive -type f 2> /dev/null)
[ -z "$written" ] || die "the scan made LVM write its backups: $written"
vgs > /dev/null
[ -n "$(find /etc/lvm/backup -type f)" ] || die "vgs wrote no backup either: the check above proves nothing"
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

# One odd name must not blind the scan. dmsetup --manglename none stores a name
# with a space, a byte that is not UTF-8 and a control byte as it is; libdevmapper
# then refuses to list any device in its default mode (dmsetup ls fails too). The
# odd device maps the same thin device as VM 101's disk, so it is a duplicate with
# a fix line: every other device keeps its verdict, the odd one is listed escaped
# with what is wrong with its name, and its printed command removes it.
odd=$'odd name \xff\x01\xc3\xa9'
dmsetup --manglename none create "$odd" --table "$(dmsetup table pve-vm--101--disk--0)"
on_cleanup "dmsetup --manglename none remove $(printf %q "$odd") 2> /dev/null"
expect_fail dmsetup ls > /dev/null 2>&1
rc=0
"$DMWATCH" scan --node pve1 --json --save-state /tmp/odd-state.json > /tmp/odd.json 2> /tmp/odd.err || rc=$?
cat /tmp/odd.err >&2
assert_eq 2 "$rc" "scan with one odd name: exit code"
rc=0
"$DMWATCH" scan --node pve1 -v > /tmp/odd.txt 2>> /tmp/odd.err || rc=$?
assert_eq 2 "$rc" "scan table with one odd name: exit code"
"$DMWATCH" scan --state /tmp/odd-state.json --json > /tmp/odd2.json || true
diff -u /tmp/odd.json /tmp/odd2.json >&2 || die "--state round trip of the odd name differs"
PYTHONPATH="$REPO/tests/vm" PYTHONDONTWRITEBYTECODE=1 python3 - "$json" /tmp/odd.json /tmp/odd.txt /tmp/odd.err /tmp/odd-state.json <<'EOF'
import json, re, subprocess, sys
from textcheck import need, no_raw_control
before_path, json_path, txt_path, err_path, state_path = sys.argv[1:]
odd = b"odd name \xff\x01\xc3\xa9"
# JSON: strict UTF-8, the odd name shown with U+FFFD and \u0001
d = json.loads(open(json_path, "rb").read().decode("utf-8", errors="strict"))
devs = {x["name"]: x for x in d["devices"]}
shown = "odd name \ufffd\u0001\u00e9"
need(shown in devs, "odd device missing: %s" % sorted(devs))
me = devs[shown]
need((me["class"], me["severity"]) == ("duplicate", "critical"), "odd device verdict %s" % me)
need(any("odd name" in p["message"] and "--manglename none" in p["message"]
         for p in d["problems"]), "no problem says what is wrong: %s" % d["problems"])
# every other device judged as before
before = {x["name"]: x for x in json.load(open(before_path))["devices"]}
for name, b in before.items():
    need(name in devs, "device %s no longer judged" % name)
    got = devs[name]
    need((got["class"], got["reason"], got["severity"]) ==
         (b["class"], b["reason"], b["severity"]), "verdict of %s changed: %s" % (name, got))
# the saved state keeps the raw bytes and that the name is stored unmangled
st = json.loads(open(state_path, "rb").read().decode("utf-8", errors="strict"))
need(any(x.get("name_unmangled") is True for x in st["devices"]), "name_unmangled not saved")
# table and -v messages: no raw control byte, valid UTF-8, the odd name escaped
no_raw_control(txt_path, err_path)
table = open(txt_path, encoding="utf-8").read()
need("odd name \\xff\\x01\u00e9" in table, "odd name not shown escaped in the table")
# its fix line: one command that a shell parses back into the right argv
fixes = [l.split("fix:", 1)[1].strip() for l in table.splitlines()
         if "fix:" in l and "manglename" in l]
need(len(fixes) == 1, "fix lines for the odd device: %s" % fixes)
need(fixes[0] == me["remedy"], "table fix %r != JSON remedy %r" % (fixes[0], me["remedy"]))
argv = subprocess.run(["bash", "-c", 'eval "set -- $1"; printf "%s\\0" "$@"', "_", fixes[0]],
                      check=True, capture_output=True).stdout.split(b"\0")[:-1]
need(argv == [b"dmsetup", b"--manglename", b"none", b"remove", odd],
     "fix line %r parses to %r" % (fixes[0], argv))
need(subprocess.run(["bash", "-n", "-c", fixes[0]]).returncode == 0, "sh -n refuses the fix")
open("/tmp/odd-fix.sh", "w").write(fixes[0] + "\n")
EOF
# and that command, run as printed, removes the odd device and only it
bash /tmp/odd-fix.sh
dmsetup info pve-vm--101--disk--0 > /dev/null || die "VM 101's disk went too"
dmsetup ls > /dev/null || die "dmsetup ls still fails after the odd device was removed"
log "one odd name: listed escaped, the rest judged as before, its fix removes it"

# --- LVM missing, or failing: dm is still read, one problem says why -------------
# (lvm runs on the job's own thread: its absence or its failure must come back to
# the scan as a problem, never as a hang or a crash)
ndm=$(dmsetup ls | grep -vc '^No devices found')
fake=$(mktemp -d)
printf '#!/bin/sh\necho "{\\"report\\": ["\nexit 5\n' > "$fake/lvm"
chmod +x "$fake/lvm"
mkdir "$fake/empty"
for how in missing failing; do
	dir=$fake/empty
	[ "$how" = missing ] || dir=$fake
	rc=0
	PATH=$dir "$DMWATCH" scan --json > /tmp/lvm-$how.json 2> /tmp/lvm-$how.err || rc=$?
	[ "$rc" != 3 ] || die "scan with LVM $how could not run: $(cat /tmp/lvm-$how.err)"
	python3 - /tmp/lvm-$how.json "$how" "$ndm" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		want = {"missing": "LVM tools not installed",
		        "failing": "lvm fullreport failed; LVM checks skipped"}[sys.argv[2]]
		lvm = [p["message"] for p in d["problems"] if p["source"] == "lvm"]
		if lvm != [want]:
		    sys.exit("FAIL: LVM %s: lvm problems %r, want [%r]" % (sys.argv[2], lvm, want))
		if len(d["devices"]) != int(sys.argv[3]):
		    sys.exit("FAIL: LVM %s: %d devices listed, dmsetup has %s" %
		             (sys.argv[2], len(d["devices"]), sys.argv[3]))
	EOF
done
log "LVM missing or failing: every dm device listed, one problem says which"

# --- LVM's verdict from its own command log, before lvm exits ------------------
# The real lvm, wrapped. Vouched: its report's log says success, so the scan takes the
# rows when the report closes, not when lvm exits (here it holds the pipe for 60 s
# more). Not vouched: the same lvm asked for a VG that does not exist prints the whole
# report, logs the failure in it and exits 5; the scan waits for that and skips LVM.
real_lvm=$(command -v lvm)
"$DMWATCH" scan --json > /tmp/lvm-plain.json || :
printf '#!/bin/sh\n"%s" "$@"; rc=$?; sleep 60; exit $rc\n' "$real_lvm" > "$fake/lvm"
t0=${EPOCHREALTIME/./}
PATH=$fake:$PATH "$DMWATCH" scan --json > /tmp/lvm-slow.json || :
t1=${EPOCHREALTIME/./}
[ $(((t1 - t0) / 1000000)) -lt 30 ] || die "scan waited $(((t1 - t0) / 1000)) ms for lvm to exit"
pkill -f "sleep 60" || :
printf '#!/bin/sh\nexec "%s" "$@" nosuchvg\n' "$real_lvm" > "$fake/lvm"
PATH=$fake:$PATH "$DMWATCH" scan --json > /tmp/lvm-refused.json || :
python3 - /tmp/lvm-plain.json /tmp/lvm-slow.json /tmp/lvm-refused.json /tmp/lvm-failing.json <<-'EOF'
	import json, sys
	plain, slow, refused, failing = (json.load(open(f)) for f in sys.argv[1:5])
	def lvm_problems(d):
	    return [p["message"] for p in d["problems"] if p["source"] == "lvm"]
	def verdicts(d):
	    return sorted((x["name"], x["class"], x["reason"]) for x in d["devices"])
	if lvm_problems(plain) or lvm_problems(slow):
	    sys.exit("FAIL: LVM problems %r / %r" % (lvm_problems(plain), lvm_problems(slow)))
	if verdicts(slow) != verdicts(plain):
	    sys.exit("FAIL: rows taken before lvm exited judge otherwise: %r" %
	             (set(verdicts(slow)) ^ set(verdicts(plain))))
	if lvm_problems(refused) != ["lvm fullreport failed; LVM checks skipped"]:
	    sys.exit("FAIL: lvm exited 5 after a whole report: %r" % lvm_problems(refused))
	if verdicts(refused) != verdicts(failing) or verdicts(refused) == verdicts(plain):
	    sys.exit("FAIL: a report lvm failed was used")
EOF
rm -rf "$fake"
log "LVM's command log vouches: rows taken before lvm exits; a failure it logs waits for lvm's status"
log "scan scenario: all verdicts as expected"
