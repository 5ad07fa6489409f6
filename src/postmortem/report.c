// SPDX-License-Identifier: GPL-2.0
/*
 * `report`: what the recorder saw, gathered in one pass over the log (errors per
 * device and process in bursts, snapshot and pool fill and state, failed dm
 * operations, lost events, recorder gaps, the timeline) for report_text.c, or
 * every event as a JSON line (the trace --json schema).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "postmortem/report.h"
#include "lib/util.h"

const double report_thresholds[N_THRESHOLDS] = { 80, 95, 100 };

static void tl_add(struct report_state *rs, int64_t t, const char *event, const char *dn,
		   const char *name, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* a timeline line: EVENT, then DEV and NAME when dn is set, then the text */
static void tl_add(struct report_state *rs, int64_t t, const char *event, const char *dn,
		   const char *name, const char *fmt, ...)
{
	struct tl_line *l = array_push(&rs->tl, &rs->n_tl, sizeof(*l));
	va_list ap;

	snprintf(l->event, sizeof(l->event), "%s", event);
	snprintf(l->dev, sizeof(l->dev), "%s", dn ? dn : "");
	l->name = dn ? xstrdup(name_or(name)) : NULL;
	va_start(ap, fmt);
	if (vasprintf(&l->text, fmt, ap) < 0)
		oom();
	va_end(ap);
	l->t = t;
	l->seq = rs->n_tl;
}

const char *errno_or(int err, const char *dflt)
{
	const char *n = errno_name(err < 0 ? -(long long)err : err);

	return n ? n : dflt;
}

void dev_str(char *buf, size_t len, uint32_t dev)
{
	if (dev)
		snprintf(buf, len, "dm-%u", DMW_MINOR(dev));
	else
		snprintf(buf, len, "-");
}

const char *name_or(const char *name)
{
	return name && *name ? name : "(unnamed)";
}

void burst_flush(struct report_state *rs, size_t i)
{
	struct burst *b = &rs->bursts[i];
	char dn[16], sectors[64] = "", lower[48] = "";

	dev_str(dn, sizeof(dn), b->dev);
	if (b->smin == b->smax)
		snprintf(sectors, sizeof(sectors), "sector %llu", (unsigned long long)b->smin);
	else
		snprintf(sectors, sizeof(sectors), "sectors %llu..%llu",
			 (unsigned long long)b->smin, (unsigned long long)b->smax);
	if (b->lower)
		snprintf(lower, sizeof(lower), ", on %u:%u below", DMW_MAJOR(b->lower),
			 DMW_MINOR(b->lower));
	tl_add(rs, b->first, "io_error", dn, b->name, "%llu %s error%s %s by pid %u %s (%s%s)",
	       (unsigned long long)b->n,
	       op_str(b->op), b->n > 1 ? "s" : "", errno_or(b->error, "EIO"), b->pid, b->comm,
	       sectors, lower);
	free(b->name);
	rs->bursts[i] = rs->bursts[--rs->n_bursts];
}

struct err_dev *errs_of(const struct report_state *rs, uint32_t dev, const char *name)
{
	for (size_t i = 0; i < rs->n_errs; i++)
		if (rs->errs[i].dev == dev && !strcmp(rs->errs[i].name, name))
			return &rs->errs[i];
	return NULL;
}

/* a burst goes on with errors of the same device, process, op and error */
static bool burst_is(const struct burst *b, const struct rec_io_group *g, const char *name)
{
	return b->dev == g->dev && b->pid == g->pid && b->op == g->op && b->error == g->error &&
	       !strcmp(b->name, name);
}

/*
 * Errors of one kind (device, process, op, error, lower device) between g's first
 * and last time: one event, or a group from a block's summary. Groups are fed in
 * the order of their first event and then settle() in the order of their last,
 * which leaves the same counts, pids and bursts as the events one by one would.
 */
