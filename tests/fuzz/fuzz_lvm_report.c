// SPDX-License-Identifier: GPL-2.0
/*
 * `lvm fullreport -a --reportformat json` output -> lvm_parse_report(). Input: the
 * report JSON. PV names resolve through a fake resolver, so no file system is touched:
 * "/dev/<x>" resolves to 8:<hash of x> unless x contains "gone".
 */
#include <errno.h>
#include <math.h>
#include "collect/lvm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_resolve(const char *pv_name, uint32_t *major, uint32_t *minor)
{
	uint32_t h = 5381;

	if (strncmp(pv_name, "/dev/", 5) || strstr(pv_name, "gone"))
		return -ENOENT;
	for (const char *p = pv_name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	*major = 8;
	*minor = h & 0xff;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *report = fuzz_cstr(data, size);
	struct state st = { 0 };
	int r;

	r = lvm_parse_report(&st, "lvm", report, fake_resolve);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	FUZZ_CHECK(r == 0 ? st.have_lvm : st.n_problems > 0);
	for (size_t i = 0; i < st.n_lvs; i++) {
		const struct lvm_lv *lv = &st.lvs[i];

		/* classify dereferences all of these */
		FUZZ_CHECK(lv->vg_name && *lv->vg_name && lv->lv_name);
		FUZZ_CHECK(lv->vg_uuid && lv->lv_uuid && *lv->lv_uuid);
		FUZZ_CHECK(lv->attr && lv->pool && lv->origin);
		FUZZ_CHECK(isnan(lv->data_percent) ||
			   (lv->data_percent >= 0 && lv->data_percent <= 100));
		FUZZ_CHECK(isnan(lv->metadata_percent) ||
			   (lv->metadata_percent >= 0 && lv->metadata_percent <= 100));
		FUZZ_CHECK(lv->thin_id >= -1);
		/* one LV per uuid, however many segment rows it had */
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(st.lvs[j].lv_uuid, lv->lv_uuid));
	}
	for (size_t i = 0; i < st.n_extents; i++) {
		const struct lvm_extent *x = &st.extents[i];

		FUZZ_CHECK(x->vg_name && x->lv_name && x->lv_uuid);
		FUZZ_CHECK(x->pv_major == 8);
		/* classify compares start + length: an extent must not wrap, nor be empty */
		FUZZ_CHECK(x->length > 0 && x->start <= UINT64_MAX - x->length);
	}
	state_free(&st);
	free(report);
	return 0;
}
