// SPDX-License-Identifier: GPL-2.0
/* Terminal columns of text (width.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "lib/width.h"
#include "lib/escape.h"
#include "lib/util.h"

#define WIDTH_MIN 40
#define WIDTH_DEFAULT 80
#define WIDTH_MAX 1000

struct cp_range {
	uint32_t lo, hi;
};

/*
 * Unicode's East Asian Wide and Fullwidth blocks and the emoji terminals draw
 * two columns wide (EastAsianWidth.txt W and F, condensed to blocks). A table,
 * not wcwidth(): the answer must not depend on the locale dmwatch runs under
 * (systemd units and mail run it under C).
 */
static const struct cp_range wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
	{ 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 }, { 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 }, { 0x26ce, 0x26ce },
	{ 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea }, { 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 },
	{ 0x26fa, 0x26fa }, { 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e }, { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf },
	{ 0x2b1b, 0x2b1c }, { 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
	{ 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 },
	{ 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 },
	{ 0x17000, 0x18aff }, { 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf },
	{ 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a }, { 0x1f200, 0x1f202 }, { 0x1f210, 0x1f23b },
	{ 0x1f240, 0x1f248 }, { 0x1f250, 0x1f251 }, { 0x1f260, 0x1f265 }, { 0x1f300, 0x1f320 },
	{ 0x1f32d, 0x1f335 }, { 0x1f337, 0x1f37c }, { 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca },
	{ 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 }, { 0x1f3f8, 0x1f43e },
	{ 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc }, { 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e },
	{ 0x1f550, 0x1f567 }, { 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 },
	{ 0x1f5fb, 0x1f64f }, { 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc }, { 0x1f6d0, 0x1f6d2 },
	{ 0x1f6d5, 0x1f6d7 }, { 0x1f6dc, 0x1f6df }, { 0x1f6eb, 0x1f6ec }, { 0x1f6f4, 0x1f6fc },
	{ 0x1f7e0, 0x1f7eb }, { 0x1f7f0, 0x1f7f0 }, { 0x1f90c, 0x1f93a }, { 0x1f93c, 0x1f945 },
	{ 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

/* combining marks, zero-width spaces and joiners, variation selectors: no column */
static const struct cp_range zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
	{ 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
	{ 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
};

static bool in_ranges(const struct cp_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static uint32_t decode(const unsigned char *p, size_t len)
{
	uint32_t cp = len == 1 ? p[0] : len == 2 ? p[0] & 0x1f : len == 3 ? p[0] & 0x0f : p[0] & 0x07;

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

size_t term_char_cols(const char *s, size_t n, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t l = utf8_seq_len(p, n);
	uint32_t cp;

	*len = l ? l : 1;
	if (!l)
		return 4;			/* \xNN */
	if (p[0] == '\n' || p[0] == '\t')
		return 2;			/* \n \t */
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 4;
	cp = decode(p, l);
	if (cp >= 0x80 && cp < 0xa0)
		return 8;			/* a C1 control: \xc2\xNN */
	if (in_ranges(zero, ARRAY_SIZE(zero), cp))
		return 0;
	return in_ranges(wide, ARRAY_SIZE(wide), cp) ? 2 : 1;
}

size_t term_cols(const char *s)
{
	size_t n = strlen(s), c = 0;

	for (size_t i = 0, l; i < n; i += l)
		c += term_char_cols(s + i, n - i, &l);
	return c;
}

size_t term_cols_prefix(const char *s, size_t max, size_t *cols)
{
	size_t n = strlen(s), c = 0, i = 0;

	while (i < n) {
		size_t l, w = term_char_cols(s + i, n - i, &l);

		if (c + w > max)
			break;
		c += w;
		i += l;
	}
	/* combining marks after the last character belong to it */
	for (size_t l; i < n && !term_char_cols(s + i, n - i, &l);)
		i += l;
	if (cols)
		*cols = c;
	return i;
}

void term_put_fit(FILE *f, const char *s, size_t width, bool pad)
{
	size_t n = term_cols(s);

	if (n > width && width) {
		fwrite(s, 1, term_cols_prefix(s, width - 1, &n), f);
		fputc('~', f);
		n++;
	} else {
		fputs(s, f);
	}
	while (pad && n++ < width)
		fputc(' ', f);
}

void term_put_wrapped(FILE *f, const char *text, size_t width, size_t col, size_t hang)
{
	bool first = true;

	while (*text == ' ')
		text++;
	if (!*text) {
		fputc('\n', f);
		return;
	}
	do {
		size_t start = first ? col : hang;
		size_t room = width > start + 10 ? width - start : 10;
		size_t b = 0, last_blank = 0, n = 0;

		while (*text == ' ')
			text++;
		while (text[b]) {
			size_t l, w = term_char_cols(text + b, 4, &l);

			if (n + w > room)
				break;
			if (text[b] == ' ')
				last_blank = b;
			b += l;
			n += w;
		}
		if (text[b] && text[b] != ' ' && last_blank)
			b = last_blank;	/* a word longer than the line is cut where it must be */
		else if (!b && text[b])
			b = term_cols_prefix(text, room, NULL) ?: 1;
		while (b && text[b - 1] == ' ')
			b--;
		fprintf(f, "%*s%.*s\n", first ? 0 : (int)hang, "", (int)b, text);
		text += b;
		first = false;
		while (*text == ' ')
			text++;
	} while (*text);
}

unsigned term_width(FILE *f)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	long n;

	/* like ls(1): $COLUMNS first, then the terminal's own width */
	if (env && *env) {
		char *end;

		n = strtol(env, &end, 10);
		if (!*end && n > 0)
			return n < WIDTH_MIN ? WIDTH_MIN : n > WIDTH_MAX ? WIDTH_MAX : (unsigned)n;
	}
	if (isatty(fileno(f)) && !ioctl(fileno(f), TIOCGWINSZ, &ws) && ws.ws_col > WIDTH_DEFAULT)
		return ws.ws_col;
	return WIDTH_DEFAULT;
}
