// SPDX-License-Identifier: GPL-2.0
/* One clock and one time formatter for the whole program (clock.h). */
#include <stdio.h>
#include "lib/clock.h"

uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double clock_seconds(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

char *format_time(char *buf, size_t len, time_t t, const char *fmt, bool utc)
{
	struct tm tm;

	if (!len)
		return buf;
	if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) || !strftime(buf, len, fmt, &tm))
		snprintf(buf, len, "?");
	return buf;
}
