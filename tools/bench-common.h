/* SPDX-License-Identifier: GPL-2.0 */
/* What the C bench tools share: the program's one clock in ms, a median, a random. */
#ifndef DMWATCH_BENCH_COMMON_H
#define DMWATCH_BENCH_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "lib/clock.h"

static inline double bench_ms(void)
{
	return clock_seconds(CLOCK_MONOTONIC) * 1e3;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the median of n samples (sorts them) */
static inline double bench_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

/* xorshift64: spread, repeatable, not unpredictable; *state must not be 0 */
static inline uint64_t bench_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif /* DMWATCH_BENCH_COMMON_H */
