// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for dm table and status params (the text after "<start> <len> <type> ").
 *
 * The input comes from the kernel, from a saved JSON state written by someone else,
 * or from a unit test that feeds garbage on purpose; so nothing here trusts it:
 * the params are walked token by token without copying into fixed buffers, every
 * number goes through one checked conversion, and every declared count is bounded
 * by the tokens actually present (a "#paths" of 2^64 just runs out of tokens).
 *
 * Formats follow the kernel's status functions (dm-snap.c snapshot_status,
 * dm-thin.c pool_status / thin_status, dm-mpath.c multipath_status, dm-linear.c,
 * dm-stripe.c), including the shorter lines older kernels print.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/dmstatus.h"
#include "lib/util.h"

/* A token is a view into the params string: no copy, no NUL of its own. */
struct tok {
	const char *p;
	size_t len;
};

/* Next whitespace-separated token at *cur; false when the string is used up. */
static bool next_tok(const char **cur, struct tok *t)
{
	const char *s = *cur;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s) {
		*cur = s;
		return false;
	}
	t->p = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	t->len = s - t->p;
	*cur = s;
	return true;
}

static bool at_end(const char *cur)
{
	struct tok t;

	return !next_tok(&cur, &t);
}

static bool tok_eq(const struct tok *t, const char *word)
{
	return t->len == strlen(word) && !memcmp(t->p, word, t->len);
}

static bool tok_u64(const struct tok *t, uint64_t *out)
{
	return parse_digits_u64(t->p, t->len, out);
}

/* "<a>/<b>" */
static bool tok_frac(const struct tok *t, uint64_t *a, uint64_t *b)
{
	const char *slash = memchr(t->p, '/', t->len);

	if (!slash)
		return false;
	return parse_digits_u64(t->p, slash - t->p, a) &&
	       parse_digits_u64(slash + 1, t->len - (slash - t->p) - 1, b);
}

static bool tok_majmin(const struct tok *t, uint32_t *major, uint32_t *minor)
{
	const char *colon = memchr(t->p, ':', t->len);
	uint64_t ma, mi;

	if (!colon)
		return false;
	if (!parse_digits_u64(t->p, colon - t->p, &ma) ||
	    !parse_digits_u64(colon + 1, t->len - (colon - t->p) - 1, &mi))
		return false;
	if (ma > UINT32_MAX || mi > UINT32_MAX)
		return false;
	if (major)
		*major = ma;
	if (minor)
		*minor = mi;
	return true;
}

/* Consume n tokens whatever they are; false if fewer are left. */
static bool skip_toks(const char **cur, uint64_t n)
{
	struct tok t;

	while (n--)
		if (!next_tok(cur, &t))
			return false;
	return true;
}

int parse_majmin(const char *s, uint32_t *major, uint32_t *minor)
{
	const char *cur = s;
	struct tok t;

	if (!s || !next_tok(&cur, &t) || !at_end(cur))
		return -EINVAL;
	/* the whole string, not a token inside blanks */
	if (t.p != s || t.len != strlen(s))
		return -EINVAL;
	return tok_majmin(&t, major, minor) ? 0 : -EINVAL;
}

/* ---- snapshot ---- */

