#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Regenerates the seed corpora in tests/fuzz/corpus/<target>/ from the unit-test
# fixtures (tests/fixtures/**) and the strings the unit tests feed the parsers.
# Run from the top of the tree: tests/fuzz/gen-corpus.py [BUILD_DIR]
# (GEN_CORPUS_OUT: write there instead; `make check-corpus` compares the two)
# BUILD_DIR (default .output/fuzz) must hold libdmwatch.a (make fuzz-build) for the
# recorder seeds, which the real encoder writes (seed_recfmt.c).
#
# Seeds are named after what they are (sha1 suffix only to keep names unique), so
# a failing seed in `make fuzz`'s replay says what it was.
import glob
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys

TOP = os.getcwd()
FX = os.path.join(TOP, "tests/fixtures")
OUT = os.environ.get("GEN_CORPUS_OUT") or os.path.join(TOP, "tests/fuzz/corpus")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, ".output/fuzz")

corpus = {}


def add(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:48]
    tag = hashlib.sha1(data).hexdigest()[:8]
    corpus.setdefault(target, {})[f"{name}-{tag}"] = data


def read(rel):
    with open(os.path.join(FX, rel), "rb") as f:
        return f.read()


def dmsetup_lines(rel):
    """'name: start len type params' -> (name, len, type, params)"""
    for line in read(rel).decode().splitlines():
        m = re.match(r"^(\S+): (\d+) (\d+) (\S+) ?(.*)$", line)
        if m:
            yield m.group(1), int(m.group(3)), m.group(4), m.group(5)


# ---- dm names and uuids ----
state = json.loads(read("state/cluster.json"))
# one device of each kind is enough: the rest only differ in digits
KINDS = ("pve-root", "pve-data-tpool", "pve-data_tdata", "pve-vm--101--disk--0",
         "pve-vm--101--disk--0-dup", "pve-vm--101--disk--0p1", "ssd--ha01-vm--105--disk--0",
         "vmdata-vm--110--disk--0-real", "vmdata-snap--110--0", "luks-abc")
for d in state["devices"]:
    if d["name"] not in KINDS:
        continue
    add("fuzz_dmname", "name-" + d["name"], d["name"])
    if d["uuid"]:
        add("fuzz_dmname", "uuid-" + d["name"], d["uuid"])
for s in ["pve-vm--101--disk--0-real", "t1--ha07-vm--115--disk--0", "pve-data_tdata",
          "nodash", "-", "a-b-c-d", "pve-", "--", "pve---x",
          "aaaaaaaaaa-" + "a" * 116, "LVM-short", "CRYPT-LUKS2-abc",
          "LVM-" + "A" * 32 + "B" * 32 + "-tpool", "LVM-" + "A" * 32 + "B" * 32 + "-" + "l" * 30,
          "LVM-" + "A" * 32 + "B" * 32 + "-" + "l" * 31, "part1-LVM-" + "A" * 64,
          "snap_vm-101-disk-0_before", "base-100-disk-0/vm-102-disk-0", "vm-101-cloudinit",
          "vm-101-state-before-upgrade", "vm-999999999-disk-12", "vm-2147483648-disk-0",
          "snap_vm-101-disk-0_", "254:12", "4294967295:0", "8:-1"]:
    add("fuzz_dmname", "unit-" + s, s)

# ---- dm status lines ----
for name, length, typ, params in dmsetup_lines("status/pve-node.status"):
    add("fuzz_dm_status", f"fixture-{typ}-{name}", params)
for s in ["16/2097152", "Invalid", "Overflow", "Merge failed", "Unknown",
          "18446744073709551615/18446744073709551615 0",
          "3 10/100 100/100 - out_of_data_space discard_passdown error_if_no_space - 32",
          "3 10/100 50/100 77 ro ignore_discard queue_if_no_space needs_check 32",
          "Fail", "Error", "0 17/4096 0/1024 -", "5 17/4096 9/1024",
          "0 -", "-", "1 0 1 alua 1 1 A 0 3 0 8:16 F 2 8:32 F 1 65:0 F 7",
          "2 0 0 0 2 2 D 1 x 1 1 8:16 A 0 5 A 0 1 1 8:48 A 0 0", "2 3 0 0 0 0",
          "2 0 0 0 1 1 A 0 3 0 " + " ".join("%0127d F 1" % i for i in range(3))]:
    add("fuzz_dm_status", "unit-" + s, s)

