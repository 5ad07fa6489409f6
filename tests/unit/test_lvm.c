// SPDX-License-Identifier: GPL-2.0
/*
 * LVM report parsing against real `lvm fullreport` output (tests/fixtures/lvm, made by
 * lvm2 2.03.16 from pve.vg and in the test VM, see its README) and against everything
 * lvm never prints.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "test.h"
#include "collect/lvm.h"
#include "collect/lvmreport.h"
#include "lib/util.h"

#define LVM_FIXTURES FIXTURES "/lvm"
#define SECTOR 512ULL
#define EXTENT 8192ULL		/* vg_extent_size of pve.vg in sectors (4 MiB) */
#define PE_START0 2048ULL	/* /dev/loop0 */
#define PE_START1 8192ULL	/* /dev/loop1 (pvcreate --dataalignment 4m) */

static int resolve_calls;

/* The machine's PVs without stat(): loop0 -> 7:0, loop1 -> 7:1, anything else unknown. */
static int fake_resolve(const char *pv_name, uint32_t *major, uint32_t *minor)
{
	resolve_calls++;
	if (!strcmp(pv_name, "/dev/loop0") || !strcmp(pv_name, "/dev/loop1")) {
		*major = 7;
		*minor = pv_name[9] - '0';
		return 0;
	}
	return -ENOENT;
}

static char *fixture(const char *name)
{
	char *path = xasprintf("%s/%s", LVM_FIXTURES, name), *buf = NULL;

	if (read_file(path, &buf, NULL, 1 << 20))
		buf = NULL;
	free(path);
	return buf;
}

static const struct lvm_lv *find_lv(const struct state *st, const char *vg, const char *lv)
{
	for (size_t i = 0; i < st->n_lvs; i++)
		if (!strcmp(st->lvs[i].vg_name, vg) && !strcmp(st->lvs[i].lv_name, lv))
			return &st->lvs[i];
	return NULL;
}

static size_t count_lv(const struct state *st, const char *lv)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_lvs; i++)
		n += !strcmp(st->lvs[i].lv_name, lv);
	return n;
}

/* The idx'th extent of `lv` in array order (parse order: segment rows, then ranges). */
static const struct lvm_extent *find_extent(const struct state *st, const char *lv, size_t idx)
{
	for (size_t i = 0; i < st->n_extents; i++)
		if (!strcmp(st->extents[i].lv_name, lv) && idx-- == 0)
			return &st->extents[i];
	return NULL;
}

static size_t count_extents(const struct state *st, const char *lv)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_extents; i++)
		n += !strcmp(st->extents[i].lv_name, lv);
	return n;
}

static void dump_problems(int *failed__, const struct state *st)
{
	for (size_t i = 0; i < st->n_problems; i++)
		FAIL_AT("problem: %s: %s", st->problems[i].source, st->problems[i].message);
}

static void check_extent(int *failed__, const struct state *st, const char *lv, size_t idx,
			 uint32_t minor, uint64_t start, uint64_t length)
{
	const struct lvm_extent *x = find_extent(st, lv, idx);

	if (!x) {
		FAIL_AT("no extent %zu of %s", idx, lv);
		return;
	}
	CHECK_STR(x->vg_name, "pve");
	CHECK_INT(x->pv_major, 7);
	CHECK_INT(x->pv_minor, minor);
	if (x->start != start || x->length != length)
		FAIL_AT("%s extent %zu: %llu+%llu, expected %llu+%llu", lv, idx,
			(unsigned long long)x->start, (unsigned long long)x->length,
			(unsigned long long)start, (unsigned long long)length);
}

