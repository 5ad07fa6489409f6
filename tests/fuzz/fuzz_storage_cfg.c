// SPDX-License-Identifier: GPL-2.0
/*
 * /etc/pve/storage.cfg text -> pve_parse_storage_cfg(). Checks what classify relies
 * on: every kept storage has an id, ids are unique, an lvm storage names its VG
 * and an lvmthin one its VG and pool (pve.c drops incomplete ones).
 */
#include <errno.h>
#include "collect/pve.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct state st = { 0 };
	int r;

	r = pve_parse_storage_cfg(&st, "storage.cfg", text);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	for (size_t i = 0; i < st.n_storages; i++) {
		const struct pve_storage *s = &st.storages[i];

		FUZZ_CHECK(s->id && *s->id);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(st.storages[j].id, s->id));
		switch (s->type) {
		case PVE_STORAGE_LVMTHIN:
			FUZZ_CHECK(s->thinpool && *s->thinpool);
			/* fall through */
		case PVE_STORAGE_LVM:
			FUZZ_CHECK(s->vgname && *s->vgname);
			break;
		case PVE_STORAGE_OTHER:
			FUZZ_CHECK(!s->vgname && !s->thinpool);
			break;
		default:
			FUZZ_CHECK(!"storage type out of range");
		}
	}
	for (size_t i = 0; i < st.n_problems; i++)
		FUZZ_CHECK(st.problems[i].source && st.problems[i].message);
	state_free(&st);
	free(text);
	return 0;
}
