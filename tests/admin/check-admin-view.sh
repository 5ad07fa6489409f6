#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What the admin sees (issue 14): `dmwatch scan` rendered for the demo-like
# fixtures and a generated 1,000-device state at COLUMNS=80, piped and on a
# tty (script(1)), must fit 80 columns, show criticals before any "clean"
# line, show sizes, and print only fix: commands that parse as shell.
# Usage: check-admin-view.sh DMWATCH GEN_STATE WORKDIR
set -eu
dmwatch=$1 gen_state=$2 work=$3
mkdir -p "$work"
fail=0
"$gen_state" -q 1000 400 "$work/node-1000.json"

check_output() {	# $1 label, $2 file holding the output
	python3 - "$1" "$2" <<'PY' || fail=1
import re, shlex, subprocess, sys
label, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read().replace("\r\n", "\n")
text = re.sub(r"\x1b\[[0-9;]*m", "", text)      # colours on the tty
lines = text.split("\n")
bad = []
for n, line in enumerate(lines, 1):
    if len(line) > 80:
        bad.append(f"line {n} is {len(line)} columns: {line!r}")
    if line != line.rstrip():
        bad.append(f"line {n} ends in blanks: {line!r}")
crit = next((n for n, l in enumerate(lines) if l.strip() == "CRITICAL"), None)
clean = next((n for n, l in enumerate(lines) if re.search(r"\bclean\b", l)), None)
if crit is None:
    bad.append("no CRITICAL section")
elif clean is not None and clean < crit:
    bad.append(f"a clean line (line {clean + 1}) before CRITICAL (line {crit + 1})")
if not re.search(r"\d(\.\d)? [KMGT]iB\b", text):
    bad.append("no size in KiB..TiB")
fixes = [l.split("fix:", 1)[1].strip() for l in lines if l.lstrip().startswith("fix:")]
if not fixes:
    bad.append("no fix: line")
for cmd in fixes:
    try:
        shlex.split(cmd)
    except ValueError as e:
        bad.append(f"fix {cmd!r} does not split: {e}")
    if subprocess.run(["sh", "-n", "-c", cmd]).returncode:
        bad.append(f"fix {cmd!r} does not parse with sh -n")
for b in bad:
    print(f"admin-view: {label}: {b}")
print(f"admin-view: {label}: {len(lines)} lines, {len(fixes)} fix commands, "
      f"{'FAIL' if bad else 'ok'}")
sys.exit(1 if bad else 0)
PY
}

for state in tests/fixtures/state/cluster-saved.json tests/fixtures/state/cluster.json \
	     "$work/node-1000.json"; do
	name=$(basename "$state" .json)
	for all in "" --all; do
		# piped: exit 2 is the verdict (criticals), not a failure
		rc=0
		COLUMNS=80 "$dmwatch" scan --state "$state" $all > "$work/$name$all.txt" || rc=$?
		[ "$rc" -le 2 ] || { echo "admin-view: $name: exit $rc"; fail=1; }
		check_output "$name$all piped" "$work/$name$all.txt"
		# on a tty (colours on), through script(1)
		COLUMNS=80 TERM=xterm script -qec \
			"$dmwatch scan --state '$state' $all" /dev/null \
			> "$work/$name$all.tty" || true
		grep -q "$(printf '\033')\[" "$work/$name$all.tty" ||
			{ echo "admin-view: $name: no colour on the tty (not a tty?)"; fail=1; }
		check_output "$name$all tty" "$work/$name$all.tty"
	done
done
# the nightly mail of the 1,000-device node stays small (issue 14: it was 1.19 MB)
printf '#!/bin/sh\ncat > "%s"\n' "$work/mail.eml" > "$work/sendmail"
chmod +x "$work/sendmail"
"$dmwatch" scan --state "$work/node-1000.json" --mail-to root --sendmail "$work/sendmail" \
	> /dev/null || [ $? -le 2 ] || { echo "admin-view: mail: scan failed"; fail=1; }
mail_bytes=$(wc -c < "$work/mail.eml")
if [ "$mail_bytes" -ge 200000 ] || ! grep -q 'dmsetup remove' "$work/mail.eml"; then
	echo "admin-view: mail for 1,000 devices is $mail_bytes bytes (limit 200000) or lacks the fixes"
	fail=1
else
	echo "admin-view: mail for 1,000 devices: $mail_bytes bytes, ok"
fi
[ "$fail" = 0 ] && echo "admin-view: all ok"
exit "$fail"
