#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What the admin sees (issue 14): `dmwatch scan` rendered for the demo-like
# fixtures and a generated 1,000-device state at COLUMNS=80, piped and on a
# tty (script(1)), must fit 80 columns, show criticals before any "clean"
# line, show sizes, and print only fix: commands that parse as shell.
# `report` of a recorder log (the seed 002 incident, and one of names a
# terminal must survive: CJK, an emoji, 120 columns, escape bytes) and `trace`'s
# lines for that log (trace-replay: the printer `trace` uses live) must fit 80
# columns counted as a terminal counts them (a CJK character or an emoji: 2),
# piped and in an 80-column tmux pane, where no line may wrap; in a 120-column
# pane they may use the room.
# Usage: check-admin-view.sh DMWATCH TOOLS_DIR WORKDIR
set -eu
dmwatch=$1 tools=$2 work=$3
mkdir -p "$work"
fail=0
"$tools/gen-state" -q 1000 400 "$work/node-1000.json"

# $1 label, $2 file holding the output, $3 scan (the default) or view (trace,
# report: names cut with '~', double-width text), $4 the width (default 80)
check_output() {
	python3 - "$1" "$2" "${3:-scan}" "${4:-80}" <<'PY' || fail=1
import re, shlex, subprocess, sys, unicodedata
label, path, kind, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(path, encoding="utf-8").read().replace("\r\n", "\n")
text = re.sub(r"\x1b\[[0-9;]*m", "", text)      # colours on the tty

def cols(s):            # as a terminal draws it (tmux, xterm: wcwidth)
    n = 0
    for ch in s:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return n

lines = text.split("\n")
bad = []
for n, line in enumerate(lines, 1):
    if cols(line) > width:
        bad.append(f"line {n} is {cols(line)} columns: {line!r}")
    if line != line.rstrip():
        bad.append(f"line {n} ends in blanks: {line!r}")
    if re.search(r"[\x00-\x1f\x7f-\x9f]", line):
        bad.append(f"line {n} holds a control character: {line!r}")
if kind == "view":
    if not any(cols(l) > len(l) for l in lines):
        bad.append("no double-width text: the test input lost its CJK names")
    if not re.search(r"[^\s]~(\s|$)", text):
        bad.append("no name cut with '~'")
    if len(lines) < 10:
        bad.append(f"only {len(lines)} lines")
fixes = [l.split("fix:", 1)[1].strip() for l in lines if l.lstrip().startswith("fix:")]
if kind == "scan":
    crit = next((n for n, l in enumerate(lines) if l.strip() == "CRITICAL"), None)
    clean = next((n for n, l in enumerate(lines) if re.search(r"\bclean\b", l)), None)
    if crit is None:
        bad.append("no CRITICAL section")
    elif clean is not None and clean < crit:
        bad.append(f"a clean line (line {clean + 1}) before CRITICAL (line {crit + 1})")
    if not re.search(r"\d(\.\d)? [KMGT]iB\b", text):
        bad.append("no size in KiB..TiB")
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
# report and trace of recorder logs: the incident of seed 002 and the hostile names
rm -rf "$work/hostile"
"$tools/bench-record" --write-hostile "$work/hostile"
tmux_sock=dmwatch-admin-view-$$
trap 'tmux -L "$tmux_sock" kill-server 2> /dev/null || true' EXIT
printf 'set -g history-limit 50000\n' > "$work/tmux.conf"

# $1 label, $2 pane width, $3 command: its screen in a tmux pane of that width
# (COLUMNS unset: the pane's own width counts) as drawn, then with the lines
# tmux wrapped joined again; they must be the same, and fit the width
in_tmux() {
	label=$1 cols=$2 cmd=$3
	tmux -L "$tmux_sock" -f "$work/tmux.conf" new-session -d -x "$cols" -y 40 -s "$label" \
		"unset COLUMNS; $cmd; tmux -L $tmux_sock wait-for -S '$label-done'; exec cat"
	tmux -L "$tmux_sock" wait-for "$label-done"
	tmux -L "$tmux_sock" capture-pane -p -S - -E - -t "$label" |
		sed 's/[[:space:]]*$//' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$work/$label.pane"
	tmux -L "$tmux_sock" capture-pane -p -J -S - -E - -t "$label" |
		sed 's/[[:space:]]*$//' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$work/$label.joined"
	tmux -L "$tmux_sock" kill-session -t "$label"
	if ! cmp -s "$work/$label.pane" "$work/$label.joined"; then
		echo "admin-view: $label: lines wrapped in a $cols-column tmux pane:"
		diff "$work/$label.pane" "$work/$label.joined" | head -n 20
		fail=1
	fi
	check_output "$label tmux" "$work/$label.pane" view "$cols"
}

for log in tests/fixtures/recorder/incident-002 "$work/hostile"; do
	name=$(basename "$log")
	for view in report trace; do
		if [ "$view" = report ]; then
			cmd="$dmwatch report --dir '$log' --since 2025-10-27"
		else
			cmd="$tools/trace-replay '$log'"
		fi
		sh -c "COLUMNS=80 $cmd" > "$work/$view-$name.txt" ||
			{ echo "admin-view: $view $name: exit $?"; fail=1; }
		if [ "$name" = hostile ]; then
			check_output "$view $name piped" "$work/$view-$name.txt" view
			in_tmux "$view-$name-80" 80 "$cmd"
			in_tmux "$view-$name-120" 120 "$cmd"
		else
			check_output "$view $name piped" "$work/$view-$name.txt" plain
		fi
	done
done
# a wider terminal is used: trace's NAME column grows to 30
if ! grep -Eq '^TIME +EVENT +DEV +NAME {30,}PID' \
	"$work/trace-hostile-120.pane"; then
	echo "admin-view: trace in a 120-column pane did not widen NAME"
	fail=1
fi

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