/* Everything fullreport-pve.json (or its raw twin) must give. */
static void check_pve_report(int *failed__, const struct state *st, bool active)
{
	const struct lvm_lv *lv;

	CHECK(st->have_lvm);
	/* one LV per LV, although vm-300-disk-0 has two segment rows */
	CHECK_INT(st->n_lvs, 14);
	CHECK_INT(count_lv(st, "vm-300-disk-0"), 1);

	lv = find_lv(st, "pve", "root");
	CHECK(lv != NULL);
	if (lv) {
		CHECK_STR(lv->vg_uuid, "xHTk07-iClp-guL7-bowY-i0jR-nnAC-41oYvy");
		CHECK_STR(lv->lv_uuid, "ol8Dkl-ZDOC-j2IS-aJiH-kTj0-rLGl-koMXGj");
		CHECK_INT(lv->size, 32768 * SECTOR);
		CHECK_STR(lv->pool, "");
		CHECK_STR(lv->origin, "");
		CHECK(isnan(lv->data_percent));
		CHECK(isnan(lv->metadata_percent));
		CHECK_INT(lv->thin_id, -1);
		if (active)
			CHECK_STR(lv->attr, "-wi-ao----");
	}

	/* hidden LVs lose their brackets */
	CHECK(find_lv(st, "pve", "[data_tdata]") == NULL);
	CHECK(find_lv(st, "pve", "data_tdata") != NULL);
	CHECK(find_lv(st, "pve", "data_tmeta") != NULL);
	lv = find_lv(st, "pve", "lvol0_pmspare");
	CHECK(lv != NULL);
	if (lv)
		CHECK_INT(lv->size, 4194304);

	lv = find_lv(st, "pve", "data");
	CHECK(lv != NULL);
	if (lv) {
		CHECK_INT(lv->size, 163840 * SECTOR);
		CHECK_INT(lv->thin_id, -1);
		if (active) {
			CHECK_STR(lv->attr, "twi-aotz--");
			CHECK_DBL(lv->data_percent, 60.01);
			CHECK_DBL(lv->metadata_percent, 2.55);
		} else {
			CHECK(isnan(lv->data_percent));
		}
	}

	lv = find_lv(st, "pve", "vm-100-disk-0");
	CHECK(lv != NULL);
	if (lv) {
		CHECK_STR(lv->pool, "data");
		CHECK_INT(lv->thin_id, 1);
		CHECK_INT(lv->size, 32ULL << 20);
		if (active)
			CHECK_DBL(lv->data_percent, 98.92);
		CHECK(isnan(lv->metadata_percent));
	}
	lv = find_lv(st, "pve", "vm-101-disk-0");
	CHECK(lv && lv->thin_id == 2);
	if (lv && active)
		CHECK_DBL(lv->data_percent, 0.0);	/* "0.00" is a number, not n/a */
	lv = find_lv(st, "pve", "base-102-disk-0");
	CHECK(lv && lv->thin_id == 3 && isnan(lv->data_percent));
	lv = find_lv(st, "pve", "snap_vm-100-disk-0_before");
	CHECK(lv != NULL);
	if (lv) {
		CHECK_INT(lv->thin_id, 4);
		CHECK_STR(lv->origin, "vm-100-disk-0");
		CHECK_STR(lv->pool, "data");
		if (active)
			CHECK_STR(lv->attr, "Vri---tz-k");
	}

	/* classic snapshot: the COW LV names its origin and carries the fill */
	lv = find_lv(st, "pve", "vm-200-backup");
	CHECK(lv != NULL);
	if (lv) {
		CHECK_STR(lv->origin, "vm-200-disk-0");
		CHECK_INT(lv->thin_id, -1);
		CHECK_INT(lv->size, 4ULL << 20);
		if (active) {
			CHECK_STR(lv->attr, "swi-a-s---");
			CHECK_DBL(lv->data_percent, 91.20);
		}
	}
	lv = find_lv(st, "pve", "vm-200-disk-0");
	CHECK(lv && !strcmp(lv->origin, "") && lv->size == 12ULL << 20);

	lv = find_lv(st, "pve", "vm-300-disk-0");
	CHECK(lv && lv->size == 73728 * SECTOR);	/* the LV's size, not one segment's */

	/* extents: pe_start + pe * extent_size on the PV's device, in sectors */
	check_extent(failed__, st, "swap", 0, 0, PE_START0, 2 * EXTENT);
	check_extent(failed__, st, "root", 0, 0, PE_START0 + 2 * EXTENT, 4 * EXTENT);
	check_extent(failed__, st, "data_tdata", 0, 0, PE_START0 + 6 * EXTENT, 20 * EXTENT);
	check_extent(failed__, st, "data_tmeta", 0, 1, PE_START1 + 1 * EXTENT, EXTENT);
	check_extent(failed__, st, "lvol0_pmspare", 0, 1, PE_START1, EXTENT);
	check_extent(failed__, st, "vm-200-disk-0", 0, 1, PE_START1 + 3 * EXTENT, 3 * EXTENT);
	check_extent(failed__, st, "vm-200-backup", 0, 1, PE_START1 + 6 * EXTENT, EXTENT);
	check_extent(failed__, st, "vm-300-disk-0", 0, 0, PE_START0 + 26 * EXTENT, 5 * EXTENT);
	check_extent(failed__, st, "vm-300-disk-0", 1, 1, PE_START1 + 7 * EXTENT, 4 * EXTENT);
	check_extent(failed__, st, "vm-400-disk-0", 0, 0, PE_START0 + 31 * EXTENT, 2 * EXTENT);
	check_extent(failed__, st, "vm-400-disk-0", 1, 1, PE_START1 + 11 * EXTENT, 2 * EXTENT);
	CHECK_INT(count_extents(st, "vm-300-disk-0"), 2);
	/* thin volumes have no extents of their own */
	CHECK_INT(count_extents(st, "vm-100-disk-0"), 0);
	/* the pool's "data_tdata:0-19" is an LV area, already counted as data_tdata's extent */
	CHECK_INT(count_extents(st, "data"), 0);
	CHECK_INT(st->n_extents, 11);
	{
		const struct lvm_extent *x = find_extent(st, "root", 0);

		CHECK(x && !strcmp(x->lv_uuid, "ol8Dkl-ZDOC-j2IS-aJiH-kTj0-rLGl-koMXGj"));
	}
}

