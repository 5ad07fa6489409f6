/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small unit-test harness: each TEST() registers itself at load time, so a new
 * test file needs no list to edit. The runner (tests/unit/main.c) prints one line
 * per failure and "unit: N passed, N failed".
 */
#ifndef DMWATCH_TEST_H
#define DMWATCH_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	const char *file;
	void (*fn)(int *failed);
	struct test_case *next;
};

void test_register(struct test_case *tc);

struct state;
/* Load tests/fixtures/state/NAME; 0, or non-zero with the reason on stderr */
int fixture_state(struct state *st, const char *name);

#define TEST(name)							\
	static void test_##name(int *failed__);				\
	static struct test_case tc_##name = { #name, __FILE__, test_##name, NULL }; \
	__attribute__((constructor)) static void reg_##name(void)	\
	{ test_register(&tc_##name); }					\
	static void test_##name(int *failed__)

#define FAIL_AT(fmt, ...) do {						\
	fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
	*failed__ = 1;							\
} while (0)

#define CHECK(cond) do { if (!(cond)) FAIL_AT("CHECK(%s)", #cond); } while (0)
#define CHECK_INT(a, b) do {						\
	long long a__ = (long long)(a), b__ = (long long)(b);		\
	if (a__ != b__) FAIL_AT("%s == %lld, expected %lld", #a, a__, b__); \
} while (0)
#define CHECK_STR(a, b) do {						\
	const char *a__ = (a), *b__ = (b);				\
	if (!a__ || !b__ || strcmp(a__, b__))				\
		FAIL_AT("%s == \"%s\", expected \"%s\"", #a, a__ ? a__ : "(null)", b__ ? b__ : "(null)"); \
} while (0)
#define CHECK_NULL(a) do { if ((a) != NULL) FAIL_AT("%s is not NULL", #a); } while (0)
#define CHECK_DBL(a, b) do {						\
	double a__ = (a), b__ = (b);					\
	if (!(fabs(a__ - b__) < 1e-6)) FAIL_AT("%s == %g, expected %g", #a, a__, b__); \
} while (0)

#endif /* DMWATCH_TEST_H */
