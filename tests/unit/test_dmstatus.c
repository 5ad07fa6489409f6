// SPDX-License-Identifier: GPL-2.0
/* dm table and status params parsers: every format, old short forms, and bad input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "model/dmstatus.h"
#include "lib/util.h"

/* ---- snapshot ---- */

TEST(snapshot_status_current)
{
	struct snapshot_status s;

	CHECK_INT(parse_snapshot_status("7651072/8388608 30080", &s), 0);
	CHECK_INT(s.state, SNAP_ACTIVE);
	CHECK_INT(s.allocated, 7651072);
	CHECK_INT(s.total, 8388608);
	CHECK_INT(s.metadata, 30080);
	CHECK_STR(snapshot_state_str(s.state), "active");
}

TEST(snapshot_status_old_short_form)
{
	struct snapshot_status s;

	CHECK_INT(parse_snapshot_status("16/2097152", &s), 0);
	CHECK_INT(s.state, SNAP_ACTIVE);
	CHECK_INT(s.allocated, 16);
	CHECK_INT(s.total, 2097152);
	CHECK_INT(s.metadata, 0);
	/* blanks around are fine */
	CHECK_INT(parse_snapshot_status("  0/8 0 \n", &s), 0);
	CHECK_INT(s.total, 8);
}

TEST(snapshot_status_words)
{
	struct snapshot_status s;

	CHECK_INT(parse_snapshot_status("Invalid", &s), 0);
	CHECK_INT(s.state, SNAP_INVALID);
	CHECK_STR(snapshot_state_str(s.state), "invalid");
	CHECK_INT(parse_snapshot_status("Overflow", &s), 0);
	CHECK_INT(s.state, SNAP_OVERFLOW);
	CHECK_INT(parse_snapshot_status("Merge failed", &s), 0);
	CHECK_INT(s.state, SNAP_MERGE_FAILED);
	CHECK_STR(snapshot_state_str(s.state), "merge_failed");
	CHECK_INT(parse_snapshot_status("Unknown", &s), 0);
	CHECK_INT(s.state, SNAP_UNKNOWN);
	CHECK_STR(snapshot_state_str(SNAP_OVERFLOW), "overflow");
	CHECK_STR(snapshot_state_str((enum snapshot_state)42), "unknown");
}

TEST(snapshot_status_bad)
{
	static const char *const bad[] = {
		"", "   ", "Merge", "Merge failed now", "Invalid x", "invalid", "1/", "/2",
		"1/2/3", "12", "a/b", "1/2 x", "1/2 3 4", "-1/2", "+1/2", "1 /2", "0x10/20",
		"18446744073709551616/1", "1/18446744073709551616", "1/2 18446744073709551616",
		"00000000000000000000001/2",
	};
	struct snapshot_status s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_snapshot_status(bad[i], &s) != -EINVAL)
			FAIL_AT("accepted '%s'", bad[i]);
	}
	CHECK_INT(parse_snapshot_status(NULL, &s), -EINVAL);
	CHECK_INT(parse_snapshot_status("1/2", NULL), -EINVAL);
	/* the largest numbers still fit */
	CHECK_INT(parse_snapshot_status("18446744073709551615/18446744073709551615 0", &s), 0);
	CHECK(s.allocated == UINT64_MAX && s.total == UINT64_MAX);
}

/* ---- thin-pool ---- */

TEST(thin_pool_status_current)
{
	struct thin_pool_status p;

	CHECK_INT(parse_thin_pool_status("12 1211/779264 45621/2228224 - rw no_discard_passdown "
					 "queue_if_no_space - 1024 ", &p), 0);
	CHECK_INT(p.mode, POOL_RW);
	CHECK_INT(p.transaction_id, 12);
	CHECK_INT(p.used_meta, 1211);
	CHECK_INT(p.total_meta, 779264);
	CHECK_INT(p.used_data, 45621);
	CHECK_INT(p.total_data, 2228224);
	CHECK(!p.needs_check);
	CHECK(!p.error_if_no_space);
	CHECK_STR(pool_mode_str(p.mode), "rw");
}

