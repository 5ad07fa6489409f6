// SPDX-License-Identifier: GPL-2.0
/*
 * `whois`: which device a dm-N (or MAJ:MIN, a dm name, VG/LV) was at a time, from
 * the name history: name, uuid, VG/LV, tables, snapshot origin or thin pool, who
 * created and removed it. Every name is escaped on the way out.
 */
#include <stdlib.h>
#include <string.h>
#include "analyze/classify.h"
#include "postmortem/internal.h"
#include "lib/util.h"

struct whois_query {
	const struct history *h;
	bool by_dev, minor_only;
	uint32_t dev;
	int64_t at_ns, res_ns;		/* at_ns < 0: no time given */
	char at[40];			/* at_ns as printed, "" without */
};

static void lvm_line(FILE *out, const char *label, const char *dmname)
{
	char *vg, *lv, *layer;

	if (!split_lvm_name(dmname, &vg, &lv, &layer))
		return;
	pm_line(out, "  %-10s VG %s, LV %s%s%s", label, vg, lv, *layer ? ", layer " : "", layer);
	free(vg);
	free(lv);
	free(layer);
}

/* the device a table refers to ("253:3") as it was named at time t */
static const struct dev_span *span_of_ref(const struct history *h, const char *ref, int64_t t)
{
	struct pm_lookup lu;
	unsigned int ma, mi;

	if (sscanf(ref, "%u:%u", &ma, &mi) != 2 || mi >= (1u << DMW_MINORBITS))
		return NULL;
	history_lookup(h, ma << DMW_MINORBITS | mi, false, t, 1, &lu);
	return lu.span;
}

/* the table in effect at t (t < 0: the latest); with kind, the last one of that kind */
static const struct span_table *table_at(const struct dev_span *s, int64_t t, const char *kind)
{
	const struct span_table *best = NULL;

	for (size_t k = 0; k < s->n_tables; k++) {
		const struct span_table *tb = &s->tables[k];

		if (kind && strcmp(tb->target, kind))
			continue;
		if (t >= 0 && tb->t > t && best)
			break;
		best = tb;
	}
	return best;
}

/* what a snapshot is of, or which pool a thin volume lives in */
static void origin_line(FILE *out, const struct history *h, const struct dev_span *s, int64_t t)
{
	const struct span_table *tb = table_at(s, t, "snapshot");
	const struct dev_span *o;
	char ref[32] = "", *vg, *lv, *layer;
	bool snap = tb != NULL;
	long id = -1;

	if (!tb)
		tb = table_at(s, t, "thin");
	if (!tb || sscanf(tb->params, "%31s %ld", ref, &id) < 1)
		return;
	o = span_of_ref(h, ref, s->last_seen_ns);
	if (o && split_lvm_name(o->name, &vg, &lv, &layer)) {
		if (snap)
			pm_line(out, "  %-10s %s/%s (through dm-%u %s)", "origin", vg, lv,
				DMW_MINOR(o->dev), o->name);
		else
			pm_line(out, "  %-10s thin volume %ld in pool %s/%s", "pool", id, vg, lv);
		free(vg);
		free(lv);
		free(layer);
	} else if (snap) {
		pm_line(out, "  %-10s %s", "origin", o ? o->name : ref);
	} else {
		pm_line(out, "  %-10s thin volume %ld in pool %s", "pool", id, o ? o->name : ref);
	}
}

/* "tables     snapshot from 05:36:58.010, linear from 05:38:05.001" */
static void tables_line(FILE *out, const struct dev_span *s)
{
	struct pm_text text;
	FILE *m = pm_text_open(&text);
	char t[40], *line;

	fprintf(m, "  %-10s", "tables");
	for (size_t k = 0; k < s->n_tables; k++) {
		pm_fmt_local(t, sizeof(t), s->tables[k].t, false, true);
		fprintf(m, "%s %s from %s", k ? "," : "", s->tables[k].target, t);
	}
	line = pm_text_close(&text);
	pm_line(out, "%s", line);
	free(line);
}

