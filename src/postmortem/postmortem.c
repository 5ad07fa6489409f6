// SPDX-License-Identifier: GPL-2.0
/*
 * Post-mortem commands over the recorder's log: `report` (what happened, timeline,
 * errors and fill per device), `whois` (which device dm-N was at a time) and
 * `explain` (kernel log text with every dm-N named at that line's time).
 *
 * All three rebuild the name history from the log: lifecycle events give exact
 * times and the process; device lists (at start, per segment, after changes)
 * fill in what events cannot (devices older than the recording, lost events).
 * Kernel log times are coarse (dmesg -T is whole seconds and may drift), so a
 * lookup takes the line's precision into account and says when it is a guess.
 */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/dm-ioctl.h>
#include "analyze/classify.h"
#include "cmd/commands.h"
#include "postmortem/postmortem.h"
#include "lib/util.h"

#define DEFAULT_DIR	"/var/lib/dmwatch"
/* dmesg -T drift and scan latency that a lookup forgives */
#define NEAR_NS		(2 * PM_NS_PER_S)
/* errors closer than this form one timeline line */
#define BURST_GAP_NS	(2 * PM_NS_PER_S)

/*
 * base + secs * 1e9 + frac without overflowing: dates past 2262 or absurd
 * offsets in a log line are refused, not wrapped into some other time.
 */
static bool ns_from(int64_t base, int64_t secs, int64_t frac, int64_t *out)
{
	int64_t ns;

	return !__builtin_mul_overflow(secs, PM_NS_PER_S, &ns) &&
	       !__builtin_add_overflow(ns, frac, &ns) &&
	       !__builtin_add_overflow(ns, base, out);
}

/* ---- times ---- */

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const wday_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

/* a 3-letter word from the list (case-insensitive) not followed by a letter */
static int word3(const char **pp, const char *const *words, int n)
{
	const char *p = *pp;

	for (int i = 0; i < n; i++)
		if (!strncasecmp(p, words[i], 3) && !isalpha((unsigned char)p[3])) {
			*pp = p + 3;
			return i;
		}
	return -1;
}

/* min..max digits */
static bool digits(const char **pp, int min, int max, long *v)
{
	const char *p = *pp;
	int n = 0;

	*v = 0;
	while (n < max && isdigit((unsigned char)p[n]))
		*v = *v * 10 + (p[n++] - '0');
	if (n < min || (n == max && isdigit((unsigned char)p[n])))
		return false;
	*pp = p + n;
	return true;
}

static void skip_spaces(const char **pp)
{
	while (**pp == ' ' || **pp == '\t')
		(*pp)++;
}

/* HH:MM[:SS][.frac|,frac]; *res: the precision given */
static bool parse_clock(const char **pp, struct tm *tm, int64_t *frac_ns, int64_t *res)
{
	const char *p = *pp;
	long h, m, s = 0;

	*frac_ns = 0;
	if (!digits(&p, 1, 2, &h) || *p++ != ':' || !digits(&p, 2, 2, &m) || h > 23 || m > 59)
		return false;
	*res = 60 * PM_NS_PER_S;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, 2, &s) || s > 60)
			return false;
		*res = PM_NS_PER_S;
		if ((*p == '.' || *p == ',') && isdigit((unsigned char)p[1])) {
			int64_t scale = PM_NS_PER_S;

			p++;
			while (isdigit((unsigned char)*p)) {
				if (scale > 1) {
					scale /= 10;
					*frac_ns += (*p - '0') * scale;
				}
				p++;
			}
			*res = scale;
		}
	}
	tm->tm_hour = h;
	tm->tm_min = m;
	tm->tm_sec = s;
	*pp = p;
	return true;
}

/* Z, +HH, +HHMM, +HH:MM -> seconds east of UTC */
static bool parse_zone(const char **pp, long *off)
{
	const char *p = *pp, *q;
	long h, m = 0;
	int sign;

	if (*p == 'Z' || *p == 'z') {
		*off = 0;
		*pp = p + 1;
		return true;
	}
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	for (q = p; isdigit((unsigned char)*q); q++)
		;
	if (q - p == 4) {		/* +HHMM */
		h = (p[0] - '0') * 10 + (p[1] - '0');
		m = (p[2] - '0') * 10 + (p[3] - '0');
		p = q;
	} else if (q - p == 2) {	/* +HH or +HH:MM */
		h = (p[0] - '0') * 10 + (p[1] - '0');
		p = q;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, 2, &m))
				return false;
		}
	} else {
		return false;
	}
	if (h > 23 || m > 59)
		return false;
	*off = sign * (h * 3600 + m * 60);
	*pp = p;
	return true;
}

/* local broken-down time -> unix seconds; false for dates that do not exist */
static bool local_time(struct tm *tm, int64_t *secs)
{
	int y = tm->tm_year, mo = tm->tm_mon, d = tm->tm_mday;
	time_t t;

	tm->tm_isdst = -1;
	t = mktime(tm);
	if (t == (time_t)-1 && !(y == 69 && mo == 11 && d == 31))
		return false;
	/* mktime normalises Feb 30 to Mar 2: not a date someone meant */
	if (tm->tm_year != y || tm->tm_mon != mo || tm->tm_mday != d)
		return false;
	*secs = t;
	return true;
}

static bool utc_time(struct tm *tm, int64_t *secs)
{
	int y = tm->tm_year, mo = tm->tm_mon, d = tm->tm_mday;
	time_t t = timegm(tm);

	if (tm->tm_year != y || tm->tm_mon != mo || tm->tm_mday != d)
		return false;
	*secs = t;
	return true;
}

