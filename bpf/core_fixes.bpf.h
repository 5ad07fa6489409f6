/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel differences dmwatch's BPF side has to live with, in one place.
 */
#ifndef DMWATCH_CORE_FIXES_BPF_H
#define DMWATCH_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include "dmwatch_event.h"

/*
 * struct dm_ioctl is UAPI (include/uapi/linux/dm-ioctl.h): its layout is ABI and
 * never changes, and it lives in the dm-mod module, not in vmlinux BTF. So it is
 * spelled out here instead of being CO-RE relocated.
 */
struct dmw_dm_ioctl {
	__u32 version[3];
	__u32 data_size;
	__u32 data_start;
	__u32 target_count;
	__s32 open_count;
	__u32 flags;
	__u32 event_nr;
	__u32 padding;
	__u64 dev;		/* huge_encode_dev() format */
	char name[128];
	char uuid[129];
	char data[7];
};

#define DMW_DM_IOCTL_TYPE	0xfd
#define DMW_DM_SUSPEND_FLAG	(1 << 1)

/* The command numbers of DM_*_CMD (enum in dm-ioctl.h) */
#define DMW_DM_REMOVE_ALL_CMD	1
#define DMW_DM_DEV_CREATE_CMD	3
#define DMW_DM_DEV_REMOVE_CMD	4
#define DMW_DM_DEV_RENAME_CMD	5
#define DMW_DM_DEV_SUSPEND_CMD	6
#define DMW_DM_TABLE_LOAD_CMD	9

/* huge_encode_dev()/new_encode_dev() format back to the kernel's dev_t */
static __always_inline __u32 dmw_decode_huge_dev(__u64 dev)
{
	__u32 major = (dev & 0xfff00) >> 8;
	__u32 minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);

	return (major << 20) | minor;
}

/*
 * blk_status_t -> errno, as blk_status_to_errno() does (block/blk-core.c): the raw
 * completion tracepoints give the status, not the errno the classic ones print.
 * The values have only been added to since v4.13; BLK_STS_NEXUS became
 * BLK_STS_RESV_CONFLICT in v6.5 with the same number and errno.
 */
static __always_inline int dmw_blk_status_errno(__u8 status)
{
	switch (status) {
	case 0:		return 0;
	case 1:		return 95;	/* EOPNOTSUPP */
	case 2:		return 110;	/* ETIMEDOUT */
	case 3:		return 28;	/* ENOSPC */
	case 4:		return 67;	/* ENOLINK */
	case 5:		return 121;	/* EREMOTEIO */
	case 6:		return 52;	/* EBADE */
	case 7:		return 61;	/* ENODATA: medium error */
	case 8:		return 84;	/* EILSEQ: protection */
	case 9:		return 12;	/* ENOMEM */
	case 10:	return 5;	/* EIO */
	case 11:	return 78;	/* EREMCHG: dm requeue */
	case 12:	return 11;	/* EAGAIN */
	case 13:	return 16;	/* EBUSY */
	case 14:	return 109;	/* ETOOMANYREFS */
	case 15:	return 75;	/* EOVERFLOW */
	case 16:	return 19;	/* ENODEV: offline */
	}
	return 5;
}

/*
 * REQ_OP_* in the low bits of bi_opf / cmd_flags (stable since v4.10). Since
 * v5.12 a bio names its device with bi_bdev (bi_disk + bi_partno before).
 */
static __always_inline __u32 dmw_req_op(__u32 opf)
{
	switch (opf & 0xff) {
	case 0:		return DMW_OP_READ;
	case 1:		return DMW_OP_WRITE;
	case 2:		return DMW_OP_FLUSH;
	case 3:		return DMW_OP_DISCARD;
	}
	return DMW_OP_OTHER;
}

#endif /* DMWATCH_CORE_FIXES_BPF_H */
