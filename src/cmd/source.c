// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/source.h"
#include "collect/dm.h"
#include "collect/lvm.h"
#include "collect/pve.h"
#include "lib/util.h"
#include "lib/opts.h"

void collect_live(struct state *st, const struct collect_opts *o)
{
	struct lvm_job *lvm = NULL;
	char host[256] = "";

	st->schema = STATE_SCHEMA;
	st->collected_at = time(NULL);
	gethostname(host, sizeof(host) - 1);
	/* Proxmox's node name is the short hostname */
	host[strcspn(host, ".")] = 0;
	st->host = xstrdup(host);
	st->node = xstrdup(o->node ? o->node : host);
	/* LVM's report runs while dm and the configs are read: the scan takes as long as
	 * LVM's own report, not as long as both */
	if (!o->no_lvm)
		lvm = lvm_collect_start();
	dm_collect(st);
	pve_collect(st, o->pve_dir ? o->pve_dir : "/etc/pve", o->run_dir ? o->run_dir : "/run",
		    st->node);
	if (!o->no_lvm)
		lvm_collect_finish(st, lvm, o->lvm_exit_status);
	state_normalize(st);
}

/* A problem the Proxmox half of a saved state carries (its configs, its storage.cfg) */
static bool pve_problem(const struct source_problem *p)
{
	return str_has_prefix(p->source, "/etc/pve") || !strcmp(p->source, "guest configs");
}

/* Move the Proxmox half of st (storages, guests, their problems) into old */
static void move_pve_half(struct state *st, struct state *old)
{
	size_t k = 0;

	old->guests = st->guests;
	old->n_guests = st->n_guests;
	old->storages = st->storages;
	old->n_storages = st->n_storages;
	st->guests = NULL;
	st->n_guests = 0;
	st->storages = NULL;
	st->n_storages = 0;
	for (size_t i = 0; i < st->n_problems; i++) {
		if (pve_problem(&st->problems[i]))
			*(struct source_problem *)array_push(&old->problems, &old->n_problems,
							     sizeof(st->problems[i])) = st->problems[i];
		else
			st->problems[k++] = st->problems[i];
	}
	st->n_problems = k;
}

/*
 * What-if: the saved node's dm and LVM half, the Proxmox half from pve_dir. Which
 * guests ran is part of the saved node, not of the configs: carried over by vmid
 * and node.
 */
static void replace_pve_half(struct state *st, const char *pve_dir)
{
	struct state old = {};

	move_pve_half(st, &old);
	pve_collect_configs(st, pve_dir, st->node);
	for (size_t i = 0; i < st->n_guests; i++) {
		struct pve_guest *g = &st->guests[i];

		for (size_t k = 0; k < old.n_guests; k++)
			if (old.guests[k].vmid == g->vmid && old.guests[k].running &&
			    (!old.guests[k].node || !g->node || !strcmp(old.guests[k].node, g->node)))
				g->running = true;
	}
	state_free(&old);
	state_normalize(st);
}

int source_get(struct state *st, const struct source_opts *o, char **why)
{
	if (o->state_in) {
		if (o->co.run_dir || o->co.no_lvm) {
			*why = xasprintf("--%s reads this host; a saved state (--state) has its own",
					 o->co.run_dir ? "run-dir" : "no-lvm");
			return -1;
		}
		if (state_load_json(st, o->state_in, why))
			return -1;
		if (o->co.node) {
			free(st->node);
			st->node = xstrdup(o->co.node);
		}
		if (o->co.pve_dir)
			replace_pve_half(st, o->co.pve_dir);
		return 0;
	}
	collect_live(st, &o->co);
	if (!st->have_dm) {
		*why = xasprintf("cannot read device-mapper state: %s",
				 st->n_problems ? st->problems[0].message : "unknown error");
		return -1;
	}
	return 0;
}

void source_opts_init(struct source_opts *o)
{
	memset(o, 0, sizeof(*o));
	classify_opts_default(&o->thresholds);
}

enum {
	OPT_STATE = 0x200,
	OPT_PVE_DIR,
	OPT_RUN_DIR,
	OPT_NODE,
	OPT_WARN,
	OPT_CRIT,
	OPT_NO_LVM,
};

static const struct argp_option source_options[] = {
	{ NULL, 0, NULL, 0, "What to look at, and thresholds:", 1 },
	{ "state", OPT_STATE, "FILE", 0, "A saved state (scan --save-state) instead of this host; no root needed", 1 },
	{ "pve-dir", OPT_PVE_DIR, "DIR", 0, "Proxmox config tree (default /etc/pve); with --state, "
	  "judge the saved node against the configs in DIR instead of its own", 1 },
	{ "run-dir", OPT_RUN_DIR, "DIR", 0, "Runtime dir with qemu-server/<vmid>.pid (default /run; not with --state)", 1 },
	{ "node", OPT_NODE, "NAME", 0, "This node's Proxmox name (default: hostname)", 1 },
	{ "no-lvm", OPT_NO_LVM, NULL, 0, "Do not run lvm fullreport (dm data only; not with --state)", 1 },
	{ "warn", OPT_WARN, "PCT", 0, "Warn when a snapshot/pool is this full (default 80)", 1 },
	{ "crit", OPT_CRIT, "PCT", 0, "Critical when this full (default 95)", 1 },
	{},
};

static error_t source_parse(int key, char *arg, struct argp_state *state)
{
	struct source_opts *o = state->input;

	switch (key) {
	case OPT_STATE: o->state_in = arg; break;
	case OPT_PVE_DIR: o->co.pve_dir = arg; break;
	case OPT_RUN_DIR: o->co.run_dir = arg; break;
	case OPT_NODE: o->co.node = arg; break;
	case OPT_NO_LVM: o->co.no_lvm = true; break;
	case OPT_WARN:
	case OPT_CRIT:
		if (opt_percent(arg, key == OPT_WARN ? &o->thresholds.warn_percent :
					      &o->thresholds.crit_percent))
			argp_error(state, "--%s takes a percentage in (0, 100], not '%s'",
				   key == OPT_WARN ? "warn" : "crit", arg);
		break;
	case ARGP_KEY_END:
		if (o->thresholds.warn_percent > o->thresholds.crit_percent)
			argp_error(state, "--warn (%g) must not be above --crit (%g)",
				   o->thresholds.warn_percent, o->thresholds.crit_percent);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp source_argp = {
	.options = source_options,
	.parser = source_parse,
};