/* A fixture file's report, parsed into a fresh state; NULL when the file is missing */
static char *parse_fixture(int *failed__, struct state *st, const char *name)
{
	char *report = fixture(name);

	if (!report) {
		FAIL_AT("fixture %s missing", name);
		return NULL;
	}
	CHECK_INT(lvm_parse_report(st, "lvm", report, fake_resolve), 0);
	return report;
}

TEST(lvm_report_pve_active)
{
	struct state st = {};
	char *report = parse_fixture(failed__, &st, "fullreport-pve.json");

	if (report)
		check_pve_report(failed__, &st, true);
	/* a healthy report is not a problem: nothing to warn about */
	CHECK_INT(st.n_problems, 0);
	if (st.n_problems)
		dump_problems(failed__, &st);
	state_free(&st);
	free(report);
}

/* Exactly what lvm2 2.03.16 printed: the five sections of VG pve, "seg" last */
TEST(lvm_report_raw)
{
	struct state st = {};
	char *report = parse_fixture(failed__, &st, "fullreport-raw.json");

	if (report) {
		CHECK(strstr(report, "\"pvseg\": [") && strstr(report, "\"seg\": ["));
		check_pve_report(failed__, &st, false);
	}
	CHECK_INT(st.n_problems, 0);
	state_free(&st);
	free(report);
}

/*
 * Captured in the test VM (tests/vm/bench_lvmscan.sh): VG live with a thin pool that
 * holds two thin volumes and a thin snapshot, and a classic snapshot of a linear LV,
 * all active. Nothing hand-edited: the attributes and percents are dm's.
 */
TEST(lvm_report_live)
{
	struct state st = {};
	char *report = parse_fixture(failed__, &st, "fullreport-live.json");
	const struct lvm_lv *pool, *thin, *snap, *cow, *tdata;
	const struct lvm_extent *x;

	if (!report)
		goto cleanup;
	CHECK_INT(st.n_problems, 0);
	pool = find_lv(&st, "live", "data");
	thin = find_lv(&st, "live", "vm-100-disk-0");
	snap = find_lv(&st, "live", "snap_vm-100-disk-0_before");
	cow = find_lv(&st, "live", "vm-200-backup");
	tdata = find_lv(&st, "live", "data_tdata");
	CHECK(pool && thin && snap && cow && tdata && find_lv(&st, "live", "data_tmeta") &&
	      find_lv(&st, "live", "vm-101-disk-0") && find_lv(&st, "live", "vm-200-disk-0"));
	if (!pool || !thin || !snap || !cow || !tdata)
		goto cleanup;
	/* active: dm answered for each, so the fills are numbers */
	CHECK(pool->attr[0] == 't' && pool->attr[4] == 'a');
	CHECK(!isnan(pool->data_percent) && pool->data_percent > 0);
	CHECK(!isnan(pool->metadata_percent) && pool->metadata_percent > 0);
	/* 8 MiB of the 32 MiB volume written */
	CHECK(thin->data_percent >= 25.0 && thin->data_percent < 30.0);
	CHECK_STR(thin->pool, "data");
	CHECK(thin->thin_id >= 1);
	CHECK_STR(snap->origin, "vm-100-disk-0");
	CHECK(snap->thin_id >= 1 && snap->thin_id != thin->thin_id);
	CHECK(cow->attr[0] == 's' && !isnan(cow->data_percent));
	CHECK_STR(cow->origin, "vm-200-disk-0");
	/* the pool's data sits on the loop PV, after pe_start */
	x = find_extent(&st, "data_tdata", 0);
	CHECK(x != NULL);
	if (x) {
		CHECK_INT(x->pv_major, 7);
		CHECK(x->start >= 2048 && x->length == tdata->size / SECTOR);
	}
	CHECK_INT(count_extents(&st, "vm-100-disk-0"), 0);
cleanup:
	state_free(&st);
	free(report);
}

/* What lvm fullreport prints on a host without any VG (lvm2 2.03.16) */
TEST(lvm_report_no_vgs)
{
	static const char report[] = "  {\n      \"report\": [\n      ]\n  }\n";
	struct state st = {};

	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK(st.have_lvm);
	CHECK_INT(st.n_lvs, 0);
	CHECK_INT(st.n_extents, 0);
	CHECK_INT(st.n_problems, 0);
	state_free(&st);
}

