/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clean journal: what clean writes before each action and restore reads
 * back. One field table (model/record.h) drives both, so the file format is
 * described once (docs/cleanup.md). A name that is not UTF-8 keeps its exact
 * bytes in "name_hex", so such a device can be restored too.
 */
#ifndef DMWATCH_CMD_JOURNAL_H
#define DMWATCH_CMD_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "model/state.h"

/* One action, written before it is taken: enough to undo it. */
struct journal_entry {
	char *time;
	char *name;
	char *uuid;
	uint32_t major, minor;
	bool read_only;
	bool name_unmangled;	/* the kernel holds name raw (dmsetup --manglename none) */
	char *cls;
	char *reason;
	char *detail;
	char *action;		/* dm-remove | lvchange-an */
	char *vg, *lv;		/* lvchange-an */
	struct dm_line *table;
	size_t n_table;
};

struct journal {
	struct journal_entry *entries;
	size_t n_entries;
	char *path;		/* not in the file */
};

/* Rewrite j->path with every entry, crash-safe. 0 or -errno. */
int journal_save(const struct journal *j);

/* Read a journal (zeroed first). 0, or -errno with *err a one-line reason naming the element. */
int journal_read(const char *path, struct journal *j, char **err);

/* Frees the entries and the path */
void journal_free(struct journal *j);

#endif /* DMWATCH_CMD_JOURNAL_H */
