#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dmwatch serve under load from strangers, on this host's loopback (no dm, no
# root: the scans come from saved states). Bounded: at most 200 client
# connections at a time, about a minute in all. Each scenario is in
# serve_load.py; this starts a server per scenario and gives a throughput figure
# with hyperfine when it is installed.
#
#   tests/load/serve-load.sh [DMWATCH]      (make check-serve-load)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dmwatch=${1:-$top/dmwatch}
W=$(mktemp -d /tmp/dmwatch-serve-load.XXXXXX)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2> /dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

# start SERVE_ARGS...: a server on a free loopback port; sets pid and port
start() {
	"$dmwatch" serve --listen 127.0.0.1:0 "$@" 2> "$W/serve.err" &
	pid=$!
	for _ in $(seq 600); do
		grep -q 'serving metrics on' "$W/serve.err" && break
		kill -0 "$pid" 2> /dev/null || { cat "$W/serve.err" >&2; exit 1; }
		sleep 0.05
	done
	port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$W/serve.err")
	[ -n "$port" ] || { echo "serve did not start" >&2; cat "$W/serve.err" >&2; exit 1; }
}

stop() {
	kill -TERM "$pid"
	wait "$pid" || { echo "FAIL: serve exited $? after SIGTERM" >&2; rc=1; }
	pid=
}

rc=0
small=$top/tests/fixtures/state/cluster.json
# a state whose metrics are large (~800 KB) and whose scan takes a while
big=$W/big.json
"$top/.output/tools/gen-state" -q 20000 4000 "$big"

start --state "$small"
python3 "$here/serve_load.py" "$port" slowloris 200 8 || rc=1
python3 "$here/serve_load.py" "$port" edges || rc=1
# figures, not checks: each scrape reads and classifies the state again
python3 "$here/serve_load.py" "$port" rate 1000 || rc=1
if command -v hyperfine > /dev/null; then
	hyperfine -N --warmup 5 --runs 50 --style basic \
		"curl -s -o /dev/null http://127.0.0.1:$port/metrics" 2>&1 | grep -E 'Time|Range' || true
fi
stop

# a full table: 200 tricklers against 64 places
start --state "$small" --max-connections 64
python3 "$here/serve_load.py" "$port" slowloris 200 8 || rc=1
stop

# slow readers of a large answer
start --state "$big" --min-interval 600 --max-connections 64
python3 "$here/serve_load.py" "$port" readers 200 8 || rc=1
stop

# every slot waits for a scan: a clean 503
start --state "$big" --max-connections 2
python3 "$here/serve_load.py" "$port" busy || rc=1
stop

[ "$rc" = 0 ] && echo "serve load: all checks held" || echo "serve load: FAILED" >&2
exit "$rc"