# ---- dm table lines: "<length>\n<params>" ----
for name, length, typ, params in dmsetup_lines("status/pve-node.table"):
    add("fuzz_dm_table", f"fixture-{typ}-{name}", f"{length}\n{params}")
for length, s in [(4194304, "2 128 8:16 2048 8:32 4096"), (24, "3 8 8:16 0 8:32 0 8:48 0"),
                  (2, "8:3 18446744073709551615"), (8, "4294967295 8 8:16 0"),
                  (8, "254:4 7 254:20"), (8, "254:10 254:11 PO 16"),
                  (8, "254:10 254:11 P 8 2 discard_zeroes_cow discard_passdown_origin"),
                  (18446744073709551615, "8:3 1")]:
    add("fuzz_dm_table", "unit-" + s, f"{length}\n{s}")

# ---- dm ioctl answers, laid out as dm-ioctl.c lays them out ----
# fuzz_dmioctl's input: u32 data_start, data_size, target_count, flags (little
# endian, as on the machines this runs on), then the data after struct dm_ioctl.
DM_IOCTL_SIZE = 312
DM_ACTIVE_PRESENT, DM_STATUS_TABLE, DM_NOFLUSH = 1 << 5, 1 << 4, 1 << 11


def align8(b):
    return b + b"\0" * (-len(b) % 8)


def dm_answer(body, count=0, flags=0):
    return struct.pack("<4I", DM_IOCTL_SIZE, DM_IOCTL_SIZE + len(body), count, flags) + body


def dm_list(names):
    """LIST: dev, next, name, then event_nr and flags (DM_NAME_LIST_FLAG_HAS_UUID)"""
    recs = [align8(struct.pack("<QI4x", dev, 0)[:12] + name.encode() + b"\0")
            + struct.pack("<II", 1, 1) for dev, name in names]
    body = b""
    for i, r in enumerate(recs):
        nxt = len(r) if i + 1 < len(recs) else 0
        body += r[:8] + struct.pack("<I", nxt) + r[12:]
    return dm_answer(body)


def dm_targets(lines, flags):
    """TABLE or STATUS: spec (start, length, status, next, type), params, 8-aligned"""
    body = b""
    for start, length, typ, params in lines:
        spec = align8(struct.pack("<QQiI16s", start, length, 0, 0, typ.encode())
                      + params.encode() + b"\0")
        body += spec[:20] + struct.pack("<I", len(body) + len(spec)) + spec[24:]
    return dm_answer(body, len(lines), DM_ACTIVE_PRESENT | flags)


def dm_deps(devs):
    return dm_answer(struct.pack("<II", len(devs), 0) + b"".join(struct.pack("<Q", d) for d in devs))


def huge_dev(major, minor):
    return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)


def fixture_targets(rel):
    for line in read(rel).decode().splitlines():
        m = re.match(r"^(\S+): (\d+) (\d+) (\S+) ?(.*)$", line)
        if m:
            yield m.group(1), (int(m.group(2)), int(m.group(3)), m.group(4), m.group(5).rstrip())


add("fuzz_dmioctl", "list-cluster", dm_list(
    [(huge_dev(253, i), d["name"]) for i, d in enumerate(state["devices"][:12])]))
add("fuzz_dmioctl", "list-odd-names", dm_list(
    [(huge_dev(253, 0), "odd\\x20name"), (huge_dev(253, 300), "a" * 127), (huge_dev(253, 1), "")]))
add("fuzz_dmioctl", "list-empty", dm_list([(0, "")]))
add("fuzz_dmioctl", "list-no-data", dm_answer(b""))
for kind, rel, flags in (("table", "status/pve-node.table", DM_STATUS_TABLE),
                         ("status", "status/pve-node.status", DM_NOFLUSH)):
    for name, line in fixture_targets(rel):
        if name in ("pve-data-tpool", "pve-root"):
            add("fuzz_dmioctl", f"{kind}-{name}", dm_targets([line], flags))
