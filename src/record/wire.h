/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recorder format's byte-level pieces (layout: recfmt.h), shared by the
 * encoder, the decoder, the summary and the segment reader and writer: magics,
 * codecs, limits, little-endian fields, varints and the kernel record's field
 * mask. Internal to src/record/.
 */
#ifndef DMWATCH_RECORD_WIRE_H
#define DMWATCH_RECORD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include "record/recfmt.h"

#define SEG_MAGIC	"DMWSEGMT"	/* 8 bytes, no NUL on disk */
#define BLK_MAGIC	"DMWB"		/* 4 bytes */

#define CODEC_STORED	0
#define CODEC_ZLIB	1

#define HEADER_MAX	4096		/* a block header, summary included */
#define STR_MAX		4096		/* strings in one block's table */

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

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint32_t rec_crc(const void *p, size_t n)
{
	return crc32(0, p, n);
}

/* a string from a fixed-size field, as the decoder gives it back */
static inline void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* a block header as read from disk (layout: recfmt.h) */
struct blk_hdr {
	uint8_t version, codec;
	uint32_t header_len, comp_len, raw_len, n_records, payload_crc;
	uint64_t first_ns;
	uint32_t span_ms;
};

/* reading varints out of a bounded byte range; running past its end sets bad */
struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static inline uint64_t cur_var(struct cursor *c)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static inline int64_t cur_svar(struct cursor *c)
{
	return unzigzag(cur_var(c));
}

#endif /* DMWATCH_RECORD_WIRE_H */
