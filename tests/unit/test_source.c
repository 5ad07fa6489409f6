// SPDX-License-Identifier: GPL-2.0
/* Where a state comes from: a saved node judged against another Proxmox tree. */
#include <stdlib.h>
#include "test.h"
#include "cmd/source.h"
#include "lib/util.h"

static const struct pve_guest *guest(const struct state *st, int vmid)
{
	for (size_t i = 0; i < st->n_guests; i++)
		if (st->guests[i].vmid == vmid)
			return &st->guests[i];
	return NULL;
}

TEST(state_with_pve_dir_takes_the_configs_from_it)
{
	struct source_opts o;
	struct state st = {};
	char *why = NULL;

	source_opts_init(&o);
	o.state_in = FIXTURES "/state/cluster.json";
	o.co.pve_dir = FIXTURES "/pve/etc-pve";
	CHECK_INT(source_get(&st, &o, &why), 0);
	free(why);
	/* the dm and LVM half is the saved node's */
	CHECK(st.have_dm && st.have_lvm && st.n_devs == 24);
	/* the Proxmox half is the tree's: VM 110 and 119 are not in it, 105 is */
	CHECK(guest(&st, 101) != NULL);
	CHECK_NULL(guest(&st, 110));
	CHECK_NULL(guest(&st, 119));
	CHECK(guest(&st, 105) != NULL);
	CHECK_STR(guest(&st, 101)->name, "web");
	/* which guests ran is the saved node's */
	CHECK(guest(&st, 101)->running);
	CHECK(!guest(&st, 100)->running);
	state_free(&st);
}

TEST(state_refuses_options_that_read_this_host)
{
	struct source_opts o;
	struct state st = {};
	char *why = NULL;

	source_opts_init(&o);
	o.state_in = FIXTURES "/state/cluster.json";
	o.co.run_dir = "/run";
	CHECK_INT(source_get(&st, &o, &why), -1);
	CHECK(why && strstr(why, "--run-dir"));
	free(why);
	why = NULL;
	o.co.run_dir = NULL;
	o.co.no_lvm = true;
	CHECK_INT(source_get(&st, &o, &why), -1);
	CHECK(why && strstr(why, "--no-lvm"));
	free(why);
	state_free(&st);
}