/* A PV in no VG (vgremove leaves its label): an object of its own, no LVs, no problem */
TEST(lvm_report_orphan_pv)
{
	struct state st = {};
	char *report = parse_fixture(failed__, &st, "fullreport-orphan.json");

	if (report)
		CHECK(strstr(report, "\"pv\": [") && !strstr(report, "\"seg\""));
	CHECK(st.have_lvm);
	CHECK_INT(st.n_lvs, 0);
	CHECK_INT(st.n_problems, 0);
	state_free(&st);
	free(report);
}

/* Two VGs: each VG's ranges are resolved with its own pv rows */
TEST(lvm_report_two_vgs)
{
	static const char report[] = "{\"report\":["
		"{\"pv\":[{\"pv_name\":\"/dev/loop0\", \"pe_start\":\"2048\"}], \"seg\":["
		"{\"vg_name\":\"a\", \"lv_name\":\"x\", \"lv_uuid\":\"U1\", "
		"\"seg_pe_ranges\":\"/dev/loop0:0-0\", \"vg_extent_size\":\"8192\"}]},"
		"{\"pv\":[{\"pv_name\":\"/dev/loop1\", \"pe_start\":\"4096\"}], \"seg\":["
		"{\"vg_name\":\"b\", \"lv_name\":\"y\", \"lv_uuid\":\"U2\", "
		"\"seg_pe_ranges\":\"/dev/loop1:1-1\", \"vg_extent_size\":\"8192\"},"
		"{\"vg_name\":\"b\", \"lv_name\":\"z\", \"lv_uuid\":\"U3\", "
		"\"seg_pe_ranges\":\"/dev/loop0:0-0\", \"vg_extent_size\":\"8192\"}]}]}";
	struct state st = {};
	const struct lvm_extent *x;

	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK_INT(st.n_lvs, 3);
	CHECK_INT(st.n_extents, 2);
	x = find_extent(&st, "x", 0);
	CHECK(x && x->pv_minor == 0 && x->start == 2048);
	x = find_extent(&st, "y", 0);
	CHECK(x && x->pv_minor == 1 && x->start == 4096 + 8192);
	/* loop0 is not a PV of VG b: a problem, not VG a's pe_start */
	CHECK(find_extent(&st, "z", 0) == NULL);
	CHECK_INT(st.n_problems, 1);
	state_free(&st);
}

/* The PV resolver is only asked about PVs, and a PV it does not know is a problem */
TEST(lvm_report_unknown_pv)
{
	char *report = fixture("fullreport-pve.json"), *at;
	struct state st = {};

	CHECK(report != NULL);
	if (!report)
		goto cleanup;
	/* loop1 gone (LVM still lists it, the device node disappeared) */
	while ((at = strstr(report, "/dev/loop1")))
		at[5] = 'X';	/* "/dev/Xoop1": the resolver does not know it */
	resolve_calls = 0;
	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK(resolve_calls > 0);
	CHECK_INT(st.n_lvs, 14);
	/* the loop0 extents stay, the loop1 ones are problems */
	CHECK(find_extent(&st, "root", 0) != NULL);
	CHECK(find_extent(&st, "vm-200-disk-0", 0) == NULL);
	CHECK_INT(count_extents(&st, "vm-300-disk-0"), 1);
	{
		size_t told = 0;

		for (size_t i = 0; i < st.n_problems; i++)
			told += strstr(st.problems[i].message, "/dev/Xoop1") != NULL;
		CHECK(told >= 1);
	}
cleanup:
	state_free(&st);
	free(report);
}

/*
 * A VG without its "pv" section (not what lvm prints, but what an lvs-shaped report
 * would be): the LVs are all there and no extent is invented; one problem, not one per
 * segment: each problem is a warning in scan's grade.
 */
TEST(lvm_report_without_pv_section)
{
	char *report = fixture("fullreport-pve.json"), *pv, *lv;
	struct state st = {};

	CHECK(report != NULL);
	if (!report)
		goto cleanup;
	/* rename the section: "pv" -> "xx" */
	pv = strstr(report, "\"pv\": [");
	lv = pv ? strstr(pv, "\"lv\": [") : NULL;
	CHECK(pv && lv);
	if (!pv || !lv)
		goto cleanup;
	memcpy(pv + 1, "xx", 2);
	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK_INT(st.n_lvs, 14);
	CHECK_INT(st.n_extents, 0);
	CHECK_INT(st.n_problems, 1);
	if (st.n_problems)
		CHECK(strstr(st.problems[0].message, "no pv section for VG pve") != NULL);
cleanup:
	state_free(&st);
	free(report);
}

/* ---- bad input ---- */

