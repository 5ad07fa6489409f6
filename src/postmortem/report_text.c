// SPDX-License-Identifier: GPL-2.0
/*
 * `report` as text: what happened (one line per device or problem, in time
 * order), the timeline, I/O errors by device, snapshots and thin pools, and the
 * recording itself. Lines are as long as they need to be, and every line goes
 * out through term_escape: names, process names and hosts come from outside.
 */
#include <stdlib.h>
#include <string.h>
#include "postmortem/report.h"
#include "lib/util.h"

static int tl_cmp(const void *a, const void *b)
{
	const struct tl_line *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int sum_cmp(const void *a, const void *b)
{
	const struct tl_line *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

/* a time in the report: with the date when the report spans days */
static const char *when(const struct report_state *rs, char buf[32], int64_t t)
{
	pm_fmt_local(buf, 32, t, rs->multi_day, false);
	return buf;
}

/* "pid 4711 dd, pid 4712 kworker/u8:2 and others" */
static void put_pids(FILE *f, const struct err_dev *d)
{
	for (size_t i = 0; i < d->n_pids; i++)
		fprintf(f, "%spid %u %s", i ? ", " : "", d->pids[i].pid, d->pids[i].comm);
	if (d->other_pids)
		fprintf(f, " and others");
}

/* "3 read errors (EIO) by pid 4711 dd at 05:38:02[..05:38:04]" */
static void put_errors(FILE *f, const struct report_state *rs, const struct err_dev *d)
{
	char first[32], last[32];
	const char *op = d->by_op[DMW_OP_READ] == d->n ? "read " :
			 d->by_op[DMW_OP_WRITE] == d->n ? "write " : "I/O ";

	when(rs, first, d->first);
	when(rs, last, d->last);
	fprintf(f, "%llu %serror%s (%s) by ", (unsigned long long)d->n, op, d->n > 1 ? "s" : "",
		errno_or(d->error, "EIO"));
	put_pids(f, d);
	fprintf(f, " at %s%s%s", first, strcmp(first, last) ? ".." : "",
		strcmp(first, last) ? last : "");
}

static bool fill_alarming(const struct fill_dev *f, const struct err_dev *d)
{
	return f->bad_state || f->max >= report_thresholds[0] || f->overflow_warn_t || d;
}

/* "snap (dm-54): COW 100 % -> Invalid at ...; 3 read errors ..." */
static char *fill_summary(const struct report_state *rs, const struct fill_dev *f,
			  const struct err_dev *d)
{
	bool pool = !strcmp(f->kind, "thin-pool");
	char dn[16], t1[32], t2[32];
	struct pm_text t;
	FILE *m = pm_text_open(&t);

	dev_str(dn, sizeof(dn), f->dev);
	fprintf(m, "%s (%s): ", f->name, dn);
	if (f->bad_state && !pool) {
		fprintf(m, "COW 100 %% -> %s at %s",
			!strcmp(f->state, "invalid") ? "Invalid" : f->state, when(rs, t1, f->state_t));
		if (f->max >= 0)
			fprintf(m, " (last sample %.1f %% at %s)", f->last, when(rs, t2, f->last_t));
	} else if (f->max >= 0) {
		fprintf(m, "%s %.1f %% at %s%s", pool ? "pool data" : "COW", f->max,
			when(rs, t1, f->max_t),
			f->max >= 95 ? " (critical)" : f->max >= 80 ? " (warning)" : "");
		if (f->bad_state)
			fprintf(m, "; mode %s at %s", f->state, when(rs, t2, f->state_t));
	}
	if (f->overflow_warn_t)
		fprintf(m, "; predicted to overflow before the backup reader finished (%s)",
			when(rs, t1, f->overflow_warn_t));
	if (d) {
		fprintf(m, "; ");
		put_errors(m, rs, d);
	}
	return pm_text_close(&t);
}

static bool has_fill(const struct report_state *rs, const struct err_dev *d)
{
	for (size_t k = 0; k < rs->n_fills; k++)
		if (rs->fills[k].dev == d->dev && !strcmp(rs->fills[k].name, d->name))
			return true;
	return false;
}

/* errors on a device without samples; the reason may lie before --since */
static char *error_summary(const struct report_state *rs, const struct err_dev *d)
{
	char dn[16], t1[32];
	struct pm_text t;
	FILE *m = pm_text_open(&t);

	dev_str(dn, sizeof(dn), d->dev);
	if (d->name[0])
		fprintf(m, "%s (%s): ", d->name, dn);
	else
		fprintf(m, "%s (name unknown): ", dn);
	put_errors(m, rs, d);
	for (size_t k = rs->n_prior; k-- > 0;) {
		const struct fill_dev *p = &rs->prior[k];

		if (p->dev == d->dev && !strcmp(p->name, d->name)) {
			fprintf(m, "; %s %s since %s", strcmp(p->kind, "thin-pool") ? "snapshot" : "pool",
				p->state, when(rs, t1, p->state_t));
			break;
		}
	}
	return pm_text_close(&t);
}

static char *failure_summary(const struct report_state *rs, const struct fail_op *f)
{
	char t1[32];

	when(rs, t1, f->first);
	if (f->n > 1)
		return xasprintf("%s: %s failed with %s %llu times, first at %s by pid %u %s",
				 name_or(f->name), event_type_str(f->type) + 3,
				 errno_or(f->ret, "an error"), (unsigned long long)f->n, t1, f->pid,
				 f->comm);
	return xasprintf("%s: %s failed with %s at %s by pid %u %s", name_or(f->name),
			 event_type_str(f->type) + 3, errno_or(f->ret, "an error"), t1, f->pid,
			 f->comm);
}

static void summary_add(struct tl_line **lines, size_t *n, int64_t t, char *text)
{
	struct tl_line *l = array_push(lines, n, sizeof(*l));

	l->t = t;
	l->text = text;
}

/* "What happened:": a line per device or problem, in time order */
static void print_summary(const struct report_state *rs, FILE *out)
{
	struct tl_line *lines = NULL;
	size_t n = 0;
	char t1[32], t2[32];

	for (size_t i = 0; i < rs->n_fills; i++) {
		const struct fill_dev *f = &rs->fills[i];
		const struct err_dev *d = errs_of(rs, f->dev, f->name);

		if (fill_alarming(f, d))
			summary_add(&lines, &n, f->bad_state ? f->state_t : f->max_t,
				    fill_summary(rs, f, d));
	}
	for (size_t i = 0; i < rs->n_errs; i++)
		if (!has_fill(rs, &rs->errs[i]))
			summary_add(&lines, &n, rs->errs[i].first, error_summary(rs, &rs->errs[i]));
	for (size_t i = 0; i < rs->n_fails; i++)
		summary_add(&lines, &n, rs->fails[i].first, failure_summary(rs, &rs->fails[i]));
	if (rs->lost)
		summary_add(&lines, &n, rs->lost_first,
			    xasprintf("%llu events lost (ring buffer full), first at %s",
				      (unsigned long long)rs->lost, when(rs, t1, rs->lost_first)));
	for (size_t i = 0; i < rs->n_gaps; i++)
		summary_add(&lines, &n, rs->gaps[i].from,
			    xasprintf("recorder stopped without a clean end (killed or crashed): "
				      "nothing recorded from %s to %s", when(rs, t1, rs->gaps[i].from),
				      when(rs, t2, rs->gaps[i].to)));
	fprintf(out, "What happened:\n");
	if (!n)
		fprintf(out, "  nothing alarming: no I/O errors, no snapshot or pool at 80 %% or more, "
			"no failed dm operation, no lost events\n");
	if (n)
		qsort(lines, n, sizeof(*lines), sum_cmp);
	for (size_t i = 0; i < n; i++) {
		pm_line(out, "  %s", lines[i].text);
		free(lines[i].text);
	}
	free(lines);
}

static void print_timeline(struct report_state *rs, FILE *out)
{
	char day[16] = "";

	fprintf(out, "\nTimeline (local time):\n");
	if (rs->n_tl)
		qsort(rs->tl, rs->n_tl, sizeof(*rs->tl), tl_cmp);
	for (size_t i = 0; i < rs->n_tl; i++) {
		char d[16], tm[32];

		pm_fmt_local(tm, sizeof(tm), rs->tl[i].t, true, true);
		snprintf(d, sizeof(d), "%.10s", tm);
		if (strcmp(d, day)) {
			fprintf(out, "  %s\n", d);
			snprintf(day, sizeof(day), "%s", d);
		}
		pm_line(out, "    %s  %s", tm + 11, rs->tl[i].text);
	}
	if (!rs->n_tl)
		fprintf(out, "  (no events in this time range)\n");
}

static void print_errors(const struct report_state *rs, FILE *out)
{
	if (!rs->n_errs)
		return;
	fprintf(out, "\nI/O errors by device:\n  %-7s %-32s %8s %6s %6s  %-19s  %s\n", "DEV",
		"NAME", "ERRORS", "READ", "WRITE", "FIRST", "BY");
	for (size_t i = 0; i < rs->n_errs; i++) {
		const struct err_dev *d = &rs->errs[i];
		char dn[16], first[32], *pids;
		struct pm_text t;

		put_pids(pm_text_open(&t), d);
		pids = pm_text_close(&t);
		dev_str(dn, sizeof(dn), d->dev);
		pm_fmt_local(first, sizeof(first), d->first, true, false);
		pm_line(out, "  %-7s %-32s %8llu %6llu %6llu  %-19s  %s", dn, name_or(d->name),
			(unsigned long long)d->n, (unsigned long long)d->by_op[DMW_OP_READ],
			(unsigned long long)d->by_op[DMW_OP_WRITE], first, pids);
		free(pids);
	}
}

static void print_fills(const struct report_state *rs, FILE *out)
{
	if (!rs->n_fills)
		return;
	fprintf(out, "\nSnapshots and thin pools:\n  %-7s %-32s %-12s %6s  %-8s %-8s %-8s  %s\n",
		"DEV", "NAME", "KIND", "MAX %", "80 %", "95 %", "100 %", "STATE");
	for (size_t i = 0; i < rs->n_fills; i++) {
		const struct fill_dev *f = &rs->fills[i];
		char dn[16], c[N_THRESHOLDS][16], mx[16];

		dev_str(dn, sizeof(dn), f->dev);
		for (int k = 0; k < N_THRESHOLDS; k++) {
			if (!f->crossed_t[k])
				snprintf(c[k], sizeof(c[k]), "-");
			else
				pm_fmt_local(c[k], sizeof(c[k]), f->crossed_t[k], false, false);
		}
		if (f->max >= 0)
			snprintf(mx, sizeof(mx), "%.1f", f->max);
		else
			snprintf(mx, sizeof(mx), "-");
		pm_line(out, "  %-7s %-32s %-12s %6s  %-8s %-8s %-8s  %s", dn, f->name,
			f->kind[0] ? f->kind : "?", mx, c[0], c[1], c[2],
			f->state[0] ? f->state : "active");
	}
}

void print_report(struct report_state *rs, FILE *out, const struct pm_read *pr)
{
	const struct rec_read_stats *st = &pr->stats;
	char t1[32], t2[32];

	while (rs->n_bursts)
		burst_flush(rs, rs->n_bursts - 1);
	pm_fmt_local(t1, sizeof(t1), rs->first, true, false);
	pm_fmt_local(t2, sizeof(t2), rs->last, true, false);
	rs->multi_day = strncmp(t1, t2, 10) != 0;
	pm_line(out, "dmwatch report: %s, %s .. %s (%llu records, %llu segments%s)", pr->o->dir, t1,
		t2, (unsigned long long)rs->records, (unsigned long long)st->segments,
		pr->warnings ? ", damaged parts skipped: see warnings" : "");
	fputc('\n', out);
	print_summary(rs, out);
	print_timeline(rs, out);
	print_errors(rs, out);
	print_fills(rs, out);
	fprintf(out, "\nRecording: %llu blocks (%llu damaged), %llu recorder start%s (%llu without "
		"a clean stop before), %llu events lost\n", (unsigned long long)st->blocks,
		(unsigned long long)st->bad_blocks, (unsigned long long)rs->sessions,
		rs->sessions == 1 ? "" : "s", (unsigned long long)rs->unclean,
		(unsigned long long)rs->lost);
}
