#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
The JSON contract of docs/ against real output (make check-schema).

1. Real documents, made by the dmwatch binary and its tools:
   - saved states: every tests/fixtures/state/*.json, tests/schema/degraded-node.json
     (a node in trouble: failed pools, broken snapshots, dead paths, unreadable
     inputs), states written by tools/gen-state, and what `scan --state F
     --save-state OUT` writes back;
   - scan reports: `scan --state F --json` for each of those states (and with
     another --node and low thresholds), whose "exit" must be the exit status;
   - event lines: `report --json` over the seed 002 fixture log, a bench-record
     mix and the log tests/schema/gen-events writes (every event type, source
     and optional field).
   Each must be strict JSON (valid UTF-8, no duplicate keys, no NaN) and valid
   against docs/schema/*.schema.json. Every event type, class, reason, space
   kind and guest health the schemas name must show up at least once, so every
   branch of a schema meets real output.
2. Mutated copies that must fail: every value of a real document retyped, every
   key renamed (unless the schema lists it as optional), and hand-picked wrong
   enum values. A mutated saved state must also be refused by `dmwatch scan
   --state` (exit 3): the schema and the loader agree.

`check.py --validate scan|event|state FILE...` only validates files (event: JSON
lines), e.g. what a VM scenario got from the real kernel.
"""
import argparse
import copy
import glob
import json
import os
import shutil
import subprocess
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit("check-schema: python3-jsonschema is missing (make deps installs it)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCHEMA_DIR = os.path.join(ROOT, "docs", "schema")

# keys a document may lack; renaming them leaves it valid ("[]" = any element)
OPTIONAL = {
    "scan": set(),
    "event": {"lower_dev"},
    "state": {"kind", "host", "node", "collected_at", "lvs[].data_percent",
              "lvs[].metadata_percent", "storages[].vgname", "storages[].thinpool",
              "guests[].name", "guests[].config_error", "devices[].name_unmangled", "guests[].refs[].snapshot"},
}
# mutations the schema refuses but the loader does not look at
LOADER_IGNORES = {"kind"}


class Failed(Exception):
    pass


failures = []
counts = {"documents": 0, "mutations": 0, "loader": 0}


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


# ---- strict JSON ----

def no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError("key %r given twice" % k)
        obj[k] = v
    return obj


def no_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse(text, where):
    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except ValueError as e:
        raise Failed("%s: not strict JSON: %s" % (where, e))


def decode(data, where):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failed("%s: not valid UTF-8: %s" % (where, e))


# ---- validation ----

def load_validators():
    v = {}
    for name in ("scan", "event", "state"):
        path = os.path.join(SCHEMA_DIR, name + ".schema.json")
        with open(path, "rb") as f:
            schema = parse(decode(f.read(), path), path)
        Draft202012Validator.check_schema(schema)
        v[name] = Draft202012Validator(schema)
    return v


def first_error(validator, doc):
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if not errs:
        return None
    e = errs[0]
    return "/".join(str(p) for p in e.absolute_path) + ": " + e.message


def check_valid(validators, kind, doc, where):
    counts["documents"] += 1
    err = first_error(validators[kind], doc)
    if err:
        fail("%s: not valid against %s.schema.json: %s" % (where, kind, err))


# ---- running dmwatch ----

def run(args, want_rc=None, where=None):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if want_rc is not None and p.returncode not in want_rc:
        raise Failed("%s: exit %d, wanted %s: %s" % (where or " ".join(args), p.returncode,
                     sorted(want_rc), p.stderr.decode(errors="replace").strip()))
    return p


def read_json_file(path):
    with open(path, "rb") as f:
        return parse(decode(f.read(), path), path)


def json_lines(data, where):
    text = decode(data, where)
    docs = []
    for n, line in enumerate(text.splitlines(), 1):
        doc = parse(line, "%s line %d" % (where, n))
        if list(doc)[:2] != ["ts", "event"]:
            fail("%s line %d: does not start with ts, event" % (where, n))
        docs.append(doc)
    if not docs:
        raise Failed("%s: no event lines" % where)
    return docs


# ---- real documents ----

def make_states(a, work):
    """(label, path) of every saved state the test looks at"""
    states = [(os.path.relpath(p, ROOT), p)
              for p in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/state/*.json")))]
    if not states:
        raise Failed("no saved state under tests/fixtures/state/")
    states.append(("tests/schema/degraded-node.json", os.path.join(HERE, "degraded-node.json")))
    for seed, devices, guests in ((1, 300, 150), (7, 40, 25)):
        out = os.path.join(work, "gen-state-%d-%d.json" % (seed, devices))
        run([os.path.join(a.tools, "gen-state"), "-s", str(seed), "-q", str(devices),
             str(guests), out], {0})
        states.append(("gen-state -s %d %d %d" % (seed, devices, guests), out))
    return states


def check_scan(a, validators, label, state, extra, seen):
    where = "scan --state %s %s--json" % (label, " ".join(extra) + " " if extra else "")
    p = run([a.dmwatch, "scan", "--state", state, "--json"] + extra, {0, 1, 2}, where)
    doc = parse(decode(p.stdout, where), where)
    check_valid(validators, "scan", doc, where)
    if doc.get("exit") != p.returncode:
        fail("%s: \"exit\" is %r but the exit status %d" % (where, doc.get("exit"), p.returncode))
    summary = doc.get("summary", {})
    devices = doc.get("devices", [])
    if summary.get("devices") != len(devices):
        fail("%s: summary.devices %r, %d devices listed" % (where, summary.get("devices"),
             len(devices)))
    for cls, key in (("valid", "valid"), ("internal", "internal"), ("tombstone", "tombstones"),
                     ("duplicate", "duplicates"), ("unmanaged", "unmanaged")):
        n = sum(1 for d in devices if d.get("class") == cls)
        if summary.get(key) != n:
            fail("%s: summary.%s %r, %d %s devices listed" % (where, key, summary.get(key), n, cls))
    for d in devices:
        seen["class"].add(d.get("class"))
        seen["reason"].add(d.get("reason"))
    for s in doc.get("snapshots", []):
        seen["kind"].add(s.get("kind"))
        seen["space_state"].add((s.get("kind"), s.get("state")))
    for g in doc.get("guests", []):
        seen["health"].add(g.get("health"))
    seen["grade"].add(doc.get("grade"))
    seen["problems"] += len(doc.get("problems", []))
    return doc


def check_saved_state(a, validators, label, state, work):
    out = os.path.join(work, "saved-" + os.path.basename(state))
    where = "scan --state %s --save-state" % label
    run([a.dmwatch, "scan", "--state", state, "--save-state", out], {0, 1, 2}, where)
    doc = read_json_file(out)
    check_valid(validators, "state", doc, where)
    return doc


def make_event_docs(a, validators, work):
    logs = [("report --json over tests/fixtures/recorder/incident-002",
             os.path.join(ROOT, "tests/fixtures/recorder/incident-002"))]
    gen = os.path.join(work, "gen-events")
    run([a.gen_events, gen], {0})
    logs.append(("report --json over gen-events' log", gen))
    mix = os.path.join(work, "bench-mix")
    run([os.path.join(a.tools, "bench-record"), "--write", mix, "3000"], {0})
    logs.append(("report --json over a bench-record mix", mix))
    docs = []
    for where, d in logs:
        p = run([a.dmwatch, "report", "--dir", d, "--json"], {0}, where)
        lines = json_lines(p.stdout, where)
        for n, doc in enumerate(lines, 1):
            check_valid(validators, "event", doc, "%s line %d" % (where, n))
        docs.append((where, lines))
    return docs


def check_coverage(validators, event_docs, seen):
    schema = validators["event"].schema
    want = set(schema["properties"]["event"]["enum"])
    got = {doc["event"] for _, lines in event_docs for doc in lines}
    if want - got:
        fail("event types the schema names but no real output showed: %s" % sorted(want - got))
    lifecycle = schema["$defs"]["lifecycle"]["properties"]
    srcs = {doc.get("source") for _, lines in event_docs for doc in lines} - {None}
    if set(lifecycle["source"]["enum"]) - srcs:
        fail("event sources never seen: %s" % sorted(set(lifecycle["source"]["enum"]) - srcs))
    if not any("lower_dev" in doc for _, lines in event_docs for doc in lines):
        fail("no io_error with lower_dev in real output")
    scan = validators["scan"].schema["$defs"]
    for cond in scan["space"]["allOf"]:
        kind = cond["if"]["properties"]["kind"]["const"]
        missing = {st for st in cond["then"]["properties"]["state"]["enum"]
                   if (kind, st) not in seen["space_state"]}
        if missing:
            fail("%s states the schema names but no real report showed: %s" %
                 (kind, sorted(missing)))
    if not seen["problems"]:
        fail("no real report with a problems entry")
    for key, enum in (("class", scan["device"]["properties"]["class"]["enum"]),
                      ("reason", scan["device"]["properties"]["reason"]["enum"]),
                      ("kind", scan["space"]["properties"]["kind"]["enum"]),
                      ("health", scan["guest"]["properties"]["health"]["enum"])):
        missing = set(enum) - seen[key]
        if missing:
            fail("scan %s values the schema names but no real report showed: %s" %
                 (key, sorted(missing, key=str)))


# ---- mutations ----

def retyped(v):
    if isinstance(v, bool) or isinstance(v, (int, float)):
        return "x"
    if isinstance(v, str):
        return 12345
    if v is None:
        return {"x": 1}
    return "x"


def signature(v):
    """elements that differ only in values of free text are one case"""
    if not isinstance(v, dict):
        return type(v).__name__
    keys = tuple((k, type(x).__name__) for k, x in v.items())
    tags = tuple(v.get(k) for k in ("event", "class", "reason", "kind", "severity", "state",
                                    "type") if isinstance(v.get(k), (str, type(None))))
    return keys + tags


def mutations(node, rebuild, path, top=False):
    """(path, what, mutated document); arrays on the way keep only the element concerned"""
    if isinstance(node, dict):
        def others(vv):
            # at the top, the other arrays go: the document stays small
            return [] if top and isinstance(vv, list) else vv

        for k, v in node.items():
            sub = path + ("." if path else "") + k

            def rebuild_with(nv, k=k):
                return rebuild({kk: nv if kk == k else others(vv) for kk, vv in node.items()})

            yield sub, "renamed", rebuild({(kk + "_renamed" if kk == k else kk): others(vv)
                                           for kk, vv in node.items()})
            yield sub, "retyped", rebuild_with(retyped(v))
            yield from mutations(v, rebuild_with, sub)
    elif isinstance(node, list):
        seen = set()
        for el in node:
            sig = signature(el)
            if sig in seen:
                continue
            seen.add(sig)
            yield from mutations(el, lambda nv: rebuild([nv]), path + "[]")


def loader_refuses(a, doc, work):
    path = os.path.join(work, "mutated-state.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    counts["loader"] += 1
    return run([a.dmwatch, "scan", "--state", path, "--json"]).returncode == 3


def check_mutations(a, validators, kind, doc, where, work, with_loader=False):
    for path, what, mutated in mutations(doc, lambda d: d, "", top=True):
        counts["mutations"] += 1
        valid = first_error(validators[kind], mutated) is None
        if what == "renamed" and path in OPTIONAL[kind]:
            if not valid:
                fail("%s: %s is optional, yet the document without it is invalid" % (where, path))
            continue
        if valid and what == "renamed":
            fail("%s: without %s still valid against %s.schema.json: make it required, or "
                 "list it in OPTIONAL here and in docs/" % (where, path, kind))
        elif valid:
            fail("%s: %s retyped, still valid against %s.schema.json: a field the schema does "
                 "not describe? (document it in docs/ and the schema)" % (where, path, kind))
        if with_loader and path not in LOADER_IGNORES and not loader_refuses(a, mutated, work):
            fail("%s: %s %s: the schema refuses it, dmwatch scan --state takes it" %
                 (where, path, what))


# Wrong values a consumer relies on never seeing: (schema, what, array, match, key,
# value) sets key to value in the first element of array (None: the document
# itself; for events, the first line) whose fields equal those of match.
EXPLICIT = [
    ("scan", "schema 2", None, {}, "schema", 2),
    ("scan", "grade A", None, {}, "grade", "A"),
    ("scan", "exit 3", None, {}, "exit", 3),
    ("scan", "class bogus", "devices", {"class": "valid"}, "class", "bogus"),
    ("scan", "severity fatal", "devices", {"class": "valid"}, "severity", "fatal"),
    ("scan", "tombstone without reason", "devices", {"class": "tombstone"}, "reason", None),
    ("scan", "valid with a reason", "devices", {"class": "valid"}, "reason", "stale"),
    ("scan", "duplicate not critical", "devices", {"class": "duplicate"}, "severity", "warning"),
    ("scan", "dev without dm-", "devices", {"class": "valid"}, "dev", "5"),
    ("scan", "space kind zfs", "snapshots", {}, "kind", "zfs"),
    ("scan", "thin-pool state active", "snapshots", {"kind": "thin-pool"}, "state", "active"),
    ("scan", "guest health dirty", "guests", {}, "health", "dirty"),
    ("event", "event dm_created", None, {"event": "dm_create"}, "event", "dm_created"),
    ("event", "source ebpf", None, {"event": "dm_create"}, "source", "ebpf"),
    ("event", "failed create without errno", None, {"event": "dm_create", "errno": None},
     "ret", -16),
    ("event", "ts without microseconds", None, {"event": "dm_load"}, "ts",
     "2025-10-27T05:30:05Z"),
    ("event", "io_error op rw", None, {"event": "io_error"}, "op", "rw"),
    ("event", "io_error errno null", None, {"event": "io_error"}, "errno", None),
    ("event", "io_error dev null", None, {"event": "io_error"}, "dev", None),
    ("event", "dm_rename without new_name", None, {"event": "dm_rename"}, "new_name", None),
    ("event", "cow_usage kind zfs", None, {"event": "cow_usage"}, "kind", "zfs"),
    ("event", "snapshot_invalid state active", None, {"event": "snapshot_invalid"}, "state",
     "active"),
    ("event", "pool_mode mode degraded", None, {"event": "pool_mode"}, "mode", "degraded"),
    ("event", "lost count 0", None, {"event": "lost"}, "count", 0),
    ("state", "schema 2", None, {}, "schema", 2),
    ("state", "dm_major 4096", None, {}, "dm_major", 4096),
    ("state", "storage type nfs", "storages", {}, "type", "nfs"),
    ("state", "guest type vm", "guests", {}, "type", "vm"),
    ("state", "device name of 128 bytes", "devices", {}, "name", "n" * 128),
    ("state", "empty device name", "devices", {}, "name", ""),
    ("state", "minor 2^20", "devices", {}, "minor", 1 << 20),
    ("state", "negative size", "lvs", {}, "size", -1),
]


def explicit_mutation(docs, kind, array, match, key, value):
    """a mutated copy, or None when nothing matches"""
    if kind == "event":
        items = docs["event"]
    else:
        doc = copy.deepcopy(docs[kind])
        items = [doc] if array is None else doc.get(array, [])
    for it in items:
        if all(it.get(k) == v for k, v in match.items()):
            if kind == "event":
                doc = it = copy.deepcopy(it)
            it[key] = value
            return doc
    return None


def check_explicit(a, validators, docs, work):
    for kind, what, array, match, key, value in EXPLICIT:
        counts["mutations"] += 1
        doc = explicit_mutation(docs, kind, array, match, key, value)
        if doc is None:
            fail("%s mutation '%s' found nothing to change in the real documents" % (kind, what))
            continue
        if first_error(validators[kind], doc) is None:
            fail("%s: '%s' is still valid against %s.schema.json" % (kind, what, kind))
        if kind == "state" and not loader_refuses(a, doc, work):
            fail("state: '%s': dmwatch scan --state takes it" % what)


def validate_files(kind, paths):
    """--validate: files of real output (event: JSON lines) against one schema"""
    validators = load_validators()
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
            if kind == "event":
                docs = [("%s line %d" % (path, n), d)
                        for n, d in enumerate(json_lines(data, path), 1)]
            else:
                docs = [(path, parse(decode(data, path), path))]
        except (Failed, OSError) as e:
            fail(str(e))
            continue
        for where, doc in docs:
            check_valid(validators, kind, doc, where)
    print("schema: %d %s documents, %d invalid" % (counts["documents"], kind, len(failures)))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--validate", choices=("scan", "event", "state"),
                    help="only validate FILEs against that schema (event: JSON lines)")
    ap.add_argument("files", nargs="*", metavar="FILE")
    ap.add_argument("--dmwatch")
    ap.add_argument("--tools", help="folder of the built tools (gen-state, bench-record)")
    ap.add_argument("--gen-events")
    ap.add_argument("--work", help="scratch folder (emptied)")
    a = ap.parse_args()
    if a.validate:
        if not a.files:
            ap.error("--validate needs files")
        return validate_files(a.validate, a.files)
    if a.files or not (a.dmwatch and a.tools and a.gen_events and a.work):
        ap.error("give --dmwatch, --tools, --gen-events and --work (or --validate KIND FILE...)")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)

    try:
        validators = load_validators()
        seen = {"class": set(), "reason": set(), "kind": set(), "health": set(), "grade": set(),
                "space_state": set(), "problems": 0}
        small = []  # (scan report, saved state) small enough to mutate
        for label, state in make_states(a, a.work):
            check_valid(validators, "state", read_json_file(state), label)
            saved = check_saved_state(a, validators, label, state, a.work)
            scan = check_scan(a, validators, label, state, [], seen)
            if not label.startswith("gen-state"):
                small.append((label, scan, saved))
        fixture = os.path.join(ROOT, "tests/fixtures/state/cluster.json")
        check_scan(a, validators, "cluster.json", fixture, ["--node", "pve2"], seen)
        check_scan(a, validators, "cluster.json", fixture, ["--warn", "1", "--crit", "2"], seen)
        event_docs = make_event_docs(a, validators, a.work)
        check_coverage(validators, event_docs, seen)

        # the negative half: small real documents, mutated
        for label, scan, saved in small:
            check_mutations(a, validators, "scan", scan, "scan report of " + label, a.work)
            check_mutations(a, validators, "state", saved, "saved " + label, a.work,
                            with_loader=True)
        gen = [doc for where, lines in event_docs if "gen-events" in where for doc in lines]
        incident = [doc for where, lines in event_docs if "incident" in where for doc in lines]
        done = set()
        for doc in gen + incident:
            sig = signature(doc)
            if sig in done:
                continue
            done.add(sig)
            check_mutations(a, validators, "event", doc, "%s event line" % doc["event"], a.work)
        check_explicit(a, validators, {"scan": small[0][1], "state": small[0][2],
                                       "event": gen + incident}, a.work)
    except Failed as e:
        fail(str(e))

    print("schema: %d real documents, %d mutated ones (%d also fed to the state loader): "
          "%d failed" % (counts["documents"], counts["mutations"], counts["loader"],
                         len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
