#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The last resort for dm lifecycle: kernel uevents (a kernel with neither kprobes
# nor syscall tracepoints). Forced with --uevents on the real kernel: a device
# appearing, renamed and removed is seen with "source":"uevent", and I/O errors
# (BPF, unaffected) are still named after it. Names that come from uevents (DM_NAME,
# sysfs) hold ESC and BEL here too: escaped in the text a terminal shows, exact in
# the JSON.
. "$(dirname "$0")/lib.sh"

out=/tmp/trace-uev.json
err=/tmp/trace-uev.err
txt=/tmp/trace-uev.txt
txt_err=/tmp/trace-uev-txt.err
start_tracer "$out" "$err" --json --uevents
assert_contains "$err" "using kernel uevents"
tpid_json=$tpid
COLUMNS=200 start_tracer "$txt" "$txt_err" --uevents
txt_tpid=$tpid
tpid=$tpid_json

dm_create dmw-uev "0 2048 error"
minor=$(dmsetup info -c --noheadings -o minor dmw-uev | tr -d ' ')
dmsetup rename dmw-uev dmw-uev2
# uevents arrive after the ioctl returns: until the rename's has, the tracer still
# knows the old name (an error in between is named dmw-uev; see the man page)
wait_for_line "$out" '"event":"dm_rename","name":"dmw-uev"' 60
expect_fail dd if=/dev/mapper/dmw-uev2 of=/dev/null bs=4k count=1 iflag=direct
dmsetup remove dmw-uev2
wait_for_line "$out" '"event":"dm_remove","name":"dmw-uev2"' 60

hostile=$'dmw-\x1b]0;pwned\x07-\x1b[2J'
hostile2=$'dmw-\x1b[31mred\x01'
on_cleanup "dmsetup --manglename none remove $(printf %q "$hostile") 2> /dev/null"
on_cleanup "dmsetup --manglename none remove $(printf %q "$hostile2") 2> /dev/null"
dmsetup --manglename none create "$hostile" --table "0 8 zero"
dmsetup --manglename none rename "$hostile" "$hostile2"
dmsetup --manglename none remove "$hostile2"
# the text tracer's last line for it: remove, the name escaped
wait_until 60 grep -qF 'dmw-\x1b[31mred\x01' "$txt" || die "no escaped name in $txt"
wait_until 60 sh -c "grep -F 'dmw-\\x1b[31mred\\x01' '$txt' | grep -q remove" ||
	die "no remove of the escaped name in $txt"
wait_for_line "$out" '"event":"dm_remove","name":"dmw-[^"]*31mred' 60
for p in "$txt_tpid" "$tpid"; do
	kill -INT "$p"
	wait "$p"
done
keep "$out" "$err" "$txt" "$txt_err"
PYTHONPATH="$REPO/tests/vm" PYTHONDONTWRITEBYTECODE=1 python3 - "$out" "$txt" "$txt_err" "$hostile" "$hostile2" <<'EOF'
import sys
from textcheck import json_events, need, no_raw_control, shown
out, txt, txt_err, hostile, hostile2 = sys.argv[1:]
no_raw_control(txt, txt_err)
lines = open(txt, encoding="utf-8").read().splitlines()
need(any(l.split()[1] == "create" and shown(hostile) in l for l in lines),
     "no escaped create of %s in:\n%s" % (shown(hostile), "\n".join(lines)))
need(any(shown(hostile) + " " in l and shown(hostile2) in l for l in lines),
     "no escaped rename %s -> %s" % (shown(hostile), shown(hostile2)))
events = json_events(out)
need(any(e.get("event") == "dm_create" and e.get("name") == hostile and e.get("source") == "uevent"
         for e in events), "no exact dm_create of the hostile name in JSON")
need(any(e.get("event") == "dm_rename" and e.get("name") == hostile and e.get("new_name") == hostile2
         for e in events), "no exact dm_rename to the hostile name in JSON")
need(any(e.get("event") == "dm_remove" and e.get("name") == hostile2 for e in events),
     "no exact dm_remove of the hostile name in JSON")
EOF
log "uevent tier: hostile names escaped in text, exact in JSON"

assert_contains "$out" "\"event\":\"dm_create\",\"name\":\"dmw-uev\",.*\"dev\":\"dm-$minor\",.*\"source\":\"uevent\""
assert_contains "$out" '"event":"dm_rename","name":"dmw-uev",.*"new_name":"dmw-uev2",.*"source":"uevent"'
assert_contains "$out" "\"event\":\"io_error\",\"dev\":\"dm-$minor\",\"name\":\"dmw-uev2\""
assert_contains "$out" '"event":"dm_remove","name":"dmw-uev2",.*"source":"uevent"'
assert_not_contains "$out" '"source":"kprobe"'
