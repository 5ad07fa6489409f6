// SPDX-License-Identifier: GPL-2.0
/*
 * `explain`: kernel log text with every dm-N annotated with the device it was at
 * that line's time ("dev dm-54 [backup-snap--102--0]"); "probably" marks a guess
 * within the log's clock precision, lines without a time get the latest name.
 * The log's own text is foreign too: it goes out escaped like the names.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "postmortem/internal.h"
#include "lib/escape.h"
#include "lib/util.h"

static void annotate(FILE *b, const struct history *h, uint32_t minor, bool timed,
		     int64_t t, int64_t res)
{
	struct pm_lookup lu;

	history_lookup(h, minor, true, timed ? t : -1, res, &lu);
	fputs(" [", b);
	if (!lu.span) {
		fputs(timed ? "unknown at this time" : "unknown", b);
	} else if (lu.how == PM_LATEST) {
		fputs(lu.span->name, b);
		fputs(" (time unknown)", b);
	} else {
		if (lu.how == PM_NEAR)
			fputs("probably ", b);
		fputs(lu.span->name, b);
		if (lu.other && strcmp(lu.other->name, lu.span->name)) {
			fputs(" or ", b);
			fputs(lu.other->name, b);
		}
	}
	fputs("]", b);
}

/* the number of "dm-N" from its n (at most 7) digits: the line need not end after them */
static uint32_t minor_at(const char *digits, size_t n)
{
	uint32_t minor = 0;

	for (size_t k = 0; k < n; k++)
		minor = minor * 10 + (uint32_t)(digits[k] - '0');
	return minor;
}

/* annotate one line; *len gets the length (a line may hold NULs), *dms the dm-N seen */
static char *explain_line(const struct history *h, const char *line, size_t *len,
			  const struct pm_log_ctx *ctx, bool *timed_out, size_t *dms)
{
	struct pm_text text;
	FILE *b = pm_text_open(&text);
	int64_t t = 0, res = 0;
	bool timed = false, tried = false;
	size_t i = 0, from = 0, n = *len;

	*dms = 0;
	while (i + 3 < n) {
		size_t j;

		if (memcmp(line + i, "dm-", 3) || !isdigit((unsigned char)line[i + 3]) ||
		    (i && (isalnum((unsigned char)line[i - 1]) || line[i - 1] == '_' ||
			   line[i - 1] == '-'))) {
			i++;
			continue;
		}
		for (j = i + 3; j < n && isdigit((unsigned char)line[j]); j++)
			;
		if ((j < n && (isalpha((unsigned char)line[j]) || line[j] == '_')) || j - i > 10) {
			i = j;
			continue;
		}
		if (!tried) {
			/* the time parser wants a C string: a NUL inside just ends it early */
			char *copy = xstrndup(line, n);

			timed = pm_log_time(copy, ctx, &t, &res);
			free(copy);
			tried = true;
		}
		fwrite(line + from, 1, j - from, b);
		annotate(b, h, minor_at(line + i + 3, j - i - 3), timed, t, res);
		(*dms)++;
		from = i = j;
	}
	fwrite(line + from, 1, n - from, b);
	pm_text_close(&text);
	*len = text.len;
	*timed_out = timed;
	return text.s;
}

char *pm_explain_line(const struct history *h, const char *line, size_t len,
		      const struct pm_log_ctx *ctx)
{
	size_t dms;
	bool timed;

	return explain_line(h, line, &len, ctx, &timed, &dms);
}

/*
 * The annotated line for a terminal: escaped (a NUL too: the text may hold
 * them), its own end of line kept as one.
 */
static void put_line(FILE *out, const char *s, size_t len)
{
	bool eol = len && s[len - 1] == '\n';
	const char *end = s + len - eol;

	while (s < end) {
		const char *nul = memchr(s, 0, end - s);
		char *piece = xstrndup(s, nul ? (size_t)(nul - s) : (size_t)(end - s));

		term_escape(out, piece);
		free(piece);
		if (!nul)
			break;
		fputs("\\x00", out);
		s = nul + 1;
	}
	if (eol)
		fputc('\n', out);
}

/* the running kernel's boot: raw dmesg times of this boot can be placed */
static void read_boot_id(char *buf, size_t size)
{
	char *text = NULL;
	size_t len;

	buf[0] = 0;
	if (read_file("/proc/sys/kernel/random/boot_id", &text, &len, 64))
		return;
	snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
}

int pm_explain(FILE *out, FILE *in, const struct pm_opts *o)
{
	struct pm_read pr = { .o = o };
	struct pm_log_ctx ctx;
	char *line = NULL, boot_id[64];
	size_t cap = 0;
	ssize_t n;
	uint64_t untimed = 0;
	int ret = pm_load(&pr);

	if (ret >= 0)
		goto out;
	read_boot_id(boot_id, sizeof(boot_id));
	history_log_ctx(pr.h, boot_id, &ctx);
	while ((n = getline(&line, &cap, in)) > 0) {
		size_t len = n, dms;
		bool timed;
		char *a = explain_line(pr.h, line, &len, &ctx, &timed, &dms);

		put_line(out, a, len);
		if (dms && !timed)
			untimed++;
		free(a);
	}
	if (ferror(in)) {
		pm_error(o, "cannot read the kernel log text: %s", strerror(errno));
		ret = EXIT_UNUSABLE;
		goto out;
	}
	if (untimed)
		pm_error(o, "note: %llu line%s without a time dmwatch understands; named with the "
			 "latest device (time unknown)", (unsigned long long)untimed,
			 untimed == 1 ? "" : "s");
	ret = EXIT_OK;
out:
	free(line);
	history_free(pr.h);
	return ret;
}
