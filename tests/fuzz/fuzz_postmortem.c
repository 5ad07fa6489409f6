// SPDX-License-Identifier: GPL-2.0
/*
 * `explain`, `whois` and `report` input: kernel log text and times as people type
 * them (pm_parse_time, pm_log_time, pm_parse_dev, pm_explain_line), and the name
 * history rebuilt from a recorder log (history_add ... history_lookup).
 *
 * The first byte picks the mode:
 *   bit 0 = 0  text: every line of the rest goes through the time parsers,
 *              pm_parse_dev and pm_explain_line, against a fixed history (a
 *              device created, renamed, removed, its minor reused, device lists)
 *   bit 0 = 1  history: the rest is the payload of one recorder block (wrapped
 *              with valid CRCs, see fuzz_rec.h); its records build a history,
 *              which is then looked up and used to explain fixed log lines
 * Times are read in Europe/Berlin when tzdata is there (daylight saving changes
 * are where local-time code goes wrong), else UTC.
 */
#include <errno.h>
#include <linux/dm-ioctl.h>
#include <time.h>
#include <unistd.h>
#include "postmortem/postmortem.h"
#include "fuzz.h"
#include "fuzz_rec.h"

#define T0	((int64_t)FUZZ_REC_T0)
#define S	PM_NS_PER_S
#define DEV(m)	(253u << DMW_MINORBITS | (m))

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct history *fixed;
static struct pm_log_ctx fixed_ctx;

/* the kind of lines explain meets (tests/fixtures/recorder/) */
static const char *const log_lines[] = {
	"[Mon Oct 27 05:38:02 2025] Buffer I/O error on dev dm-54, logical block 5923136",
	"Oct 27 05:38:02 pve1 kernel: Buffer I/O error on dev dm-5, logical block 1",
	"2026-11-22T05:20:12.5+01:00 pve1 kernel: EXT4-fs (dm-5): mounted filesystem",
	"[  123.456789] dm-5: detected capacity change from 2097152 to 0",
	"Sun 2026-11-22 05:20:31 CET pve1 kernel: dm-5 dm-54 dm-0 dm-99999999999 mydm-5",
	"no timestamp: dm-5",
};

static void add_kernel(struct history *h, uint32_t type, uint32_t dev, const char *name,
		       const char *new_name, int64_t t)
{
	struct dmw_event ev = { .type = type, .source = DMW_SRC_KPROBE, .pid = 42, .dev = dev };
	struct rec r = { .kind = REC_KERNEL, .unix_ns = t };

	snprintf(ev.comm, sizeof(ev.comm), "lvm");
	snprintf(ev.name, sizeof(ev.name), "%s", name);
	snprintf(ev.new_name, sizeof(ev.new_name), "%s", new_name ? new_name : "");
	r.k.ev = &ev;
	history_add(h, &r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct rec_devent devs[] = {
		{ .dev = DEV(5), .name = "pve-snap--101--0", .uuid = "LVM-x", .target = "snapshot",
		  .params = "253:3 253:4 P 8" },
		{ .dev = DEV(54), .name = "pve-vm--101--disk--0", .uuid = "LVM-y", .target = "thin",
		  .params = "253:2 1" },
	};
	struct rec r = { .kind = REC_SESSION, .unix_ns = T0 };

	setenv("TZ", access("/usr/share/zoneinfo/Europe/Berlin", R_OK) ? "UTC" : "Europe/Berlin", 1);
	tzset();
	fixed = history_new();
	r.ses = (struct rec_session){ .what = REC_SESSION_START, .pid = 1, .dm_major = 253,
				      .boot_offset_ns = T0 - 1000 * S, .host = "pve1",
				      .version = "0", .mode = "kprobe", .boot_id = "b00t" };
	history_add(fixed, &r);
	add_kernel(fixed, DMW_EV_DM_CREATE, DEV(5), "pve-vm--101--disk--0", NULL, T0 + 1 * S);
	add_kernel(fixed, DMW_EV_DM_RENAME, DEV(5), "pve-vm--101--disk--0", "pve-vm--101--disk--9",
		   T0 + 10 * S);
	add_kernel(fixed, DMW_EV_DM_REMOVE, DEV(5), "pve-vm--101--disk--9", NULL, T0 + 20 * S);
	add_kernel(fixed, DMW_EV_DM_CREATE, DEV(5), "pve-snap--101--0", NULL, T0 + 30 * S);
	memset(&r, 0, sizeof(r));
	r.kind = REC_DEVLIST;
	r.unix_ns = T0 + 40 * S;
	r.dl.full = true;
	r.dl.devs = devs;
	r.dl.n = 2;
	history_add(fixed, &r);
	add_kernel(fixed, DMW_EV_DM_REMOVE_ALL, 0, "", NULL, T0 + 50 * S);
	history_finish(fixed);
	history_log_ctx(fixed, "b00t", &fixed_ctx);
	return 0;
}

/* explain one line: given as (pointer, length) with no NUL after it, as the API allows */
static void explain(const struct history *h, const char *line, size_t len,
		    const struct pm_log_ctx *ctx)
{
	char *copy = xmalloc(len ? len : 1), *out;

	memcpy(copy, line, len);
	out = pm_explain_line(h, copy, len, ctx);
	FUZZ_CHECK(out != NULL);
	/* annotations are added, nothing of the line is lost */
	FUZZ_CHECK(strlen(out) >= strnlen(copy, len));
	free(out);
	free(copy);
}

static void text_mode(const char *text, size_t size)
{
	const char *p = text, *end = text + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n);
		int64_t t, res;
		uint32_t dev;
		bool minor_only;

		if (!pm_parse_time(line, T0 + 3600 * S, &t, &res))
			FUZZ_CHECK(res > 0);
		if (pm_log_time(line, &fixed_ctx, &t, &res))
			FUZZ_CHECK(res > 0);
		pm_log_time(line, NULL, &t, &res);
		if (pm_parse_dev(line, &dev, &minor_only))
			FUZZ_CHECK(DMW_MINOR(dev) == dev || !minor_only);
		explain(fixed, p, n, &fixed_ctx);
		free(line);
		p += n + 1;
	}
}

