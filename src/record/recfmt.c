// SPDX-License-Identifier: GPL-2.0
/*
 * The recorder's log format (see recfmt.h for the layout): block encoding and
 * decoding, reading segments back whatever state they are in, and the segmented
 * writer with rotation, a lock and bounded data loss.
 *
 * Compactness comes from three things inside a block: numbers are varints, most of
 * them deltas from the previous record (time, dev, pid, sector), and every string
 * is written once and then referenced by its index in the block's string table.
 * zlib then squeezes the repetition between records. Blocks never refer to each
 * other, so losing one loses only its own records.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "record/recfmt.h"
#include "lib/util.h"

static const char seg_magic[8] = { 'D', 'M', 'W', 'S', 'E', 'G', 'M', 'T' };
static const char blk_magic[4] = { 'D', 'M', 'W', 'B' };

#define CODEC_STORED	0
#define CODEC_ZLIB	1

/* sanity limits: a header announcing more is damaged, not a real block */
#define BLOCK_MAX	(64u << 20)
#define HEADER_MAX	4096
#define STR_MAX		4096		/* strings in one block's table */
#define STR_SLOTS	(2 * STR_MAX)	/* open addressing, load <= 1/2 */
#define SEG_FILE_MAX	(1ull << 30)	/* a segment file bigger than this is not ours */

/* kernel event fields present in a record (the mask); zero fields are left out */
enum {
	K_PID = 1 << 0,
	K_DEV = 1 << 1,
	K_SECTOR = 1 << 2,
	K_BYTES = 1 << 3,
	K_OPERR = 1 << 4,
	K_COMM = 1 << 5,
	K_NAMED = 1 << 6,
	K_RET = 1 << 7,
	K_LOWER = 1 << 8,
	K_FLAGS = 1 << 9,
	K_NAME = 1 << 10,
	K_UUID = 1 << 11,
	K_NEWNAME = 1 << 12,
	K_NAMED_REMOVED = 1 << 13,
};

/* ---- little-endian fields and varints ---- */

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint16_t get_le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static uint32_t crc(const void *p, size_t n)
{
	return crc32(0, p, n);
}

/* a string from a fixed-size field, as the decoder gives it back */
static void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* ---- encoder ---- */

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
	/* the I/O error summary of the open block (recfmt.h) */
	struct rec_io_group groups[REC_SUMMARY_GROUPS_MAX];
	size_t n_groups, last_group;
	bool no_summary;		/* a record it cannot describe */
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
	e->n_groups = e->last_group = 0;
	e->no_summary = false;
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

static void enc_kernel(struct rec_enc *e, const struct dmw_event *ev, const struct name_entry *nm)
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

/*
 * Keep the open block's summary up to date with record r (number idx, time us).
 * Only named I/O errors can be summarized, and only a few groups of them; any
 * other record, or too many groups, and the block goes without.
 */
static void summarize(struct rec_enc *e, const struct rec *r, uint32_t idx, uint64_t us)
{
	const struct dmw_event *ev = r->k.ev;
	const struct name_entry *nm = r->k.named;
	struct rec_io_group *g = NULL;
	int64_t t = us * 1000;

	if (e->no_summary)
		return;
	if (r->kind != REC_KERNEL || ev->type != DMW_EV_IO_ERROR || !nm || !nm->name[0]) {
		e->no_summary = true;
		return;
	}
	if (e->last_group < e->n_groups && group_is(&e->groups[e->last_group], ev, nm))
		g = &e->groups[e->last_group];
	for (size_t i = 0; !g && i < e->n_groups; i++) {
		if (group_is(&e->groups[i], ev, nm)) {
			g = &e->groups[i];
			e->last_group = i;
		}
	}
	if (!g) {
		if (e->n_groups == REC_SUMMARY_GROUPS_MAX) {
			e->no_summary = true;
			return;
		}
		e->last_group = e->n_groups;
		g = &e->groups[e->n_groups++];
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
	}
	g->n++;
	g->last_ns = t;
	g->last_idx = idx;
	if (ev->sector < g->smin)
		g->smin = ev->sector;
	if (ev->sector > g->smax)
		g->smax = ev->sector;
}

