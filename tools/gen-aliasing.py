#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen-aliasing.py N OUTPUT: the worst case for the aliasing sweep, a saved state
(dmwatch scan --state) of N dm devices that all map the same extent of one disk,
without LVM data (every pair aliases; issue 16 measured 225 s for 8,000)."""
import json
import sys

n, out = int(sys.argv[1]), sys.argv[2]
devices = [{
    "name": "alias-%06d" % i, "uuid": "", "major": 253, "minor": i,
    "open_count": 0, "event_nr": 0, "suspended": False, "read_only": False,
    "live_table": True,
    "table": [{"start": 0, "length": 8192, "type": "linear", "params": "7:0 2048"}],
    "status": [], "deps": [1792],
} for i in range(n)]
state = {"schema": 1, "kind": "dmwatch-state", "host": "bench", "node": "bench",
         "collected_at": 0, "dm_major": 253, "have_dm": True, "have_lvm": False,
         "have_pve": False, "devices": devices, "lvs": [], "extents": [],
         "storages": [], "guests": [], "problems": []}
with open(out, "w") as f:
    json.dump(state, f, separators=(",", ":"))
