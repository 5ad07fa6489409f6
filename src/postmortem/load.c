// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the recorder's log for report, whois and explain: every record goes
 * into the name history and to the command; a block of nothing but named I/O
 * errors is offered as its header summary first, so an error storm costs a few
 * bytes per block instead of its inflation. Also what all three print with.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "postmortem/internal.h"
#include "lib/clock.h"
#include "lib/escape.h"
#include "lib/util.h"

void pm_opts_init(struct pm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = PM_DEFAULT_DIR;
	o->since_ns = INT64_MIN;
	o->until_ns = INT64_MAX;
	o->now_ns = (int64_t)clock_ns(CLOCK_REALTIME);
}

FILE *pm_err(const struct pm_opts *o)
{
	return o->err ? o->err : stderr;
}

FILE *pm_text_open(struct pm_text *t)
{
	memset(t, 0, sizeof(*t));
	t->f = open_memstream(&t->s, &t->len);
	if (!t->f)
		oom();
	return t->f;
}

char *pm_text_close(struct pm_text *t)
{
	if (fclose(t->f))
		oom();
	return t->s;
}

void pm_vline(FILE *out, const char *fmt, va_list ap)
{
	char *text;

	if (vasprintf(&text, fmt, ap) < 0)
		oom();
	term_escape(out, text);
	fputc('\n', out);
	free(text);
}

void pm_line(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pm_vline(out, fmt, ap);
	va_end(ap);
}

void pm_error(const struct pm_opts *o, const char *fmt, ...)
{
	FILE *f = pm_err(o);
	va_list ap;

	fputs("dmwatch: ", f);
	va_start(ap, fmt);
	pm_vline(f, fmt, ap);
	va_end(ap);
}

static void pm_warn(void *ctx, const char *msg)
{
	struct pm_read *pr = ctx;

	pr->warnings++;
	pm_error(pr->o, "warning: %s", msg);
}

static int pm_rec(void *ctx, const struct rec *r)
{
	struct pm_read *pr = ctx;

	history_add(pr->h, r);
	return pr->fn ? pr->fn(pr, r) : 0;
}

static int cmp_first_idx(const void *a, const void *b)
{
	const struct rec_io_group *x = *(const struct rec_io_group *const *)a;
	const struct rec_io_group *y = *(const struct rec_io_group *const *)b;

	return x->first_idx < y->first_idx ? -1 : x->first_idx > y->first_idx;
}

/*
 * A block of nothing but named I/O errors, offered as its summary: the history
 * learns from each group what it would from the group's events (a device seen
 * under a name from the first to the last one); fn counts them, if it can.
 */
static int pm_summary(void *ctx, const struct rec_block_summary *s)
{
	struct pm_read *pr = ctx;
	const struct rec_io_group *by_first[REC_SUMMARY_GROUPS_MAX];

	if (pr->fn && !pr->summary)
		return 0;
	for (size_t i = 0; i < s->n_groups; i++)
		by_first[i] = &s->groups[i];
	sort_items(by_first, s->n_groups, sizeof(*by_first), cmp_first_idx);
	/* fn first: it may decline; it needs no history (every error is named) */
	if (pr->fn && !pr->summary(pr, s, by_first))
		return 0;
	for (size_t i = 0; i < s->n_groups; i++)
		history_io_group(pr->h, by_first[i]);
	return 1;
}

int pm_load(struct pm_read *pr)
{
	struct rec_reader rd = {
		.cb = pm_rec,
		.summary = pr->o->decode_all ? NULL : pm_summary,
		.warn = pm_warn,
		.ctx = pr,
	};
	char *err = NULL;
	int e;

	pr->h = history_new();
	e = rec_read_dir(&rd, pr->o->dir, &err);
	pr->stats = rd.stats;
	if (e) {
		pm_error(pr->o, "%s", err);
		free(err);
		return EXIT_UNUSABLE;
	}
	if (!rd.stats.records) {
		pm_error(pr->o, "nothing readable in %s (%llu damaged blocks)", pr->o->dir,
			 (unsigned long long)rd.stats.bad_blocks);
		return EXIT_UNUSABLE;
	}
	history_finish(pr->h);
	return -1;
}
