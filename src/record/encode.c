// SPDX-License-Identifier: GPL-2.0
/*
 * The block encoder (recfmt.h): records in, one self-contained compressed block
 * out. Compactness comes from three things inside a block: numbers are varints,
 * most of them deltas from the previous record (time, dev, pid, sector), and
 * every string is written once and then referenced by its index in the block's
 * string table. zlib then squeezes the repetition between records. Blocks never
 * refer to each other, so losing one loses only its own records.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "record/summary.h"
#include "lib/util.h"

#define STR_SLOTS	(2 * STR_MAX)	/* open addressing, load <= 1/2 */

struct str_slot {
	uint32_t hash;
	uint32_t idx;			/* table index + 1; 0 = empty */
};

struct rec_enc {
	uint8_t *raw;
	size_t len, cap;
	size_t n_records;
	bool have_ts;
	uint64_t prev_us, min_us, max_us;
	uint32_t prev_dev, prev_pid;
	uint64_t prev_sector;
	uint32_t str_off[STR_MAX], str_len[STR_MAX];
	size_t n_str;
	struct str_slot slots[STR_SLOTS];
	uint8_t *out;
	size_t out_cap;
	z_stream zs;
	int zlevel;			/* level zs was set up with, 0 = none yet */
	struct sum_acc sum;		/* the I/O error summary of the open block */
};

struct rec_enc *rec_enc_new(void)
{
	struct rec_enc *e = xcalloc(1, sizeof(*e));

	e->cap = 64 * 1024;
	e->raw = xmalloc(e->cap);
	return e;
}

void rec_enc_free(struct rec_enc *e)
{
	if (!e)
		return;
	if (e->zlevel)
		deflateEnd(&e->zs);
	free(e->raw);
	free(e->out);
	free(e);
}

static void enc_reset(struct rec_enc *e)
{
	e->len = 0;
	e->n_records = 0;
	e->have_ts = false;
	e->prev_us = e->min_us = e->max_us = 0;
	e->prev_dev = e->prev_pid = 0;
	e->prev_sector = 0;
	e->n_str = 0;
	memset(e->slots, 0, sizeof(e->slots));
	sum_reset(&e->sum);
}

size_t rec_enc_records(const struct rec_enc *e)
{
	return e->n_records;
}

size_t rec_enc_raw_len(const struct rec_enc *e)
{
	return e->len;
}

static void need(struct rec_enc *e, size_t n)
{
	if (e->len + n <= e->cap)
		return;
	while (e->len + n > e->cap)
		e->cap *= 2;
	e->raw = xrealloc(e->raw, e->cap);
}

static void put_u8(struct rec_enc *e, uint8_t v)
{
	need(e, 1);
	e->raw[e->len++] = v;
}

static void put_var(struct rec_enc *e, uint64_t v)
{
	need(e, 10);
	while (v >= 0x80) {
		e->raw[e->len++] = (uint8_t)v | 0x80;
		v >>= 7;
	}
	e->raw[e->len++] = (uint8_t)v;
}

static void put_svar(struct rec_enc *e, int64_t v)
{
	put_var(e, zigzag(v));
}

static uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/*
 * A string: 0 = "", 1 = literal (length, bytes; enters the table), n >= 2 = the
 * table's entry n - 2. max bounds strings taken from fixed-size event fields.
 */
static void put_str(struct rec_enc *e, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	uint32_t h, slot;

	if (!n) {
		put_var(e, 0);
		return;
	}
	h = str_hash(s, n);
	for (slot = h & (STR_SLOTS - 1); e->slots[slot].idx; slot = (slot + 1) & (STR_SLOTS - 1)) {
		uint32_t i = e->slots[slot].idx - 1;

		if (e->slots[slot].hash == h && e->str_len[i] == n &&
		    !memcmp(e->raw + e->str_off[i], s, n)) {
			put_var(e, i + 2);
			return;
		}
	}
	put_var(e, 1);
	put_var(e, n);
	need(e, n);
	if (e->n_str < STR_MAX) {
		e->str_off[e->n_str] = e->len;
		e->str_len[e->n_str] = n;
		e->slots[slot].hash = h;
		e->slots[slot].idx = ++e->n_str;
	}
	memcpy(e->raw + e->len, s, n);
	e->len += n;
}

static int64_t fixed100(double v)
{
	if (!isfinite(v))
		return 0;
	if (v > 1e15)
		v = 1e15;
	if (v < -1e15)
		v = -1e15;
	return llround(v * 100);
}

static void put_dev(struct rec_enc *e, uint32_t dev)
{
	put_svar(e, (int64_t)dev - e->prev_dev);
	e->prev_dev = dev;
}