static int to_history(void *ctx, const struct rec *r)
{
	struct history *h = ctx;
	const struct dev_span *s;

	history_add(h, r);
	/* the record's strings die when we return: the history must have copied them */
	if (r->kind == REC_KERNEL && r->k.ev->dev && (s = history_current(h, r->k.ev->dev)))
		FUZZ_CHECK(s->name && s->dev == r->k.ev->dev);
	return 0;
}

static void history_mode(const uint8_t *data, size_t size)
{
	struct history *h = history_new();
	struct rec_reader rd = { .cb = to_history, .ctx = h };
	struct pm_log_ctx ctx;
	struct pm_lookup lu;
	size_t len;
	uint8_t *seg = fuzz_wrap_block(data, size, size, 0, UINT32_MAX, &len);

	rec_read_buf(&rd, seg, len, "fuzz.dmw");
	history_finish(h);
	history_log_ctx(h, "b00t", &ctx);
	for (size_t i = 0; i < history_count(h); i++) {
		const struct dev_span *s = history_span(h, i);

		FUZZ_CHECK(s && s->name && s->uuid && s->target && s->params);
		FUZZ_CHECK(s->until_ns >= s->from_ns);
		FUZZ_CHECK(!s->open || s->until_ns == INT64_MAX);
		if (!s->dev || i >= 64)
			continue;
		/* a device is known at the moment its span starts (t < 0 means "no time") */
		history_lookup(h, s->dev, false, s->from_ns, S, &lu);
		if (s->from_ns >= 0)
			FUZZ_CHECK(lu.span && lu.how == PM_EXACT);
		history_lookup(h, DMW_MINOR(s->dev), true, -1, 0, &lu);
		FUZZ_CHECK(lu.span && lu.how == PM_LATEST);
		if (!s->open)
			history_lookup(h, s->dev, false, s->until_ns, 1, &lu);
	}
	for (size_t i = 0; i < ARRAY_SIZE(log_lines); i++)
		explain(h, log_lines[i], strlen(log_lines[i]), &ctx);
	history_free(h);
	free(seg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		history_mode(data + 1, size - 1);
	else
		text_mode((const char *)data + 1, size - 1);
	return 0;
}
