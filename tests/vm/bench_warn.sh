#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Warning benchmark against dmeventd, inside the VM (tools/bench.sh warn).
#
# lvm2's dmeventd (monitoring = 1, autoextend thresholds at 100 so it only warns)
# and `dmwatch trace --json` (default 1 s interval) watch while a classic snapshot
# and a thin pool are filled at a steady rate, BENCH_WARN_RUNS times (default 5;
# the first argument overrides it).  Per run:
#   (a) the kernel's "Invalidating snapshot" log line -> dmwatch's snapshot_invalid
#       event (target <= 1 s);
#   (b) how long before the snapshot turns Invalid (the pool runs out of data
#       space) each tool first warns: dmwatch's first cow_usage sample with an ETA,
#       dmeventd's first "is now N% full" line (target: dmwatch earlier every run);
#       and dmwatch's ETA against the real time to full once the rate is steady
#       (samples from 25 % used to 5 s before full; target: within 20 %).
# One clock: every run writes a marker into the kernel log between two readings of
# CLOCK_REALTIME, which maps the kernel log's timestamps onto the wall clock that
# dmwatch's `ts` and the dmeventd log's arrival stamps are in.
# Prints a markdown table (lines starting with '|') and the per-run figures.
. "$(dirname "$0")/lib.sh"

runs=${1:-${BENCH_WARN_RUNS:-5}}
rate_kib=256	# fill rate of each device, KiB/s
chunk_kib=64	# one paced write
size_mib=12	# COW of the snapshot, data of the pool
w=/tmp/bench-warn
mkdir -p "$w"

command -v dmeventd > /dev/null || skip "no dmeventd (Debian package dmeventd)"
modprobe dm-snapshot
modprobe dm-thin-pool

# dmeventd only warns: monitoring on, autoextend off (threshold 100).
cp /etc/lvm/lvm.conf "$w/lvm.conf.orig"
on_cleanup "cp $w/lvm.conf.orig /etc/lvm/lvm.conf"
sed -i 's/^\([[:space:]]*\)monitoring = 0/\1monitoring = 1\
\1snapshot_autoextend_threshold = 100\
\1thin_pool_autoextend_threshold = 100/' /etc/lvm/lvm.conf
grep -q 'snapshot_autoextend_threshold = 100' /etc/lvm/lvm.conf || die "lvm.conf not changed"

# dmeventd in the foreground, its log (stdout and stderr, line-buffered) stamped
# with the wall clock as each line arrives.
(
	stdbuf -oL -eL dmeventd -f -l 2>&1 |
		while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
) > "$w/dmeventd.log" &
on_cleanup "kill \$(cat /run/dmeventd.pid 2>/dev/null) 2>/dev/null; rm -f /run/dmeventd-server /run/dmeventd-client"
wait_until 60 test -p /run/dmeventd-server || die "dmeventd did not start"

start_tracer "$w/trace.json" "$w/trace.err" --json

mkvg bwarn "$(mkloop 256)"
: > "$w/marks"

# mark NAME: a line in the kernel log, and the wall clock just before and after it
mark() {
	local t0 t1
	t0=$EPOCHREALTIME
	echo "bench-warn-mark $1" > /dev/kmsg
	t1=$EPOCHREALTIME
	echo "$1 $t0 $t1" >> "$w/marks"
}

# paced_writer DEV STOPFILE: CHUNK_KIB direct writes at RATE_KIB/s on absolute
# deadlines (a late write does not lower the rate), until a write fails, the
# device ends or STOPFILE appears.  One long-lived process: a dd per chunk costs
# more than the pace under TCG.
paced_writer() {
	python3 - "$1" "$2" "$chunk_kib" "$rate_kib" <<'PY'
import mmap, os, sys, time
dev, stop, chunk, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]) * 1024, int(sys.argv[4]) * 1024
fd = os.open(dev, os.O_WRONLY | os.O_DIRECT)
buf = mmap.mmap(-1, chunk)	# page-aligned, as O_DIRECT wants
n = os.lseek(fd, 0, os.SEEK_END) // chunk
start = time.monotonic()
for k in range(n):
	if os.path.exists(stop):
		break
	delay = start + k * chunk / rate - time.monotonic()
	if delay > 0:
		time.sleep(delay)
	try:
		os.pwrite(fd, buf, k * chunk)
	except OSError:
		break
PY
}

