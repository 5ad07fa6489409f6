#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Strangers against `dmwatch serve`, on loopback only, bounded in count and time.

    serve_load.py PORT SCENARIO [N] [SECONDS]

SCENARIO:
  slowloris  N clients (default 200) hold connections open, trickling one header
             byte each per second and reconnecting whenever the server lets them
             go; meanwhile curl scrapes /metrics twice a second and every scrape
             must be 200 OK within 2 s.
  readers    N clients ask for /metrics with a tiny receive buffer and never read
             the answer; curl scrapes as above.
  busy       every slot of a server started with --max-connections 2 waits for a
             slow scan: one more client gets a whole 503 (not a reset), the
             waiting two their 200 once the scan is done.
  rate       N scrapes one after another over plain sockets: a throughput and
             latency figure (every answer must be 200).
  edges      a request with a NUL byte is answered 400 at once; a client that
             trickles a request forever is dropped after the 10 s request bound.

Exit 0 when every check held; each failure is one "FAIL:" line.
"""
import selectors
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
failures = []


def fail(what):
    failures.append(what)
    print("FAIL: " + what, flush=True)


def scrape(port):
    """One curl scrape: (HTTP status, seconds)."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
         "--max-time", "10", "http://%s:%d/metrics" % (HOST, port)],
        capture_output=True, text=True, check=False).stdout.split()
    if len(out) != 2:
        return 0, 10.0
    return int(out[0]), float(out[1])


class Crowd:
    """N sockets held against the server by one thread, reconnected when dropped."""

    def __init__(self, port, n, mode):
        self.port, self.n, self.mode = port, n, mode
        self.sel = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.connects = 0
        self.dropped = 0
        self.held = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self):
        s = socket.socket()
        if self.mode == "readers":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        s.setblocking(False)
        try:
            s.connect((HOST, self.port))
        except BlockingIOError:
            pass
        self.connects += 1
        self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, {"sent": False})

    def drop(self, key):
        self.sel.unregister(key.fileobj)
        key.fileobj.close()
        self.dropped += 1
        if not self.stop.is_set():
            self.connect()

    def run(self):
        for _ in range(self.n):
            self.connect()
        next_byte = time.monotonic() + 1
        while not self.stop.is_set():
            for key, ev in self.sel.select(timeout=0.2):
                s, st = key.fileobj, key.data
                try:
                    if ev & selectors.EVENT_WRITE and not st["sent"]:
                        # connected: start a request and then only listen
                        s.send(b"GET /metrics HTTP/1.1\r\n" if self.mode == "slowloris"
                               else b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                        st["sent"] = True
                        if self.mode == "readers":
                            # asked, and never reads a byte of the answer
                            self.sel.unregister(s)
                            self.held.append(s)
                        else:
                            self.sel.modify(s, selectors.EVENT_READ, st)
                    elif ev & selectors.EVENT_READ:
                        if s.recv(4096) == b"":
                            self.drop(key)
                except OSError:
                    self.drop(key)
            if self.mode == "slowloris" and time.monotonic() >= next_byte:
                next_byte = time.monotonic() + 1
                for key in list(self.sel.get_map().values()):
                    if key.data["sent"]:
                        try:
                            key.fileobj.send(b"X")
                        except OSError:
                            self.drop(key)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        for s in self.held:
            s.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def scrapes_under(port, crowd, seconds):
    # let the crowd settle in first: all connected and talking
    deadline = time.monotonic() + 5
    while crowd.connects < crowd.n and time.monotonic() < deadline:
        time.sleep(0.05)
    worst, n = 0.0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        code, secs = scrape(port)
        n += 1
        worst = max(worst, secs)
        if code != 200 or secs > 2.0:
            fail("%s: scrape %d got %d after %.2f s" % (crowd.mode, n, code, secs))
        time.sleep(0.5)
    print("%s: %d clients (%d connects, %d dropped by the server), %d scrapes, slowest %.3f s"
          % (crowd.mode, crowd.n, crowd.connects, crowd.dropped, n, worst), flush=True)


def whole_response(s, limit=10.0):
    """Everything until EOF; raises on a reset."""
    s.settimeout(limit)
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            return data
        data += d


def busy(port):
    waiting = []
    for _ in range(2):
        s = socket.create_connection((HOST, port))
        s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        waiting.append(s)
    # both slots now wait for a scan (the first began one; the second waits for the next)
    t = time.monotonic()
    s = socket.create_connection((HOST, port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        resp = whole_response(s)
        if not resp.startswith(b"HTTP/1.1 503 ") or not resp.endswith(b"503 Service Unavailable\n"):
            fail("busy: expected a whole 503, got %r" % resp[:80])
        else:
            print("busy: 503 in %.3f s, whole, with Retry-After: %s"
                  % (time.monotonic() - t, b"Retry-After: 1\r\n" in resp), flush=True)
    except OSError as e:
        fail("busy: the 503 came with %s" % e)
    s.close()
    for w in waiting:
        try:
            resp = whole_response(w, 60)
            if not resp.startswith(b"HTTP/1.1 200 "):
                fail("busy: a waiting client got %r" % resp[:40])
        except OSError as e:
            fail("busy: a waiting client got %s" % e)
        w.close()


def edges(port):
    s = socket.create_connection((HOST, port))
    t = time.monotonic()
    s.sendall(b"GET /metrics\x00 HTTP/1.1\r\n")
    try:
        resp = whole_response(s, 5)
        took = time.monotonic() - t
        if not resp.startswith(b"HTTP/1.1 400 ") or took > 1.0:
            fail("edges: NUL byte: %r after %.2f s" % (resp[:40], took))
        else:
            print("edges: NUL byte answered 400 in %.3f s" % took, flush=True)
    except OSError as e:
        fail("edges: NUL byte: %s" % e)
    s.close()

    s = socket.create_connection((HOST, port))
    t = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\n")
    s.settimeout(0.5)
    gone = None
    while time.monotonic() - t < 15:
        try:
            s.send(b"X")
            if s.recv(100) == b"":
                gone = time.monotonic() - t
                break
        except socket.timeout:
            continue
        except OSError:
            gone = time.monotonic() - t
            break
    s.close()
    if gone is None or not 9.0 <= gone <= 12.0:
        fail("edges: a trickling request was let go after %s s, expected about 10" % gone)
    else:
        print("edges: a request trickled forever was dropped after %.1f s" % gone, flush=True)


def rate(port, n):
    times = []
    t0 = time.monotonic()
    for _ in range(n):
        t = time.monotonic()
        s = socket.create_connection((HOST, port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = whole_response(s)
        s.close()
        times.append(time.monotonic() - t)
        if not resp.startswith(b"HTTP/1.1 200 "):
            fail("rate: got %r" % resp[:40])
            return
    total = time.monotonic() - t0
    times.sort()
    print("rate: %d scrapes in %.2f s: %.0f/s, median %.1f ms, p99 %.1f ms"
          % (n, total, n / total, 1000 * times[n // 2], 1000 * times[n * 99 // 100]), flush=True)


def main():
    port, scenario = int(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 8
    if scenario in ("slowloris", "readers"):
        with Crowd(port, n, scenario) as crowd:
            scrapes_under(port, crowd, seconds)
    elif scenario == "rate":
        rate(port, n)
    elif scenario == "busy":
        busy(port)
    elif scenario == "edges":
        edges(port)
    else:
        sys.exit("unknown scenario " + scenario)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
