// SPDX-License-Identifier: GPL-2.0
/*
 * The name history: which devices a dm-N has been over time, rebuilt from the
 * recorder's log. Lifecycle events give exact times and the process; device
 * lists (at start, per segment, after changes) fill in what events cannot
 * (devices older than the recording, lost events). A lookup takes the
 * precision of the asked time into account and says when it is a guess.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/dm-ioctl.h>
#include "postmortem/internal.h"
#include "lib/clock.h"
#include "lib/util.h"

/* dmesg -T drift and scan latency that a lookup forgives */
#define NEAR_NS		(2 * PM_NS_PER_S)

struct pm_session {
	int64_t t_ns;
	uint32_t what;
	char boot_id[40];
	int64_t boot_offset_ns;
};

struct history {
	struct dev_span *s;
	size_t n;
	size_t *open;			/* indexes of open spans */
	size_t n_open;
	uint32_t *open_by_minor;	/* index + 1 of the open span with that minor */
	size_t minor_cap;
	size_t *order;			/* after finish: by (minor, from) */
	struct pm_session *ses;
	size_t n_ses;
	uint64_t gen;
	int64_t first_ns, last_ns;
	int64_t last_list_ns;		/* the last device list: it confirms every open span */
};

struct history *history_new(void)
{
	struct history *h = xcalloc(1, sizeof(*h));

	h->first_ns = INT64_MAX;
	h->last_ns = INT64_MIN;
	h->last_list_ns = INT64_MIN;
	return h;
}

void history_free(struct history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->s[i].name);
		free(h->s[i].uuid);
		free(h->s[i].target);
		free(h->s[i].params);
		for (size_t k = 0; k < h->s[i].n_tables; k++) {
			free(h->s[i].tables[k].target);
			free(h->s[i].tables[k].params);
		}
		free(h->s[i].tables);
		free(h->s[i].renamed_from);
		free(h->s[i].renamed_to);
	}
	free(h->s);
	free(h->open);
	free(h->open_by_minor);
	free(h->order);
	free(h->ses);
	free(h);
}

size_t history_count(const struct history *h)
{
	return h->n;
}

const struct dev_span *history_span(const struct history *h, size_t i)
{
	return i < h->n ? &h->s[i] : NULL;
}

static void set_str(char **dst, const char *src)
{
	if (*dst && src && !strcmp(*dst, src))
		return;
	free(*dst);
	*dst = xstrdup(src ? src : "");
}

static long open_by_dev(const struct history *h, uint32_t dev)
{
	uint32_t m = DMW_MINOR(dev);
	uint32_t i;

	if (!dev || m >= h->minor_cap || !(i = h->open_by_minor[m]))
		return -1;
	return h->s[i - 1].dev == dev ? (long)i - 1 : -1;
}

static long open_by_name(const struct history *h, const char *name)
{
	if (!name || !*name)
		return -1;
	for (size_t i = h->n_open; i-- > 0;)
		if (!strcmp(h->s[h->open[i]].name, name))
			return h->open[i];
	return -1;
}

static void index_minor(struct history *h, size_t idx)
{
	uint32_t m = DMW_MINOR(h->s[idx].dev);

	if (!h->s[idx].dev)
		return;
	if (m >= h->minor_cap) {
		size_t cap = h->minor_cap ? h->minor_cap : 256;

		while (cap <= m)
			cap *= 2;
		h->open_by_minor = xrealloc(h->open_by_minor, cap * sizeof(*h->open_by_minor));
		memset(h->open_by_minor + h->minor_cap, 0,
		       (cap - h->minor_cap) * sizeof(*h->open_by_minor));
		h->minor_cap = cap;
	}
	h->open_by_minor[m] = idx + 1;
}

static void close_span(struct history *h, size_t idx, int64_t t, bool exact, const char *how,
		       uint32_t pid, const char *comm)
{
	struct dev_span *s = &h->s[idx];
	uint32_t m = DMW_MINOR(s->dev);

	if (!s->open)
		return;
	/* the last device list (full or delta) showed it unchanged: it existed then */
	if (!exact && h->last_list_ns >= s->from_ns && h->last_list_ns > s->last_seen_ns &&
	    h->last_list_ns <= t)
		s->last_seen_ns = h->last_list_ns;
	s->open = false;
	s->until_ns = t < s->from_ns ? s->from_ns : t;
	s->until_exact = exact;
	s->end_how = how;
	s->end_pid = pid;
	pm_set_comm(s->end_comm, comm);
	if (s->dev && m < h->minor_cap && h->open_by_minor[m] == idx + 1)
		h->open_by_minor[m] = 0;
	for (size_t i = 0; i < h->n_open; i++)
		if (h->open[i] == idx) {
			h->open[i] = h->open[--h->n_open];
			break;
		}
}

