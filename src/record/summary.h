/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O error summary a block of named I/O errors carries in its header
 * (layout: recfmt.h): kept up to date by the encoder record by record, written
 * into the header when the block is finished, read back and validated by the
 * segment reader. Internal to src/record/.
 */
#ifndef DMWATCH_RECORD_SUMMARY_H
#define DMWATCH_RECORD_SUMMARY_H

#include "record/wire.h"

/* the summary of the block being encoded */
struct sum_acc {
	struct rec_io_group groups[REC_SUMMARY_GROUPS_MAX];
	size_t n_groups, last_group;
	bool no_summary;		/* a record it cannot describe */
};

/* a small buffer the summary is written into; too long and it is dropped */
struct sum_buf {
	uint8_t b[HEADER_MAX - REC_BLOCK_HEADER_LEN];
	size_t len;
	bool full;
};

void sum_reset(struct sum_acc *a);

/* Account for record r, number idx of the block, at time us (microseconds). */
void sum_add(struct sum_acc *a, const struct rec *r, uint32_t idx, uint64_t us);

/*
 * Write the summary (its CRC included) into sb; returns its length, 0 when the
 * block goes without. min_us: the block's first timestamp; raw_len: its
 * payload, which the summary must be small against.
 */
size_t sum_encode(const struct sum_acc *a, uint64_t min_us, size_t raw_len, struct sum_buf *sb);

/*
 * The summary in a block header's extension ext[0..len), if it is sound: its own
 * CRC, its times inside [base_ns, base_ns + span_ms], every one of the block's
 * n_records records in exactly one group. groups receives the groups s points at.
 */
bool sum_read(const uint8_t *ext, size_t len, uint64_t base_ns, uint32_t span_ms,
	      uint32_t n_records, struct rec_io_group *groups, struct rec_block_summary *s);

#endif /* DMWATCH_RECORD_SUMMARY_H */