static uint64_t kernel_mask(const struct dmw_event *ev, const struct name_entry *nm)
{
	uint64_t mask = 0;

	if (ev->pid) mask |= K_PID;
	if (ev->dev) mask |= K_DEV;
	if (ev->sector) mask |= K_SECTOR;
	if (ev->bytes) mask |= K_BYTES;
	if (ev->op || ev->error) mask |= K_OPERR;
	if (ev->comm[0]) mask |= K_COMM;
	if (nm) mask |= K_NAMED | (nm->removed ? K_NAMED_REMOVED : 0);
	if (ev->ret) mask |= K_RET;
	if (ev->lower_dev) mask |= K_LOWER;
	if (ev->flags) mask |= K_FLAGS;
	if (ev->name[0]) mask |= K_NAME;
	if (ev->uuid[0]) mask |= K_UUID;
	if (ev->new_name[0]) mask |= K_NEWNAME;
	return mask;
}

static void enc_kernel(struct rec_enc *e, const struct dmw_event *ev, const struct name_entry *nm)
{
	uint64_t mask = kernel_mask(ev, nm);

	put_var(e, mask);
	put_var(e, (uint64_t)ev->type | (uint64_t)ev->source << 5);
	if (mask & K_PID) {
		put_svar(e, (int64_t)ev->pid - e->prev_pid);
		e->prev_pid = ev->pid;
	}
	if (mask & K_DEV)
		put_dev(e, ev->dev);
	if (mask & K_SECTOR) {
		put_svar(e, (int64_t)(ev->sector - e->prev_sector));
		e->prev_sector = ev->sector;
	}
	if (mask & K_BYTES)
		put_var(e, ev->bytes);
	if (mask & K_OPERR)
		put_var(e, (zigzag(ev->error) << 3) | (ev->op & 7));
	if (mask & K_COMM)
		put_str(e, ev->comm, sizeof(ev->comm));
	if (mask & K_NAMED) {
		put_svar(e, (int64_t)nm->dev - ev->dev);
		put_str(e, nm->name, sizeof(nm->name));
		put_str(e, nm->uuid, sizeof(nm->uuid));
	}
	if (mask & K_RET)
		put_svar(e, ev->ret);
	if (mask & K_LOWER)
		put_var(e, ev->lower_dev);
	if (mask & K_FLAGS)
		put_var(e, ev->flags);
	if (mask & K_NAME)
		put_str(e, ev->name, sizeof(ev->name));
	if (mask & K_UUID)
		put_str(e, ev->uuid, sizeof(ev->uuid));
	if (mask & K_NEWNAME)
		put_str(e, ev->new_name, sizeof(ev->new_name));
}

static void enc_cow(struct rec_enc *e, const struct cow_sample *c)
{
	put_str(e, c->name, DMW_NAME_LEN);
	put_dev(e, c->dev);
	put_str(e, c->kind, 64);
	put_svar(e, fixed100(c->used_percent));
	put_svar(e, fixed100(c->rate));
	put_svar(e, c->eta_s < 0 ? -1 : fixed100(c->eta_s));
	put_svar(e, c->reader_eta_s < 0 ? -1 : fixed100(c->reader_eta_s));
	put_var(e, c->overflow_before_reader ? 1 : 0);
}

static void enc_state(struct rec_enc *e, const struct rec *r)
{
	put_str(e, r->st.event, 64);
	put_str(e, r->st.name, DMW_NAME_LEN);
	put_dev(e, r->st.dev);
	put_str(e, r->st.state, 64);
}

static void enc_devlist(struct rec_enc *e, const struct rec *r)
{
	uint32_t prev = 0;

	put_var(e, r->dl.full ? 1 : 0);
	put_var(e, r->dl.n);
	for (size_t i = 0; i < r->dl.n; i++) {
		const struct rec_devent *d = &r->dl.devs[i];

		put_var(e, d->gone ? 1 : 0);
		put_svar(e, (int64_t)d->dev - prev);
		prev = d->dev;
		put_str(e, d->name, DMW_NAME_LEN);
		if (d->gone)
			continue;
		put_str(e, d->uuid, DMW_UUID_LEN);
		put_str(e, d->target, 64);
		put_str(e, d->params, REC_PARAMS_MAX);
		put_svar(e, d->open_count);
	}
}

static void enc_session(struct rec_enc *e, const struct rec_session *s)
{
	put_var(e, s->what);
	put_var(e, s->pid);
	put_var(e, s->dm_major);
	put_var(e, s->interval_ms);
	put_svar(e, s->boot_offset_ns);
	put_str(e, s->host, 256);
	put_str(e, s->version, 64);
	put_str(e, s->mode, 128);
	put_str(e, s->boot_id, 64);
}

static size_t var_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * The record body was written after a one-byte length placeholder at start + 1:
 * fill in its length, moving the body when the varint needs more bytes (the
 * strings the record entered into the table move with it).
 */
static void patch_body_len(struct rec_enc *e, size_t start, size_t body, size_t str0)
{
	size_t blen = e->len - body, lenlen = var_len(blen);

	if (lenlen > 1) {
		need(e, lenlen - 1);
		memmove(e->raw + body + lenlen - 1, e->raw + body, blen);
		e->len += lenlen - 1;
		for (size_t i = str0; i < e->n_str; i++)
			e->str_off[i] += lenlen - 1;
	}
	for (size_t i = 0; i < lenlen; i++, blen >>= 7)
		e->raw[start + 1 + i] = (uint8_t)(blen & 0x7f) | (i + 1 < lenlen ? 0x80 : 0);
}