static size_t open_span(struct history *h, uint32_t dev, const char *name, const char *uuid,
			int64_t t, bool exact, const char *how, uint32_t pid, const char *comm)
{
	struct dev_span *s;
	size_t idx;
	long old = open_by_dev(h, dev);

	if (old >= 0)
		close_span(h, old, t, false, "replaced", 0, NULL);
	s = array_push(&h->s, &h->n, sizeof(*s));
	idx = h->n - 1;
	s->dev = dev;
	s->name = xstrdup(name ? name : "");
	s->uuid = xstrdup(uuid ? uuid : "");
	s->target = xstrdup("");
	s->params = xstrdup("");
	s->from_ns = s->last_seen_ns = t;
	s->until_ns = INT64_MAX;
	s->from_exact = exact;
	s->start_how = how;
	s->start_pid = pid;
	pm_set_comm(s->start_comm, comm);
	s->open = true;
	s->gen = h->gen;
	h->open = xrealloc(h->open, h->n * sizeof(*h->open));
	h->open[h->n_open++] = idx;
	index_minor(h, idx);
	return idx;
}

static void set_dev(struct history *h, size_t idx, uint32_t dev)
{
	long old = open_by_dev(h, dev);

	if (old >= 0 && (size_t)old != idx)
		close_span(h, old, h->s[idx].from_ns, false, "replaced", 0, NULL);
	h->s[idx].dev = dev;
	index_minor(h, idx);
}

static void add_table(struct dev_span *s, int64_t t, const char *target, const char *params)
{
	struct span_table *tb;

	params = params ? params : "";
	if (s->n_tables && !strcmp(s->tables[s->n_tables - 1].target, target) &&
	    !strcmp(s->tables[s->n_tables - 1].params, params))
		return;
	tb = array_push(&s->tables, &s->n_tables, sizeof(*tb));
	tb->t = t;
	tb->target = xstrdup(target);
	tb->params = xstrdup(params);
	set_str(&s->target, target);
	set_str(&s->params, params);
}

/* a device seen to exist: by a device list (strong) or named in an event (weak) */
static void observe(struct history *h, uint32_t dev, const char *name, const char *uuid,
		    const char *target, const char *params, int64_t t, bool strong)
{
	long i = open_by_dev(h, dev);
	struct dev_span *s;

	if (!dev || !name || !*name)
		return;
	/* a sample or error from before a remove that was logged first: no new span */
	if (i < 0 && !strong) {
		size_t stop = h->n > 512 ? h->n - 512 : 0;

		for (size_t k = h->n; k-- > stop;) {
			s = &h->s[k];
			if (s->dev != dev || s->open)
				continue;
			if (!strcmp(s->name, name) && t >= s->from_ns && t <= s->until_ns) {
				if (t > s->last_seen_ns)
					s->last_seen_ns = t;
				return;
			}
			break;	/* the latest closed span of dev is another device */
		}
	}
	if (i >= 0 && strcmp(h->s[i].name, name)) {
		/* a name event raced with us, or we missed a rename/reuse: lists decide */
		if (!strong)
			return;
		close_span(h, i, t, false, "replaced", 0, NULL);
		i = -1;
	}
	if (i < 0) {
		i = open_by_name(h, name);
		if (i >= 0 && h->s[i].dev && h->s[i].dev != dev) {
			if (!strong)
				return;
			close_span(h, i, t, false, "replaced", 0, NULL);
			i = -1;
		}
		if (i >= 0)
			set_dev(h, i, dev);
		else
			i = open_span(h, dev, name, uuid, t, false, "seen", 0, NULL);
	}
	s = &h->s[i];
	if (t > s->last_seen_ns)
		s->last_seen_ns = t;
	if (uuid && *uuid && strcmp(s->uuid, uuid))
		set_str(&s->uuid, uuid);
	if (target && *target) {
		add_table(s, t, target, params);
	}
	if (strong)
		s->gen = h->gen;
}

/* a remove/rename event arriving after a device list already showed its effect */
static long recently_gone(const struct history *h, uint32_t dev, const char *name)
{
	size_t stop = h->n > 512 ? h->n - 512 : 0;

	for (size_t i = h->n; i-- > stop;) {
		const struct dev_span *s = &h->s[i];

		if (!s->open && !s->until_exact && s->end_how && strcmp(s->end_how, "renamed") &&
		    ((dev && s->dev == dev) || (!dev && name && !strcmp(s->name, name))))
			return i;
	}
	return -1;
}

