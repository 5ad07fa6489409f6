// SPDX-License-Identifier: GPL-2.0
/*
 * Proxmox VE storage.cfg: which storage id is which VG (and thin pool).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collect/pve.h"
#include "collect/pvetext.h"
#include "lib/util.h"

struct stanza {
	bool open;		/* a header was read and the stanza not yet closed */
	bool bad;		/* header unreadable: swallow its properties */
	int line;
	char *type;
	char *id;
	char *vgname;
	char *thinpool;
	bool shared;
};

static void stanza_reset(struct stanza *s)
{
	free(s->type);
	free(s->id);
	free(s->vgname);
	free(s->thinpool);
	memset(s, 0, sizeof(*s));
}

static bool storage_exists(const struct state *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->n_storages; i++)
		if (st->storages[i].id && !strcmp(st->storages[i].id, id))
			return true;
	return false;
}

/*
 * Close the current stanza: keep it if it is complete. An lvm/lvmthin storage
 * without its VG is dropped, not kept half-filled, so that nobody maps a storage
 * id to a NULL VG; classification then falls back to name matching for it.
 */
static void stanza_finish(struct state *st, const char *source, struct stanza *s)
{
	enum pve_storage_type type = PVE_STORAGE_OTHER;
	struct pve_storage *ps;

	if (!s->open || s->bad)
		goto cleanup;
	if (!strcmp(s->type, "lvm"))
		type = PVE_STORAGE_LVM;
	else if (!strcmp(s->type, "lvmthin"))
		type = PVE_STORAGE_LVMTHIN;

	if (type != PVE_STORAGE_OTHER && str_empty(s->vgname)) {
		state_add_problem(st, source, "line %d: %s storage '%s' has no vgname, ignored",
				  s->line, s->type, s->id);
		goto cleanup;
	}
	if (type == PVE_STORAGE_LVMTHIN && str_empty(s->thinpool)) {
		state_add_problem(st, source, "line %d: lvmthin storage '%s' has no thinpool, ignored",
				  s->line, s->id);
		goto cleanup;
	}
	if (storage_exists(st, s->id)) {
		state_add_problem(st, source, "line %d: storage '%s' defined twice, second ignored",
				  s->line, s->id);
		goto cleanup;
	}

	ps = array_push(&st->storages, &st->n_storages, sizeof(*ps));
	ps->id = s->id;
	ps->type = type;
	if (type != PVE_STORAGE_OTHER) {
		ps->vgname = s->vgname;
		s->vgname = NULL;
	}
	if (type == PVE_STORAGE_LVMTHIN) {
		ps->thinpool = s->thinpool;
		s->thinpool = NULL;
	}
	ps->shared = s->shared;
	s->id = NULL;
cleanup:
	stanza_reset(s);
}

/* "<type>: <id>" at column 0 */
static bool parse_stanza_header(char *line, struct stanza *s)
{
	char *colon = strchr(line, ':');
	char *id, *p;

	if (!colon || colon == line)
		return false;
	for (p = line; p < colon; p++)
		if (!isalnum((unsigned char)*p))
			return false;
	id = strtrim(colon + 1);
	if (!*id || pve_has_space(id))
		return false;
	for (p = id; *p; p++)
		if (!pve_id_char(*p))
			return false;
	*colon = 0;
	s->type = xstrdup(line);
	s->id = xstrdup(id);
	return true;
}

/* An indented "key [value]" line; a bare key is a flag ("disable", "shared"). */
static void parse_stanza_property(char *line, struct stanza *s)
{
	char *key = strtrim(line), *value = key;

	while (*value && !isspace((unsigned char)*value))
		value++;
	if (*value)
		*value++ = 0;
	value = strtrim(value);
	if (!*value)
		value = "1";

	if (!strcmp(key, "vgname")) {
		free(s->vgname);
		s->vgname = xstrdup(value);
	} else if (!strcmp(key, "thinpool")) {
		free(s->thinpool);
		s->thinpool = xstrdup(value);
	} else if (!strcmp(key, "shared")) {
		s->shared = strcmp(value, "0") != 0;
	}
}

/*
 * PVE's SectionConfig format: a "<type>: <id>" line, indented "key value" lines,
 * a blank line to close. We also accept a header that follows the previous stanza
 * without the blank line (hand edits do that; losing the storage would be worse).
 */
int pve_parse_storage_cfg(struct state *st, const char *source, const char *text)
{
	struct stanza s = { 0 };
	bool content = false;
	int lineno = 0, headers = 0;
	char *buf, *cur, *line;

	if (!st || !text)
		return -EINVAL;
	buf = xstrdup(text);
	cur = buf;
	while ((line = pve_next_line(&cur))) {
		char *t;

		lineno++;
		t = strtrim(line);
		if (!*t) {
			stanza_finish(st, source, &s);
			continue;
		}
		if (*t == '#')
			continue;
		content = true;
		if (isspace((unsigned char)line[0])) {
			if (!s.open) {
				state_add_problem(st, source,
						  "line %d: property outside of a storage definition: '%.*s'",
						  lineno, QUOTE_MAX, t);
				continue;
			}
			if (!s.bad)
				parse_stanza_property(t, &s);
			continue;
		}
		stanza_finish(st, source, &s);
		s.open = true;
		s.line = lineno;
		if (!parse_stanza_header(t, &s)) {
			state_add_problem(st, source, "line %d: cannot parse storage header '%.*s'",
					  lineno, QUOTE_MAX, t);
			s.bad = true;
			continue;
		}
		headers++;
	}
	stanza_finish(st, source, &s);
	free(buf);
	if (content && !headers)
		return -EINVAL;
	return 0;
}

