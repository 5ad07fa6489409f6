#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the libFuzzer targets built by `make fuzz` (see README.md).
#
#   tests/fuzz/run.sh OUTDIR [TARGET...]
#
# OUTDIR holds the fuzzer binaries (.output/fuzz); TARGETs default to all of them.
# Environment: FUZZ_SECONDS per target (default 60), FUZZ_JOBS targets at once
# (default 1), FUZZ_FLAGS extra libFuzzer flags.
#
# First every target replays its regressions (tests/fuzz/crashes/<target>/*) and
# its seed corpus once; then it fuzzes for FUZZ_SECONDS with the seed corpus
# read-only and new inputs going to OUTDIR/corpus/<target>. Any crash, leak,
# sanitizer report, timeout or broken invariant fails the run; the input is left
# in OUTDIR/artifacts/<target>/ and the log in OUTDIR/logs/<target>.log.
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run.sh OUTDIR [TARGET...]}
shift
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
extra=${FUZZ_FLAGS:-}

# Sanitizers: stop at the first report, with a stack; leaks count as failures.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

if [ $# -eq 0 ]; then
	for b in "$out"/fuzz_*; do
		[ -x "$b" ] && set -- "$@" "$(basename "$b")"
	done
fi
[ $# -gt 0 ] || { echo "fuzz: no targets in $out" >&2; exit 3; }

mkdir -p "$out/logs"
fail=0

# libFuzzer flags every run shares. -timeout: an input a parser needs seconds for is
# a denial of service on `scan --state`; -rss_limit_mb likewise for memory.
common_flags() {
	local t=$1

	echo "-error_exitcode=77 -timeout_exitcode=77 -timeout=10 -rss_limit_mb=2048"
	[ -f "$here/dict/$t.dict" ] && echo "-dict=$here/dict/$t.dict"
	[ -f "$here/$t.options" ] && cat "$here/$t.options"
}

# Replay regressions and seeds: a fixed bug that comes back fails here, in seconds.
replay() {
	local t=$1 bin=$out/$1 files=()

	[ -d "$here/crashes/$t" ] && while IFS= read -r -d '' f; do files+=("$f"); done \
		< <(find "$here/crashes/$t" -type f ! -name '*.md' -print0 | sort -z)
	[ -d "$here/corpus/$t" ] && while IFS= read -r -d '' f; do files+=("$f"); done \
		< <(find "$here/corpus/$t" -type f -print0 | sort -z)
	[ ${#files[@]} -eq 0 ] && return 0
	# shellcheck disable=SC2046
	if ! "$bin" $(common_flags "$t") "${files[@]}" > "$out/logs/$t.replay.log" 2>&1; then
		echo "fuzz: $t: a regression or seed input fails (log: $out/logs/$t.replay.log)" >&2
		grep -E '^Running:|ERROR|runtime error|invariant broken' "$out/logs/$t.replay.log" \
			| tail -4 >&2
		return 1
	fi
	echo "fuzz: $t: ${#files[@]} regression and seed inputs replayed"
}

fuzz_one() {
	local t=$1 bin=$out/$1 log=$out/logs/$1.log rc execs rate

	mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
	# shellcheck disable=SC2046,SC2086
	"$bin" $(common_flags "$t") -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t/" $extra \
		"$out/corpus/$t" "$here/corpus/$t" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	if [ $rc -ne 0 ]; then
		echo "fuzz: $t: FAILED (exit $rc) after ${execs:-?} execs; log: $log" >&2
		grep -E -A12 '^==[0-9]+==ERROR|runtime error|invariant broken' "$log" | head -40 >&2
		ls "$out/artifacts/$t/" >&2
		return 1
	fi
	echo "fuzz: $t: ok, ${execs:-?} execs in ${secs}s (${rate:-?}/s), work corpus $(find "$out/corpus/$t" -type f | wc -l) files"
}

for t in "$@"; do
	[ -x "$out/$t" ] || { echo "fuzz: no such target $out/$t" >&2; exit 3; }
	replay "$t" || fail=1
done
[ $fail -eq 0 ] || exit 1

running=0
for t in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || fail=1
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || fail=1
	running=$((running - 1))
done
exit $fail
