// SPDX-License-Identifier: GPL-2.0
/*
 * The block decoder (decode.h). A block's header may claim up to
 * REC_BLOCK_RAW_MAX inflated bytes; a truthful one from our writer holds 64 KiB.
 * The payload is therefore inflated in doubling steps, only as far as the
 * records read so far need, into one buffer kept for every block: a block that
 * claims much and holds garbage costs the few KiB it takes to see the first bad
 * record, not its claim.
 */
#include <errno.h>
#include <stdlib.h>
#include "record/decode.h"
#include "lib/util.h"

#define INFLATE_FIRST	256	/* bytes inflated before the first record is looked at */
#define VARINT_MAX	10

struct blk_dec {
	struct cursor c;		/* the record being decoded */
	/* strings: NUL-terminated copies in an arena sized for the whole block */
	char *arena;
	size_t arena_len, arena_cap;
	const char *str[STR_MAX];
	size_t n_str;
	uint64_t prev_us;
	uint32_t prev_dev, prev_pid;
	uint64_t prev_sector;
	struct dmw_event ev;
	struct name_entry named;
	struct rec_devent *devs;
	size_t devs_cap;
	/* the payload, inflated up to have of raw_len bytes */
	uint8_t *raw;
	size_t raw_cap, have, raw_len;
	z_stream zs;
	bool zinit, zlib, stream_end, zerr;
	uint64_t *inflated;		/* the reader's count of inflated bytes */
};

struct blk_dec *blk_dec_new(void)
{
	return xcalloc(1, sizeof(struct blk_dec));
}

void blk_dec_free(struct blk_dec *d)
{
	if (!d)
		return;
	if (d->zinit)
		inflateEnd(&d->zs);
	free(d->arena);
	free(d->devs);
	free(d->raw);
	free(d);
}

void rec_stats_span(struct rec_read_stats *st, uint64_t first, uint64_t last)
{
	if (!st->first_ns || first < st->first_ns)
		st->first_ns = first;
	if (last > st->last_ns)
		st->last_ns = last;
}

/* ---- the payload, inflated as needed ---- */

static bool payload_start(struct blk_dec *d, const struct blk_hdr *h, const uint8_t *payload)
{
	d->raw_len = h->raw_len;
	d->stream_end = d->zerr = false;
	d->zlib = h->codec == CODEC_ZLIB;
	if (!d->zlib) {
		/* stored: the payload is the raw bytes */
		d->have = h->raw_len;
		return true;
	}
	if (d->raw_cap < h->raw_len) {
		free(d->raw);
		d->raw_cap = h->raw_len;
		d->raw = xmalloc(d->raw_cap);
	}
	if (!d->zinit) {
		memset(&d->zs, 0, sizeof(d->zs));
		if (inflateInit(&d->zs) != Z_OK)
			return false;
		d->zinit = true;
	} else if (inflateReset(&d->zs) != Z_OK) {
		return false;
	}
	d->zs.next_in = (uint8_t *)payload;
	d->zs.avail_in = h->comp_len;
	d->have = 0;
	return true;
}

/*
 * Inflate until at least upto bytes (or all raw_len) are there, in steps that
 * at least double what is there. False when the stream breaks or ends early.
 */
static bool payload_fill(struct blk_dec *d, size_t upto)
{
	size_t target;

	if (upto > d->raw_len)
		upto = d->raw_len;
	if (d->have >= upto)
		return true;
	if (d->stream_end || d->zerr)
		return false;
	target = d->have < INFLATE_FIRST ? INFLATE_FIRST : 2 * d->have;
	if (target < upto)
		target = upto;
	if (target > d->raw_len)
		target = d->raw_len;
	d->zs.next_out = d->raw + d->have;
	d->zs.avail_out = target - d->have;
	while (d->zs.avail_out) {
		int z = inflate(&d->zs, Z_NO_FLUSH);

		if (z == Z_STREAM_END) {
			d->stream_end = true;
			break;
		}
		if (z != Z_OK) {
			d->zerr = true;
			break;
		}
	}
	*d->inflated += target - d->zs.avail_out - d->have;
	d->have = target - d->zs.avail_out;
	return d->have >= upto;
}

/* the stream ends exactly at raw_len, as the header says */
static bool payload_complete(struct blk_dec *d)
{
	uint8_t extra;

	if (!d->zlib || d->stream_end)
		return true;
	if (d->zerr || d->have != d->raw_len)
		return false;
	d->zs.next_out = &extra;
	d->zs.avail_out = 1;
	return inflate(&d->zs, Z_NO_FLUSH) == Z_STREAM_END && d->zs.avail_out == 1;
}

static const uint8_t *payload_bytes(const struct blk_dec *d, const uint8_t *payload)
{
	return d->zlib ? d->raw : payload;
}

/* ---- record fields ---- */

static uint64_t get_var(struct blk_dec *d)
{
	return cur_var(&d->c);
}

