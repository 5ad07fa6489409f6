/* SPDX-License-Identifier: GPL-2.0 */
/* What the C bench tools share: the program's one clock in ms, and a median. */
#ifndef DMWATCH_BENCH_COMMON_H
#define DMWATCH_BENCH_COMMON_H

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

#endif /* DMWATCH_BENCH_COMMON_H */
