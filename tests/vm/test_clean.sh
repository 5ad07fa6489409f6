#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dmwatch clean / restore on real devices: tombstones and a duplicate are cleaned
# (lvchange -an where LVM knows the LV, dm remove otherwise); an open device, a held
# device and a running guest's device are refused; a device opened, or a volume a
# config starts to reference, between the plan and the act is skipped (clean reads
# and classifies again); without LVM data clean refuses to run; LVM is told of no
# leaked descriptor; restore brings back byte-identical tables and refuses a
# hostile journal without changing anything, and recreates no mapping over storage
# someone else uses now (a new LV on the stale mapping's extents, the LV a removed
# duplicate copied).
. "$(dirname "$0")/lib.sh"

mkvg pve "$(mkloop 96)"
lvcreate -qq -L 48M -T pve/data
for lv in vm-101-disk-0 vm-101-disk-9 vm-102-disk-0 vm-104-disk-0 vm-105-disk-0 \
	  vm-106-disk-0 vm-107-disk-0 vm-109-disk-0; do
	lvcreate -qq -V 16M -T pve/data -n "$lv"
done
mkvg other "$(mkloop 32)"
# a stale mapping: LV removed behind dm's back
lvcreate -qq -L 4M -n vm-108-disk-0 other
stale_table=$(dmsetup table other-vm--108--disk--0)
stale_uuid=$(dmsetup info -c --noheadings -o uuid other-vm--108--disk--0)
lvremove -qq -y other/vm-108-disk-0
dm_create other-vm--108--disk--0 "$stale_table" --uuid "$stale_uuid"
# a duplicate of (stopped) VM 102's disk, and one of running VM 101's
dm_create pve-vm--102--disk--0-dup "$(dmsetup table pve-vm--102--disk--0)"
dm_create pve-vm--101--disk--0-dup "$(dmsetup table pve-vm--101--disk--0)"

pve_init pve1
cat > /etc/pve/storage.cfg <<'EOF'
lvmthin: local-lvm
	thinpool data
	vgname pve

lvm: other
	vgname other
EOF
printf 'name: web\nscsi0: local-lvm:vm-101-disk-0,size=16M\n' > /etc/pve/qemu-server/101.conf
printf 'name: db\nscsi0: local-lvm:vm-102-disk-0,size=16M\n' > /etc/pve/qemu-server/102.conf
# VM 101 runs: its unreferenced vm-101-disk-9 must not be touched
mkdir -p /run/qemu-server
sh -c 'sleep 600; :' kvm -id 101 &
echo $! > /run/qemu-server/101.pid
on_cleanup "kill $! 2>/dev/null; rm -rf /run/qemu-server"

# vm-105 is open; vm-106 has a device stacked on it
sleep 600 < /dev/mapper/pve-vm--105--disk--0 &
opener=$!
on_cleanup "kill $opener 2>/dev/null"
dm_create holder-of-106 "0 8192 linear /dev/mapper/pve-vm--106--disk--0 0"

jdir=/tmp/journal
# 0. without LVM data nothing can tell a disk from its copy: refused, one line
rc=0
"$DMWATCH" clean --node pve1 --no-lvm --journal-dir "$jdir" < /dev/null > /tmp/nolvm.txt 2>&1 || rc=$?
assert_eq 3 "$rc" "clean --no-lvm"
assert_eq 1 "$(wc -l < /tmp/nolvm.txt)" "clean --no-lvm says one line"
mkdir -p /tmp/badlvm
echo 'this is { not lvm.conf' > /tmp/badlvm/lvm.conf
rc=0
LVM_SYSTEM_DIR=/tmp/badlvm "$DMWATCH" clean --node pve1 --yes --journal-dir "$jdir" \
	< /dev/null > /tmp/lvsfail.txt 2>&1 || rc=$?
cat /tmp/lvsfail.txt >&2
assert_eq 3 "$rc" "clean with lvs failing"
assert_contains /tmp/lvsfail.txt "LVM could not be read"
dmsetup info pve-vm--102--disk--0-dup > /dev/null
dmsetup info other-vm--108--disk--0 > /dev/null

# 1. no tty, no --yes: the plan only, nothing changes
rc=0
"$DMWATCH" clean --node pve1 --journal-dir "$jdir" < /dev/null > /tmp/plan.txt 2>&1 || rc=$?
cat /tmp/plan.txt >&2
assert_eq 1 "$rc" "dry run exit (some refused)"
assert_contains /tmp/plan.txt "Dry run: nothing changed"
assert_contains /tmp/plan.txt "refused: it is open"
assert_contains /tmp/plan.txt "refused: other devices are stacked on it"
assert_contains /tmp/plan.txt "refused: guest 101 is running"
dmsetup info pve-vm--104--disk--0 > /dev/null
dmsetup info other-vm--108--disk--0 > /dev/null
[ ! -d "$jdir" ] || [ -z "$(ls "$jdir"/clean-* 2> /dev/null)" ] || die "dry run wrote a journal"