TEST(thin_pool_status_modes)
{
	struct thin_pool_status p;

	CHECK_INT(parse_thin_pool_status("3 10/100 100/100 - out_of_data_space discard_passdown "
					 "error_if_no_space - 32", &p), 0);
	CHECK_INT(p.mode, POOL_OUT_OF_DATA_SPACE);
	CHECK(p.error_if_no_space);
	CHECK_STR(pool_mode_str(p.mode), "out_of_data_space");

	CHECK_INT(parse_thin_pool_status("3 10/100 50/100 77 ro ignore_discard queue_if_no_space "
					 "needs_check 32", &p), 0);
	CHECK_INT(p.mode, POOL_RO);
	CHECK(p.needs_check);
	CHECK_STR(pool_mode_str(p.mode), "ro");

	CHECK_INT(parse_thin_pool_status("Fail", &p), 0);
	CHECK_INT(p.mode, POOL_FAIL);
	CHECK_STR(pool_mode_str(p.mode), "fail");
	CHECK_INT(parse_thin_pool_status("Error\n", &p), 0);
	CHECK_INT(p.mode, POOL_ERROR);
	CHECK_STR(pool_mode_str(p.mode), "error");
}

TEST(thin_pool_status_old_kernels)
{
	struct thin_pool_status p;

	/* 3.2: stops after the held root */
	CHECK_INT(parse_thin_pool_status("0 17/4096 0/1024 -", &p), 0);
	CHECK_INT(p.mode, POOL_RW);
	CHECK_INT(p.used_meta, 17);
	CHECK_INT(p.total_data, 1024);
	/* 3.10: rw/ro and the discard mode, no no-space policy nor needs_check */
	CHECK_INT(parse_thin_pool_status("5 17/4096 9/1024 - ro discard_passdown", &p), 0);
	CHECK_INT(p.mode, POOL_RO);
	CHECK(!p.needs_check);
	/* the minimum libdm itself relies on: txid and two fractions */
	CHECK_INT(parse_thin_pool_status("5 17/4096 9/1024", &p), 0);
	CHECK_INT(p.used_data, 9);
	/* a future kernel's extra word does not make the pool unreadable */
	CHECK_INT(parse_thin_pool_status("5 17/4096 9/1024 - rw discard_passdown queue_if_no_space "
					 "- 1024 fancy_new_flag", &p), 0);
	CHECK_INT(p.mode, POOL_RW);
}

TEST(thin_pool_status_bad)
{
	static const char *const bad[] = {
		"", "Fail now", "Error 1", "fail", "12", "12 1/2", "12 1/2 3", "12 1/2 3/", "x 1/2 3/4",
		"12 1/2 3/4 held", "12 1-2 3/4 -", "-1 1/2 3/4 -", "12 1/2 3/4 18446744073709551616",
		"18446744073709551616 1/2 3/4 -",
	};
	struct thin_pool_status p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_thin_pool_status(bad[i], &p) != -EINVAL)
			FAIL_AT("accepted '%s'", bad[i]);
	}
	CHECK_INT(parse_thin_pool_status(NULL, &p), -EINVAL);
	CHECK_STR(pool_mode_str((enum pool_mode)99), "error");
}

/* ---- thin ---- */

TEST(thin_status_forms)
{
	struct thin_status t;

	CHECK_INT(parse_thin_status("22020096 67108863", &t), 0);
	CHECK(!t.fail);
	CHECK_INT(t.mapped_sectors, 22020096);
	CHECK_INT(t.highest_sector, 67108863);
	/* nothing mapped yet */
	CHECK_INT(parse_thin_status("0 -", &t), 0);
	CHECK_INT(t.mapped_sectors, 0);
	CHECK_INT(t.highest_sector, 0);
	/* not attached to a thin device */
	CHECK_INT(parse_thin_status("-", &t), 0);
	CHECK(!t.fail);
	CHECK_INT(parse_thin_status("Fail", &t), 0);
	CHECK(t.fail);
	CHECK_INT(parse_thin_status("Error", &t), 0);
	CHECK(t.fail);
}

TEST(thin_status_bad)
{
	static const char *const bad[] = {
		"", " ", "12", "12 13 14", "x 1", "1 x", "- -", "Fail 1", "-1 5",
		"18446744073709551616 1",
	};
	struct thin_status t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_thin_status(bad[i], &t) != -EINVAL)
			FAIL_AT("accepted '%s'", bad[i]);
	}
	CHECK_INT(parse_thin_status(NULL, &t), -EINVAL);
}

/* ---- multipath ---- */

TEST(multipath_status_one_failed)
{
	struct multipath_status m;

	/* service-time: two info args per path */
	CHECK_INT(parse_multipath_status("2 0 0 0 2 1 A 0 1 2 8:16 A 0 0 1 E 0 1 2 8:32 F 1 0 1", &m), 0);
	CHECK_INT(m.n_paths, 2);
	CHECK_INT(m.n_failed, 1);
	CHECK_STR(m.failed_paths, "8:32");
}