static void count_errors(struct report_state *rs, const struct rec_io_group *g, const char *name)
{
	struct err_dev *d = errs_of(rs, g->dev, name);
	struct burst *b = NULL;

	if (!d) {
		d = array_push(&rs->errs, &rs->n_errs, sizeof(*d));
		d->dev = g->dev;
		d->name = xstrdup(name);
		d->first = g->first_ns;
		d->error = g->error;
	}
	d->n += g->n;
	d->by_op[g->op <= DMW_OP_FLUSH ? g->op : DMW_OP_OTHER] += g->n;
	d->last = g->last_ns;
	if (g->lower)
		d->lower = g->lower;
	for (size_t i = 0; i <= d->n_pids; i++) {
		if (i == d->n_pids) {
			if (d->n_pids < ARRAY_SIZE(d->pids)) {
				d->pids[d->n_pids].pid = g->pid;
				pm_set_comm(d->pids[d->n_pids].comm, g->comm);
				d->pids[d->n_pids++].n = g->n;
			} else {
				d->other_pids += g->n;
			}
			break;
		}
		if (d->pids[i].pid == g->pid) {
			d->pids[i].n += g->n;
			break;
		}
	}

	/* bursts: same device, process, op and error, close together */
	for (size_t i = 0; i < rs->n_bursts;) {
		struct burst *x = &rs->bursts[i];

		if (beyond_burst_gap(g->first_ns, x->last)) {
			burst_flush(rs, i);
			continue;
		}
		if (burst_is(x, g, name))
			b = x;
		i++;
	}
	if (!b) {
		b = array_push(&rs->bursts, &rs->n_bursts, sizeof(*b));
		b->dev = g->dev;
		b->pid = g->pid;
		b->op = g->op;
		b->error = g->error;
		b->name = xstrdup(name);
		pm_set_comm(b->comm, g->comm);
		b->first = g->first_ns;
		b->smin = g->smin;
		b->smax = g->smax;
	}
	b->n += g->n;
	b->last = g->last_ns;
	b->lower = g->lower ? g->lower : b->lower;
	if (g->smin < b->smin)
		b->smin = g->smin;
	if (g->smax > b->smax)
		b->smax = g->smax;
}

/* what the last event of g leaves behind: the latest time, the latest lower device */
static void settle(struct report_state *rs, const struct rec_io_group *g, const char *name)
{
	struct err_dev *d = errs_of(rs, g->dev, name);

	if (d) {
		d->last = g->last_ns;
		d->lower = g->lower ? g->lower : d->lower;
	}
	for (size_t i = 0; i < rs->n_bursts; i++) {
		struct burst *b = &rs->bursts[i];

		if (burst_is(b, g, name)) {
			b->last = g->last_ns;
			b->lower = g->lower ? g->lower : b->lower;
		}
	}
}

static void count_error(struct report_state *rs, const struct dmw_event *e, const char *name,
			int64_t t)
{
	struct rec_io_group g = {
		.dev = e->dev, .pid = e->pid, .lower = e->lower_dev, .op = e->op,
		.error = e->error, .n = 1, .smin = e->sector, .smax = e->sector,
		.first_ns = t, .last_ns = t,
	};

	memcpy(g.comm, e->comm, sizeof(g.comm));
	count_errors(rs, &g, name);
}

static void count_failure(struct report_state *rs, const struct dmw_event *e, const char *name,
			  int64_t t)
{
	struct fail_op *f = NULL;

	for (size_t i = 0; i < rs->n_fails; i++)
		if (rs->fails[i].type == e->type && rs->fails[i].ret == e->ret &&
		    !strcmp(rs->fails[i].name, name)) {
			f = &rs->fails[i];
			break;
		}
	if (!f) {
		f = array_push(&rs->fails, &rs->n_fails, sizeof(*f));
		f->type = e->type;
		f->ret = e->ret;
		f->name = xstrdup(name);
		f->first = t;
		f->pid = e->pid;
		pm_set_comm(f->comm, e->comm);
	}
	f->n++;
	f->last = t;
}

static struct fill_dev *fill_get(struct report_state *rs, uint32_t dev, const char *name)
{
	struct fill_dev *f;

	for (size_t i = 0; i < rs->n_fills; i++)
		if (rs->fills[i].dev == dev && !strcmp(rs->fills[i].name, name))
			return &rs->fills[i];
	f = array_push(&rs->fills, &rs->n_fills, sizeof(*f));
	f->dev = dev;
	f->name = xstrdup(name);
	f->max = -1;
	f->last = -1;
	return f;
}

