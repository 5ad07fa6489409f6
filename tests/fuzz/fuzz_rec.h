/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recorder segments for the fuzz targets that read them (fuzz_recfmt,
 * fuzz_postmortem). Blocks carry CRCs that no mutation gets right by chance, so
 * the targets let the fuzzer write block payloads and wrap them here in a valid
 * segment header and block header (layout: recfmt.h).
 */
#ifndef DMWATCH_FUZZ_REC_H
#define DMWATCH_FUZZ_REC_H

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

/*
 * A segment header followed by one block whose payload is `payload` (codec 0:
 * stored, raw_len == plen; codec 1: zlib, raw_len the inflated size) and whose
 * header carries `sum` (slen bytes, 0: none) as its I/O error summary, with the
 * summary's CRC appended. Caller frees.
 */
static inline uint8_t *fuzz_wrap_block_sum(const uint8_t *payload, size_t plen, size_t raw_len,
					   uint8_t codec, uint32_t n_records, const uint8_t *sum,
					   size_t slen, size_t *out_len)
{
	size_t hlen = REC_BLOCK_HEADER_LEN + (slen ? slen + 4 : 0);
	size_t len = REC_SEG_HEADER_LEN + hlen + plen;
	uint8_t *buf = xcalloc(1, len), *h = buf + REC_SEG_HEADER_LEN;

	memcpy(buf, "DMWSEGMT", 8);
	fuzz_put32(buf + 8, RECFMT_VERSION);
	fuzz_put32(buf + 12, REC_SEG_HEADER_LEN);
	fuzz_put64(buf + 16, 1);
	fuzz_put64(buf + 24, FUZZ_REC_T0);
	memcpy(buf + 32, "pve1", 4);
	fuzz_put32(buf + 60, crc32(0, buf, 60));

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
	*out_len = len;
	return buf;
}

static inline uint8_t *fuzz_wrap_block(const uint8_t *payload, size_t plen, size_t raw_len,
				       uint8_t codec, uint32_t n_records, size_t *out_len)
{
	return fuzz_wrap_block_sum(payload, plen, raw_len, codec, n_records, NULL, 0, out_len);
}

#endif /* DMWATCH_FUZZ_REC_H */
