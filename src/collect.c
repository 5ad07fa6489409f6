// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collect.h"
#include "dm.h"
#include "lvm.h"
#include "pve.h"
#include "util.h"

void collect_live(struct state *st, const struct collect_opts *o)
{
	char host[256] = "";

	st->schema = STATE_SCHEMA;
	st->collected_at = time(NULL);
	gethostname(host, sizeof(host) - 1);
	/* Proxmox's node name is the short hostname */
	host[strcspn(host, ".")] = 0;
	st->host = xstrdup(host);
	st->node = xstrdup(o->node ? o->node : host);
	dm_collect(st);
	if (!o->no_lvm)
		lvm_collect(st);
	pve_collect(st, o->pve_dir ? o->pve_dir : "/etc/pve", o->run_dir ? o->run_dir : "/run",
		    st->node);
	state_normalize(st);
}
