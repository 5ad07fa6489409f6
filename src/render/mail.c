// SPDX-License-Identifier: GPL-2.0
/*
 * scan --mail-to: the report as a multipart/alternative mail (the terminal
 * table as text/plain, the HTML page as text/html, both quoted-printable)
 * piped into the local sendmail. Header values come from the node or from a
 * saved state someone sent us: each is one line whatever it holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>
#include "render/mail.h"
#include "render/output.h"
#include "lib/clock.h"
#include "lib/escape.h"
#include "lib/util.h"

bool mail_address_ok(const char *addr)
{
	if (str_empty(addr))
		return false;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

const char *mail_sendmail_path(const char *override)
{
	const char *e = getenv("SENDMAIL");

	if (!str_empty(override))
		return override;
	return !str_empty(e) ? e : "/usr/sbin/sendmail";
}

char *mail_subject(const struct report *r)
{
	/* one line whoever prints it: a host name from a saved state may hold "\r\nBcc:" */
	char *host = term_escaped(r->st->host ? r->st->host : "?"), *s;

	if (!r->criticals && !r->warnings)
		s = xasprintf("[dmwatch] %s: grade %s, no problems", host, r->grade);
	else
		s = xasprintf("[dmwatch] %s: grade %s, %zu critical, %zu warning%s", host, r->grade,
			      r->criticals, r->warnings, r->warnings == 1 ? "" : "s");
	free(host);
	return s;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(FILE *f, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned int v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) |
				 (i + 2 < n ? s[i + 2] : 0);

		fputc(b64[v >> 18 & 63], f);
		fputc(b64[v >> 12 & 63], f);
		fputc(i + 1 < n ? b64[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? b64[v & 63] : '=', f);
	}
}

/*
 * A header value: as is when it is printable ASCII, else RFC 2047 encoded words.
 * A value with control bytes (a host name from a hostile saved state with
 * "\nBcc: ...") or invalid UTF-8 is shown term_escape()d, so nothing can start
 * a header of its own and nothing is dropped unseen.
 */
static void header_value(FILE *f, const char *name, const char *v)
{
	char *clean = term_visible(v) ? xstrdup(v) : term_escaped(v);
	const unsigned char *p = (const unsigned char *)clean;
	size_t n = strlen(clean), start;
	bool plain = n < 900;

	for (; *p && plain; p++)
		plain = *p >= 0x20 && *p <= 0x7e;
	if (plain) {
		fprintf(f, "%s: %s\n", name, clean);
		free(clean);
		return;
	}
	fprintf(f, "%s:", name);
	/* encoded words of at most 45 bytes (60 base64 chars), split between characters */
	for (start = 0; start < n;) {
		size_t end = start;

		while (end < n) {
			size_t l = utf8_seq_len((const unsigned char *)clean + end, n - end);

			if (end + l - start > 45)
				break;
			end += l;
		}
		fputs(start ? "\n " : " ", f);
		fputs("=?UTF-8?B?", f);
		base64(f, (const unsigned char *)clean + start, end - start);
		fputs("?=", f);
		start = end;
	}
	fputc('\n', f);
	free(clean);
}

void qp_encode(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		bool eol = i + 1 == len || s[i + 1] == '\n';
		bool lit;
		int need;

		if (c == '\n') {
			fputc('\n', f);
			col = 0;
			continue;
		}
		/* literal: printable ASCII but '='; space and tab unless at the end of a line;
		 * not a leading '.' (SMTP) or 'F' of "From " (mbox), which some MTAs mangle */
		lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
		if (col == 0 && (c == '.' || (c == 'F' && !strncmp(s + i, "From ", 5))))
			lit = false;
		need = lit ? 1 : 3;
		/* a soft break "=" must fit in 76 columns; the last char of a line may use 76 */
		if (col + need > (eol ? 76 : 75)) {
			fputs("=\n", f);
			col = 0;
		}
		if (lit) {
			fputc(c, f);
		} else {
			fputc('=', f);
			fputc(hex[c >> 4], f);
			fputc(hex[c & 15], f);
		}
		col += need;
	}
}

static void qp_part(FILE *f, const char *boundary, const char *type, const char *body,
		    size_t len)
{
	fprintf(f, "--%s\nContent-Type: %s; charset=utf-8\n"
		"Content-Transfer-Encoding: quoted-printable\n\n", boundary, type);
	qp_encode(f, body, len);
	if (!len || body[len - 1] != '\n')
		fputc('\n', f);
}

