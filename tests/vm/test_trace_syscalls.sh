#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The degraded mode: on a kernel without kprobes the tracer falls back to the
# ioctl syscall tracepoints on /dev/mapper/control. Forced here with --syscalls on
# the real kernel: create, a failed create (EBUSY), rename, remove, all seen with
# "source":"syscall", and a warning saying which mode it runs in.
. "$(dirname "$0")/lib.sh"

out=/tmp/trace-sys.json
err=/tmp/trace-sys.err
start_tracer "$out" "$err" --json --syscalls
assert_contains "$err" "using the ioctl syscall tracepoints"

dm_create dmw-sys "0 2048 zero"
expect_fail dmsetup create dmw-sys --table "0 2048 zero"
dmsetup rename dmw-sys dmw-sys2
dmsetup remove dmw-sys2
wait_for_line "$out" '"event":"dm_remove","name":"dmw-sys2"' 60
kill -INT "$tpid"
wait "$tpid"
keep "$out" "$err"

assert_contains "$out" '"event":"dm_create","name":"dmw-sys",.*"ret":0,.*"source":"syscall"'
assert_contains "$out" '"event":"dm_create","name":"dmw-sys",.*"comm":"dmsetup","ret":-16,"errno":"EBUSY","source":"syscall"'
assert_contains "$out" '"event":"dm_rename","name":"dmw-sys",.*"new_name":"dmw-sys2",.*"source":"syscall"'
assert_contains "$out" '"event":"dm_remove","name":"dmw-sys2",.*"ret":0,.*"source":"syscall"'
assert_not_contains "$out" '"source":"kprobe"'
