// SPDX-License-Identifier: GPL-2.0
/*
 * report / whois / explain: times as typed and as kernel logs print them, the name
 * history (rename, remove, minor reuse, devices known only from scans, events that
 * arrive after the scan that saw their effect), and the commands on the seed 002
 * recording (tests/fixtures/recorder), also damaged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>
#include "test.h"
#include "lib/width.h"
#include "jtree.h"
#include "postmortem/postmortem.h"
#include "lib/escape.h"
#include "lib/util.h"
#include "../fuzz/fuzz_rec.h"

#define REC_DIR FIXTURES "/recorder"
#define INCIDENT REC_DIR "/incident-002"
#define S ((int64_t)1000000000)
#define DEV(mi) (253u << DMW_MINORBITS | (mi))
/* 2025-10-27 05:30:00 UTC */
#define T0 ((int64_t)1761543000)

/* ---- helpers ---- */

static char *saved_tz;

static void tz_set(const char *tz)
{
	const char *old = getenv("TZ");

	free(saved_tz);
	saved_tz = old ? xstrdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void tz_restore(void)
{
	if (saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
	saved_tz = NULL;
}

static struct pm_opts opts(const char *dir)
{
	struct pm_opts o = { .dir = dir, .since_ns = INT64_MIN, .until_ns = INT64_MAX,
			     .now_ns = (T0 + 86400) * S };

	return o;
}

/* run fn with stdout/stderr captured in memory */
struct capture {
	char *out;
	size_t len;
	FILE *f;
	int saved_err;
};

static FILE *cap_start(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->out, &c->len);
	/* warnings go to stderr: keep the test output readable */
	fflush(stderr);
	c->saved_err = dup(2);
	if (c->saved_err >= 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		close(null);
	}
	return c->f;
}

static void cap_end(struct capture *c)
{
	fclose(c->f);
	if (c->saved_err >= 0) {
		fflush(stderr);
		dup2(c->saved_err, 2);
		close(c->saved_err);
	}
}

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/dmwatch-test-pm.XXXXXX");

	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static void run(const char *cmd)
{
	if (system(cmd))
		fprintf(stderr, "  command failed: %s\n", cmd);
}

static void rmdir_all(char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);

	run(cmd);
	free(cmd);
	free(d);
}

/* ---- times ---- */

static void check_time(const char *s, int64_t want_s, int64_t want_ns, int64_t want_res, int line)
{
	int64_t t = 0, res = 0;
	int e = pm_parse_time(s, (T0 + 3600) * S, &t, &res);

	if (e || t != want_s * S + want_ns || res != want_res)
		fprintf(stderr, "  line %d: \"%s\" -> %d, %lld (res %lld), expected %lld (res %lld)\n",
			line, s, e, (long long)t, (long long)res, (long long)(want_s * S + want_ns),
			(long long)want_res);
}

#define TIME_OK(s, sec, ns, res) do {						\
	int64_t t__ = 0, r__ = 0;						\
	if (pm_parse_time(s, (T0 + 3600) * S, &t__, &r__) || t__ != (int64_t)(sec) * S + (ns) || \
	    r__ != (res)) {							\
		check_time(s, sec, ns, res, __LINE__);				\
		*failed__ = 1;							\
	}									\
} while (0)

TEST(pm_time_formats)
{
	int64_t t, r;
	time_t now_s;
	struct tm tm;

	tz_set("UTC");
	TIME_OK("2025-10-27 05:38:02", T0 + 482, 0, S);
	TIME_OK("  2025-10-27 05:38:02  ", T0 + 482, 0, S);
	TIME_OK("2025-10-27T05:38:02", T0 + 482, 0, S);
	TIME_OK("2025-10-27T05:38:02Z", T0 + 482, 0, S);
	TIME_OK("2025-10-27T07:38:02+02:00", T0 + 482, 0, S);
	TIME_OK("2025-10-27T04:38:02-0100", T0 + 482, 0, S);
	TIME_OK("2025-10-27T05:38:02.25Z", T0 + 482, 250000000, 10000000);
	TIME_OK("2025-10-27 05:38:02,123456", T0 + 482, 123456000, 1000);
	TIME_OK("2025-10-27 05:38", T0 + 480, 0, 60 * S);
	TIME_OK("2025-10-27", T0 - 19800, 0, 86400 * S);
	TIME_OK("@1761543482", T0 + 482, 0, S);
	TIME_OK("@1761543482.5", T0 + 482, 500000000, 100000000);
	TIME_OK("-10m", T0 + 3600 - 600, 0, S);
	TIME_OK("-2h", T0 - 3600, 0, S);
	TIME_OK("-1d", T0 + 3600 - 86400, 0, S);
	TIME_OK("-30s", T0 + 3570, 0, S);
	TIME_OK("-1w", T0 + 3600 - 7 * 86400, 0, S);
	TIME_OK("now", T0 + 3600, 0, S);
	/* what journalctl users type: day words are midnight, a point in time */
	TIME_OK("today", T0 - 19800, 0, S);
	TIME_OK("Yesterday", T0 - 19800 - 86400, 0, S);
	TIME_OK(" tomorrow ", T0 - 19800 + 86400, 0, S);
	TIME_OK("1h ago", T0, 0, S);
	TIME_OK("10 min ago", T0 + 3000, 0, S);
	TIME_OK("10min ago", T0 + 3000, 0, S);
	TIME_OK("1h 30min ago", T0 - 1800, 0, S);
	TIME_OK("1 hour 30 minutes ago", T0 - 1800, 0, S);
	TIME_OK("2 days ago", T0 + 3600 - 2 * 86400, 0, S);
	TIME_OK("1 week ago", T0 + 3600 - 7 * 86400, 0, S);
	TIME_OK("45 sec ago", T0 + 3555, 0, S);
	TIME_OK("-1h30m", T0 - 1800, 0, S);
	TIME_OK("-2 hours", T0 - 3600, 0, S);
	/* pasted from dmesg -T or syslog */
	TIME_OK("[Mon Oct 27 05:38:02 2025]", T0 + 482, 0, S);
	TIME_OK("Mon Oct 27 05:38:02 2025", T0 + 482, 0, S);
	TIME_OK("Oct 27 05:38:02 2025", T0 + 482, 0, S);
	TIME_OK("Oct 27 05:38:02", T0 + 482, 0, S);	/* year of "now" */
	/* a clock alone: that time today */
	CHECK_INT(pm_parse_time("05:38:02", (T0 + 3600) * S, &t, &r), 0);
	CHECK_INT(t, (T0 + 482) * S);
	now_s = T0 + 3600;
	gmtime_r(&now_s, &tm);
	CHECK_INT(tm.tm_hour, 6);
	tz_restore();
}

TEST(pm_time_local_zone)
{
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK))
		return;		/* no tzdata here */
	tz_set("Europe/Berlin");
	/* CET (+1) after the end of summer time on Oct 26, CEST (+2) in July */
	TIME_OK("2025-10-27 06:38:02", T0 + 482, 0, S);
	TIME_OK("[Mon Oct 27 06:38:02 2025]", T0 + 482, 0, S);
	TIME_OK("2025-07-01 12:00:00", 1751364000, 0, S);
	/* midnight in local time, across the end of summer time: yesterday had 25 hours */
	TIME_OK("today", 1761519600, 0, S);		/* Oct 27 00:00 CET */
	TIME_OK("yesterday", 1761429600, 0, S);		/* Oct 26 00:00 CEST */
	TIME_OK("2025-10-27T05:38:02Z", T0 + 482, 0, S);	/* explicit zones win */
	tz_restore();
}

