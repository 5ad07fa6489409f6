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
 * Fields that moved, as the older kernels had them. The ___flavor suffix is
 * dropped by libbpf when it matches these against the running kernel's BTF,
 * so `struct bio___old` is read as that kernel's `struct bio`; each access is
 * guarded by bpf_core_field_exists / bpf_core_type_exists, and a guarded-off
 * access is dead code the verifier never looks at.
 */

/* before v5.12 a bio named its disk and partition; bi_bdev since */
struct bio___old {
	struct gendisk *bi_disk;
	__u8 bi_partno;
} __attribute__((preserve_access_index));

/* before v5.11 a partition was a struct hd_struct (gone since) */
struct hd_struct___old {
	struct device __dev;
	int partno;
} __attribute__((preserve_access_index));

/* rq->part pointed at an hd_struct before v5.11; rq->rq_disk until v5.19 */
struct request___old {
	struct hd_struct___old *part;
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline __u32 dmw_disk_dev(struct gendisk *disk)
{
	if (!disk)
		return 0;
	return (BPF_CORE_READ(disk, major) << DMW_MINORBITS) | BPF_CORE_READ(disk, first_minor);
}

/* The device a bio was for (a dm device, or a disk below one) */
static __always_inline __u32 dmw_bio_dev(struct bio *bio)
{
	struct bio___old *old = (void *)bio;

	if (bpf_core_field_exists(bio->bi_bdev))
		return BPF_CORE_READ(bio, bi_bdev, bd_dev);
	if (bpf_core_field_exists(old->bi_disk))
		return dmw_disk_dev(BPF_CORE_READ(old, bi_disk)) + BPF_CORE_READ(old, bi_partno);
	return 0;
}

/* The device a request was for: its partition, else its disk */
static __always_inline __u32 dmw_rq_dev(struct request *rq)
{
	struct request___old *old = (void *)rq;
	__u32 dev = 0;

	if (bpf_core_type_exists(struct hd_struct___old)) {
		struct hd_struct___old *part = BPF_CORE_READ(old, part);

		if (part)
			dev = BPF_CORE_READ(part, __dev.devt);
	} else {
		struct block_device *part = BPF_CORE_READ(rq, part);

		if (part)
			dev = BPF_CORE_READ(part, bd_dev);
	}
	if (dev)
		return dev;
	if (bpf_core_field_exists(old->rq_disk))
		return dmw_disk_dev(BPF_CORE_READ(old, rq_disk));
	return dmw_disk_dev(BPF_CORE_READ(rq, q, disk));
}

/*
 * dm core's private structures (drivers/md/dm-core.h): they are in the dm_mod
 * module's BTF, not in vmlinux's, and libbpf relocates these against it. Only
 * the fentry program on dm_io_set_error() reads them, and userspace loads it
 * only where dm_mod's BTF has that function (6.1 and 6.12 builds of Debian; 7.x
 * inlines it), so the layout read here is the one of v5.19 and later.
 */
struct mapped_device___dmw {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct dm_io___dmw {
	__u16 flags;			/* blk_short_t: bits of the DM_IO_* enum */
	__u8 status;			/* blk_status_t the original bio will complete with */
	struct mapped_device___dmw *md;
	struct bio *orig_bio;
	unsigned int sector_offset;	/* split: the mapped part starts this far from the end */
	unsigned int sectors;		/* split: the mapped part's length */
} __attribute__((preserve_access_index));

/*
 * DM_IO_WAS_SPLIT's bit in dm_io->flags: an anonymous enum (DM_IO_ACCOUNTED,
 * DM_IO_WAS_SPLIT, ...) in dm-core.h, so CO-RE cannot relocate it; bit 1 since
 * v5.19. sector_offset and sectors hold the mapped part only when it is set.
 */
#define DMW_DM_IO_WAS_SPLIT	1

/* REQ_OP_* in the low bits of bi_opf / cmd_flags (stable since v4.10) */
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
