#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
A real Prometheus (Debian's `prometheus`) with the shipped rules scrapes two
`dmwatch serve --state FILE` instances on loopback that stand for the nodes pve1
and pve2 of a cluster:

  - LV ssd-ha01/vm-119-disk-0 of the shared storage SSD-HA01 is active on both,
    ssd-ha01/vm-105-disk-0 on pve1 only;
  - pve1's thin pool pve/data is at 85 % and filling: each time Prometheus has
    scraped the current fill, the state file gets the next one (two blocks more);
    pve2's pool stays at 10 %.

Asserted through Prometheus's HTTP API: DmwatchLvActiveOnSeveralNodes fires for
vm-119-disk-0 alone and its summary names both nodes; DmwatchThinPoolDataWarning
and DmwatchThinPoolFullIn24h fire for pve1's pool and not for pve2's. The rules'
`for:` durations are cut to 0s so that a test takes seconds, not the 15 minutes
an admin wants before a page; the expressions are the shipped ones.

Then every PromQL expression of the Grafana dashboard (dist/grafana/dmwatch.json)
goes through the same Prometheus's query API: each must parse and evaluate, and
every metric it names must exist.

Loopback only; every wait polls for a condition under a deadline; the whole test
is bounded by DEADLINE seconds. Exit 0 pass, 1 fail, 77 skip (no prometheus).

  tests/prometheus/test_prometheus.py [DMWATCH]
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DMWATCH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "dmwatch")
RULES = os.path.join(TOP, "dist/prometheus/dmwatch.rules.yml")
DASHBOARD = os.path.join(TOP, "dist/grafana/dmwatch.json")
FIXTURE = os.path.join(TOP, "tests/fixtures/state/cluster.json")
DEADLINE = 120
T0 = time.monotonic()
POOL = "pve-data-tpool"
SHARED_BOTH = "vm-119-disk-0"
SHARED_ONE = "vm-105-disk-0"

procs = []


def log(msg):
    print(f"prometheus-test: {msg}", file=sys.stderr, flush=True)


def fail(msg):
    log(f"FAIL: {msg}")
    sys.exit(1)


def left():
    return DEADLINE - (time.monotonic() - T0)


def wait_for(what, cond, limit=None):
    """Poll cond() until it returns something true, within the deadline."""
    end = time.monotonic() + min(limit or DEADLINE, max(left(), 0))
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        for p in procs:
            if p.poll() is not None:
                fail(f"{p.args[0]} exited {p.returncode} while waiting for {what}")
        time.sleep(0.1)
    fail(f"timed out waiting for {what}")


# ---- the two nodes' saved states ----

def pool_status(used_blocks):
    return f"5 100/1000 {used_blocks}/1000 - rw discard_passdown queue_if_no_space - 1024"


# a multipath LUN with one of its two paths failed (dm-mpath's status format)
MPATH = {"name": "mpatha", "uuid": "mpath-3600a098038303053453f463045727a6b", "major": 253,
         "minor": 40, "open_count": 1, "event_nr": 3, "suspended": False, "read_only": False,
         "live_table": True,
         "table": [{"start": 0, "length": 2097152, "type": "multipath",
                    "params": "0 0 1 1 service-time 0 2 2 8:16 1 1 8:32 1 1"}],
         "status": [{"start": 0, "length": 2097152, "type": "multipath",
                     "params": "2 0 0 0 1 1 A 0 2 2 8:16 A 0 0 1 8:32 F 1 0 1"}],
         "deps": [2064, 2080]}


def write_state(path, node, used_blocks, drop=()):
    with open(FIXTURE) as f:
        st = json.load(f)
    st["host"] = st["node"] = node
    st["devices"].append(MPATH)
    st["collected_at"] = int(time.time())
    st["devices"] = [d for d in st["devices"] if d["name"] not in drop]
    for d in st["devices"]:
        if d["name"] == POOL:
            d["status"][0]["params"] = pool_status(used_blocks)
    # atomic, as serve may read it at any moment
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.rename(tmp, path)