add("fuzz_dmioctl", "table-two-targets", dm_targets(
    [(0, 8192, "linear", "7:0 2048"), (8192, 4096, "striped", "2 128 7:1 0 7:2 0")],
    DM_STATUS_TABLE))
add("fuzz_dmioctl", "table-none", dm_targets([], DM_STATUS_TABLE))
add("fuzz_dmioctl", "deps-two", dm_deps([huge_dev(7, 0), huge_dev(253, 4)]))
add("fuzz_dmioctl", "deps-none", dm_deps([]))

# ---- storage.cfg ----
for p in sorted(glob.glob(os.path.join(FX, "pve/*/storage.cfg"))):
    add("fuzz_storage_cfg", "fixture-" + os.path.relpath(p, FX), open(p, "rb").read())
add("fuzz_storage_cfg", "unit-malformed-stanzas",
    "# comment at the top\r\n\tcontent images\r\nlvm: novg\r\n\tcontent images\r\n\r\n"
    "lvmthin: nopool\n\tvgname pve\n\nlvm: good\n\tvgname VG0\n# a comment inside\n"
    "\tshared 0\nlvmthin: adjacent\n\tvgname pve\n\tthinpool data\n\nlvm good2\n"
    "\tvgname swallowed\n\nlvm: has space\n\nlvm: good\n\tvgname other\n\n"
    "dir: last-without-newline\n\tpath /srv")
add("fuzz_storage_cfg", "unit-only-garbage", "this is not a storage.cfg\n")

# ---- guest configs: type byte (0 qemu, 1 lxc) + text ----
for p in sorted(glob.glob(os.path.join(FX, "pve/**/*.conf*"), recursive=True)):
    lxc = b"\x01" if "/lxc/" in p else b"\x00"
    add("fuzz_guest_config", "fixture-" + os.path.relpath(p, FX), lxc + open(p, "rb").read())
for t in [b"\x00name: clone-of-100\nscsi0: local-lvm:base-100-disk-0/vm-102-disk-0,size=8G\n"
          b"virtio0: file=SSD-HA01:vm-102-disk-1,size=20G\n"
          b"virtio1: cache=none,file=local-lvm:vm-102-disk-2\n"
          b"sata1: local:102/vm-102-disk-3.qcow2,size=1G\n"
          b"sata2: local:100/base-100-disk-0.qcow2/102/vm-102-disk-4.qcow2\n"
          b"ide1: local:iso/virtio-win.iso,media=cdrom\nide3: cdrom,media=cdrom\n"
          b"sata3: file.iso,media=cdrom\n",
          b"\x01hostname: mail\nrootfs: local-zfs:subvol-200-disk-0,size=16G\n"
          b"mp0: volume=SSD-HA01:vm-200-disk-1,mp=/var/mail,size=50G\n"
          b"unused3: local-lvm:vm-200-disk-2\nscsi0: local-lvm:vm-200-disk-9\n[vzdump]\n"
          b"hostname: old\nrootfs: local-lvm:vm-200-disk-7,size=16G\n",
          b"\x00scsi0: ,,,\n[PENDING\n[ snap ]\nname: x\nscsi0: bad id!:vm-1-disk-0\n"
          b"lxc.x =\n\x01\x02\x03: \xff\n",
          b"\x00name: " + b"n" * 127 + b"\nscsi0: local-lvm:vm-101-disk-" + b"7" * 115 +
          b",size=1G\n[" + b"n" * 127 + b"]\nscsi0: local-lvm:vm-101-disk-0\n"]:
    add("fuzz_guest_config", "unit", t)

# ---- lvm fullreport ----
for p in ["lvm/fullreport-pve.json", "lvm/fullreport-raw.json", "lvm/fullreport-live.json",
          "lvm/fullreport-orphan.json", "lvm/fullreport-log.json", "lvm/fullreport-failed.json"]:
    add("fuzz_lvm_report", "fixture-" + os.path.basename(p), read(p))
ROW = ('{"vg_name":"pve", "vg_uuid":"V", "lv_name":"%s", "lv_uuid":"%s", '
       '"lv_attr":"-wi-a-----", "lv_size":"8192", "pool_lv":"", "origin":"", '
       '"data_percent":"", "metadata_percent":"", "thin_id":"", "seg_pe_ranges":"%s", '
       '"vg_extent_size":"8192"}')
