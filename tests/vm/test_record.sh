#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dmwatch record end to end against the real kernel (seed 002): a classic snapshot
# overflows to Invalid while the recorder runs, reads of it fail, it is removed;
# afterwards report names it with COW 100 % / Invalid and the read errors, whois
# says what dm-N was, explain annotates a dmesg -T line. Then kill -9 while dm
# devices come and go (every log stays readable, at most ~1 s lost), damage a
# segment (report warns and goes on), and a small --max-size bounds disk use.
. "$(dirname "$0")/lib.sh"

rec=/tmp/rec
rm -rf "$rec"

# start_recorder DIR ERRFILE [OPTIONS...]: in the background, wait for its ready line
start_recorder() {
	local dir=$1 errf=$2
	shift 2
	"$DMWATCH" record --dir "$dir" "$@" 2> "$errf" &
	RPID=$!
	on_cleanup "kill -9 $RPID 2>/dev/null"
	wait_for_line "$errf" "Recording device-mapper events to $dir\.\.\." 180
}

# stop_recorder: SIGTERM, which must end it cleanly
stop_recorder() {
	local rc=0
	kill -TERM "$RPID"
	wait "$RPID" || rc=$?
	assert_eq "$rc" 0 "recorder exit status after SIGTERM"
}

# the recorder may delete its oldest segment between the listing and the stat:
# a segment that vanished counts as 0 bytes, not as a failed test
seg_bytes() {
	find "$1" -maxdepth 1 -name 'seg-*.dmw' -printf '%s\n' 2>/dev/null |
		awk '{ s += $1 } END { print s + 0 }'
}

