// SPDX-License-Identifier: GPL-2.0
/* yajl_gen with dmwatch's one rule for text (jsongen.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "model/jsongen.h"
#include "lib/escape.h"
#include "lib/util.h"

yajl_gen jg_new(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		oom();
	return g;
}

/* printable and valid UTF-8: yajl_gen_string writes it as json_escape would */
static bool plain(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l;

		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return false;
			i++;
			continue;
		}
		l = utf8_seq_len(s + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

void jg_text(yajl_gen g, const char *s)
{
	char *text = NULL;
	size_t n, len = 0;
	FILE *f;

	if (!s) {
		yajl_gen_null(g);
		return;
	}
	n = strlen(s);
	if (plain((const unsigned char *)s, n)) {
		yajl_gen_string(g, (const unsigned char *)s, n);
		return;
	}
	/*
	 * yajl would pass bytes that are not UTF-8 through: the text is escaped
	 * here and handed over verbatim. yajl_gen_number is yajl's way to write
	 * a value it did not format itself; the separators stay yajl's.
	 */
	f = open_memstream(&text, &len);
	if (!f)
		oom();
	fputc('"', f);
	json_escape(f, s, n);
	fputc('"', f);
	if (fclose(f))
		oom();
	yajl_gen_number(g, text, len);
	free(text);
}

void jg_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void jg_str(yajl_gen g, const char *key, const char *s)
{
	jg_key(g, key);
	jg_text(g, s);
}

bool jg_needs_hex(const char *s)
{
	return s && !utf8_valid(s, strlen(s));
}

char *jg_hex(const char *s)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = strlen(s);
	char *hex = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[(unsigned char)s[i] >> 4];
		hex[2 * i + 1] = digits[(unsigned char)s[i] & 15];
	}
	hex[2 * n] = 0;
	return hex;
}

void jg_exact(yajl_gen g, const char *key, const char *s)
{
	char *k, *hex;

	jg_str(g, key, s);
	if (!jg_needs_hex(s))
		return;
	k = xasprintf("%s" JG_HEX_SUFFIX, key);
	hex = jg_hex(s);
	jg_str(g, k, hex);
	free(hex);
	free(k);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *jg_hex_decode(const char *hex, size_t len, char **out)
{
	char *bytes;

	*out = NULL;
	if (len % 2)
		return "odd number of hex digits";
	bytes = xmalloc(len / 2 + 1);
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0) {
			free(bytes);
			return "not hex digits";
		}
		if (!(bytes[i / 2] = (char)(hi << 4 | lo))) {
			free(bytes);
			return "holds a NUL byte";
		}
	}
	bytes[len / 2] = 0;
	*out = bytes;
	return NULL;
}

/*
 * A whole number in decimal, written backwards from `end`: its first character.
 * Numbers are most of an io_error line, and an error storm's lines are written
 * as fast as the kernel makes them; printf's machinery (yajl_gen_integer uses
 * it) was a third of a line's cost.
 */
static char *decimal(char *end, uint64_t v, bool negative)
{
	char *p = end;

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	if (negative)
		*--p = '-';
	return p;
}

void jg_int(yajl_gen g, const char *key, long long v)
{
	char buf[24], *p;

	jg_key(g, key);
	/* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
	p = decimal(buf + sizeof(buf), v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
	yajl_gen_number(g, p, buf + sizeof(buf) - p);
}

void jg_u64_value(yajl_gen g, uint64_t v)
{
	char buf[24], *p = decimal(buf + sizeof(buf), v, false);

	yajl_gen_number(g, p, buf + sizeof(buf) - p);
}

void jg_u64(yajl_gen g, const char *key, uint64_t v)
{
	jg_key(g, key);
	jg_u64_value(g, v);
}

void jg_bool(yajl_gen g, const char *key, bool v)
{
	jg_key(g, key);
	yajl_gen_bool(g, v);
}

void jg_null(yajl_gen g, const char *key)
{
	jg_key(g, key);
	yajl_gen_null(g);
}

void jg_fixed2(yajl_gen g, const char *key, double v)
{
	char buf[32];

	jg_key(g, key);
	if (isnan(v) || isinf(v)) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_number(g, buf, snprintf(buf, sizeof(buf), "%.2f", v));
}

void jg_double_value(yajl_gen g, double v)
{
	char buf[40];
	int n;

	if (isnan(v) || isinf(v)) {	/* JSON has no word for them */
		yajl_gen_null(g);
		return;
	}
	n = snprintf(buf, sizeof(buf) - 2, "%.17g", v);
	/* still a float when read back by a typed reader */
	if (!strpbrk(buf, ".e"))
		n += snprintf(buf + n, 3, ".0");
	yajl_gen_number(g, buf, n);
}

void jg_flush(yajl_gen g, FILE *f)
{
	const unsigned char *buf;
	size_t len;

	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, f);
	yajl_gen_clear(g);
}

int jg_copy(yajl_gen g, char *buf, size_t len)
{
	const unsigned char *text;
	size_t n;

	yajl_gen_get_buf(g, &text, &n);
	if (len) {
		size_t c = n < len ? n : len - 1;

		memcpy(buf, text, c);
		buf[c] = 0;
	}
	return (int)n;
}
