#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The last resort for dm lifecycle: kernel uevents (a kernel with neither kprobes
# nor syscall tracepoints). Forced with --uevents on the real kernel: a device
# appearing, renamed and removed is seen with "source":"uevent", and I/O errors
# (BPF, unaffected) are still named after it.
. "$(dirname "$0")/lib.sh"

out=/tmp/trace-uev.json
err=/tmp/trace-uev.err
start_tracer "$out" "$err" --json --uevents
assert_contains "$err" "using kernel uevents"

dm_create dmw-uev "0 2048 error"
minor=$(dmsetup info -c --noheadings -o minor dmw-uev | tr -d ' ')
dmsetup rename dmw-uev dmw-uev2
# uevents arrive after the ioctl returns: until the rename's has, the tracer still
# knows the old name (an error in between is named dmw-uev; see the man page)
wait_for_line "$out" '"event":"dm_rename","name":"dmw-uev"' 60
expect_fail dd if=/dev/mapper/dmw-uev2 of=/dev/null bs=4k count=1 iflag=direct
dmsetup remove dmw-uev2
wait_for_line "$out" '"event":"dm_remove","name":"dmw-uev2"' 60
kill -INT "$tpid"
wait "$tpid"
keep "$out" "$err"

assert_contains "$out" "\"event\":\"dm_create\",\"name\":\"dmw-uev\",.*\"dev\":\"dm-$minor\",.*\"source\":\"uevent\""
assert_contains "$out" '"event":"dm_rename","name":"dmw-uev",.*"new_name":"dmw-uev2",.*"source":"uevent"'
assert_contains "$out" "\"event\":\"io_error\",\"dev\":\"dm-$minor\",\"name\":\"dmw-uev2\""
assert_contains "$out" '"event":"dm_remove","name":"dmw-uev2",.*"source":"uevent"'
assert_not_contains "$out" '"source":"kprobe"'