TEST(multipath_status_all_failed_and_handler)
{
	struct multipath_status m;

	/* old kernel: one feature count; a hw handler with an arg; round-robin: no path args */
	CHECK_INT(parse_multipath_status("1 0 1 alua 1 1 A 0 3 0 8:16 F 2 8:32 F 1 65:0 F 7", &m), 0);
	CHECK_INT(m.n_paths, 3);
	CHECK_INT(m.n_failed, 3);
	CHECK_STR(m.failed_paths, "8:16 8:32 65:0");
	/* queue-length: one info arg per path; a bypassed group; group args */
	CHECK_INT(parse_multipath_status("2 0 0 0 2 2 D 1 x 1 1 8:16 A 0 5 A 0 1 1 8:48 A 0 0", &m), 0);
	CHECK_INT(m.n_paths, 2);
	CHECK_INT(m.n_failed, 0);
	CHECK_STR(m.failed_paths, "");
	/* no groups at all */
	CHECK_INT(parse_multipath_status("2 3 0 0 0 0", &m), 0);
	CHECK_INT(m.n_paths, 0);
}

TEST(multipath_status_truncates_failed_list)
{
	struct multipath_status m;
	char *params, *p;
	int i;

	/* 100 failed paths with 127-byte names: the list is cut, says so, never overruns */
	params = xmalloc(100 * 200 + 64);
	p = params + sprintf(params, "2 0 0 0 1 1 A 0 100 0");
	for (i = 0; i < 100; i++)
		p += sprintf(p, " %0127d F 1", i);
	CHECK_INT(parse_multipath_status(params, &m), 0);
	CHECK_INT(m.n_paths, 100);
	CHECK_INT(m.n_failed, 100);
	CHECK(strlen(m.failed_paths) < sizeof(m.failed_paths));
	CHECK(strstr(m.failed_paths, "...") != NULL);
	free(params);
}

TEST(multipath_status_bad)
{
	static const char *const bad[] = {
		"", "2 0", "2 0 0 0", "2 0 0 0 1", "2 0 0 0 1 1", "2 0 0 0 1 1 X 0 1 0 8:16 A 0",
		"2 0 0 0 1 1 A 0 1 0 8:16 Q 0", "2 0 0 0 1 1 A 0 2 0 8:16 A 0",
		"2 0 0 0 1 1 A 0 1 0 8:16 A x", "2 0 0 0 1 1 A 0 1 0 8:16 A 0 extra",
		"18446744073709551615 0", "2 0 0 0 18446744073709551615 1 A 0 1 0 8:16 A 0",
		"2 0 0 0 1 1 A 0 18446744073709551615 0 8:16 A 0",
		"2 0 0 0 1 1 A 18446744073709551615 1 0 8:16 A 0",
		"x 0 0 0 0 0",
	};
	struct multipath_status m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_multipath_status(bad[i], &m) != -EINVAL)
			FAIL_AT("accepted '%s'", bad[i]);
	}
	CHECK_INT(parse_multipath_status(NULL, &m), -EINVAL);
}

/* ---- tables ---- */

