// SPDX-License-Identifier: GPL-2.0
/* The option parsers every command shares (opts.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include "lib/opts.h"

/* strtod that must consume the whole, non-empty argument and not overflow */
static int whole_double(const char *arg, double *out)
{
	char *end;

	if (!arg || !*arg || isspace((unsigned char)*arg))
		return -EINVAL;
	errno = 0;
	*out = strtod(arg, &end);
	if (errno || end == arg || *end || *out != *out)
		return -EINVAL;
	return 0;
}

int opt_seconds(const char *arg, double min, bool min_open, double max, double *out)
{
	double v;

	if (whole_double(arg, &v) || v < min || (min_open && v == min) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int opt_percent(const char *arg, double *out)
{
	return opt_seconds(arg, 0, true, 100, out);
}

int opt_long(const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	if (!arg || !(isdigit((unsigned char)*arg) || (*arg == '-' && isdigit((unsigned char)arg[1]))))
		return -EINVAL;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int opt_size(const char *arg, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!arg || !isdigit((unsigned char)*arg))
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}