/* YYYY-MM-DD[(T| )clock[zone]]; date only is a whole day */
static bool parse_iso(const char **pp, int64_t *t, int64_t *res, bool need_clock)
{
	const char *p = *pp;
	struct tm tm = {};
	int64_t frac = 0, secs;
	long y, mo, d, off = 0;
	bool zone = false;

	if (!digits(&p, 4, 4, &y) || *p++ != '-' || !digits(&p, 2, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	*res = 86400 * PM_NS_PER_S;
	if ((*p == 'T' || *p == 't' || *p == ' ') && isdigit((unsigned char)p[1])) {
		const char *q = p + 1;

		if (!parse_clock(&q, &tm, &frac, res))
			return false;
		p = q;
		zone = parse_zone(&p, &off);
	} else if (need_clock) {
		return false;
	}
	if (zone ? !utc_time(&tm, &secs) : !local_time(&tm, &secs))
		return false;
	if (__builtin_sub_overflow(secs, (int64_t)off, &secs) || !ns_from(0, secs, frac, t))
		return false;
	*pp = p;
	return true;
}

/* "Oct 27 05:38:02[.usec]" with an optional " 2025" after; no year: the one before ref */
static bool parse_syslog(const char **pp, int64_t ref_ns, int64_t *t, int64_t *res,
			 bool year_required)
{
	const char *p = *pp, *q;
	struct tm tm = {};
	int64_t frac, secs;
	long d, y = -1;
	int mon;

	mon = word3(&p, month_names, 12);
	if (mon < 0)
		return false;
	skip_spaces(&p);
	if (!digits(&p, 1, 2, &d) || d < 1 || d > 31 || *p != ' ')
		return false;
	skip_spaces(&p);
	if (!parse_clock(&p, &tm, &frac, res))
		return false;
	q = p;
	skip_spaces(&q);
	if (q != p && digits(&q, 4, 4, &y) && (!*q || *q == ' ' || *q == ']' || *q == '\n'))
		p = q;
	else
		y = -1;
	if (y < 0 && year_required)
		return false;
	tm.tm_mon = mon;
	tm.tm_mday = d;
	if (y >= 1970) {
		tm.tm_year = y - 1900;
		if (!local_time(&tm, &secs))
			return false;
	} else {
		time_t r = ref_ns / PM_NS_PER_S;
		struct tm rt, keep = tm;

		localtime_r(&r, &rt);
		tm.tm_year = rt.tm_year;
		if (!local_time(&tm, &secs))
			return false;
		/* syslog has no year: a stamp well after the reference is from last year */
		if (secs > r + 7 * 86400) {
			tm = keep;
			tm.tm_year = rt.tm_year - 1;
			if (!local_time(&tm, &secs))
				return false;
		}
	}
	if (!ns_from(0, secs, frac, t))
		return false;
	*pp = p;
	return true;
}

static bool at_end(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return !*p;
}

static int parse_time(const char *s, int64_t now_ns, int64_t ref_ns, int64_t *t_ns,
		      int64_t *res_ns)
{
	const char *p = s;
	struct tm tm;
	int64_t frac, secs, t, res;
	bool bracket;
	long v;

	if (!s)
		return -EINVAL;
	skip_spaces(&p);
	if (!strncasecmp(p, "now", 3) && at_end(p + 3)) {
		*t_ns = now_ns;
		*res_ns = PM_NS_PER_S;
		return 0;
	}
	if (*p == '@') {
		int64_t scale = PM_NS_PER_S;

		p++;
		if (!digits(&p, 1, 12, &v))
			return -EINVAL;
		if (!ns_from(0, v, 0, &t))
			return -EINVAL;
		res = PM_NS_PER_S;
		if (*p == '.' && isdigit((unsigned char)p[1])) {
			for (p++; isdigit((unsigned char)*p); p++)
				if (scale > 1) {
					scale /= 10;
					t += (*p - '0') * scale;
				}
			res = scale;
		}
		if (!at_end(p))
			return -EINVAL;
		*t_ns = t;
		*res_ns = res;
		return 0;
	}
	if (*p == '-' && isdigit((unsigned char)p[1])) {
		static const struct { const char *u; int64_t s; } units[] = {
			{ "s", 1 }, { "sec", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 },
			{ "d", 86400 }, { "w", 7 * 86400 },
		};
		const char *u;

		p++;
		if (!digits(&p, 1, 9, &v))
			return -EINVAL;
		u = p;
		while (isalpha((unsigned char)*p))
			p++;
		if (!at_end(p))
			return -EINVAL;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++)
			if ((size_t)(p - u) == strlen(units[i].u) &&
			    !strncasecmp(u, units[i].u, p - u)) {
				int64_t ago;

				if (__builtin_mul_overflow(v, (int64_t)units[i].s, &ago) ||
				    !ns_from(0, ago, 0, &ago) ||
				    __builtin_sub_overflow(now_ns, ago, t_ns))
					return -EINVAL;
				*res_ns = PM_NS_PER_S;
				return 0;
			}
		return -EINVAL;
	}
	if (isdigit((unsigned char)*p)) {
		const char *q = p;

		if (parse_iso(&q, &t, &res, false) && at_end(q)) {
			*t_ns = t;
			*res_ns = res;
			return 0;
		}
		/* a clock alone: today */
		q = p;
		{
			time_t now = now_ns / PM_NS_PER_S;

			localtime_r(&now, &tm);
		}
		if (parse_clock(&q, &tm, &frac, &res) && at_end(q) && local_time(&tm, &secs)) {
			if (!ns_from(0, secs, frac, t_ns))
				return -EINVAL;
			*res_ns = res;
			return 0;
		}
		return -EINVAL;
	}
	/* pasted from dmesg -T or syslog */
	bracket = *p == '[';
	if (bracket)
		p++;
	if (word3(&p, wday_names, 7) >= 0)
		skip_spaces(&p);
	if (parse_syslog(&p, ref_ns, &t, &res, false)) {
		if (bracket && *p++ != ']')
			return -EINVAL;
		if (at_end(p)) {
			*t_ns = t;
			*res_ns = res;
			return 0;
		}
	}
	return -EINVAL;
}

int pm_parse_time(const char *s, int64_t now_ns, int64_t *t_ns, int64_t *res_ns)
{
	return parse_time(s, now_ns, now_ns, t_ns, res_ns);
}

bool pm_log_time(const char *line, const struct pm_log_ctx *ctx, int64_t *t_ns, int64_t *res_ns)
{
	const char *p = line;
	bool bracket = *p == '[';

	if (bracket) {
		p++;
		skip_spaces(&p);
		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) && p[4] == '-')
			return parse_iso(&p, t_ns, res_ns, true) && *p == ']';
		if (isdigit((unsigned char)*p)) {
			/* raw dmesg: seconds since boot */
			int64_t frac = 0, scale = PM_NS_PER_S;
			long s;

			if (!ctx || !ctx->have_boot || !digits(&p, 1, 10, &s))
				return false;
			if (*p == '.') {
				if (!isdigit((unsigned char)*++p))
					return false;
				for (; isdigit((unsigned char)*p); p++)
					if (scale > 1) {
						scale /= 10;
						frac += (*p - '0') * scale;
					}
			}
			if (*p != ']')
				return false;
			if (!ns_from(ctx->boot_offset_ns, s, frac, t_ns))
				return false;
			/* the boot offset is only as good as dmesg -T's: give it seconds */
			*res_ns = PM_NS_PER_S;
			return true;
		}
	}
	if (word3(&p, wday_names, 7) >= 0) {
		skip_spaces(&p);
		/* journalctl -o short-full: "Mon 2025-10-27 05:38:02 CET" */
		if (isdigit((unsigned char)*p))
			return parse_iso(&p, t_ns, res_ns, true);
	}
	if (isalpha((unsigned char)*p))
		return parse_syslog(&p, ctx ? ctx->ref_ns : 0, t_ns, res_ns, bracket) &&
		       (!bracket || *p == ']');
	if (!bracket && isdigit((unsigned char)*p))
		return parse_iso(&p, t_ns, res_ns, true);
	return false;
}