static void human_rate(char *buf, size_t len, double bps, bool pool)
{
	if (pool)
		snprintf(buf, len, "%.1f blocks/s", bps);
	else if (bps >= 1048576)
		snprintf(buf, len, "%.1f MiB/s", bps / 1048576);
	else if (bps >= 1024)
		snprintf(buf, len, "%.1f KiB/s", bps / 1024);
	else
		snprintf(buf, len, "%.0f B/s", bps);
}

static void count_cow(struct report_state *rs, const struct cow_sample *c, int64_t t)
{
	struct fill_dev *f = fill_get(rs, c->dev, c->name);
	bool pool = !strcmp(c->kind, "thin-pool");
	char dn[16], rate[32], eta[48] = "";

	snprintf(f->kind, sizeof(f->kind), "%s", c->kind);
	if (!f->first_t)
		f->first_t = t;
	dev_str(dn, sizeof(dn), c->dev);
	human_rate(rate, sizeof(rate), c->rate, pool);
	if (c->eta_s >= 0)
		snprintf(eta, sizeof(eta), ", full in %.0f s", c->eta_s);
	for (size_t k = 0; k < ARRAY_SIZE(report_thresholds); k++) {
		if (f->crossed_t[k] || c->used_percent < report_thresholds[k])
			continue;
		f->crossed_t[k] = t;
		f->crossed_pct[k] = c->used_percent;
		tl_add(rs, t, pool ? "pool_usage" : "cow_usage", dn, c->name,
		       "%s %.1f %% (crossed %.0f %%; %s%s)", pool ? "data" : "COW", c->used_percent, report_thresholds[k], rate, eta);
	}
	if (c->overflow_before_reader && !f->overflow_warn_t) {
		f->overflow_warn_t = t;
		f->rate_at_warn = c->rate;
		f->eta_at_warn = c->eta_s;
		tl_add(rs, t, "cow_race", dn, c->name, "will overflow before the reader is done "
		       "(full in %.0f s, reader needs %.0f s)", c->eta_s, c->reader_eta_s);
	}
	if (c->used_percent > f->max) {
		f->max = c->used_percent;
		f->max_t = t;
	}
	f->last = c->used_percent;
	f->last_t = t;
}

static bool bad_state(const char *event, const char *state)
{
	if (!strcmp(event, "snapshot_invalid"))
		return strcmp(state, "active") != 0;
	return strcmp(state, "rw") != 0;
}

static void count_state(struct report_state *rs, const struct rec *r)
{
	struct fill_dev *f = fill_get(rs, r->st.dev, r->st.name);
	bool pool = !strcmp(r->st.event, "pool_mode");
	char dn[16];

	if (!f->kind[0])
		snprintf(f->kind, sizeof(f->kind), "%s", pool ? "thin-pool" : "lvm-snapshot");
	if (!f->first_t)
		f->first_t = r->unix_ns;
	dev_str(dn, sizeof(dn), r->st.dev);
	if (bad_state(r->st.event, r->st.state) && !f->bad_state) {
		f->bad_state = true;
		f->state_t = r->unix_ns;
	}
	snprintf(f->state, sizeof(f->state), "%s", r->st.state);
	tl_add(rs, r->unix_ns, r->st.event, dn, r->st.name, "%s %s", pool ? "mode" : "state",
	       r->st.state);
}