TEST(majmin)
{
	uint32_t ma = 1, mi = 1;

	CHECK_INT(parse_majmin("254:12", &ma, &mi), 0);
	CHECK_INT(ma, 254);
	CHECK_INT(mi, 12);
	CHECK_INT(parse_majmin("4294967295:0", &ma, &mi), 0);
	CHECK(ma == UINT32_MAX);
	CHECK_INT(parse_majmin("4294967296:0", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin("8:", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin(":8", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin("8:16 ", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin(" 8:16", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin("8:-1", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin("8:1:2", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin("/dev/sda", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin("", &ma, &mi), -EINVAL);
	CHECK_INT(parse_majmin(NULL, &ma, &mi), -EINVAL);
}

TEST(table_linear)
{
	struct dm_extent e[2];

	CHECK_INT(table_lower_extents("linear", "8:3 3049472", 285212672, e, 2), 1);
	CHECK_INT(e[0].major, 8);
	CHECK_INT(e[0].minor, 3);
	CHECK_INT(e[0].offset, 3049472);
	CHECK_INT(e[0].length, 285212672);
	/* room for none: validated, nothing filled */
	CHECK_INT(table_lower_extents("linear", "8:3 0", 8, NULL, 0), 0);
	CHECK_INT(table_lower_extents("linear", "8:3", 8, e, 2), -EINVAL);
	CHECK_INT(table_lower_extents("linear", "8:3 1 2", 8, e, 2), -EINVAL);
	CHECK_INT(table_lower_extents("linear", "sda 0", 8, e, 2), -EINVAL);
	CHECK_INT(table_lower_extents("linear", "", 8, e, 2), -EINVAL);
	/* an extent that would wrap around the end of the device */
	CHECK_INT(table_lower_extents("linear", "8:3 18446744073709551615", 2, e, 2), -EINVAL);
}

TEST(table_striped)
{
	struct dm_extent e[4];

	CHECK_INT(table_lower_extents("striped", "2 128 8:16 2048 8:32 4096", 4194304, e, 4), 2);
	CHECK_INT(e[0].major, 8);
	CHECK_INT(e[0].minor, 16);
	CHECK_INT(e[0].offset, 2048);
	CHECK_INT(e[0].length, 2097152);
	CHECK_INT(e[1].minor, 32);
	CHECK_INT(e[1].offset, 4096);
	CHECK_INT(e[1].length, 2097152);

	/* three stripes, room for two: all validated, two filled */
	CHECK_INT(table_lower_extents("striped", "3 8 8:16 0 8:32 0 8:48 0", 24, e, 2), 2);
	CHECK_INT(e[1].length, 8);
	CHECK_INT(table_lower_extents("striped", "3 8 8:16 0 8:32 0 8:48 x", 24, e, 2), -EINVAL);

	CHECK_INT(table_lower_extents("striped", "0 128", 8, e, 4), -EINVAL);
	CHECK_INT(table_lower_extents("striped", "2 0 8:16 0 8:32 0", 8, e, 4), -EINVAL);
	CHECK_INT(table_lower_extents("striped", "2 128 8:16 0", 8, e, 4), -EINVAL);
	CHECK_INT(table_lower_extents("striped", "2 128 8:16 0 8:32 0 8:48 0", 8, e, 4), -EINVAL);
	CHECK_INT(table_lower_extents("striped", "4294967295 8 8:16 0", 8, e, 4), -EINVAL);
	CHECK_INT(table_lower_extents("striped", "18446744073709551615 8 8:16 0", 8, e, 4),
		  -EINVAL);
}

TEST(table_other_types_and_bad_args)
{
	struct dm_extent e[1];

	CHECK_INT(table_lower_extents("thin", "254:4 1", 8, e, 1), 0);
	CHECK_INT(table_lower_extents("error", "", 8, e, 1), 0);
	CHECK_INT(table_lower_extents(NULL, "8:3 0", 8, e, 1), -EINVAL);
	CHECK_INT(table_lower_extents("linear", NULL, 8, e, 1), -EINVAL);
	CHECK_INT(table_lower_extents("linear", "8:3 0", 8, NULL, 1), -EINVAL);
	CHECK_INT(table_lower_extents("linear", "8:3 0", 8, e, -1), -EINVAL);
}

TEST(table_thin)
{
	uint32_t ma = 0, mi = 0;
	uint64_t id = 0;

	CHECK_INT(parse_thin_table("254:4 1", &ma, &mi, &id), 0);
	CHECK_INT(ma, 254);
	CHECK_INT(mi, 4);
	CHECK_INT(id, 1);
	/* external origin */
	CHECK_INT(parse_thin_table("254:4 7 254:20", &ma, &mi, &id), 0);
	CHECK_INT(id, 7);
	CHECK_INT(parse_thin_table("254:4 7 254:20", NULL, NULL, NULL), 0);
	CHECK_INT(parse_thin_table("254:4", &ma, &mi, &id), -EINVAL);
	CHECK_INT(parse_thin_table("254:4 x", &ma, &mi, &id), -EINVAL);
	CHECK_INT(parse_thin_table("254:4 7 origin", &ma, &mi, &id), -EINVAL);
	CHECK_INT(parse_thin_table("254:4 7 254:20 1", &ma, &mi, &id), -EINVAL);
	CHECK_INT(parse_thin_table("", &ma, &mi, &id), -EINVAL);
	CHECK_INT(parse_thin_table(NULL, &ma, &mi, &id), -EINVAL);
}

TEST(table_snapshot)
{
	uint32_t oma = 0, omi = 0, cma = 0, cmi = 0;

	CHECK_INT(parse_snapshot_table("254:10 254:11 P 8", &oma, &omi, &cma, &cmi), 0);
	CHECK_INT(oma, 254);
	CHECK_INT(omi, 10);
	CHECK_INT(cma, 254);
	CHECK_INT(cmi, 11);
	CHECK_INT(parse_snapshot_table("254:10 254:11 N 16", &oma, &omi, &cma, &cmi), 0);
	CHECK_INT(parse_snapshot_table("254:10 254:11 PO 16", &oma, &omi, &cma, &cmi), 0);
	CHECK_INT(parse_snapshot_table("254:10 254:11 p 16", NULL, NULL, NULL, NULL), 0);
	/* 5.x feature group */
	CHECK_INT(parse_snapshot_table("254:10 254:11 P 8 2 discard_zeroes_cow discard_passdown_origin",
				       &oma, &omi, &cma, &cmi), 0);
	CHECK_INT(parse_snapshot_table("254:10 254:11 P 8 1 discard_zeroes_cow discard_passdown_origin",
				       &oma, &omi, &cma, &cmi), -EINVAL);
	CHECK_INT(parse_snapshot_table("254:10 254:11 P 8 3 a b", &oma, &omi, &cma, &cmi), -EINVAL);
	CHECK_INT(parse_snapshot_table("254:10 254:11 X 8", &oma, &omi, &cma, &cmi), -EINVAL);
	CHECK_INT(parse_snapshot_table("254:10 254:11 P", &oma, &omi, &cma, &cmi), -EINVAL);
	CHECK_INT(parse_snapshot_table("254:10 P 8", &oma, &omi, &cma, &cmi), -EINVAL);
	CHECK_INT(parse_snapshot_table("", &oma, &omi, &cma, &cmi), -EINVAL);
	CHECK_INT(parse_snapshot_table(NULL, &oma, &omi, &cma, &cmi), -EINVAL);
}

/* ---- captured dmsetup output ---- */

struct dm_out_line {
	char *name;
	uint64_t start, length;
	char *type;
	char *params;
};

/* "<name>: <start> <len> <type> <params>" as dmsetup table/status print it */
static int split_dmsetup_line(char *line, struct dm_out_line *l)
{
	char *colon = strstr(line, ": "), *end;

	if (!colon)
		return -1;
	*colon = 0;
	l->name = line;
	l->start = strtoull(colon + 2, &end, 10);
	l->length = strtoull(end, &end, 10);
	while (*end == ' ')
		end++;
	l->type = end;
	end = strchr(end, ' ');
	if (!end)
		return -1;
	*end = 0;
	l->params = end + 1;
	return 0;
}

TEST(captured_table)
{
	char *buf = NULL, *cur, *line;
	int lines = 0, extents = 0;

	CHECK_INT(read_file(FIXTURES "/status/pve-node.table", &buf, NULL, 1 << 20), 0);
	if (!buf)
		return;
	for (cur = buf; (line = strsep(&cur, "\n"));) {
		struct dm_out_line l;
		struct dm_extent e[4];
		uint32_t ma = 0, mi = 0, cma = 0, cmi = 0;
		uint64_t id = 0;
		int n;

		if (!*line)
			continue;
		if (split_dmsetup_line(line, &l)) {
			FAIL_AT("fixture line '%s'", line);
			continue;
		}
		lines++;
		n = table_lower_extents(l.type, l.params, l.length, e, 4);
		if (n < 0)
			FAIL_AT("%s: extents of '%s' -> %d", l.name, l.params, n);
		else
			extents += n;
		if (!strcmp(l.name, "pve-data_tdata")) {
			CHECK_INT(n, 1);
			CHECK_INT(e[0].offset, 3049472);
		}
		if (!strcmp(l.name, "vg0-striped")) {
			CHECK_INT(n, 2);
			CHECK_INT(e[1].minor, 32);
			CHECK_INT(e[1].length, 2097152);
		}
		if (!strcmp(l.type, "thin"))
			CHECK_INT(parse_thin_table(l.params, &ma, &mi, &id), 0);
		if (!strcmp(l.name, "pve-vm--102--disk--0"))
			CHECK_INT(id, 7);
		if (!strcmp(l.type, "snapshot")) {
			CHECK_INT(parse_snapshot_table(l.params, &ma, &mi, &cma, &cmi), 0);
			CHECK_INT(cmi, 11);
		}
	}
	CHECK_INT(lines, 11);
	CHECK_INT(extents, 7);
	free(buf);
}

TEST(captured_status)
{
	char *buf = NULL, *cur, *line;
	int parsed = 0;

	CHECK_INT(read_file(FIXTURES "/status/pve-node.status", &buf, NULL, 1 << 20), 0);
	if (!buf)
		return;
	for (cur = buf; (line = strsep(&cur, "\n"));) {
		struct dm_out_line l;

		if (!*line)
			continue;
		if (split_dmsetup_line(line, &l)) {
			FAIL_AT("fixture line '%s'", line);
			continue;
		}
		if (!strcmp(l.type, "thin-pool")) {
			struct thin_pool_status p;

			CHECK_INT(parse_thin_pool_status(l.params, &p), 0);
			CHECK_INT(p.used_data, 45621);
			parsed++;
		} else if (!strcmp(l.type, "thin")) {
			struct thin_status t;

			CHECK_INT(parse_thin_status(l.params, &t), 0);
			parsed++;
		} else if (!strcmp(l.type, "snapshot")) {
			struct snapshot_status s;

			CHECK_INT(parse_snapshot_status(l.params, &s), 0);
			CHECK_DBL(100.0 * s.allocated / s.total, 91.2109375);
			parsed++;
		} else if (!strcmp(l.type, "multipath")) {
			struct multipath_status m;

			CHECK_INT(parse_multipath_status(l.params, &m), 0);
			CHECK_INT(m.n_failed, 1);
			parsed++;
		}
	}
	CHECK_INT(parsed, 5);
	free(buf);
}

/* ---- robustness: every prefix of good lines and pseudo-random garbage ---- */

/* Runs every parser on s; returns how many answered something other than 0 / -EINVAL. */
static int feed_all(const char *s)
{
	struct snapshot_status ss;
	struct thin_pool_status tp;
	struct thin_status ts;
	struct multipath_status mp;
	struct dm_extent e[3];
	uint32_t a, b, c, d;
	uint64_t id;
	int r[10], i, bad = 0;

	r[0] = parse_snapshot_status(s, &ss);
	r[1] = parse_thin_pool_status(s, &tp);
	r[2] = parse_thin_status(s, &ts);
	r[3] = parse_multipath_status(s, &mp);
	r[4] = table_lower_extents("linear", s, 1024, e, 3);
	r[5] = table_lower_extents("striped", s, 1024, e, 3);
	r[6] = parse_thin_table(s, &a, &b, &id);
	r[7] = parse_snapshot_table(s, &a, &b, &c, &d);
	r[8] = parse_majmin(s, &a, &b);
	r[9] = 0;
	for (i = 0; i < 10; i++)
		if (r[i] != 0 && r[i] != -EINVAL && !(i >= 4 && i <= 5 && r[i] > 0 && r[i] <= 3)) {
			fprintf(stderr, "  parser %d returned %d for '%s'\n", i, r[i], s);
			bad++;
		}
	/* the failed path list is always a string inside its buffer */
	if (memchr(mp.failed_paths, 0, sizeof(mp.failed_paths)) == NULL) {
		fprintf(stderr, "  failed_paths not terminated for '%s'\n", s);
		bad++;
	}
	return bad;
}

TEST(parsers_survive_prefixes_and_garbage)
{
	static const char *const good[] = {
		"12 1211/779264 45621/2228224 - rw no_discard_passdown queue_if_no_space - 1024",
		"2 0 0 0 2 1 A 0 1 2 8:16 A 0 0 1 E 0 1 2 8:32 F 1 0 1",
		"7651072/8388608 30080", "Merge failed", "2 128 8:16 2048 8:32 4096",
		"254:10 254:11 PO 8 2 discard_zeroes_cow discard_passdown_origin", "254:4 7 254:20",
	};
	static const char alphabet[] = "0123456789 /:-AFEDPOrwx\t";
	unsigned int seed = 12345;
	char buf[160];
	size_t i, j;
	int bad = 0;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		for (j = 0; j <= strlen(good[i]); j++) {
			memcpy(buf, good[i], j);
			buf[j] = 0;
			bad += feed_all(buf);
		}
	}
	for (i = 0; i < 20000; i++) {
		size_t len = (seed = seed * 1103515245 + 12345) % (sizeof(buf) - 1);

		for (j = 0; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			buf[j] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		buf[len] = 0;
		bad += feed_all(buf);
	}
	/* 20-digit-plus numbers everywhere */
	memset(buf, '9', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	bad += feed_all(buf);
	CHECK_INT(bad, 0);
}