# 2. interactive, on a pty: answer y to everything, but open vm-107 right after
#    its question: the re-check before acting must skip it; and make VM 102's config
#    reference vm-104 right after its question: the fresh verdict is valid, skipped
mkfifo /tmp/answers
script -qfec "$DMWATCH clean --node pve1 --journal-dir $jdir" /tmp/clean.typescript < /tmp/answers > /dev/null 2>&1 &
cpid=$!
exec 4> /tmp/answers
n=0
while :; do
	n=$((n + 1))
	if ! wait_until 120 sh -c "[ \$(grep -c '\[y/N\]' /tmp/clean.typescript) -ge $n ] || grep -q 'planned:' /tmp/clean.typescript"; then
		die "clean did not ask question $n"
	fi
	grep -q 'planned:' /tmp/clean.typescript && break
	if grep '\[y/N\]' /tmp/clean.typescript | sed -n "${n}p" | grep -q 'vm--107'; then
		sleep 600 < /dev/mapper/pve-vm--107--disk--0 &
		on_cleanup "kill $! 2>/dev/null"
	fi
	if grep '\[y/N\]' /tmp/clean.typescript | sed -n "${n}p" | grep -q 'vm--104'; then
		echo 'unused0: local-lvm:vm-104-disk-0' >> /etc/pve/qemu-server/102.conf
	fi
	echo y >&4
done
exec 4>&-
wait "$cpid" || true
tr -d '\r' < /tmp/clean.typescript > /tmp/clean.txt
cat /tmp/clean.txt >&2
keep /tmp/plan.txt /tmp/clean.txt "$jdir"

assert_contains /tmp/clean.txt "duplicate pve-vm--102--disk--0-dup"
assert_contains /tmp/clean.txt "skipped: it is open .*changed since the plan"
assert_contains /tmp/clean.txt "skipped: its verdict is now valid"
dmsetup info pve-vm--104--disk--0 > /dev/null
# LVM tools inherit no descriptor of ours
assert_not_contains /tmp/clean.txt "leaked"
expect_fail dmsetup info pve-vm--102--disk--0-dup
# the running guest's duplicate is left for a maintenance window
dmsetup info pve-vm--101--disk--0-dup > /dev/null
expect_fail dmsetup info other-vm--108--disk--0
# vm-109 still exists in LVM: deactivated (by uuid), not removed from metadata
expect_fail dmsetup info pve-vm--109--disk--0
lvs pve/vm-109-disk-0 > /dev/null
# refused ones are untouched
dmsetup info pve-vm--105--disk--0 > /dev/null
dmsetup info pve-vm--106--disk--0 > /dev/null
dmsetup info pve-vm--101--disk--9 > /dev/null
dmsetup info pve-vm--107--disk--0 > /dev/null
# the duplicate was shown (and acted on) before the tombstones
dup_line=$(grep -n "^duplicate" /tmp/clean.txt | head -n 1 | cut -d: -f1)
tomb_line=$(grep -n "^tombstone" /tmp/clean.txt | head -n 1 | cut -d: -f1)
[ "$dup_line" -lt "$tomb_line" ] || die "duplicates must come first"

journal=$(ls "$jdir"/clean-*.json)
assert_contains "$journal" '"action": ?"dm-remove"'
assert_contains "$journal" '"action": ?"lvchange-an"'

# 3. a second clean (whatever its journal dir) or a restore while the host lock is
#    held is refused
exec 5>> /run/lock/dmwatch-clean.lock
flock -n 5
rc=0
"$DMWATCH" clean --node pve1 --journal-dir /tmp/elsewhere --yes > /tmp/locked.txt 2>&1 || rc=$?
assert_eq 3 "$rc" "clean with the lock held"
assert_contains /tmp/locked.txt "another dmwatch clean or restore is running"
rc=0
"$DMWATCH" restore "$(ls "$jdir"/clean-*.json)" > /tmp/locked2.txt 2>&1 || rc=$?
assert_eq 3 "$rc" "restore with the lock held"
exec 5>&-


# 4. a hostile journal: each bad entry refuses the whole journal, nothing changes
dmsetup ls | sort > /tmp/dm-before.txt
python3 - "$journal" /tmp/hostile <<'EOF'
import copy, json, sys
good = json.load(open(sys.argv[1]))
dm = next(e for e in good if e["action"] == "dm-remove")
lv = next(e for e in good if e["action"] == "lvchange-an")
def bad(n, entry):
    json.dump(good + [entry], open("%s-%d.json" % (sys.argv[2], n), "w"))
