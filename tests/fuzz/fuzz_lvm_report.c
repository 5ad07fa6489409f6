// SPDX-License-Identifier: GPL-2.0
/*
 * `lvm fullreport -a --reportformat json` output -> lvm_parse_report(), and the same
 * text fed in pieces as the scan's reader feeds it, taking the rows when the root
 * closes. Input: the report JSON. PV names resolve through a fake resolver, so no file
 * system is touched: "/dev/<x>" resolves to 8:<hash of x> unless x contains "gone".
 */
#include <errno.h>
#include <math.h>
#include "collect/lvm.h"
#include "collect/lvmreport.h"
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

/*
 * The reader's way: pieces of 61 bytes, rows taken once complete. Rows taken early
 * are the whole text's rows whenever the whole text is one JSON value, and a report
 * (its root an object) is always taken by its closing brace; a root that is a bare
 * number may not be, yajl waits for the number's end.
 */
static void fed_in_pieces(const char *text, size_t len)
{
	struct lvm_report_parser *p = lvm_report_parser_new();
	struct lvm_report *taken = NULL, *whole;

	for (size_t at = 0; at < len; at += 61) {
		lvm_report_parser_feed(p, text + at, len - at < 61 ? len - at : 61);
		if (!taken)
			taken = lvm_report_parser_take(p);
	}
	FUZZ_CHECK(!lvm_report_parser_take(p));
	whole = lvm_report_parser_finish(p);
	FUZZ_CHECK(!(taken && whole));
	lvm_report_free(whole);
	p = lvm_report_parser_new();
	lvm_report_parser_feed(p, text, len);
	whole = lvm_report_parser_finish(p);
	if (whole && whole->has_report)
		FUZZ_CHECK(taken != NULL);
	if (whole && taken) {
		FUZZ_CHECK(taken->n_vgs == whole->n_vgs && taken->n_log == whole->n_log);
		FUZZ_CHECK(lvm_report_vouched(taken) == lvm_report_vouched(whole));
	}
	lvm_report_free(whole);
	lvm_report_free(taken);
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
	fed_in_pieces(report, strlen(report));
	free(report);
	return 0;
}
