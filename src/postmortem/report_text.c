// SPDX-License-Identifier: GPL-2.0
/*
 * `report` as text: what happened (one line per device or problem, in time
 * order), the timeline, I/O errors by device, snapshots and thin pools, and the
 * recording itself. Every line fits the width (pm_opts.width: 80 unless the
 * terminal is wider; 0 for as long as they need): names are cut with a visible
 * '~', prose is wrapped at blanks. Every name, process name and host goes out
 * escaped (term_escaped) before it is measured: they come from outside.
 * pm_report() reads the log through report.c and prints this, or JSON lines.
 */
#include <stdlib.h>
#include <string.h>
#include "postmortem/report.h"
#include "lib/escape.h"
#include "lib/util.h"
#include "lib/width.h"

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

/*
 * raw text in a column of w columns, escaped: cut with '~' when the report has a
 * width, padded unless it is the last on its line (then cut at the width)
 */
static void put_col(FILE *out, unsigned width, const char *raw, size_t w, bool last)
{
	char *shown = term_escaped(raw);
	size_t n = term_cols(shown);

	if (width) {
		term_put_fit(out, shown, w, !last);
	} else {
		fputs(shown, out);
		while (!last && n++ < w)
			fputc(' ', out);
	}
	if (!last)
		fputc(' ', out);
	free(shown);
}

/* raw prose, escaped, from column col of the current line on, wrapped with hang */
static void put_prose(FILE *out, unsigned width, const char *raw, size_t col, size_t hang)
{
	char *shown = term_escaped(raw);

	if (width)
		term_put_wrapped(out, shown, width, col, hang);
	else
		fprintf(out, "%s\n", shown);
	free(shown);
}

/* a NAME column: wide enough for what else the line holds, 32 at most */
static size_t name_cols(unsigned width, size_t others, size_t min)
{
	if (!width)
		return 32;
	if (width < others + min)
		return min;
	return width - others > 32 ? 32 : width - others;
}

/* the columns left for a line's last column after `used`; 8 at least (a narrow
 * terminal overflows, the arithmetic does not); 0 (no cut) without a width */
static size_t rest_cols(unsigned width, size_t used)
{
	if (!width)
		return 0;
	return width >= used + 8 ? width - used : 8;
}

/*
 * A name at the start of a "What happened" line: with a width, at most half of
 * it, cut with '~' (the line's prose wraps, a name does not). Measured raw: a
 * control byte counts as its escape.
 */