TEST(pm_time_bad)
{
	static const char *const bad[] = {
		"", "   ", "garbage", "2025-13-01", "2025-02-30 10:00", "2025-10-27 25:00",
		"2025-10-27 05:61", "2025-10-27T05:38:02+25:00", "2025-10-27 05:38:02 trailing",
		"-10x", "-m", "--10m", "@", "@abc", "@12x", "1969-12-31", "10/27/2025",
		"Foo 27 05:38:02", "Oct 32 05:38:02", "Oct 27", "[Mon Oct 27 05:38:02 2025",
		"05:38:02:07", "now please",
		"1h", "ago", "h ago", "1h ago now", "1 parsec ago", "1h agoo", "yesterdays",
		"today 05:00", "-1h ago", "10 min  ago ago", "1h -", "999999999999h ago",
		"-999999999 weeks",
	};
	int64_t t, r;

	tz_set("UTC");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (pm_parse_time(bad[i], T0 * S, &t, &r) != -EINVAL)
			FAIL_AT("\"%s\" accepted as %lld", bad[i], (long long)t);
	CHECK_INT(pm_parse_time(NULL, T0 * S, &t, &r), -EINVAL);
	tz_restore();
}

TEST(pm_log_time_formats)
{
	struct pm_log_ctx ctx = { .ref_ns = (T0 + 900) * S, .have_boot = true,
				  .boot_offset_ns = (T0 - 19800) * S };
	static const struct {
		const char *line;
		int64_t sec, ns, res;
	} ok[] = {
		{ "[Mon Oct 27 05:38:02 2025] Buffer I/O error on dev dm-54", T0 + 482, 0, S },
		{ "[Mon Oct  7 05:38:02 2025] x", T0 + 482 - 20 * 86400, 0, S },
		{ "[2025-10-27T05:38:02,123456+00:00] dm-54", T0 + 482, 123456000, 1000 },
		{ "[20282.100000] Buffer I/O error", T0 + 482, 100000000, S },
		{ "[    5.000001] early", T0 - 19800 + 5, 1000, S },
		{ "Oct 27 05:38:02 pve1 kernel: Buffer I/O error", T0 + 482, 0, S },
		{ "Oct 27 05:38:02.101234 pve1 kernel: x", T0 + 482, 101234000, 1000 },
		{ "2025-10-27T05:38:02+0000 pve1 kernel: x", T0 + 482, 0, S },
		{ "2025-10-27T06:38:02.5+01:00 pve1 kernel: x", T0 + 482, 500000000, 100000000 },
		{ "2025-10-27 05:38:02 pve1 kernel: x", T0 + 482, 0, S },
		{ "Mon 2025-10-27 05:38:02 UTC pve1 kernel: x", T0 + 482, 0, S },
	};
	static const char *const none[] = {
		"", "no time", "-- Boot 5b1f --", "[Foo Bar 99 99:99:99 2025] x", "[] x",
		"Oct 32 05:38:02 pve1", "[Mon Oct 27 05:38:02] x", "[12.5.6] x", "2025-10-27 x",
		"[2025-10-27T05:38:02 x", "Oct 27 5:3:02 x", "[abc] dm-54",
	};
	int64_t t, r;

	tz_set("UTC");
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		if (!pm_log_time(ok[i].line, &ctx, &t, &r))
			FAIL_AT("no time in \"%s\"", ok[i].line);
		else if (t != ok[i].sec * S + ok[i].ns || r != ok[i].res)
			FAIL_AT("\"%s\": %lld res %lld", ok[i].line, (long long)t, (long long)r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(none); i++)
		if (pm_log_time(none[i], &ctx, &t, &r))
			FAIL_AT("a time in \"%s\": %lld", none[i], (long long)t);
	/* raw dmesg of an unknown boot has no wall time */
	ctx.have_boot = false;
	CHECK(!pm_log_time("[20282.100000] x", &ctx, &t, &r));
	/* syslog has no year: December seen from January is last year's */
	ctx.ref_ns = 1767312000 * S;	/* 2026-01-02 */
	CHECK(pm_log_time("Dec 31 23:59:59 h kernel: x", &ctx, &t, &r));
	CHECK_INT(t, 1767225599 * S);	/* 2025-12-31 23:59:59 */
	CHECK(pm_log_time("Jan  1 00:00:01 h kernel: x", &ctx, &t, &r));
	CHECK_INT(t, 1767225601 * S);
	tz_restore();
}

TEST(pm_parse_dev_forms)
{
	uint32_t dev;
	bool mo;

	CHECK(pm_parse_dev("dm-54", &dev, &mo));
	CHECK_INT(dev, 54);
	CHECK(mo);
	CHECK(pm_parse_dev("/dev/dm-0", &dev, &mo));
	CHECK_INT(dev, 0);
	CHECK(pm_parse_dev("254:54", &dev, &mo));
	CHECK_INT(dev, 254u << 20 | 54);
	CHECK(!mo);
	static const char *const names[] = { "pve-root", "dm-", "dm-5x", "dm--5", "54", ":5", "5:",
					     "254:54:1", "dm-99999999", "vg/lv", "", "dm- 5" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (pm_parse_dev(names[i], &dev, &mo))
			FAIL_AT("\"%s\" taken for a device number", names[i]);
}

/* ---- name history on hand-made records ---- */

static void k(struct history *h, int64_t t, uint32_t type, uint32_t minor, const char *name,
	      const char *new_name, uint32_t pid, const char *comm)
{
	struct dmw_event e = { .type = type, .pid = pid, .dev = minor ? DEV(minor) : 0 };
	struct rec r = { .kind = REC_KERNEL, .unix_ns = t };

	snprintf(e.name, sizeof(e.name), "%s", name ? name : "");
	snprintf(e.new_name, sizeof(e.new_name), "%s", new_name ? new_name : "");
	snprintf(e.comm, sizeof(e.comm), "%s", comm ? comm : "");
	r.k.ev = &e;
	history_add(h, &r);
}

static void dl(struct history *h, int64_t t, bool full, const struct rec_devent *d, size_t n)
{
	struct rec r = { .kind = REC_DEVLIST, .unix_ns = t, .dl = { full, d, n } };

	history_add(h, &r);
}

static const char *who(const struct history *h, uint32_t minor, int64_t t, int64_t res,
		       enum pm_match *how)
{
	struct pm_lookup lu;

	history_lookup(h, minor, true, t, res, &lu);
	*how = lu.how;
	return lu.span ? lu.span->name : NULL;
}

#define WHO(h, minor, t, res, name, match) do {				\
	enum pm_match m__;						\
	const char *n__ = who(h, minor, t, res, &m__);			\
	if ((name) == NULL ? n__ != NULL : !n__ || strcmp(n__, (name) ? (name) : "") || m__ != (match)) \
		FAIL_AT("dm-%u at %lld: %s (%d), expected %s (%d)", minor, (long long)(t), \
			n__ ? n__ : "none", m__, (name) ? (name) : "none", match); \
} while (0)

