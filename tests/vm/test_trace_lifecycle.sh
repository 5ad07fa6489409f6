#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole chain against the real kernel: our BPF skeleton loads, attaches, and
# sees real dmsetup create (twice: the second fails with EBUSY), rename, suspend/
# resume, remove, and real I/O errors on dm error / flakey targets, named, plus an
# error on a physical disk below a dm device attributed to the dm device above,
# seen by block_rq_error where the kernel has it (block_rq_complete before 5.18).
# Bio errors come from dm core's dm_io_set_error where the kernel has it (no
# program runs for a successful bio; the part of a split bio that failed is
# named), else from block_bio_complete.
# Hostile input: a device whose name holds ESC and BEL (stored unmangled) made by a
# process whose comm holds ESC, renamed to another such name: a second tracer's
# text output shows them escaped, with no raw control byte, and --json stays
# valid UTF-8 JSON with the exact names. While tracing, the tracer makes no bpf(2)
# map call (each would make the kernel skip kprobes on that CPU).
. "$(dirname "$0")/lib.sh"

out=/tmp/trace-lifecycle.json
err=/tmp/trace-lifecycle.err
start_tracer "$out" "$err" --json --interval 0.5
assert_contains "$err" "Tracing device-mapper events\.\.\. Hit Ctrl-C to end\."
log "tracer ready: $(head -c 300 "$err" | tr '\n' ' ')"
# the same events as text, from a second tracer, wide enough that no name is cut
# (at 80 columns names end in `~`: make check-admin-view checks that layout)
txt=/tmp/trace-lifecycle.txt
txt_err=/tmp/trace-lifecycle-txt.err
json_tpid=$tpid
COLUMNS=200 start_tracer "$txt" "$txt_err" --interval 0.5
txt_tpid=$tpid
tpid=$json_tpid
# While any process is inside a bpf(2) map call the kernel skips every kprobe
# program on that CPU: a tracer that polled a map would lose dm events (a CI run
# on 7.2 lost a dm_load that way). Watch the JSON tracer's bpf(2) calls.
bpf_calls=/tmp/trace-lifecycle.strace
strace -f -e trace=bpf -o "$bpf_calls" -p "$tpid" 2> /tmp/trace-lifecycle-strace.err &
strace_pid=$!
on_cleanup "kill $strace_pid 2>/dev/null"
wait_until 30 grep -q attached /tmp/trace-lifecycle-strace.err || die "strace never attached"

# check_hook_runs HOOK ERROR_ONLY OTHER DEV WHAT FAIL_CMD...: the runs of an I/O
# error hook, counted with bpf_stats across both tracers. HOOK is loaded once per
# tracer, OTHER (its alternative) not at all; 256 successful direct reads of DEV
# run it never when ERROR_ONLY is yes, else at least once each per tracer;
# FAIL_CMD (which must fail) runs it at least once per tracer.
check_hook_runs() {
	local hook=$1 error_only=$2 other=$3 dev=$4 what=$5 was progs runs0 runs1 runs2
	shift 5
	was=$(sysctl -n kernel.bpf_stats_enabled)
	on_cleanup "sysctl -q -w kernel.bpf_stats_enabled=$was"
	sysctl -q -w kernel.bpf_stats_enabled=1
	read -r progs runs0 <<< "$(bpf_runs "$hook")"
	assert_eq 2 "$progs" "$hook programs loaded (one per tracer)"
	assert_eq "0 0" "$(bpf_runs "$other")" "$other programs beside $hook"
	dd if="$dev" of=/dev/null bs=4096 count=256 iflag=direct 2> /dev/null
	read -r _ runs1 <<< "$(bpf_runs "$hook")"
	expect_fail "$@"
	read -r _ runs2 <<< "$(bpf_runs "$hook")"
	sysctl -q -w kernel.bpf_stats_enabled="$was"
	log "$what: $hook, runs $runs0, $runs1 after 256 good reads, $runs2 after the failed read"
	if [ "$error_only" = yes ]; then
		assert_eq "$runs0" "$runs1" "$hook runs over 256 successful reads"
	else
		[ "$runs1" -ge $((runs0 + 2 * 256)) ] || die "$hook ran $runs0 -> $runs1 times over 256 reads"
	fi
	[ "$runs2" -ge $((runs1 + 2)) ] || die "$hook ran $runs1 -> $runs2 times for the failed read"
}

