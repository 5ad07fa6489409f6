#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Prometheus side of dmwatch (`make check-prom`, part of `make check`):
#   1. promtool check rules and promtool test rules (rules.test.yml) on the shipped
#      dist/prometheus/dmwatch.rules.yml;
#   2. promtool check metrics on what `scan --prom` writes for the test states and
#      a generated 1,000-device node;
#   3. test_prometheus.py: a real Prometheus with those rules scraping two
#      `dmwatch serve` instances (the two-node and pool alerts), and every PromQL
#      expression of the Grafana dashboard through its query API.
# Needs Debian's prometheus package (make deps installs it).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
dmwatch=${DMWATCH:-$top/dmwatch}
work=$(mktemp -d /tmp/dmwatch-check-prom.XXXXXX)
trap 'rm -rf "$work"' EXIT

die() {
	echo "check-prom: FAIL: $*" >&2
	exit 1
}

for t in promtool prometheus python3; do
	command -v "$t" > /dev/null || die "$t not found; run 'make deps'"
done

promtool check rules "$top/dist/prometheus/dmwatch.rules.yml" > "$work/out" 2>&1 ||
	{ cat "$work/out" >&2; die "promtool check rules"; }
(cd "$top/tests/prometheus" && promtool test rules rules.test.yml) > "$work/out" 2>&1 ||
	{ cat "$work/out" >&2; die "promtool test rules"; }
echo "check-prom: rules: promtool check rules and test rules pass"

"$top/.output/tools/gen-state" -s 1 -q 1000 500 "$work/gen.json" 2> /dev/null ||
	die "gen-state failed"
for state in "$top/tests/fixtures/state/cluster.json" "$work/gen.json"; do
	rc=0
	"$dmwatch" scan --state "$state" --prom "$work/out.prom" > /dev/null || rc=$?
	[ "$rc" -le 2 ] || die "scan --prom of $state exited $rc"
	promtool check metrics < "$work/out.prom" > "$work/out" 2>&1 ||
		{ cat "$work/out" >&2; die "promtool check metrics on scan --prom of $state"; }
done
echo "check-prom: metrics: promtool check metrics passes"

python3 "$top/tests/prometheus/test_prometheus.py" "$dmwatch"