TEST(lvm_report_not_json)
{
	static const char *const bad[] = {
		"", "  ", "lvm: command not found", "  WARNING: Failed to connect to lvmetad.",
		"{\"report\": [{\"lv\": [", "null", "\x01\x02\x03",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct state st = {};

		CHECK_INT(lvm_parse_report(&st, "lvm", bad[i], fake_resolve), -EINVAL);
		CHECK_INT(st.n_problems, 1);
		CHECK_INT(st.n_lvs, 0);
		CHECK(!st.have_lvm);
		if (st.n_problems)
			CHECK_STR(st.problems[0].source, "lvm");
		state_free(&st);
	}
}

TEST(lvm_report_wrong_shape)
{
	static const char *const bad[] = {
		"[]", "{}", "{\"report\":{}}", "{\"report\":[1]}",
		"{\"report\":[{\"vg\":[]}]}", "{\"report\":[{\"lv\":[]}]}",
		"{\"report\":[{\"seg\":\"\"}]}", "{\"report\":\"lv\"}", "{\"seg\":[]}",
		/* one object without segments nor PVs makes the whole report suspect */
		"{\"report\":[{\"seg\":[]}, {\"pvseg\":[]}]}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct state st = {};

		if (lvm_parse_report(&st, "lvm", bad[i], fake_resolve) != -EINVAL)
			FAIL_AT("accepted %s", bad[i]);
		CHECK_INT(st.n_problems, 1);
		CHECK_INT(st.n_lvs, 0);
		state_free(&st);
	}
}

#define ROW(name, uuid, ranges)							\
	"{\"vg_name\":\"pve\", \"vg_uuid\":\"V\", \"lv_name\":\"" name "\", "	\
	"\"lv_uuid\":\"" uuid "\", \"lv_attr\":\"-wi-a-----\", \"lv_size\":\"8192\", "	\
	"\"pool_lv\":\"\", \"origin\":\"\", \"data_percent\":\"\", "		\
	"\"metadata_percent\":\"\", \"thin_id\":\"\", \"seg_pe_ranges\":\"" ranges "\", " \
	"\"vg_extent_size\":\"8192\"}"
#define REPORT_PVS(pvs, rows) "{\"report\":[{\"pv\":[" pvs "], \"seg\":[" rows "]}]}"
#define REPORT(rows) REPORT_PVS("{\"pv_name\":\"/dev/loop0\", \"pe_start\":\"2048\"}," \
	"{\"pv_name\":\"/dev/loop1\", \"pe_start\":\"8192\"}", rows)

/* Rows that are not LV rows are skipped with a problem each; good rows around them stay. */
TEST(lvm_report_bad_rows)
{
	static const char report[] = REPORT(
		ROW("good1", "U1", "/dev/loop0:0-0") ","
		"1, \"row\", null, [], {},"
		ROW("nouuid", "", "/dev/loop0:1-1") ","
		"{\"vg_name\":\"pve\", \"lv_name\":\"missing-uuid\", \"seg_pe_ranges\":\"\"},"
		ROW("", "U3", "") ","
		"{\"vg_name\":5, \"lv_name\":[], \"lv_uuid\":{}},"
		ROW("good2", "U2", "/dev/loop1:0-1"));
	struct state st = {};

	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK_INT(st.n_lvs, 2);
	CHECK(find_lv(&st, "pve", "good1") && find_lv(&st, "pve", "good2"));
	CHECK_INT(st.n_extents, 2);
	check_extent(failed__, &st, "good2", 0, 1, 8192, 2 * 8192);
	/* 5 non-objects / empty, nouuid, missing-uuid, empty name, wrong types */
	CHECK_INT(st.n_problems, 9);
	state_free(&st);
}

TEST(lvm_report_long_names)
{
	char name[200];
	char *report;
	struct state st = {};

	memset(name, 'a', 128);
	name[128] = 0;
	report = xasprintf("{\"report\":[{\"seg\":[{\"vg_name\":\"pve\", \"lv_name\":\"%s\", "
			"\"lv_uuid\":\"U\", \"seg_pe_ranges\":\"\"}]}]}", name);
	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK_INT(st.n_lvs, 0);
	CHECK_INT(st.n_problems, 1);
	state_free(&st);
	free(report);
}

