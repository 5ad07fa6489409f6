/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every module uses: allocation that cannot fail silently, file reading, logging. */
#ifndef DMWATCH_UTIL_H
#define DMWATCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/fileio.h"

extern int verbose;

#define elog(fmt, ...) fprintf(stderr, "dmwatch: " fmt "\n", ##__VA_ARGS__)
#define vlog(fmt, ...) do { if (verbose) fprintf(stderr, "dmwatch: " fmt "\n", ##__VA_ARGS__); } while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes, monitoring-plugin convention */
enum {
	EXIT_OK = 0,
	EXIT_WARNING = 1,
	EXIT_CRITICAL = 2,
	EXIT_UNUSABLE = 3,	/* could not run: bad input, no permission, missing kernel support */
};

/* "out of memory" and exit 3: what the x* allocators do when malloc fails */
void oom(void) __attribute__((noreturn));
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);		/* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (element size elsz) so index *n fits; returns a pointer to the new zeroed slot. */
void *array_push(void *arr_ptr, size_t *n, size_t elsz);

/*
 * qsort() that accepts an empty (NULL) array (qsort(NULL, 0, ...) is undefined)
 * and returns after one pass when the items are in order already, as a saved
 * state's are: glibc's merge sort would still compare n log n times.
 */
static inline void sort_items(void *base, size_t n, size_t size,
			      int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < n; i++) {
		if (cmp((char *)base + (i - 1) * size, (char *)base + i * size) > 0) {
			qsort(base, n, size, cmp);
			return;
		}
	}
}


/* Whitespace trimming in place; returns s advanced past leading space. */
char *strtrim(char *s);

bool str_empty(const char *s);
bool str_has_prefix(const char *s, const char *prefix);

/*
 * The len bytes at p as a decimal number, digits only: no blanks, sign or "0x",
 * which strtoull alone would take ("-1" wraps to 2^64-1) and the kernel never
 * prints. false when empty, not all digits, or above UINT64_MAX.
 */
bool parse_digits_u64(const char *p, size_t len, uint64_t *out);

#endif /* DMWATCH_UTIL_H */