TEST(history_rename_remove_and_minor_reuse)
{
	struct history *h = history_new();
	const struct dev_span *s;

	k(h, 10 * S, DMW_EV_DM_CREATE, 5, "a", NULL, 100, "lvcreate");
	k(h, 20 * S, DMW_EV_DM_RENAME, 5, "a", "b", 101, "lvrename");
	{
		/* a failed create changes nothing */
		struct dmw_event e = { .type = DMW_EV_DM_CREATE, .ret = -16, .pid = 102 };
		struct rec r = { .kind = REC_KERNEL, .unix_ns = 25 * S, .k = { &e, NULL } };

		strcpy(e.name, "c");
		history_add(h, &r);
	}
	k(h, 30 * S, DMW_EV_DM_REMOVE, 5, "b", NULL, 103, "lvremove");
	k(h, 40 * S, DMW_EV_DM_CREATE, 5, "c", NULL, 104, "lvcreate");
	/* the recorder ran on and saw no remove of c */
	k(h, 50 * S, DMW_EV_DM_RESUME, 6, "other", NULL, 105, "dmsetup");
	history_finish(h);

	WHO(h, 5, 5 * S, 1, NULL, PM_NONE);
	WHO(h, 5, 15 * S, 1, "a", PM_EXACT);
	WHO(h, 5, 25 * S, S, "b", PM_EXACT);
	WHO(h, 5, 30 * S + S / 2, S, "b", PM_NEAR);	/* just after the remove: the log's clock */
	WHO(h, 5, 35 * S, S, NULL, PM_NONE);		/* between remove and reuse */
	WHO(h, 5, 45 * S, S, "c", PM_EXACT);
	WHO(h, 5, 41 * S, 1, "c", PM_EXACT);		/* the open span lasts */
	WHO(h, 5, 55 * S, 1, "c", PM_NEAR);		/* after the recording */
	WHO(h, 5, -1, 0, "c", PM_LATEST);
	/* a whole second that holds the rename: both are candidates */
	{
		struct pm_lookup lu;

		history_lookup(h, 5, true, 20 * S - S / 2, S, &lu);
		CHECK(lu.span && lu.other);
		CHECK_INT(lu.how, PM_EXACT);
	}
	CHECK_INT(history_count(h), 4);
	s = history_span(h, 0);
	CHECK_STR(s->name, "a");
	CHECK_STR(s->start_how, "created");
	CHECK_INT(s->start_pid, 100);
	CHECK_STR(s->end_how, "renamed");
	CHECK_STR(s->renamed_to, "b");
	CHECK(s->until_exact);
	s = history_span(h, 1);
	CHECK_STR(s->renamed_from, "a");
	CHECK_STR(s->end_how, "removed");
	CHECK_STR(s->end_comm, "lvremove");
	CHECK_INT(s->until_ns, 30 * S);
	CHECK(history_span(h, 2)->open);
	/* by major:minor: the right major only */
	{
		struct pm_lookup lu;

		history_lookup(h, DEV(5), false, 15 * S, 1, &lu);
		CHECK(lu.span && !strcmp(lu.span->name, "a"));
		history_lookup(h, 254u << 20 | 5, false, 15 * S, 1, &lu);
		CHECK_NULL(lu.span);
	}
	history_free(h);
}

/* a hostile log's times can lie anywhere in int64_t: lookups near them must not overflow */
TEST(history_times_at_the_ends_of_int64)
{
	struct history *h = history_new();

	k(h, INT64_MIN + 1, DMW_EV_DM_CREATE, 5, "a", NULL, 100, "lvcreate");
	k(h, INT64_MIN + 2, DMW_EV_DM_REMOVE, 5, "a", NULL, 101, "lvremove");
	k(h, INT64_MAX - 2, DMW_EV_DM_CREATE, 6, "b", NULL, 102, "lvcreate");
	history_finish(h);
	/* long after a's exact removal (its "near" window reaches below INT64_MIN) */
	WHO(h, 5, 0, 1, NULL, PM_NONE);
	WHO(h, 5, 1, INT64_MAX, NULL, PM_NONE);
	/* after the recording's end, b still there: near (its window reaches past INT64_MAX) */
	WHO(h, 6, INT64_MAX - 1, INT64_MAX, "b", PM_NEAR);
	history_free(h);
}

TEST(history_from_scans_only)
{
	struct history *h = history_new();
	struct rec_devent first[] = {
		{ .dev = DEV(0), .name = "pve-root", .target = "linear" },
		{ .dev = DEV(7), .name = "x", .target = "linear" },
		{ .dev = DEV(8), .name = "y", .target = "linear" },
	};
	struct rec_devent second[] = {
		{ .dev = DEV(0), .name = "pve-root" },
		{ .dev = DEV(8), .name = "z" },		/* renamed without an event */
	};
	struct rec cow = { .kind = REC_COW, .unix_ns = 150 * S };

	dl(h, 100 * S, true, first, 3);
	cow.cow = (struct cow_sample){ .name = "x", .dev = DEV(7), .kind = "lvm-snapshot" };
	history_add(h, &cow);
	dl(h, 200 * S, true, second, 2);
	dl(h, 300 * S, false, NULL, 0);		/* an empty delta confirms the rest */
	history_finish(h);

	WHO(h, 0, 50 * S, 1, "pve-root", PM_NEAR);	/* before the recording: probably */
	WHO(h, 0, 150 * S, 1, "pve-root", PM_EXACT);
	WHO(h, 0, 400 * S, 1, "pve-root", PM_NEAR);	/* after the end */
	WHO(h, 7, 120 * S, 1, "x", PM_EXACT);		/* seen at 100 and (sample) at 150 */
	WHO(h, 7, 170 * S, 1, "x", PM_NEAR);		/* gone by 200, when exactly unknown */
	WHO(h, 7, 250 * S, 1, NULL, PM_NONE);
	WHO(h, 8, 150 * S, 1, "y", PM_NEAR);
	WHO(h, 8, 250 * S, 1, "z", PM_EXACT);
	{
		const struct dev_span *x = NULL;

		for (size_t i = 0; i < history_count(h); i++)
			if (!strcmp(history_span(h, i)->name, "x"))
				x = history_span(h, i);
		CHECK(x && !x->from_exact && !x->until_exact);
		CHECK(x && !strcmp(x->end_how, "gone") && x->last_seen_ns == 150 * S);
		CHECK(x && !strcmp(x->target, "linear"));
	}
	history_free(h);
}

TEST(history_events_after_their_scan)
{
	struct history *h = history_new();
	struct rec_devent all[] = { { .dev = DEV(3), .name = "old" } };
	struct rec_devent seen[] = { { .dev = DEV(4), .name = "new", .uuid = "LVM-n",
				       .target = "snapshot", .params = "253:1 253:2 P 8" } };
	struct rec_devent gone[] = { { .dev = DEV(3), .name = "old", .gone = true } };
	const struct dev_span *s;

	dl(h, 10 * S, true, all, 1);
	/* the scan at 20 saw "new" and missed "old"; their events (19.9) came after it */
	dl(h, 20 * S, false, seen, 1);
	dl(h, 20 * S, false, gone, 1);
	k(h, 20 * S - S / 10, DMW_EV_DM_CREATE, 4, "new", NULL, 200, "lvcreate");
	k(h, 20 * S - S / 10, DMW_EV_DM_REMOVE, 3, "old", NULL, 201, "lvremove");
	history_finish(h);

	CHECK_INT(history_count(h), 2);
	for (size_t i = 0; i < history_count(h); i++) {
		s = history_span(h, i);
		if (!strcmp(s->name, "new")) {
			CHECK(s->from_exact);
			CHECK_INT(s->from_ns, 20 * S - S / 10);
			CHECK_STR(s->start_how, "created");
			CHECK_INT(s->start_pid, 200);
			CHECK_STR(s->uuid, "LVM-n");
			CHECK_STR(s->params, "253:1 253:2 P 8");
		} else {
			CHECK(s->until_exact);
			CHECK_INT(s->until_ns, 20 * S - S / 10);
			CHECK_STR(s->end_how, "removed");
			CHECK_STR(s->end_comm, "lvremove");
		}
	}
	WHO(h, 4, 19 * S + S / 2, 1, "new", PM_NEAR);	/* 0.4 s early: the log's clock */
	WHO(h, 4, 19 * S + S / 2, S, "new", PM_EXACT);	/* the second holds the create */
	WHO(h, 4, 15 * S, S, NULL, PM_NONE);
	history_free(h);
}