/* Odd values in otherwise good rows: n/a where not a number, never a crash */
TEST(lvm_report_odd_values)
{
	static const char report[] = REPORT(
		"{\"vg_name\":\"pve\", \"lv_name\":\"v1\", \"lv_uuid\":\"U1\", \"lv_size\":\"-1\", "
		"\"data_percent\":\"101.00\", \"metadata_percent\":\"abc\", \"thin_id\":\"x\"},"
		"{\"vg_name\":\"pve\", \"lv_name\":\"v2\", \"lv_uuid\":\"U2\", \"lv_size\":8192, "
		"\"data_percent\":50, \"thin_id\":\"7\", \"pool_lv\":null, \"origin\":[]},"
		"{\"vg_name\":\"pve\", \"lv_name\":\"[v3]\", \"lv_uuid\":\"U3\", "
		"\"lv_size\":\"99999999999999999999999\", \"data_percent\":\"100.00\", "
		"\"metadata_percent\":\"0.00\", \"thin_id\":\"0\"}");
	struct state st = {};
	const struct lvm_lv *lv;

	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK_INT(st.n_lvs, 3);
	lv = find_lv(&st, "pve", "v1");
	CHECK(lv && lv->size == 0 && isnan(lv->data_percent) && isnan(lv->metadata_percent) &&
	      lv->thin_id == -1 && !strcmp(lv->attr, ""));
	lv = find_lv(&st, "pve", "v2");
	CHECK(lv && lv->thin_id == 7 && lv->pool && !strcmp(lv->pool, "") && lv->origin &&
	      !strcmp(lv->origin, ""));
	lv = find_lv(&st, "pve", "v3");
	CHECK(lv != NULL);
	if (lv) {
		CHECK_DBL(lv->data_percent, 100.0);
		CHECK_DBL(lv->metadata_percent, 0.0);
		CHECK_INT(lv->thin_id, 0);
		/* more sectors than 64 bits hold: not a size */
		CHECK_INT(lv->size, 0);
	}
	state_free(&st);
}

/* Each malformed seg_pe_ranges: a problem naming the LV, and no extent made up from it */
TEST(lvm_report_bad_pe_ranges)
{
	static const char *const bad[] = {
		"/dev/loop0", "/dev/loop0:", "/dev/loop0:5", "/dev/loop0:a-b", "/dev/loop0:9-5",
		"/dev/loop0:1-2x", "/dev/loop0:-1-2", "/dev/loop0:5--9", "/dev/loop0: 1-2",
		"/dev/loop0:1-", "/dev/loop0:-", ":1-2", "/dev/sdz:0-1", "[unknown]:0-9",
		"/dev/loop0:0-99999999999999999999", "/dev/loop0:0-18446744073709551615",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *report = xasprintf(REPORT(ROW("vm-100-disk-0", "U1", "%s")), bad[i]);
		struct state st = {};

		CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
		CHECK_INT(st.n_lvs, 1);
		if (st.n_extents)
			FAIL_AT("\"%s\" made an extent %llu+%llu", bad[i],
				(unsigned long long)st.extents[0].start,
				(unsigned long long)st.extents[0].length);
		if (st.n_problems != 1)
			FAIL_AT("\"%s\": %zu problems", bad[i], st.n_problems);
		else if (!strstr(st.problems[0].message, "vm-100-disk-0"))
			FAIL_AT("\"%s\": problem does not name the LV: %s", bad[i],
				st.problems[0].message);
		state_free(&st);
		free(report);
	}
}

/* One bad range among good ones: the good ones are kept whatever the order */
TEST(lvm_report_pe_ranges_partly_bad)
{
	static const char *const mixed[] = {
		"/dev/loop0:0-1 garbage", "garbage /dev/loop0:0-1", "/dev/loop0:0-1 /dev/sdz:0-1",
		"/dev/sdz:0-1 /dev/loop0:0-1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(mixed); i++) {
		char *report = xasprintf(REPORT(ROW("lv", "U1", "%s")), mixed[i]);
		struct state st = {};

		CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
		if (st.n_extents != 1)
			FAIL_AT("\"%s\": %zu extents, expected the good one", mixed[i], st.n_extents);
		else
			check_extent(failed__, &st, "lv", 0, 0, 2048, 2 * 8192);
		CHECK(st.n_problems >= 1);
		state_free(&st);
		free(report);
	}
}

/* A PV path with a colon in it (by-path names): the range starts after the last colon */
TEST(lvm_report_pv_name_with_colon)
{
	static const char report[] = REPORT_PVS("{\"pv_name\":"
		"\"/dev/disk/by-path/pci-0000:00:1f.2-ata-1\", \"pe_start\":\"2048\"}",
		ROW("lv", "U1", "/dev/disk/by-path/pci-0000:00:1f.2-ata-1:3-4"));
	struct state st = {};

	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	/* the fake resolver does not know it: asked with the full path, reported by it */
	CHECK_INT(st.n_extents, 0);
	CHECK_INT(st.n_problems, 1);
	if (st.n_problems)
		CHECK(strstr(st.problems[0].message,
			     "/dev/disk/by-path/pci-0000:00:1f.2-ata-1 ") != NULL);
	state_free(&st);
}

