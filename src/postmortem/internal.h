/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the post-mortem files share and the commands do not see: reading the
 * log into a name history (load.c), times as report and whois print them
 * (times.c), and the small printing rules of all three.
 */
#ifndef DMWATCH_POSTMORTEM_INTERNAL_H
#define DMWATCH_POSTMORTEM_INTERNAL_H

#include <stdarg.h>
#include "postmortem/postmortem.h"

/* One pass over the recorder's log: the history, and what a command takes from it */
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
	struct rec_read_stats stats;	/* of the reading, once done */
};

/*
 * Read the whole log into pr->h (and through pr->fn); the history is finished.
 * Returns -1 when all is well, else the exit code (the reason printed).
 */
int pm_load(struct pm_read *pr);

/*
 * a + b in nanoseconds, held at the ends of int64_t: a hostile or torn log's times
 * can lie anywhere in it, where a plain sum or difference overflows.
 */
static inline int64_t pm_ns_add(int64_t a, int64_t b)
{
	int64_t sum;

	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return sum;
}

/* where warnings and errors go (pm_opts.err): "dmwatch: " and the line, escaped */
FILE *pm_err(const struct pm_opts *o);
void pm_error(const struct pm_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A local time as report and whois print it: "05:38:02" or, with date,
 * "2025-10-27 05:38:02", with ms ".123"; INT64_MAX is "(end)".
 */
void pm_fmt_local(char *buf, size_t len, int64_t ns, bool date, bool ms);

/*
 * A line for a person at a terminal: text (in which names and other foreign text
 * were put by printf) escaped with term_escape, then a newline. The formats are
 * ours and hold no control byte or backslash, so escaping the whole line is
 * escaping each foreign part.
 */
void pm_line(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pm_vline(FILE *out, const char *fmt, va_list ap);

/* a text built piece by piece with stdio, of any length */
struct pm_text {
	char *s;
	size_t len;
	FILE *f;
};

FILE *pm_text_open(struct pm_text *t);
char *pm_text_close(struct pm_text *t);		/* the text, caller frees */

static inline void pm_set_comm(char *dst, const char *comm)
{
	snprintf(dst, DMW_COMM_LEN, "%s", comm ? comm : "");
}

#endif /* DMWATCH_POSTMORTEM_INTERNAL_H */
