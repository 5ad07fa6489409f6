/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm lifecycle from kernel uevents, the tracer's last resort (docs/kernel.md):
 * which uevent is which lifecycle event, and the name of a device the kernel
 * announces before dm has named it. No I/O here: the caller receives the
 * messages and says how sysfs names a device, so the unit tests drive it.
 */
#ifndef DMWATCH_UEVENT_H
#define DMWATCH_UEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace/events.h"

/* A block "add" that came before dm named the device (5.10: at create). */
struct unnamed_add {
	uint32_t dev;
	uint64_t ts_ns;
	char devname[16];		/* "dm-12" */
};

struct uevent_source {
	/* the tracer's map, read only: who dm-N was before this uevent */
	const struct name_map *names;
	/* the dm name and uuid of devname ("dm-12") from sysfs; false while dm has none */
	bool (*sysfs_ids)(const char *devname, char *name, size_t nlen, char *uuid, size_t ulen);
	/* one lifecycle event; the callee applies it to `names` before the next one */
	void (*emit)(void *ctx, const struct dmw_event *e);
	void *ctx;
	struct unnamed_add *unnamed;
	size_t n_unnamed;
};

/*
 * One NETLINK_KOBJECT_UEVENT message (NUL-terminated KEY=value fields, len bytes,
 * nothing read past them) seen at ts_ns.
 */
void uevent_feed(struct uevent_source *s, const char *msg, size_t len, uint64_t ts_ns);

/* Ask sysfs again for devices added unnamed; emits their create once named. */
void uevent_name_pending(struct uevent_source *s);

void uevent_source_release(struct uevent_source *s);

#endif /* DMWATCH_UEVENT_H */