/* the scan feeds the report as LVM writes it: any cut of the text gives the same rows */
TEST(lvm_report_fed_in_pieces)
{
	static const size_t pieces[] = { 1, 2, 7, 64, 4096 };
	char *text = fixture("fullreport-live.json");
	struct lvm_report_parser *p;
	struct lvm_report *whole, *cut;

	CHECK(text != NULL);
	if (!text)
		return;
	p = lvm_report_parser_new();
	CHECK(lvm_report_parser_feed(p, text, strlen(text)));
	whole = lvm_report_parser_finish(p);
	CHECK(whole && whole->has_report && whole->n_vgs > 0);
	for (size_t k = 0; whole && k < ARRAY_SIZE(pieces); k++) {
		size_t len = strlen(text), n_rows = 0;

		p = lvm_report_parser_new();
		for (size_t at = 0; at < len; at += pieces[k])
			lvm_report_parser_feed(p, text + at, len - at < pieces[k] ? len - at : pieces[k]);
		cut = lvm_report_parser_finish(p);
		CHECK(cut != NULL);
		if (!cut)
			continue;
		CHECK_INT(cut->n_vgs, whole->n_vgs);
		for (size_t v = 0; v < whole->n_vgs && v < cut->n_vgs; v++) {
			const struct lvm_vg_rows *a = &whole->vgs[v], *b = &cut->vgs[v];

			CHECK_INT(b->n_seg, a->n_seg);
			CHECK_INT(b->n_pv, a->n_pv);
			for (size_t i = 0; i < a->n_seg && i < b->n_seg; i++, n_rows++)
				for (int f = 0; f < LF_COUNT; f++)
					CHECK_STR(b->seg[i].v[f] ? b->seg[i].v[f] : "(none)",
						  a->seg[i].v[f] ? a->seg[i].v[f] : "(none)");
		}
		CHECK(n_rows > 5);
		lvm_report_free(cut);
	}
	lvm_report_free(whole);
	free(text);

	/* a text that stops half way is no report, however it was cut */
	p = lvm_report_parser_new();
	lvm_report_parser_feed(p, "{\"report\":[{\"seg\":[", 19);
	CHECK(lvm_report_parser_finish(p) == NULL);
}

/* an LV's rows need not follow one another: found again by uuid, not made twice */
TEST(lvm_report_rows_apart)
{
	static const char report[] = REPORT(
		ROW("a", "UA", "/dev/loop0:0-0") ","
		ROW("b", "UB", "/dev/loop0:1-1") ","
		ROW("c", "UC", "/dev/loop0:2-2") ","
		ROW("a", "UA", "/dev/loop1:5-5") ","
		ROW("not-a", "UA", "/dev/loop1:6-6"));
	struct state st = {};

	CHECK_INT(lvm_parse_report(&st, "lvm", report, fake_resolve), 0);
	CHECK_INT(st.n_lvs, 3);
	CHECK_INT(count_lv(&st, "a"), 1);
	CHECK(find_lv(&st, "pve", "not-a") == NULL);
	CHECK_INT(st.n_extents, 5);
	/* the rows of uuid UA, wherever they are, belong to the LV made by the first */
	CHECK_STR(st.extents[3].lv_name, "a");
	CHECK_STR(st.extents[4].lv_name, "a");
	CHECK_INT(st.extents[4].start, PE_START1 + 6 * 8192);
	state_free(&st);
}

/* the rows of a whole text, or NULL (the parser is freed either way) */
static struct lvm_report *rows_of(const char *text)
{
	struct lvm_report_parser *p = lvm_report_parser_new();

	lvm_report_parser_feed(p, text, strlen(text));
	return lvm_report_parser_finish(p);
}

/*
 * The command log (log/report_command_log=1, every entry), as lvm.c asks for it:
 * the same rows as without it, and a verdict the scan can act on before lvm exits.
 */
TEST(lvm_report_command_log)
{
	struct state st = {};
	char *text = parse_fixture(failed__, &st, "fullreport-log.json");
	char *failed_text = fixture("fullreport-failed.json"), *raw = fixture("fullreport-raw.json");
	struct lvm_report *rep;

	if (text) {
		check_pve_report(failed__, &st, false);
		rep = rows_of(text);
		CHECK(rep && rep->has_log && rep->n_log > 10);
		CHECK(lvm_report_vouched(rep));
		lvm_report_free(rep);
	}
	CHECK_INT(st.n_problems, 0);
	state_free(&st);

	/* lvm exited 5: it could not process one VG; the report of the other is whole */
	CHECK(failed_text != NULL);
	rep = failed_text ? rows_of(failed_text) : NULL;
	CHECK(rep && rep->n_vgs == 1 && rep->has_log);
	CHECK(!lvm_report_vouched(rep));
	lvm_report_free(rep);

	/* no log (an LVM without one, or not asked): the exit status has to decide */
	rep = raw ? rows_of(raw) : NULL;
	CHECK(rep && !rep->has_log);
	CHECK(!lvm_report_vouched(rep));
	lvm_report_free(rep);
	CHECK(!lvm_report_vouched(NULL));
	free(text);
	free(failed_text);
	free(raw);
}

