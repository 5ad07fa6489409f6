/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recorder segments for the fuzz targets that read them (fuzz_recfmt,
 * fuzz_postmortem), their seeds (seed_recfmt.c) and the unit tests of crafted
 * logs. Blocks carry CRCs that no mutation gets right by chance, so the targets
 * let the fuzzer write block payloads and wrap them here in a valid segment
 * header and block header (layout: recfmt.h).
 */
#ifndef DMWATCH_FUZZ_REC_H
#define DMWATCH_FUZZ_REC_H

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "record/recfmt.h"
#include "lib/util.h"

#define FUZZ_REC_T0	1795255200000000000ull	/* 2026-11-22 05:20 UTC */

static inline void fuzz_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void fuzz_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

/* a segment header with a CRC that holds (64 bytes at buf) */
static inline void fuzz_seg_header(uint8_t *buf)
{
	memset(buf, 0, REC_SEG_HEADER_LEN);
	memcpy(buf, "DMWSEGMT", 8);
	fuzz_put32(buf + 8, RECFMT_VERSION);
	fuzz_put32(buf + 12, REC_SEG_HEADER_LEN);
	fuzz_put64(buf + 16, 1);
	fuzz_put64(buf + 24, FUZZ_REC_T0);
	memcpy(buf + 32, "pve1", 4);
	fuzz_put32(buf + 60, crc32(0, buf, 60));
}

/* how long a block written by fuzz_block() is */
static inline size_t fuzz_block_len(size_t plen, size_t slen)
{
	return REC_BLOCK_HEADER_LEN + (slen ? slen + 4 : 0) + plen;
}

/*
 * A block at h whose payload is `payload` (codec 0: stored; 1: zlib) and whose
 * header says raw_len and n_records, whatever the payload holds, and carries
 * `sum` (slen bytes, 0: none) as its I/O error summary, its CRC appended. Every
 * CRC holds: only what the header claims can be a lie.
 */
static inline void fuzz_block(uint8_t *h, const uint8_t *payload, size_t plen, size_t raw_len,
			      uint8_t codec, uint32_t n_records, const uint8_t *sum, size_t slen)
{
	size_t hlen = fuzz_block_len(0, slen);

	memset(h, 0, REC_BLOCK_HEADER_LEN);
	memcpy(h, "DMWB", 4);
	h[4] = RECFMT_VERSION;
	h[5] = codec;
	h[6] = hlen & 0xff;
	h[7] = hlen >> 8;
	fuzz_put32(h + 8, plen);
	fuzz_put32(h + 12, raw_len);
	fuzz_put32(h + 16, n_records);
	fuzz_put32(h + 20, crc32(0, payload, plen));
	fuzz_put64(h + 24, FUZZ_REC_T0);
	fuzz_put32(h + 32, 1000);
	fuzz_put32(h + 36, crc32(0, h, 36));
	if (slen) {
		memcpy(h + REC_BLOCK_HEADER_LEN, sum, slen);
		fuzz_put32(h + REC_BLOCK_HEADER_LEN + slen, crc32(0, sum, slen));
	}
	memcpy(h + hlen, payload, plen);
}

/* A segment header followed by one such block. Caller frees. */
static inline uint8_t *fuzz_wrap_block_sum(const uint8_t *payload, size_t plen, size_t raw_len,
					   uint8_t codec, uint32_t n_records, const uint8_t *sum,
					   size_t slen, size_t *out_len)
{
	size_t len = REC_SEG_HEADER_LEN + fuzz_block_len(plen, slen);
	uint8_t *buf = xcalloc(1, len);

	fuzz_seg_header(buf);
	fuzz_block(buf + REC_SEG_HEADER_LEN, payload, plen, raw_len, codec, n_records, sum, slen);
	*out_len = len;
	return buf;
}

/* a segment built in memory: a header, then blocks */
struct fuzz_seg {
	uint8_t *b;
	size_t len;
};

static inline void fuzz_seg_add(struct fuzz_seg *s, const void *p, size_t n)
{
	s->b = xrealloc(s->b, s->len + n);
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static inline void fuzz_seg_start(struct fuzz_seg *s)
{
	s->b = xmalloc(REC_SEG_HEADER_LEN);
	s->len = REC_SEG_HEADER_LEN;
	fuzz_seg_header(s->b);
}

/* a block with CRCs that hold whose header claims raw_claim and n_records */
static inline void fuzz_seg_block(struct fuzz_seg *s, uint8_t codec, const uint8_t *payload,
				  size_t plen, uint32_t raw_claim, uint32_t n_records)
{
	size_t n = fuzz_block_len(plen, 0);

	s->b = xrealloc(s->b, s->len + n);
	fuzz_block(s->b + s->len, payload, plen, raw_claim, codec, n_records, NULL, 0);
	s->len += n;
}

/* n LOST records (lost = first, first + 1 ...) from the real encoder, as one block */
static inline void fuzz_seg_lost(struct fuzz_seg *s, uint64_t first, int n)
{
	struct rec_enc *e = rec_enc_new();
	const uint8_t *out;
	size_t len;

	for (int i = 0; i < n; i++) {
		struct rec r = { .kind = REC_LOST, .unix_ns = FUZZ_REC_T0 + (first + i) * 1000,
				 .lost = first + i };

		rec_enc_add(e, &r);
	}
	if (!rec_enc_finish(e, 6, &out, &len))
		fuzz_seg_add(s, out, len);
	rec_enc_free(e);
}

/* zlib of n zero bytes: the densest a lie about a block's raw length can be */
static inline uint8_t *fuzz_zeros_deflated(size_t n, size_t *zlen)
{
	uint8_t *zero = xcalloc(1, n);
	uLongf len = compressBound(n);
	uint8_t *z = xmalloc(len);

	if (compress2(z, &len, zero, n, 9) != Z_OK)
		len = 0;
	free(zero);
	*zlen = len;
	return z;
}

static inline uint8_t *fuzz_wrap_block(const uint8_t *payload, size_t plen, size_t raw_len,
				       uint8_t codec, uint32_t n_records, size_t *out_len)
{
	return fuzz_wrap_block_sum(payload, plen, raw_len, codec, n_records, NULL, 0, out_len);
}

#endif /* DMWATCH_FUZZ_REC_H */