static bool encodable(const struct rec *r)
{
	return r->kind > 0 && r->kind < REC_KIND_MAX &&
	       !(r->kind == REC_KERNEL && (!r->k.ev || r->k.ev->type >= 32)) &&
	       !(r->kind == REC_DEVLIST && r->dl.n && !r->dl.devs);
}

int rec_enc_add(struct rec_enc *e, const struct rec *r)
{
	uint64_t us = r->unix_ns / 1000;
	size_t start, body, str0 = e->n_str;

	if (!encodable(r))
		return -EINVAL;
	start = e->len;
	put_u8(e, r->kind);
	/* one byte for the body length: right for almost every record, moved if not */
	put_u8(e, 0);
	body = e->len;
	/* the first record of a block carries its absolute time */
	put_svar(e, e->have_ts ? (int64_t)(us - e->prev_us) : (int64_t)us);
	switch (r->kind) {
	case REC_KERNEL:
		enc_kernel(e, r->k.ev, r->k.named);
		break;
	case REC_COW:
		enc_cow(e, &r->cow);
		break;
	case REC_STATE:
		enc_state(e, r);
		break;
	case REC_LOST:
		put_var(e, r->lost);
		break;
	case REC_DEVLIST:
		enc_devlist(e, r);
		break;
	case REC_SESSION:
		enc_session(e, &r->ses);
		break;
	default:
		break;
	}
	patch_body_len(e, start, body, str0);

	sum_add(&e->sum, r, e->n_records, us);
	if (!e->have_ts || us < e->min_us)
		e->min_us = us;
	if (!e->have_ts || us > e->max_us)
		e->max_us = us;
	e->prev_us = us;
	e->have_ts = true;
	e->n_records++;
	return 0;
}

static int deflate_block(struct rec_enc *e, int level, uint8_t *dst, size_t *dlen)
{
	int zerr;

	if (e->zlevel != level) {
		if (e->zlevel)
			deflateEnd(&e->zs);
		memset(&e->zs, 0, sizeof(e->zs));
		e->zlevel = 0;
		if (deflateInit(&e->zs, level) != Z_OK)
			return -ENOMEM;
		e->zlevel = level;
	} else if (deflateReset(&e->zs) != Z_OK) {
		return -EIO;
	}
	e->zs.next_in = e->raw;
	e->zs.avail_in = e->len;
	e->zs.next_out = dst;
	e->zs.avail_out = *dlen;
	zerr = deflate(&e->zs, Z_FINISH);
	if (zerr != Z_STREAM_END)
		return -EIO;
	*dlen = e->zs.total_out;
	return 0;
}

/* the 40-byte block header in front of the summary (layout: recfmt.h) */
static void write_block_header(struct rec_enc *e, uint8_t *h, uint8_t codec, size_t hlen,
			       size_t clen)
{
	uint64_t span_ms = (e->max_us - e->min_us + 999) / 1000;

	memcpy(h, BLK_MAGIC, 4);
	h[4] = RECFMT_VERSION;
	h[5] = codec;
	put_le16(h + 6, hlen);
	put_le32(h + 8, clen);
	put_le32(h + 12, e->len);
	put_le32(h + 16, e->n_records);
	put_le32(h + 20, rec_crc(h + hlen, clen));
	put_le64(h + 24, e->min_us * 1000);
	put_le32(h + 32, span_ms > UINT32_MAX ? UINT32_MAX : span_ms);
	put_le32(h + 36, rec_crc(h, 36));
}

int rec_enc_finish(struct rec_enc *e, int level, const uint8_t **out, size_t *out_len)
{
	size_t bound = compressBound(e->len), clen = bound, hlen;
	uint8_t codec = CODEC_ZLIB;
	struct sum_buf sb;
	int err;

	/* readers refuse more (recfmt.h): a block this big is not written at all */
	if (e->len > REC_BLOCK_RAW_MAX)
		return -E2BIG;
	if (level < 1 || level > 9)
		level = 6;
	hlen = REC_BLOCK_HEADER_LEN + sum_encode(&e->sum, e->min_us, e->len, &sb);
	if (e->out_cap < hlen + bound) {
		e->out_cap = hlen + bound;
		e->out = xrealloc(e->out, e->out_cap);
	}
	err = deflate_block(e, level, e->out + hlen, &clen);
	if (err)
		return err;
	/* incompressible (tiny) blocks are kept as they are */
	if (clen >= e->len) {
		memcpy(e->out + hlen, e->raw, e->len);
		clen = e->len;
		codec = CODEC_STORED;
	}
	memcpy(e->out + REC_BLOCK_HEADER_LEN, sb.b, hlen - REC_BLOCK_HEADER_LEN);
	write_block_header(e, e->out, codec, hlen, clen);
	*out = e->out;
	*out_len = hlen + clen;
	enc_reset(e);
	return 0;
}