TEST(history_remove_all_uuid_rename_and_errors)
{
	struct history *h = history_new();
	struct dmw_event e = { .type = DMW_EV_DM_RENAME, .dev = DEV(1), .flags = DM_UUID_FLAG };
	struct dmw_event io = { .type = DMW_EV_IO_ERROR, .dev = DEV(9), .error = -5 };
	struct name_entry nm = { .dev = DEV(9) };
	struct rec r = { .kind = REC_KERNEL, .unix_ns = 15 * S, .k = { &e, NULL } };

	k(h, 10 * S, DMW_EV_DM_CREATE, 1, "p", NULL, 1, "dmsetup");
	k(h, 11 * S, DMW_EV_DM_CREATE, 2, "q", NULL, 1, "dmsetup");
	strcpy(e.name, "p");
	strcpy(e.new_name, "CRYPT-xyz");
	history_add(h, &r);
	/* an error on a device we never saw created: named by the tracer */
	strcpy(nm.name, "mystery");
	r = (struct rec){ .kind = REC_KERNEL, .unix_ns = 16 * S, .k = { &io, &nm } };
	history_add(h, &r);
	k(h, 20 * S, DMW_EV_DM_REMOVE_ALL, 0, NULL, NULL, 2, "dmsetup");
	history_finish(h);

	CHECK_INT(history_count(h), 3);
	CHECK_STR(history_span(h, 0)->uuid, "CRYPT-xyz");
	CHECK_STR(history_span(h, 0)->name, "p");
	CHECK_STR(history_span(h, 1)->end_how, "remove_all");
	WHO(h, 2, 21 * S, 1, "q", PM_NEAR);
	WHO(h, 2, 25 * S, 1, NULL, PM_NONE);
	WHO(h, 9, 16 * S, 1, "mystery", PM_EXACT);
	history_free(h);
}

/* ---- commands on the seed 002 recording ---- */

static int whois_with(const struct pm_opts *o, const char *what, const char *at, char **out)
{
	struct capture c;
	int ret;

	ret = pm_whois(cap_start(&c), o, what, at);
	cap_end(&c);
	*out = c.out;
	return ret;
}

static int whois(const char *dir, const char *what, const char *at, char **out)
{
	struct pm_opts o = opts(dir);

	return whois_with(&o, what, at, out);
}

#define HAS(text, s) do {							\
	if (!(text) || !strstr(text, s))					\
		FAIL_AT("no \"%s\" in:\n%s", s, (text) ? (text) : "(null)");	\
} while (0)
#define HASNT(text, s) do {							\
	if ((text) && strstr(text, s))						\
		FAIL_AT("\"%s\" should not be in:\n%s", s, text);		\
} while (0)

TEST(whois_on_the_incident)
{
	char *out;

	tz_set("UTC");
	CHECK_INT(whois(INCIDENT, "dm-54", "2025-10-27 05:38:02", &out), 0);
	HAS(out, "dm-54 (253:54) at 2025-10-27 05:38:02 was lvm-snap--473--1\n");
	HAS(out, "LVM        VG lvm, LV snap-473-1");
	HAS(out, "table      snapshot 253:52 253:53 P 8");
	HAS(out, "origin     lvm/vm-473-disk-1 (through dm-52 lvm-vm--473--disk--1-real)");
	HAS(out, "created    2025-10-27 05:36:58.005 by pid 4700 lvcreate");
	HAS(out, "removed    2025-10-27 05:38:05.004 by pid 4720 lvremove");
	HAS(out, "uuid       LVM-");
	free(out);

	/* dm-51 before and after its minor was reused */
	CHECK_INT(whois(INCIDENT, "dm-51", "2025-10-27 05:35:00", &out), 0);
	HAS(out, "was lvm-snap--473--0\n");
	HAS(out, "origin     lvm/vm-473-disk-0");
	free(out);
	CHECK_INT(whois(INCIDENT, "253:51", "Oct 27 05:44:05", &out), 0);
	HAS(out, "at 2025-10-27 05:44:05 was lvm-snap--473--1\n");
	HAS(out, "created    2025-10-27 05:41:55.005 by pid 4801 lvcreate");
	free(out);
	CHECK_INT(whois(INCIDENT, "dm-51", "[Mon Oct 27 05:41:51 2025]", &out), 0);
	HAS(out, "was probably lvm-snap--473--0");
	free(out);

	/* without --at: every device the number has been */
	CHECK_INT(whois(INCIDENT, "/dev/dm-51", NULL, &out), 0);
	HAS(out, "lvm-snap--473--0");
	HAS(out, "dm-51 (253:51) 2025-10-27 05:41:55 .. 2025-10-27 05:44:10");
	free(out);

	/* by dm name and by VG/LV */
	CHECK_INT(whois(INCIDENT, "lvm-snap--473--1", NULL, &out), 0);
	HAS(out, "dm-54 (253:54)");
	HAS(out, "dm-51 (253:51)");
	free(out);
	CHECK_INT(whois(INCIDENT, "lvm/snap-473-1", "2025-10-27T05:38:00Z", &out), 0);
	HAS(out, "dm-54 (253:54)");
	HASNT(out, "dm-51 (253:51)");
	free(out);
	CHECK_INT(whois(INCIDENT, "pve-root", NULL, &out), 0);
	HAS(out, "first seen 2025-10-27 05:30:00.050 (already there");
	HAS(out, "until      still there at the end of the recording (last seen 2025-10-27 05:45:00.000)");
	free(out);

	/* unknown: exit 1 with what is known; bad input: exit 3 */
	CHECK_INT(whois(INCIDENT, "dm-54", "2025-10-27 05:20:00", &out), 1);
	HAS(out, "no device the recording knows of (the recording covers 2025-10-27 05:30:00");
	HAS(out, "lvm-snap--473--1");
	free(out);
	CHECK_INT(whois(INCIDENT, "dm-99", NULL, &out), 1);
	HAS(out, "dm-99: not in the recording");
	free(out);
	CHECK_INT(whois(INCIDENT, "nosuch/lv", NULL, &out), 1);
	free(out);
	CHECK_INT(whois(INCIDENT, "dm-54", "yesterday-ish", &out), 3);
	free(out);
	CHECK_INT(whois("/nonexistent/rec", "dm-54", NULL, &out), 3);
	free(out);
	tz_restore();
}

static char *explain_file(const char *dir, const char *file, int *ret)
{
	struct pm_opts o = opts(dir);
	struct capture c;
	FILE *in = fopen(file, "r");

	if (!in)
		return NULL;
	*ret = pm_explain(cap_start(&c), in, &o);
	cap_end(&c);
	fclose(in);
	return c.out;
}

static void check_explain(const char *name, int *failed__)
{
	char *in = xasprintf("%s/%s.txt", REC_DIR, name), *exp = xasprintf("%s/%s.expected", REC_DIR, name);
	char *want = NULL, *got;
	size_t wlen = 0;
	int ret = -1;

	tz_set("UTC");
	got = explain_file(INCIDENT, in, &ret);
	CHECK_INT(ret, 0);
	CHECK_INT(read_file(exp, &want, &wlen, 1 << 20), 0);
	if (got && want && strcmp(got, want))
		FAIL_AT("explain %s:\n--- got ---\n%s\n--- expected ---\n%s", name, got, want);
	free(got);
	free(want);
	free(in);
	free(exp);
	tz_restore();
}

TEST(explain_dmesg_T)
{
	check_explain("dmesg-T", failed__);
}

TEST(explain_journalctl_and_raw_dmesg)
{
	check_explain("journal", failed__);
}

TEST(explain_unparseable_lines)
{
	check_explain("garbage", failed__);
}

