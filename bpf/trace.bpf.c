// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dmwatch's kernel side: dm lifecycle ioctls, I/O errors on dm devices (and on
 * the lower devices dm remapped to), and dm table events.
 *
 * Lifecycle has two sources, chosen by userspace at run time with
 * bpf_program__set_autoload():
 *   - kprobe/kretprobe on dm-ioctl's handlers (the kernel's copy of dm_ioctl)
 *   - syscalls:sys_{enter,exit}_ioctl filtered on the DM ioctl type (the
 *     caller's copy), for kernels without kprobes.
 * Nothing here blocks or delays I/O: filters are in-kernel, events go to a ring
 * buffer, and a full ring buffer only bumps a lost counter.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "dmwatch_event.h"

const volatile __u32 dm_major = 0;		/* from /proc/devices, 0 = unknown */
const volatile bool trace_lower = true;		/* errors of the disks below dm too */
/* kernel facts userspace found (src/trace/plan.c) */
const volatile __u32 blk_sts_layout = DMW_BLK_STS_V4_13;
const volatile bool rq_error_is_errno = false;	/* block_rq_complete passed an errno before 5.16 */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);	/* ~190k io_error events of slack */
} events SEC(".maps");

/*
 * Events the ring buffer had no room for. A global, not a map: userspace reads
 * it through the skeleton's mmap. A map lookup would be a bpf(2) call, and while
 * one runs the kernel skips every kprobe program on that CPU (bpf_prog_active):
 * polling the counter would itself lose dm events.
 */
__u64 lost_events = 0;

struct ioctl_call {
	__u64 param;		/* struct dm_ioctl * (kernel or user copy) */
	__u32 type;		/* enum dmw_event_type, resolved at entry */
};

/*
 * In-flight ioctl per thread, from entry to return. LRU: a return the kernel
 * skipped (another BPF program held the CPU) leaves its entry behind; in a plain
 * hash those would pile up over months of `record` until no entry fits and every
 * later dm operation goes unseen. Here the oldest make room.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ioctl_call);
} calls SEC(".maps");

/*
 * size: sizeof(struct dmw_event), or DMW_IOERR_SIZE for I/O errors, which carry
 * no names: a quarter of the ring buffer per event, so a storm of errors fits.
 */
static __always_inline struct dmw_event *event_reserve(__u32 type, __u32 size)
{
	struct dmw_event *e;

	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return NULL;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->type = type;
	e->source = 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ret = 0;
	e->dev = 0;
	e->lower_dev = 0;
	e->sector = 0;
	e->bytes = 0;
	e->op = DMW_OP_OTHER;
	e->error = 0;
	e->flags = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline struct dmw_event *named_event_reserve(__u32 type)
{
	struct dmw_event *e = event_reserve(type, sizeof(*e));

	if (e) {
		e->name[0] = 0;
		e->uuid[0] = 0;
		e->new_name[0] = 0;
	}
	return e;
}

/* ---- dm lifecycle ---------------------------------------------------- */

static __always_inline int ioctl_enter(__u64 param, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ioctl_call call = { .param = param, .type = type };

	bpf_map_update_elem(&calls, &id, &call, BPF_ANY);
	return 0;
}

/*
 * At return the handler has filled in dev (__dev_status) on success, so both
 * the name the caller asked for and the dm-N it got are known here.
 */
static __always_inline int ioctl_exit(long ret, __u32 source)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct dmw_dm_ioctl *p;
	struct ioctl_call *call;
	struct dmw_event *e;
	__u32 data_start = 0, flags = 0;
	__u64 dev = 0;
	bool user = source == DMW_SRC_SYSCALL;

	call = bpf_map_lookup_elem(&calls, &id);
	if (!call)
		return 0;
	p = (struct dmw_dm_ioctl *)call->param;

	if (user)
		bpf_probe_read_user(&flags, sizeof(flags), &p->flags);
	else
		bpf_probe_read_kernel(&flags, sizeof(flags), &p->flags);
	if (call->type == DMW_EV_DM_SUSPEND && !(flags & DMW_DM_SUSPEND_FLAG))
		call->type = DMW_EV_DM_RESUME;

	e = named_event_reserve(call->type);
	if (!e)
		goto cleanup;
	e->source = source;
	e->ret = ret;
	e->flags = flags;
	if (user) {
		bpf_probe_read_user(&dev, sizeof(dev), &p->dev);
		bpf_probe_read_user_str(e->name, sizeof(e->name), p->name);
		bpf_probe_read_user_str(e->uuid, DMW_UUID_LEN, p->uuid);
		if (call->type == DMW_EV_DM_RENAME) {
			bpf_probe_read_user(&data_start, sizeof(data_start), &p->data_start);
			bpf_probe_read_user_str(e->new_name, sizeof(e->new_name),
						(char *)p + (data_start & 0xffff));
		}
	} else {
		bpf_probe_read_kernel(&dev, sizeof(dev), &p->dev);
		bpf_probe_read_kernel_str(e->name, sizeof(e->name), p->name);
		bpf_probe_read_kernel_str(e->uuid, DMW_UUID_LEN, p->uuid);
		if (call->type == DMW_EV_DM_RENAME) {
			bpf_probe_read_kernel(&data_start, sizeof(data_start), &p->data_start);
			bpf_probe_read_kernel_str(e->new_name, sizeof(e->new_name),
						  (char *)p + (data_start & 0xffff));
		}
	}
	e->dev = dmw_decode_huge_dev(dev);
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&calls, &id);
	return 0;
}

