#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The systemd units in dist/systemd (`make check-units`, part of `make check`):
#   - systemd-analyze verify finds nothing wrong in them (that /usr/sbin/dmwatch
#     is not installed on the build machine is not their fault);
#   - systemd-analyze security --offline=true scores each service at most
#     UNITS_MAX_EXPOSURE (3.5; 9.3 "UNSAFE" was where dmwatch-scan started), and
#     README.md shows the score each one has;
#   - dmwatch.default (/etc/default/dmwatch) sets every variable the units read.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
max=${UNITS_MAX_EXPOSURE:-3.5}
work=$(mktemp -d /tmp/dmwatch-check-units.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0

die() {
	echo "check-units: FAIL: $*" >&2
	exit 1
}

command -v systemd-analyze > /dev/null || die "no systemd-analyze (Debian package systemd)"

cd "$top/dist/systemd"
systemd-analyze verify --man=no ./*.service ./*.timer > "$work/verify" 2>&1 || :
if grep -v 'Command /usr/sbin/dmwatch is not executable' "$work/verify" |
	grep -E '(service|timer)(:[0-9]+)?:' >&2; then
	die "systemd-analyze verify complains about the units"
fi

# /etc/default/dmwatch documents (sets) every variable a unit reads
for var in $(grep -ho '\${\?DMWATCH_[A-Z_]*' ./*.service | tr -d '${' | sort -u); do
	grep -q "^$var=" dmwatch.default ||
		{ echo "check-units: dmwatch.default does not document $var" >&2; fail=1; }
done

for unit in ./*.service; do
	name=${unit#./}
	systemd-analyze security --offline=true --no-pager "$unit" > "$work/sec" 2>&1 ||
		{ cat "$work/sec" >&2; die "systemd-analyze security $name failed"; }
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$work/sec")
	[ -n "$score" ] || { cat "$work/sec" >&2; die "no score for $name"; }
	echo "check-units: $name: exposure $score"
	if ! awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }'; then
		echo "check-units: $name scores $score, more than $max" >&2
		fail=1
	fi
	if ! grep -q "^| \`$name\` | $score " "$top/README.md"; then
		echo "check-units: README.md does not show $name's score $score" >&2
		fail=1
	fi
done
[ "$fail" = 0 ] || die "units"
echo "check-units: units verify, every service scores <= $max, README agrees"