TEST(explain_seed_lines)
{
	struct pm_opts o = opts(INCIDENT);
	struct capture c;
	char *out;
	FILE *in;
	int ret;

	tz_set("UTC");
	/* the exact lines of seed 002 */
	static char seed[] = "[Mon Oct 27 05:38:02 2025] Buffer I/O error on dev dm-54, logical "
		"block 5923136, async page read\n[Mon Oct 27 05:44:05 2025] Buffer I/O error on dev "
		"dm-51, logical block 6248768, async page read\n";

	in = fmemopen(seed, strlen(seed), "r");
	ret = pm_explain(cap_start(&c), in, &o);
	cap_end(&c);
	fclose(in);
	out = c.out;
	CHECK_INT(ret, 0);
	HAS(out, "Buffer I/O error on dev dm-54 [lvm-snap--473--1], logical block 5923136, async page read\n");
	HAS(out, "Buffer I/O error on dev dm-51 [lvm-snap--473--1], logical block 6248768");
	free(out);
	tz_restore();
}

static char *report(const struct pm_opts *o, int *ret)
{
	struct capture c;

	*ret = pm_report(cap_start(&c), o);
	cap_end(&c);
	return c.out;
}

TEST(report_on_the_incident)
{
	struct pm_opts o = opts(INCIDENT);
	char *out;
	int ret;

	tz_set("UTC");
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	HAS(out, "What happened:\n");
	HAS(out, "  lvm-snap--473--1 (dm-54): COW 100 % -> Invalid at 05:37:58 (last sample 99.1 % at "
		 "05:37:57); 3 read errors (EIO) by pid 4711 dd at 05:38:02\n");
	HAS(out, "  lvm-snap--473--1 (dm-51): COW 100 % -> Invalid at 05:44:00");
	HAS(out, "1 read error (EIO) by pid 4811 dd at 05:44:05");
	HAS(out, "lvm-vm--473--disk--1: create failed with EBUSY at 05:40:00 by pid 5000 qm");
	HAS(out, "2 events lost (ring full or probe skipped), first at 05:38:02");
	/* the summary is in time order and comes first */
	CHECK(strstr(out, "(dm-54): COW") < strstr(out, "(dm-51): COW"));
	CHECK(strstr(out, "What happened") < strstr(out, "Timeline"));
	HAS(out, "05:37:46.000  cow_usage        dm-54  lvm-snap--473--1                 COW 80.4 % (crossed 80 %");
	HAS(out, "05:37:55.000  cow_usage        dm-54  lvm-snap--473--1                 COW 95.7 % (crossed 95 %");
	HAS(out, "snapshot_invalid dm-54  lvm-snap--473--1                 state invalid");
	HAS(out, "io_error         dm-54  lvm-snap--473--1                 3 read errors EIO by pid 4711 dd (sector 47385088)");
	HAS(out, "dm_create        -      lvm-vm--473--disk--1             by pid 5000 qm FAILED EBUSY");
	HAS(out, "dm_remove        dm-54  lvm-snap--473--1                 by pid 4720 lvremove");
	HAS(out, "recorder_start   pid 900 on pve1 (kprobes on dm-ioctl)");
	HAS(out, "  dm-54   lvm-snap--473--1                        3      3      0  2025-10-27 05:38:02  pid 4711 dd");
	HAS(out, "  dm-51   lvm-snap--473--0                 lvm-snapshot    7.6  -        -        -         active");
	HAS(out, "Recording: ");
	free(out);

	/* a window: the invalidation before it still explains the errors in it */
	CHECK_INT(pm_parse_time("2025-10-27 05:38", o.now_ns, &o.since_ns, &(int64_t){ 0 }), 0);
	CHECK_INT(pm_parse_time("2025-10-27 05:39", o.now_ns, &o.until_ns, &(int64_t){ 0 }), 0);
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	HAS(out, "lvm-snap--473--1 (dm-54): 3 read errors (EIO) by pid 4711 dd at 05:38:02; snapshot "
		 "invalid since 05:37:58");
	HASNT(out, "(dm-51)");
	HASNT(out, "EBUSY");
	free(out);

	/* nothing in the window */
	o.since_ns = (T0 - 86400) * S;
	o.until_ns = (T0 - 80000) * S;
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	HAS(out, "nothing alarming");
	HAS(out, "(no events in this time range)");
	free(out);
	tz_restore();
}

/* at 80 columns: every line fits, prose wraps at blanks, the timeline keeps its columns */
TEST(report_at_80_columns)
{
	struct pm_opts o = opts(INCIDENT);
	char *out, *line, *save = NULL;
	int ret;

	tz_set("UTC");
	o.width = 80;
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	HAS(out, "  lvm-snap--473--1 (dm-54): COW 100 % -> Invalid at 05:37:58 (last sample 99.1 %\n"
		 "    at 05:37:57); 3 read errors (EIO) by pid 4711 dd at 05:38:02\n");
	HAS(out, "  05:37:46.000 cow_usage        dm-54  lvm-snap--473--1     COW 80.4 % (crossed\n"
		 "                  80 %; 17.4 MiB/s, full in 12 s)\n");
	HAS(out, "  05:30:05.001 dm_create        dm-49  lvm-vm--473--disk--~ by pid 4600 lvcreate\n");
	HAS(out, "  dm-54   lvm-snap--473--1        3      3      0  05:38:02  pid 4711 dd\n");
	HAS(out, "  dm-51   lvm-snap--473--0 snapshot     7.6  -        -        -         active\n");
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (term_cols(line) > 80 || line[strlen(line) - 1] == ' ')
			FAIL_AT("over 80 columns or ending in a blank: \"%s\"", line);
	}
	free(out);
	tz_restore();
}

TEST(report_json_is_the_trace_format)
{
	struct pm_opts o = opts(INCIDENT);
	char *out, *line, *save = NULL;
	int ret, lines = 0, io = 0, bad = 0, cow = 0;

	o.json = true;
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		yajl_val j = jt_parse(line, NULL, 0);
		const char *ev = jt_str(j, "event"), *ts = jt_str(j, "ts");

		lines++;
		if (!ev || !ts || strlen(ts) != 27)
			bad++;
		else if (!strcmp(ev, "io_error"))
			io++;
		else if (!strcmp(ev, "cow_usage"))
			cow++;
		yajl_tree_free(j);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(io, 4);
	CHECK(cow > 100);
	CHECK(lines > 200);
	free(out);

	/* exactly what trace --json prints */
	out = report(&o, &ret);
	HAS(out, "{\"ts\":\"2025-10-27T05:38:02.100000Z\",\"event\":\"io_error\",\"dev\":\"dm-54\","
		 "\"name\":\"lvm-snap--473--1\",\"uuid\":\"LVM-");
	HAS(out, "\"major\":253,\"minor\":54,\"sector\":47385088,\"bytes\":4096,\"op\":\"read\","
		 "\"errno\":\"EIO\",\"error\":-5,\"pid\":4711,\"comm\":\"dd\"}\n");
	HAS(out, "{\"ts\":\"2025-10-27T05:40:00.000000Z\",\"event\":\"dm_create\",\"name\":"
		 "\"lvm-vm--473--disk--1\",");
	HAS(out, "\"ret\":-16,\"errno\":\"EBUSY\",\"source\":\"kprobe\"}");
	HAS(out, "{\"ts\":\"2025-10-27T05:37:58.000000Z\",\"event\":\"snapshot_invalid\",\"name\":"
		 "\"lvm-snap--473--1\",\"dev\":\"dm-54\",\"state\":\"invalid\"}");
	HAS(out, "{\"ts\":\"2025-10-27T05:38:02.200000Z\",\"event\":\"lost\",\"count\":2}");
	HASNT(out, "session");
	free(out);
}

