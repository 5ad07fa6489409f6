/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The option parsers every command shares: a number with its unit and its
 * bounds, the whole argument or nothing (no trailing junk, no sign tricks).
 * Each returns 0 and sets *out, or -EINVAL; the caller names the option in
 * its argp_error().
 */
#ifndef DMWATCH_OPTS_H
#define DMWATCH_OPTS_H

#include <stdbool.h>
#include <stdint.h>

/* seconds (a decimal, "1.5"), min <= v <= max; min_open: v must be > min */
int opt_seconds(const char *arg, double min, bool min_open, double max, double *out);

/* a percentage in (0, 100] */
int opt_percent(const char *arg, double *out);

/* a whole number in [min, max] */
int opt_long(const char *arg, long min, long max, long *out);

/* a size: digits with an optional K/M/G/T (binary), "i" and "B" allowed: 64M, 1GiB */
int opt_size(const char *arg, uint64_t *out);

#endif /* DMWATCH_OPTS_H */
