#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dmwatch doctor on the kernel this VM booted: it loads the BPF programs for real,
# and every kernel of the matrix (5.10, 6.1, 6.12, 7.x) must give the best plan:
# kprobes on dm-ioctl, BTF-typed block completion tracepoints, dm table events,
# request errors from block_rq_error where the kernel's BTF has it, and bio errors
# from dm core's dm_io_set_error where the kernel has it as a function.
# Its JSON and text agree with its exit code; the line it ends with goes to the
# log, for README's kernel table.
. "$(dirname "$0")/lib.sh"

rc=0
"$DMWATCH" doctor --json > /tmp/doctor.json 2> /tmp/doctor.err || rc=$?
keep /tmp/doctor.json /tmp/doctor.err
cat /tmp/doctor.json >&2
[ ! -s /tmp/doctor.err ] || { cat /tmp/doctor.err >&2; die "doctor wrote to stderr"; }
python3 - /tmp/doctor.json "$rc" "$(uname -r)" "$DM_MAJOR" "$(kernel_rq_hook)" "$(kernel_bio_hook)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rc, release, dm_major, rq_hook, bio_hook = (int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                                            sys.argv[5], sys.argv[6])
want = {"ok": 0, "degraded": 1, "cannot trace": 3}[d["verdict"]]
assert rc == want, "exit %d but verdict %s" % (rc, d["verdict"])
assert d["kernel"] == release, d["kernel"]
assert d["dm_major"] == dm_major, d["dm_major"]
assert d["btf"]["vmlinux"] and d["privileged"] and d["kprobes"]["available"]
for name, t in d["kprobes"]["targets"].items():
    assert t["count"] == 1 and not t["blacklisted"], (name, t)
assert d["lifecycle"] == "kprobes on dm-ioctl", d["lifecycle"]
assert d["io_hooks"] == "tp_btf block completion", d["io_hooks"]
assert d["rq_hook"] == rq_hook, (d["rq_hook"], rq_hook)
assert d["bio_hook"] == bio_hook, (d["bio_hook"], bio_hook)
assert d["table_events"] is True
assert d["verdict"] == "ok", d["notes"]
print("kernel %s: module BTF %s, lifecycle %s, I/O %s, bio errors %s, request errors %s, "
      "table events %s" % (release, "yes" if d["btf"]["modules"] else "no", d["lifecycle"],
                           d["io_hooks"], d["bio_hook"], d["rq_hook"], d["table_events"]),
      file=sys.stderr)
PY

# the text form says the same, and --no-load judges from the facts alone
"$DMWATCH" doctor > /tmp/doctor.txt
assert_contains /tmp/doctor.txt '^lifecycle +kprobes on dm-ioctl$'
assert_contains /tmp/doctor.txt "^request errors $(kernel_rq_hook) "
case $(kernel_bio_hook) in
dm_io_set_error) assert_contains /tmp/doctor.txt "^bio errors +fentry on dm core's dm_io_set_error " ;;
*) assert_contains /tmp/doctor.txt "^bio errors +block_bio_complete " ;;
esac

assert_contains /tmp/doctor.txt '^verdict: ok$'
"$DMWATCH" doctor --no-load --json > /tmp/doctor-noload.json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verdict"]=="ok", d' /tmp/doctor-noload.json

# not root: cannot trace, exit 3, the same one-line reason trace gives
expect_fail setpriv --reuid=65534 --regid=65534 --clear-groups "$DMWATCH" doctor
assert_eq 3 "$EXPECT_RC" "doctor exit as nobody"
expect_fail setpriv --reuid=65534 --regid=65534 --clear-groups "$DMWATCH" trace --duration 1 2> /tmp/trace-nobody.err
assert_eq 3 "$EXPECT_RC" "trace exit as nobody"
assert_contains /tmp/trace-nobody.err 'tracing needs root'
