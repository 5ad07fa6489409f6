// SPDX-License-Identifier: GPL-2.0
/*
 * A guest config (qemu-server/<vmid>.conf or lxc/<ctid>.conf) ->
 * pve_parse_guest_config(). The first byte picks the guest type (bit 0: LXC), the
 * rest is the file. Checks the references classify compares against dm names:
 * key, storage and volume present, a storage id without ':' and a volume without
 * '/' (linked clones are reduced to their own part); the volume's owner and its
 * snapshot LVs' names on every storage type.
 */
#include "collect/pve.h"
#include "lib/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st = { 0 };
	struct pve_guest *g;
	char *text;
	int vmid;

	if (!size)
		return 0;
	text = fuzz_cstr(data + 1, size - 1);
	/* in st->guests, as pve_collect does, so state_free() owns it */
	g = array_push(&st.guests, &st.n_guests, sizeof(*g));
	g->vmid = 101;
	g->type = data[0] & 1 ? GUEST_LXC : GUEST_QEMU;
	g->node = xstrdup("pve1");

	FUZZ_CHECK(pve_parse_guest_config(&st, "101.conf", text, g) == 0);
	for (size_t i = 0; i < g->n_refs; i++) {
		const struct pve_volref *r = &g->refs[i];

		FUZZ_CHECK(r->key && *r->key);
		FUZZ_CHECK(r->storage && *r->storage && !strchr(r->storage, ':'));
		FUZZ_CHECK(r->volume && *r->volume && !strchr(r->volume, '/'));
		/* what classify does with every referenced volume */
		vmid = -1;
		for (int t = PVE_STORAGE_OTHER; t <= PVE_STORAGE_LVMTHIN; t++) {
			char *snap;

			vmid = -1;
			if (pve_volume_vmid(r->volume, t, &vmid))
				FUZZ_CHECK(vmid > 0);
			if (!r->snapshot)
				continue;
			/* a snapshot's LV is named after its volume: same vmid, if any */
			snap = pve_snapshot_lv(r->volume, r->snapshot, t);
			FUZZ_CHECK(str_has_prefix(snap, "snap_"));
			free(snap);
		}
	}
	/* a problem on the way means the refs may be incomplete: the guest must say so */
	if (st.n_problems)
		FUZZ_CHECK(g->config_error);
	state_free(&st);
	free(text);
	return 0;
}
