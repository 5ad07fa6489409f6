// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/util.h"

int verbose;

void oom(void)
{
	elog("out of memory");
	exit(EXIT_UNUSABLE);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		oom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

void *array_push(void *arr_ptr, size_t *n, size_t elsz)
{
	void **arr = arr_ptr;
	char *slot;

	/* capacity is the next power of two >= n: grow when n is one */
	if ((*n & (*n - 1)) == 0)
		*arr = xrealloc(*arr, (*n ? *n * 2 : 1) * elsz);
	slot = (char *)*arr + *n * elsz;
	memset(slot, 0, elsz);
	(*n)++;
	return slot;
}


char *strtrim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	return s;
}

bool str_empty(const char *s)
{
	return !s || !*s;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool parse_digits_u64(const char *p, size_t len, uint64_t *out)
{
	char buf[24];
	char *end;
	size_t i;

	/* UINT64_MAX has 20 digits: a longer token cannot fit, and must not overrun buf */
	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	memcpy(buf, p, len);
	buf[len] = 0;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return errno == 0 && *end == 0;
}
