#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The tables of tools/bench-native.sh, from its raw figures.

runs.txt: one fio run a line, "device arm round iops fio_cpu_ns_per_io load1";
stats.txt: one bpf_stats run a line, "device arm program run_cnt ns_per_run"
(arm dmwatch, bpftrace or floor: an empty program on the same tracepoints;
run_cnt 0 when the tracer's program did not run at all, ns_per_run then 0).
Each tracer run is compared with the no-tracer run of its own round (paired), so
a change in the machine's load between rounds cancels out.
"""
import statistics as st
import sys

DEVICES = {
    "zram": "zram (bio-based, block_bio_complete), fio psync",
    "loop": "loop over tmpfs (request-based), fio io_uring depth 32",
}
TARGET_PCT = 0.5


def spread(values, fmt):
    """median (IQR q1 to q3, min to max)"""
    v = sorted(values)
    q1, q3 = (st.quantiles(v, n=4)[0], st.quantiles(v, n=4)[2]) if len(v) >= 4 else (v[0], v[-1])
    return "%s (IQR %s to %s, range %s to %s)" % tuple(fmt % x for x in (st.median(v), q1, q3, v[0], v[-1]))


def main():
    raw, stats, secs, cpu, load_before, load_after, foreign_before, foreign_after = sys.argv[1:]
    runs = {}
    for line in open(raw):
        kind, arm, rnd, iops, cpu_ns, _load = line.split()
        runs.setdefault((kind, arm), {})[int(rnd)] = (float(iops), float(cpu_ns))
    bpf, ran = {}, {}
    for line in open(stats):
        kind, arm, name, cnt, ns = line.split()
        bpf.setdefault((kind, arm), (name, []))[1].append(float(ns))
        ran[(kind, arm)] = ran.get((kind, arm), 0) + int(cnt)
    rounds = len(runs[("zram", "off")])

    print("Throughput, interleaved runs (%d rounds of %s s per arm, arm order rotated):" % (rounds, secs))
    print()
    print("| device | tracer | median IOPS | IOPS ratio to off, same round | wall ns per I/O added | fio CPU ns per I/O added |")
    print("|---|---|---:|---|---|---|")
    cpu_added = {}
    for kind in DEVICES:
        off = runs[(kind, "off")]
        print("| %s | off | %.0f | | | |" % (DEVICES[kind], st.median(o[0] for o in off.values())))
        for arm in ("dmwatch", "bpftrace"):
            on = runs[(kind, arm)]
            pairs = [(on[r], off[r]) for r in sorted(off) if r in on]
            ratio = [a[0] / o[0] for a, o in pairs]
            wall = [1e9 / a[0] - 1e9 / o[0] for a, o in pairs]
            added = [a[1] - o[1] for a, o in pairs]
            cpu_added[(kind, arm)] = st.median(added)
            print("| | %s | %.0f | %s | %s | %s |" % (arm, st.median(a[0] for a, _ in pairs),
                  spread(ratio, "%.3f"), spread(wall, "%.0f"), spread(added, "%.0f")))
    print()
    print("The BPF program that runs on every I/O completion, timed by the kernel")
    print("(kernel.bpf_stats_enabled=1, run_time_ns / run_cnt; median of %d runs per arm, range)," %
          len(bpf[("zram", "dmwatch")][1]))
    print("beside the floor: an empty program (`return 0`, tools/bpf-floor.c) on the same")
    print("tracepoint, what any attached program pays (the stats' own two clock reads")
    print("included). dmwatch's request program is `block_rq_error` where the kernel has")
    print("it (5.18+): the kernel fires it only for a failed request, so a successful one")
    print("runs no program at all (0 runs). A share is of the cheapest I/O seen with")
    print("the tracer off (the fastest off run's wall time per I/O, or fio's own CPU time")
    print("per I/O, whichever is smaller).")
    print()
    print("| device | tracer | program | ns per I/O | share of an I/O |")
    print("|---|---|---|---|---:|")
    share = {}
    for kind in DEVICES:
        off = runs[(kind, "off")].values()
        io_ns = min(min(1e9 / o[0] for o in off), st.median(o[1] for o in off))
        for arm in ("dmwatch", "bpftrace", "floor"):
            name, ns = bpf[(kind, arm)]
            med = st.median(ns)
            share[(kind, arm)] = med / io_ns * 100
            cell = "%.1f (%.1f to %.1f)" % (med, min(ns), max(ns))
            if not ran[(kind, arm)]:
                cell = "0: no run (fires only for a failed request)"
            print("| %s | %s | `%s` | %s | %.2f %% of %.0f ns |" % (
                kind if arm == "dmwatch" else "", "empty program" if arm == "floor" else arm,
                name, cell, share[(kind, arm)], io_ns))
    print()
    print("fio pinned to CPU %s. The machine is shared (other helpers' VMs and builds run" % cpu)
    print("on it): /proc/loadavg `%s` before, `%s` after. The IOPS spread" % (load_before, load_after))
    print("is mostly that load. bpf_stats times the programs alone, yet a loaded VM stretches")
    print("it too (the host preempts the vCPU, caches are cold): compare programs within a run.")
    print("bpf_stats leaves out what the kernel does for bpftrace's tracepoint before its")
    print("program runs (it formats the trace record); fio's CPU time per I/O includes it.")
    print("Other BPF programs on the block completion tracepoints during the runs (in every")
    print("arm alike): %s before, %s after." % (foreign_before, foreign_after))
    print()
    for kind in DEVICES:
        d_ns = st.median(bpf[(kind, "dmwatch")][1])
        b_ns = st.median(bpf[(kind, "bpftrace")][1])
        # a program that never ran adds nothing: fio's CPU difference is then noise
        idle = not ran[(kind, "dmwatch")]
        cheaper = d_ns <= b_ns and (idle or cpu_added[(kind, "dmwatch")] < cpu_added[(kind, "bpftrace")])
        met = share[(kind, "dmwatch")] <= TARGET_PCT and cheaper
        print("- %s: dmwatch %.1f ns per I/O (`%s`%s), %.2f %% of an I/O; an empty program"
              " there %.1f ns; bpftrace %.1f ns + its trace record (fio CPU per I/O added:"
              " dmwatch %.0f ns, bpftrace %.0f ns). Target <= %.1f %% and below bpftrace: %s." % (
                  kind, d_ns, bpf[(kind, "dmwatch")][0],
                  ": no run on a successful I/O" if idle else "", share[(kind, "dmwatch")],
                  st.median(bpf[(kind, "floor")][1]), b_ns,
                  cpu_added[(kind, "dmwatch")], cpu_added[(kind, "bpftrace")], TARGET_PCT,
                  "met" if met else "NOT met"))


if __name__ == "__main__":
    main()
