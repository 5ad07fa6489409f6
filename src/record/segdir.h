/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A recorder directory (layout: recfmt.h): segment file names, the segments
 * listed oldest first, and whether a recorder holds the lock. Shared by the
 * reader (rec_read_dir) and the writer. Internal to src/record/.
 */
#ifndef DMWATCH_RECORD_SEGDIR_H
#define DMWATCH_RECORD_SEGDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEG_NAME_LEN	32	/* room for "seg-<10 digits>.dmw" */

struct seg_ent {
	uint64_t seq;
	char *name;
	uint64_t size;
};

/* "seg-0000000042.dmw" for seq 42 */
void seg_name(char name[SEG_NAME_LEN], uint64_t seq);

/* segments of a directory, oldest first; -errno if the directory cannot be read */
int list_segments(int dir_fd, struct seg_ent **out, size_t *n);
void free_segments(struct seg_ent *s, size_t n);

/* a recorder holds the directory's lock right now */
bool dir_locked(int dir_fd);

#endif /* DMWATCH_RECORD_SEGDIR_H */
