/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Post-mortem over the recorder's log (report, whois, explain): times as admins
 * type them and as kernel logs print them, and the name history that says which
 * device dm-N was at a given moment.
 */
#ifndef DMWATCH_POSTMORTEM_H
#define DMWATCH_POSTMORTEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "record/recfmt.h"

#define PM_NS_PER_S	1000000000LL

#define PM_DEFAULT_DIR	"/var/lib/dmwatch"

/*
 * A time as given on the command line, local time unless it says otherwise:
 * "2025-10-27 05:38:02", ISO 8601 ("2025-10-27T05:38:02.5+01:00"), a date, "05:38",
 * "@1761543482", what journalctl takes ("now", "today", "yesterday", "tomorrow",
 * "1h ago", "10 min ago", "-1h30m": s m h d w and their long names), or a
 * dmesg -T / syslog stamp ("Mon Oct 27 05:38:02 2025", "Oct 27 05:38:02").
 * *res_ns: how precise it is (1 s for "05:38:02", a day for "2025-10-27"; the
 * day words are a point in time, midnight, as in journalctl). Returns 0, or -EINVAL.
 */
int pm_parse_time(const char *s, int64_t now_ns, int64_t *t_ns, int64_t *res_ns);
/* The same, a yearless syslog stamp taken in the year that puts it before ref_ns. */
int pm_parse_time_near(const char *s, int64_t now_ns, int64_t ref_ns, int64_t *t_ns,
		       int64_t *res_ns);

/* What a kernel log line's time is read against. */
struct pm_log_ctx {
	int64_t ref_ns;		/* syslog has no year: the one that puts a stamp before this */
	bool have_boot;		/* raw dmesg "[ 123.456]" can be mapped with boot_offset_ns */
	int64_t boot_offset_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME of that boot */
};

/*
 * The time at the start of a kernel log line: dmesg -T "[Mon Oct 27 05:38:02 2025]",
 * dmesg --time-format iso, raw dmesg "[  123.456]" (with a boot offset), syslog and
 * journalctl "Oct 27 05:38:02 host kernel:" (also .usec, short-iso, short-full).
 * Returns false when the line starts with no time it knows.
 */
bool pm_log_time(const char *line, const struct pm_log_ctx *ctx, int64_t *t_ns, int64_t *res_ns);

/* Which devices a dm-N has been over time. */
struct dev_span {
	uint32_t dev;			/* kernel dev_t; 0 while unknown */
	char *name, *uuid;
	char *target, *params;		/* first table line as last seen */
	struct span_table {
		int64_t t;		/* first seen with this table */
		char *target, *params;
	} *tables;			/* every table seen, oldest first (LVM reloads
					 * a snapshot as linear just before removing it) */
	size_t n_tables;
	int64_t from_ns;		/* created (exact) or first seen */
	int64_t until_ns;		/* removed (exact) or noticed gone; INT64_MAX: still */
	int64_t last_seen_ns;		/* known to exist at this time */
	bool from_exact, until_exact;	/* from a lifecycle event, not inferred from a scan */
	const char *start_how;		/* created, renamed, seen */
	const char *end_how;		/* removed, renamed, gone, replaced, remove_all, NULL */
	uint32_t start_pid, end_pid;
	char start_comm[DMW_COMM_LEN], end_comm[DMW_COMM_LEN];
	char *renamed_from, *renamed_to;
	bool open;
	uint64_t gen;			/* last full device list that listed it */
};

struct history;

struct history *history_new(void);
void history_free(struct history *h);
/* Feed every record in log order. */
void history_add(struct history *h, const struct rec *r);
/* The same for a group of I/O errors from a block's summary, groups in event order. */
void history_io_group(struct history *h, const struct rec_io_group *g);
/* Index the spans; call once after the last history_add, before lookups. */
void history_finish(struct history *h);
size_t history_count(const struct history *h);
/* In the order they were fed */
const struct dev_span *history_span(const struct history *h, size_t i);
/* After history_finish: by minor, then by time */
const struct dev_span *history_sorted(const struct history *h, size_t i);
/* First and last time of the recording (INT64_MAX, INT64_MIN while empty) */
void history_range(const struct history *h, int64_t *first_ns, int64_t *last_ns);
/* The device dev is now (while feeding), NULL if none. */
const struct dev_span *history_current(const struct history *h, uint32_t dev);
/* Reference for kernel log times: end of the recording, boot offset if unambiguous. */
void history_log_ctx(const struct history *h, const char *boot_id, struct pm_log_ctx *ctx);

enum pm_match {
	PM_NONE = 0,
	PM_EXACT,		/* the recording shows this device there at that time */
	PM_NEAR,		/* probably: within the uncertainty of a scan or the log's clock */
	PM_LATEST,		/* no time given: the latest device with that number */
};

struct pm_lookup {
	const struct dev_span *span;
	const struct dev_span *other;	/* a second candidate as good as span (ambiguous) */
	enum pm_match how;
};

/*
 * Which device was dev at t_ns (given to res_ns precision). minor_only: dev is
 * "dm-N" (any dm major). t_ns < 0: no time, the latest one.
 */
void history_lookup(const struct history *h, uint32_t dev, bool minor_only, int64_t t_ns,
		    int64_t res_ns, struct pm_lookup *out);

/* "dm-54", "/dev/dm-54", "254:54" -> dev; false for anything else (a name). */
bool pm_parse_dev(const char *s, uint32_t *dev, bool *minor_only);

/* One kernel log line with every dm-N annotated with its name; caller frees. */
char *pm_explain_line(const struct history *h, const char *line, size_t len,
		      const struct pm_log_ctx *ctx);

struct pm_opts {
	const char *dir;
	int64_t since_ns, until_ns;	/* INT64_MIN / INT64_MAX: open */
	bool json;
	int64_t now_ns;			/* for "time unknown" and relative times */
	/*
	 * Decode every block, even one whose I/O error summary could answer: the
	 * answer must be the same (the unit tests and tools/bench-report compare).
	 */
	bool decode_all;
	FILE *err;			/* warnings and errors; NULL: stderr */
	/* report's text fits this many columns (term_width()); 0: lines as long as they need */
	unsigned width;
};

/* The defaults: the recorder's directory, no time window, now. */
void pm_opts_init(struct pm_opts *o);
/*
 * pm_parse_time of option opt's value against o->now_ns; 0, or -EINVAL with a
 * one-line error naming the forms it takes.
 */
int pm_time_arg(const struct pm_opts *o, const char *opt, const char *s, int64_t *t_ns,
		int64_t *res_ns);

/* The commands' work on streams (tests call these); return the exit code. */
int pm_report(FILE *out, const struct pm_opts *o);
/* at: a time as pm_parse_time() reads it (yearless stamps: the recording's year), or NULL */
int pm_whois(FILE *out, const struct pm_opts *o, const char *what, const char *at);
int pm_explain(FILE *out, FILE *in, const struct pm_opts *o);

#endif /* DMWATCH_POSTMORTEM_H */
