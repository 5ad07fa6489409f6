/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTML report of a scan (scan --html, and the text/html part of the mail):
 * one self-contained page with every name escaped (lib/escape.h html_escape).
 */
#ifndef DMWATCH_HTML_H
#define DMWATCH_HTML_H

#include <stdio.h>
#include "analyze/classify.h"
#include "collect/hostfacts.h"

struct html_opts {
	const struct host_facts *facts;	/* NULL: not this machine's (a saved state) */
	const char *source;		/* what was analysed, e.g. "live" or a state file */
	double warn_percent, crit_percent; /* thresholds used, 0 = not shown */
	bool all;			/* also the clean guests and the table of every device */
};

/* A self-contained page: inline CSS, no script, no external resource. */
void output_html(FILE *f, const struct report *r, const struct html_opts *o);

#endif /* DMWATCH_HTML_H */
