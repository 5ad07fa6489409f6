/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a command's state comes from: this host's live dm, LVM and Proxmox state,
 * or a saved state (--state). The options for it are one argp child shared by
 * scan, serve and clean.
 */
#ifndef DMWATCH_COLLECT_H
#define DMWATCH_COLLECT_H

#include <argp.h>
#include <stdbool.h>
#include "analyze/classify.h"
#include "model/state.h"

struct collect_opts {
	const char *pve_dir;	/* default /etc/pve */
	const char *run_dir;	/* default /run */
	const char *node;	/* default: short hostname */
	bool no_lvm;
	/*
	 * wait for lvm's exit status even when the report's command log vouches for
	 * it: clean and restore act on what they read, and the wait is ~60 ms
	 */
	bool lvm_exit_status;
};

struct source_opts {
	struct collect_opts co;
	struct classify_opts thresholds;	/* --warn, --crit */
	const char *state_in;			/* --state FILE */
};

/* argp child: `{ &source_argp, 0, NULL, 0 }`, with state->child_inputs[i] = &opts */
extern const struct argp source_argp;

void source_opts_init(struct source_opts *o);

/* Fill st from this host; sources that fail become problems. st->have_dm says if dm was read. */
void collect_live(struct state *st, const struct collect_opts *o);

/*
 * The state to analyse: loaded from --state (its node overridden by --node) or
 * collected live. Returns 0, or -1 with a one-line reason in *why (caller frees).
 */
int source_get(struct state *st, const struct source_opts *o, char **why);

#endif /* DMWATCH_COLLECT_H */