seg_count() {
	local f n=0
	for f in "$1"/seg-*.dmw; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# ---- 1. the seed 002 incident, recorded -------------------------------------------

start_recorder "$rec" /tmp/rec1.err --interval 0.5
log "recorder ready: $(head -c 300 /tmp/rec1.err | tr '\n' ' ')"

# a second recorder on the same directory is refused at once
expect_fail "$DMWATCH" record --dir "$rec" 2> /tmp/rec-second.err
assert_eq "$EXPECT_RC" 3 "second recorder exit status"
assert_contains /tmp/rec-second.err "another recorder \(pid $RPID\) is writing to $rec"

pv=$(mkloop 64)
mkvg dmwrec "$pv"
lvcreate -qq -L 16M -n vm-102-disk-0 dmwrec
lvcreate -qq -s -L 4M -n snap-102-0 dmwrec/vm-102-disk-0
snap=dmwrec-snap--102--0
minor=$(dmsetup info -c --noheadings -o minor "$snap" | tr -d ' ')
log "snapshot $snap is dm-$minor"
# let the recorder sample it active first
sleep 1.5
# 8M of changes into a 4M COW: it overflows and goes Invalid
dd if=/dev/urandom of=/dev/dmwrec/vm-102-disk-0 bs=1M count=8 oflag=direct status=none
wait_until 30 sh -c "dmsetup status $snap | grep -q Invalid"
# the backup's read of the snapshot fails (seed 002: dd: error reading ... Input/output error)
err_at=$(date +%s)
err_dmesg=$(date '+%a %b %e %H:%M:%S %Y')
expect_fail dd if=/dev/mapper/$snap of=/dev/null bs=4096 count=4 iflag=direct
sleep 1
lvremove -qq -y dmwrec/snap-102-0
! dmsetup info "$snap" > /dev/null 2>&1 || die "$snap still exists after lvremove"
# the device list after the remove, then a clean stop
sleep 1.5
stop_recorder
assert_contains /tmp/rec1.err "dmwatch record: [0-9]+ events"

# wide enough that each summary and timeline line is one line for the regexes below
COLUMNS=250 "$DMWATCH" report --dir "$rec" > /tmp/report1.txt 2> /tmp/report1.err
"$DMWATCH" report --dir "$rec" --json > /tmp/report1.json
keep /tmp/report1.txt /tmp/report1.json /tmp/rec1.err
cat /tmp/report1.txt >&2
assert_contains /tmp/report1.txt "^  $snap \(dm-$minor\): COW 100 % -> Invalid at [0-9:]+.*; [0-9]+ read errors? \(EIO\) by pid [0-9]+ dd at "
assert_contains /tmp/report1.txt "snapshot_invalid +dm-$minor +$snap +state invalid"
assert_contains /tmp/report1.txt "io_error +dm-$minor +$snap +[0-9]+ read errors? EIO by pid [0-9]+ dd"
assert_contains /tmp/report1.txt "dm_create +dm-$minor +$snap +by pid [0-9]+ lvcreate"
assert_contains /tmp/report1.txt "dm_remove +dm-$minor +$snap +by pid [0-9]+ lvremove"
assert_contains /tmp/report1.txt "recorder_stop"
assert_not_contains /tmp/report1.err "warning"
assert_contains /tmp/report1.json "\"event\":\"io_error\",\"dev\":\"dm-$minor\",\"name\":\"$snap\",.*\"op\":\"read\",\"errno\":\"EIO\""
assert_contains /tmp/report1.json "\"event\":\"snapshot_invalid\",\"name\":\"$snap\",\"dev\":\"dm-$minor\",\"state\":\"invalid\""
assert_contains /tmp/report1.json "\"event\":\"cow_usage\",\"name\":\"$snap\""
# unchanged samples are left out, but the last one before the overflow is kept
[ "$(grep -c "\"event\":\"cow_usage\",\"name\":\"$snap\"" /tmp/report1.json)" -ge 2 ] ||
	die "fewer than 2 COW samples of $snap before it went Invalid"

# whois, now that the device is gone
"$DMWATCH" whois --dir "$rec" "dm-$minor" --at "@$err_at" > /tmp/whois1.txt
cat /tmp/whois1.txt >&2
assert_contains /tmp/whois1.txt "^dm-$minor \($DM_MAJOR:$minor\) at .* was $snap$"
assert_contains /tmp/whois1.txt "LVM +VG dmwrec, LV snap-102-0"
assert_contains /tmp/whois1.txt "origin +dmwrec/vm-102-disk-0"
assert_contains /tmp/whois1.txt "created +[-0-9]+ [0-9:.]+ by pid [0-9]+ lvcreate"
assert_contains /tmp/whois1.txt "removed +[-0-9]+ [0-9:.]+ by pid [0-9]+ lvremove"
"$DMWATCH" whois --dir "$rec" "dm-$minor" > /tmp/whois2.txt
assert_contains /tmp/whois2.txt "$snap"
expect_fail "$DMWATCH" whois --dir "$rec" "dm-$minor" --at "not a time"
assert_eq "$EXPECT_RC" 3 "whois with a bad --at"

# explain: the admin's dmesg -T line, annotated with the name at that time
printf '[%s] Buffer I/O error on dev dm-%s, logical block 0, async page read\n' \
	"$err_dmesg" "$minor" > /tmp/dmesg1.txt
echo "a line without a time about dm-$minor" >> /tmp/dmesg1.txt
"$DMWATCH" explain --dir "$rec" /tmp/dmesg1.txt > /tmp/explain1.txt
cat /tmp/explain1.txt >&2
assert_contains /tmp/explain1.txt "Buffer I/O error on dev dm-$minor \[$snap\], logical block 0"
assert_contains /tmp/explain1.txt "about dm-$minor \[$snap \(time unknown\)\]"

# ---- 2. kill -9 while devices come and go ------------------------------------------

churn() {
	local i=0
	while :; do
		i=$((i + 1))
		dmsetup create "dmwk-$1-$i" --table "0 8 zero" 2> /dev/null || continue
		echo "dmwk-$1-$i ${EPOCHREALTIME}" >> "/tmp/churn-$1"
		dmsetup remove "dmwk-$1-$i" 2> /dev/null || true
	done
}

for round in 1 2 3; do
	start_recorder "$rec" "/tmp/rec-k$round.err"
	: > "/tmp/churn-$round"
	churn "$round" &
	cpid=$!
	on_cleanup "kill $cpid 2>/dev/null; wait $cpid 2>/dev/null"
	sleep $((2 + round))
	kill -9 "$RPID"
	killed_at=$EPOCHREALTIME
	wait "$RPID" 2> /dev/null || true
	kill "$cpid"
	wait "$cpid" 2> /dev/null || true
	# a device created at least 1.5 s before the kill must be in the log
	want=$(awk -v k="$killed_at" '$2 < k - 1.5 { n = $1 } END { print n }' "/tmp/churn-$round")
	[ -n "$want" ] || die "round $round: nothing was created before the kill"
	rc=0
	"$DMWATCH" report --dir "$rec" --json > "/tmp/report-k$round.json" 2> "/tmp/report-k$round.err" || rc=$?
	assert_eq "$rc" 0 "report exit status after kill -9 (round $round)"
	assert_contains "/tmp/report-k$round.json" "\"event\":\"dm_create\",\"name\":\"$want\""
	last=$(grep -o '"ts":"[^"]*","event":"dm_create","name":"dmwk-[^"]*' "/tmp/report-k$round.json" |
		tail -n 1)
	log "round $round: $(wc -l < "/tmp/churn-$round") devices made, killed at $killed_at, last logged: $last"
	rc=0
	"$DMWATCH" report --dir "$rec" > "/tmp/report-k$round.txt" 2>> "/tmp/report-k$round.err" || rc=$?
	assert_eq "$rc" 0 "report (text) exit status after kill -9 (round $round)"
	# leftovers of the churn loop
	dmsetup ls | awk '/^dmwk-/ { print $1 }' | xargs -r -n 1 dmsetup remove 2> /dev/null || true
done
keep /tmp/report-k3.txt /tmp/report-k3.err /tmp/rec-k3.err
# the next recorder repaired the torn tails it found
assert_contains /tmp/report-k3.txt "recorder stopped without a clean end"
grep -h "incomplete block" /tmp/rec-k2.err /tmp/rec-k3.err >&2 || true

# ---- 3. a damaged and a truncated segment -------------------------------------------

bad=/tmp/rec-bad
rm -rf "$bad"
cp -r "$rec" "$bad"
rm -f "$bad/lock"
segs=("$bad"/seg-*.dmw)
[ "${#segs[@]}" -ge 3 ] || die "expected a segment per recorder run, got ${#segs[@]}"
size=$(stat -c %s "${segs[0]}")
dd if=/dev/urandom of="${segs[0]}" bs=1 count=64 seek=$((size / 2)) conv=notrunc status=none
truncate -s $(($(stat -c %s "${segs[1]}") - 7)) "${segs[1]}"
rc=0
"$DMWATCH" report --dir "$bad" > /tmp/report-bad.txt 2> /tmp/report-bad.err || rc=$?
cat /tmp/report-bad.err >&2
assert_eq "$rc" 0 "report exit status on damaged segments"
assert_contains /tmp/report-bad.err "warning: seg-[0-9]+\.dmw: .*(CRC|damaged)"
assert_contains /tmp/report-bad.err "warning: seg-[0-9]+\.dmw: incomplete block"
assert_contains /tmp/report-bad.txt "damaged parts skipped"
assert_contains /tmp/report-bad.txt "What happened:"
"$DMWATCH" whois --dir "$bad" "dm-$minor" > /dev/null 2>&1 || true
echo "garbage" > "$bad/seg-0000000099.dmw"
rc=0
"$DMWATCH" report --dir "$bad" > /dev/null 2> /tmp/report-bad2.err || rc=$?
assert_eq "$rc" 0 "report with a garbage segment"
assert_contains /tmp/report-bad2.err "seg-0000000099\.dmw: not a recorder segment"
expect_fail "$DMWATCH" report --dir /tmp/no-such-recorder-dir
assert_eq "$EXPECT_RC" 3 "report on a missing directory"

# ---- 4. a small --max-size stays bounded ---------------------------------------------

small=/tmp/rec-small
rm -rf "$small"
start_recorder "$small" /tmp/rec-small.err --max-size 64K --segment-size 8K
dm_create dmw-errs "0 100000 error"
# a reader walking a broken device: thousands of I/O errors
for pass in 1 2 3 4 5 6 7 8; do
	dd if=/dev/mapper/dmw-errs of=/dev/null bs=512 count=6000 skip=$((pass * 6000)) \
		iflag=direct conv=noerror status=none 2> /dev/null || true
	used=$(seg_bytes "$small")
	log "pass $pass: $used bytes in $(seg_count "$small") segments"
	[ "$used" -le 65536 ] || die "$used bytes on disk, over --max-size 64K"
done
dmsetup remove dmw-errs
sleep 1.5
stop_recorder
keep /tmp/rec-small.err
used=$(seg_bytes "$small")
segs=("$small"/seg-*.dmw)
oldest=${segs[0]##*/}
log "small: $used bytes, oldest $oldest, $(seg_count "$small") segments"
[ "$used" -le 65536 ] || die "$used bytes on disk after stop, over --max-size 64K"
[ "$oldest" != seg-0000000001.dmw ] || die "no segment was rotated out"
"$DMWATCH" report --dir "$small" > /tmp/report-small.txt 2> /tmp/report-small.err
assert_not_contains /tmp/report-small.err "warning"
assert_contains /tmp/report-small.txt "dmw-errs \(dm-[0-9]+\): [0-9]+ read errors \(EIO\) by pid [0-9]+ dd"
assert_contains /tmp/report-small.txt "dm_remove +dm-[0-9]+ +dmw-errs"