/* how the span began and ended */
static void lifetime_lines(FILE *out, const struct dev_span *s)
{
	char t1[40], t2[40];

	pm_fmt_local(t1, sizeof(t1), s->from_ns, true, true);
	if (!strcmp(s->start_how, "created"))
		pm_line(out, "  %-10s %s by pid %u %s", "created", t1, s->start_pid, s->start_comm);
	else if (!strcmp(s->start_how, "renamed"))
		pm_line(out, "  %-10s %s from %s by pid %u %s", "renamed", t1,
			s->renamed_from ? s->renamed_from : "?", s->start_pid, s->start_comm);
	else
		pm_line(out, "  %-10s %s (already there; created before the recording saw it)",
			"first seen", t1);
	if (s->open) {
		pm_fmt_local(t2, sizeof(t2), s->last_seen_ns, true, true);
		pm_line(out, "  %-10s still there at the end of the recording (last seen %s)",
			"until", t2);
	} else if (s->until_exact) {
		pm_fmt_local(t2, sizeof(t2), s->until_ns, true, true);
		if (!strcmp(s->end_how, "renamed"))
			pm_line(out, "  %-10s %s to %s by pid %u %s", "renamed", t2,
				s->renamed_to ? s->renamed_to : "?", s->end_pid, s->end_comm);
		else
			pm_line(out, "  %-10s %s by pid %u %s%s", "removed", t2, s->end_pid,
				s->end_comm, !strcmp(s->end_how, "remove_all") ? " (remove all)" : "");
	} else {
		pm_fmt_local(t1, sizeof(t1), s->last_seen_ns, true, true);
		pm_fmt_local(t2, sizeof(t2), s->until_ns, true, true);
		pm_line(out, "  %-10s between %s (last seen) and %s (no remove event recorded)",
			"gone", t1, t2);
	}
}

static void print_span(FILE *out, const struct history *h, const struct dev_span *s,
		       int64_t at)
{
	const struct span_table *tb = table_at(s, at, NULL);

	pm_line(out, "  %-10s %s", "name", s->name);
	if (s->uuid[0])
		pm_line(out, "  %-10s %s", "uuid", s->uuid);
	lvm_line(out, "LVM", s->name);
	if (tb)
		pm_line(out, "  %-10s %s %s", "table", tb->target, tb->params);
	if (s->n_tables > 1)
		tables_line(out, s);
	origin_line(out, h, s, at);
	lifetime_lines(out, s);
}

static void span_range(char *buf, size_t len, const struct dev_span *s)
{
	char a[40], b[40];

	pm_fmt_local(a, sizeof(a), s->from_ns, true, false);
	if (s->open)
		snprintf(b, sizeof(b), "end of recording");
	else
		pm_fmt_local(b, sizeof(b), s->until_ns, true, false);
	snprintf(buf, len, "%s%s .. %s%s", s->from_exact ? "" : "~", a,
		 s->until_exact || s->open ? "" : "~", b);
}

/*
 * "vg/lv", "/dev/vg/lv" -> the dm name "vg-lv" ('-' doubled inside the parts);
 * "/dev/mapper/NAME", "/dev/NAME" -> NAME. NULL when s is no such path: a dm name never
 * holds a '/', so one step is all there is to take.
 */
static char *lv_path_to_dm(const char *s)
{
	const char *slash, *path = s;
	char *dm, *d;

	if (str_has_prefix(s, "/dev/mapper/"))
		return strchr(s + 12, '/') ? NULL : xstrdup(s + 12);
	if (str_has_prefix(s, "/dev/"))
		s += 5;
	slash = strchr(s, '/');
	if (!slash)
		return s != path ? xstrdup(s) : NULL;	/* /dev/NAME */
	if (strchr(slash + 1, '/'))
		return NULL;
	d = dm = xmalloc(2 * strlen(s) + 1);
	for (const char *p = s; *p; p++) {
		if (p == slash)
			*d++ = '-';
		else if (*p == '-')
			*d++ = '-', *d++ = '-';
		else
			*d++ = *p;
	}
	*d = 0;
	return dm;
}