static const char *summary_name(const char *raw, unsigned width, char **keep)
{
	size_t max = width / 2;

	free(*keep);
	*keep = NULL;
	if (!width || term_cols(raw) <= max)
		return raw;
	*keep = xasprintf("%.*s~", (int)term_cols_prefix(raw, max - 1, NULL), raw);
	return *keep;
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
			  const struct err_dev *d, unsigned width)
{
	char *keep = NULL;
	bool pool = !strcmp(f->kind, "thin-pool");
	char dn[16], t1[32], t2[32];
	struct pm_text t;
	FILE *m = pm_text_open(&t);

	dev_str(dn, sizeof(dn), f->dev);
	fprintf(m, "%s (%s): ", summary_name(f->name, width, &keep), dn);
	free(keep);
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
static char *error_summary(const struct report_state *rs, const struct err_dev *d,
			   unsigned width)
{
	char dn[16], t1[32], *keep = NULL;
	struct pm_text t;
	FILE *m = pm_text_open(&t);

	dev_str(dn, sizeof(dn), d->dev);
	if (d->name[0])
		fprintf(m, "%s (%s): ", summary_name(d->name, width, &keep), dn);
	else
		fprintf(m, "%s (name unknown): ", dn);
	free(keep);
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

static char *failure_summary(const struct report_state *rs, const struct fail_op *f,
			     unsigned width)
{
	char t1[32], *keep = NULL, *text;
	const char *name = summary_name(name_or(f->name), width, &keep);

	when(rs, t1, f->first);
	if (f->n > 1)
		text = xasprintf("%s: %s failed with %s %llu times, first at %s by pid %u %s",
				 name, event_type_str(f->type) + 3, errno_or(f->ret, "an error"),
				 (unsigned long long)f->n, t1, f->pid, f->comm);
	else
		text = xasprintf("%s: %s failed with %s at %s by pid %u %s", name,
				 event_type_str(f->type) + 3, errno_or(f->ret, "an error"), t1,
				 f->pid, f->comm);
	free(keep);
	return text;
}

static void summary_add(struct tl_line **lines, size_t *n, int64_t t, char *text)
{
	struct tl_line *l = array_push(lines, n, sizeof(*l));

	l->t = t;
	l->text = text;
}

/* "What happened:": a line per device or problem, in time order */
static void print_summary(const struct report_state *rs, FILE *out, unsigned width)
{
	struct tl_line *lines = NULL;
	size_t n = 0;
	char t1[32], t2[32];

	for (size_t i = 0; i < rs->n_fills; i++) {
		const struct fill_dev *f = &rs->fills[i];
		const struct err_dev *d = errs_of(rs, f->dev, f->name);

		if (fill_alarming(f, d))
			summary_add(&lines, &n, f->bad_state ? f->state_t : f->max_t,
				    fill_summary(rs, f, d, width));
	}
	for (size_t i = 0; i < rs->n_errs; i++)
		if (!has_fill(rs, &rs->errs[i]))
			summary_add(&lines, &n, rs->errs[i].first, error_summary(rs, &rs->errs[i], width));
	for (size_t i = 0; i < rs->n_fails; i++)
		summary_add(&lines, &n, rs->fails[i].first, failure_summary(rs, &rs->fails[i], width));
	if (rs->lost)
		summary_add(&lines, &n, rs->lost_first,
			    xasprintf("%llu events lost (ring full or probe skipped), first at %s",
				      (unsigned long long)rs->lost, when(rs, t1, rs->lost_first)));
	for (size_t i = 0; i < rs->n_gaps; i++)
		summary_add(&lines, &n, rs->gaps[i].from,
			    xasprintf("recorder stopped without a clean end (killed or crashed): "
				      "nothing recorded from %s to %s", when(rs, t1, rs->gaps[i].from),
				      when(rs, t2, rs->gaps[i].to)));
	fprintf(out, "What happened:\n");
	if (!n)
		put_prose(out, width, "  nothing alarming: no I/O errors, no snapshot or pool at "
			  "80 % or more, no failed dm operation, no lost events", 0, 2);
	if (n)
		qsort(lines, n, sizeof(*lines), sum_cmp);
	for (size_t i = 0; i < n; i++) {
		fputs("  ", out);
		put_prose(out, width, lines[i].text, 2, 4);
		free(lines[i].text);
	}
	free(lines);
}

/*
 * Time, EVENT (17) and DEV (7): what a timeline line holds beside NAME and its
 * text. The time takes 18 columns ("    05:38:02.100  "), 15 with a width
 * ("  05:38:02.100 "): 3 more for NAME, which then holds a Proxmox disk's
 * "pve-vm--100--disk--0" whole at 80 columns.
 */
#define TL_TIME_COLS(width)	((width) ? 15 : 18)
#define TL_LEAD_COLS(width)	(TL_TIME_COLS(width) + 24)
#define TL_TEXT_MIN	20
#define TL_HANG		18

static void print_timeline(struct report_state *rs, FILE *out, unsigned width)
{
	size_t name_w = name_cols(width, TL_LEAD_COLS(width) + 1 + TL_TEXT_MIN, 16);
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
		fprintf(out, width ? "  %s " : "    %s  ", tm + 11);
		put_col(out, width, rs->tl[i].event, 16, false);
		if (rs->tl[i].dev[0]) {
			put_col(out, width, rs->tl[i].dev, 6, false);
			put_col(out, width, rs->tl[i].name, name_w, false);
		}
		put_prose(out, width, rs->tl[i].text,
			  rs->tl[i].dev[0] ? TL_LEAD_COLS(width) + name_w + 1 : TL_LEAD_COLS(width) - 7,
			  TL_HANG);
	}
	if (!rs->n_tl)
		fprintf(out, "  (no events in this time range)\n");
}

/* DEV, ERRORS, READ, WRITE and the blanks (NAME's too): beside NAME, FIRST and BY */
#define ERR_LEAD_COLS	37
#define ERR_BY_MIN	20

static void print_errors(const struct report_state *rs, FILE *out, unsigned width)
{
	/* with a width, FIRST as the rest of the report says times: the date only when it changes */
	int first_w = !width || rs->multi_day ? 19 : 8;
	size_t name_w = name_cols(width, ERR_LEAD_COLS + first_w + ERR_BY_MIN, 16);

	if (!rs->n_errs)
		return;
	fprintf(out, "\nI/O errors by device:\n  %-7s %-*s %8s %6s %6s  %-*s  %s\n", "DEV",
		(int)name_w, "NAME", "ERRORS", "READ", "WRITE", first_w, "FIRST", "BY");
	for (size_t i = 0; i < rs->n_errs; i++) {
		const struct err_dev *d = &rs->errs[i];
		char dn[16], first[32], *pids;
		struct pm_text t;

		put_pids(pm_text_open(&t), d);
		pids = pm_text_close(&t);
		dev_str(dn, sizeof(dn), d->dev);
		if (width)
			when(rs, first, d->first);
		else
			pm_fmt_local(first, sizeof(first), d->first, true, false);
		fprintf(out, "  %-7s ", dn);
		put_col(out, width, name_or(d->name), name_w, false);
		fprintf(out, "%8llu %6llu %6llu  %-*s  ", (unsigned long long)d->n,
			(unsigned long long)d->by_op[DMW_OP_READ],
			(unsigned long long)d->by_op[DMW_OP_WRITE], first_w, first);
		put_col(out, width, pids, rest_cols(width, ERR_LEAD_COLS + first_w + name_w), true);
		fputc('\n', out);
		free(pids);
	}
}

/* DEV, KIND, MAX %, the three crossings and the blanks (not NAME's): beside NAME, STATE */
#define FILL_LEAD_COLS(kind_w)	(47 + (kind_w))
#define FILL_STATE_MIN	7	/* "invalid", "active"; a pool mode such as out_of_data_space is cut */

static void print_fills(const struct report_state *rs, FILE *out, unsigned width)
{
	/* with a width, "snapshot" says what "lvm-snapshot" does in 4 columns less */
	int kind_w = width ? 9 : 12;
	size_t name_w = name_cols(width, FILL_LEAD_COLS(kind_w) + 1 + FILL_STATE_MIN, 12);

	if (!rs->n_fills)
		return;
	fprintf(out, "\nSnapshots and thin pools:\n  %-7s %-*s %-*s %6s  %-8s %-8s %-8s  %s\n",
		"DEV", (int)name_w, "NAME", kind_w, "KIND", "MAX %", "80 %", "95 %", "100 %", "STATE");
	for (size_t i = 0; i < rs->n_fills; i++) {
		const struct fill_dev *f = &rs->fills[i];
		const char *kind = f->kind[0] ? f->kind : "?";
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
		if (width && !strcmp(kind, "lvm-snapshot"))
			kind = "snapshot";
		fprintf(out, "  %-7s ", dn);
		put_col(out, width, f->name, name_w, false);
		put_col(out, width, kind, kind_w, false);
		fprintf(out, "%6s  %-8s %-8s %-8s  ", mx, c[0], c[1], c[2]);
		put_col(out, width, f->state[0] ? f->state : "active",
			rest_cols(width, FILL_LEAD_COLS(kind_w) + name_w + 1), true);
		fputc('\n', out);
	}
}

void print_report(struct report_state *rs, FILE *out, const struct pm_read *pr)
{
	const struct rec_read_stats *st = &pr->stats;
	unsigned width = pr->o->width;
	char t1[32], t2[32], *text;

	while (rs->n_bursts)
		burst_flush(rs, rs->n_bursts - 1);
	pm_fmt_local(t1, sizeof(t1), rs->first, true, false);
	pm_fmt_local(t2, sizeof(t2), rs->last, true, false);
	rs->multi_day = strncmp(t1, t2, 10) != 0;
	text = xasprintf("dmwatch report: %s, %s .. %s (%llu records, %llu segments%s)",
			 pr->o->dir, t1, t2, (unsigned long long)rs->records,
			 (unsigned long long)st->segments,
			 pr->warnings ? ", damaged parts skipped: see warnings" : "");
	put_prose(out, width, text, 0, 2);
	free(text);
	fputc('\n', out);
	print_summary(rs, out, width);
	print_timeline(rs, out, width);
	print_errors(rs, out, width);
	print_fills(rs, out, width);
	text = xasprintf("Recording: %llu blocks (%llu damaged), %llu recorder start%s (%llu "
			 "without a clean stop before), %llu events lost",
			 (unsigned long long)st->blocks, (unsigned long long)st->bad_blocks,
			 (unsigned long long)rs->sessions, rs->sessions == 1 ? "" : "s",
			 (unsigned long long)rs->unclean, (unsigned long long)rs->lost);
	fputc('\n', out);
	put_prose(out, width, text, 0, 2);
	free(text);
}

int pm_report(FILE *out, const struct pm_opts *o)
{
	struct report_state rs = {};
	struct pm_read pr = { .o = o };
	int ret;

	report_reader(&pr, &rs, out);
	ret = pm_load(&pr);
	if (ret < 0) {
		if (!o->json)
			print_report(&rs, out, &pr);
		ret = EXIT_OK;
	}
	report_state_free(&rs);
	history_free(pr.h);
	return ret;
}