/* a span a device list began, now that the event that began it arrived: its time and process */
static void start_exactly(struct dev_span *s, int64_t t, const char *how, const struct dmw_event *e)
{
	s->from_ns = t < s->from_ns ? t : s->from_ns;
	s->from_exact = true;
	s->start_how = how;
	s->start_pid = e->pid;
	pm_set_comm(s->start_comm, e->comm);
}

/* a device created: a new span, unless a device list saw it first */
static void kernel_create(struct history *h, long i, const struct dmw_event *e, uint32_t dev,
			  const char *name, int64_t t)
{
	if (i >= 0 && !strcmp(h->s[i].name, name) && !h->s[i].from_exact) {
		/* a device list saw it before its create event arrived */
		start_exactly(&h->s[i], t, "created", e);
		return;
	}
	if (i >= 0)
		close_span(h, i, t, false, "replaced", 0, NULL);
	i = open_by_name(h, name);
	if (i >= 0)
		close_span(h, i, t, false, "replaced", 0, NULL);
	open_span(h, dev, name, e->uuid, t, true, "created", e->pid, e->comm);
}

/* a rename (or a uuid set): the old name's span ends, the new name's begins */
static void kernel_rename(struct history *h, long i, const struct dmw_event *e, uint32_t dev,
			  const char *name, int64_t t)
{
	char *uuid, *target, *params;
	uint32_t d;
	size_t n;

	if (i < 0)
		i = open_by_name(h, name);
	if (e->flags & DM_UUID_FLAG) {
		if (i >= 0)
			set_str(&h->s[i].uuid, e->new_name);
		return;
	}
	if (i >= 0 && !strcmp(h->s[i].name, e->new_name)) {
		/* a device list saw the new name first */
		start_exactly(&h->s[i], t, "renamed", e);
		set_str(&h->s[i].renamed_from, name);
		return;
	}
	uuid = xstrdup(i >= 0 ? h->s[i].uuid : e->uuid);
	target = xstrdup(i >= 0 ? h->s[i].target : "");
	params = xstrdup(i >= 0 ? h->s[i].params : "");
	d = i >= 0 && h->s[i].dev ? h->s[i].dev : dev;
	if (i >= 0) {
		close_span(h, i, t, true, "renamed", e->pid, e->comm);
		set_str(&h->s[i].renamed_to, e->new_name);
	}
	n = open_span(h, d, e->new_name, uuid, t, true, "renamed", e->pid, e->comm);
	set_str(&h->s[n].renamed_from, name);
	if (*target)
		add_table(&h->s[n], t, target, params);
	free(uuid);
	free(target);
	free(params);
}

/* a remove: the span ends exactly, also one a device list already saw gone */
static void kernel_remove(struct history *h, long i, const struct dmw_event *e, uint32_t dev,
			  const char *name, int64_t t)
{
	struct dev_span *s;

	if (i < 0)
		i = open_by_name(h, name);
	if (i >= 0) {
		close_span(h, i, t, true, "removed", e->pid, e->comm);
		return;
	}
	i = recently_gone(h, dev, name);
	if (i < 0)
		return;
	s = &h->s[i];
	s->until_ns = t < s->from_ns ? s->from_ns : t;
	s->until_exact = true;
	s->end_how = "removed";
	s->end_pid = e->pid;
	pm_set_comm(s->end_comm, e->comm);
}

static void history_kernel(struct history *h, const struct dmw_event *e,
			   const struct name_entry *nm, int64_t t)
{
	uint32_t dev = e->dev ? e->dev : nm ? nm->dev : 0;
	const char *name = e->name[0] ? e->name : nm ? nm->name : "";
	long i;

	if (e->type == DMW_EV_IO_ERROR) {
		if (nm && !nm->removed)
			observe(h, e->dev, nm->name, nm->uuid, NULL, NULL, t, false);
		return;
	}
	if (e->ret)
		return;		/* a failed operation changed nothing */
	i = dev ? open_by_dev(h, dev) : -1;
	if (i < 0 && !dev)
		i = open_by_name(h, name);
	switch (e->type) {
	case DMW_EV_DM_CREATE:
		kernel_create(h, i, e, dev, name, t);
		break;
	case DMW_EV_DM_LOAD:
	case DMW_EV_DM_SUSPEND:
	case DMW_EV_DM_RESUME:
		if (i >= 0 && !h->s[i].dev && dev)
			set_dev(h, i, dev);
		else if (dev)
			observe(h, dev, name, e->uuid, NULL, NULL, t, false);
		break;
	case DMW_EV_DM_RENAME:
		kernel_rename(h, i, e, dev, name, t);
		break;
	case DMW_EV_DM_REMOVE:
		kernel_remove(h, i, e, dev, name, t);
		break;
	case DMW_EV_DM_REMOVE_ALL:
		while (h->n_open)
			close_span(h, h->open[h->n_open - 1], t, true, "remove_all", e->pid, e->comm);
		break;
	default:
		break;
	}
}