static void fmt_local(char *buf, size_t len, int64_t ns, bool date, bool ms)
{
	time_t s = ns / PM_NS_PER_S;
	struct tm tm;
	char base[32];

	if (ns == INT64_MAX) {
		snprintf(buf, len, "(end)");
		return;
	}
	localtime_r(&s, &tm);
	strftime(base, sizeof(base), date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	if (ms)
		snprintf(buf, len, "%s.%03d", base, (int)(ns % PM_NS_PER_S / 1000000));
	else
		snprintf(buf, len, "%s", base);
}

/* ---- name history ---- */

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

static void set_comm(char *dst, const char *comm)
{
	snprintf(dst, DMW_COMM_LEN, "%s", comm ? comm : "");
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
	set_comm(s->end_comm, comm);
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
	set_comm(s->start_comm, comm);
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
		if (i >= 0 && !strcmp(h->s[i].name, name) && !h->s[i].from_exact) {
			/* a device list saw it before its create event arrived */
			struct dev_span *s = &h->s[i];

			s->from_ns = t < s->from_ns ? t : s->from_ns;
			s->from_exact = true;
			s->start_how = "created";
			s->start_pid = e->pid;
			set_comm(s->start_comm, e->comm);
			break;
		}
		if (i >= 0)
			close_span(h, i, t, false, "replaced", 0, NULL);
		i = open_by_name(h, name);
		if (i >= 0)
			close_span(h, i, t, false, "replaced", 0, NULL);
		i = open_span(h, dev, name, e->uuid, t, true, "created", e->pid, e->comm);
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
		if (i < 0)
			i = open_by_name(h, name);
		if (e->flags & DM_UUID_FLAG) {
			if (i >= 0)
				set_str(&h->s[i].uuid, e->new_name);
			break;
		}
		if (i >= 0 && !strcmp(h->s[i].name, e->new_name)) {
			/* a device list saw the new name first */
			struct dev_span *s = &h->s[i];

			s->from_ns = t < s->from_ns ? t : s->from_ns;
			s->from_exact = true;
			s->start_how = "renamed";
			s->start_pid = e->pid;
			set_comm(s->start_comm, e->comm);
			set_str(&s->renamed_from, name);
			break;
		}
		{
			char *uuid = xstrdup(i >= 0 ? h->s[i].uuid : e->uuid);
			char *target = xstrdup(i >= 0 ? h->s[i].target : "");
			char *params = xstrdup(i >= 0 ? h->s[i].params : "");
			uint32_t d = i >= 0 && h->s[i].dev ? h->s[i].dev : dev;
			size_t n;

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
		break;
	case DMW_EV_DM_REMOVE:
		if (i < 0)
			i = open_by_name(h, name);
		if (i >= 0) {
			close_span(h, i, t, true, "removed", e->pid, e->comm);
		} else {
			i = recently_gone(h, dev, name);
			if (i >= 0) {
				struct dev_span *s = &h->s[i];

				s->until_ns = t < s->from_ns ? s->from_ns : t;
				s->until_exact = true;
				s->end_how = "removed";
				s->end_pid = e->pid;
				set_comm(s->end_comm, e->comm);
			}
		}
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

static const struct history *sort_h;

static int order_cmp(const void *a, const void *b)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct dev_span *x = &sort_h->s[ia], *y = &sort_h->s[ib];
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
	sort_h = h;
	qsort(h->order, h->n, sizeof(*h->order), order_cmp);
	sort_h = NULL;
}

void history_log_ctx(const struct history *h, const char *boot_id, struct pm_log_ctx *ctx)
{
	const struct pm_session *pick = NULL;
	bool one_boot = true;

	memset(ctx, 0, sizeof(*ctx));
	ctx->ref_ns = h->last_ns > INT64_MIN ? h->last_ns : (int64_t)time(NULL) * PM_NS_PER_S;
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
	return t <= b && (res <= 0 || t + res > a);
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
			 overlaps(t_ns, res_ns, s->from_ns - NEAR_NS,
				  prob_until == INT64_MAX ? prob_until : prob_until + NEAR_NS))
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

/* ---- explain ---- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void annotate(struct sbuf *b, const struct history *h, uint32_t minor, bool timed,
		     int64_t t, int64_t res)
{
	struct pm_lookup lu;

	history_lookup(h, minor, true, timed ? t : -1, res, &lu);
	sb_str(b, " [");
	if (!lu.span) {
		sb_str(b, timed ? "unknown at this time" : "unknown");
	} else if (lu.how == PM_LATEST) {
		sb_str(b, lu.span->name);
		sb_str(b, " (time unknown)");
	} else {
		if (lu.how == PM_NEAR)
			sb_str(b, "probably ");
		sb_str(b, lu.span->name);
		if (lu.other && strcmp(lu.other->name, lu.span->name)) {
			sb_str(b, " or ");
			sb_str(b, lu.other->name);
		}
	}
	sb_str(b, "]");
}

/* annotate one line; *len gets the length (a line may hold NULs), *dms the dm-N seen */
static char *explain_line(const struct history *h, const char *line, size_t *len,
			  const struct pm_log_ctx *ctx, bool *timed_out, size_t *dms)
{
	struct sbuf b = {};
	int64_t t = 0, res = 0;
	bool timed = false, tried = false;
	size_t i = 0, from = 0, n = *len;

	*dms = 0;
	sb_add(&b, "", 0);
	while (i + 3 < n) {
		size_t j;

		if (memcmp(line + i, "dm-", 3) || !isdigit((unsigned char)line[i + 3]) ||
		    (i && (isalnum((unsigned char)line[i - 1]) || line[i - 1] == '_' ||
			   line[i - 1] == '-'))) {
			i++;
			continue;
		}
		for (j = i + 3; j < n && isdigit((unsigned char)line[j]); j++)
			;
		if ((j < n && (isalpha((unsigned char)line[j]) || line[j] == '_')) || j - i > 10) {
			i = j;
			continue;
		}
		if (!tried) {
			/* the time parser wants a C string: a NUL inside just ends it early */
			char *copy = xstrndup(line, n);

			timed = pm_log_time(copy, ctx, &t, &res);
			free(copy);
			tried = true;
		}
		sb_add(&b, line + from, j - from);
		annotate(&b, h, (uint32_t)strtoul(line + i + 3, NULL, 10), timed, t, res);
		(*dms)++;
		from = i = j;
	}
	sb_add(&b, line + from, n - from);
	*len = b.len;
	*timed_out = timed;
	return b.p;
}

char *pm_explain_line(const struct history *h, const char *line, size_t len,
		      const struct pm_log_ctx *ctx)
{
	size_t dms;
	bool timed;

	return explain_line(h, line, &len, ctx, &timed, &dms);
}

/* ---- reading the log ---- */

struct pm_read {
	const struct pm_opts *o;
	struct history *h;
	uint64_t warnings;
	int (*fn)(struct pm_read *pr, const struct rec *r);
	/*
	 * fn's way with a block's I/O error summary, its groups in event order:
	 * non-zero when it took them. Without it, fn sees every event.
	 */
	int (*summary)(struct pm_read *pr, const struct rec_block_summary *s,
		       const struct rec_io_group *const *by_first);
	void *ctx;
};

static void pm_warn(void *ctx, const char *msg)
{
	struct pm_read *pr = ctx;

	pr->warnings++;
	elog("warning: %s", msg);
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

/* read the whole log into pr->h (and pr->fn); exit code or -1 when all is well */
static int pm_load(struct pm_read *pr, struct rec_reader *rd)
{
	char *err = NULL;
	int e;

	memset(rd, 0, sizeof(*rd));
	rd->cb = pm_rec;
	/* DMWATCH_NO_SUMMARIES: every block inflated (tests compare the two ways) */
	rd->summary = getenv("DMWATCH_NO_SUMMARIES") ? NULL : pm_summary;
	rd->warn = pm_warn;
	rd->ctx = pr;
	pr->h = history_new();
	e = rec_read_dir(rd, pr->o->dir, &err);
	if (e) {
		elog("%s", err);
		free(err);
		return EXIT_UNUSABLE;
	}
	if (!rd->stats.records) {
		elog("nothing readable in %s (%llu damaged blocks)", pr->o->dir,
		     (unsigned long long)rd->stats.bad_blocks);
		return EXIT_UNUSABLE;
	}
	history_finish(pr->h);
	return -1;
}

/* ---- report ---- */

struct tl_line {
	int64_t t;
	size_t seq;
	char *text;
};

struct pid_count {
	uint32_t pid;
	char comm[DMW_COMM_LEN];
	uint64_t n;
};

struct err_dev {
	uint32_t dev;
	char *name;
	uint64_t n, by_op[DMW_OP_FLUSH + 1];
	int64_t first, last;
	struct pid_count pids[3];
	size_t n_pids;
	uint64_t other_pids;
	uint32_t lower;
	int32_t error;
};

struct burst {
	uint32_t dev, pid, op, lower;
	int32_t error;
	char *name;
	char comm[DMW_COMM_LEN];
	uint64_t n, smin, smax;
	int64_t first, last;
};

static const double thresholds[] = { 80, 95, 100 };

struct fill_dev {
	uint32_t dev;
	char *name;
	char kind[16];
	double last, max;
	int64_t first_t, last_t, max_t;
	int64_t crossed_t[3];
	double crossed_pct[3];
	char state[48];
	int64_t state_t;
	bool bad_state;			/* invalid, overflow, out_of_data_space, ro ... */
	int64_t overflow_warn_t;	/* first "will overflow before the reader is done" */
	double rate_at_warn, eta_at_warn;
};

struct fail_op {
	uint32_t type;
	int32_t ret;
	char *name;
	uint64_t n;
	uint32_t pid;
	char comm[DMW_COMM_LEN];
	int64_t first, last;
};

struct report_state {
	FILE *out;
	struct tl_line *tl;
	size_t n_tl;
	struct err_dev *errs;
	size_t n_errs;
	struct burst *bursts;
	size_t n_bursts;
	struct fill_dev *fills;
	size_t n_fills;
	struct fail_op *fails;
	size_t n_fails;
	uint64_t lost, lost_events, records, lifecycle;
	int64_t lost_first, lost_last;
	int64_t first, last;		/* of records in range */
	uint64_t sessions, unclean;
	bool session_open;		/* a START without its STOP so far */
	int64_t last_any;		/* last record time, for gaps */
	struct { int64_t from, to; } *gaps;
	size_t n_gaps;
	struct fill_dev *prior;		/* states reached before --since */
	size_t n_prior;
	bool multi_day;
};

static void tl_add(struct report_state *rs, int64_t t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tl_add(struct report_state *rs, int64_t t, const char *fmt, ...)
{
	struct tl_line *l = array_push(&rs->tl, &rs->n_tl, sizeof(*l));
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&l->text, fmt, ap) < 0)
		l->text = NULL;
	va_end(ap);
	l->t = t;
	l->seq = rs->n_tl;
}

static const char *errno_or(int err, const char *dflt)
{
	const char *n = errno_name(err < 0 ? -(long long)err : err);

	return n ? n : dflt;
}

static void dev_str(char *buf, size_t len, uint32_t dev)
{
	if (dev)
		snprintf(buf, len, "dm-%u", DMW_MINOR(dev));
	else
		snprintf(buf, len, "-");
}

static const char *name_or(const char *name)
{
	return name && *name ? name : "(unnamed)";
}

static void burst_flush(struct report_state *rs, size_t i)
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
	tl_add(rs, b->first, "%-16s %-6s %-32s %llu %s error%s %s by pid %u %s (%s%s)",
	       b->n > 1 ? "io_error" : "io_error", dn, name_or(b->name), (unsigned long long)b->n,
	       op_str(b->op), b->n > 1 ? "s" : "", errno_or(b->error, "EIO"), b->pid, b->comm,
	       sectors, lower);
	free(b->name);
	rs->bursts[i] = rs->bursts[--rs->n_bursts];
}

static struct err_dev *errs_of(const struct report_state *rs, uint32_t dev, const char *name)
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
				set_comm(d->pids[d->n_pids].comm, g->comm);
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

		if (g->first_ns - x->last > BURST_GAP_NS) {
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
		set_comm(b->comm, g->comm);
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
		set_comm(f->comm, e->comm);
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
	for (size_t k = 0; k < ARRAY_SIZE(thresholds); k++) {
		if (f->crossed_t[k] || c->used_percent < thresholds[k])
			continue;
		f->crossed_t[k] = t;
		f->crossed_pct[k] = c->used_percent;
		tl_add(rs, t, "%-16s %-6s %-32s %s %.1f %% (crossed %.0f %%; %s%s)",
		       pool ? "pool_usage" : "cow_usage", dn, name_or(c->name),
		       pool ? "data" : "COW", c->used_percent, thresholds[k], rate, eta);
	}
	if (c->overflow_before_reader && !f->overflow_warn_t) {
		f->overflow_warn_t = t;
		f->rate_at_warn = c->rate;
		f->eta_at_warn = c->eta_s;
		tl_add(rs, t, "%-16s %-6s %-32s will overflow before the reader is done (full in "
		       "%.0f s, reader needs %.0f s)", "cow_race", dn, name_or(c->name), c->eta_s,
		       c->reader_eta_s);
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
	tl_add(rs, r->unix_ns, "%-16s %-6s %-32s %s %s", r->st.event, dn, name_or(r->st.name),
	       pool ? "mode" : "state", r->st.state);
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
	tl_add(rs, r->unix_ns, "%-16s %-6s %-32s%s%s by pid %u %s%s%s", event_type_str(e->type), dn,
	       name_or(name), e->type == DMW_EV_DM_RENAME ? " -> " : "",
	       e->type == DMW_EV_DM_RENAME ? e->new_name : "", e->pid, e->comm,
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
		tl_add(rs, t, "%-16s %llu events lost (ring buffer full)", "lost",
		       (unsigned long long)r->lost);
		break;
	case REC_SESSION:
		if (r->ses.what == REC_SESSION_START) {
			rs->sessions++;
			tl_add(rs, t, "%-16s pid %u on %s (%s)", "recorder_start", r->ses.pid,
			       r->ses.host, r->ses.mode[0] ? r->ses.mode : "?");
		} else if (r->ses.what == REC_SESSION_STOP) {
			tl_add(rs, t, "%-16s pid %u", "recorder_stop", r->ses.pid);
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
	    s->last_ns - s->first_ns > BURST_GAP_NS)
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

static int json_rec(struct pm_read *pr, const struct rec *r)
{
	FILE *out = pr->ctx;
	char line[4096];
	int64_t t = r->unix_ns;

	if (t < pr->o->since_ns || t > pr->o->until_ns)
		return 0;
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
		event_to_json(line, sizeof(line), r->k.ev, t, nm, r->k.ev->lower_dev);
		break;
	}
	case REC_COW:
		cow_sample_to_json(line, sizeof(line), &r->cow, t);
		break;
	case REC_STATE:
		state_change_to_json(line, sizeof(line), r->st.event, r->st.name, r->st.dev,
				     r->st.state, t);
		break;
	case REC_LOST:
		lost_to_json(line, sizeof(line), r->lost, t);
		break;
	default:
		return 0;
	}
	fprintf(out, "%s\n", line);
	return 0;
}

static int tl_cmp(const void *a, const void *b)
{
	const struct tl_line *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void when(const struct report_state *rs, char *buf, size_t len, int64_t t)
{
	fmt_local(buf, len, t, rs->multi_day, false);
}

static void pids_str(char *buf, size_t len, const struct err_dev *d)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < d->n_pids && off < len; i++)
		off += snprintf(buf + off, len - off, "%spid %u %s", i ? ", " : "", d->pids[i].pid,
				d->pids[i].comm);
	if (d->other_pids && off < len)
		snprintf(buf + off, len - off, " and others");
}

static void err_phrase(const struct report_state *rs, char *buf, size_t len,
		       const struct err_dev *d)
{
	char first[32], last[32], pids[160];
	const char *op = d->by_op[DMW_OP_READ] == d->n ? "read " :
			 d->by_op[DMW_OP_WRITE] == d->n ? "write " : "I/O ";

	when(rs, first, sizeof(first), d->first);
	when(rs, last, sizeof(last), d->last);
	pids_str(pids, sizeof(pids), d);
	snprintf(buf, len, "%llu %serror%s (%s) by %s at %s%s%s", (unsigned long long)d->n, op,
		 d->n > 1 ? "s" : "", errno_or(d->error, "EIO"), pids, first,
		 strcmp(first, last) ? ".." : "", strcmp(first, last) ? last : "");
}

static int sum_cmp(const void *a, const void *b)
{
	const struct tl_line *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

static void print_summary(struct report_state *rs, FILE *out)
{
	struct tl_line *lines = NULL;
	size_t n = 0;
	char buf[1024], t1[32], t2[32];

	for (size_t i = 0; i < rs->n_fills; i++) {
		struct fill_dev *f = &rs->fills[i];
		bool pool = !strcmp(f->kind, "thin-pool");
		const struct err_dev *d = errs_of(rs, f->dev, f->name);
		struct tl_line *l;
		size_t off;
		char dn[16];

		if (!f->bad_state && f->max < thresholds[0] && !f->overflow_warn_t && !d)
			continue;
		dev_str(dn, sizeof(dn), f->dev);
		off = snprintf(buf, sizeof(buf), "%s (%s): ", f->name, dn);
		if (f->bad_state && !pool) {
			when(rs, t1, sizeof(t1), f->state_t);
			off += snprintf(buf + off, sizeof(buf) - off, "COW 100 %% -> %s at %s",
					!strcmp(f->state, "invalid") ? "Invalid" : f->state, t1);
			if (f->max >= 0) {
				when(rs, t2, sizeof(t2), f->last_t);
				off += snprintf(buf + off, sizeof(buf) - off, " (last sample %.1f %% at %s)",
						f->last, t2);
			}
		} else if (f->max >= 0) {
			when(rs, t1, sizeof(t1), f->max_t);
			off += snprintf(buf + off, sizeof(buf) - off, "%s %.1f %% at %s%s",
					pool ? "pool data" : "COW", f->max, t1,
					f->max >= 95 ? " (critical)" : f->max >= 80 ? " (warning)" : "");
			if (f->bad_state) {
				when(rs, t2, sizeof(t2), f->state_t);
				off += snprintf(buf + off, sizeof(buf) - off, "; mode %s at %s", f->state, t2);
			}
		}
		if (f->overflow_warn_t && off < sizeof(buf)) {
			when(rs, t1, sizeof(t1), f->overflow_warn_t);
			off += snprintf(buf + off, sizeof(buf) - off,
					"; predicted to overflow before the backup reader finished (%s)", t1);
		}
		if (d && off < sizeof(buf)) {
			char ep[512];

			err_phrase(rs, ep, sizeof(ep), d);
			snprintf(buf + off, sizeof(buf) - off, "; %s", ep);
		}
		l = array_push(&lines, &n, sizeof(*l));
		l->t = f->bad_state ? f->state_t : f->max_t;
		l->text = xstrdup(buf);
	}
	for (size_t i = 0; i < rs->n_errs; i++) {
		const struct err_dev *d = &rs->errs[i];
		char ep[512], dn[16];
		struct tl_line *l;
		bool with_fill = false;

		for (size_t k = 0; k < rs->n_fills; k++)
			if (rs->fills[k].dev == d->dev && !strcmp(rs->fills[k].name, d->name))
				with_fill = true;
		if (with_fill)
			continue;
		dev_str(dn, sizeof(dn), d->dev);
		err_phrase(rs, ep, sizeof(ep), d);
		/* the reason may lie before --since */
		for (size_t k = rs->n_prior; k-- > 0;)
			if (rs->prior[k].dev == d->dev && !strcmp(rs->prior[k].name, d->name)) {
				size_t off = strlen(ep);

				when(rs, t1, sizeof(t1), rs->prior[k].state_t);
				snprintf(ep + off, sizeof(ep) - off, "; %s %s since %s",
					 strcmp(rs->prior[k].kind, "thin-pool") ? "snapshot" : "pool",
					 rs->prior[k].state, t1);
				break;
			}
		l = array_push(&lines, &n, sizeof(*l));
		l->t = d->first;
		l->text = d->name[0] ? xasprintf("%s (%s): %s", d->name, dn, ep)
				     : xasprintf("%s (name unknown): %s", dn, ep);
	}
	for (size_t i = 0; i < rs->n_fails; i++) {
		const struct fail_op *f = &rs->fails[i];
		struct tl_line *l = array_push(&lines, &n, sizeof(*l));

		when(rs, t1, sizeof(t1), f->first);
		l->t = f->first;
		l->text = xasprintf("%s: %s failed with %s at %s by pid %u %s%s", name_or(f->name),
				    event_type_str(f->type) + 3, errno_or(f->ret, "an error"), t1,
				    f->pid, f->comm, f->n > 1 ? " (and more times)" : "");
		if (f->n > 1) {
			free(l->text);
			l->text = xasprintf("%s: %s failed with %s %llu times, first at %s by pid %u %s",
					    name_or(f->name), event_type_str(f->type) + 3,
					    errno_or(f->ret, "an error"), (unsigned long long)f->n,
					    t1, f->pid, f->comm);
		}
	}
	if (rs->lost) {
		struct tl_line *l = array_push(&lines, &n, sizeof(*l));

		when(rs, t1, sizeof(t1), rs->lost_first);
		l->t = rs->lost_first;
		l->text = xasprintf("%llu events lost (ring buffer full), first at %s",
				    (unsigned long long)rs->lost, t1);
	}
	for (size_t i = 0; i < rs->n_gaps; i++) {
		struct tl_line *l = array_push(&lines, &n, sizeof(*l));

		when(rs, t1, sizeof(t1), rs->gaps[i].from);
		when(rs, t2, sizeof(t2), rs->gaps[i].to);
		l->t = rs->gaps[i].from;
		l->text = xasprintf("recorder stopped without a clean end (killed or crashed): "
				    "nothing recorded from %s to %s", t1, t2);
	}
	fprintf(out, "What happened:\n");
	if (!n)
		fprintf(out, "  nothing alarming: no I/O errors, no snapshot or pool at 80 %% or more, "
			"no failed dm operation, no lost events\n");
	if (n)
		qsort(lines, n, sizeof(*lines), sum_cmp);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  %s\n", lines[i].text);
		free(lines[i].text);
	}
	free(lines);
}

static void print_report(struct report_state *rs, FILE *out, const struct pm_opts *o,
			 const struct rec_reader *rd, uint64_t warnings)
{
	char t1[32], t2[32], day[16] = "";

	while (rs->n_bursts)
		burst_flush(rs, rs->n_bursts - 1);
	fmt_local(t1, sizeof(t1), rs->first, true, false);
	fmt_local(t2, sizeof(t2), rs->last, true, false);
	rs->multi_day = strncmp(t1, t2, 10) != 0;
	fprintf(out, "dmwatch report: %s, %s .. %s (%llu records, %llu segments%s)\n\n", o->dir, t1,
		t2, (unsigned long long)rs->records, (unsigned long long)rd->stats.segments,
		warnings ? ", damaged parts skipped: see warnings" : "");
	print_summary(rs, out);

	fprintf(out, "\nTimeline (local time):\n");
	if (rs->n_tl)
		qsort(rs->tl, rs->n_tl, sizeof(*rs->tl), tl_cmp);
	for (size_t i = 0; i < rs->n_tl; i++) {
		char d[16], tm[32];

		fmt_local(tm, sizeof(tm), rs->tl[i].t, true, true);
		snprintf(d, sizeof(d), "%.10s", tm);
		if (strcmp(d, day)) {
			fprintf(out, "  %s\n", d);
			snprintf(day, sizeof(day), "%s", d);
		}
		fprintf(out, "    %s  %s\n", tm + 11, rs->tl[i].text ? rs->tl[i].text : "");
	}
	if (!rs->n_tl)
		fprintf(out, "  (no events in this time range)\n");

	if (rs->n_errs) {
		fprintf(out, "\nI/O errors by device:\n  %-7s %-32s %8s %6s %6s  %-19s  %s\n", "DEV",
			"NAME", "ERRORS", "READ", "WRITE", "FIRST", "BY");
		for (size_t i = 0; i < rs->n_errs; i++) {
			const struct err_dev *d = &rs->errs[i];
			char dn[16], pids[160], first[32];

			dev_str(dn, sizeof(dn), d->dev);
			pids_str(pids, sizeof(pids), d);
			fmt_local(first, sizeof(first), d->first, true, false);
			fprintf(out, "  %-7s %-32s %8llu %6llu %6llu  %-19s  %s\n", dn, name_or(d->name),
				(unsigned long long)d->n, (unsigned long long)d->by_op[DMW_OP_READ],
				(unsigned long long)d->by_op[DMW_OP_WRITE], first, pids);
		}
	}
	if (rs->n_fills) {
		fprintf(out, "\nSnapshots and thin pools:\n  %-7s %-32s %-12s %6s  %-8s %-8s %-8s  %s\n",
			"DEV", "NAME", "KIND", "MAX %", "80 %", "95 %", "100 %", "STATE");
		for (size_t i = 0; i < rs->n_fills; i++) {
			const struct fill_dev *f = &rs->fills[i];
			char dn[16], c[3][16], mx[16];

			dev_str(dn, sizeof(dn), f->dev);
			for (int k = 0; k < 3; k++) {
				if (!f->crossed_t[k])
					snprintf(c[k], sizeof(c[k]), "-");
				else
					fmt_local(c[k], sizeof(c[k]), f->crossed_t[k], false,
						  false);
			}
			if (f->max >= 0)
				snprintf(mx, sizeof(mx), "%.1f", f->max);
			else
				snprintf(mx, sizeof(mx), "-");
			fprintf(out, "  %-7s %-32s %-12s %6s  %-8s %-8s %-8s  %s\n", dn, f->name,
				f->kind[0] ? f->kind : "?", mx, c[0], c[1], c[2],
				f->state[0] ? f->state : "active");
		}
	}
	fprintf(out, "\nRecording: %llu blocks (%llu damaged), %llu recorder start%s (%llu without "
		"a clean stop before), %llu events lost\n", (unsigned long long)rd->stats.blocks,
		(unsigned long long)rd->stats.bad_blocks, (unsigned long long)rs->sessions,
		rs->sessions == 1 ? "" : "s", (unsigned long long)rs->unclean,
		(unsigned long long)rs->lost);
}

static void rs_free(struct report_state *rs)
{
	for (size_t i = 0; i < rs->n_tl; i++)
		free(rs->tl[i].text);
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

int pm_report(FILE *out, const struct pm_opts *o)
{
	struct report_state rs = { .out = out };
	struct pm_read pr = { .o = o };
	struct rec_reader rd;
	int ret;

	if (o->json) {
		pr.fn = json_rec;
		pr.ctx = out;
	} else {
		pr.fn = report_rec;
		pr.summary = report_summary;
		pr.ctx = &rs;
	}
	ret = pm_load(&pr, &rd);
	if (ret < 0) {
		if (!o->json)
			print_report(&rs, out, o, &rd, pr.warnings);
		ret = EXIT_OK;
	}
	rs_free(&rs);
	history_free(pr.h);
	return ret;
}

/* ---- whois ---- */

static void lvm_line(FILE *out, const char *label, const char *dmname)
{
	char *vg, *lv, *layer;

	if (!split_lvm_name(dmname, &vg, &lv, &layer))
		return;
	fprintf(out, "  %-10s VG %s, LV %s%s%s\n", label, vg, lv, *layer ? ", layer " : "", layer);
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
			fprintf(out, "  %-10s %s/%s (through dm-%u %s)\n", "origin", vg, lv,
				DMW_MINOR(o->dev), o->name);
		else
			fprintf(out, "  %-10s thin volume %ld in pool %s/%s\n", "pool", id, vg, lv);
		free(vg);
		free(lv);
		free(layer);
	} else if (snap) {
		fprintf(out, "  %-10s %s\n", "origin", o ? o->name : ref);
	} else {
		fprintf(out, "  %-10s thin volume %ld in pool %s\n", "pool", id, o ? o->name : ref);
	}
}

static void print_span(FILE *out, const struct history *h, const struct dev_span *s,
		       int64_t at)
{
	const struct span_table *tb = table_at(s, at, NULL);
	char t1[40], t2[40];

	fmt_local(t1, sizeof(t1), s->from_ns, true, true);
	fprintf(out, "  %-10s %s\n", "name", s->name);
	if (s->uuid[0])
		fprintf(out, "  %-10s %s\n", "uuid", s->uuid);
	lvm_line(out, "LVM", s->name);
	if (tb)
		fprintf(out, "  %-10s %s %s\n", "table", tb->target, tb->params);
	if (s->n_tables > 1) {
		fprintf(out, "  %-10s", "tables");
		for (size_t k = 0; k < s->n_tables; k++) {
			fmt_local(t2, sizeof(t2), s->tables[k].t, false, true);
			fprintf(out, "%s %s from %s", k ? "," : "", s->tables[k].target, t2);
		}
		fprintf(out, "\n");
	}
	origin_line(out, h, s, at);
	if (!strcmp(s->start_how, "created"))
		fprintf(out, "  %-10s %s by pid %u %s\n", "created", t1, s->start_pid, s->start_comm);
	else if (!strcmp(s->start_how, "renamed"))
		fprintf(out, "  %-10s %s from %s by pid %u %s\n", "renamed", t1,
			s->renamed_from ? s->renamed_from : "?", s->start_pid, s->start_comm);
	else
		fprintf(out, "  %-10s %s (already there; created before the recording saw it)\n",
			"first seen", t1);
	if (s->open) {
		fmt_local(t2, sizeof(t2), s->last_seen_ns, true, true);
		fprintf(out, "  %-10s still there at the end of the recording (last seen %s)\n",
			"until", t2);
	} else if (s->until_exact) {
		fmt_local(t2, sizeof(t2), s->until_ns, true, true);
		if (!strcmp(s->end_how, "renamed"))
			fprintf(out, "  %-10s %s to %s by pid %u %s\n", "renamed", t2,
				s->renamed_to ? s->renamed_to : "?", s->end_pid, s->end_comm);
		else
			fprintf(out, "  %-10s %s by pid %u %s%s\n", "removed", t2, s->end_pid,
				s->end_comm, !strcmp(s->end_how, "remove_all") ? " (remove all)" : "");
	} else {
		fmt_local(t1, sizeof(t1), s->last_seen_ns, true, true);
		fmt_local(t2, sizeof(t2), s->until_ns, true, true);
		fprintf(out, "  %-10s between %s (last seen) and %s (no remove event recorded)\n",
			"gone", t1, t2);
	}
}

static void span_range(char *buf, size_t len, const struct dev_span *s)
{
	char a[40], b[40];

	fmt_local(a, sizeof(a), s->from_ns, true, false);
	if (s->open)
		snprintf(b, sizeof(b), "end of recording");
	else
		fmt_local(b, sizeof(b), s->until_ns, true, false);
	snprintf(buf, len, "%s%s .. %s%s", s->from_exact ? "" : "~", a, s->until_exact || s->open ? "" : "~", b);
}

/* "vg/lv" -> dm name "vg-lv" with '-' doubled inside the parts */
static char *lv_path_to_dm(const char *s)
{
	const char *slash = strchr(s, '/');
	struct sbuf b = {};

	if (str_has_prefix(s, "/dev/mapper/"))
		return xstrdup(s + 12);
	if (str_has_prefix(s, "/dev/"))
		s += 5;
	slash = strchr(s, '/');
	if (!slash || strchr(slash + 1, '/'))
		return xstrdup(s);
	sb_add(&b, "", 0);
	for (const char *p = s; *p; p++) {
		if (p == slash)
			sb_add(&b, "-", 1);
		else if (*p == '-')
			sb_add(&b, "--", 2);
		else
			sb_add(&b, p, 1);
	}
	return b.p;
}

int pm_whois(FILE *out, const struct pm_opts *o, const char *what, const char *at_str)
{
	struct pm_read pr = { .o = o };
	struct rec_reader rd;
	uint32_t dev = 0;
	bool minor_only = false, by_dev;
	char at[40] = "", range[96];
	int64_t at_ns = -1, res_ns = 1;
	int ret, found = 0;

	/* checked before reading: a typo should not wait for a big log */
	if (at_str && pm_parse_time(at_str, o->now_ns, &at_ns, &res_ns)) {
		elog("--at: cannot read '%s' as a time (try \"2025-10-27 05:38:02\", "
		     "2025-10-27T05:38:02Z, @1761543482 or -10m)", at_str);
		return EXIT_UNUSABLE;
	}
	ret = pm_load(&pr, &rd);
	if (ret >= 0)
		goto out;
	/* a syslog stamp has no year: the one that fits the recording */
	if (at_str)
		parse_time(at_str, o->now_ns, pr.h->last_ns, &at_ns, &res_ns);
	by_dev = pm_parse_dev(what, &dev, &minor_only);
	if (at_ns >= 0)
		fmt_local(at, sizeof(at), at_ns, true, res_ns < PM_NS_PER_S);
	if (by_dev && at_ns >= 0) {
		struct pm_lookup lu;

		history_lookup(pr.h, dev, minor_only, at_ns, res_ns, &lu);
		if (lu.span) {
			fprintf(out, "%s (%u:%u) at %s was %s%s\n", what, DMW_MAJOR(lu.span->dev),
				DMW_MINOR(lu.span->dev), at, lu.how == PM_NEAR ? "probably " : "",
				lu.span->name);
			print_span(out, pr.h, lu.span, at_ns);
			if (lu.other) {
				fprintf(out, "or, as close in time:\n");
				print_span(out, pr.h, lu.other, at_ns);
			}
			ret = EXIT_OK;
			goto out;
		}
		fprintf(out, "%s at %s: no device the recording knows of", what, at);
		if (at_ns < pr.h->first_ns || at_ns > pr.h->last_ns) {
			char a[40], b[40];

			fmt_local(a, sizeof(a), pr.h->first_ns, true, false);
			fmt_local(b, sizeof(b), pr.h->last_ns, true, false);
			fprintf(out, " (the recording covers %s .. %s)", a, b);
		}
		fprintf(out, "\n");
		ret = EXIT_WARNING;
		/* fall through to the list: what it was before and after */
	} else if (by_dev) {
		ret = EXIT_OK;
	}
	for (size_t k = 0; k < history_count(pr.h); k++) {
		const struct dev_span *s = &pr.h->s[pr.h->order[k]];

		if (by_dev ? !s->dev || DMW_MINOR(s->dev) != DMW_MINOR(dev) ||
			     (!minor_only && s->dev != dev)
			   : strcmp(s->name, what))
			continue;
		if (!by_dev && at_ns >= 0) {
			struct pm_lookup lu;

			history_lookup(pr.h, s->dev, false, at_ns, res_ns, &lu);
			if (lu.span != s)
				continue;
		}
		if (!found++ && ret != EXIT_WARNING)
			fprintf(out, "%s%s%s:\n", what, at[0] ? " at " : "", at);
		else if (found == 1)
			fprintf(out, "what the recording knows of it:\n");
		span_range(range, sizeof(range), s);
		fprintf(out, "dm-%u (%u:%u) %s\n", DMW_MINOR(s->dev), DMW_MAJOR(s->dev),
			DMW_MINOR(s->dev), range);
		print_span(out, pr.h, s, at_ns);
	}
	if (!by_dev && !found && strchr(what, '/')) {
		char *dm = lv_path_to_dm(what);

		history_free(pr.h);
		pr.h = NULL;
		ret = strcmp(dm, what) ? pm_whois(out, o, dm, at_str) : EXIT_WARNING;
		free(dm);
		return ret;
	}
	if (!found && ret != EXIT_WARNING) {
		fprintf(out, "%s: not in the recording%s%s\n", what, at[0] ? " at " : "", at);
		ret = EXIT_WARNING;
	} else if (!by_dev) {
		ret = EXIT_OK;
	}
out:
	history_free(pr.h);
	return ret;
}

/* ---- explain ---- */

int pm_explain(FILE *out, FILE *in, const struct pm_opts *o)
{
	struct pm_read pr = { .o = o };
	struct pm_log_ctx ctx;
	struct rec_reader rd;
	char *line = NULL, boot_id[64] = "";
	size_t cap = 0;
	ssize_t n;
	uint64_t untimed = 0;
	int ret = pm_load(&pr, &rd);
	FILE *f;

	if (ret >= 0)
		goto out;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(boot_id, sizeof(boot_id), f))
			boot_id[0] = 0;
		boot_id[strcspn(boot_id, "\n")] = 0;
		fclose(f);
	}
	history_log_ctx(pr.h, boot_id, &ctx);
	while ((n = getline(&line, &cap, in)) > 0) {
		size_t len = n, dms;
		bool timed;
		char *a = explain_line(pr.h, line, &len, &ctx, &timed, &dms);

		fwrite(a, 1, len, out);
		if (dms && !timed)
			untimed++;
		free(a);
	}
	if (ferror(in)) {
		elog("cannot read the kernel log text: %s", strerror(errno));
		ret = EXIT_UNUSABLE;
		goto out;
	}
	if (untimed)
		elog("note: %llu line%s without a time dmwatch understands; named with the latest "
		     "device (time unknown)", (unsigned long long)untimed, untimed == 1 ? "" : "s");
	ret = EXIT_OK;