#define DM_IOCTL_KPROBES(fn, type)					\
SEC("kprobe/" #fn)							\
int BPF_KPROBE(fn##_entry, struct file *filp, void *param)	\
{									\
	return ioctl_enter((__u64)param, type);				\
}									\
SEC("kretprobe/" #fn)							\
int BPF_KRETPROBE(fn##_exit, long ret)					\
{									\
	return ioctl_exit(ret, DMW_SRC_KPROBE);				\
}

DM_IOCTL_KPROBES(dev_create, DMW_EV_DM_CREATE)
DM_IOCTL_KPROBES(dev_remove, DMW_EV_DM_REMOVE)
DM_IOCTL_KPROBES(dev_rename, DMW_EV_DM_RENAME)
DM_IOCTL_KPROBES(dev_suspend, DMW_EV_DM_SUSPEND)
DM_IOCTL_KPROBES(table_load, DMW_EV_DM_LOAD)
DM_IOCTL_KPROBES(remove_all, DMW_EV_DM_REMOVE_ALL)

static __always_inline __u32 dm_cmd_to_type(__u32 nr)
{
	switch (nr) {
	case DMW_DM_DEV_CREATE_CMD:	return DMW_EV_DM_CREATE;
	case DMW_DM_DEV_REMOVE_CMD:	return DMW_EV_DM_REMOVE;
	case DMW_DM_DEV_RENAME_CMD:	return DMW_EV_DM_RENAME;
	case DMW_DM_DEV_SUSPEND_CMD:	return DMW_EV_DM_SUSPEND;
	case DMW_DM_TABLE_LOAD_CMD:	return DMW_EV_DM_LOAD;
	case DMW_DM_REMOVE_ALL_CMD:	return DMW_EV_DM_REMOVE_ALL;
	}
	return 0;
}

/* Fallback without kprobes: the ioctl(2) on /dev/mapper/control itself. */
SEC("tracepoint/syscalls/sys_enter_ioctl")
int sys_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	__u32 cmd = ctx->args[1];
	__u32 type;

	if (((cmd >> 8) & 0xff) != DMW_DM_IOCTL_TYPE)
		return 0;
	type = dm_cmd_to_type(cmd & 0xff);
	if (!type)
		return 0;
	return ioctl_enter(ctx->args[2], type);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int sys_exit_ioctl(struct trace_event_raw_sys_exit *ctx)
{
	return ioctl_exit(ctx->ret, DMW_SRC_SYSCALL);
}

/* Snapshot invalidation, pool mode changes, multipath path failures all raise a dm event. */
SEC("kprobe/dm_table_event")
int BPF_KPROBE(dm_table_event)
{
	struct dmw_event *e = named_event_reserve(DMW_EV_DM_TABLE_EVENT);

	if (e)
		bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---- I/O errors ------------------------------------------------------ */

static __always_inline bool is_dm(__u32 dev)
{
	return dm_major && DMW_MAJOR(dev) == dm_major;
}

/*
 * An I/O error on a dm device, or on any other block device when lower-device
 * attribution is on: userspace finds the dm device whose table maps that sector
 * (no per-I/O bookkeeping here, so tracing costs nothing while I/O succeeds).
 */
static __always_inline int io_error(__u32 dev, __u64 sector, __u32 bytes, int error, __u32 op,
				    __u32 source)
{
	struct dmw_event *e;
	bool dm;

	/*
	 * -EOPNOTSUPP is a capability answer (WRITE_ZEROES or DISCARD the device
	 * cannot do; the block layer falls back), not a failed read or write.
	 */
	if (!error || error == -95 /* EOPNOTSUPP */)
		return 0;
	dm = is_dm(dev);
	if (!dm && !trace_lower)
		return 0;
	e = event_reserve(DMW_EV_IO_ERROR, DMW_IOERR_SIZE);
	if (!e)
		return 0;
	e->source = source;
	if (dm)
		e->dev = dev;
	else
		e->lower_dev = dev;
	e->sector = sector;
	e->bytes = bytes;
	e->error = error;
	e->op = op;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * Raw tracepoints: the program gets the bio or request itself and leaves at once
 * when it succeeded, before any trace record is formatted. This runs on every
 * I/O of the machine, so it must cost next to nothing. Each comes twice: as
 * tp_btf (BTF-typed, preferred) and as raw_tp for kernels that refuse tp_btf;
 * userspace loads one of the two.
 *
 * bio-based devices: dm's own (linear, striped, snapshot, thin, crypt, flakey,
 * error) and bio-based disks below dm (md ...)
 */
static __always_inline int bio_failed(struct bio *bio, __u8 status)
{
	return io_error(dmw_bio_dev(bio), BPF_CORE_READ(bio, bi_iter.bi_sector),
			BPF_CORE_READ(bio, bi_iter.bi_size),
			-dmw_blk_status_errno(blk_sts_layout, status),
			dmw_req_op(BPF_CORE_READ(bio, bi_opf)), DMW_SRC_TRACEPOINT);
}

/*
 * request-based devices: dm-multipath, and the SCSI, NVMe, virtio disks below dm,
 * whose bios get no block_bio_complete of their own.
 */
static __always_inline int rq_failed(struct request *rq, int err, unsigned int nr_bytes)
{
	return io_error(dmw_rq_dev(rq), BPF_CORE_READ(rq, __sector), nr_bytes, err,
			dmw_req_op(BPF_CORE_READ(rq, cmd_flags)), DMW_SRC_TRACEPOINT);
}

/* block_rq_complete's `error` is a blk_status_t since v5.16, a negative errno before */
static __always_inline int rq_complete(struct request *rq, long error, unsigned int nr_bytes)
{
	int err;

	if (rq_error_is_errno)
		err = (int)error;
	else
		err = -dmw_blk_status_errno(blk_sts_layout, (__u8)error);
	if (!err)
		return 0;
	return rq_failed(rq, err, nr_bytes);
}

/*
 * The bio is a BTF-typed pointer here, so its status is one plain load: through
 * BPF_CORE_READ (a bpf_probe_read_kernel() call) this program took 113 ns per
 * I/O instead of the rq one's 33 (bench/results-native.md).
 */
SEC("tp_btf/block_bio_complete")
int BPF_PROG(block_bio_complete, struct request_queue *q, struct bio *bio)
{
	__u8 status = bio->bi_status;

	return status ? bio_failed(bio, status) : 0;
}

/* raw_tp pointers are untyped: the status must be read with a helper */
SEC("raw_tp/block_bio_complete")
int BPF_PROG(block_bio_complete_raw, struct request_queue *q, struct bio *bio)
{
	__u8 status = BPF_CORE_READ(bio, bi_status);

	return status ? bio_failed(bio, status) : 0;
}

/*
 * dm's own error path, where the kernel has it as a function (v5.19 and later,
 * unless the compiler inlined it: Debian's 6.1 and 6.12 keep it, 7.x does not):
 * dm core calls dm_io_set_error() only when a part of an original bio failed,
 * from a clone's completion or a target's DM_MAPIO_KILL alike. So where this is
 * loaded (instead of block_bio_complete) a successful bio runs no program at
 * all, on dm devices and on every other bio-based disk (zram, ZFS zvols, md).
 *
 * One event per original bio: its first error (io->status still OK; a second
 * failing clone of the same bio adds nothing). BLK_STS_DM_REQUEUE (11) is dm
 * pushing the bio back to retry it (noflush suspend, multipath), not a failure.
 * The part that failed: the original bio, or the mapped part of it when dm
 * split it at a target boundary (dm_io_acct() computes the same).
 */
#define DMW_BLK_STS_DM_REQUEUE	11

SEC("fentry/dm_io_set_error")
int BPF_PROG(dm_io_set_error, struct dm_io___dmw *io, __u8 error)
{
	struct bio *bio;
	__u64 sector;
	__u32 bytes;

	if (!error || error == DMW_BLK_STS_DM_REQUEUE || BPF_CORE_READ(io, status))
		return 0;
	bio = BPF_CORE_READ(io, orig_bio);
	sector = BPF_CORE_READ(bio, bi_iter.bi_sector);
	bytes = BPF_CORE_READ(bio, bi_iter.bi_size);
	if (BPF_CORE_READ(io, flags) & (1 << DMW_DM_IO_WAS_SPLIT)) {
		sector += (bytes >> 9) - BPF_CORE_READ(io, sector_offset);
		bytes = BPF_CORE_READ(io, sectors) << 9;
	}
	return io_error(dmw_disk_dev(BPF_CORE_READ(io, md, disk)), sector, bytes,
			-dmw_blk_status_errno(blk_sts_layout, error),
			dmw_req_op(BPF_CORE_READ(bio, bi_opf)), DMW_SRC_DM_CORE);
}

/*
 * block_rq_complete fires for every request of the machine, so on a kernel
 * without block_rq_error these run (and return at once) on each successful one.
 */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, long error, unsigned int nr_bytes)
{
	return rq_complete(rq, error, nr_bytes);
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(block_rq_complete_raw, struct request *rq, long error, unsigned int nr_bytes)
{
	return rq_complete(rq, error, nr_bytes);
}

/*
 * block_rq_error (v5.18+, preferred when the kernel has it): the kernel fires it
 * only for a failed request, beside its "I/O error, dev sdX, sector N" line in
 * blk_update_request(), so a successful request runs no program at all (the
 * tracepoint's static key stays off). Its condition is the log line's: error set,
 * and not a passthrough request (SG_IO, NVMe admin or ioctl commands), not one
 * its driver marked RQF_QUIET (internal commands it expects may fail), not on a
 * disk already marked dead (GD_DEAD: hot-removed, since 5.18-rc3). Those are not
 * reported here where block_rq_complete reported them: none of them is a read or
 * write a dm table sent, and when a dead disk fails one, the dm device above
 * still reports its own bio's error through block_bio_complete (named, without
 * the lower device).
 * `error` has been a blk_status_t in every kernel that has the tracepoint
 * (kfacts.c checks the type in BTF before choosing these).
 */
SEC("tp_btf/block_rq_error")
int BPF_PROG(block_rq_error, struct request *rq, long error, unsigned int nr_bytes)
{
	return rq_failed(rq, -dmw_blk_status_errno(blk_sts_layout, (__u8)error), nr_bytes);
}

SEC("raw_tp/block_rq_error")
int BPF_PROG(block_rq_error_raw, struct request *rq, long error, unsigned int nr_bytes)
{
	return rq_failed(rq, -dmw_blk_status_errno(blk_sts_layout, (__u8)error), nr_bytes);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
