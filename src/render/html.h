/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTML report of a scan (scan --html) and its delivery by mail through the
 * local sendmail (scan --mail-to): what seed 000's nightly mail did, without an
 * API key and with every name escaped.
 */
#ifndef DMWATCH_HTML_H
#define DMWATCH_HTML_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "analyze/classify.h"

/* Facts about the machine that ran the scan; only meaningful for a live scan. */
struct host_facts {
	char kernel[160];		/* uname -r and machine, "" unknown */
	char os[128];			/* PRETTY_NAME of /etc/os-release, "" unknown */
	char pve[128];			/* Proxmox VE version, "" when not a PVE host */
	double uptime_s;		/* < 0 unknown */
	double load[3];			/* < 0 unknown */
	uint64_t mem_total, mem_avail;	/* bytes, 0 unknown */
	int cpus;			/* 0 unknown */
};

/* Read /proc and friends; never fails, unknown facts stay unknown. */
void host_facts_collect(struct host_facts *h);

struct html_opts {
	const struct host_facts *facts;	/* NULL: not this machine's (a saved state) */
	const char *source;		/* what was analysed, e.g. "live" or a state file */
	double warn_percent, crit_percent; /* thresholds used, 0 = not shown */
};

/* A self-contained page: inline CSS, no script, no external resource. */
void output_html(FILE *f, const struct report *r, const struct html_opts *o);

/* Text for HTML content and attribute values: & < > " ' escaped, control bytes and
 * invalid UTF-8 shown as U+FFFD. NULL prints nothing. */
void html_escape(FILE *f, const char *s);


/* ---- mail ---- */

struct mail_opts {
	const char *to;			/* one or more addresses, comma separated */
	const char *from;		/* NULL: the MTA fills it in */
	const char *boundary;		/* NULL: a random one (tests fix it) */
	time_t date;			/* 0: now */
	const struct html_opts *html;
};

/* "[dmwatch] pve1: grade F, 3 critical, 5 warnings" (caller frees) */
char *mail_subject(const struct report *r);

/* A complete RFC 5322 message, multipart/alternative with a text/plain and a
 * text/html part, both quoted-printable, lines CRLF-free (sendmail adds them).
 * r == NULL composes a text-only "scan failed" message with failure as its body. */
void mail_compose(FILE *f, const struct report *r, const char *host, const char *failure,
		  const struct mail_opts *o);

/* Header-safe address list: printable ASCII, no CR/LF, not empty. */
bool mail_address_ok(const char *addr);

/* Which sendmail: the override, else $SENDMAIL, else /usr/sbin/sendmail. */
const char *mail_sendmail_path(const char *override);

/* Pipe msg into `sendmail -t -oi`. 0, or -1 with *err set (caller frees). */
int mail_send(const char *sendmail, const char *msg, size_t len, char **err);

/* Quoted-printable body encoding (RFC 2045 6.7), soft line breaks at 76. */
void qp_encode(FILE *f, const char *s, size_t len);

#endif /* DMWATCH_HTML_H */
