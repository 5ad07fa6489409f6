/* SPDX-License-Identifier: GPL-2.0 */
/* One clock and one time formatter for the whole program. */
#ifndef DMWATCH_CLOCK_H
#define DMWATCH_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* clock_gettime(c) in nanoseconds */
uint64_t clock_ns(clockid_t c);

/* clock_gettime(c) in seconds, for durations */
double clock_seconds(clockid_t c);

/*
 * strftime(fmt) of t, in UTC or local time. Returns buf; on a time the C
 * library cannot break down (far past or future) buf holds "?".
 */
char *format_time(char *buf, size_t len, time_t t, const char *fmt, bool utc);

#endif /* DMWATCH_CLOCK_H */