static void report_kernel(struct report_state *rs, struct pm_read *pr, const struct rec *r)
{
	const struct dmw_event *e = r->k.ev;
	const struct name_entry *nm = r->k.named;
	const struct dev_span *cur;
	const char *name = e->name[0] ? e->name : nm ? nm->name : "";
	char dn[16];

	if (e->type == DMW_EV_IO_ERROR) {
		name = nm && nm->name[0] ? nm->name : "";
		if (!*name && (cur = history_current(pr->h, e->dev)))
			name = cur->name;
		count_error(rs, e, name, r->unix_ns);
		return;
	}
	if (e->type == DMW_EV_DM_TABLE_EVENT)
		return;
	rs->lifecycle++;
	dev_str(dn, sizeof(dn), e->dev ? e->dev : nm ? nm->dev : 0);
	if (e->ret)
		count_failure(rs, e, name, r->unix_ns);
	tl_add(rs, r->unix_ns, event_type_str(e->type), dn, name, "%s%s%sby pid %u %s%s%s",
	       e->type == DMW_EV_DM_RENAME ? "-> " : "",
	       e->type == DMW_EV_DM_RENAME ? e->new_name : "",
	       e->type == DMW_EV_DM_RENAME ? " " : "", e->pid, e->comm,
	       e->ret ? " FAILED " : "", e->ret ? errno_or(e->ret, "error") : "");
}

static int report_rec(struct pm_read *pr, const struct rec *r)
{
	struct report_state *rs = pr->ctx;
	int64_t t = r->unix_ns;

	/* sessions first: gaps are found on the whole log */
	if (r->kind == REC_SESSION && r->ses.what == REC_SESSION_START) {
		if (rs->session_open && rs->last_any) {
			typeof(*rs->gaps) *g;

			g = array_push(&rs->gaps, &rs->n_gaps, sizeof(*rs->gaps));
			g->from = rs->last_any;
			g->to = t;
			rs->unclean++;
		}
		rs->session_open = true;
	} else if (r->kind == REC_SESSION && r->ses.what == REC_SESSION_STOP) {
		rs->session_open = false;
	}
	if (t > rs->last_any)
		rs->last_any = t;
	if (t < pr->o->since_ns && r->kind == REC_STATE && bad_state(r->st.event, r->st.state)) {
		struct fill_dev *f = array_push(&rs->prior, &rs->n_prior, sizeof(*f));

		f->dev = r->st.dev;
		f->name = xstrdup(r->st.name);
		f->state_t = t;
		snprintf(f->state, sizeof(f->state), "%s", r->st.state);
		snprintf(f->kind, sizeof(f->kind), "%s",
			 strcmp(r->st.event, "pool_mode") ? "lvm-snapshot" : "thin-pool");
	}
	if (t < pr->o->since_ns || t > pr->o->until_ns)
		return 0;
	rs->records++;
	if (!rs->first || t < rs->first)
		rs->first = t;
	if (t > rs->last)
		rs->last = t;
	switch (r->kind) {
	case REC_KERNEL:
		report_kernel(rs, pr, r);
		break;
	case REC_COW:
		count_cow(rs, &r->cow, t);
		break;
	case REC_STATE:
		count_state(rs, r);
		break;
	case REC_LOST:
		if (!rs->lost)
			rs->lost_first = t;
		rs->lost += r->lost;
		rs->lost_last = t;
		tl_add(rs, t, "lost", NULL, NULL, "%llu events lost (ring full or probe skipped)",
		       (unsigned long long)r->lost);
		break;
	case REC_SESSION:
		if (r->ses.what == REC_SESSION_START) {
			rs->sessions++;
			tl_add(rs, t, "recorder_start", NULL, NULL, "pid %u on %s (%s)", r->ses.pid,
			       r->ses.host, r->ses.mode[0] ? r->ses.mode : "?");
		} else if (r->ses.what == REC_SESSION_STOP) {
			tl_add(rs, t, "recorder_stop", NULL, NULL, "pid %u", r->ses.pid);
		}
		break;
	default:
		break;
	}
	return 0;
}

static int cmp_last_idx(const void *a, const void *b)
{
	const struct rec_io_group *x = *(const struct rec_io_group *const *)a;
	const struct rec_io_group *y = *(const struct rec_io_group *const *)b;

	return x->last_idx < y->last_idx ? -1 : x->last_idx > y->last_idx;
}

/*
 * The report from a block's summary. Only for a block wholly inside
 * --since/--until and shorter than the burst gap, so that no burst can end or
 * start inside it; any other block is declined and decoded.
 */
