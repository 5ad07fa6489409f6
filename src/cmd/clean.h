/* SPDX-License-Identifier: GPL-2.0 */
/* What clean and restore share: the host lock and running an LVM tool. */
#ifndef DMWATCH_CMD_CLEAN_H
#define DMWATCH_CMD_CLEAN_H

/* One clean or restore at a time per host: the lock fd, or -1 after saying why not */
int clean_lock(void);

/*
 * Run an LVM tool (argv[0] looked up in PATH) with no descriptor of ours but
 * stdin, stdout and stderr. 0 when it exits 0, else -errno / -EIO.
 */
int run_lvm_tool(char *const argv[]);

#endif /* DMWATCH_CMD_CLEAN_H */