int rec_enc_add(struct rec_enc *e, const struct rec *r)
{
	uint64_t us = r->unix_ns / 1000;
	size_t start, body, blen, lenlen, str0 = e->n_str;

	if (r->kind <= 0 || r->kind >= REC_KIND_MAX || (r->kind == REC_KERNEL && !r->k.ev) ||
	    (r->kind == REC_KERNEL && r->k.ev->type >= 32) ||
	    (r->kind == REC_DEVLIST && r->dl.n && !r->dl.devs))
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
		put_str(e, r->st.event, 64);
		put_str(e, r->st.name, DMW_NAME_LEN);
		put_dev(e, r->st.dev);
		put_str(e, r->st.state, 64);
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
	blen = e->len - body;
	lenlen = var_len(blen);
	if (lenlen > 1) {
		need(e, lenlen - 1);
		memmove(e->raw + body + lenlen - 1, e->raw + body, blen);
		e->len += lenlen - 1;
		/* strings this record added moved with it */
		for (size_t i = str0; i < e->n_str; i++)
			e->str_off[i] += lenlen - 1;
	}
	for (size_t i = 0; i < lenlen; i++, blen >>= 7)
		e->raw[start + 1 + i] = (uint8_t)(blen & 0x7f) | (i + 1 < lenlen ? 0x80 : 0);

	summarize(e, r, e->n_records, us);
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

/* a small buffer the summary is written into; too long and it is dropped */
struct sum_buf {
	uint8_t b[HEADER_MAX - REC_BLOCK_HEADER_LEN];
	size_t len;
	bool full;
};

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
 * The summary of the open block, or 0 bytes when it has none. A device named two
 * ways within one block (a rename racing the errors) gets none either: the
 * reader replays a summary's groups one after the other, which is only the same
 * as replaying the events when each device has one name in the block.
 */
static size_t encode_summary(const struct rec_enc *e, struct sum_buf *sb)
{
	sb->len = 0;
	sb->full = false;
	if (e->no_summary || !e->n_groups)
		return 0;
	for (size_t i = 0; i < e->n_groups; i++) {
		for (size_t j = i + 1; j < e->n_groups; j++) {
			const struct rec_io_group *a = &e->groups[i], *b = &e->groups[j];

			if (a->dev == b->dev && (a->named.dev != b->named.dev ||
			    a->named.removed != b->named.removed || strcmp(a->named.name, b->named.name) ||
			    strcmp(a->named.uuid, b->named.uuid)))
				return 0;
		}
	}
	sum_var(sb, 1);
	sum_var(sb, e->n_groups);
	for (size_t i = 0; i < e->n_groups; i++) {
		const struct rec_io_group *g = &e->groups[i];

		sum_var(sb, g->dev);
		sum_var(sb, zigzag((int64_t)g->named.dev - g->dev));
		sum_var(sb, g->pid);
		sum_var(sb, zigzag(g->error) << 3 | g->op);
		sum_var(sb, g->lower);
		sum_var(sb, g->named.removed);
		sum_var(sb, g->n);
		sum_var(sb, g->first_idx);
		sum_var(sb, g->last_idx);
		sum_var(sb, g->first_ns / 1000 - e->min_us);
		sum_var(sb, g->last_ns / 1000 - e->min_us);
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
	if (sb->full || sb->len + 4 > sizeof(sb->b) || (sb->len + 4) * 8 > e->len)
		return 0;
	put_le32(sb->b + sb->len, crc(sb->b, sb->len));
	sb->len += 4;
	return sb->len;
}

int rec_enc_finish(struct rec_enc *e, int level, const uint8_t **out, size_t *out_len)
{
	size_t bound = compressBound(e->len), clen = bound, hlen;
	uint64_t span_ms;
	uint8_t *h, codec = CODEC_ZLIB;
	struct sum_buf sb;
	int err;

	if (e->len > BLOCK_MAX)
		return -E2BIG;
	if (level < 1 || level > 9)
		level = 6;
	hlen = REC_BLOCK_HEADER_LEN + encode_summary(e, &sb);
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
	h = e->out;
	memcpy(h, blk_magic, 4);
	h[4] = RECFMT_VERSION;
	h[5] = codec;
	put_le16(h + 6, hlen);
	memcpy(h + REC_BLOCK_HEADER_LEN, sb.b, hlen - REC_BLOCK_HEADER_LEN);
	put_le32(h + 8, clen);
	put_le32(h + 12, e->len);
	put_le32(h + 16, e->n_records);
	put_le32(h + 20, crc(h + hlen, clen));
	put_le64(h + 24, e->min_us * 1000);
	span_ms = (e->max_us - e->min_us + 999) / 1000;
	put_le32(h + 32, span_ms > UINT32_MAX ? UINT32_MAX : span_ms);
	put_le32(h + 36, crc(h, 36));
	*out = e->out;
	*out_len = hlen + clen;
	enc_reset(e);
	return 0;
}

/* ---- decoder ---- */

struct dec {
	const uint8_t *p, *end;
	bool bad;
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
};

static uint64_t get_var(struct dec *d)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (d->p >= d->end) {
			d->bad = true;
			return 0;
		}
		b = *d->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	d->bad = true;
	return 0;
}

static int64_t get_svar(struct dec *d)
{
	return unzigzag(get_var(d));
}

static const char *get_str(struct dec *d)
{
	uint64_t v = get_var(d), n;
	char *s;

	if (d->bad || v == 0)
		return "";
	if (v >= 2) {
		if (v - 2 >= d->n_str) {
			d->bad = true;
			return "";
		}
		return d->str[v - 2];
	}
	n = get_var(d);
	if (d->bad || n > (uint64_t)(d->end - d->p) || d->arena_len + n + 1 > d->arena_cap) {
		d->bad = true;
		return "";
	}
	s = d->arena + d->arena_len;
	memcpy(s, d->p, n);
	s[n] = 0;
	d->arena_len += n + 1;
	d->p += n;
	if (d->n_str < STR_MAX)
		d->str[d->n_str++] = s;
	return s;
}

static uint32_t get_dev(struct dec *d)
{
	d->prev_dev += (uint32_t)get_svar(d);
	return d->prev_dev;
}

static void dec_kernel(struct dec *d, struct rec *r)
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
	if (mask & K_NAMED) {
		memset(&d->named, 0, sizeof(d->named));
		d->named.dev = ev->dev + (uint32_t)get_svar(d);
		copy_field(d->named.name, sizeof(d->named.name), get_str(d));
		copy_field(d->named.uuid, sizeof(d->named.uuid), get_str(d));
		d->named.removed = mask & K_NAMED_REMOVED;
		r->k.named = &d->named;
	}
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

static void dec_cow(struct dec *d, struct rec *r)
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

static void dec_devlist(struct dec *d, struct rec *r)
{
	uint64_t n;
	uint32_t prev = 0;

	r->dl.full = get_var(d) & 1;
	n = get_var(d);
	/* every entry takes at least 2 bytes: a count beyond that is damage */
	if (d->bad || n > (uint64_t)(d->end - d->p) / 2) {
		d->bad = true;
		return;
	}
	if (n > d->devs_cap) {
		d->devs_cap = n;
		d->devs = xrealloc(d->devs, n * sizeof(*d->devs));
	}
	for (size_t i = 0; i < n && !d->bad; i++) {
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

static void dec_session(struct dec *d, struct rec *r)
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

/* widen the time span of what was read to [first, last] (unix ns) */
static void stats_span(struct rec_read_stats *st, uint64_t first, uint64_t last)
{
	if (!st->first_ns || first < st->first_ns)
		st->first_ns = first;
	if (last > st->last_ns)
		st->last_ns = last;
}

/*
 * Decode the records of an inflated payload. Returns the number of records
 * delivered, or -1 (with *why) when the payload is inconsistent.
 */
static long decode_records(struct dec *d, const uint8_t *raw, size_t len, uint32_t n_records,
			   struct rec_reader *rd, const char **why)
{
	const uint8_t *p = raw, *end = raw + len;
	long n = 0;

	d->n_str = 0;
	d->arena_len = 0;
	d->prev_us = 0;
	d->prev_dev = d->prev_pid = 0;
	d->prev_sector = 0;
	while (p < end && !rd->stop) {
		struct rec r = {};
		uint8_t kind = *p++;
		uint64_t blen;

		d->p = p;
		d->end = end;
		d->bad = false;
		blen = get_var(d);
		if (d->bad || blen > (uint64_t)(end - d->p) || !blen) {
			*why = "record length out of bounds";
			return -1;
		}
		p = d->p + blen;
		d->end = p;
		d->prev_us += get_svar(d);
		r.unix_ns = d->prev_us * 1000;
		r.kind = kind;
		switch (kind) {
		case REC_KERNEL:
			dec_kernel(d, &r);
			break;
		case REC_COW:
			dec_cow(d, &r);
			break;
		case REC_STATE:
			r.st.event = get_str(d);
			r.st.name = get_str(d);
			r.st.dev = get_dev(d);
			r.st.state = get_str(d);
			break;
		case REC_LOST:
			r.lost = get_var(d);
			break;
		case REC_DEVLIST:
			dec_devlist(d, &r);
			break;
		case REC_SESSION:
			dec_session(d, &r);
			break;
		default:
			/* a kind from a later version: its length lets us step over it */
			continue;
		}
		if (d->bad) {
			*why = "record fields out of bounds";
			return -1;
		}
		n++;
		rd->stats.records++;
		stats_span(&rd->stats, r.unix_ns, r.unix_ns);
		if (rd->cb && rd->cb(rd->ctx, &r))
			rd->stop = true;
	}
	if (!rd->stop && (uint32_t)n > n_records) {
		*why = "more records than the header says";
		return -1;
	}
	return n;
}

/* ---- reader ---- */

static void warnf(struct rec_reader *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warnf(struct rec_reader *rd, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg && rd->warn)
		rd->warn(rd->ctx, msg);
	free(msg);
}

enum hdr_verdict { HDR_OK, HDR_SHORT, HDR_BAD, HDR_NEWER };

struct blk_hdr {
	uint8_t version, codec;
	uint32_t header_len, comp_len, raw_len, n_records, payload_crc;
};

static enum hdr_verdict parse_block_header(const uint8_t *p, size_t avail, struct blk_hdr *h)
{
	if (avail < REC_BLOCK_HEADER_LEN)
		return memcmp(p, blk_magic, avail < 4 ? avail : 4) ? HDR_BAD : HDR_SHORT;
	if (memcmp(p, blk_magic, 4) || get_le32(p + 36) != crc(p, 36))
		return HDR_BAD;
	h->version = p[4];
	h->codec = p[5];
	h->header_len = get_le16(p + 6);
	h->comp_len = get_le32(p + 8);
	h->raw_len = get_le32(p + 12);
	h->n_records = get_le32(p + 16);
	h->payload_crc = get_le32(p + 20);
	if (h->header_len < REC_BLOCK_HEADER_LEN || h->header_len > HEADER_MAX ||
	    h->comp_len > BLOCK_MAX || h->raw_len > BLOCK_MAX)
		return HDR_BAD;
	if (h->version != RECFMT_VERSION)
		return h->version > RECFMT_VERSION ? HDR_NEWER : HDR_BAD;
	return HDR_OK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* next offset > from where a block magic starts, or len */
static size_t resync(const uint8_t *buf, size_t len, size_t from)
{
	const uint8_t *m;

	if (from >= len)
		return len;
	m = memmem(buf + from, len - from, blk_magic, 4);
	return m ? (size_t)(m - buf) : len;
}

static bool sum_get_str(struct dec *d, char *dst, size_t size)
{
	uint64_t n = get_var(d);

	if (d->bad || n >= size || n > (uint64_t)(d->end - d->p))
		return false;
	memcpy(dst, d->p, n);
	dst[n] = 0;
	d->p += n;
	return true;
}

/*
 * The I/O error summary in the header of the block at blk, if it has a sound
 * one: its own CRC, every record of the block in exactly one group.
 */
static bool read_summary(const uint8_t *blk, const struct blk_hdr *h,
			 struct rec_io_group *groups, struct rec_block_summary *s)
{
	const uint8_t *ext = blk + REC_BLOCK_HEADER_LEN;
	size_t len = h->header_len - REC_BLOCK_HEADER_LEN;
	uint64_t base = get_le64(blk + 24), span_us = (uint64_t)get_le32(blk + 32) * 1000;
	struct dec d = { .p = ext, .end = ext + len - 4 };
	uint64_t n_groups, total = 0, v, t1, t2;

	if (len < 6 || get_le32(ext + len - 4) != crc(ext, len - 4) || get_var(&d) != 1)
		return false;
	/* every time is in [base, base + span]: keep that inside int64 ns */
	if (base > (uint64_t)INT64_MAX - span_us * 1000)
		return false;
	n_groups = get_var(&d);
	if (d.bad || !n_groups || n_groups > REC_SUMMARY_GROUPS_MAX)
		return false;
	memset(s, 0, sizeof(*s));
	s->first_ns = INT64_MAX;
	s->last_ns = INT64_MIN;
	for (size_t i = 0; i < n_groups; i++) {
		struct rec_io_group *g = &groups[i];

		memset(g, 0, sizeof(*g));
		g->dev = get_var(&d);
		g->named.dev = g->dev + (uint32_t)get_svar(&d);
		g->pid = get_var(&d);
		v = get_var(&d);
		g->op = v & 7;
		g->error = (int32_t)unzigzag(v >> 3);
		g->lower = get_var(&d);
		g->named.removed = get_var(&d);
		g->n = get_var(&d);
		g->first_idx = get_var(&d);
		g->last_idx = get_var(&d);
		t1 = get_var(&d);
		t2 = get_var(&d);
		if (t1 > span_us || t2 > span_us)
			return false;
		g->first_ns = base + t1 * 1000;
		g->last_ns = base + t2 * 1000;
		g->smin = get_var(&d);
		v = get_var(&d);
		if (v > UINT64_MAX - g->smin)
			return false;		/* the range would wrap */
		g->smax = g->smin + v;
		if (!sum_get_str(&d, g->comm, sizeof(g->comm)) ||
		    !sum_get_str(&d, g->named.name, sizeof(g->named.name)) ||
		    !sum_get_str(&d, g->named.uuid, sizeof(g->named.uuid)) || d.bad)
			return false;
		if (!g->n || g->first_idx > g->last_idx || g->last_idx >= h->n_records ||
		    g->first_ns > g->last_ns || !g->named.name[0])
			return false;
		total += g->n;
		if (g->first_ns < s->first_ns)
			s->first_ns = g->first_ns;
		if (g->last_ns > s->last_ns)
			s->last_ns = g->last_ns;
	}
	if (total != h->n_records || d.p != d.end)
		return false;
	s->n_records = h->n_records;
	s->groups = groups;
	s->n_groups = n_groups;
	return true;
}

/* inflate and deliver one block's records; false (with a warning) when damaged */
static bool read_block(struct rec_reader *rd, struct dec *d, const uint8_t *payload,
		       const struct blk_hdr *h, const char *label, size_t off)
{
	const char *why = NULL;
	uint8_t *raw = NULL;
	const uint8_t *data = payload;
	uLongf rlen = h->raw_len;
	long n;

	if (h->codec == CODEC_ZLIB) {
		raw = xmalloc(h->raw_len ? h->raw_len : 1);
		if (uncompress(raw, &rlen, payload, h->comp_len) != Z_OK || rlen != h->raw_len) {
			warnf(rd, "%s: block at offset %zu does not inflate; skipped", label, off);
			free(raw);
			return false;
		}
		data = raw;
	} else if (h->codec != CODEC_STORED || h->comp_len != h->raw_len) {
		warnf(rd, "%s: block at offset %zu has an unknown codec %u; skipped", label, off,
		      h->codec);
		return false;
	}
	if (d->arena_cap < (size_t)h->raw_len + 1) {
		d->arena_cap = (size_t)h->raw_len + 1;
		free(d->arena);
		d->arena = xmalloc(d->arena_cap);
	}
	n = decode_records(d, data, h->raw_len, h->n_records, rd, &why);
	free(raw);
	if (n < 0) {
		warnf(rd, "%s: block at offset %zu is damaged (%s); the rest of it is skipped",
		      label, off, why);
		return false;
	}
	return true;
}

size_t rec_read_buf(struct rec_reader *rd, const uint8_t *buf, size_t len, const char *label)
{
	struct dec d = {};
	size_t pos = 0, good_end = 0, bad_from = SIZE_MAX;
	struct rec_io_group groups[REC_SUMMARY_GROUPS_MAX];
	struct rec_block_summary sum;
	struct blk_hdr h;

	rd->stats.segments++;
	rd->stats.torn_tail = false;
	if (len >= REC_SEG_HEADER_LEN && !memcmp(buf, seg_magic, 8)) {
		if (get_le32(buf + 60) != crc(buf, 60))
			warnf(rd, "%s: segment header damaged; reading its blocks anyway", label);
		else if (get_le32(buf + 8) > RECFMT_VERSION)
			warnf(rd, "%s: written by a newer dmwatch (format %u); reading what this "
			      "version understands", label, get_le32(buf + 8));
		pos = good_end = REC_SEG_HEADER_LEN;
	} else if (len < REC_SEG_HEADER_LEN && !memcmp(buf, seg_magic, len < 8 ? len : 8)) {
		/* the recorder died while creating it */
		rd->stats.torn_tail = true;
		if (!rd->quiet_torn_tail)
			warnf(rd, "%s: incomplete segment header (recorder killed?); no events in it",
			      label);
		return 0;
	} else {
		rd->stats.bad_segments++;
		pos = resync(buf, len, 0);
		if (pos == len && !all_zero(buf, len)) {
			warnf(rd, "%s: not a recorder segment (no header, no block); skipped", label);
			return 0;
		}
		if (pos < len)
			warnf(rd, "%s: no segment header; reading the blocks found", label);
		bad_from = 0;
	}

	while (pos < len && !rd->stop) {
		enum hdr_verdict v = parse_block_header(buf + pos, len - pos, &h);

		if (v == HDR_SHORT ||
		    (v != HDR_BAD && h.header_len + (uint64_t)h.comp_len > len - pos)) {
			/* an incomplete last block: what kill -9 or a power loss leaves */
			rd->stats.torn_tail = true;
			if (!rd->quiet_torn_tail)
				warnf(rd, "%s: incomplete block at offset %zu (%zu bytes; recorder "
				      "killed or crashed while writing); the blocks before it are read",
				      label, pos, len - pos);
			break;
		}
		if (v == HDR_BAD) {
			if (bad_from == SIZE_MAX)
				bad_from = pos;
			pos = resync(buf, len, pos + 1);
			continue;
		}
		if (bad_from != SIZE_MAX) {
			rd->stats.skipped_bytes += pos - bad_from;
			rd->stats.bad_blocks++;
			warnf(rd, "%s: %zu damaged bytes at offset %zu skipped", label, pos - bad_from,
			      bad_from);
			bad_from = SIZE_MAX;
		}
		if (v == HDR_NEWER) {
			warnf(rd, "%s: block at offset %zu has format version %u (newer than %u); "
			      "skipped", label, pos, h.version, RECFMT_VERSION);
			rd->stats.bad_blocks++;
		} else if (rd->summary && h.header_len > REC_BLOCK_HEADER_LEN &&
			   read_summary(buf + pos, &h, groups, &sum) && rd->summary(rd->ctx, &sum)) {
			/* taken from the summary: neither inflated nor decoded */
			rd->stats.blocks++;
			rd->stats.summarized_blocks++;
			rd->stats.records += sum.n_records;
			stats_span(&rd->stats, sum.first_ns, sum.last_ns);
		} else if (crc(buf + pos + h.header_len, h.comp_len) != h.payload_crc) {
			warnf(rd, "%s: corrupt block at offset %zu (CRC mismatch, %u records lost); "
			      "skipped", label, pos, h.n_records);
			rd->stats.bad_blocks++;
			rd->stats.skipped_bytes += h.header_len + h.comp_len;
		} else {
			rd->stats.blocks++;
			if (!read_block(rd, &d, buf + pos + h.header_len, &h, label, pos))
				rd->stats.bad_blocks++;
		}
		pos += h.header_len + h.comp_len;
		good_end = pos;
	}
	if (bad_from != SIZE_MAX && !rd->stop) {
		if (all_zero(buf + bad_from, len - bad_from)) {
			/* a file extended but never written (power loss): a torn tail too */
			rd->stats.torn_tail = true;
			if (!rd->quiet_torn_tail)
				warnf(rd, "%s: %zu zero bytes at the end (power loss?) ignored", label,
				      len - bad_from);
		} else {
			rd->stats.skipped_bytes += len - bad_from;
			rd->stats.bad_blocks++;
			warnf(rd, "%s: %zu damaged bytes at offset %zu (to the end) skipped", label,
			      len - bad_from, bad_from);
		}
	}
	free(d.arena);
	free(d.devs);
	return good_end;
}

static int slurp(int fd, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > SEG_FILE_MAX)
		return -EFBIG;
	*buf = xmalloc(st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(*buf);
			*buf = NULL;
			return err;
		}
		if (!n)
			break;		/* shrank meanwhile (rotation, recovery) */
		got += n;
	}
	*len = got;
	return 0;
}

int rec_read_file(struct rec_reader *rd, const char *path)
{
	const char *label = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = slurp(fd, &buf, &len);
	close(fd);
	if (err)
		return err;
	rec_read_buf(rd, buf, len, label);
	free(buf);
	return 0;
}

struct seg_ent {
	uint64_t seq;
	char *name;
	uint64_t size;
};

static bool seg_name_seq(const char *name, uint64_t *seq)
{
	unsigned long long v;
	int n = 0;

	if (sscanf(name, "seg-%llu.dmw%n", &v, &n) != 1 || name[n] || strlen(name) != 18)
		return false;
	*seq = v;
	return true;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg_ent *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* segments of a directory, oldest first; -errno if the directory cannot be read */
static int list_segments(int dir_fd, struct seg_ent **out, size_t *n)
{
	int fd = dup(dir_fd);
	struct dirent *de;
	DIR *dir;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		struct seg_ent *s;
		struct stat st;
		uint64_t seq;

		if (!seg_name_seq(de->d_name, &seq) ||
		    fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		s = array_push(out, n, sizeof(*s));
		s->seq = seq;
		s->name = xstrdup(de->d_name);
		s->size = st.st_size;
	}
	closedir(dir);
	if (*n)
		qsort(*out, *n, sizeof(**out), seg_cmp);
	return 0;
}

static void free_segments(struct seg_ent *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}

/* a recorder holds the directory's lock right now */
static bool dir_locked(int dir_fd)
{
	int fd = openat(dir_fd, "lock", O_RDONLY | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

int rec_read_dir(struct rec_reader *rd, const char *dir, char **err)
{
	struct seg_ent *segs = NULL;
	size_t n = 0;
	bool active;
	int dfd, e;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		e = -errno;
		*err = xasprintf("cannot open the recorder directory %s: %s", dir, strerror(-e));
		return e;
	}
	e = list_segments(dfd, &segs, &n);
	if (e) {
		*err = xasprintf("cannot list %s: %s", dir, strerror(-e));
		goto out;
	}
	if (!n) {
		e = -ENOENT;
		*err = xasprintf("no recorder segments (seg-*.dmw) in %s", dir);
		goto out;
	}
	active = dir_locked(dfd);
	for (size_t i = 0; i < n && !rd->stop; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		int fd = openat(dfd, segs[i].name, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			if (errno != ENOENT)	/* ENOENT: rotated out meanwhile */
				warnf(rd, "%s: %s; skipped", segs[i].name, strerror(errno));
			continue;
		}
		e = slurp(fd, &buf, &len);
		close(fd);
		if (e) {
			warnf(rd, "%s: %s; skipped", segs[i].name, strerror(-e));
			rd->stats.bad_segments++;
			continue;
		}
		rd->quiet_torn_tail = active && i + 1 == n;
		rec_read_buf(rd, buf, len, segs[i].name);
		free(buf);
	}
	e = 0;
out:
	free_segments(segs, n);
	close(dfd);
	return e;
}

/* ---- writer ---- */

struct rec_log {
	struct rec_log_opts o;
	int dir_fd, lock_fd, fd;
	struct rec_enc *enc;
	uint64_t seq, cur_size;
	char name[32];
	char *path;
	struct seg_ent *old;		/* closed segments, oldest first */
	size_t n_old;
	bool dirty;			/* written since the last fdatasync */
	bool in_segment_cb;
	struct rec_log_stats stats;
	uint64_t last_warn;		/* unix seconds of the last write warning */
};

static int mkdir_p(const char *dir)
{
	char *p = xstrdup(dir), *s = p;
	int err = 0;

	while (!err) {
		s = strchr(s + 1, '/');
		if (s)
			*s = 0;
		if (*p && mkdir(p, 0750) && errno != EEXIST)
			err = -errno;
		if (!s)
			break;
		*s = '/';
	}
	free(p);
	return err;
}

static int take_lock(struct rec_log *l, char **err)
{
	char buf[32];
	ssize_t n;

	l->lock_fd = openat(l->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->lock_fd < 0) {
		*err = xasprintf("cannot create %s/lock: %s", l->o.dir, strerror(errno));
		return -errno;
	}
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		n = pread(l->lock_fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (e == EWOULDBLOCK && buf[0])
			*err = xasprintf("another recorder (pid %s) is writing to %s (lock %s/lock)",
					 buf, l->o.dir, l->o.dir);
		else if (e == EWOULDBLOCK)
			*err = xasprintf("another recorder is writing to %s (lock %s/lock)",
					 l->o.dir, l->o.dir);
		else
			*err = xasprintf("cannot lock %s/lock: %s", l->o.dir, strerror(e));
		return -e;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(l->lock_fd, 0) || pwrite(l->lock_fd, buf, n, 0) != n)
		vlog("cannot write the pid to %s/lock", l->o.dir);
	return 0;
}

static void write_warn(struct rec_log *l, const char *what, int err)
{
	time_t now = time(NULL);

	l->stats.write_errors++;
	/* a full disk would otherwise print a line every second */
	if (now - (time_t)l->last_warn < 60)
		return;
	l->last_warn = now;
	elog("warning: %s %s/%s: %s", what, l->o.dir, l->name, strerror(-err));
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= w;
	}
	return 0;
}

static void seg_header(uint8_t *h, uint64_t seq)
{
	struct timespec ts;
	char host[64] = "";

	clock_gettime(CLOCK_REALTIME, &ts);
	gethostname(host, sizeof(host) - 1);
	memset(h, 0, REC_SEG_HEADER_LEN);
	memcpy(h, seg_magic, 8);
	put_le32(h + 8, RECFMT_VERSION);
	put_le32(h + 12, REC_SEG_HEADER_LEN);
	put_le64(h + 16, seq);
	put_le64(h + 24, ts.tv_sec * 1000000000ull + ts.tv_nsec);
	memcpy(h + 32, host, strnlen(host, 23));
	put_le32(h + 60, crc(h, 60));
}

/* keep disk use under max_size: oldest closed segments go first */
static void enforce_max(struct rec_log *l)
{
	uint64_t total = l->cur_size;
	size_t drop = 0;

	for (size_t i = 0; i < l->n_old; i++)
		total += l->old[i].size;
	while (drop < l->n_old && total > l->o.max_size) {
		if (unlinkat(l->dir_fd, l->old[drop].name, 0) && errno != ENOENT)
			vlog("cannot delete %s/%s: %s", l->o.dir, l->old[drop].name, strerror(errno));
		total -= l->old[drop].size;
		free(l->old[drop].name);
		l->stats.deleted++;
		drop++;
	}
	if (!drop)
		return;
	memmove(l->old, l->old + drop, (l->n_old - drop) * sizeof(*l->old));
	l->n_old -= drop;
	fsync(l->dir_fd);
}

static int start_segment(struct rec_log *l, bool first)
{
	uint8_t h[REC_SEG_HEADER_LEN];
	int err;

	snprintf(l->name, sizeof(l->name), "seg-%010llu.dmw", (unsigned long long)l->seq);
	free(l->path);
	l->path = xasprintf("%s/%s", l->o.dir, l->name);
	l->fd = openat(l->dir_fd, l->name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		       0640);
	if (l->fd < 0)
		return -errno;
	seg_header(h, l->seq);
	err = write_all(l->fd, h, sizeof(h));
	if (err) {
		close(l->fd);
		l->fd = -1;
		unlinkat(l->dir_fd, l->name, 0);
		return err;
	}
	/* the new name must survive a power loss too */
	fdatasync(l->fd);
	fsync(l->dir_fd);
	l->cur_size = sizeof(h);
	l->stats.segments++;
	if (l->o.on_segment) {
		l->in_segment_cb = true;
		l->o.on_segment(l->o.ctx, l, first);
		l->in_segment_cb = false;
	}
	return 0;
}

static int rotate(struct rec_log *l)
{
	struct seg_ent *s;
	int err;

	if (l->fd >= 0) {
		fdatasync(l->fd);
		close(l->fd);
		l->fd = -1;
		l->dirty = false;
		s = array_push(&l->old, &l->n_old, sizeof(*s));
		s->seq = l->seq;
		s->name = xstrdup(l->name);
		s->size = l->cur_size;
	}
	l->cur_size = 0;
	l->seq++;
	enforce_max(l);
	err = start_segment(l, false);
	if (!err)
		enforce_max(l);
	return err;
}

static int write_block(struct rec_log *l)
{
	const uint8_t *blk;
	size_t len;
	uint64_t n = rec_enc_records(l->enc);
	int err;

	l->stats.raw_bytes += rec_enc_raw_len(l->enc);
	err = rec_enc_finish(l->enc, l->o.level, &blk, &len);
	if (err) {
		l->stats.dropped += n;
		write_warn(l, "cannot encode a block for", err);
		return err;
	}
	if (l->fd < 0) {
		/* the last segment failed: try a fresh one (the disk may have room again) */
		err = rotate(l);
		if (err) {
			l->stats.dropped += n;
			write_warn(l, "cannot start a new segment in", err);
			return err;
		}
	}
	err = write_all(l->fd, blk, len);
	if (err) {
		/* cut a partial block so the segment stays clean, then move on */
		if (ftruncate(l->fd, l->cur_size))
			vlog("cannot cut %s back", l->path);
		l->stats.dropped += n;
		write_warn(l, "cannot write to", err);
		return err;
	}
	l->cur_size += len;
	l->dirty = true;
	l->stats.blocks++;
	l->stats.disk_bytes += len;
	if (l->cur_size >= l->o.seg_size && !l->in_segment_cb) {
		err = rotate(l);
		if (err)
			write_warn(l, "cannot start a new segment in", err);
	} else {
		enforce_max(l);
	}
	return 0;
}

int rec_log_add(struct rec_log *l, const struct rec *r)
{
	int err = rec_enc_add(l->enc, r);

	if (err)
		return err;
	l->stats.records++;
	if (rec_enc_raw_len(l->enc) >= l->o.block_raw)
		return write_block(l);
	return 0;
}

int rec_log_flush(struct rec_log *l, bool sync)
{
	int err = 0;

	if (rec_enc_records(l->enc))
		err = write_block(l);
	if (sync && l->dirty && l->fd >= 0) {
		if (fdatasync(l->fd)) {
			err = -errno;
			write_warn(l, "cannot sync", err);
		}
		l->dirty = false;
	}
	return err;
}

/* a killed recorder may have left half a block at the end of its last segment */
static void recover_tail(struct rec_log *l, const struct seg_ent *s)
{
	struct rec_reader rd = { .quiet_torn_tail = true };
	uint8_t *buf = NULL;
	size_t len = 0, keep;
	int fd = openat(l->dir_fd, s->name, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	if (slurp(fd, &buf, &len))
		goto out;
	keep = rec_read_buf(&rd, buf, len, s->name);
	if (!rd.stats.torn_tail || keep >= len)
		goto out;
	if (keep <= REC_SEG_HEADER_LEN && !rd.stats.blocks) {
		unlinkat(l->dir_fd, s->name, 0);
		elog("note: %s/%s held no complete block (recorder killed while starting it); "
		     "removed", l->o.dir, s->name);
	} else if (!ftruncate(fd, keep)) {
		elog("note: %s/%s ended in an incomplete block (recorder killed?); cut %zu bytes",
		     l->o.dir, s->name, len - keep);
	}
	fsync(fd);
out:
	free(buf);
	close(fd);
}

int rec_log_open(struct rec_log **out, const struct rec_log_opts *opts, char **err)
{
	struct rec_log *l = xcalloc(1, sizeof(*l));
	struct seg_ent *segs = NULL;
	size_t n = 0;
	int e;

	l->o = *opts;
	l->dir_fd = l->lock_fd = l->fd = -1;
	if (!l->o.seg_size)
		l->o.seg_size = l->o.max_size / 8;
	if (l->o.seg_size < 4096)
		l->o.seg_size = 4096;
	if (!l->o.block_raw)
		l->o.block_raw = 64 * 1024;
	if (!l->o.level)
		l->o.level = 6;
	e = mkdir_p(l->o.dir);
	if (e) {
		*err = xasprintf("cannot create %s: %s", l->o.dir, strerror(-e));
		goto fail;
	}
	l->dir_fd = open(l->o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dir_fd < 0) {
		e = -errno;
		*err = xasprintf("cannot open %s: %s", l->o.dir, strerror(-e));
		goto fail;
	}
	e = take_lock(l, err);
	if (e)
		goto fail;
	e = list_segments(l->dir_fd, &segs, &n);
	if (e) {
		*err = xasprintf("cannot list %s: %s", l->o.dir, strerror(-e));
		goto fail;
	}
	if (n) {
		recover_tail(l, &segs[n - 1]);
		l->seq = segs[n - 1].seq + 1;
		free_segments(segs, n);
		list_segments(l->dir_fd, &segs, &n);
	}
	l->old = segs;
	l->n_old = n;
	if (!l->seq)
		l->seq = 1;
	l->enc = rec_enc_new();
	enforce_max(l);
	e = start_segment(l, true);
	if (e) {
		*err = xasprintf("cannot create a segment in %s: %s", l->o.dir, strerror(-e));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	rec_log_close(l);
	return e ? e : -EIO;
}

int rec_log_reopen(struct rec_log *l)
{
	struct stat st;
	int err;

	rec_log_flush(l, true);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = openat(l->dir_fd, l->name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (l->fd >= 0 && !fstat(l->fd, &st)) {
		l->cur_size = st.st_size;
		return 0;
	}
	if (l->fd >= 0)
		close(l->fd);
	/* gone (deleted by hand): start it again, self-contained */
	l->fd = -1;
	err = start_segment(l, false);
	if (err)
		write_warn(l, "cannot reopen", err);
	return err;
}

void rec_log_close(struct rec_log *l)
{
	if (!l)
		return;
	if (l->enc && l->fd >= 0)
		rec_log_flush(l, true);
	if (l->fd >= 0)
		close(l->fd);
	if (l->dir_fd >= 0) {
		fsync(l->dir_fd);
		close(l->dir_fd);
	}
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	free_segments(l->old, l->n_old);
	rec_enc_free(l->enc);
	free(l->path);
	free(l);
}

const struct rec_log_stats *rec_log_stats(const struct rec_log *l)
{
	return &l->stats;
}

uint64_t rec_log_disk_usage(const struct rec_log *l)
{
	uint64_t total = l->cur_size;

	for (size_t i = 0; i < l->n_old; i++)
		total += l->old[i].size;
	return total;
}

const char *rec_log_segment_path(const struct rec_log *l)
{
	return l->path;
}
