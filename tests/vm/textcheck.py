# SPDX-License-Identifier: GPL-2.0
"""What the scenarios check in dmwatch's output, in one place.

Imported by the Python checks of tests/vm/test_trace_*.sh and test_scan.sh (run
with PYTHONPATH=tests/vm): text output must hold no raw control byte and show one
escaped as \\xNN; a tracer's JSON output must be strict UTF-8, one event per line.
"""
import json
import sys


def need(cond, what):
    """End the check with FAIL: WHAT unless COND."""
    if not cond:
        sys.exit("FAIL: " + what)


def shown(s):
    """S as dmwatch's text output shows it: each C0 control byte as \\xNN."""
    return "".join("\\x%02x" % ord(c) if ord(c) < 0x20 else c for c in s)


def no_raw_control(*paths):
    """Each file is strict UTF-8 with no raw C0 (but newline), DEL or C1 character."""
    for path in paths:
        text = open(path, "rb").read().decode("utf-8", errors="strict")
        bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
        need(not bad, "%s holds raw control bytes %r" % (path, bad[:5]))


def json_events(path):
    """The events of a --json tracer's output, decoded as strict UTF-8."""
    text = open(path, "rb").read().decode("utf-8", errors="strict")
    return [json.loads(line) for line in text.splitlines()]