out:
	free(line);
	history_free(pr.h);
	return ret;
}

/* ---- commands ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * PM_NS_PER_S + ts.tv_nsec;
}

struct pm_args {
	struct pm_opts o;
	const char *since, *until, *at;
	const char *arg;
	int n_args;
	const char *cmd;
};

static error_t pm_parse(int key, char *arg, struct argp_state *state)
{
	struct pm_args *a = state->input;

	switch (key) {
	case 'd': a->o.dir = arg; break;
	case 'j': a->o.json = true; break;
	case 'v': verbose = 1; break;
	case 'S': a->since = arg; break;
	case 'U': a->until = arg; break;
	case 'a': a->at = arg; break;
	case ARGP_KEY_ARG:
		if (a->n_args++)
			argp_error(state, "unexpected argument '%s'", arg);
		a->arg = arg;
		break;
	case ARGP_KEY_END:
		if (!strcmp(a->cmd, "whois") && !a->n_args)
			argp_error(state, "which device? (dm-N, MAJ:MIN or a name)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option report_options[] = {
	{ "dir", 'd', "DIR", 0, "Recorder directory (default " DEFAULT_DIR ")", 0 },
	{ "since", 'S', "T", 0, "From this time (\"2025-10-27 05:30\", ISO 8601, @unix, -10m)", 0 },
	{ "until", 'U', "T", 0, "Up to this time", 0 },
	{ "json", 'j', NULL, 0, "One JSON event per line (the trace --json schema)", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static const struct argp_option whois_options[] = {
	{ "dir", 'd', "DIR", 0, "Recorder directory (default " DEFAULT_DIR ")", 0 },
	{ "at", 'a', "T", 0, "At this time (\"2025-10-27 05:38:02\", ISO 8601, @unix, -10m, "
	  "or a dmesg -T stamp)", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static const struct argp_option explain_options[] = {
	{ "dir", 'd', "DIR", 0, "Recorder directory (default " DEFAULT_DIR ")", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static int parse_args(const struct argp *argp, int argc, char **argv, struct pm_args *a,
		      const char *cmd)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->o.dir = DEFAULT_DIR;
	a->o.since_ns = INT64_MIN;
	a->o.until_ns = INT64_MAX;
	a->o.now_ns = now_ns();
	argp_err_exit_status = EXIT_UNUSABLE;
	return argp_parse(argp, argc, argv, 0, NULL, a) ? -EINVAL : 0;
}

static int time_arg(const char *opt, const char *s, int64_t now, int64_t *t, int64_t *res)
{
	if (!pm_parse_time(s, now, t, res))
		return 0;
	elog("%s: cannot read '%s' as a time (try \"2025-10-27 05:38:02\", "
	     "2025-10-27T05:38:02Z, @1761543482 or -10m)", opt, s);
	return -EINVAL;
}

int cmd_report(int argc, char **argv)
{
	static const struct argp argp = {
		.options = report_options,
		.parser = pm_parse,
		.doc = "What the recorder saw: a short summary of what went wrong (COW or pool "
		       "full, snapshots invalidated, I/O errors per named device and process, "
		       "failed dm operations, lost events, recorder gaps), the timeline, and "
		       "tables per device.\vTimes are local, like dmesg -T. Damaged parts of the "
		       "log are skipped with a warning. Exit 3 only when nothing can be read.",
	};
	struct pm_args a;
	int64_t res;

	if (parse_args(&argp, argc, argv, &a, "report"))
		return EXIT_UNUSABLE;
	if ((a.since && time_arg("--since", a.since, a.o.now_ns, &a.o.since_ns, &res)) ||
	    (a.until && time_arg("--until", a.until, a.o.now_ns, &a.o.until_ns, &res)))
		return EXIT_UNUSABLE;
	/* --until 05:38 means up to the end of that minute */
	if (a.until && a.o.until_ns < INT64_MAX - res)
		a.o.until_ns += res - 1;
	if (a.o.since_ns > a.o.until_ns) {
		elog("--since is after --until");
		return EXIT_UNUSABLE;
	}
	return pm_report(stdout, &a.o);
}

