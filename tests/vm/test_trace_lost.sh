#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lost events are counted, and counted exactly: the tracer is stopped (SIGSTOP)
# while an I/O error storm on a dm error target overfills its 16 MiB ring buffer;
# once it runs again it says how many it lost, and every failed read is either an
# io_error event it printed or one it counts as lost (the counter is a BPF global
# read through the skeleton's mmap, with no bpf(2) call).
. "$(dirname "$0")/lib.sh"

STORM=$REPO/.output/tools/ioerr-storm
[ -x "$STORM" ] || die "no $STORM (make tools)"

err=/tmp/trace-lost.err
start_tracer /dev/null "$err" --interval 0.5
dm_create dmw-storm "0 2048 error"

kill -STOP "$tpid"
# ~190k io_error events fit the ring; under TCG one thread makes ~140k a second
storm=$("$STORM" /dev/mapper/dmw-storm 3 1)
made=${storm#errors }
made=${made%% *}
log "storm: $storm"
kill -CONT "$tpid"
wait_for_line "$err" 'lost [0-9]+ events \(ring full or probe skipped\)' 120
dmsetup remove dmw-storm
kill -INT "$tpid"
wait "$tpid"
keep "$err"

summary=$(grep -E 'dmwatch trace: [0-9]+ events, [0-9]+ I/O errors, [0-9]+ lost' "$err") ||
	die "no summary line in $err"
read -r ioerrs lost <<< "$(sed -E 's/.* ([0-9]+) I\/O errors, ([0-9]+) lost.*/\1 \2/' <<< "$summary")"
log "made $made failed reads; tracer: $summary"
[ "$made" -gt 200000 ] || die "the storm made only $made errors: the ring buffer never filled"
[ "$lost" -gt 0 ] || die "nothing counted lost after $made errors with the tracer stopped"
assert_eq "$made" "$((ioerrs + lost))" "failed reads = io_error events seen + lost"
# the per-line counts add up to the summary's
assert_eq "$lost" "$(sed -nE 's/.*lost ([0-9]+) events.*/\1/p' "$err" | awk '{ s += $1 } END { print s + 0 }')" \
	"the lost lines' sum"
