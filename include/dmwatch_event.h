/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events shared by the BPF side (bpf/trace.bpf.c) and userspace (src/trace/).
 * Fixed-width fields only: the same bytes are read on both sides.
 */
#ifndef DMWATCH_EVENT_H
#define DMWATCH_EVENT_H

#ifndef __VMLINUX_H__		/* BPF side gets the types from vmlinux.h */
#include <linux/types.h>
#endif

#define DMW_NAME_LEN	128	/* DM_NAME_LEN */
#define DMW_UUID_LEN	129	/* DM_UUID_LEN */
#define DMW_COMM_LEN	16

enum dmw_event_type {
	DMW_EV_DM_CREATE = 1,
	DMW_EV_DM_REMOVE,
	DMW_EV_DM_RENAME,
	DMW_EV_DM_SUSPEND,
	DMW_EV_DM_RESUME,
	DMW_EV_DM_LOAD,
	DMW_EV_DM_REMOVE_ALL,
	DMW_EV_IO_ERROR,
	DMW_EV_DM_TABLE_EVENT,	/* dm_table_event(): snapshot invalid, pool mode ... */
	DMW_EV_TYPE_MAX,
};

/* Where a dm lifecycle event was seen; kprobes give the kernel's copy of dm_ioctl. */
enum dmw_event_source {
	DMW_SRC_KPROBE = 1,
	DMW_SRC_SYSCALL,
	DMW_SRC_TRACEPOINT,
	DMW_SRC_UEVENT,		/* userspace: kernel uevents, the last resort */
	DMW_SRC_DM_CORE,	/* fentry on dm core's own error path (dm_io_set_error) */
};

/* bio/request operation as decoded from rwbs */
enum dmw_op {
	DMW_OP_OTHER = 0,
	DMW_OP_READ,
	DMW_OP_WRITE,
	DMW_OP_DISCARD,
	DMW_OP_FLUSH,
};

struct dmw_event {
	__u64 ts_ns;		/* bpf_ktime_get_boot_ns() */
	__u32 type;		/* enum dmw_event_type */
	__u32 source;		/* enum dmw_event_source */
	__u32 pid;		/* tgid */
	__s32 ret;		/* ioctl handler return, negative errno */
	__u32 dev;		/* kernel dev_t (MAJOR << 20 | MINOR) of the dm device */
	__u32 lower_dev;	/* io_error on a disk below dm: that disk (dev then found by userspace) */
	__u64 sector;
	__u32 bytes;
	__u32 op;		/* enum dmw_op */
	__s32 error;		/* io_error: negative errno from the block layer */
	__u32 flags;		/* dm_ioctl flags */
	char comm[DMW_COMM_LEN];
	char name[DMW_NAME_LEN];
	char uuid[DMW_UUID_LEN + 7];	/* padded to 8 bytes */
	char new_name[DMW_NAME_LEN];	/* rename target */
};

/* I/O error events end before the names (they carry none) */
#define DMW_IOERR_SIZE	__builtin_offsetof(struct dmw_event, name)

/*
 * blk_status_t -> errno, as the kernel's blk_status_to_errno() does. BLK_STS_*
 * are #defines, not an enum, so BTF does not carry them and CO-RE cannot
 * relocate them: the numbering is chosen by userspace from the kernel version
 * (a rodata constant) and the table lives here, where the unit tests see it.
 * 0..13 have kept their numbers since v4.13 (BLK_STS_NEXUS became
 * BLK_STS_RESV_CONFLICT in v6.5, same number and errno); v6.10 removed
 * BLK_STS_ZONE_RESOURCE (14) and moved everything above it down by one.
 */
enum dmw_blk_sts_layout {
	DMW_BLK_STS_V4_13 = 0,	/* 14 ZONE_RESOURCE .. 17 OFFLINE (6.0), 18 DURATION_LIMIT (6.5) */
	DMW_BLK_STS_V6_10,	/* 14 ZONE_OPEN_RESOURCE .. 16 OFFLINE, 17 DURATION_LIMIT, 19 INVAL */
};

static inline __attribute__((always_inline)) int dmw_blk_status_errno(unsigned int layout,
								     unsigned int status)
{
	switch (status) {
	case 0:		return 0;
	case 1:		return 95;	/* EOPNOTSUPP */
	case 2:		return 110;	/* ETIMEDOUT */
	case 3:		return 28;	/* ENOSPC */
	case 4:		return 67;	/* ENOLINK: transport */
	case 5:		return 121;	/* EREMOTEIO: target */
	case 6:		return 52;	/* EBADE: nexus / reservation conflict */
	case 7:		return 61;	/* ENODATA: medium error */
	case 8:		return 84;	/* EILSEQ: protection */
	case 9:		return 12;	/* ENOMEM: resource */
	case 10:	return 5;	/* EIO */
	case 11:	return 78;	/* EREMCHG: dm requeue */
	case 12:	return 11;	/* EAGAIN */
	case 13:	return 16;	/* EBUSY: device resource */
	}
	if (layout == DMW_BLK_STS_V6_10)
		status++;	/* back to the older numbering */
	switch (status) {
	case 14:	return 16;	/* EBUSY: zone resource (before 6.10) */
	case 15:	return 109;	/* ETOOMANYREFS: zone open resource */
	case 16:	return 75;	/* EOVERFLOW: zone active resource */
	case 17:	return 19;	/* ENODEV: offline */
	case 18:	return 62;	/* ETIME: duration limit */
	case 20:	return 22;	/* EINVAL (6.10 numbering: 19) */
	}
	return 5;
}

#define DMW_MINORBITS	20
#define DMW_MAJOR(dev)	((unsigned int)((dev) >> DMW_MINORBITS))
#define DMW_MINOR(dev)	((unsigned int)((dev) & ((1U << DMW_MINORBITS) - 1)))

#endif /* DMWATCH_EVENT_H */