const char *snapshot_state_str(enum snapshot_state s)
{
	switch (s) {
	case SNAP_ACTIVE:
		return "active";
	case SNAP_INVALID:
		return "invalid";
	case SNAP_OVERFLOW:
		return "overflow";
	case SNAP_MERGE_FAILED:
		return "merge_failed";
	case SNAP_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

/*
 * "<alloc>/<total> <metadata>" (2.6.33+), "<alloc>/<total>" (older), or one of the
 * words snapshot_status() prints instead of numbers. Strict about extra tokens: this
 * format has not grown in fifteen years, so anything more is not a snapshot status.
 */
int parse_snapshot_status(const char *params, struct snapshot_status *out)
{
	const char *cur = params;
	struct tok t1, t2;

	if (!params || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!next_tok(&cur, &t1))
		return -EINVAL;

	if (tok_eq(&t1, "Merge")) {
		if (!next_tok(&cur, &t2) || !tok_eq(&t2, "failed") || !at_end(cur))
			return -EINVAL;
		out->state = SNAP_MERGE_FAILED;
		return 0;
	}
	if (tok_eq(&t1, "Invalid") || tok_eq(&t1, "Overflow") || tok_eq(&t1, "Unknown")) {
		if (!at_end(cur))
			return -EINVAL;
		out->state = tok_eq(&t1, "Invalid") ? SNAP_INVALID :
			     tok_eq(&t1, "Overflow") ? SNAP_OVERFLOW : SNAP_UNKNOWN;
		return 0;
	}

	if (!tok_frac(&t1, &out->allocated, &out->total))
		goto invalid;
	if (next_tok(&cur, &t2)) {
		if (!tok_u64(&t2, &out->metadata) || !at_end(cur))
			goto invalid;
	}
	out->state = SNAP_ACTIVE;
	return 0;

invalid:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* ---- thin-pool ---- */

const char *pool_mode_str(enum pool_mode m)
{
	switch (m) {
	case POOL_RW:
		return "rw";
	case POOL_RO:
		return "ro";
	case POOL_OUT_OF_DATA_SPACE:
		return "out_of_data_space";
	case POOL_FAIL:
		return "fail";
	case POOL_ERROR:
		return "error";
	}
	return "error";
}

/*
 * The three leading numbers are positional and required. After the held root the
 * kernel has added words over the years (rw/ro in 3.x, out_of_data_space and
 * queue/error_if_no_space in 3.14, needs_check in 4.x, the metadata low watermark
 * in 4.19), each one a distinct keyword: so they are matched by name, in any
 * position, and unknown trailing words are ignored so that a newer kernel's
 * addition does not turn a healthy pool into "unreadable".
 */
int parse_thin_pool_status(const char *params, struct thin_pool_status *out)
{
	const char *cur = params;
	struct tok t;
	uint64_t held;

	if (!params || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!next_tok(&cur, &t))
		return -EINVAL;

	if (tok_eq(&t, "Fail") || tok_eq(&t, "Error")) {
		if (!at_end(cur))
			return -EINVAL;
		out->mode = tok_eq(&t, "Fail") ? POOL_FAIL : POOL_ERROR;
		return 0;
	}

	if (!tok_u64(&t, &out->transaction_id))
		goto invalid;
	if (!next_tok(&cur, &t) || !tok_frac(&t, &out->used_meta, &out->total_meta))
		goto invalid;
	if (!next_tok(&cur, &t) || !tok_frac(&t, &out->used_data, &out->total_data))
		goto invalid;

	/* held metadata root: a block number or "-"; absent only on very old kernels */
	if (!next_tok(&cur, &t))
		return 0;
	if (!tok_eq(&t, "-") && !tok_u64(&t, &held))
		goto invalid;

	out->mode = POOL_RW;
	while (next_tok(&cur, &t)) {
		if (tok_eq(&t, "rw"))
			out->mode = POOL_RW;
		else if (tok_eq(&t, "ro"))
			out->mode = POOL_RO;
		else if (tok_eq(&t, "out_of_data_space"))
			out->mode = POOL_OUT_OF_DATA_SPACE;
		else if (tok_eq(&t, "needs_check"))
			out->needs_check = true;
		else if (tok_eq(&t, "error_if_no_space"))
			out->error_if_no_space = true;
		else if (tok_eq(&t, "queue_if_no_space"))
			out->error_if_no_space = false;
		/* discard modes, "-" (no needs_check), watermark, future words: not kept */
	}
	return 0;

invalid:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* ---- thin ---- */

/*
 * "<mapped sectors> <highest mapped sector>", where the highest is "-" when nothing
 * is mapped; "-" alone when the thin device is not attached; "Fail" when its pool
 * failed. "Error" (metadata lookup failed) is a failure too as far as we care.
 */
int parse_thin_status(const char *params, struct thin_status *out)
{
	const char *cur = params;
	struct tok t;

	if (!params || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!next_tok(&cur, &t))
		return -EINVAL;

	if (tok_eq(&t, "Fail") || tok_eq(&t, "Error") || tok_eq(&t, "-")) {
		if (!at_end(cur))
			return -EINVAL;
		out->fail = !tok_eq(&t, "-");
		return 0;
	}
	if (!tok_u64(&t, &out->mapped_sectors))
		goto invalid;
	if (!next_tok(&cur, &t))
		goto invalid;
	if (!tok_eq(&t, "-") && !tok_u64(&t, &out->highest_sector))
		goto invalid;
	if (!at_end(cur))
		goto invalid;
	return 0;

invalid:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* ---- multipath ---- */

/* Append a failed path's name to the fixed buffer; mark the list cut short when full. */
static void add_failed_path(struct multipath_status *out, const struct tok *dev, bool *cut)
{
	size_t used = strlen(out->failed_paths);
	size_t need = dev->len + (used ? 1 : 0);

	/* keep room for " ..." so a cut list says so */
	if (*cut || used + need + sizeof(" ...") > sizeof(out->failed_paths)) {
		*cut = true;
		return;
	}
	if (used)
		out->failed_paths[used++] = ' ';
	memcpy(out->failed_paths + used, dev->p, dev->len);
	out->failed_paths[used + dev->len] = 0;
}

int parse_multipath_status(const char *params, struct multipath_status *out)
{
	const char *cur = params;
	uint64_t n, n_groups, n_paths, n_sel_args, g, i;
	bool cut = false;
	struct tok t;

	if (!params || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));

	/* features ("2 <queued ios> <pg init count>" in status), then hw handler args */
	if (!next_tok(&cur, &t) || !tok_u64(&t, &n) || !skip_toks(&cur, n))
		goto invalid;
	if (!next_tok(&cur, &t) || !tok_u64(&t, &n) || !skip_toks(&cur, n))
		goto invalid;
	if (!next_tok(&cur, &t) || !tok_u64(&t, &n_groups))
		goto invalid;
	/* the group that I/O goes to next: a number, 0 when there are no groups */
	if (!next_tok(&cur, &t) || !tok_u64(&t, &n))
		goto invalid;

	for (g = 0; g < n_groups; g++) {
		if (!next_tok(&cur, &t) ||
		    !(tok_eq(&t, "A") || tok_eq(&t, "E") || tok_eq(&t, "D")))
			goto invalid;
		if (!next_tok(&cur, &t) || !tok_u64(&t, &n) || !skip_toks(&cur, n))
			goto invalid;
		if (!next_tok(&cur, &t) || !tok_u64(&t, &n_paths))
			goto invalid;
		if (!next_tok(&cur, &t) || !tok_u64(&t, &n_sel_args))
			goto invalid;
		for (i = 0; i < n_paths; i++) {
			struct tok dev;
			uint64_t fail_count;

			if (!next_tok(&cur, &dev))
				goto invalid;
			if (!next_tok(&cur, &t) || !(tok_eq(&t, "A") || tok_eq(&t, "F")))
				goto invalid;
			if (tok_eq(&t, "F")) {
				out->n_failed++;
				add_failed_path(out, &dev, &cut);
			}
			out->n_paths++;
			if (!next_tok(&cur, &t) || !tok_u64(&t, &fail_count))
				goto invalid;
			if (!skip_toks(&cur, n_sel_args))
				goto invalid;
		}
	}
	if (!at_end(cur))
		goto invalid;
	if (cut) {
		size_t used = strlen(out->failed_paths);
		const char *mark = used ? " ..." : "...";

		memcpy(out->failed_paths + used, mark, strlen(mark) + 1);
	}
	return 0;

invalid:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* ---- tables ---- */

static bool extent_fits(uint64_t offset, uint64_t length)
{
	return offset <= UINT64_MAX - length;
}

static int linear_extents(const char *params, uint64_t length, struct dm_extent *out, int max)
{
	const char *cur = params;
	struct dm_extent e = { .length = length };
	struct tok t;

	if (!next_tok(&cur, &t) || !tok_majmin(&t, &e.major, &e.minor))
		return -EINVAL;
	if (!next_tok(&cur, &t) || !tok_u64(&t, &e.offset) || !at_end(cur))
		return -EINVAL;
	if (!extent_fits(e.offset, e.length))
		return -EINVAL;
	if (max < 1)
		return 0;
	out[0] = e;
	return 1;
}

/*
 * Each stripe holds length/#stripes sectors of the device, laid out contiguously
 * from its offset (chunks rotate between stripes, but on every stripe device the
 * used range is one block). The kernel refuses lengths that do not divide; for a
 * hand-written line that does not, rounding down errs towards smaller extents,
 * i.e. towards fewer false overlaps.
 */
static int striped_extents(const char *params, uint64_t length, struct dm_extent *out, int max)
{
	const char *cur = params;
	uint64_t stripes, chunk, per, i;
	int filled = 0;
	struct tok t;

	if (!next_tok(&cur, &t) || !tok_u64(&t, &stripes) || stripes == 0)
		return -EINVAL;
	if (!next_tok(&cur, &t) || !tok_u64(&t, &chunk) || chunk == 0)
		return -EINVAL;
	per = length / stripes;
	for (i = 0; i < stripes; i++) {
		struct dm_extent e = { .length = per };

		if (!next_tok(&cur, &t) || !tok_majmin(&t, &e.major, &e.minor))
			return -EINVAL;
		if (!next_tok(&cur, &t) || !tok_u64(&t, &e.offset))
			return -EINVAL;
		if (!extent_fits(e.offset, e.length))
			return -EINVAL;
		if (filled < max)
			out[filled++] = e;
	}
	if (!at_end(cur))
		return -EINVAL;
	return filled;
}

int table_lower_extents(const char *type, const char *params, uint64_t length,
			struct dm_extent *out, int max)
{
	if (!type || !params || max < 0 || (max > 0 && !out))
		return -EINVAL;
	if (!strcmp(type, "linear"))
		return linear_extents(params, length, out, max);
	if (!strcmp(type, "striped"))
		return striped_extents(params, length, out, max);
	return 0;
}

int parse_thin_table(const char *params, uint32_t *pool_major, uint32_t *pool_minor,
		     uint64_t *dev_id)
{
	const char *cur = params;
	uint32_t ma, mi;
	uint64_t id;
	struct tok t;

	if (!params)
		return -EINVAL;
	if (!next_tok(&cur, &t) || !tok_majmin(&t, &ma, &mi))
		return -EINVAL;
	if (!next_tok(&cur, &t) || !tok_u64(&t, &id))
		return -EINVAL;
	/* optional external origin */
	if (next_tok(&cur, &t) && (!tok_majmin(&t, NULL, NULL) || !at_end(cur)))
		return -EINVAL;
	if (pool_major)
		*pool_major = ma;
	if (pool_minor)
		*pool_minor = mi;
	if (dev_id)
		*dev_id = id;
	return 0;
}

int parse_thin_pool_table(const char *params, uint64_t *data_block_sectors)
{
	const char *cur = params;
	uint64_t bs;
	struct tok t;

	if (!params || !next_tok(&cur, &t) || !tok_majmin(&t, NULL, NULL) ||
	    !next_tok(&cur, &t) || !tok_majmin(&t, NULL, NULL) ||
	    !next_tok(&cur, &t) || !tok_u64(&t, &bs) || !bs)
		return -EINVAL;
	*data_block_sectors = bs;
	return 0;
}

/* P (persistent), N (transient), PO (persistent, overflow reported); any case on load */
static bool snapshot_store_type(const struct tok *t)
{
	int c0 = t->len ? toupper((unsigned char)t->p[0]) : 0;

	if (t->len == 1)
		return c0 == 'P' || c0 == 'N';
	return t->len == 2 && c0 == 'P' && toupper((unsigned char)t->p[1]) == 'O';
}

/*
 * "<origin> <cow> P|N|PO <chunk>" and, since 5.x, an optional feature group
 * "<#features> discard_zeroes_cow discard_passdown_origin" whose count must match.
 */
int parse_snapshot_table(const char *params, uint32_t *origin_major, uint32_t *origin_minor,
			 uint32_t *cow_major, uint32_t *cow_minor)
{
	const char *cur = params;
	uint32_t oma, omi, cma, cmi;
	uint64_t chunk, n;
	struct tok t;

	if (!params)
		return -EINVAL;
	if (!next_tok(&cur, &t) || !tok_majmin(&t, &oma, &omi))
		return -EINVAL;
	if (!next_tok(&cur, &t) || !tok_majmin(&t, &cma, &cmi))
		return -EINVAL;
	if (!next_tok(&cur, &t) || !snapshot_store_type(&t))
		return -EINVAL;
	if (!next_tok(&cur, &t) || !tok_u64(&t, &chunk))
		return -EINVAL;
	if (next_tok(&cur, &t) &&
	    (!tok_u64(&t, &n) || !skip_toks(&cur, n) || !at_end(cur)))
		return -EINVAL;
	if (origin_major)
		*origin_major = oma;
	if (origin_minor)
		*origin_minor = omi;
	if (cow_major)
		*cow_major = cma;
	if (cow_minor)
		*cow_minor = cmi;
	return 0;
}
