// SPDX-License-Identifier: GPL-2.0
/*
 * What classification looks things up in (lookup.h): LVM names and uuids as dm
 * and lvs print them, and the state's LVs, devices, guests and extents indexed
 * once, so a node with 10,000 devices costs n log n, not n squared.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/lookup.h"
#include "model/dmstatus.h"
#include "lib/util.h"

/*
 * One part of an LVM dm name, unescaped in place: "--" is one '-', a single '-'
 * ends the part, and a '-' that is the last byte is kept (libdevmapper's rule;
 * tests/unit compares the two on every short name). *pos moves past the '-'.
 */
static char *lvm_name_part(char **pos)
{
	char *part = *pos, *in = part, *out = part;

	for (; *in; in++) {
		if (in[0] == '-' && in[1]) {
			if (in[1] != '-')
				break;
			in++;
		}
		*out++ = *in;
	}
	*pos = *in ? in + 1 : in;
	*out = 0;
	return part;
}

bool split_lvm_name(const char *dmname, char **vg, char **lv, char **layer)
{
	char *buf = xstrdup(dmname), *pos = buf, *v, *l, *y;
	bool ok;

	/* a fourth part, if any, is dropped as libdevmapper drops it */
	v = lvm_name_part(&pos);
	l = lvm_name_part(&pos);
	y = lvm_name_part(&pos);
	ok = *v && *l;
	if (ok) {
		*vg = xstrdup(v);
		*lv = xstrdup(l);
		*layer = xstrdup(y);
	}
	free(buf);
	return ok;
}

bool parse_lvm_uuid(const char *uuid, char *vg_uuid, char *lv_uuid, char *layer)
{
	size_t len;

	if (!str_has_prefix(uuid, "LVM-"))
		return false;
	uuid += 4;
	len = strlen(uuid);
	if (len < 64 || (len > 64 && uuid[64] != '-') || len > 64 + 31)
		return false;
	for (int i = 0; i < 64; i++)
		if (!isalnum((unsigned char)uuid[i]))
			return false;
	memcpy(vg_uuid, uuid, 32);
	vg_uuid[32] = 0;
	memcpy(lv_uuid, uuid + 32, 32);
	lv_uuid[32] = 0;
	strcpy(layer, len > 64 ? uuid + 65 : "");
	return true;
}

bool lvm_uuid_eq(const char *lvs_uuid, const char *plain)
{
	size_t j = 0;

	for (size_t i = 0; lvs_uuid[i]; i++) {
		if (lvs_uuid[i] == '-')
			continue;
		if (lvs_uuid[i] != plain[j++])
			return false;
	}
	return plain[j] == 0;
}
static int cmp_uuid_ix(const void *a, const void *b)
{
	return strcmp(((const struct uuid_ix *)a)->uuid, ((const struct uuid_ix *)b)->uuid);
}

static int cmp_lv_name(const void *a, const void *b)
{
	const struct lvm_lv *x = *(const struct lvm_lv **)a, *y = *(const struct lvm_lv **)b;
	int r = strcmp(x->vg_name, y->vg_name);

	return r ? r : strcmp(x->lv_name, y->lv_name);
}