static void history_devlist(struct history *h, const struct rec *r)
{
	int64_t t = r->unix_ns;

	if (r->dl.full)
		h->gen++;
	for (size_t i = 0; i < r->dl.n; i++) {
		const struct rec_devent *d = &r->dl.devs[i];
		long j;

		if (!d->gone) {
			observe(h, d->dev, d->name, d->uuid, d->target, d->params, t, true);
			continue;
		}
		j = open_by_dev(h, d->dev);
		if (j >= 0 && (!*d->name || !strcmp(h->s[j].name, d->name)))
			close_span(h, j, t, false, "gone", 0, NULL);
	}
	/* a full list is the truth: what it lacks is gone */
	for (size_t k = h->n_open; r->dl.full && k-- > 0;) {
		size_t idx = h->open[k];

		if (h->s[idx].gen != h->gen)
			close_span(h, idx, t, false, "gone", 0, NULL);
	}
	h->last_list_ns = t;
}

/* the recorder ran until its last record and saw no remove: what was open existed */
static void confirm_open(struct history *h, int64_t until)
{
	for (size_t i = 0; i < h->n_open; i++) {
		struct dev_span *s = &h->s[h->open[i]];

		if (until >= s->from_ns && until > s->last_seen_ns)
			s->last_seen_ns = until;
	}
}

void history_add(struct history *h, const struct rec *r)
{
	int64_t t = r->unix_ns;

	/* a restart: the previous run vouches for its devices up to its last record */
	if (r->kind == REC_SESSION && r->ses.what == REC_SESSION_START && h->last_ns > INT64_MIN)
		confirm_open(h, h->last_ns);

	if (t < h->first_ns)
		h->first_ns = t;
	if (t > h->last_ns)
		h->last_ns = t;
	switch (r->kind) {
	case REC_KERNEL:
		history_kernel(h, r->k.ev, r->k.named, t);
		break;
	case REC_COW:
		observe(h, r->cow.dev, r->cow.name, NULL, NULL, NULL, t, false);
		break;
	case REC_STATE:
		observe(h, r->st.dev, r->st.name, NULL, NULL, NULL, t, false);
		break;
	case REC_DEVLIST:
		history_devlist(h, r);
		break;
	case REC_SESSION: {
		struct pm_session *s = array_push(&h->ses, &h->n_ses, sizeof(*s));

		s->t_ns = t;
		s->what = r->ses.what;
		snprintf(s->boot_id, sizeof(s->boot_id), "%s", r->ses.boot_id);
		s->boot_offset_ns = r->ses.boot_offset_ns;
		break;
	}
	default:
		break;
	}
}

void history_io_group(struct history *h, const struct rec_io_group *g)
{
	if (g->first_ns < h->first_ns)
		h->first_ns = g->first_ns;
	if (g->last_ns > h->last_ns)
		h->last_ns = g->last_ns;
	if (g->named.removed)
		return;
	observe(h, g->dev, g->named.name, g->named.uuid, NULL, NULL, g->first_ns, false);
	observe(h, g->dev, g->named.name, g->named.uuid, NULL, NULL, g->last_ns, false);
}

const struct dev_span *history_current(const struct history *h, uint32_t dev)
{
	long i = open_by_dev(h, dev);

	return i >= 0 ? &h->s[i] : NULL;
}

static int order_cmp(const void *a, const void *b, void *ctx)
{
	const struct history *h = ctx;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct dev_span *x = &h->s[ia], *y = &h->s[ib];
	uint32_t mx = DMW_MINOR(x->dev), my = DMW_MINOR(y->dev);

	if (mx != my)
		return mx < my ? -1 : 1;
	if (x->from_ns != y->from_ns)
		return x->from_ns < y->from_ns ? -1 : 1;
	return ia < ib ? -1 : 1;
}

void history_finish(struct history *h)
{
	confirm_open(h, h->last_ns);
	free(h->order);
	h->order = xcalloc(h->n + 1, sizeof(*h->order));
	for (size_t i = 0; i < h->n; i++)
		h->order[i] = i;
	qsort_r(h->order, h->n, sizeof(*h->order), order_cmp, h);
}

