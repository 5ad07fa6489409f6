// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O error summary of a block (summary.h, layout in recfmt.h). An error
 * storm is what fills a log; grouping a block's errors by everything but sector
 * and time lets report, whois and explain take a 64 KiB block from a few dozen
 * header bytes instead of inflating and decoding it.
 */
#include <limits.h>
#include "record/summary.h"

void sum_reset(struct sum_acc *a)
{
	a->n_groups = a->last_group = 0;
	a->no_summary = false;
}

static bool group_is(const struct rec_io_group *g, const struct dmw_event *ev,
		     const struct name_entry *nm)
{
	return g->dev == ev->dev && g->pid == ev->pid && g->op == (ev->op & 7u) &&
	       g->error == ev->error && g->lower == ev->lower_dev &&
	       g->named.dev == nm->dev && g->named.removed == nm->removed &&
	       !strncmp(g->comm, ev->comm, sizeof(g->comm) - 1) &&
	       !strncmp(g->named.name, nm->name, sizeof(g->named.name) - 1) &&
	       !strncmp(g->named.uuid, nm->uuid, sizeof(g->named.uuid) - 1);
}

/* the group of (ev, nm), or NULL; the last one found is tried first (storms repeat) */
static struct rec_io_group *find_group(struct sum_acc *a, const struct dmw_event *ev,
				       const struct name_entry *nm)
{
	if (a->last_group < a->n_groups && group_is(&a->groups[a->last_group], ev, nm))
		return &a->groups[a->last_group];
	for (size_t i = 0; i < a->n_groups; i++) {
		if (group_is(&a->groups[i], ev, nm)) {
			a->last_group = i;
			return &a->groups[i];
		}
	}
	return NULL;
}

static struct rec_io_group *new_group(struct sum_acc *a, const struct dmw_event *ev,
				      const struct name_entry *nm, uint32_t idx, int64_t t)
{
	struct rec_io_group *g = &a->groups[a->n_groups];

	a->last_group = a->n_groups++;
	memset(g, 0, sizeof(*g));
	g->dev = ev->dev;
	g->pid = ev->pid;
	g->op = ev->op & 7;
	g->error = ev->error;
	g->lower = ev->lower_dev;
	copy_field(g->comm, sizeof(g->comm), ev->comm);
	g->named.dev = nm->dev;
	g->named.removed = nm->removed;
	copy_field(g->named.name, sizeof(g->named.name), nm->name);
	copy_field(g->named.uuid, sizeof(g->named.uuid), nm->uuid);
	g->first_ns = g->last_ns = t;
	g->first_idx = idx;
	g->smin = g->smax = ev->sector;
	return g;
}

/*
 * Only named I/O errors can be summarized, and only a few groups of them; any
 * other record, or too many groups, and the block goes without.
 */
void sum_add(struct sum_acc *a, const struct rec *r, uint32_t idx, uint64_t us)
{
	const struct dmw_event *ev = r->k.ev;
	const struct name_entry *nm = r->k.named;
	struct rec_io_group *g;
	int64_t t = us * 1000;

	if (a->no_summary)
		return;
	if (r->kind != REC_KERNEL || ev->type != DMW_EV_IO_ERROR || !nm || !nm->name[0]) {
		a->no_summary = true;
		return;
	}
	g = find_group(a, ev, nm);
	if (!g) {
		if (a->n_groups == REC_SUMMARY_GROUPS_MAX) {
			a->no_summary = true;
			return;
		}
		g = new_group(a, ev, nm, idx, t);
	}
	g->n++;
	g->last_ns = t;
	g->last_idx = idx;
	if (ev->sector < g->smin)
		g->smin = ev->sector;
	if (ev->sector > g->smax)
		g->smax = ev->sector;
}

