/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel differences dmwatch's BPF side has to live with, in one place.
 */
#ifndef DMWATCH_CORE_FIXES_BPF_H
#define DMWATCH_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

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

#endif /* DMWATCH_CORE_FIXES_BPF_H */