PVS = ('"pv":[{"pv_name":"/dev/loop0", "pe_start":"2048"},'
       '{"pv_name":"/dev/loop1", "pe_start":"8192"}], ')
add("fuzz_lvm_report", "unit-bad-rows",
    '{"report":[{' + PVS + '"seg":[' + ROW % ("good1", "U1", "/dev/loop0:0-0") +
    ', 1, "row", null, [], {},' + ROW % ("nouuid", "", "/dev/loop0:1-1") +
    ',{"vg_name":"pve", "lv_name":"missing-uuid", "seg_pe_ranges":""},' +
    ROW % ("good2", "U2", "/dev/loop1:0-1 /dev/gone:0-1") + "]}]}")
add("fuzz_lvm_report", "unit-odd-values",
    '{"report":[{"seg":[{"vg_name":"pve", "lv_name":"v1", "lv_uuid":"U1", "lv_size":"-1", '
    '"data_percent":"101.00", "metadata_percent":"abc", "thin_id":"x"},'
    '{"vg_name":"pve", "lv_name":"v2", "lv_uuid":"U2", "lv_size":8192, '
    '"data_percent":50, "thin_id":"7", "pool_lv":null, "origin":[]},'
    '{"vg_name":"pve", "lv_name":"[v3]", "lv_uuid":"U3", '
    '"lv_size":"99999999999999999999999", "data_percent":"100.00", '
    '"metadata_percent":"0.00", "thin_id":"0"}]}]}')
for r in ["/dev/loop0:0-99999999999999999999", "/dev/loop0:5--9", "/dev/loop0:1-2x",
          "/dev/loop0:0-1 garbage /dev/loop1:0-1"]:
    add("fuzz_lvm_report", "unit-pe-ranges-" + r,
        '{"report":[{' + PVS + '"seg":[' + ROW % ("vm-100-disk-0", "U1", r) + "]}]}")
add("fuzz_lvm_report", "unit-hostile-names",
    ('{"report":[{' + PVS + '"seg":[' + ROW % ("vm\\u0000x", "U1", "/dev/loop0:0-0") + "," +
     ROW % ("ctl\\u0001\\u001b", "U2", "/dev/loop0:1-1") + "," +
     ROW % ("raw\xff", "U3", "/dev/lo\xffop1:0-1") + "]}]}").encode("latin-1"))
add("fuzz_lvm_report", "unit-two-vgs",
    '{"report":[{' + PVS + '"seg":[' + ROW % ("a", "U1", "/dev/loop0:0-0") + "]}, {"
    '"pv":[{"pv_name":"/dev/loop2", "pe_start":"4096"}], "seg":[' +
    ROW % ("b", "U2", "/dev/loop0:0-0 /dev/loop2:1-1") + "]}]}")
add("fuzz_lvm_report", "unit-no-vgs", '  {\n      "report": [\n      ]\n  }\n')
for s in ["{\"report\": [{\"seg\": [", "{\"report\":[{\"seg\":{}}]}", "[]"]:
    add("fuzz_lvm_report", "unit-wrong-shape", s)

# ---- saved states ----
# compact: smaller inputs mutate faster
add("fuzz_state", "fixture-cluster-compact", json.dumps(state, separators=(",", ":")))
small = dict(state)
small["devices"] = [d for d in state["devices"]
                    if d["name"] in ("pve-vm--101--disk--0", "pve-vm--101--disk--0-dup",
                                     "pve-data-tpool", "vmdata-snap--110--0")]
add("fuzz_state", "cluster-four-devices", json.dumps(small, separators=(",", ":")))
# one device of each kind with only the LVs, extents and guests it could concern
for d in state["devices"]:
    if d["name"] not in KINDS:
        continue
    vg = re.split(r"(?<!-)-(?!-)", d["name"])[0].replace("--", "-")
    one = dict(state)
    one["devices"] = [d]
    one["lvs"] = [lv for lv in state["lvs"] if lv["vg_name"] == vg]
    one["extents"] = [x for x in state["extents"] if x["vg_name"] == vg]
    one["guests"] = [g for g in state["guests"] if str(g["vmid"]) in d["name"]]
    one["problems"] = []
    add("fuzz_state", "one-device-" + d["name"], json.dumps(one, separators=(",", ":")))