static int64_t get_svar(struct blk_dec *d)
{
	return cur_svar(&d->c);
}

static const char *get_str(struct blk_dec *d)
{
	struct cursor *c = &d->c;
	uint64_t v = get_var(d), n;
	char *s;

	if (c->bad || v == 0)
		return "";
	if (v >= 2) {
		if (v - 2 >= d->n_str) {
			c->bad = true;
			return "";
		}
		return d->str[v - 2];
	}
	n = get_var(d);
	if (c->bad || n > (uint64_t)(c->end - c->p) || d->arena_len + n + 1 > d->arena_cap) {
		c->bad = true;
		return "";
	}
	s = d->arena + d->arena_len;
	memcpy(s, c->p, n);
	s[n] = 0;
	d->arena_len += n + 1;
	c->p += n;
	if (d->n_str < STR_MAX)
		d->str[d->n_str++] = s;
	return s;
}

static uint32_t get_dev(struct blk_dec *d)
{
	d->prev_dev += (uint32_t)get_svar(d);
	return d->prev_dev;
}

static void dec_named(struct blk_dec *d, struct rec *r, uint64_t mask)
{
	memset(&d->named, 0, sizeof(d->named));
	d->named.dev = d->ev.dev + (uint32_t)get_svar(d);
	copy_field(d->named.name, sizeof(d->named.name), get_str(d));
	copy_field(d->named.uuid, sizeof(d->named.uuid), get_str(d));
	d->named.removed = mask & K_NAMED_REMOVED;
	r->k.named = &d->named;
}

static void dec_kernel(struct blk_dec *d, struct rec *r)
{
	struct dmw_event *ev = &d->ev;
	uint64_t mask = get_var(d), ts = get_var(d), v;

	memset(ev, 0, sizeof(*ev));
	ev->type = ts & 31;
	ev->source = ts >> 5;
	ev->ts_ns = r->unix_ns;
	r->k.ev = ev;
	r->k.named = NULL;
	if (mask & K_PID) {
		d->prev_pid += (uint32_t)get_svar(d);
		ev->pid = d->prev_pid;
	}
	if (mask & K_DEV)
		ev->dev = get_dev(d);
	if (mask & K_SECTOR) {
		d->prev_sector += (uint64_t)get_svar(d);
		ev->sector = d->prev_sector;
	}
	if (mask & K_BYTES)
		ev->bytes = get_var(d);
	if (mask & K_OPERR) {
		v = get_var(d);
		ev->op = v & 7;
		ev->error = (int32_t)unzigzag(v >> 3);
	}
	if (mask & K_COMM)
		copy_field(ev->comm, sizeof(ev->comm), get_str(d));
	if (mask & K_NAMED)
		dec_named(d, r, mask);
	if (mask & K_RET)
		ev->ret = (int32_t)get_svar(d);
	if (mask & K_LOWER)
		ev->lower_dev = get_var(d);
	if (mask & K_FLAGS)
		ev->flags = get_var(d);
	if (mask & K_NAME)
		copy_field(ev->name, sizeof(ev->name), get_str(d));
	if (mask & K_UUID)
		copy_field(ev->uuid, sizeof(ev->uuid), get_str(d));
	if (mask & K_NEWNAME)
		copy_field(ev->new_name, sizeof(ev->new_name), get_str(d));
}

static double unfixed100(int64_t v)
{
	return v / 100.0;
}

static void dec_cow(struct blk_dec *d, struct rec *r)
{
	struct cow_sample *c = &r->cow;
	int64_t v;

	c->name = get_str(d);
	c->dev = get_dev(d);
	c->kind = get_str(d);
	c->used_percent = unfixed100(get_svar(d));
	c->rate = unfixed100(get_svar(d));
	v = get_svar(d);
	c->eta_s = v < 0 ? -1 : unfixed100(v);
	v = get_svar(d);
	c->reader_eta_s = v < 0 ? -1 : unfixed100(v);
	c->overflow_before_reader = get_var(d) & 1;
}

static void dec_state(struct blk_dec *d, struct rec *r)
{
	r->st.event = get_str(d);
	r->st.name = get_str(d);
	r->st.dev = get_dev(d);
	r->st.state = get_str(d);
}

static void dec_devlist(struct blk_dec *d, struct rec *r)
{
	uint64_t n;
	uint32_t prev = 0;

	r->dl.full = get_var(d) & 1;
	n = get_var(d);
	/* every entry takes at least 2 bytes: a count beyond that is damage */
	if (d->c.bad || n > (uint64_t)(d->c.end - d->c.p) / 2) {
		d->c.bad = true;
		return;
	}
	if (n > d->devs_cap) {
		d->devs_cap = n;
		d->devs = xrealloc(d->devs, n * sizeof(*d->devs));
	}
	for (size_t i = 0; i < n && !d->c.bad; i++) {
		struct rec_devent *de = &d->devs[i];

		memset(de, 0, sizeof(*de));
		de->gone = get_var(d) & 1;
		prev += (uint32_t)get_svar(d);
		de->dev = prev;
		de->name = get_str(d);
		de->uuid = de->target = de->params = "";
		if (de->gone)
			continue;
		de->uuid = get_str(d);
		de->target = get_str(d);
		de->params = get_str(d);
		de->open_count = (int32_t)get_svar(d);
	}
	r->dl.devs = d->devs;
	r->dl.n = n;
}