static char *host_for_id(const char *host)
{
	char *h = xstrdup(str_empty(host) ? "localhost" : host);

	for (char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			*p = '_';
	return h;
}

/* "scan failed": what went wrong, escaped like everything a person reads */
static void failure_body(FILE *f, const char *host, const char *failure)
{
	char *h = term_escaped(host), *why = term_escaped(failure ? failure : "unknown error");
	char *body = xasprintf("dmwatch could not scan %s:\n\n%s\n\nExit code 3 (could not "
			       "run). Run `dmwatch scan` on the node for details.\n", h, why);

	fputs("Content-Type: text/plain; charset=utf-8\n"
	      "Content-Transfer-Encoding: quoted-printable\n\n", f);
	qp_encode(f, body, strlen(body));
	free(body);
	free(why);
	free(h);
}

/* output() rendered into memory; "" when memory ran out (caller frees) */
static char *rendered(void (*output)(FILE *, const struct report *, const void *),
		      const struct report *r, const void *opts, size_t *len)
{
	char *text = NULL;
	FILE *m = open_memstream(&text, len);

	if (!m)
		oom();
	output(m, r, opts);
	if (fclose(m))
		oom();
	return text;
}

static void table_of(FILE *f, const struct report *r, const void *opts)
{
	output_table(f, r);
}

static void html_of(FILE *f, const struct report *r, const void *opts)
{
	output_html(f, r, opts);
}

/* the report twice; the last alternative is the preferred one */
static void report_body(FILE *f, const struct report *r, const char *boundary,
			const struct html_opts *ho)
{
	size_t text_len, html_len;
	char *text = rendered(table_of, r, NULL, &text_len);
	char *html = rendered(html_of, r, ho, &html_len);

	fprintf(f, "X-dmwatch-Grade: %s\nX-dmwatch-Exit: %d\n", r->grade, r->exit_code);
	fprintf(f, "Content-Type: multipart/alternative; boundary=\"%s\"\n\n"
		"This is a MIME message: the dmwatch report as text and as HTML.\n\n", boundary);
	qp_part(f, boundary, "text/plain", text, text_len);
	qp_part(f, boundary, "text/html", html, html_len);
	fprintf(f, "--%s--\n", boundary);
	free(text);
	free(html);
}

void mail_compose(FILE *f, const struct report *r, const char *host, const char *failure,
		  const struct mail_opts *o)
{
	char boundary[64], date[64], *subject, *hid;
	uint64_t rnd = 0;
	time_t now = o->date ? o->date : time(NULL);

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint64_t)now * 2654435761u ^ (uint64_t)getpid();
	/* "=_" never occurs in quoted-printable text, so the boundary cannot either */
	if (o->boundary)
		snprintf(boundary, sizeof(boundary), "%s", o->boundary);
	else
		snprintf(boundary, sizeof(boundary), "=_dmwatch_%016llx", (unsigned long long)rnd);
	/* RFC 5322 wants English day and month names: dmwatch never sets a locale */
	format_time(date, sizeof(date), now, "%a, %d %b %Y %H:%M:%S +0000", true);
	if (!host)
		host = r && r->st->host ? r->st->host : "?";
	hid = host_for_id(host);

	header_value(f, "To", o->to);
	if (o->from)
		header_value(f, "From", o->from);
	if (r) {
		subject = mail_subject(r);
	} else {
		char *h = term_escaped(host);

		subject = xasprintf("[dmwatch] %s: scan failed", h);
		free(h);
	}
	header_value(f, "Subject", subject);
	free(subject);
	fprintf(f, "Date: %s\n", date);
	fprintf(f, "Message-ID: <dmwatch.%lld.%d.%llx@%s>\n", (long long)now, (int)getpid(),
		(unsigned long long)rnd, hid);
	fputs("MIME-Version: 1.0\nAuto-Submitted: auto-generated\n", f);
	if (r)
		report_body(f, r, boundary, o->html);
	else
		failure_body(f, host, failure);
	free(hid);
}

int mail_send(const char *sendmail, const char *msg, size_t len, char **err)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int in[2] = { -1, -1 }, ep[2] = { -1, -1 }, status, child_errno = 0;
	size_t off = 0;
	ssize_t n;
	pid_t pid;

	*err = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		*err = xasprintf("pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		*err = xasprintf("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		int e;

		/* sendmail's own chatter goes to our stderr, not into the report on stdout */
		if (dup2(in[0], 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		execl(sendmail, "sendmail", "-t", "-oi", (char *)NULL);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(in[0]);
	close(ep[1]);
	in[0] = ep[1] = -1;
	/* a sendmail that exits early must not kill us with SIGPIPE */
	sigaction(SIGPIPE, &ign, &old);
	while (off < len) {
		n = write(in[1], msg + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	close(in[1]);
	in[1] = -1;
	sigaction(SIGPIPE, &old, NULL);
	n = read(ep[0], &child_errno, sizeof(child_errno));
	close(ep[0]);
	ep[0] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == sizeof(child_errno)) {
		*err = xasprintf("cannot run %s: %s", sendmail, strerror(child_errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		*err = WIFEXITED(status) ?
			xasprintf("%s exited with status %d", sendmail, WEXITSTATUS(status)) :
			xasprintf("%s killed by signal %d", sendmail, WTERMSIG(status));
		return -1;
	}
	if (off < len) {
		*err = xasprintf("%s did not read the whole message", sendmail);
		return -1;
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return -1;
}
