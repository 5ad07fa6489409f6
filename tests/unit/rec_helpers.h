/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the recorder format's unit tests share: a scratch directory, every
 * record as one line of text, and a reader that collects records and warnings.
 */
#ifndef DMWATCH_TEST_REC_HELPERS_H
#define DMWATCH_TEST_REC_HELPERS_H

#include "record/recfmt.h"

#define DEV(ma, mi) ((uint32_t)(ma) << DMW_MINORBITS | (mi))
#define T0 1761543000000000000ull	/* 2025-10-27 05:30:00 UTC */

/* a fresh directory under /tmp (NULL when it cannot be made); rmdir_all removes and frees it */
char *rt_tmpdir(void);
void rt_rmdir_all(char *d);

/* every field of a record in one line: what went in must come out */
char *rt_describe(const struct rec *r);

/* what a reader set up by rt_reader_init() saw */
struct got {
	char **lines;
	size_t n;
	size_t warnings;
	char last_warning[512];
	char **warns;			/* every warning */
	int kinds[REC_KIND_MAX];
};

void rt_reader_init(struct rec_reader *rd, struct got *g);
void rt_got_free(struct got *g);

/* read a segment file whole (tests only: the reader streams) */
int rt_read_whole(const char *path, uint8_t **buf, size_t *len);

#endif /* DMWATCH_TEST_REC_HELPERS_H */
