/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The block decoder: one block's payload (its CRC already checked) inflated as
 * far as its records are read, and each record handed to the reader's callback.
 * Its buffers are kept from block to block. Internal to src/record/.
 */
#ifndef DMWATCH_RECORD_DECODE_H
#define DMWATCH_RECORD_DECODE_H

#include "record/wire.h"

struct blk_dec;

enum blk_result {
	BLK_OK,
	BLK_BAD_CODEC,		/* a codec this version does not know */
	BLK_NO_INFLATE,		/* the zlib stream is broken or not raw_len long */
	BLK_DAMAGED,		/* records that do not fit the payload: see why */
};

struct blk_dec *blk_dec_new(void);
void blk_dec_free(struct blk_dec *d);

/*
 * Decode the block with header h whose payload (comp_len bytes) is at payload,
 * delivering its records to rd. Records before a problem are delivered; the
 * rest of the block is not. *delivered: how many were.
 */
enum blk_result blk_decode(struct blk_dec *d, struct rec_reader *rd, const struct blk_hdr *h,
			   const uint8_t *payload, const char **why, uint64_t *delivered);

/* widen the time span of what was read to [first, last] (unix ns) */
void rec_stats_span(struct rec_read_stats *st, uint64_t first, uint64_t last);

#endif /* DMWATCH_RECORD_DECODE_H */
