// SPDX-License-Identifier: GPL-2.0
/* The terminal table (render/table.c): sizes, width, order, --all (issue 14). */
#include <stdlib.h>
#include <string.h>
#include "analyze/classify.h"
#include "render/output.h"
#include "model/state.h"
#include "test.h"
#include "lib/util.h"
#include "lib/width.h"

/* noinline: GCC takes open_memstream's buffer for a dangling local otherwise */
__attribute__((noinline)) static char *render(const struct report *r, unsigned width, bool all)
{
	struct table_opts o = { .width = width, .all = all };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	output_table_with(f, r, &o);
	fclose(f);
	return out;
}

/* the widest line in columns (one per UTF-8 character), and no trailing blank */
static size_t widest(int *failed__, const char *text)
{
	size_t max = 0;

	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		size_t cols = 0;

		for (const char *p = line; p < end; p++)
			cols += ((unsigned char)*p & 0xc0) != 0x80;
		if (end > line && end[-1] == ' ')
			FAIL_AT("trailing blank: \"%.*s\"", (int)(end - line), line);
		max = cols > max ? cols : max;
		line = *end ? end + 1 : end;
	}
	return max;
}

TEST(table_human_sizes)
{
	char buf[24];

	CHECK_STR(human_size(buf, sizeof(buf), 0), "0 B");
	CHECK_STR(human_size(buf, sizeof(buf), 1023), "1023 B");
	CHECK_STR(human_size(buf, sizeof(buf), 1024), "1.0 KiB");
	CHECK_STR(human_size(buf, sizeof(buf), 3ull << 29), "1.5 GiB");
	CHECK_STR(human_size(buf, sizeof(buf), 1ull << 40), "1.0 TiB");
	CHECK_STR(human_size(buf, sizeof(buf), 2000ull << 40), "2000 TiB");
}

TEST(term_width_from_columns)
{
	char *old = getenv("COLUMNS") ? xstrdup(getenv("COLUMNS")) : NULL;
	FILE *f = fopen("/dev/null", "w");

	setenv("COLUMNS", "132", 1);
	CHECK_INT(term_width(f), 132);
	setenv("COLUMNS", "10", 1);
	CHECK_INT(term_width(f), 40);		/* too narrow to be meant */
	setenv("COLUMNS", "wide", 1);
	CHECK_INT(term_width(f), 80);		/* not a tty: 80 */
	unsetenv("COLUMNS");
	CHECK_INT(term_width(f), 80);
	if (old)
		setenv("COLUMNS", old, 1);
	free(old);
	fclose(f);
}

TEST(table_order_sizes_and_all)
{
	struct classify_opts o;
	struct state st;
	struct report r;
	char *out, *all;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	out = render(&r, 80, false);
	all = render(&r, 80, true);
	CHECK(widest(failed__, out) <= 80);
	CHECK(widest(failed__, all) <= 80);
	/* problems first: CRITICAL before WARNINGS before GUESTS; no clean guest by default */
	CHECK(strstr(out, "\nCRITICAL\n") && strstr(out, "\nWARNINGS\n") &&
	      strstr(out, "\nCRITICAL\n") < strstr(out, "\nWARNINGS\n") &&
	      strstr(out, "\nWARNINGS\n") < strstr(out, "\nGUESTS\n"));
	CHECK(!strstr(out, " clean\n"));
	CHECK(strstr(out, "--all lists them"));
	CHECK(strstr(all, " clean\n") > strstr(all, "\nWARNINGS\n"));
	CHECK(strstr(all, "DEVICES WITHOUT FINDINGS"));
	CHECK(!strstr(all, "--all lists them"));
	/* the pool's data size from its table (blocks x block size), as the kernel sees it */
	CHECK(strstr(out, "thin-pool   62.5 MiB    9.4 MiB"));
	/* the command alone on its fix: line */
	CHECK(strstr(out, "      fix: dmsetup remove pve-vm--101--disk--0-dup\n"));
	free(out);
	free(all);
	report_free(&r);
	state_free(&st);
}

TEST(table_long_names_cut_visibly)
{
	struct classify_opts o;
	struct state st;
	struct report r;
	char *out, *wide;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	for (size_t i = 0; i < st.n_devs; i++) {
		if (strcmp(st.devs[i].name, "pve-vm--104--disk--0"))
			continue;
		free(st.devs[i].name);
		st.devs[i].name = xstrdup("pve-vm--104--disk--0-with-a-name-far-too-long-for-"
					  "eighty-columns-\xc3\xa4\xc3\xb6\xc3\xbc-and-more-of-it");
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	out = render(&r, 80, true);
	wide = render(&r, 200, true);
	CHECK(widest(failed__, out) <= 80);
	CHECK(strstr(out, "~ (dm-10) tombstone/no-guest\n"));	/* cut, and says so */
	CHECK(strstr(wide, "-and-more-of-it (dm-10)"));		/* room: whole */
	CHECK(widest(failed__, wide) <= 200);
	free(out);
	free(wide);
	report_free(&r);
	state_free(&st);
}