/* copy the incident into a scratch directory to damage it */
static char *incident_copy(void)
{
	char *d = tmpdir(), *cmd = xasprintf("cp %s/seg-*.dmw '%s'/", INCIDENT, d);

	run(cmd);
	free(cmd);
	return d;
}

static void damage(const char *dir, const char *how)
{
	char *cmd = xasprintf("cd '%s' && %s", dir, how);

	run(cmd);
	free(cmd);
}

TEST(report_survives_damage)
{
	char *d = incident_copy(), *out;
	struct pm_opts o = opts(d);
	int ret;

	tz_set("UTC");
	/* bytes in the middle overwritten: those seconds are lost, the rest is there */
	damage(d, "printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' | dd of=seg-0000000001.dmw "
		  "bs=1 seek=9000 conv=notrunc status=none");
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	HAS(out, "damaged parts skipped");
	HAS(out, "(dm-54): COW 100 % -> Invalid at 05:37:58");
	HAS(out, "Recording: ");
	CHECK(!strstr(out, "(0 damaged)"));
	free(out);

	/* cut in the middle of a block: what precedes the cut is reported */
	damage(d, "truncate -s 12345 seg-0000000001.dmw");
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	HAS(out, "What happened:");
	HAS(out, "recorder_start");
	free(out);

	/* whois and explain on the damaged log work as far as it goes */
	o = opts(d);
	{
		struct capture c;

		ret = pm_whois(cap_start(&c), &o, "dm-51", "2025-10-27 05:35:00");
		cap_end(&c);
		CHECK_INT(ret, 0);
		HAS(c.out, "lvm-snap--473--0");
		free(c.out);
	}

	/* a second, garbage segment next to it */
	damage(d, "head -c 5000 /dev/urandom > seg-0000000002.dmw");
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	HAS(out, "2 segments");
	free(out);

	/* only garbage: nothing can be done */
	damage(d, "rm seg-0000000001.dmw");
	out = report(&o, &ret);
	CHECK_INT(ret, 3);
	free(out);
	rmdir_all(d);
	tz_restore();
}

TEST(postmortem_bad_directories)
{
	char *d = tmpdir(), *out;
	struct pm_opts o = opts("/nonexistent/dmwatch");
	int ret;

	out = report(&o, &ret);
	CHECK_INT(ret, 3);
	free(out);
	o = opts(d);
	out = report(&o, &ret);
	CHECK_INT(ret, 3);		/* no segments */
	free(out);
	{
		struct capture c;
		FILE *in = fmemopen((char *)"dm-1\n", 5, "r");

		CHECK_INT(pm_explain(cap_start(&c), in, &o), 3);
		cap_end(&c);
		fclose(in);
		free(c.out);
	}
	rmdir_all(d);
}

TEST(history_late_sample_after_remove)
{
	struct history *h = history_new();
	struct rec cow = { .kind = REC_COW, .unix_ns = 19 * S };

	k(h, 10 * S, DMW_EV_DM_CREATE, 5, "snap", NULL, 1, "lvcreate");
	k(h, 20 * S, DMW_EV_DM_REMOVE, 5, "snap", NULL, 2, "lvremove");
	/* the recorder wrote the sample it held back after the remove */
	cow.cow = (struct cow_sample){ .name = "snap", .dev = DEV(5), .kind = "lvm-snapshot" };
	history_add(h, &cow);
	/* a sample of another device on the reused minor does open a span */
	cow.unix_ns = 30 * S;
	cow.cow.name = "other";
	history_add(h, &cow);
	history_finish(h);
	CHECK_INT(history_count(h), 2);
	CHECK_INT(history_span(h, 0)->last_seen_ns, 19 * S);
	CHECK(history_span(h, 0)->until_exact);
	CHECK_STR(history_span(h, 1)->name, "other");
	history_free(h);
}

TEST(history_keeps_every_table)
{
	struct history *h = history_new();
	struct rec_devent snap[] = { { .dev = DEV(3), .name = "vg-snap", .target = "snapshot",
				       .params = "253:1 253:2 P 8" } };
	struct rec_devent lin[] = { { .dev = DEV(3), .name = "vg-snap", .target = "linear",
				      .params = "7:0 34816" } };
	const struct dev_span *s;

	k(h, 10 * S, DMW_EV_DM_CREATE, 3, "vg-snap", NULL, 1, "lvcreate");
	dl(h, 11 * S, false, snap, 1);
	dl(h, 12 * S, false, snap, 1);		/* unchanged: not a new table */
	/* lvremove reloads a snapshot as linear before it removes it */
	dl(h, 20 * S, false, lin, 1);
	k(h, 21 * S, DMW_EV_DM_REMOVE, 3, "vg-snap", NULL, 2, "lvremove");
	history_finish(h);
	s = history_span(h, 0);
	CHECK_INT(s->n_tables, 2);
	if (s->n_tables == 2) {
		CHECK_STR(s->tables[0].target, "snapshot");
		CHECK_STR(s->tables[0].params, "253:1 253:2 P 8");
		CHECK_INT(s->tables[0].t, 11 * S);
		CHECK_STR(s->tables[1].target, "linear");
	}
	CHECK_STR(s->target, "linear");
	history_free(h);
}

/* ---- summaries: the same answers as the events one by one ---- */

static void storm_err(struct rec_log *log, int64_t t, uint32_t minor, uint32_t pid, const char *comm,
		      uint64_t sector, uint32_t lower, const char *name, bool removed)
{
	struct dmw_event e = { .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .pid = pid,
			       .dev = DEV(minor), .sector = sector, .bytes = 4096,
			       .op = pid % 5 ? DMW_OP_READ : DMW_OP_WRITE, .error = -EIO,
			       .lower_dev = lower };
	struct name_entry nm = { .dev = DEV(minor), .removed = removed };
	struct rec r = { .kind = REC_KERNEL, .unix_ns = t };

	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	snprintf(nm.name, sizeof(nm.name), "%s", name ? name : "");
	snprintf(nm.uuid, sizeof(nm.uuid), "LVM-uuid-%u", minor);
	r.k.ev = &e;
	r.k.named = name ? &nm : NULL;
	rec_log_add(log, &r);
}

/*
 * Error storms with everything that makes counting subtle: six readers on one
 * device (pids beyond the three shown), a striped device failing on two disks
 * in turn, pauses longer than the burst gap, a slow trickle in one long block,
 * an unnamed error and a sample in some blocks (those have no summary), a
 * device removed and its errors named "removed".
 */
static char *write_storms(void)
{
	struct rec_log_opts lo = { .max_size = 64 << 20 };
	struct rec_log *log;
	char *dir = tmpdir(), *err = NULL;
	struct rec r = { .kind = REC_SESSION, .unix_ns = T0 * S };
	uint64_t sec = 1000;

	lo.dir = dir;
	if (!dir || rec_log_open(&log, &lo, &err)) {
		free(err);
		return dir;
	}
	r.ses.what = REC_SESSION_START;
	r.ses.host = r.ses.version = r.ses.mode = r.ses.boot_id = "";
	rec_log_add(log, &r);
	for (int s = 0; s < 40; s++) {
		int64_t t = (T0 + s + (s >= 20 ? 5 : 0)) * S;	/* a 5 s pause after 20 s */

		if (s == 12 || s == 13 || s == 14)
			continue;				/* a 3 s pause */
		for (int j = 0; j < 900; j++) {
			int64_t tj = t + j * S / 1000;

			storm_err(log, tj, 54, 4700 + j % 6, j % 6 ? "kworker/u8:2" : "dd",
				  sec += 8, 0, "vg-snap--473--1", s >= 30);
			if (j % 4 == 0)
				storm_err(log, tj + 1000, 60, 5000, "qemu-kvm", 777 + j,
					  DEV(j % 8 ? 16 : 32), "vg-striped", false);
		}
		if (s % 7 == 3)
			storm_err(log, t + S / 2, 61, 1, "swapper/0", 5, 0, NULL, false);
		if (s % 9 == 4) {
			struct rec c = { .kind = REC_COW, .unix_ns = t + S / 3 };

			c.cow.name = "vg-snap--473--1";
			c.cow.dev = DEV(54);
			c.cow.kind = "lvm-snapshot";
			c.cow.used_percent = 40 + s;
			c.cow.rate = 1e6;
			c.cow.eta_s = 60;
			c.cow.reader_eta_s = -1;
			rec_log_add(log, &c);
		}
		rec_log_flush(log, false);	/* the recorder closes a block every second */
	}
	/* a trickle: an error every 0.8 s for 4 s in one block */
	for (int j = 0; j < 6; j++)
		storm_err(log, (T0 + 60) * S + j * 800 * (S / 1000), 62, 9, "dd", j, 0, "vg-slow",
			  false);
	rec_log_close(log);
	return dir;
}

