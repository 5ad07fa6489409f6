// SPDX-License-Identifier: GPL-2.0
/*
 * The segment reader (recfmt.h): the blocks of one segment, whatever state it
 * is in. A damaged block is skipped and reading goes on at the next block
 * magic; an incomplete last block (kill -9, power loss) is a torn tail; a
 * header that claims more than a writer makes (REC_BLOCK_RAW_MAX) is damage.
 *
 * A segment on disk is read as a stream through a window that only ever has
 * to hold one block, so memory follows the block size, not the file size; one
 * in memory (rec_read_buf) is the same walk over a window that is the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record/decode.h"
#include "record/segread.h"
#include "record/summary.h"
#include "lib/util.h"

#define WINDOW_MIN	(256 * 1024)	/* what one read() asks for */
#define SEG_WARN_MAX	20		/* warnings per segment; then one line sums up the rest */
#define NO_OFFSET	UINT64_MAX

/* the bytes [base, base + len) of a segment, read from fd (or all of it, fd < 0) */
struct window {
	int fd;
	const uint8_t *buf;
	uint8_t *own;			/* buf when reading from fd; kept for the next segment */
	size_t cap, len;
	uint64_t base;
	bool eof;
	int err;			/* -errno of a failed read */
};

struct seg_stream {
	struct window win;
	struct blk_dec *dec;
};

/* ---- the window ---- */