# ---- processes ----

def start(args, logpath):
    out = open(logpath, "w")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs.append(p)
    return p


def serve(state, logpath):
    p = start([DMWATCH, "serve", "--listen", "127.0.0.1:0", "--state", state,
               "--min-interval", "0"], logpath)

    def url():
        with open(logpath) as f:
            m = re.search(r"http://(127\.0\.0\.1:\d+)/metrics", f.read())
        return m and m.group(1)
    return p, wait_for(f"dmwatch serve to say where it listens ({logpath})", url, 15)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return None, ""


class Prom:
    def __init__(self, base):
        self.base = base

    def api(self, path, **params):
        status, body = http_get(f"{self.base}/api/v1/{path}?{urllib.parse.urlencode(params)}")
        if status is None:
            return None
        return json.loads(body)

    def query(self, q):
        r = self.api("query", query=q)
        if not r or r.get("status") != "success":
            fail(f"query {q!r}: {r}")
        return r["data"]["result"]

    def firing(self):
        r = self.api("alerts")
        if not r or r.get("status") != "success":
            return []
        return [a for a in r["data"]["alerts"] if a["state"] == "firing"]


def short_rules(path):
    """The shipped rules with every for: cut to 0s."""
    with open(RULES) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(\s+for:)\s*\S+$", r"\1 0s", text)
    if not n:
        fail("the rules have no for: to shorten; has their layout changed?")
    with open(path, "w") as f:
        f.write(text)


# ---- the checks ----

def check_alerts(prom, w):
    used = 850
    write_state(f"{w}/pve1.json", "pve1", used)
    want = {"DmwatchLvActiveOnSeveralNodes", "DmwatchThinPoolDataWarning",
            "DmwatchThinPoolFullIn24h"}

    def fired():
        nonlocal used
        # advance the fill once Prometheus has the current one
        got = prom.query(f'dmwatch_thin_pool_data_used_bytes{{name="{POOL}"}}'
                         ' * on(job, instance) group_left(node) dmwatch_node_info{node="pve1"}')
        if got and float(got[0]["value"][1]) == used * 128 * 512 and used < 900:
            used += 2
            write_state(f"{w}/pve1.json", "pve1", used)
        alerts = prom.firing()
        names = {a["labels"]["alertname"] for a in alerts}
        return alerts if want <= names else None
    alerts = wait_for("the two-node and the pool alerts to fire", fired)
    log(f"firing: {sorted({a['labels']['alertname'] for a in alerts})}")

    two = [a for a in alerts if a["labels"]["alertname"] == "DmwatchLvActiveOnSeveralNodes"]
    if len(two) != 1:
        fail(f"DmwatchLvActiveOnSeveralNodes fired {len(two)} times: {two}")
    lab, summary = two[0]["labels"], two[0]["annotations"].get("summary", "")
    if (lab.get("storage"), lab.get("vg"), lab.get("lv")) != ("SSD-HA01", "ssd-ha01", SHARED_BOTH):
        fail(f"DmwatchLvActiveOnSeveralNodes names the wrong LV: {lab}")
    if not re.search(r"\bpve1\b", summary) or not re.search(r"\bpve2\b", summary):
        fail(f"the summary does not name both nodes: {summary!r}")
    if f"ssd-ha01/{SHARED_BOTH}" not in summary or "lvchange -an" not in summary:
        fail(f"the summary does not name the LV and the remedy: {summary!r}")
    if any(a["labels"].get("lv") == SHARED_ONE for a in two):
        fail(f"{SHARED_ONE} is active on one node only but alerted")

    for name in ("DmwatchThinPoolDataWarning", "DmwatchThinPoolFullIn24h"):
        pools = [a for a in alerts if a["labels"]["alertname"] == name]
        nodes = sorted(a["labels"].get("node") for a in pools)
        if nodes != ["pve1"]:
            fail(f"{name} fired for nodes {nodes}, expected pve1 alone: {pools}")
        lab, summary = pools[0]["labels"], pools[0]["annotations"].get("summary", "")
        if (lab.get("vg"), lab.get("lv"), lab.get("name")) != ("pve", "data", POOL):
            fail(f"{name} names the wrong pool: {lab}")
        if "pve/data" not in summary or "lvextend" not in summary:
            fail(f"{name}: the summary does not name the pool and the remedy: {summary!r}")
    log(f"alerts as expected (pool fill went from 850 to {used} blocks)")


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    ds_vars = [v for v in dash["templating"]["list"] if v["type"] == "datasource"]
    if not ds_vars:
        fail("the dashboard has no datasource variable")
    exprs = []

    def walk(panels):
        for p in panels:
            ds = p.get("datasource")
            if ds and ds.get("uid") != "${datasource}":
                fail(f"panel {p.get('title')!r} does not use the datasource variable")
            for t in p.get("targets", []):
                exprs.append((p["title"], t["expr"]))
            walk(p.get("panels", []))
    walk(dash["panels"])
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q)
            exprs.append((f"variable {v['name']}", m.group(1) if m else q))
    return exprs


