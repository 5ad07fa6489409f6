/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report delivered by mail through the local sendmail (scan --mail-to):
 * what seed 000's nightly mail did, without an API key and with every name
 * escaped.
 */
#ifndef DMWATCH_MAIL_H
#define DMWATCH_MAIL_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "analyze/classify.h"
#include "render/html.h"

struct mail_opts {
	const char *to;			/* one or more addresses, comma separated */
	const char *from;		/* NULL: the MTA fills it in */
	const char *boundary;		/* NULL: a random one (tests fix it) */
	time_t date;			/* 0: now */
	const struct html_opts *html;
};

/*
 * "[dmwatch] pve1: grade F, 3 critical, 5 warnings" (caller frees); the host
 * name term_escape()d, so the subject is one line of visible characters.
 */
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

#endif /* DMWATCH_MAIL_H */