add("fuzz_state", "empty",
    '{"schema":1,"kind":"dmwatch-state","host":"h","node":"h","dm_major":253,'
    '"have_dm":true,"have_lvm":false,"have_pve":false,"devices":[],"lvs":[],"extents":[],'
    '"storages":[],"guests":[],"problems":[]}')
add("fuzz_state", "not-json", "{\"schema\":1,")
# hostile names (issue 16): control bytes, ESC, bytes that are not UTF-8 (raw, as
# json-c wrote them, and as "_hex" companions), \u0000, an unsupported schema
HOSTILE_DEV = ('{"name":%s,%s"uuid":"","major":253,"minor":%d,"open_count":0,"event_nr":0,'
               '"suspended":false,"read_only":false,"live_table":true,"table":[{"start":0,'
               '"length":8,"type":"linear","params":"7:0 %d"}],"status":[],"deps":[1792]}')
HOSTILE_HEAD = ('{"schema":%d,"kind":"dmwatch-state","host":"h\\u001b]0;x\\u0007",'
                '"node":"h","dm_major":253,"have_dm":true,"have_lvm":false,"have_pve":false,'
                '"devices":[%s],"lvs":[],"extents":[],"storages":[],"guests":[],'
                '"problems":[{"source":"/etc/pve/qemu-server/101.conf",'
                '"message":"bad line \\u0001\\u0002\\ufffd","message_hex":"626164206c696e65200102ff"}]}')
hostile = [('"ctl\\u0001\\u0002\\ufffd"', '"name_hex":"63746c0102ff",'),
           ('"esc\\u001b[2J"', ''), (b'"raw\xff\xc3("'.decode("latin-1"), ''),
           ('"\\ufffd\\ufffd"', '"name_hex":"fffe",')]
devs = ",\n".join(HOSTILE_DEV % (n, h, i, i) for i, (n, h) in enumerate(hostile))
add("fuzz_state", "hostile-names", (HOSTILE_HEAD % (1, devs)).encode("latin-1"))
add("fuzz_state", "nul-in-name", HOSTILE_HEAD % (1, HOSTILE_DEV % ('"a\\u0000b"', '', 0, 0)))
add("fuzz_state", "schema-2", HOSTILE_HEAD % (2, ""))
gen = os.path.join(TOP, ".output/tools/gen-state")
if os.access(gen, os.X_OK):
    tmp = "/tmp/gen-state-seed.json"
    subprocess.run([gen, "-q", "30", "10", tmp], check=True, stderr=subprocess.DEVNULL)
    add("fuzz_state", "gen-state-30-10",
        json.dumps(json.load(open(tmp)), separators=(",", ":")))
    os.unlink(tmp)

# ---- recorder segments (written by the real encoder) ----
lib = os.path.join(BUILD, "libdmwatch.a")
if os.path.exists(lib):
    seeddir = "/tmp/seed-recfmt.d"
    shutil.rmtree(seeddir, ignore_errors=True)
    os.makedirs(seeddir)
    pkg = subprocess.run(["pkg-config", "--libs", "zlib", "yajl", "devmapper"],
                         check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["clang", "-g", "-fsanitize=address,undefined", "-Isrc", "-Iinclude",
                    "tests/fuzz/seed_recfmt.c", lib] + pkg + ["-lm", "-o", seeddir + "/gen"],
                   check=True)
    subprocess.run([seeddir + "/gen", seeddir], check=True)
    for f in sorted(os.listdir(seeddir)):
        if f != "gen":
            add("fuzz_recfmt", f, open(os.path.join(seeddir, f), "rb").read())
    shutil.rmtree(seeddir)
else:
    print(f"gen-corpus: no {lib}: recorder seeds not regenerated", file=sys.stderr)
# the same block payloads build histories in fuzz_postmortem (mode byte 1 = history)
for name, data in list(corpus.get("fuzz_recfmt", {}).items()):
    if name.startswith("raw-"):
        add("fuzz_postmortem", "history-" + name.rsplit("-", 1)[0], data)