static int cmp_dev_num(const void *a, const void *b)
{
	const struct dm_dev *x = *(const struct dm_dev **)a, *y = *(const struct dm_dev **)b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

static int cmp_guest_vmid(const void *a, const void *b)
{
	const struct pve_guest *x = *(const struct pve_guest **)a, *y = *(const struct pve_guest **)b;

	return x->vmid < y->vmid ? -1 : x->vmid > y->vmid;
}

/* lvs prints uuids as 6-4-4-4-4-4-6 with dashes; dm uuids have none: 32 chars at most */
static void undash(char *out, const char *lvs_uuid)
{
	size_t k = 0;

	for (const char *u = lvs_uuid ? lvs_uuid : ""; *u && k < 32; u++)
		if (*u != '-')
			out[k++] = *u;
	out[k] = 0;
}
void cctx_index(struct cctx *c, const struct state *st)
{
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->lvu = xcalloc(st->n_lvs, sizeof(*c->lvu));
	c->lvn = xcalloc(st->n_lvs, sizeof(*c->lvn));
	for (size_t i = 0; i < st->n_lvs; i++) {
		/* the LV uuid, then its VG's ("" when the state has none) */
		undash(c->lvu[i].uuid, st->lvs[i].lv_uuid);
		undash(c->lvu[i].uuid + strlen(c->lvu[i].uuid), st->lvs[i].vg_uuid);
		c->lvu[i].lv = &st->lvs[i];
		c->lvn[i] = &st->lvs[i];
	}
	sort_items(c->lvu, st->n_lvs, sizeof(*c->lvu), cmp_uuid_ix);
	sort_items(c->lvn, st->n_lvs, sizeof(*c->lvn), cmp_lv_name);
	c->devn = xcalloc(st->n_devs, sizeof(*c->devn));
	for (size_t i = 0; i < st->n_devs; i++)
		c->devn[i] = &st->devs[i];
	sort_items(c->devn, st->n_devs, sizeof(*c->devn), cmp_dev_num);
	c->guests = xcalloc(st->n_guests, sizeof(*c->guests));
	for (size_t i = 0; i < st->n_guests; i++)
		c->guests[i] = &st->guests[i];
	sort_items(c->guests, st->n_guests, sizeof(*c->guests), cmp_guest_vmid);
	extent_index_init(&c->extents, st);
}

void cctx_unindex(struct cctx *c)
{
	free(c->lvu);
	free(c->lvn);
	free(c->devn);
	free(c->guests);
	extent_index_free(&c->extents);
}

/*
 * An LV by the uuids in its dm uuid: LV uuids are unique, but a hand-made or copied
 * VG may repeat one, so the VG's uuid must match too (or be unknown to the state).
 */
const struct lvm_lv *lv_by_uuid(const struct cctx *c, const char *vg_uuid, const char *lv_uuid)
{
	struct uuid_ix key = {}, *hit;

	snprintf(key.uuid, sizeof(key.uuid), "%.32s%.32s", lv_uuid, vg_uuid);
	hit = bsearch(&key, c->lvu, c->st->n_lvs, sizeof(*c->lvu), cmp_uuid_ix);
	if (!hit) {
		snprintf(key.uuid, sizeof(key.uuid), "%.32s", lv_uuid);
		hit = bsearch(&key, c->lvu, c->st->n_lvs, sizeof(*c->lvu), cmp_uuid_ix);
	}
	return hit ? hit->lv : NULL;
}

const struct lvm_lv *lv_by_name(const struct cctx *c, const char *vg, const char *lv)
{
	struct lvm_lv key = { .vg_name = (char *)vg, .lv_name = (char *)lv };
	const struct lvm_lv *kp = &key, **hit;

	hit = bsearch(&kp, c->lvn, c->st->n_lvs, sizeof(*c->lvn), cmp_lv_name);
	return hit ? *hit : NULL;
}

ssize_t dev_index(const struct cctx *c, uint32_t major, uint32_t minor)
{
	struct dm_dev key = { .major = major, .minor = minor };
	const struct dm_dev *kp = &key, **hit;

	hit = bsearch(&kp, c->devn, c->st->n_devs, sizeof(*c->devn), cmp_dev_num);
	return hit ? *hit - c->st->devs : -1;
}

/* The guests with this vmid (one per node it has a config on): *n of them from the return */
const struct pve_guest **guests_with(const struct cctx *c, int vmid, size_t *n)
{
	struct pve_guest key = { .vmid = vmid };
	const struct pve_guest *kp = &key, **hit, **end = c->guests + c->st->n_guests;

	*n = 0;
	hit = bsearch(&kp, c->guests, c->st->n_guests, sizeof(*c->guests), cmp_guest_vmid);
	if (!hit)
		return NULL;
	while (hit > c->guests && hit[-1]->vmid == vmid)
		hit--;
	while (hit + *n < end && hit[*n]->vmid == vmid)
		(*n)++;
	return hit;
}

static int cmp_extent_pos(const void *a, const void *b)
{
	const struct lvm_extent *x = *(const struct lvm_extent *const *)a;
	const struct lvm_extent *y = *(const struct lvm_extent *const *)b;

	int pos = lvm_extent_cmp_pos(x, y);

	/* the same position twice (a crafted state): keep the saved order */
	return pos ? pos : (x < y ? -1 : x > y);
}

void extent_index_init(struct extent_index *ix, const struct state *st)
{
	ix->n = st->n_extents;
	ix->by_pos = xcalloc(ix->n, sizeof(*ix->by_pos));
	ix->end_max = xcalloc(ix->n, sizeof(*ix->end_max));
	for (size_t i = 0; i < ix->n; i++)
		ix->by_pos[i] = &st->extents[i];
	sort_items(ix->by_pos, ix->n, sizeof(*ix->by_pos), cmp_extent_pos);
	for (size_t i = 0; i < ix->n; i++) {
		const struct lvm_extent *x = ix->by_pos[i], *prev = i ? ix->by_pos[i - 1] : NULL;
		uint64_t end = x->start + x->length;

		if (prev && prev->pv_major == x->pv_major && prev->pv_minor == x->pv_minor &&
		    ix->end_max[i - 1] > end)
			end = ix->end_max[i - 1];
		ix->end_max[i] = end;
	}
}

void extent_index_free(struct extent_index *ix)
{
	free(ix->by_pos);
	free(ix->end_max);
	memset(ix, 0, sizeof(*ix));
}

/* The first extent (by position) on lower's PV that overlaps it, but for not_uuid's */
static const struct lvm_extent *extent_over(const struct extent_index *ix,
					    const struct dm_extent *lower, const char *not_uuid)
{
	const struct lvm_extent *found = NULL;
	uint64_t end = lower->offset + lower->length;
	size_t lo = 0, hi = ix->n;

	/* hi: the first extent at or after lower's end on its PV, or past its PV */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lvm_extent *x = ix->by_pos[mid];

		if (x->pv_major < lower->major ||
		    (x->pv_major == lower->major && (x->pv_minor < lower->minor ||
		     (x->pv_minor == lower->minor && x->start < end))))
			lo = mid + 1;
		else
			hi = mid;
	}
	/* back while an extent that starts earlier may still reach into it */
	for (size_t i = hi; i-- > 0;) {
		const struct lvm_extent *x = ix->by_pos[i];

		if (x->pv_major != lower->major || x->pv_minor != lower->minor ||
		    ix->end_max[i] <= lower->offset)
			break;
		if (x->start + x->length > lower->offset &&
		    !(not_uuid && lvm_uuid_eq(x->lv_uuid, not_uuid)))
			found = x;
	}
	return found;
}

const struct lvm_extent *lvm_extent_owner(const struct extent_index *ix, const struct dm_line *table,
					  size_t n_table, const char *not_uuid)
{
	for (size_t t = 0; t < n_table; t++) {
		struct dm_extent lower[16];
		int n = table_lower_extents(table[t].type, table[t].params, table[t].length,
					    lower, ARRAY_SIZE(lower));

		for (int k = 0; k < n; k++) {
			const struct lvm_extent *x = extent_over(ix, &lower[k], not_uuid);

			if (x)
				return x;
		}
	}
	return NULL;
}