loop=$(mkloop 32)
dm_create dmw-lin "0 8192 linear $loop 0"
minor=$(dmsetup info -c --noheadings -o minor dmw-lin | tr -d ' ')
expect_fail dmsetup create dmw-lin --table "0 8192 linear $loop 0"
dmsetup rename dmw-lin dmw-renamed
dmsetup suspend dmw-renamed
dmsetup resume dmw-renamed

# which program sees bio errors: dm core's dm_io_set_error where the kernel has
# it as a function (then a successful bio runs nothing at all), else
# block_bio_complete (runs for every bio)
if [ "$(kernel_bio_hook)" = dm_io_set_error ]; then
	bio_hook=dm_io_set_error bio_other=block_bio_complete bio_error_only=yes
else
	bio_hook=block_bio_complete bio_other=dm_io_set_error bio_error_only=no
fi
dm_create dmw-err "0 2048 error"
check_hook_runs "$bio_hook" "$bio_error_only" "$bio_other" /dev/mapper/dmw-renamed "bio errors" \
	dd if=/dev/mapper/dmw-err of=/dev/null bs=4096 count=1 iflag=direct
err_minor=$(dmsetup info -c --noheadings -o minor dmw-err | tr -d ' ')
dmsetup remove dmw-err

# a read across a target boundary, failing in its first part: dm splits it, and
# dm_io_set_error names the part that failed (block_bio_complete sees only the
# whole bio completing, after the split: its second part)
dm_create dmw-split "0 8 error
8 2040 linear $loop 0"
expect_fail dd if=/dev/mapper/dmw-split of=/dev/null bs=8192 count=1 iflag=direct
dmsetup remove dmw-split

# flakey with up 0 s, down 60 s: every read fails while it is down
dm_create dmw-flakey "0 8192 flakey $loop 0 0 60"
expect_fail dd if=/dev/mapper/dmw-flakey of=/dev/null bs=4096 count=1 skip=3 iflag=direct
dmsetup remove dmw-flakey

# a medium error on a (scsi_debug) disk below a linear mapping: attributed upward
lower=""
# (no udev in the guest: sd_mod is not loaded on its own)
if modprobe sd_mod 2> /dev/null && modprobe scsi_debug dev_size_mb=8 opts=2 2> /dev/null; then
	on_cleanup "modprobe -r scsi_debug"
	find_sd() { grep -l scsi_debug /sys/block/sd*/device/model 2> /dev/null | head -n 1; }
	wait_until 30 find_sd
	sd=$(basename "$(dirname "$(dirname "$(find_sd)")")")
	lower=$(cat "/sys/block/$sd/dev")
	sd=/dev/$sd
	wait_until 10 test -b "$sd"
	dm_create dmw-upper "0 16384 linear $sd 0"
	# which program sees request errors: block_rq_error where the kernel has it
	# (then a successful request runs nothing), else block_rq_complete
	if [ "$(kernel_rq_hook)" = block_rq_error ]; then
		rq_hook=block_rq_error rq_other=block_rq_complete rq_error_only=yes
	else
		rq_hook=block_rq_complete rq_other=block_rq_error rq_error_only=no
	fi
	# scsi_debug's OPT_MEDIUM_ERR fails reads of sector 0x1234 (4660)
	check_hook_runs "$rq_hook" "$rq_error_only" "$rq_other" /dev/mapper/dmw-upper "request errors" \
		dd if=/dev/mapper/dmw-upper of=/dev/null bs=512 count=8 skip=4656 iflag=direct
	dmsetup remove dmw-upper
else
	log "scsi_debug not available: lower-device attribution not exercised"
fi

# exec names comm after the file run: a link to dmsetup named with ESC in it
hostile=$'dmw-\x1b]0;pwned\x07-\x1b[2J'
hostile2=$'dmw-\x1b[31mred\x01'
hostile_comm=$'dm\x1bsetup'
ln -s "$(command -v dmsetup)" "/tmp/$hostile_comm"
on_cleanup "rm -f /tmp/$(printf %q "$hostile_comm")"
on_cleanup "dmsetup --manglename none remove $(printf %q "$hostile") 2> /dev/null"
on_cleanup "dmsetup --manglename none remove $(printf %q "$hostile2") 2> /dev/null"
"/tmp/$hostile_comm" --manglename none create "$hostile" --table "0 8 zero"
"/tmp/$hostile_comm" --manglename none rename "$hostile" "$hostile2"
"/tmp/$hostile_comm" --manglename none remove "$hostile2"