for ((r = 1; r <= runs; r++)); do
	log "run $r/$runs"
	lvcreate -qq -L 32M -n origin$r bwarn
	lvcreate -qq -s -L ${size_mib}M -n snap$r bwarn/origin$r
	lvcreate -qq -T -L ${size_mib}M --errorwhenfull y bwarn/pool$r
	# it warns that the thin LV is larger than its pool: that is the point
	lvcreate -qq -V 32M -T bwarn/pool$r -n thin$r 2> "$w/lvcreate.err" ||
		{ cat "$w/lvcreate.err" >&2; die "lvcreate of the thin LV failed"; }
	lvchange -qq --monitor y bwarn/snap$r bwarn/pool$r
	# both tools see the new devices: dmwatch has sampled them
	wait_for_line "$w/trace.json" "\"cow_usage\",\"name\":\"bwarn-snap$r\"" 60
	wait_for_line "$w/trace.json" "\"cow_usage\",\"name\":\"bwarn-pool$r[-\"]" 60
	mark "start$r"
	rm -f "$w/stop$r"
	paced_writer /dev/bwarn/origin$r "$w/stop$r" &
	snap_writer=$!
	paced_writer /dev/bwarn/thin$r "$w/stop$r" &
	thin_writer=$!
	wait_until 300 sh -c "dmesg | grep -A1000 'bench-warn-mark start$r\$' | grep -q 'Invalidating snapshot'" ||
		die "run $r: the snapshot was not invalidated"
	wait_for_line "$w/trace.json" "\"snapshot_invalid\",\"name\":\"bwarn-snap$r\"" 60
	wait "$thin_writer" || true
	touch "$w/stop$r"
	wait "$snap_writer" || true
	wait_for_line "$w/trace.json" "\"pool_mode\",\"name\":\"bwarn-pool$r[-\"].*out_of_data_space" 60
	mark "end$r"
	lvremove -qq -y bwarn/snap$r bwarn/thin$r bwarn/pool$r bwarn/origin$r
done

kill -INT "$tpid"
wait "$tpid" || true
dmesg > "$w/dmesg"
keep "$w"

python3 - "$w" "$runs" "$rate_kib" "$size_mib" <<'EOF'
import datetime, json, re, statistics, sys

