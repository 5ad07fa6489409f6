// SPDX-License-Identifier: GPL-2.0
/* Runs every registered unit test; `unit-tests PATTERN` runs those whose name contains it. */
#include <stdlib.h>
#include "model/state.h"
#include "test.h"
#include "lib/util.h"

static struct test_case *tests;

void test_register(struct test_case *tc)
{
	tc->next = tests;
	tests = tc;
}

int fixture_state(struct state *st, const char *name)
{
	char *path = xasprintf("%s/state/%s", FIXTURES, name), *err = NULL;
	int r = state_load_json(st, path, &err);

	if (r)
		fprintf(stderr, "  load %s: %s\n", path, err);
	free(err);
	free(path);
	return r;
}

int main(int argc, char **argv)
{
	const char *pattern = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;
	struct test_case *tc;

	for (tc = tests; tc; tc = tc->next) {
		int fail = 0;

		if (pattern && !strstr(tc->name, pattern))
			continue;
		tc->fn(&fail);
		if (fail) {
			fprintf(stderr, "FAIL %s (%s)\n", tc->name, tc->file);
			failed++;
		} else {
			passed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