e = copy.deepcopy(dm); e["name"] = "../../dev/sda"; bad(1, e)
e = copy.deepcopy(dm); e["name"] = "x\nforged"; bad(2, e)
e = copy.deepcopy(dm); e["table"][0]["params"] += "\n0 8 linear /dev/sda 0"; bad(3, e)
e = copy.deepcopy(dm); e["table"][0]["start"] = 8; bad(4, e)
e = copy.deepcopy(dm); e["table"][0]["type"] = "linear;rm -rf /"; bad(5, e)
e = copy.deepcopy(lv); e["vg"] = "--config=devices{filter=[]}"; bad(6, e)
e = copy.deepcopy(lv); e["lv"] = "$(reboot)"; bad(7, e)
e = copy.deepcopy(dm); e["action"] = "format"; bad(8, e)
e = copy.deepcopy(dm); e["table"] = "0 8 linear /dev/sda 0"; bad(9, e)
EOF
for n in 1 2 3 4 5 6 7 8 9; do
	rc=0
	"$DMWATCH" restore "/tmp/hostile-$n.json" > /tmp/hostile.txt 2>&1 || rc=$?
	cat /tmp/hostile.txt >&2
	assert_eq 3 "$rc" "hostile journal $n"
	assert_eq 1 "$(wc -l < /tmp/hostile.txt)" "hostile journal $n: one line"
	assert_eq "$(dmsetup ls | sort)" "$(cat /tmp/dm-before.txt)" "hostile journal $n changed dm"
done
# a mapping whose extents another LV owns now is not recreated
lvcreate -qq -L 4M -n squatter other
rc=0
"$DMWATCH" restore "$journal" > /tmp/conflict.txt 2>&1 || rc=$?
cat /tmp/conflict.txt >&2
assert_eq 1 "$rc" "restore over a new owner"
assert_contains /tmp/conflict.txt "other-vm--108--disk--0: refused: its extents now belong to LV other/squatter"
expect_fail dmsetup info other-vm--108--disk--0
assert_not_contains /tmp/conflict.txt "leaked"
lvremove -qq -y other/squatter

# 5. restore: the stale mapping comes back with its table and uuid, the LV is active
#    again; the duplicate is not recreated: its storage is vm-102-disk-0's
rc=0
"$DMWATCH" restore "$journal" > /tmp/restore.txt 2>&1 || rc=$?
cat /tmp/restore.txt >&2
assert_eq 1 "$rc" "restore with the duplicate refused"
assert_not_contains /tmp/restore.txt "leaked"
assert_contains /tmp/restore.txt "pve-vm--102--disk--0-dup: refused: mapping pve-vm--102--disk--0 maps the same storage now"
expect_fail dmsetup info pve-vm--102--disk--0-dup
assert_eq "$(dmsetup table other-vm--108--disk--0)" "$stale_table" "restored stale table"
assert_eq "$(dmsetup info -c --noheadings -o uuid other-vm--108--disk--0)" "$stale_uuid" "restored uuid"
dmsetup info pve-vm--109--disk--0 > /dev/null
# restoring again is harmless
rc=0
"$DMWATCH" restore "$journal" > /tmp/again.txt || rc=$?
assert_contains /tmp/again.txt "other-vm--108--disk--0: exists already"
# bad journal: exit 3
echo '{"not":"a journal"}' > /tmp/bad.json
rc=0
"$DMWATCH" restore /tmp/bad.json 2> /tmp/bad.err || rc=$?
assert_eq 3 "$rc" "restore of a bad journal"

# 6. a name the kernel holds raw (dmsetup --manglename none), a copy of stopped VM
#    104's disk: clean removes it (by default libdevmapper would mangle the name and
#    find no such device), the journal says the name is raw, and restore brings it
#    back under the same bytes once VM 104's own mapping is gone
odd=$'odd name \xff\x01\xc3\xa9'
dmsetup --manglename none create "$odd" --table "$(dmsetup table pve-vm--104--disk--0)"
on_cleanup "dmsetup --manglename none remove $(printf %q "$odd") 2> /dev/null"
odd_table=$(dmsetup --manglename none table "$odd")
rc=0
"$DMWATCH" clean --node pve1 --yes --journal-dir /tmp/journal6 > /tmp/odd-clean.txt 2>&1 || rc=$?
cat /tmp/odd-clean.txt >&2
assert_contains /tmp/odd-clean.txt "action: dmsetup --manglename none remove \\$'odd name"
expect_fail dmsetup --manglename none info "$odd"
dmsetup info pve-vm--104--disk--0 > /dev/null
journal6=$(ls /tmp/journal6/clean-*.json)
keep "$journal6"
python3 - "$journal6" <<'EOF' || die "the journal does not say the removed name was raw"
import json, sys
entries = json.load(open(sys.argv[1]))
raw = [e for e in entries if e.get("name_unmangled") is True]
assert len(raw) == 1 and raw[0]["action"] == "dm-remove", entries
assert bytes.fromhex(raw[0]["name_hex"]) == b"odd name \xff\x01\xc3\xa9", raw[0]
assert all("name_unmangled" not in e for e in entries if e is not raw[0]), entries
EOF
lvchange -an pve/vm-104-disk-0
rc=0
"$DMWATCH" restore "$journal6" > /tmp/odd-restore.txt 2>&1 || rc=$?
cat /tmp/odd-restore.txt >&2
assert_contains /tmp/odd-restore.txt 'odd name \\xff\\x01é: restored'
assert_eq "$(dmsetup --manglename none table "$odd")" "$odd_table" "the raw-named copy restored"
dmsetup --manglename none remove "$odd"
log "a raw-stored name: cleaned, journalled as raw, restored under the same bytes"