static void sum_var(struct sum_buf *sb, uint64_t v)
{
	do {
		if (sb->len == sizeof(sb->b)) {
			sb->full = true;
			return;
		}
		sb->b[sb->len++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
		v >>= 7;
	} while (v);
}

static void sum_str(struct sum_buf *sb, const char *s)
{
	size_t n = strlen(s);

	sum_var(sb, n);
	if (sb->full || n > sizeof(sb->b) - sb->len) {
		sb->full = true;
		return;
	}
	memcpy(sb->b + sb->len, s, n);
	sb->len += n;
}

/*
 * A device named two ways within one block (a rename racing the errors) gets no
 * summary: the reader replays a summary's groups one after the other, which is
 * only the same as replaying the events when each device has one name in the block.
 */
static bool one_name_per_device(const struct sum_acc *a)
{
	for (size_t i = 0; i < a->n_groups; i++) {
		for (size_t j = i + 1; j < a->n_groups; j++) {
			const struct rec_io_group *x = &a->groups[i], *y = &a->groups[j];

			if (x->dev == y->dev && (x->named.dev != y->named.dev ||
			    x->named.removed != y->named.removed || strcmp(x->named.name, y->named.name) ||
			    strcmp(x->named.uuid, y->named.uuid)))
				return false;
		}
	}
	return true;
}

size_t sum_encode(const struct sum_acc *a, uint64_t min_us, size_t raw_len, struct sum_buf *sb)
{
	sb->len = 0;
	sb->full = false;
	if (a->no_summary || !a->n_groups || !one_name_per_device(a))
		return 0;
	sum_var(sb, 1);
	sum_var(sb, a->n_groups);
	for (size_t i = 0; i < a->n_groups; i++) {
		const struct rec_io_group *g = &a->groups[i];

		sum_var(sb, g->dev);
		sum_var(sb, zigzag((int64_t)g->named.dev - g->dev));
		sum_var(sb, g->pid);
		sum_var(sb, zigzag(g->error) << 3 | g->op);
		sum_var(sb, g->lower);
		sum_var(sb, g->named.removed);
		sum_var(sb, g->n);
		sum_var(sb, g->first_idx);
		sum_var(sb, g->last_idx);
		sum_var(sb, g->first_ns / 1000 - min_us);
		sum_var(sb, g->last_ns / 1000 - min_us);
		sum_var(sb, g->smin);
		sum_var(sb, g->smax - g->smin);
		sum_str(sb, g->comm);
		sum_str(sb, g->named.name);
		sum_str(sb, g->named.uuid);
	}
	/*
	 * It is stored uncompressed: on a small block (errors trickling in, a block
	 * a second) it would cost more disk than inflating the block saves time.
	 */
	if (sb->full || sb->len + 4 > sizeof(sb->b) || (sb->len + 4) * 8 > raw_len)
		return 0;
	put_le32(sb->b + sb->len, rec_crc(sb->b, sb->len));
	sb->len += 4;
	return sb->len;
}

static bool cur_str(struct cursor *c, char *dst, size_t size)
{
	uint64_t n = cur_var(c);

	if (c->bad || n >= size || n > (uint64_t)(c->end - c->p))
		return false;
	memcpy(dst, c->p, n);
	dst[n] = 0;
	c->p += n;
	return true;
}

/* one group; false when it is unsound (times outside the block, a wrapping range) */
static bool read_group(struct cursor *c, struct rec_io_group *g, uint64_t base, uint64_t span_us,
		       uint32_t n_records)
{
	uint64_t v, t1, t2;

	memset(g, 0, sizeof(*g));
	g->dev = cur_var(c);
	g->named.dev = g->dev + (uint32_t)cur_svar(c);
	g->pid = cur_var(c);
	v = cur_var(c);
	g->op = v & 7;
	g->error = (int32_t)unzigzag(v >> 3);
	g->lower = cur_var(c);
	g->named.removed = cur_var(c);
	g->n = cur_var(c);
	g->first_idx = cur_var(c);
	g->last_idx = cur_var(c);
	t1 = cur_var(c);
	t2 = cur_var(c);
	if (t1 > span_us || t2 > span_us)
		return false;
	g->first_ns = base + t1 * 1000;
	g->last_ns = base + t2 * 1000;
	g->smin = cur_var(c);
	v = cur_var(c);
	if (v > UINT64_MAX - g->smin)
		return false;		/* the range would wrap */
	g->smax = g->smin + v;
	if (!cur_str(c, g->comm, sizeof(g->comm)) ||
	    !cur_str(c, g->named.name, sizeof(g->named.name)) ||
	    !cur_str(c, g->named.uuid, sizeof(g->named.uuid)) || c->bad)
		return false;
	return g->n && g->first_idx <= g->last_idx && g->last_idx < n_records &&
	       g->first_ns <= g->last_ns && g->named.name[0];
}

bool sum_read(const uint8_t *ext, size_t len, uint64_t base, uint32_t span_ms,
	      uint32_t n_records, struct rec_io_group *groups, struct rec_block_summary *s)
{
	uint64_t span_us = (uint64_t)span_ms * 1000, n_groups, total = 0;
	struct cursor c;

	if (len < 6 || get_le32(ext + len - 4) != rec_crc(ext, len - 4))
		return false;
	c = (struct cursor){ .p = ext, .end = ext + len - 4 };
	if (cur_var(&c) != 1)
		return false;
	/* every time is in [base, base + span]: keep that inside int64 ns */
	if (base > (uint64_t)INT64_MAX - span_us * 1000)
		return false;
	n_groups = cur_var(&c);
	if (c.bad || !n_groups || n_groups > REC_SUMMARY_GROUPS_MAX)
		return false;
	memset(s, 0, sizeof(*s));
	s->first_ns = INT64_MAX;
	s->last_ns = INT64_MIN;
	for (size_t i = 0; i < n_groups; i++) {
		struct rec_io_group *g = &groups[i];

		if (!read_group(&c, g, base, span_us, n_records))
			return false;
		total += g->n;
		if (g->first_ns < s->first_ns)
			s->first_ns = g->first_ns;
		if (g->last_ns > s->last_ns)
			s->last_ns = g->last_ns;
	}
	if (total != n_records || c.p != c.end)
		return false;
	s->n_records = n_records;
	s->groups = groups;
	s->n_groups = n_groups;
	return true;
}
