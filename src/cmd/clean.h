/* SPDX-License-Identifier: GPL-2.0 */
/* What clean and restore share: the host lock and running an LVM tool. */
#ifndef DMWATCH_CMD_CLEAN_H
#define DMWATCH_CMD_CLEAN_H

#include <stdbool.h>
#include "cmd/journal.h"
#include "model/state.h"

/* One clean or restore at a time per host: the lock fd, or -1 after saying why not */
int clean_lock(void);

/*
 * Run an LVM tool (argv[0] looked up in PATH) with no descriptor of ours but
 * stdin, stdout and stderr. 0 when it exits 0, else -errno / -EIO.
 */
int run_lvm_tool(char *const argv[]);

/*
 * lvchange -ay (active) or -an on the LV with this uuid (as lvs prints it); vg/lv
 * only narrow the selection. 0 or -errno.
 */
int lv_set_active(const char *dashed_uuid, const char *vg, const char *lv, bool active);

/*
 * Why restore must not use this entry (dm and LVM name rules, the dm uuid, a
 * table contiguous from 0 with sane target types and parameters), or NULL.
 * Pure. Caller frees.
 */
char *journal_entry_problem(const struct journal_entry *e);

#endif /* DMWATCH_CMD_CLEAN_H */
