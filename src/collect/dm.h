/* SPDX-License-Identifier: GPL-2.0 */
/* Live device-mapper inventory through libdevmapper (LIST, INFO, TABLE, STATUS, DEPS). */
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

#endif /* DMWATCH_DM_H */
