// SPDX-License-Identifier: GPL-2.0
/*
 * Times as admins type them (--since, --until, --at: absolute, journalctl's
 * words and "1h ago", pasted dmesg -T and syslog stamps) and as kernel logs
 * print them at the start of a line (explain), and how report and whois print
 * them back. Kernel log times are coarse (dmesg -T is whole seconds and may
 * drift), so each parse also says how precise the time is.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "postmortem/internal.h"
#include "lib/clock.h"
#include "lib/util.h"

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

/* the digits after a decimal point, as ns (past 9 digits ignored); *res: the last one's weight */
static void fraction(const char **pp, int64_t *frac_ns, int64_t *res)
{
	const char *p = *pp;
	int64_t scale = PM_NS_PER_S;

	*frac_ns = 0;
	for (; isdigit((unsigned char)*p); p++)
		if (scale > 1) {
			scale /= 10;
			*frac_ns += (*p - '0') * scale;
		}
	*res = scale;
	*pp = p;
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
			p++;
			fraction(&p, frac_ns, res);
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

/* the word w (case-insensitive) and nothing after it but spaces */
static bool only_word(const char *p, const char *w)
{
	size_t n = strlen(w);

	return !strncasecmp(p, w, n) && at_end(p + n);
}

/* "@1761543482[.frac]" */
static bool parse_unix(const char *p, int64_t *t_ns, int64_t *res_ns)
{
	int64_t frac = 0;
	long v;

	*res_ns = PM_NS_PER_S;
	if (*p++ != '@' || !digits(&p, 1, 12, &v))
		return false;
	if (*p == '.' && isdigit((unsigned char)p[1])) {
		p++;
		fraction(&p, &frac, res_ns);
	}
	return at_end(p) && ns_from(0, v, frac, t_ns);
}

/* one "10min" or "10 min" of a time span, in seconds; systemd's unit names */
static bool span_part(const char **pp, int64_t *secs)
{
	static const struct { const char *u; int64_t s; } units[] = {
		{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 }, { "seconds", 1 },
		{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 }, { "minutes", 60 },
		{ "h", 3600 }, { "hr", 3600 }, { "hrs", 3600 }, { "hour", 3600 }, { "hours", 3600 },
		{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
		{ "w", 7 * 86400 }, { "week", 7 * 86400 }, { "weeks", 7 * 86400 },
	};
	const char *p = *pp, *u;
	long v;

	if (!digits(&p, 1, 9, &v))
		return false;
	skip_spaces(&p);
	for (u = p; isalpha((unsigned char)*p); p++)
		;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if ((size_t)(p - u) == strlen(units[i].u) && !strncasecmp(u, units[i].u, p - u)) {
			*pp = p;
			return !__builtin_mul_overflow((int64_t)v, units[i].s, secs);
		}
	return false;
}

/* a time span: one part or more ("1h 30min", "1h30m") */
static bool parse_span(const char **pp, int64_t *secs)
{
	const char *p = *pp;
	int64_t part;

	*secs = 0;
	if (!span_part(&p, secs))
		return false;
	for (;;) {
		const char *q = p;

		skip_spaces(&q);
		if (!span_part(&q, &part))
			break;
		if (__builtin_add_overflow(*secs, part, secs))
			return false;
		p = q;
	}
	*pp = p;
	return true;
}

/* "-10m", "-1h 30min", "10 min ago", "1h ago": that long before now */
static bool parse_ago(const char *p, int64_t now_ns, int64_t *t_ns)
{
	bool minus = *p == '-';
	int64_t secs, ago;

	if (minus)
		p++;
	if (!parse_span(&p, &secs))
		return false;
	if (!minus) {
		skip_spaces(&p);
		if (strncasecmp(p, "ago", 3) || isalpha((unsigned char)p[3]))
			return false;
		p += 3;
	}
	return at_end(p) && ns_from(0, secs, 0, &ago) && !__builtin_sub_overflow(now_ns, ago, t_ns);
}

/* "today", "yesterday", "tomorrow": local midnight of that day, as journalctl reads them */
static bool parse_day_word(const char *p, int64_t now_ns, int64_t *t_ns)
{
	static const struct { const char *w; int days; } words[] = {
		{ "today", 0 }, { "yesterday", -1 }, { "tomorrow", 1 },
	};
	time_t now = now_ns / PM_NS_PER_S, t;
	struct tm tm;

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (!only_word(p, words[i].w))
			continue;
		if (!localtime_r(&now, &tm))
			return false;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday += words[i].days;	/* mktime carries it into the month */
		tm.tm_isdst = -1;
		t = mktime(&tm);
		return t != (time_t)-1 && ns_from(0, t, 0, t_ns);
	}
	return false;
}

/* "05:38[:02[.frac]]" alone: that time today */
static bool parse_clock_today(const char *p, int64_t now_ns, int64_t *t_ns, int64_t *res_ns)
{
	time_t now = now_ns / PM_NS_PER_S;
	struct tm tm;
	int64_t frac, secs;

	return localtime_r(&now, &tm) && parse_clock(&p, &tm, &frac, res_ns) && at_end(p) &&
	       local_time(&tm, &secs) && ns_from(0, secs, frac, t_ns);
}

/* pasted from dmesg -T or syslog: "[Mon Oct 27 05:38:02 2025]", "Oct 27 05:38:02" */
static bool parse_pasted(const char *p, int64_t ref_ns, int64_t *t_ns, int64_t *res_ns)
{
	bool bracket = *p == '[';

	if (bracket)
		p++;
	if (word3(&p, wday_names, 7) >= 0)
		skip_spaces(&p);
	if (!parse_syslog(&p, ref_ns, t_ns, res_ns, false))
		return false;
	if (bracket && *p++ != ']')
		return false;
	return at_end(p);
}

static int parse_time(const char *s, int64_t now_ns, int64_t ref_ns, int64_t *t_ns,
		      int64_t *res_ns)
{
	const char *p = s, *q;
	int64_t t, res = PM_NS_PER_S;
	bool ok;

	if (!s)
		return -EINVAL;
	skip_spaces(&p);
	if (only_word(p, "now")) {
		t = now_ns;
		ok = true;
	} else if (*p == '@') {
		ok = parse_unix(p, &t, &res);
	} else if (*p == '-' || isdigit((unsigned char)*p)) {
		q = p;
		ok = parse_ago(p, now_ns, &t) ||
		     (parse_iso(&q, &t, &res, false) && at_end(q)) ||
		     parse_clock_today(p, now_ns, &t, &res);
	} else {
		ok = parse_day_word(p, now_ns, &t) || parse_pasted(p, ref_ns, &t, &res);
	}
	if (!ok)
		return -EINVAL;
	*t_ns = t;
	*res_ns = res;
	return 0;
}

int pm_parse_time(const char *s, int64_t now_ns, int64_t *t_ns, int64_t *res_ns)
{
	return parse_time(s, now_ns, now_ns, t_ns, res_ns);
}

int pm_parse_time_near(const char *s, int64_t now_ns, int64_t ref_ns, int64_t *t_ns,
		       int64_t *res_ns)
{
	return parse_time(s, now_ns, ref_ns, t_ns, res_ns);
}

int pm_time_arg(const struct pm_opts *o, const char *opt, const char *s, int64_t *t_ns,
		int64_t *res_ns)
{
	if (!pm_parse_time(s, o->now_ns, t_ns, res_ns))
		return 0;
	pm_error(o, "%s: cannot read '%s' as a time (try \"2025-10-27 05:38:02\", "
		 "2025-10-27T05:38:02Z, @1761543482, -10m, \"1h ago\" or yesterday)", opt,
		 s ? s : "");
	return -EINVAL;
}

/* raw dmesg "[  123.456789]": seconds since the boot, p after the '[' */
static bool parse_uptime(const char *p, const struct pm_log_ctx *ctx, int64_t *t_ns,
			 int64_t *res_ns)
{
	int64_t frac = 0, res;
	long s;

	if (!ctx || !ctx->have_boot || !digits(&p, 1, 10, &s))
		return false;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return false;
		fraction(&p, &frac, &res);
	}
	if (*p != ']' || !ns_from(ctx->boot_offset_ns, s, frac, t_ns))
		return false;
	/* the boot offset is only as good as dmesg -T's: give it seconds */
	*res_ns = PM_NS_PER_S;
	return true;
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
		if (isdigit((unsigned char)*p))
			return parse_uptime(p, ctx, t_ns, res_ns);
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

void pm_fmt_local(char *buf, size_t len, int64_t ns, bool date, bool ms)
{
	char base[32];

	if (ns == INT64_MAX) {
		snprintf(buf, len, "(end)");
		return;
	}
	format_time(base, sizeof(base), ns / PM_NS_PER_S, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S",
		    false);
	if (ms)
		snprintf(buf, len, "%s.%03d", base, (int)(ns % PM_NS_PER_S / 1000000));
	else
		snprintf(buf, len, "%s", base);
}
