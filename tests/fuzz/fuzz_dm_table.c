// SPDX-License-Identifier: GPL-2.0
/*
 * dm table params: table_lower_extents() (linear, striped), parse_thin_table() and
 * parse_snapshot_table(). Input: "<length>\n<params>" where <length> is the line's
 * length in sectors (decimal); without a newline the whole input is the params and
 * the length is 2 GiB in sectors. Every parser sees the params.
 */
#include <errno.h>
#include <inttypes.h>
#include "model/dmstatus.h"
#include "fuzz.h"

#define MAX_EXT 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_extents(const char *type, const char *params, uint64_t length, int max)
{
	/* exactly max slots, so filling one more is an overrun ASan reports */
	struct dm_extent *e = malloc((max ? max : 1) * sizeof(*e));
	uint64_t sum = 0;
	int n;

	n = table_lower_extents(type, params, length, max ? e : NULL, max);
	FUZZ_CHECK(n == -EINVAL || (n >= 0 && n <= max));
	for (int i = 0; i < n; i++) {
		/* classify adds offset + length: it must not wrap */
		FUZZ_CHECK(e[i].offset <= UINT64_MAX - e[i].length);
		FUZZ_CHECK(e[i].length <= length);
		sum += e[i].length;
		FUZZ_CHECK(sum <= length);
	}
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *params = s, *nl = strchr(s, '\n');
	uint64_t length = 4194304, id;
	uint32_t a, b, c, d;
	int r;

	if (nl) {
		*nl = 0;
		length = strtoull(s, NULL, 10);
		params = nl + 1;
	}

	check_extents("linear", params, length, MAX_EXT);
	check_extents("linear", params, length, 0);
	check_extents("striped", params, length, MAX_EXT);
	check_extents("striped", params, length, 1);
	/* other types have no extents, whatever their params */
	FUZZ_CHECK(table_lower_extents("thin", params, length, NULL, 0) == 0);

	r = parse_thin_table(params, &a, &b, &id);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	r = parse_thin_table(params, NULL, NULL, NULL);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	r = parse_snapshot_table(params, &a, &b, &c, &d);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	r = parse_snapshot_table(params, NULL, NULL, NULL, NULL);
	FUZZ_CHECK(r == 0 || r == -EINVAL);

	free(s);
	return 0;
}