const struct dev_span *history_sorted(const struct history *h, size_t i)
{
	return h->order && i < h->n ? &h->s[h->order[i]] : NULL;
}

void history_range(const struct history *h, int64_t *first_ns, int64_t *last_ns)
{
	*first_ns = h->first_ns;
	*last_ns = h->last_ns;
}

void history_log_ctx(const struct history *h, const char *boot_id, struct pm_log_ctx *ctx)
{
	const struct pm_session *pick = NULL;
	bool one_boot = true;

	memset(ctx, 0, sizeof(*ctx));
	ctx->ref_ns = h->last_ns > INT64_MIN ? h->last_ns : (int64_t)clock_ns(CLOCK_REALTIME);
	for (size_t i = 0; i < h->n_ses; i++) {
		const struct pm_session *s = &h->ses[i];

		if (!s->boot_id[0])
			continue;
		if (boot_id && !strcmp(boot_id, s->boot_id))
			pick = s;
		if (h->ses[0].boot_id[0] && strcmp(s->boot_id, h->ses[0].boot_id))
			one_boot = false;
	}
	/* raw dmesg times need the boot they count from: this one, or the only one recorded */
	if (!pick && one_boot && h->n_ses && h->ses[0].boot_id[0])
		pick = &h->ses[h->n_ses - 1];
	if (pick) {
		ctx->have_boot = true;
		ctx->boot_offset_ns = pick->boot_offset_ns;
	}
}

/* first index in order with this minor */
static size_t first_of_minor(const struct history *h, uint32_t minor)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (DMW_MINOR(h->s[h->order[mid]].dev) < minor)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool overlaps(int64_t t, int64_t res, int64_t a, int64_t b)
{
	return t <= b && (res <= 0 || pm_ns_add(t, res) > a);
}

void history_lookup(const struct history *h, uint32_t dev, bool minor_only, int64_t t_ns,
		    int64_t res_ns, struct pm_lookup *out)
{
	uint32_t minor = DMW_MINOR(dev);
	const struct dev_span *prev = NULL;

	memset(out, 0, sizeof(*out));
	if (!h->order)
		return;
	for (size_t k = first_of_minor(h, minor); k < h->n; k++) {
		const struct dev_span *s = &h->s[h->order[k]];
		int64_t cert_until, prob_from, prob_until;
		enum pm_match how = PM_NONE;

		if (DMW_MINOR(s->dev) != minor)
			break;
		if (!s->dev || (!minor_only && s->dev != dev))
			continue;
		if (t_ns < 0) {
			out->span = s;		/* order is by time: the last is the latest */
			out->how = PM_LATEST;
			prev = s;
			continue;
		}
		cert_until = s->until_exact ? s->until_ns :
			     s->last_seen_ns > s->from_ns ? s->last_seen_ns : s->from_ns;
		/* first seen in a scan: it may have been there since the one before ended */
		prob_from = s->from_exact ? s->from_ns : prev ? prev->until_ns : INT64_MIN / 2;
		prob_until = s->until_ns;
		if (overlaps(t_ns, res_ns, s->from_ns, cert_until))
			how = PM_EXACT;
		else if (overlaps(t_ns, res_ns, prob_from, prob_until) ||
			 overlaps(t_ns, res_ns, pm_ns_add(s->from_ns, -NEAR_NS),
				  pm_ns_add(prob_until, NEAR_NS)))
			how = PM_NEAR;
		prev = s;
		if (how == PM_NONE)
			continue;
		if (!out->span || how < out->how) {
			out->other = how == out->how ? out->span : NULL;
			out->span = s;
			out->how = how;
		} else if (how == out->how) {
			/* two at the same level: the later one, the earlier kept as the other */
			out->other = out->span;
			out->span = s;
		}
	}
}

bool pm_parse_dev(const char *s, uint32_t *dev, bool *minor_only)
{
	unsigned int ma, mi;
	int n = 0;

	if (str_has_prefix(s, "/dev/"))
		s += 5;
	if (sscanf(s, "dm-%u%n", &mi, &n) == 1 && !s[n] && isdigit((unsigned char)s[3]) &&
	    mi < (1u << DMW_MINORBITS)) {
		*dev = mi;
		*minor_only = true;
		return true;
	}
	n = 0;
	if (sscanf(s, "%u:%u%n", &ma, &mi, &n) == 2 && !s[n] && isdigit((unsigned char)s[0]) &&
	    mi < (1u << DMW_MINORBITS) && ma < 4096) {
		*dev = ma << DMW_MINORBITS | mi;
		*minor_only = false;
		return true;
	}
	return false;
}