for p in sorted(glob.glob(os.path.join(FX, "recorder/*.txt"))):
    add("fuzz_postmortem", "text-" + os.path.basename(p), b"\x00" + open(p, "rb").read())
add("fuzz_postmortem", "text-times",
    "\x00" + "\n".join(["2025-10-27 05:38:02", "2025-10-27T07:38:02+02:00",
                         "2025-10-27 05:38:02,123456", "@1761543482.5", "-10m", "-1w", "now",
                         "Oct 27 05:38:02 2025", "05:38:02", "2025-03-30 02:30:00",
                         "2025-10-26 02:30:00", "/dev/dm-54", "254:54", "dm-0"]))
add("fuzz_recfmt", "empty-segment", b"\x00")
add("fuzz_recfmt", "garbage-then-magic", b"\x00garbageDMWB" + b"\x00" * 40)

# fuzz_uevent's input: byte 0 bit 0 (sysfs names dm-N from the start), then kernel
# uevent messages separated by 0xff, as dm and the block layer send them
def uevent(action, minor, dm_name=None, dm_uuid=None, devname=None, major=254, sub="block"):
    dev = devname or f"dm-{minor}"
    f = [f"{action}@/devices/virtual/block/{dev}", f"ACTION={action}",
         f"DEVPATH=/devices/virtual/block/{dev}", f"SUBSYSTEM={sub}", f"MAJOR={major}",
         f"MINOR={minor}", f"DEVNAME={dev}", "DEVTYPE=disk", "SEQNUM=4242"]
    if dm_name is not None:
        f += [f"DM_NAME={dm_name}", "DM_COOKIE=0", "DM_SUSPENDED=0"]
    if dm_uuid is not None:
        f += [f"DM_UUID={dm_uuid}"]
    return "\0".join(f).encode() + b"\0"


def uevents(flags, msgs):
    return bytes([flags]) + b"\xff".join(msgs)


# 5.10: the disk is added at create, before dm names it
add("fuzz_uevent", "linux-5.10-create-rename-remove", uevents(0, [
    uevent("add", 0), uevent("change", 0, "dmw-uev"), uevent("change", 0, "dmw-uev2"),
    uevent("remove", 0, "dmw-uev2"), uevent("remove", 0)]))
# 5.15+: added at the first table load, named by then
add("fuzz_uevent", "linux-6.1-lvm-lv", uevents(1, [
    uevent("add", 3), uevent("change", 3, "pve-vm--101--disk--0", "LVM-" + "a" * 64),
    uevent("remove", 3, "pve-vm--101--disk--0", "LVM-" + "a" * 64), uevent("remove", 3)]))
add("fuzz_uevent", "created-never-named-removed", uevents(0, [uevent("add", 7), uevent("remove", 7)]))
add("fuzz_uevent", "not-dm", uevents(1, [uevent("add", 0, devname="loop0", major=7),
                                         uevent("add", 1, sub="net")]))
add("fuzz_uevent", "bad-numbers", uevents(0, [uevent("add", 99999999), uevent("change", 1, "x", major=-1)]))

# A segment file carries the time it was written, so rewriting the seg-* seeds would
# change them on every run: keep the checked-in ones unless they are gone.
def kept(d, name):
    prefix = name.rsplit("-", 1)[0] + "-"
    return [f for f in os.listdir(d) if f.startswith(prefix)] if os.path.isdir(d) else []


for target, files in sorted(corpus.items()):
    d = os.path.join(OUT, target)
    keep = set()
    if target in ("fuzz_recfmt", "fuzz_postmortem") and not os.path.exists(lib) and os.path.isdir(d):
        keep = set(os.listdir(d))  # no encoder to rewrite them with: keep them all
    if target == "fuzz_recfmt":
        for name in list(files):
            old = kept(d, name)
            if name.startswith("seg-") and old:
                del files[name]
                keep.update(old)
    if os.path.isdir(d):
        # kept-*: seeds written by hand or from unit-test logs, not made here
        keep.update(f for f in os.listdir(d) if f.startswith("kept-"))
        for f in os.listdir(d):
            if f not in keep:
                os.unlink(os.path.join(d, f))
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(set(files) | keep)} seeds")
