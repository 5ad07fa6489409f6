/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading one segment as a stream: a window of the file that holds at most a
 * block (the reader never needs more at once), refilled as reading goes on,
 * and a block decoder; both kept from segment to segment. Internal to
 * src/record/ (rec_read_file, rec_read_dir and the writer's torn-tail repair).
 */
#ifndef DMWATCH_RECORD_SEGREAD_H
#define DMWATCH_RECORD_SEGREAD_H

#include "record/recfmt.h"

struct seg_stream;

struct seg_stream *seg_stream_new(void);
void seg_stream_free(struct seg_stream *s);

/*
 * Read the segment open on fd from its current offset (0) to its end, as
 * rec_read_buf() reads one in memory. *good_end: the readable prefix. -EINVAL
 * when fd is not a regular file (nothing read).
 */
int seg_stream_read(struct seg_stream *s, struct rec_reader *rd, int fd, const char *label,
		    uint64_t *good_end);

#endif /* DMWATCH_RECORD_SEGREAD_H */
