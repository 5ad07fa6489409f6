// SPDX-License-Identifier: GPL-2.0
/*
 * Aliasing: two dm devices that map overlapping sectors of one lower device, or the
 * same thin id of one pool, write over each other. Found with one sort and one
 * sweep, O(n log n) whatever the number of overlaps: 100,000 devices that all map
 * one extent cost a sort, not 10^10 pairs.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "analyze/alias.h"
#include "analyze/lookup.h"
#include "model/dmstatus.h"
#include "lib/util.h"

/* how many aliasing devices a finding names; the verdict needs one */
#define DUP_SHOWN	8
/* earlier extents with the farthest ends the sweep keeps, one per device */
#define SWEEP_TOP	4

struct alias_extent {
	uint32_t major, minor;
	uint64_t start, end;	/* sectors, end exclusive */
	size_t dev;		/* index into st->devs */
};

static int cmp_alias_extent(const void *a, const void *b)
{
	const struct alias_extent *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

static void add_dup(struct dev_finding *f, size_t other)
{
	if (f->n_dup_of >= DUP_SHOWN)
		return;
	for (size_t i = 0; i < f->n_dup_of; i++)
		if (f->dup_of[i] == other)
			return;
	*(size_t *)array_push(&f->dup_of, &f->n_dup_of, sizeof(size_t)) = other;
}

/* true if a stacks on b (b is among a's deps) */
static bool stacks_on(const struct dm_dev *a, const struct dm_dev *b)
{
	for (size_t i = 0; i < a->n_deps; i++)
		if (major(a->deps[i]) == b->major && minor(a->deps[i]) == b->minor)
			return true;
	return false;
}

static void pair(const struct state *st, struct report *r, size_t a, size_t b)
{
	if (a == b || stacks_on(&st->devs[a], &st->devs[b]) ||
	    stacks_on(&st->devs[b], &st->devs[a]))
		return;
	add_dup(&r->devs[a], b);
	add_dup(&r->devs[b], a);
}

/* What a table maps: extents of lower devices, and thin ids of pools */
static void table_extents(const struct dm_line *table, size_t n_table, size_t dev,
			  struct alias_extent **ext, size_t *n_ext)
{
	for (size_t t = 0; t < n_table; t++) {
		struct dm_extent lower[16];
		uint32_t pmaj, pmin;
		uint64_t id;
		int n;

		if (!strcmp(table[t].type, "thin")) {
			struct alias_extent *x;

			if (parse_thin_table(table[t].params, &pmaj, &pmin, &id))
				continue;
			/* a thin id is a one-sector "extent" of its pool */
			x = array_push(ext, n_ext, sizeof(*x));
			*x = (struct alias_extent){ pmaj, pmin | 0x80000000u, id, id + 1, dev };
			continue;
		}
		n = table_lower_extents(table[t].type, table[t].params, table[t].length, lower,
					ARRAY_SIZE(lower));
		for (int k = 0; k < n; k++) {
			struct alias_extent *x = array_push(ext, n_ext, sizeof(*x));

			*x = (struct alias_extent){ lower[k].major, lower[k].minor, lower[k].offset,
						    lower[k].offset + lower[k].length, dev };
		}
	}
}

static void collect_extents(const struct state *st, struct alias_extent **ext, size_t *n_ext)
{
	for (size_t i = 0; i < st->n_devs; i++)
		table_extents(st->devs[i].table, st->devs[i].n_table, i, ext, n_ext);
}

bool tables_alias(const struct dm_line *a, size_t na, const struct dm_line *b, size_t nb)
{
	struct alias_extent *ea = NULL, *eb = NULL;
	size_t n_a = 0, n_b = 0;
	bool overlap = false;

	table_extents(a, na, 0, &ea, &n_a);
	table_extents(b, nb, 1, &eb, &n_b);
	for (size_t i = 0; i < n_a && !overlap; i++)
		for (size_t k = 0; k < n_b && !overlap; k++)
			overlap = ea[i].major == eb[k].major && ea[i].minor == eb[k].minor &&
				  ea[i].start < eb[k].end && eb[k].start < ea[i].end;
	free(ea);
	free(eb);
	return overlap;
}

/*
 * Keep e among the SWEEP_TOP earlier extents that reach farthest, one per device,
 * in order of their end (farthest first).
 */
static void top_insert(const struct alias_extent **top, size_t *n_top,
		       const struct alias_extent *e)
{
	size_t k;

	for (k = 0; k < *n_top; k++) {
		if (top[k]->dev != e->dev)
			continue;
		if (top[k]->end >= e->end)
			return;
		memmove(&top[k], &top[k + 1], (*n_top - k - 1) * sizeof(*top));
		(*n_top)--;
		break;
	}
	for (k = 0; k < *n_top && top[k]->end >= e->end; k++)
		;
	if (k >= SWEEP_TOP)
		return;
	if (*n_top == SWEEP_TOP)
		(*n_top)--;
	memmove(&top[k + 1], &top[k], (*n_top - k) * sizeof(*top));
	top[k] = e;
	(*n_top)++;
}

/*
 * In start order, an extent overlaps an earlier one exactly when the earlier
 * extent that reaches farthest ends after its start; and an extent without an
 * earlier overlap reaches farthest of all so far, so the next one that overlaps it
 * sees it on top. Keeping the few farthest-reaching (one per device, so a device's
 * own extents or a stacked device cannot hide the rest) therefore finds every
 * device that aliases another, with at least one of its partners.
 */
void find_aliases(const struct state *st, struct report *r)
{
	const struct alias_extent *top[SWEEP_TOP];
	struct alias_extent *ext = NULL;
	size_t n_ext = 0, n_top = 0;

	collect_extents(st, &ext, &n_ext);
	sort_items(ext, n_ext, sizeof(*ext), cmp_alias_extent);
	for (size_t i = 0; i < n_ext; i++) {
		const struct alias_extent *e = &ext[i];

		if (i && (e->major != ext[i - 1].major || e->minor != ext[i - 1].minor))
			n_top = 0;
		for (size_t k = 0; k < n_top && top[k]->end > e->start; k++)
			pair(st, r, top[k]->dev, e->dev);
		top_insert(top, &n_top, e);
	}
	free(ext);
}