/* whois dm-N --at T: the device it was then; false when none */
static bool whois_at(FILE *out, const struct whois_query *q, const char *what)
{
	struct pm_lookup lu;
	int64_t first, last;

	history_lookup(q->h, q->dev, q->minor_only, q->at_ns, q->res_ns, &lu);
	if (lu.span) {
		pm_line(out, "%s (%u:%u) at %s was %s%s", what, DMW_MAJOR(lu.span->dev),
			DMW_MINOR(lu.span->dev), q->at, lu.how == PM_NEAR ? "probably " : "",
			lu.span->name);
		print_span(out, q->h, lu.span, q->at_ns);
		if (lu.other) {
			fprintf(out, "or, as close in time:\n");
			print_span(out, q->h, lu.other, q->at_ns);
		}
		return true;
	}
	history_range(q->h, &first, &last);
	if (q->at_ns < first || q->at_ns > last) {
		char a[40], b[40];

		pm_fmt_local(a, sizeof(a), first, true, false);
		pm_fmt_local(b, sizeof(b), last, true, false);
		pm_line(out, "%s at %s: no device the recording knows of (the recording covers "
			"%s .. %s)", what, q->at, a, b);
	} else {
		pm_line(out, "%s at %s: no device the recording knows of", what, q->at);
	}
	return false;
}

static bool span_matches(const struct whois_query *q, const struct dev_span *s, const char *name)
{
	struct pm_lookup lu;

	if (q->by_dev)
		return s->dev && DMW_MINOR(s->dev) == DMW_MINOR(q->dev) &&
		       (q->minor_only || s->dev == q->dev);
	if (strcmp(s->name, name))
		return false;
	if (q->at_ns < 0)
		return true;
	history_lookup(q->h, s->dev, false, q->at_ns, q->res_ns, &lu);
	return lu.span == s;
}

/*
 * Every span of the number (or with the name, at --at), oldest first, under a
 * heading: what was asked, or after a miss at --at, what is known. The count.
 */
static size_t list_spans(FILE *out, const struct whois_query *q, const char *what, bool missed)
{
	size_t found = 0;
	char range[96];

	for (size_t k = 0; k < history_count(q->h); k++) {
		const struct dev_span *s = history_sorted(q->h, k);

		if (!span_matches(q, s, what))
			continue;
		if (!found++) {
			if (missed)
				fprintf(out, "what the recording knows of it:\n");
			else
				pm_line(out, "%s%s%s:", what, q->at[0] ? " at " : "", q->at);
		}
		span_range(range, sizeof(range), s);
		pm_line(out, "dm-%u (%u:%u) %s", DMW_MINOR(s->dev), DMW_MAJOR(s->dev),
			DMW_MINOR(s->dev), range);
		print_span(out, q->h, s, q->at_ns);
	}
	return found;
}

/* a name, or failing that the dm name of a VG/LV or /dev path: how many spans */
static size_t whois_name(FILE *out, const struct whois_query *q, const char *what)
{
	size_t found = list_spans(out, q, what, false);
	char *dm = NULL;

	if (!found && (dm = lv_path_to_dm(what)))
		found = list_spans(out, q, dm, false);
	if (!found)
		pm_line(out, "%s: not in the recording%s%s", dm ? dm : what, q->at[0] ? " at " : "",
			q->at);
	free(dm);
	return found;
}

int pm_whois(FILE *out, const struct pm_opts *o, const char *what, const char *at_str)
{
	struct pm_read pr = { .o = o };
	struct whois_query q = { .at_ns = -1, .res_ns = 1 };
	int64_t first, last;
	int ret;

	/* checked before reading: a typo should not wait for a big log */
	if (at_str && pm_time_arg(o, "--at", at_str, &q.at_ns, &q.res_ns))
		return EXIT_UNUSABLE;
	ret = pm_load(&pr);
	if (ret >= 0)
		goto out;
	q.h = pr.h;
	/* a syslog stamp has no year: the one that fits the recording */
	history_range(pr.h, &first, &last);
	if (at_str)
		pm_parse_time_near(at_str, o->now_ns, last, &q.at_ns, &q.res_ns);
	if (q.at_ns >= 0)
		pm_fmt_local(q.at, sizeof(q.at), q.at_ns, true, q.res_ns < PM_NS_PER_S);
	q.by_dev = pm_parse_dev(what, &q.dev, &q.minor_only);
	if (!q.by_dev) {
		ret = whois_name(out, &q, what) ? EXIT_OK : EXIT_WARNING;
	} else if (q.at_ns >= 0 && !whois_at(out, &q, what)) {
		/* what it was before and after */
		list_spans(out, &q, what, true);
		ret = EXIT_WARNING;
	} else if (q.at_ns < 0 && !list_spans(out, &q, what, false)) {
		pm_line(out, "%s: not in the recording", what);
		ret = EXIT_WARNING;
	} else {
		ret = EXIT_OK;
	}
out:
	history_free(pr.h);
	return ret;
}
