// SPDX-License-Identifier: GPL-2.0
/*
 * dm lifecycle from kernel uevents (uevent.h). dm-N sends three kinds:
 *   "add"    from the block layer when the disk appears, without DM_NAME: since
 *            5.15 at the first table load, after dm named it; on 5.10 at create,
 *            a moment before dm names it, so sysfs may not have the name yet;
 *   "change" from dm on resume and rename, DM_NAME being the name after it;
 *   "remove" from dm (with DM_NAME) and from the block layer (without).
 * An add sysfs cannot name yet is held back until the device's next uevent or a
 * later look at sysfs names it: an unnamed create followed by a "rename" to the
 * real name would be a lie about what the admin did.
 */
#include <stdlib.h>
#include <string.h>
#include "trace/uevent.h"
#include "lib/util.h"

/* KEY's value, NULL without one; a field cut short by the message's end (the
 * kernel ends each with a NUL) is not taken, so every value is a whole string */
static const char *field(const char *msg, size_t len, const char *key)
{
	size_t kl = strlen(key), fl;

	for (size_t i = 0; i < len; i += fl + 1) {
		fl = strnlen(msg + i, len - i);
		if (fl > kl && i + fl < len && !strncmp(msg + i, key, kl) && msg[i + kl] == '=')
			return msg + i + kl + 1;
	}
	return NULL;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (!s || !parse_digits_u64(s, strlen(s), &v) || v > max)
		return false;
	*out = v;
	return true;
}

static void emit(struct uevent_source *s, uint32_t type, uint32_t dev, uint64_t ts_ns,
		 const char *name, const char *uuid, const char *new_name)
{
	struct dmw_event e = { .type = type, .source = DMW_SRC_UEVENT, .dev = dev, .ts_ns = ts_ns };

	snprintf(e.name, sizeof(e.name), "%s", name ? name : "");
	snprintf(e.uuid, sizeof(e.uuid), "%s", uuid ? uuid : "");
	snprintf(e.new_name, sizeof(e.new_name), "%s", new_name ? new_name : "");
	s->emit(s->ctx, &e);
}

static struct unnamed_add *find_unnamed(struct uevent_source *s, uint32_t dev)
{
	for (size_t i = 0; i < s->n_unnamed; i++)
		if (s->unnamed[i].dev == dev)
			return &s->unnamed[i];
	return NULL;
}

static void drop_unnamed(struct uevent_source *s, struct unnamed_add *u)
{
	*u = s->unnamed[--s->n_unnamed];
}

/* The held-back create of an unnamed add, with the name known now ("" if never). */
static void emit_held_create(struct uevent_source *s, struct unnamed_add *u,
			     const char *name, const char *uuid)
{
	emit(s, DMW_EV_DM_CREATE, u->dev, u->ts_ns, name, uuid, NULL);
	drop_unnamed(s, u);
}

void uevent_feed(struct uevent_source *s, const char *msg, size_t len, uint64_t ts_ns)
{
	const char *action = field(msg, len, "ACTION"), *sub = field(msg, len, "SUBSYSTEM");
	const char *devname = field(msg, len, "DEVNAME"), *name = field(msg, len, "DM_NAME");
	const char *uuid = field(msg, len, "DM_UUID");
	char sysname[DMW_NAME_LEN] = "", sysuuid[DMW_UUID_LEN] = "";
	const struct name_entry *known;
	struct unnamed_add *held;
	uint32_t major, minor, dev;

	if (!action || !sub || strcmp(sub, "block") || !devname || strncmp(devname, "dm-", 3) ||
	    strlen(devname) >= sizeof(held->devname) ||
	    !parse_u32(field(msg, len, "MAJOR"), 4095, &major) ||
	    !parse_u32(field(msg, len, "MINOR"), (1U << DMW_MINORBITS) - 1, &minor))
		return;
	dev = major << DMW_MINORBITS | minor;
	if (!name && s->sysfs_ids(devname, sysname, sizeof(sysname), sysuuid, sizeof(sysuuid))) {
		name = sysname;
		uuid = sysuuid;
	}
	held = find_unnamed(s, dev);
	if (!strcmp(action, "add")) {
		if (name && held) {
			emit_held_create(s, held, name, uuid);	/* once, at the first add's time */
		} else if (name) {
			emit(s, DMW_EV_DM_CREATE, dev, ts_ns, name, uuid, NULL);
		} else if (!held) {
			held = array_push(&s->unnamed, &s->n_unnamed, sizeof(*held));
			held->dev = dev;
			held->ts_ns = ts_ns;
			snprintf(held->devname, sizeof(held->devname), "%s", devname);
		}
		return;
	}
	if (held)
		emit_held_create(s, held, name, uuid);

	known = name_map_get(s->names, dev);
	if (!strcmp(action, "remove")) {
		/* dm's own and the disk's: one remove, named from the map (sysfs is gone) */
		if (known && known->removed)
			return;
		if (!name && known) {
			name = known->name;
			uuid = known->uuid;
		}
		emit(s, DMW_EV_DM_REMOVE, dev, ts_ns, name, uuid, NULL);
	} else if (!strcmp(action, "change")) {
		/* as the event will carry them: a name past DMW_NAME_LEN is cut (dm's are not) */
		if (known && !known->removed && name && name[0] &&
		    strncmp(known->name, name, DMW_NAME_LEN - 1))
			emit(s, DMW_EV_DM_RENAME, dev, ts_ns, known->name, uuid, name);
		else
			emit(s, DMW_EV_DM_RESUME, dev, ts_ns, name, uuid, NULL);
	}
}

void uevent_name_pending(struct uevent_source *s)
{
	char name[DMW_NAME_LEN], uuid[DMW_UUID_LEN];

	for (size_t i = s->n_unnamed; i-- > 0;)
		if (s->sysfs_ids(s->unnamed[i].devname, name, sizeof(name), uuid, sizeof(uuid)))
			emit_held_create(s, &s->unnamed[i], name, uuid);
}

void uevent_source_release(struct uevent_source *s)
{
	free(s->unnamed);
	s->unnamed = NULL;
	s->n_unnamed = 0;
}