static int report_summary(struct pm_read *pr, const struct rec_block_summary *s,
			  const struct rec_io_group *const *by_first)
{
	struct report_state *rs = pr->ctx;
	const struct rec_io_group *by_last[REC_SUMMARY_GROUPS_MAX];
	size_t n = s->n_groups;

	if (s->first_ns < pr->o->since_ns || s->last_ns > pr->o->until_ns ||
	    beyond_burst_gap(s->last_ns, s->first_ns))
		return 0;
	if (s->last_ns > rs->last_any)
		rs->last_any = s->last_ns;
	rs->records += s->n_records;
	if (!rs->first || s->first_ns < rs->first)
		rs->first = s->first_ns;
	if (s->last_ns > rs->last)
		rs->last = s->last_ns;
	for (size_t i = 0; i < n; i++)
		count_errors(rs, by_first[i], by_first[i]->named.name);
	memcpy(by_last, by_first, n * sizeof(*by_last));
	sort_items(by_last, n, sizeof(*by_last), cmp_last_idx);
	for (size_t i = 0; i < n; i++)
		settle(rs, by_last[i], by_last[i]->named.name);
	return 1;
}

/* the record as a JSON line (no newline) into buf; snprintf's return, -1 for none */
static int json_line(struct pm_read *pr, const struct rec *r, char *buf, size_t len)
{
	int64_t t = r->unix_ns;

	switch (r->kind) {
	case REC_KERNEL: {
		const struct name_entry *nm = r->k.named;
		struct name_entry guess;
		const struct dev_span *cur;

		/* an error the tracer could not name: the history can */
		if (!nm && r->k.ev->type == DMW_EV_IO_ERROR &&
		    (cur = history_current(pr->h, r->k.ev->dev))) {
			memset(&guess, 0, sizeof(guess));
			guess.dev = cur->dev;
			snprintf(guess.name, sizeof(guess.name), "%s", cur->name);
			snprintf(guess.uuid, sizeof(guess.uuid), "%s", cur->uuid);
			nm = &guess;
		}
		return event_to_json(buf, len, r->k.ev, t, nm, r->k.ev->lower_dev);
	}
	case REC_COW:
		return cow_sample_to_json(buf, len, &r->cow, t);
	case REC_STATE:
		return state_change_to_json(buf, len, r->st.event, r->st.name, r->st.dev,
					    r->st.state, t);
	case REC_LOST:
		return lost_to_json(buf, len, r->lost, t);
	default:
		return -1;
	}
}

/* every event in the window as a line, as long as it needs to be */
static int json_rec(struct pm_read *pr, const struct rec *r)
{
	FILE *out = pr->ctx;
	char small[4096], *line = small;
	int n;

	if ((int64_t)r->unix_ns < pr->o->since_ns || (int64_t)r->unix_ns > pr->o->until_ns)
		return 0;
	n = json_line(pr, r, line, sizeof(small));
	if (n >= (int)sizeof(small)) {
		line = xmalloc((size_t)n + 1);
		n = json_line(pr, r, line, (size_t)n + 1);
	}
	if (n >= 0) {
		fwrite(line, 1, n, out);
		fputc('\n', out);
	}
	if (line != small)
		free(line);
	return 0;
}

void report_state_free(struct report_state *rs)
{
	for (size_t i = 0; i < rs->n_tl; i++) {
		free(rs->tl[i].text);
		free(rs->tl[i].name);
	}
	for (size_t i = 0; i < rs->n_errs; i++)
		free(rs->errs[i].name);
	for (size_t i = 0; i < rs->n_bursts; i++)
		free(rs->bursts[i].name);
	for (size_t i = 0; i < rs->n_fills; i++)
		free(rs->fills[i].name);
	for (size_t i = 0; i < rs->n_fails; i++)
		free(rs->fails[i].name);
	for (size_t i = 0; i < rs->n_prior; i++)
		free(rs->prior[i].name);
	free(rs->prior);
	free(rs->tl);
	free(rs->errs);
	free(rs->bursts);
	free(rs->fills);
	free(rs->fails);
	free(rs->gaps);
}

void report_reader(struct pm_read *pr, struct report_state *rs, FILE *out)
{
	if (pr->o->json) {
		pr->fn = json_rec;
		pr->ctx = out;
	} else {
		pr->fn = report_rec;
		pr->summary = report_summary;
		pr->ctx = rs;
	}
}
