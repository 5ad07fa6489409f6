#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole chain against the real kernel: our BPF skeleton loads, attaches, and
# sees real dmsetup create (twice: the second fails with EBUSY), rename, suspend/
# resume, remove, and real I/O errors on dm error / flakey targets, named, plus an
# error on a physical disk below a dm device attributed to the dm device above.
. "$(dirname "$0")/lib.sh"

out=/tmp/trace-lifecycle.json
err=/tmp/trace-lifecycle.err
start_tracer "$out" "$err" --json --interval 0.5
assert_contains "$err" "Tracing device-mapper events\.\.\. Hit Ctrl-C to end\."
log "tracer ready: $(head -c 300 "$err" | tr '\n' ' ')"

loop=$(mkloop 32)
dm_create dmw-lin "0 8192 linear $loop 0"
minor=$(dmsetup info -c --noheadings -o minor dmw-lin | tr -d ' ')
expect_fail dmsetup create dmw-lin --table "0 8192 linear $loop 0"
dmsetup rename dmw-lin dmw-renamed
dmsetup suspend dmw-renamed
dmsetup resume dmw-renamed

dm_create dmw-err "0 2048 error"
expect_fail dd if=/dev/mapper/dmw-err of=/dev/null bs=4096 count=1 iflag=direct
err_minor=$(dmsetup info -c --noheadings -o minor dmw-err | tr -d ' ')
dmsetup remove dmw-err

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
	# scsi_debug's OPT_MEDIUM_ERR fails reads of sector 0x1234 (4660)
	expect_fail dd if=/dev/mapper/dmw-upper of=/dev/null bs=512 count=8 skip=4656 iflag=direct
	dmsetup remove dmw-upper
else
	log "scsi_debug not available: lower-device attribution not exercised"
fi

dmsetup remove dmw-renamed
wait_for_line "$out" '"event":"dm_remove","name":"dmw-renamed"' 60
kill -INT "$tpid"
rc=0
wait "$tpid" || rc=$?
assert_eq 0 "$rc" "trace exit status after SIGINT"
keep "$out" "$err"
cat "$out" >&2

assert_contains "$out" "\"event\":\"dm_create\",\"name\":\"dmw-lin\",\"uuid\":null,\"dev\":\"dm-$minor\",\"pid\":[0-9]+,\"comm\":\"dmsetup\",\"ret\":0"
assert_contains "$out" '"event":"dm_create","name":"dmw-lin",.*"comm":"dmsetup","ret":-16,"errno":"EBUSY"'
assert_contains "$out" "\"event\":\"dm_rename\",\"name\":\"dmw-lin\",.*\"dev\":\"dm-$minor\",\"new_name\":\"dmw-renamed\",.*\"ret\":0"
assert_contains "$out" '"event":"dm_suspend","name":"dmw-renamed"'
assert_contains "$out" '"event":"dm_resume","name":"dmw-renamed"'
assert_contains "$out" '"event":"dm_load","name":"dmw-err"'
assert_contains "$out" "\"event\":\"io_error\",\"dev\":\"dm-$err_minor\",\"name\":\"dmw-err\",.*\"op\":\"read\",\"errno\":\"EIO\""
assert_contains "$out" '"event":"io_error","dev":"dm-[0-9]+","name":"dmw-flakey",.*"sector":24,.*"op":"read","errno":"EIO"'
assert_contains "$out" '"event":"dm_remove","name":"dmw-err",.*"ret":0'
assert_contains "$out" '"source":"kprobe"'
if [ -n "$lower" ]; then
	# the medium error on the disk, named after the dm device above it
	assert_contains "$out" "\"event\":\"io_error\",\"dev\":\"dm-[0-9]+\",\"name\":\"dmw-upper\",.*\"sector\":4660,.*\"op\":\"read\",\"errno\":\"ENODATA\",.*\"lower_dev\":\"$lower\""
fi
assert_contains "$err" 'dmwatch trace: [0-9]+ events, [0-9]+ I/O errors, 0 lost'
assert_contains "$err" 'dmw-flakey'
