// SPDX-License-Identifier: GPL-2.0
/* Text made safe for a terminal, a pasted command and JSON (escape.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/escape.h"
#include "lib/util.h"

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond Unicode */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len(p + i, n - i);

		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* a C1 control (U+0080..U+009F) is encoded as C2 80..C2 9F: terminals act on those too */
static bool is_c1(const unsigned char *p, size_t l)
{
	return l == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/* valid UTF-8 without a byte a terminal acts on; backslash_ok: a backslash counts as clean */
static bool printable(const char *s, bool backslash_ok)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len(p + i, n - i);

		if (!l || p[i] < 0x20 || p[i] == 0x7f || (p[i] == '\\' && !backslash_ok) ||
		    is_c1(p + i, l))
			return false;
		i += l;
	}
	return true;
}

bool term_clean(const char *s)
{
	return printable(s, false);
}

bool term_visible(const char *s)
{
	return printable(s, true);
}

/* what escape_text() does beside showing control bytes and non-UTF-8 as \xNN */
enum {
	ESC_BACKSLASH = 1,	/* \ as \\, so an escape in the text cannot pass for one of ours */
	ESC_HTML = 2,		/* & < > " ' as character references */
};

static void html_char(FILE *f, unsigned char c)
{
	switch (c) {
	case '&': fputs("&amp;", f); break;
	case '<': fputs("&lt;", f); break;
	case '>': fputs("&gt;", f); break;
	case '"': fputs("&quot;", f); break;
	case '\'': fputs("&#39;", f); break;
	default: fputc(c, f);
	}
}

/* The one walker behind term_escape() and html_escape(): same rule, two destinations. */
static void escape_text(FILE *f, const char *s, unsigned int how)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len(p + i, n - i);

		if (p[i] == '\\' && (how & ESC_BACKSLASH)) {
			fputs("\\\\", f);
		} else if (p[i] == '\n') {
			fputs("\\n", f);
		} else if (p[i] == '\t') {
			fputs("\\t", f);
		} else if (!l || p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(f, "\\x%02x", p[i]);
			l = 1;
		} else if (is_c1(p + i, l)) {
			fprintf(f, "\\x%02x\\x%02x", p[i], p[i + 1]);
		} else if (l == 1 && (how & ESC_HTML)) {
			html_char(f, p[i]);
		} else {
			fwrite(p + i, 1, l, f);
		}
		i += l ? l : 1;
	}
}

void term_escape(FILE *f, const char *s)
{
	escape_text(f, s, ESC_BACKSLASH);
}

void html_escape(FILE *f, const char *s)
{
	if (s)
		escape_text(f, s, ESC_BACKSLASH | ESC_HTML);
}

void html_escape_command(FILE *f, const char *s)
{
	if (s)
		escape_text(f, s, ESC_HTML);
}

static char *capture(void (*fn)(FILE *, const char *), const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		oom();
	fn(f, s);
	if (fclose(f))
		oom();
	return out;
}

char *term_escaped(const char *s)
{
	return capture(term_escape, s ? s : "");
}

const char *term_shown(const char *s, char **keep)
{
	if (!s || term_clean(s))
		return s;
	free(*keep);
	*keep = term_escaped(s);
	return *keep;
}

static bool shell_plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_@%+=:,./-", *s))
			return false;
	}
	return true;
}

/* bash's $'...': every byte that is not printable ASCII as \xNN, ' and \ escaped */
static void shell_ansi_c(FILE *f, const char *s)
{
	fputs("$'", f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\'' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

static void shell_single(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

char *shell_quoted(const char *s)
{
	s = s ? s : "";
	if (shell_plain(s))
		return xstrdup(s);
	/* inside single quotes every byte is literal, but a terminal still acts on it */
	return capture(term_visible(s) ? shell_single : shell_ansi_c, s);
}

void json_escape(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len(p + i, n - i);

		if (!l) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		switch (p[i]) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f)
				fprintf(f, "\\u%04x", p[i]);
			else
				fwrite(p + i, 1, l, f);
		}
		i += l;
	}
}