static char *run_twice(const struct pm_opts *o, const char *whois_what, char **other)
{
	char *a, *b;
	int ret;

	for (int k = 0; k < 2; k++) {
		struct pm_opts ok = *o;
		char *out;

		ok.decode_all = k;	/* the second time every block is inflated */
		if (whois_what)
			ret = whois_with(&ok, whois_what, "2025-10-27 05:30:10", &out);
		else
			out = report(&ok, &ret);
		if (k)
			b = out;
		else
			a = out;
	}
	*other = b;
	return a;
}

static int take_all(void *ctx, const struct rec_block_summary *s)
{
	(void)ctx;
	(void)s;
	return 1;
}

TEST(report_from_summaries_is_the_same)
{
	char *dir = write_storms(), *a, *b;
	struct pm_opts o = opts(dir);
	int64_t windows[][2] = {
		{ INT64_MIN, INT64_MAX },
		{ (T0 + 5) * S + S / 2, (T0 + 33) * S + S / 4 },	/* cuts blocks */
		{ (T0 + 10) * S, (T0 + 26) * S },			/* block edges */
		{ (T0 + 61) * S, INT64_MAX },				/* inside the trickle */
	};

	/* most blocks have a summary, some (a sample, an unnamed error in them) none */
	{
		struct rec_reader rd = { .summary = take_all };
		char *err = NULL;

		CHECK_INT(rec_read_dir(&rd, dir, &err), 0);
		CHECK(rd.stats.summarized_blocks >= 25 && rd.stats.summarized_blocks < rd.stats.blocks);
		free(err);
	}
	tz_set("UTC");
	for (size_t w = 0; w < ARRAY_SIZE(windows); w++) {
		o.since_ns = windows[w][0];
		o.until_ns = windows[w][1];
		a = run_twice(&o, NULL, &b);
		CHECK(a && b);
		if (a && b && strcmp(a, b))
			FAIL_AT("window %zu: report from summaries differs:\n%s\n--- events one by one:\n%s",
				w, a, b);
		if (w == 0) {
			HAS(a, "33300 I/O errors (EIO) by pid 4700 dd, pid 4701 kworker/u8:2, pid 4702");
			HAS(a, "on 253:32 below");
		}
		free(a);
		free(b);
	}
	o.since_ns = INT64_MIN;
	o.until_ns = INT64_MAX;
	for (size_t k = 0; k < 2; k++) {
		a = run_twice(&o, k ? "dm-60" : "dm-54", &b);
		CHECK(a && b && !strcmp(a, b));
		HAS(a, k ? "vg-striped" : "vg-snap--473--1");
		free(a);
		free(b);
	}
	tz_restore();
	rmdir_all(dir);
}

/* ---- hostile and unlucky input ---- */

/* what a terminal shows as text: valid UTF-8, no C0 (but the newline), DEL or C1 byte */
static bool terminal_safe(const char *s, int *failed__)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0;

	if (!s || !utf8_valid(s, n)) {
		FAIL_AT("output is not UTF-8");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f ||
		    (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] < 0xa0)) {
			FAIL_AT("raw byte 0x%02x at %zu in:\n%.*s", p[i], i, (int)(i + 1), s);
			return false;
		}
	return true;
}

#define EVIL "x\x1b]0;owned\a\nforged line \xff\xfe\xc2\x9b $(reboot) \\"
#define EVIL_SHOWN "x\\x1b]0;owned\\x07\\nforged line \\xff\\xfe\\xc2\\x9b $(reboot) \\\\"

/* a recording of a device whose name, table, state and process names are hostile */
static char *write_hostile(void)
{
	struct rec_log_opts lo = { .max_size = 64 << 20 };
	struct rec_devent devs[] = {
		{ .dev = DEV(7), .name = EVIL, .uuid = "LVM-\x1b[2J", .target = "snapshot",
		  .params = "253:1 253:2 P 8 \x1b[1m" },
	};
	struct dmw_event ev = { .type = DMW_EV_DM_CREATE, .pid = 66, .dev = DEV(7) };
	struct dmw_event io = { .type = DMW_EV_IO_ERROR, .pid = 67, .dev = DEV(7),
				.op = DMW_OP_READ, .error = -EIO, .sector = 8 };
	struct name_entry nm = { .dev = DEV(7) };
	struct rec_log *log;
	char *dir = tmpdir(), *err = NULL;
	struct rec r = { .kind = REC_SESSION, .unix_ns = T0 * S };

	lo.dir = dir;
	if (!dir || rec_log_open(&log, &lo, &err)) {
		free(err);
		return dir;
	}
	r.ses.what = REC_SESSION_START;
	r.ses.host = "pve\x1b]2;host\a";
	r.ses.version = r.ses.boot_id = "";
	r.ses.mode = "kprobe\r";
	rec_log_add(log, &r);
	r = (struct rec){ .kind = REC_DEVLIST, .unix_ns = (T0 + 1) * S, .dl = { true, devs, 1 } };
	rec_log_add(log, &r);
	snprintf(ev.name, sizeof(ev.name), "%s", EVIL);
	snprintf(ev.comm, sizeof(ev.comm), "\x1b[2Jlvcreate");
	r = (struct rec){ .kind = REC_KERNEL, .unix_ns = (T0 + 2) * S, .k = { &ev, NULL } };
	rec_log_add(log, &r);
	r = (struct rec){ .kind = REC_COW, .unix_ns = (T0 + 3) * S };
	r.cow = (struct cow_sample){ .name = EVIL, .dev = DEV(7), .kind = "lvm-snapshot",
				     .used_percent = 99.5, .rate = 1e6, .eta_s = 1,
				     .reader_eta_s = 5, .overflow_before_reader = true };
	rec_log_add(log, &r);
	r = (struct rec){ .kind = REC_STATE, .unix_ns = (T0 + 4) * S };
	r.st.event = "snapshot_invalid";
	r.st.name = EVIL;
	r.st.dev = DEV(7);
	r.st.state = "invalid\x1b[5m";
	rec_log_add(log, &r);
	snprintf(io.comm, sizeof(io.comm), "dd\n\x9b");
	snprintf(nm.name, sizeof(nm.name), "%s", EVIL);
	r = (struct rec){ .kind = REC_KERNEL, .unix_ns = (T0 + 5) * S, .k = { &io, &nm } };
	rec_log_add(log, &r);
	ev.type = DMW_EV_DM_RENAME;
	snprintf(ev.new_name, sizeof(ev.new_name), "renamed\x1b[0m\nto");
	r = (struct rec){ .kind = REC_KERNEL, .unix_ns = (T0 + 6) * S, .k = { &ev, NULL } };
	rec_log_add(log, &r);
	rec_log_close(log);
	return dir;
}

