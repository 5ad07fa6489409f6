/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Every parser under test takes a NUL-terminated string. The fuzzer's buffer is
 * not terminated, so each target copies it into a heap block of exactly size + 1
 * bytes: ASan then catches a parser reading even one byte past the terminator.
 */
#ifndef DMWATCH_FUZZ_H
#define DMWATCH_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A broken invariant is a finding like a crash: print what and where, then abort()
 * so libFuzzer saves the input and `make fuzz` fails.
 */
#define FUZZ_CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",		\
			__FILE__, __LINE__, #cond);				\
		abort();							\
	}									\
} while (0)

static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/*
 * Defaults for a target run by hand, without run.sh's environment: UBSan stops at
 * the first report (it would only print and go on otherwise), with a stack.
 * UBSAN_OPTIONS still overrides. Each target is one translation unit including
 * this header once, so the definition is not duplicated.
 */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* A string terminated within n bytes (fixed-size fields of decoded records). */
static inline int fuzz_terminated(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

#endif /* DMWATCH_FUZZ_H */