dmsetup remove dmw-renamed
wait_for_line "$out" '"event":"dm_remove","name":"dmw-renamed"' 60
wait_for_line "$txt" 'remove .*dmw-renamed' 60
# interrupt_tracer PID WHAT: Ctrl-C ends a tracer cleanly, exit status 0
interrupt_tracer() {
	local status=0
	kill -INT "$1"
	wait "$1" || status=$?
	assert_eq 0 "$status" "$2 exit status after SIGINT"
}
interrupt_tracer "$txt_tpid" "text trace"
keep "$txt" "$txt_err"
interrupt_tracer "$tpid" "trace"
wait "$strace_pid" || true
keep "$out" "$err" "$bpf_calls"
assert_not_contains "$bpf_calls" 'BPF_MAP_(LOOKUP|UPDATE|DELETE|GET_NEXT)'
cat "$out" >&2

assert_contains "$out" "\"event\":\"dm_create\",\"name\":\"dmw-lin\",\"uuid\":null,\"dev\":\"dm-$minor\",\"pid\":[0-9]+,\"comm\":\"dmsetup\",\"ret\":0"
assert_contains "$out" '"event":"dm_create","name":"dmw-lin",.*"comm":"dmsetup","ret":-16,"errno":"EBUSY"'
assert_contains "$out" "\"event\":\"dm_rename\",\"name\":\"dmw-lin\",.*\"dev\":\"dm-$minor\",\"new_name\":\"dmw-renamed\",.*\"ret\":0"
assert_contains "$out" '"event":"dm_suspend","name":"dmw-renamed"'
assert_contains "$out" '"event":"dm_resume","name":"dmw-renamed"'
assert_contains "$out" '"event":"dm_load","name":"dmw-err"'
assert_contains "$out" "\"event\":\"io_error\",\"dev\":\"dm-$err_minor\",\"name\":\"dmw-err\",.*\"op\":\"read\",\"errno\":\"EIO\""
assert_contains "$out" '"event":"io_error","dev":"dm-[0-9]+","name":"dmw-flakey",.*"sector":24,.*"op":"read","errno":"EIO"'
if [ "$bio_hook" = dm_io_set_error ]; then
	assert_contains "$out" '"event":"io_error","dev":"dm-[0-9]+","name":"dmw-split",.*"sector":0,"bytes":4096,"op":"read","errno":"EIO"'
else
	assert_contains "$out" '"event":"io_error","dev":"dm-[0-9]+","name":"dmw-split",.*"op":"read","errno":"EIO"'
fi
assert_contains "$out" '"event":"dm_remove","name":"dmw-err",.*"ret":0'
assert_contains "$out" '"source":"kprobe"'
if [ -n "$lower" ]; then
	# the medium error on the disk, named after the dm device above it
	assert_contains "$out" "\"event\":\"io_error\",\"dev\":\"dm-[0-9]+\",\"name\":\"dmw-upper\",.*\"sector\":4660,.*\"op\":\"read\",\"errno\":\"ENODATA\",.*\"lower_dev\":\"$lower\""
fi
assert_contains "$err" 'dmwatch trace: [0-9]+ events, [0-9]+ I/O errors, 0 lost'
assert_contains "$err" 'dmw-flakey'

# hostile names and comm: the text shows them escaped, no raw control byte
# anywhere; the JSON is strict UTF-8 and holds them exactly
PYTHONPATH="$REPO/tests/vm" PYTHONDONTWRITEBYTECODE=1 python3 - "$out" "$txt" "$txt_err" "$hostile" "$hostile2" "$hostile_comm" <<'EOF'
import sys
from textcheck import json_events, need, no_raw_control, shown
out, txt, txt_err, hostile, hostile2, comm = sys.argv[1:]
no_raw_control(txt, txt_err)
text = open(txt, encoding="utf-8").read()
lines = [l for l in text.splitlines() if shown(comm) in l]
need(any(l.split()[1] == "create" and shown(hostile) in l for l in lines),
     "no escaped create line by %s of %s in:\n%s" % (shown(comm), shown(hostile), text))
need(any(shown(hostile) + " " in l and shown(hostile2) in l for l in lines),
     "no escaped rename line %s -> %s" % (shown(hostile), shown(hostile2)))
need(any(l.split()[1] == "remove" and shown(hostile2) in l for l in lines),
     "no escaped remove line of %s" % shown(hostile2))
events = json_events(out)
need(any(e.get("event") == "dm_create" and e.get("name") == hostile and e.get("comm") == comm
         and e.get("ret") == 0 for e in events), "no exact dm_create of the hostile name in JSON")
need(any(e.get("event") == "dm_rename" and e.get("name") == hostile and e.get("new_name") == hostile2
         for e in events), "no exact dm_rename to the hostile name in JSON")
EOF
log "hostile names and comm: escaped in text, exact in JSON"