TEST(postmortem_text_is_terminal_safe)
{
	char *dir = write_hostile(), *out;
	struct pm_opts o = opts(dir);
	static char log_text[] = "[Mon Oct 27 05:30:05 2025] dm-7: error \x1b]0;x\a \xff\n"
				 "no time: dm-7\r\n";
	int ret;

	tz_set("UTC");
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	if (terminal_safe(out, failed__)) {
		HAS(out, EVIL_SHOWN " (dm-7): COW 100 % -> invalid\\x1b[5m at 05:30:04");
		HAS(out, "by pid 67 dd\\n\\x9b");
		HAS(out, "recorder_start   pid 0 on pve\\x1b]2;host\\x07 (kprobe\\x0d)");
		HAS(out, "-> renamed\\x1b[0m\\nto by pid 66 \\x1b[2Jlvcreate");
	}
	free(out);
	for (int k = 0; k < 3; k++) {
		static const char *const what[] = { "dm-7", EVIL, "253:7" };

		ret = whois(dir, what[k], k == 2 ? "2025-10-27 05:30:03" : NULL, &out);
		CHECK_INT(ret, 0);
		if (terminal_safe(out, failed__)) {
			HAS(out, "name       " EVIL_SHOWN "\n");
			HAS(out, "table      snapshot 253:1 253:2 P 8 \\x1b[1m\n");
			HAS(out, "uuid       LVM-\\x1b[2J\n");
			HAS(out, "renamed    2025-10-27 05:30:06.000 to renamed\\x1b[0m\\nto by pid 66");
		}
		free(out);
	}
	{
		struct capture c;
		FILE *in = fmemopen(log_text, strlen(log_text), "r");

		CHECK_INT(pm_explain(cap_start(&c), in, &o), 0);
		cap_end(&c);
		fclose(in);
		if (terminal_safe(c.out, failed__)) {
			HAS(c.out, "dm-7 [" EVIL_SHOWN "]: error \\x1b]0;x\\x07 \\xff\n");
			HAS(c.out, "no time: dm-7 [renamed\\x1b[0m\\nto (time unknown)]\\x0d\n");
		}
		free(c.out);
	}
	tz_restore();
	rmdir_all(dir);
}

/*
 * A log with a name far longer than dm allows (127): our writer caps names, but
 * the format does not, and a log on disk may come from anywhere. Its block is
 * written by hand (stored, valid CRCs; record layout as recfmt.c decodes it).
 */
struct raw {
	uint8_t *p;
	size_t len;
};

static void raw_bytes(struct raw *b, const void *p, size_t n)
{
	b->p = xrealloc(b->p, b->len + n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void raw_var(struct raw *b, uint64_t v)
{
	do {
		uint8_t c = (v & 0x7f) | (v >= 0x80 ? 0x80 : 0);

		raw_bytes(b, &c, 1);
		v >>= 7;
	} while (v);
}

static void raw_svar(struct raw *b, int64_t v)
{
	raw_var(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void raw_str(struct raw *b, const char *s)
{
	raw_var(b, 1);			/* a new string of the block's table */
	raw_var(b, strlen(s));
	raw_bytes(b, s, strlen(s));
}

static void raw_record(struct raw *block, enum rec_kind kind, struct raw *body)
{
	uint8_t k = kind;

	raw_bytes(block, &k, 1);
	raw_var(block, body->len);
	raw_bytes(block, body->p, body->len);
	free(body->p);
	memset(body, 0, sizeof(*body));
}

static char *write_long_name(const char *name)
{
	struct raw block = {}, body = {};
	char *dir = tmpdir(), *path;
	uint8_t *seg;
	size_t len;
	FILE *f;

	/* a sample at 99.5 %, then the snapshot invalid, 1 s later */
	raw_svar(&body, (T0 + 1) * 1000000);
	raw_str(&body, name);
	raw_svar(&body, DEV(9));
	raw_str(&body, "lvm-snapshot");
	raw_svar(&body, 9950);
	raw_svar(&body, 100000000);
	raw_svar(&body, 100);
	raw_svar(&body, 300);
	raw_var(&body, 1);
	raw_record(&block, REC_COW, &body);
	raw_svar(&body, 1000000);
	raw_str(&body, "snapshot_invalid");
	raw_str(&body, name);
	raw_svar(&body, 0);
	raw_str(&body, "invalid");
	raw_record(&block, REC_STATE, &body);
	seg = fuzz_wrap_block(block.p, block.len, block.len, 0, 2, &len);
	path = xasprintf("%s/seg-0000000001.dmw", dir);
	f = fopen(path, "w");
	if (!f || fwrite(seg, 1, len, f) != len || fclose(f))
		fprintf(stderr, "  cannot write %s\n", path);
	free(path);
	free(seg);
	free(block.p);
	return dir;
}

TEST(report_names_of_any_length)
{
	char name[5001], *dir, *out, *want, *line, *save = NULL;
	struct pm_opts o;
	int ret, lines = 0;

	memset(name, 'n', sizeof(name) - 1);
	memcpy(name, "vg-", 3);
	name[sizeof(name) - 1] = 0;
	dir = write_long_name(name);
	o = opts(dir);
	tz_set("UTC");
	/* the summary line: it overflowed a 1024-byte stack buffer */
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	want = xasprintf("  %s (dm-9): COW 100 %% -> Invalid at 05:30:02 (last sample 99.5 %% at "
			 "05:30:01); predicted to overflow before the backup reader finished "
			 "(05:30:01)\n", name);
	HAS(out, want);
	free(want);
	free(out);
	/* JSON lines as long as they need to be: each one whole */
	o.json = true;
	out = report(&o, &ret);
	CHECK_INT(ret, 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		yajl_val j = jt_parse(line, NULL, 0);
		const char *nm = jt_str(j, "name");

		lines++;
		if (!j || !nm)
			FAIL_AT("not a whole event: %.80s...", line);
		else
			CHECK_INT(strlen(nm), 5000);
		yajl_tree_free(j);
	}
	CHECK_INT(lines, 2);
	free(out);
	ret = whois(dir, "dm-9", NULL, &out);
	CHECK_INT(ret, 0);
	want = xasprintf("  name       %s\n", name);
	HAS(out, want);
	free(want);
	free(out);
	tz_restore();
	rmdir_all(dir);
}

TEST(whois_path_prefixes_cost_one_lookup)
{
	size_t n = 10000, plen = strlen("/dev/mapper/");
	char *what = xmalloc(n * plen + sizeof("lvm-snap--473--1")), *out;
	int ret;

	tz_set("UTC");
	for (size_t i = 0; i < n; i++)
		memcpy(what + i * plen, "/dev/mapper/", plen);
	strcpy(what + n * plen, "lvm-snap--473--1");
	/* once it recursed and reloaded the log per prefix: 10000 reads, then an answer */
	ret = whois(INCIDENT, what, NULL, &out);
	CHECK_INT(ret, 1);
	HAS(out, ": not in the recording\n");
	HASNT(out, "dm-54 (253:54)");
	free(out);
	/* one prefix, a VG/LV and its /dev path are still names */
	CHECK_INT(whois(INCIDENT, what + (n - 1) * plen, NULL, &out), 0);
	HAS(out, "dm-54 (253:54)");
	free(out);
	CHECK_INT(whois(INCIDENT, "/dev/lvm/snap-473-1", NULL, &out), 0);
	HAS(out, "dm-54 (253:54)");
	free(out);
	CHECK_INT(whois(INCIDENT, "a/b/c", NULL, &out), 1);
	HAS(out, "a/b/c: not in the recording\n");
	free(out);
	free(what);
	tz_restore();
}