static void window_read(struct window *w, size_t want)
{
	while (w->len < want && !w->eof) {
		ssize_t n = read(w->fd, w->own + w->len, w->cap - w->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			w->err = -errno;
		if (n <= 0) {
			w->eof = true;	/* the end, or shrunk meanwhile (rotation, recovery) */
			break;
		}
		w->len += n;
	}
}

/*
 * The bytes from file offset pos on, at least want of them unless the file ends
 * first; *avail: how many there are. Offsets only move forward.
 */
static const uint8_t *window_at(struct window *w, uint64_t pos, size_t want, size_t *avail)
{
	if (w->fd >= 0 && pos + want > w->base + w->len && !w->eof) {
		size_t keep = pos < w->base + w->len ? w->base + w->len - pos : 0;

		if (keep)
			memmove(w->own, w->own + (pos - w->base), keep);
		else if (pos > w->base + w->len && lseek(w->fd, pos, SEEK_SET) < 0)
			w->eof = true;
		w->base = pos;
		w->len = keep;
		if (want > w->cap) {
			w->cap = want;
			w->own = xrealloc(w->own, w->cap);
		}
		w->buf = w->own;
		window_read(w, want);
	}
	*avail = pos < w->base + w->len ? w->base + w->len - pos : 0;
	return w->buf + (pos - w->base);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	/* each byte equals the next and the first is zero: memcmp's speed on big holes */
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/*
 * The next offset >= from where a block magic starts (true), or the end of the
 * segment (false); *zero is cleared when a byte skipped on the way is not zero.
 */
static bool find_magic(struct window *w, uint64_t from, uint64_t *at, bool *zero)
{
	for (;;) {
		size_t avail;
		const uint8_t *p = window_at(w, from, 4, &avail), *m;

		if (avail < 4) {
			*zero = *zero && all_zero(p, avail);
			*at = from + avail;
			return false;
		}
		m = memmem(p, avail, BLK_MAGIC, 4);
		if (m) {
			*zero = *zero && all_zero(p, m - p);
			*at = from + (m - p);
			return true;
		}
		*zero = *zero && all_zero(p, avail - 3);
		from += avail - 3;	/* a magic may straddle the window's end */
	}
}

/* ---- walking a segment ---- */

enum hdr_verdict { HDR_OK, HDR_SHORT, HDR_BAD, HDR_CLAIM, HDR_NEWER };

static enum hdr_verdict parse_block_header(const uint8_t *p, size_t avail, struct blk_hdr *h)
{
	if (avail < REC_BLOCK_HEADER_LEN)
		return memcmp(p, BLK_MAGIC, avail < 4 ? avail : 4) ? HDR_BAD : HDR_SHORT;
	if (memcmp(p, BLK_MAGIC, 4) || get_le32(p + 36) != rec_crc(p, 36))
		return HDR_BAD;
	h->version = p[4];
	h->codec = p[5];
	h->header_len = get_le16(p + 6);
	h->comp_len = get_le32(p + 8);
	h->raw_len = get_le32(p + 12);
	h->n_records = get_le32(p + 16);
	h->payload_crc = get_le32(p + 20);
	h->first_ns = get_le64(p + 24);
	h->span_ms = get_le32(p + 32);
	if (h->header_len < REC_BLOCK_HEADER_LEN || h->header_len > HEADER_MAX)
		return HDR_BAD;
	if (h->comp_len > REC_BLOCK_RAW_MAX || h->raw_len > REC_BLOCK_RAW_MAX)
		return HDR_CLAIM;
	if (h->version != RECFMT_VERSION)
		return h->version > RECFMT_VERSION ? HDR_NEWER : HDR_BAD;
	return HDR_OK;
}

struct walk {
	struct rec_reader *rd;
	struct window *win;
	struct blk_dec *dec;
	const char *label;
	uint64_t pos, good_end;
	/* damaged bytes since bad_from: all zero so far?, block headers claiming too much */
	uint64_t bad_from;
	bool bad_zero;
	uint64_t claims, claim_max;
	unsigned int warnings;
	uint64_t unshown;
};

static void vwarn(struct walk *w, bool capped, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (!w->rd->warn)
		return;
	if (capped && w->warnings++ >= SEG_WARN_MAX) {
		w->unshown++;
		return;
	}
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg)
		w->rd->warn(w->rd->ctx, msg);
	free(msg);
}

static void warnf(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn_always(struct walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* one warning about the segment; past SEG_WARN_MAX of them only counted */
static void warnf(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(w, true, fmt, ap);
	va_end(ap);
}

/* the segment's last words: always shown */
static void warn_always(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(w, false, fmt, ap);
	va_end(ap);
}

/* the segment header; false when there is nothing more to read in the segment */
static bool walk_segment_header(struct walk *w)
{
	size_t avail;
	const uint8_t *p = window_at(w->win, 0, REC_SEG_HEADER_LEN, &avail);
	bool found;

	if (avail >= REC_SEG_HEADER_LEN && !memcmp(p, SEG_MAGIC, 8)) {
		if (get_le32(p + 60) != rec_crc(p, 60))
			warnf(w, "%s: segment header damaged; reading its blocks anyway", w->label);
		else if (get_le32(p + 8) > RECFMT_VERSION)
			warnf(w, "%s: written by a newer dmwatch (format %u); reading what this "
			      "version understands", w->label, get_le32(p + 8));
		w->pos = w->good_end = REC_SEG_HEADER_LEN;
		return true;
	}
	if (avail < REC_SEG_HEADER_LEN && !memcmp(p, SEG_MAGIC, avail < 8 ? avail : 8)) {
		/* the recorder died while creating it */
		w->rd->stats.torn_tail = true;
		if (!w->rd->quiet_torn_tail)
			warnf(w, "%s: incomplete segment header (recorder killed?); no events in it",
			      w->label);
		return false;
	}
	w->rd->stats.bad_segments++;
	w->bad_from = 0;
	w->bad_zero = true;
	found = find_magic(w->win, 0, &w->pos, &w->bad_zero);
	if (!found && !w->bad_zero) {
		warnf(w, "%s: not a recorder segment (no header, no block); skipped", w->label);
		return false;
	}
	if (found)
		warnf(w, "%s: no segment header; reading the blocks found", w->label);
	return true;
}

/* the damaged bytes [bad_from, end) are behind us: say so once */
static void walk_skipped(struct walk *w, uint64_t end, const char *where)
{
	w->rd->stats.skipped_bytes += end - w->bad_from;
	w->rd->stats.bad_blocks++;
	if (w->claims)
		warnf(w, "%s: %llu damaged bytes at offset %llu%s skipped (%llu block headers in "
		      "them claim up to %llu bytes, more than a writer makes: at most %u)",
		      w->label, (unsigned long long)(end - w->bad_from),
		      (unsigned long long)w->bad_from, where, (unsigned long long)w->claims,
		      (unsigned long long)w->claim_max, REC_BLOCK_RAW_MAX);
	else
		warnf(w, "%s: %llu damaged bytes at offset %llu%s skipped", w->label,
		      (unsigned long long)(end - w->bad_from), (unsigned long long)w->bad_from, where);
	w->bad_from = NO_OFFSET;
	w->claims = w->claim_max = 0;
}

/* a header that is not a block's: skip to the next magic */
static void walk_damage(struct walk *w, const uint8_t *p, enum hdr_verdict v,
			const struct blk_hdr *h)
{
	if (w->bad_from == NO_OFFSET) {
		w->bad_from = w->pos;
		w->bad_zero = true;
	}
	if (v == HDR_CLAIM) {
		uint64_t claim = h->comp_len > h->raw_len ? h->comp_len : h->raw_len;

		w->claims++;
		if (claim > w->claim_max)
			w->claim_max = claim;
	}
	w->bad_zero = w->bad_zero && !p[0];
	find_magic(w->win, w->pos + 1, &w->pos, &w->bad_zero);
}

static void warn_decode(struct walk *w, enum blk_result res, const struct blk_hdr *h,
			const char *why, uint64_t delivered)
{
	unsigned long long off = w->pos;

	if (res == BLK_BAD_CODEC)
		warnf(w, "%s: block at offset %llu has an unknown codec %u; skipped", w->label, off,
		      h->codec);
	else if (res == BLK_NO_INFLATE && !delivered)
		warnf(w, "%s: block at offset %llu does not inflate; skipped", w->label, off);
	else if (res == BLK_NO_INFLATE)
		warnf(w, "%s: block at offset %llu does not inflate after %llu records; the rest of "
		      "it is skipped", w->label, off, (unsigned long long)delivered);
	else
		warnf(w, "%s: block at offset %llu is damaged (%s); the rest of it is skipped",
		      w->label, off, why);
}

/* a complete block at w->pos (header_len + comp_len bytes at blk) */
static void walk_block(struct walk *w, const uint8_t *blk, enum hdr_verdict v,
		       const struct blk_hdr *h)
{
	struct rec_reader *rd = w->rd;
	struct rec_io_group groups[REC_SUMMARY_GROUPS_MAX];
	struct rec_block_summary sum;
	const char *why = NULL;
	uint64_t delivered;
	enum blk_result res;

	if (v == HDR_NEWER) {
		warnf(w, "%s: block at offset %llu has format version %u (newer than %u); skipped",
		      w->label, (unsigned long long)w->pos, h->version, RECFMT_VERSION);
		rd->stats.bad_blocks++;
	} else if (rd->summary && h->header_len > REC_BLOCK_HEADER_LEN &&
		   sum_read(blk + REC_BLOCK_HEADER_LEN, h->header_len - REC_BLOCK_HEADER_LEN,
			    h->first_ns, h->span_ms, h->n_records, groups, &sum) &&
		   rd->summary(rd->ctx, &sum)) {
		/* taken from the summary: neither inflated nor decoded */
		rd->stats.blocks++;
		rd->stats.summarized_blocks++;
		rd->stats.records += sum.n_records;
		rec_stats_span(&rd->stats, sum.first_ns, sum.last_ns);
	} else if (rec_crc(blk + h->header_len, h->comp_len) != h->payload_crc) {
		warnf(w, "%s: corrupt block at offset %llu (CRC mismatch, %u records lost); skipped",
		      w->label, (unsigned long long)w->pos, h->n_records);
		rd->stats.bad_blocks++;
		rd->stats.skipped_bytes += h->header_len + h->comp_len;
	} else {
		rd->stats.blocks++;
		res = blk_decode(w->dec, rd, h, blk + h->header_len, &why, &delivered);
		if (res != BLK_OK) {
			warn_decode(w, res, h, why, delivered);
			rd->stats.bad_blocks++;
		}
	}
}

/* an incomplete last block: what kill -9 or a power loss leaves */
static void walk_torn(struct walk *w, size_t avail)
{
	w->rd->stats.torn_tail = true;
	if (!w->rd->quiet_torn_tail)
		warnf(w, "%s: incomplete block at offset %llu (%zu bytes; recorder killed or "
		      "crashed while writing); the blocks before it are read", w->label,
		      (unsigned long long)w->pos, avail);
}

/* the blocks from w->pos on; returns the offset the segment ends at */
static uint64_t walk_blocks(struct walk *w)
{
	while (!w->rd->stop) {
		struct blk_hdr h;
		size_t avail, total;
		const uint8_t *p = window_at(w->win, w->pos, REC_BLOCK_HEADER_LEN, &avail);
		enum hdr_verdict v;

		if (!avail)
			return w->pos;
		v = parse_block_header(p, avail, &h);
		if (v == HDR_BAD || v == HDR_CLAIM) {
			walk_damage(w, p, v, &h);
			continue;
		}
		total = v == HDR_SHORT ? REC_BLOCK_HEADER_LEN : h.header_len + (size_t)h.comp_len;
		if (v != HDR_SHORT)
			p = window_at(w->win, w->pos, total, &avail);
		if (v == HDR_SHORT || avail < total) {
			/* damage before a torn tail is said first, and ends where the tail starts */
			if (w->bad_from != NO_OFFSET)
				walk_skipped(w, w->pos, "");
			walk_torn(w, avail);
			w->bad_zero = false;	/* the torn block starts with its magic */
			return w->pos + avail;
		}
		if (w->bad_from != NO_OFFSET)
			walk_skipped(w, w->pos, "");
		walk_block(w, p, v, &h);
		w->pos += total;
		w->good_end = w->pos;
	}
	return w->pos;
}

static uint64_t walk_segment(struct walk *w)
{
	struct rec_reader *rd = w->rd;
	uint64_t end;

	rd->stats.segments++;
	rd->stats.torn_tail = false;
	w->bad_from = NO_OFFSET;
	if (!walk_segment_header(w))
		goto done;
	end = walk_blocks(w);
	if (w->bad_from != NO_OFFSET && !rd->stop) {
		if (w->bad_zero) {
			/* a file extended but never written (power loss): a torn tail too */
			rd->stats.torn_tail = true;
			if (!rd->quiet_torn_tail)
				warnf(w, "%s: %llu zero bytes at the end (power loss?) ignored",
				      w->label, (unsigned long long)(end - w->bad_from));
		} else {
			walk_skipped(w, end, " (to the end)");
		}
	}
	if (w->win->err) {
		rd->stats.bad_segments++;
		warn_always(w, "%s: read error after offset %llu (%s); the rest of it is skipped",
		      w->label, (unsigned long long)w->good_end, strerror(-w->win->err));
	}
done:
	if (w->unshown)
		warn_always(w, "%s: %llu more problems in this segment not shown", w->label,
		      (unsigned long long)w->unshown);
	return w->good_end;
}

static uint64_t read_window(struct rec_reader *rd, struct window *win, struct blk_dec *dec,
			    const char *label)
{
	struct walk w = { .rd = rd, .win = win, .dec = dec, .label = label };

	return walk_segment(&w);
}

size_t rec_read_buf(struct rec_reader *rd, const uint8_t *buf, size_t len, const char *label)
{
	struct window win = { .fd = -1, .buf = buf, .len = len, .eof = true };
	struct blk_dec *dec = blk_dec_new();
	size_t good = read_window(rd, &win, dec, label);

	blk_dec_free(dec);
	return good;
}

struct seg_stream *seg_stream_new(void)
{
	struct seg_stream *s = xcalloc(1, sizeof(*s));

	s->dec = blk_dec_new();
	return s;
}

void seg_stream_free(struct seg_stream *s)
{
	if (!s)
		return;
	free(s->win.own);
	blk_dec_free(s->dec);
	free(s);
}

int seg_stream_read(struct seg_stream *s, struct rec_reader *rd, int fd, const char *label,
		    uint64_t *good_end)
{
	struct window *w = &s->win;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (!w->own) {
		w->cap = WINDOW_MIN;
		w->own = xmalloc(w->cap);
	}
	w->fd = fd;
	w->buf = w->own;
	w->base = 0;
	w->len = 0;
	w->eof = false;
	w->err = 0;
	*good_end = read_window(rd, w, s->dec, label);
	return 0;
}

int rec_read_file(struct rec_reader *rd, const char *path)
{
	const char *label = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct seg_stream *s;
	uint64_t good;
	int fd, err;

	/* O_NONBLOCK: a FIFO put in its place must not hang the reader */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	s = seg_stream_new();
	err = seg_stream_read(s, rd, fd, label, &good);
	seg_stream_free(s);
	close(fd);
	return err;
}
