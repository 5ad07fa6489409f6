/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Read-only device-mapper ioctls with a buffer sized to the answer (dmioctl.c):
 * the scan's inventory of every device. Changes (create, remove) and the
 * tracer's single reads stay with libdevmapper (dm.c).
 */
#ifndef DMWATCH_DMIOCTL_H
#define DMWATCH_DMIOCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/dm-ioctl.h>
#include "model/state.h"

struct dm_reader {
	int fd;			/* /dev/mapper/control */
	struct dm_ioctl *io;	/* the last answer */
	size_t size;		/* bytes allocated at io */
};

/* Open /dev/mapper/control (libdevmapper makes the node when it is missing). 0 or -errno. */
int dm_reader_open(struct dm_reader *r);
void dm_reader_close(struct dm_reader *r);

/*
 * One ioctl (DM_LIST_DEVICES, DM_TABLE_STATUS, DM_TABLE_DEPS) on the device
 * numbered dev (huge_encode_dev form, as LIST gives it; 0 for none), with the
 * DM_*_FLAG bits in flags. The buffer starts at `first` bytes and doubles while
 * the kernel says its answer did not fit. 0 with the answer in r->io, or -errno
 * (-ENXIO: no such device).
 */
int dm_reader_run(struct dm_reader *r, unsigned long cmd, uint64_t dev, uint32_t flags,
		  size_t first);

/* The last answer, now the caller's to free; the next run allocates anew */
struct dm_ioctl *dm_reader_take(struct dm_reader *r);

/*
 * Walkers over an answer, each checking every offset against io->data_size and
 * the 8-byte boundary the kernel puts every record on, so a short, misaligned
 * or inconsistent answer ends the walk instead of reading past it. io must hold
 * data_size bytes (dm_reader_run checks the kernel's data_size against its buffer).
 */

/* LIST: the entry after prev (NULL: the first); NULL at the end */
const struct dm_name_list *dm_answer_next_name(const struct dm_ioctl *io,
					       const struct dm_name_list *prev);

/* TABLE or STATUS: append the answer's targets to lines; false if it was malformed */
bool dm_answer_lines(const struct dm_ioctl *io, struct dm_line **lines, size_t *n);

/* DEPS: the devices it maps onto, NULL with *n 0 when none; caller frees */
uint64_t *dm_answer_deps(const struct dm_ioctl *io, size_t *n);

#endif /* DMWATCH_DMIOCTL_H */