def check_dashboard(prom):
    exprs = dashboard_exprs()
    if len(exprs) < 10:
        fail(f"only {len(exprs)} expressions in the dashboard")
    for title, expr in exprs:
        q = expr.replace("$node", ".*").replace("$__rate_interval", "1m") \
                .replace("$__interval", "1m").replace("$__range", "1h")
        if "$" in q:
            fail(f"{title}: a variable this test does not know: {expr}")
        prom.query(q)       # fails the test unless it parses and evaluates
        for metric in set(re.findall(r"\b(dmwatch_[a-z_]+|ALERTS)\b", q)):
            if not prom.query(f'count({{__name__="{metric}"}})'):
                fail(f"{title}: {metric} does not exist in what dmwatch exports")
    log(f"dashboard: {len(exprs)} expressions evaluate, every metric they name exists")


def main():
    if not shutil.which("prometheus"):
        log("SKIP: no prometheus (apt-get install prometheus, or make deps)")
        return 77
    if not os.access(DMWATCH, os.X_OK):
        fail(f"no {DMWATCH}: build it first")
    w = tempfile.mkdtemp(prefix="dmwatch-prom.")
    try:
        write_state(f"{w}/pve1.json", "pve1", 850)
        write_state(f"{w}/pve2.json", "pve2", 100, drop={"ssd--ha01-vm--105--disk--0"})
        _, t1 = serve(f"{w}/pve1.json", f"{w}/serve-pve1.log")
        _, t2 = serve(f"{w}/pve2.json", f"{w}/serve-pve2.log")
        short_rules(f"{w}/rules.yml")
        with open(f"{w}/prometheus.yml", "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [ {w}/rules.yml ]
scrape_configs:
  - job_name: dmwatch
    static_configs:
      - targets: [ '{t1}', '{t2}' ]
""")
        port = free_port()
        start(["prometheus", f"--config.file={w}/prometheus.yml",
               f"--storage.tsdb.path={w}/data", f"--web.listen-address=127.0.0.1:{port}"],
              f"{w}/prometheus.log")
        prom = Prom(f"http://127.0.0.1:{port}")
        wait_for("Prometheus to be ready",
                 lambda: http_get(f"{prom.base}/-/ready")[0] == 200, 60)
        wait_for("both targets to be scraped",
                 lambda: len(prom.query("dmwatch_up == 1")) == 2 and
                 len(prom.query("dmwatch_node_info")) == 2)
        check_alerts(prom, w)
        check_dashboard(prom)
        log(f"passed in {time.monotonic() - T0:.1f} s")
        return 0
    except SystemExit:
        for p in os.listdir(w):
            if p.endswith(".log"):
                with open(os.path.join(w, p)) as f:
                    tail = f.read()[-1500:]
                log(f"--- {p} (tail)\n{tail}")
        raise
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