static void dec_session(struct blk_dec *d, struct rec *r)
{
	struct rec_session *s = &r->ses;

	s->what = get_var(d);
	s->pid = get_var(d);
	s->dm_major = get_var(d);
	s->interval_ms = get_var(d);
	s->boot_offset_ns = get_svar(d);
	s->host = get_str(d);
	s->version = get_str(d);
	s->mode = get_str(d);
	s->boot_id = get_str(d);
}

/* the fields of a record of a known kind; false for a kind from a later version */
static bool dec_fields(struct blk_dec *d, struct rec *r)
{
	switch (r->kind) {
	case REC_KERNEL:
		dec_kernel(d, r);
		break;
	case REC_COW:
		dec_cow(d, r);
		break;
	case REC_STATE:
		dec_state(d, r);
		break;
	case REC_LOST:
		r->lost = get_var(d);
		break;
	case REC_DEVLIST:
		dec_devlist(d, r);
		break;
	case REC_SESSION:
		dec_session(d, r);
		break;
	default:
		return false;
	}
	return true;
}

/* ---- a block ---- */

static void dec_reset(struct blk_dec *d, const struct blk_hdr *h)
{
	if (d->arena_cap < (size_t)h->raw_len + 1) {
		d->arena_cap = (size_t)h->raw_len + 1;
		free(d->arena);
		d->arena = xmalloc(d->arena_cap);
	}
	d->n_str = 0;
	d->arena_len = 0;
	d->prev_us = 0;
	d->prev_dev = d->prev_pid = 0;
	d->prev_sector = 0;
}

/*
 * The record at offset *off: its kind, and the cursor over its body. Returns
 * BLK_OK, or what is wrong (with *why) when it does not fit the payload.
 */
static enum blk_result next_record(struct blk_dec *d, const uint8_t *raw, size_t *off,
				   uint8_t *kind, const char **why)
{
	bool short_fill = !payload_fill(d, *off + 1 + VARINT_MAX);
	uint64_t blen;
	size_t body;

	if (d->have <= *off)
		return BLK_NO_INFLATE;
	*kind = raw[*off];
	d->c = (struct cursor){ .p = raw + *off + 1, .end = raw + d->have };
	blen = get_var(d);
	if (d->c.bad && short_fill)
		return BLK_NO_INFLATE;		/* the stream broke inside the length */
	body = d->c.p - raw;
	if (d->c.bad || blen > d->raw_len - body || !blen) {
		*why = "record length out of bounds";
		return BLK_DAMAGED;
	}
	if (!payload_fill(d, body + blen))
		return BLK_NO_INFLATE;
	d->c.end = raw + body + blen;
	*off = body + blen;
	return BLK_OK;
}

enum blk_result blk_decode(struct blk_dec *d, struct rec_reader *rd, const struct blk_hdr *h,
			   const uint8_t *payload, const char **why, uint64_t *delivered)
{
	const uint8_t *raw;
	size_t off = 0;
	uint64_t n = 0;
	enum blk_result res = BLK_OK;

	*delivered = 0;
	if (h->codec != CODEC_ZLIB && (h->codec != CODEC_STORED || h->comp_len != h->raw_len))
		return BLK_BAD_CODEC;
	d->inflated = &rd->stats.inflated_bytes;
	if (!payload_start(d, h, payload))
		return BLK_NO_INFLATE;
	raw = payload_bytes(d, payload);
	dec_reset(d, h);
	while (off < h->raw_len && !rd->stop) {
		struct rec r = {};
		uint8_t kind;

		res = next_record(d, raw, &off, &kind, why);
		if (res != BLK_OK)
			break;
		d->prev_us += get_svar(d);
		r.unix_ns = d->prev_us * 1000;
		r.kind = kind;
		/* a kind from a later version: its length lets us step over it */
		if (!dec_fields(d, &r))
			continue;
		if (d->c.bad) {
			*why = "record fields out of bounds";
			res = BLK_DAMAGED;
			break;
		}
		if (++n > h->n_records) {
			*why = "more records than the header says";
			res = BLK_DAMAGED;
			break;
		}
		rd->stats.records++;
		rec_stats_span(&rd->stats, r.unix_ns, r.unix_ns);
		if (rd->cb && rd->cb(rd->ctx, &r))
			rd->stop = true;
		(*delivered)++;
	}
	if (res == BLK_OK && !rd->stop && !payload_complete(d))
		res = BLK_NO_INFLATE;
	return res;
}