/* what vouches and what does not, entry by entry */
TEST(lvm_report_vouched_entries)
{
	static const struct {
		const char *log;
		bool vouched;
	} cases[] = {
		{ "[]", true },
		{ "[{\"log_type\":\"status\", \"log_ret_code\":\"1\"}]", true },
		/* LVM's warnings and prints are not failures */
		{ "[{\"log_type\":\"warn\", \"log_ret_code\":\"0\"},"
		  " {\"log_type\":\"print\"}, {\"log_type\":\"status\", \"log_ret_code\":\"1\"}]", true },
		{ "[{\"log_type\":\"status\", \"log_ret_code\":\"5\"}]", false },
		{ "[{\"log_type\":\"status\", \"log_ret_code\":\"1\"},"
		  " {\"log_type\":\"error\", \"log_ret_code\":\"0\"}]", false },
		{ "[{\"log_type\":\"status\"}]", false },
		{ "[{\"log_ret_code\":\"1\"}]", false },
		{ "[{\"log_type\":\"status\", \"log_ret_code\":1}]", false },
		{ "[{\"log_type\":\"status\", \"log_ret_code\":\"10\"}]", false },
		/* only the first occurrence of a key counts, as everywhere in the report */
		{ "[{\"log_type\":\"error\", \"log_type\":\"status\", \"log_ret_code\":\"1\"}]", false },
		{ "{}", false },
		{ "\"success\"", false },
		{ "null", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = xasprintf("{\"report\": [], \"log\": %s}", cases[i].log);
		struct lvm_report *rep = rows_of(text);

		CHECK(rep != NULL);
		if (lvm_report_vouched(rep) != cases[i].vouched)
			FAIL_AT("log %s: vouched should be %d", cases[i].log, cases[i].vouched);
		lvm_report_free(rep);
		free(text);
	}
	/* a second "log" does not replace the first */
	{
		struct lvm_report *rep = rows_of("{\"report\": [], \"log\": [{\"log_type\":\"error\"}],"
						 " \"log\": []}");

		CHECK(rep && rep->n_log == 1 && !lvm_report_vouched(rep));
		lvm_report_free(rep);
	}
}

/*
 * The rows are handed over the moment the root closes (lvm is still exiting then),
 * never before, and the parser stores nothing after that.
 */
TEST(lvm_report_taken_when_complete)
{
	char *text = fixture("fullreport-log.json");
	struct lvm_report_parser *p;
	struct lvm_report *rep = NULL;
	size_t len, end;

	CHECK(text != NULL);
	if (!text)
		return;
	len = strlen(text);
	end = strrchr(text, '}') - text;	/* the root's closing brace */
	p = lvm_report_parser_new();
	for (size_t at = 0; at < len; at++) {
		lvm_report_parser_feed(p, text + at, 1);
		if (lvm_report_parser_complete(p) != (at >= end))
			FAIL_AT("complete at byte %zu of %zu (root closes at %zu)", at, len, end);
		if (at < end)
			CHECK_NULL(lvm_report_parser_take(p));
		else if (!rep)
			rep = lvm_report_parser_take(p);
	}
	CHECK(rep && rep->n_vgs == 1 && rep->n_log > 10 && lvm_report_vouched(rep));
	CHECK_NULL(lvm_report_parser_take(p));
	/* what follows cannot change the rows handed over: a second value is not taken */
	CHECK(!lvm_report_parser_feed(p, "{\"report\": []}", 14));
	CHECK(!lvm_report_parser_complete(p));
	CHECK_NULL(lvm_report_parser_finish(p));
	CHECK(rep && rep->n_vgs == 1);
	lvm_report_free(rep);

	/* a root that is not an object completes too, and its rows are no report */
	p = lvm_report_parser_new();
	lvm_report_parser_feed(p, "[]", 2);
	CHECK(lvm_report_parser_complete(p));
	rep = lvm_report_parser_take(p);
	CHECK(rep && !rep->has_report && !lvm_report_vouched(rep));
	lvm_report_free(rep);
	lvm_report_parser_finish(p);
	p = lvm_report_parser_new();
	lvm_report_parser_feed(p, " \"s\"", 4);
	CHECK(lvm_report_parser_complete(p));
	lvm_report_free(lvm_report_parser_take(p));
	lvm_report_parser_finish(p);
	free(text);
}
