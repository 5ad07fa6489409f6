/* SPDX-License-Identifier: GPL-2.0 */
/* Collecting this host's live state (dm, LVM, Proxmox) for scan and clean. */
#ifndef DMWATCH_COLLECT_H
#define DMWATCH_COLLECT_H

#include <stdbool.h>
#include "state.h"

struct collect_opts {
	const char *pve_dir;	/* default /etc/pve */
	const char *run_dir;	/* default /run */
	const char *node;	/* default: short hostname */
	bool no_lvm;
};

/* Fill st from this host; sources that fail become problems. st->have_dm says if dm was read. */
void collect_live(struct state *st, const struct collect_opts *o);

#endif /* DMWATCH_COLLECT_H */