w, runs, rate_kib, size_mib = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def iso(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()

kmsg = []	# (seconds since boot, text)
for line in open(w + "/dmesg"):
    m = re.match(r"\[\s*(\d+\.\d+)\] (.*)", line)
    if m:
        kmsg.append((float(m.group(1)), m.group(2)))
marks = {}
for line in open(w + "/marks"):
    name, t0, t1 = line.split()
    marks[name] = (float(t0), float(t1))
events = [json.loads(l) for l in open(w + "/trace.json")]
for e in events:
    e["t"] = iso(e["ts"])
dmev = []	# (wall clock, text)
for line in open(w + "/dmeventd.log"):
    t, _, text = line.rstrip("\n").partition(" ")
    dmev.append((float(t), text))

def kmsg_index(text):
    for i, (_, k) in enumerate(kmsg):
        if k.endswith(text):
            return i
    sys.exit("no kernel log line ending with %r" % text)

def kernel_after(i, pattern):
    for t, k in kmsg[i:]:
        if re.search(pattern, k):
            return t
    sys.exit("no kernel log line /%s/ after the mark" % pattern)

rows = []
for r in range(1, runs + 1):
    i = kmsg_index("bench-warn-mark start%d" % r)
    t0, t1 = marks["start%d" % r]
    offset = (t0 + t1) / 2 - kmsg[i][0]	# kernel log time -> wall clock
    sync_err = (t1 - t0) / 2
    j = kmsg_index("bench-warn-mark end%d" % r)
    e0, e1 = marks["end%d" % r]
    drift = (e0 + e1) / 2 - kmsg[j][0] - offset
    start = t1
    snap, pool = "bwarn-snap%d" % r, "bwarn-pool%d" % r
    invalid = kernel_after(i, r"Invalidating snapshot") + offset
    full = kernel_after(i, r"switching pool to out-of-data-space") + offset

    def mine(name, kind):
        return [e for e in events if e["event"] == kind and e.get("name") and
                (e["name"] == name or e["name"].startswith(name + "-")) and e["t"] >= start - 0.01]

    def first_warn_dmeventd(pattern):
        for t, text in dmev:
            if t >= start and re.search(pattern, text):
                return t
        return None

    def cow_figures(name, when_full):
        samples = [e for e in mine(name, "cow_usage") if e["t"] < when_full]
        warned = [e for e in samples if e["eta_s"] is not None]
        # steady: past the start, and far enough from full that one sampling
        # interval (1 s) is not itself 20 % of the time left
        steady = [e for e in warned if e["used_percent"] >= 25 and when_full - e["t"] >= 5]
        errs = [abs(e["t"] + e["eta_s"] - when_full) / (when_full - e["t"]) for e in steady]
        good = [e for e in warned if abs(e["t"] + e["eta_s"] - when_full) <= 0.2 * (when_full - e["t"])]
        return {
            "first_warn": when_full - warned[0]["t"] if warned else None,
            "first_good": when_full - good[0]["t"] if good else None,
            "eta_err_med": statistics.median(errs) if errs else None,
            "eta_err_max": max(errs) if errs else None,
            "fill_s": when_full - start,
        }

    s = cow_figures(snap, invalid)
    p = cow_figures(pool, full)
    inv_ev = mine(snap, "snapshot_invalid")
    mode_ev = [e for e in mine(pool, "pool_mode") if "out_of_data_space" in e["mode"]]
    dw_s = first_warn_dmeventd(r"[Ss]napshot .*bwarn-snap%d\b.* is now .*full" % r)
    dw_p = first_warn_dmeventd(r"[Tt]hin pool .*bwarn-pool%d\b.* data is now .*full" % r)
    row = {
        "run": r, "sync_err_ms": sync_err * 1e3, "drift_ms": drift * 1e3,
        "invalid_latency": inv_ev[0]["t"] - invalid if inv_ev else None,
        "pool_latency": mode_ev[0]["t"] - full if mode_ev else None,
        "snap": s, "pool": p,
        "dmeventd_snap": invalid - dw_s if dw_s else None,
        "dmeventd_pool": full - dw_p if dw_p else None,
    }
    rows.append(row)
    print("raw:", json.dumps(row), file=sys.stderr)

def spread(vals, fmt="%.2f", unit=" s"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "never"
    return (fmt + "%s (%s to %s)") % (statistics.median(vals), unit, fmt % min(vals), fmt % max(vals))

def count(vals):
    return len([v for v in vals if v is not None])

def pct(vals):
    vals = [v * 100 for v in vals if v is not None]
    if not vals:
        return "none"
    return "%.1f %% (%.1f to %.1f)" % (statistics.median(vals), min(vals), max(vals))

n = len(rows)
def earlier(kind, dm):
    return sum(1 for r in rows if r[kind]["first_warn"] is not None and
               (r[dm] is None or r[kind]["first_warn"] > r[dm]))

lat = [r["invalid_latency"] for r in rows]
print("| measure (median (min to max) over %d runs) | target | dmwatch | dmeventd |" % n)
print("|---|---|---|---|")
print("| snapshot: kernel's invalidation to the report | <= 1 s | %s; %d/%d within 1 s | - |" % (
    spread(lat), sum(1 for v in lat if v is not None and v <= 1), n))
for kind, label, full_word in (("snap", "snapshot", "Invalid"), ("pool", "thin pool", "out of data space")):
    dm = "dmeventd_" + kind
    print("| %s: first warning, before %s | dmwatch earlier every run | %s | %s (warned in %d/%d runs) |" % (
        label, full_word, spread([r[kind]["first_warn"] for r in rows]), spread([r[dm] for r in rows]),
        count([r[dm] for r in rows]), n))
    print("| %s: runs dmwatch warned first | %d/%d | %d/%d | - |" % (label, n, n, earlier(kind, dm), n))
    print("| %s: first ETA within 20 %% of the truth, before %s | - | %s | - |" % (
        label, full_word, spread([r[kind]["first_good"] for r in rows])))
    for what in ("median", "worst"):
        key = "eta_err_med" if what == "median" else "eta_err_max"
        print("| %s: ETA error, 25 %% used to 5 s before full, per-run %s | <= 20 %% | %s | no ETA |" % (
            label, what, pct([r[kind][key] for r in rows])))
print("| thin pool: kernel's out-of-data-space to the report | - | %s | - |" % spread([r["pool_latency"] for r in rows]))
print("| fill time (snapshot / pool), %s MiB at %s KiB/s | - | %s / %s | |" % (
    size_mib, rate_kib, spread([r["snap"]["fill_s"] for r in rows], "%.1f"),
    spread([r["pool"]["fill_s"] for r in rows], "%.1f")))
print("| clock mapping: kernel log mark uncertainty / drift over a run | - | %s / %s | |" % (
    spread([r["sync_err_ms"] for r in rows], "%.1f", " ms"), spread([r["drift_ms"] for r in rows], "%.1f", " ms")))
EOF
