/* SPDX-License-Identifier: GPL-2.0 */
/* Rendering of scan reports: terminal (table.c) and the JSON contract of docs/scan.md (json.c). */
#ifndef DMWATCH_OUTPUT_H
#define DMWATCH_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "analyze/classify.h"

struct table_opts {
	unsigned width;		/* columns every line fits in (term_width(), lib/width.h) */
	bool all;		/* also the clean guests, snapshots and devices */
};

/* 80 columns, problems only: the nightly mail's text, and tests */
void output_table(FILE *f, const struct report *r);
void output_table_with(FILE *f, const struct report *r, const struct table_opts *o);
/* bytes in KiB..TiB like lvs, e.g. "1.5 GiB"; buf of 16+ bytes */
const char *human_size(char *buf, size_t len, uint64_t bytes);
/* a snapshot's or pool's size in bytes (0: unknown) and *avail its free bytes
 * (UINT64_MAX: unknown), from its status line or else the LVM report */
uint64_t space_size(const struct report *r, const struct space_finding *s, uint64_t *avail);
void output_json(FILE *f, const struct report *r);

#endif /* DMWATCH_OUTPUT_H */
