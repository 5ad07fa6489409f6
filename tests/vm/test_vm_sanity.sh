#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_vm_sanity.sh - prove the test bed itself before any dmwatch scenario: the
# guest kernel has device-mapper with the targets dmwatch cares about, kprobes on
# dm-ioctl work, BTF is there for CO-RE, and real LVM thin pools and classic
# snapshots can be built (and broken the way seed 002 broke them).
# It does not need ./dmwatch.

. "$(dirname "$0")/lib.sh"

T=/sys/kernel/tracing
KP_GROUP=vmsanity

# --- kernel ---------------------------------------------------------------------

log "modules"
for m in dm_mod dm_snapshot dm_thin_pool dm_flakey dm_multipath loop; do
	[ -d "/sys/module/$m" ] || die "module $m is not loaded"
done
[ -c /dev/mapper/control ] || die "no /dev/mapper/control"
assert_match "$DM_MAJOR" '^[0-9]+$'
log "device-mapper major $DM_MAJOR, $(dmsetup version | tr '\n\t' '  ')"

log "BTF"
[ -r /sys/kernel/btf/vmlinux ] || die "no vmlinux BTF: CO-RE cannot work"
# dmwatch never needs module BTF (5.10 and PVE 7's 5.15 have none): only say it
[ -r /sys/kernel/btf/dm_mod ] || log "no dm_mod module BTF (not needed)"

log "kprobes"
[ -w "$T/kprobe_events" ] || die "$T/kprobe_events is not writable: no kprobes"
grep -Eq '^[0-9a-f]+ t dev_create[[:space:]]+\[dm_mod\]' /proc/kallsyms ||
	die "dm-ioctl's dev_create is not in /proc/kallsyms"
kprobes_off() {
	echo 0 > "$T/events/$KP_GROUP/enable" 2> /dev/null || true
	echo "-:$KP_GROUP/create" >> "$T/kprobe_events" 2> /dev/null || true
	echo "-:$KP_GROUP/create_ret" >> "$T/kprobe_events" 2> /dev/null || true
}
on_cleanup kprobes_off
echo "p:$KP_GROUP/create dev_create" >> "$T/kprobe_events"
echo "r:$KP_GROUP/create_ret dev_create ret=\$retval:s32" >> "$T/kprobe_events"
echo > "$T/trace"
echo 1 > "$T/events/$KP_GROUP/enable"

# --- plain dm targets -----------------------------------------------------------

log "linear over a loop device"
loop1=$(mkloop 64)
size=$(sectors "$loop1")
assert_eq "$size" 131072 "loop size in sectors"
dm_create vmsanity-linear "0 $size linear $loop1 0"
assert_eq "$(dmsetup table vmsanity-linear)" "0 $size linear $(stat -c '%t:%T' "$loop1" |
	while IFS=: read -r ma mi; do echo "$((16#$ma)):$((16#$mi))"; done) 0" "linear table"
dmin=$(dmsetup info -c --noheadings -o major,minor vmsanity-linear)
assert_eq "${dmin%%:*}" "$DM_MAJOR" "major of the dm device"
assert_eq "$(cat "/sys/block/dm-${dmin##*:}/dm/name")" vmsanity-linear "sysfs name of dm-${dmin##*:}"

# Data written through the mapping lands on the loop device.
dd if=/dev/urandom of=/tmp/pattern bs=1M count=1 status=none
dd if=/tmp/pattern of=/dev/mapper/vmsanity-linear bs=1M oflag=direct status=none
dd if="$loop1" of=/tmp/readback bs=1M count=1 iflag=direct status=none
cmp /tmp/pattern /tmp/readback || die "data written through the linear mapping differs"

log "second create of the same name fails with EBUSY, seen by the kretprobe"
expect_fail dmsetup create vmsanity-linear --table "0 $size linear $loop1 0"
wait_for_line "$T/trace" 'create_ret: .*ret=-16' 10
assert_contains "$T/trace" 'create_ret: .*ret=0'
echo 0 > "$T/events/$KP_GROUP/enable"

log "error target: reads fail with EIO"
dm_create vmsanity-error "0 2048 error"
expect_fail dd if=/dev/mapper/vmsanity-error of=/dev/null bs=4096 count=1 iflag=direct 2> /tmp/err
assert_contains /tmp/err 'Input/output error'

log "flakey target in its down interval: reads fail with EIO"
# up 0 s, down 1 s: always down, and without feature flags it fails all I/O.
dm_create vmsanity-flakey "0 $size flakey $loop1 0 0 1"
expect_fail dd if=/dev/mapper/vmsanity-flakey of=/dev/null bs=4096 count=1 iflag=direct 2> /tmp/err
assert_contains /tmp/err 'Input/output error'

# --- LVM ------------------------------------------------------------------------

log "LVM thin pool and thin volume"
loop2=$(mkloop 256)
mkvg vmsanity "$loop2"
lvcreate -qq -L 64M -T vmsanity/pool > /dev/null
lvcreate -qq -V 48M -T vmsanity/pool -n thin1 > /dev/null
assert_eq "$(lvs --noheadings -o pool_lv vmsanity/thin1 | tr -d ' ')" pool "pool of thin1"
dmsetup status vmsanity-pool-tpool > /tmp/st
assert_contains /tmp/st '^0 [0-9]+ thin-pool [0-9]+ [0-9]+/[0-9]+ [0-9]+/[0-9]+ '
uuid=$(dmsetup info -c --noheadings -o uuid vmsanity-thin1)
assert_match "$uuid" '^LVM-[A-Za-z0-9]{64}$'
dd if=/dev/urandom of=/dev/vmsanity/thin1 bs=1M count=8 oflag=direct status=none
used=$(lvs --noheadings -o data_percent vmsanity/pool | tr -d ' ')
assert_match "$used" '^[0-9.]+$'
[ "${used%%.*}" -ge 10 ] || die "pool data_percent $used after writing 8 MiB of 64 MiB"

log "classic snapshot, overflowed until Invalid (seed 002)"
lvcreate -qq -L 32M -n origin vmsanity > /dev/null
lvcreate -qq -s -L 4M -n snap vmsanity/origin > /dev/null
dmsetup ls > /tmp/ls
assert_contains /tmp/ls '^vmsanity-origin-real[[:space:]]'
assert_contains /tmp/ls '^vmsanity-snap-cow[[:space:]]'
dmsetup status vmsanity-snap > /tmp/st
assert_contains /tmp/st '^0 [0-9]+ snapshot [0-9]+/[0-9]+ [0-9]+'
# 6 MiB of changes cannot fit a 4 MiB COW: the kernel invalidates the snapshot.
dd if=/dev/urandom of=/dev/vmsanity/origin bs=1M count=6 oflag=direct status=none
dmsetup status vmsanity-snap > /tmp/st
assert_contains /tmp/st '^0 [0-9]+ snapshot Invalid'
expect_fail dd if=/dev/vmsanity/snap of=/dev/null bs=4096 count=1 iflag=direct 2> /tmp/err
assert_contains /tmp/err 'Input/output error'

log "cleanup leaves nothing behind"
cleanup_dm
assert_eq "$(dmsetup ls)" "No devices found" "dm devices after cleanup"
assert_eq "$(losetup -a)" "" "loop devices after cleanup"

if [ -x "$DMWATCH" ]; then
	log "$DMWATCH is built (not exercised here)"
fi
log "ok"
