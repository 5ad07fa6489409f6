/* SPDX-License-Identifier: GPL-2.0 */
/* Live device-mapper inventory (LIST, TABLE, STATUS, DEPS) and single-device operations. */
#ifndef DMWATCH_DM_H
#define DMWATCH_DM_H

#include "model/state.h"

/* The device-mapper block major from /proc/devices; 0 when dm is not loaded. */
uint32_t dm_read_major(void);

/*
 * Fill st->devs with every dm device. No dm in the kernel or no permission:
 * st->have_dm = false, a problem is recorded, returns -errno.
 */
int dm_collect(struct state *st);

/* Find a device by name or "dm-N" / "MAJ:MIN" in a state; NULL if absent. */
const struct dm_dev *dm_find(const struct state *st, const char *what);

/*
 * One device, by name. Every function returns 0 or -errno: -ENODEV when this
 * kernel has no device-mapper at all (never "Cannot allocate memory"),
 * -ELIBACC when libdevmapper cannot be loaded (dmlib.h), and
 * releases libdevmapper's control descriptor before returning, so that no
 * descriptor of /dev/mapper/control is held when an LVM tool is run.
 */
struct dm_dev_info {
	bool exists;
	int32_t open_count;
	uint32_t major, minor;
	char uuid[129];		/* DM_UUID_LEN */
};

/*
 * raw_name: the name is the kernel's own bytes, stored unmangled (state's
 * name_unmangled), and is passed without libdevmapper's mangling.
 */

/* INFO: 0 with info->exists false when there is no such device */
int dm_device_info(const char *name, bool raw_name, struct dm_dev_info *info);

/* TABLE (status false) or STATUS lines; -ENOENT without such a device. Caller frees. */
int dm_read_lines(const char *name, bool status, struct dm_line **lines, size_t *n);

/* REMOVE, retried while udev or blkid hold the device for a moment; waits for udev */
int dm_remove_device(const char *name, bool raw_name);

/* CREATE with uuid (may be empty), read-only flag and table; waits for udev */
int dm_create_device(const char *name, bool raw_name, const char *uuid, bool read_only,
		     const struct dm_line *table, size_t n_table);

#endif /* DMWATCH_DM_H */
