// SPDX-License-Identifier: GPL-2.0
/* The names of dm devices as they are at the moment events happen (events.h). */
#include <stdlib.h>
#include <string.h>
#include <linux/dm-ioctl.h>
#include "trace/events.h"
#include "lib/util.h"

/*
 * Few devices (hundreds to a few thousand on a busy node): an array sorted by
 * insertion, searched linearly, is simpler than a hash and fast enough at event rate
 * for lifecycle; io errors hit the last-used cache first.
 */
struct name_map {
	struct name_entry *e;
	size_t n;
	size_t last;
};

struct name_map *name_map_new(void)
{
	return xcalloc(1, sizeof(struct name_map));
}

void name_map_free(struct name_map *m)
{
	if (!m)
		return;
	free(m->e);
	free(m);
}

static struct name_entry *find_dev(const struct name_map *m, uint32_t dev)
{
	if (m->last < m->n && m->e[m->last].dev == dev)
		return &m->e[m->last];
	/* newest first: a reused minor belongs to the latest device */
	for (size_t i = m->n; i-- > 0;)
		if (m->e[i].dev == dev) {
			((struct name_map *)m)->last = i;
			return &m->e[i];
		}
	return NULL;
}

void name_map_set(struct name_map *m, uint32_t dev, const char *name, const char *uuid)
{
	struct name_entry *e = find_dev(m, dev);

	if (!e || e->removed) {
		e = array_push(&m->e, &m->n, sizeof(*e));
		m->last = m->n - 1;	/* the newest entry for this dev, not the removed one */
	}
	e->dev = dev;
	e->removed = false;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	snprintf(e->uuid, sizeof(e->uuid), "%s", uuid ? uuid : "");
}

const struct name_entry *name_map_get(const struct name_map *m, uint32_t dev)
{
	return find_dev(m, dev);
}

const struct name_entry *name_map_by_name(const struct name_map *m, const char *name)
{
	for (size_t i = m->n; i-- > 0;)
		if (!m->e[i].removed && !strcmp(m->e[i].name, name))
			return &m->e[i];
	return NULL;
}

void name_map_apply(struct name_map *m, const struct dmw_event *e)
{
	struct name_entry *ne;

	if (e->ret)
		return;
	switch (e->type) {
	case DMW_EV_DM_CREATE:
	case DMW_EV_DM_LOAD:
		if (e->dev)
			name_map_set(m, e->dev, e->name, e->uuid);
		break;
	case DMW_EV_DM_RENAME:
		ne = e->dev ? find_dev(m, e->dev) : (struct name_entry *)name_map_by_name(m, e->name);
		if (ne && e->new_name[0] && !(e->flags & DM_UUID_FLAG))
			snprintf(ne->name, sizeof(ne->name), "%s", e->new_name);
		else if (ne && e->new_name[0])	/* DM_UUID_FLAG: the new data is a uuid */
			snprintf(ne->uuid, sizeof(ne->uuid), "%s", e->new_name);
		break;
	case DMW_EV_DM_REMOVE:
		/* kept, marked removed: errors still in flight are named after removal */
		ne = e->dev ? find_dev(m, e->dev) : (struct name_entry *)name_map_by_name(m, e->name);
		if (ne)
			ne->removed = true;
		break;
	case DMW_EV_DM_REMOVE_ALL:
		for (size_t i = 0; i < m->n; i++)
			m->e[i].removed = true;
		break;
	}
}