int cmd_whois(int argc, char **argv)
{
	static const struct argp argp = {
		.options = whois_options,
		.parser = pm_parse,
		.args_doc = "dm-N|MAJ:MIN|NAME|VG/LV",
		.doc = "Which device a dm-N was at a given time, from the recorder's name "
		       "history: name, uuid, VG/LV, table, snapshot origin or thin pool, who "
		       "created and removed it and when. Without --at: every device that "
		       "number has been.\vExit: 0 found, 1 not in the recording, 3 could not run.",
	};
	struct pm_args a;

	if (parse_args(&argp, argc, argv, &a, "whois"))
		return EXIT_UNUSABLE;
	return pm_whois(stdout, &a.o, a.arg, a.at);
}

int cmd_explain(int argc, char **argv)
{
	static const struct argp argp = {
		.options = explain_options,
		.parser = pm_parse,
		.args_doc = "[FILE|-]",
		.doc = "Print kernel log text (dmesg -T, journalctl -k, syslog, raw dmesg of a "
		       "recorded boot) with every dm-N annotated with the device it was at that "
		       "line's time: \"dev dm-54 [backup-snap--102--0]\". \"probably\" marks a "
		       "guess within the log's clock precision; lines without a time get the "
		       "latest name, marked \"(time unknown)\".\vReads standard input without FILE.",
	};
	struct pm_args a;
	FILE *in = stdin;
	int ret;

	if (parse_args(&argp, argc, argv, &a, "explain"))
		return EXIT_UNUSABLE;
	if (a.arg && strcmp(a.arg, "-")) {
		in = fopen(a.arg, "re");
		if (!in) {
			elog("cannot open %s: %s", a.arg, strerror(errno));
			return EXIT_UNUSABLE;
		}
	}
	ret = pm_explain(stdout, in, &a.o);
	if (in != stdin)
		fclose(in);
	return ret;
}
