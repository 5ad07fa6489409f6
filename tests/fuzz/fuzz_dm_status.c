// SPDX-License-Identifier: GPL-2.0
/*
 * dm status params (what follows "<start> <len> <type> "): the input goes to every
 * status parser, since a state file may put any text under any target type.
 * Checks dmstatus.h's promises: 0 or -EINVAL, and results that make sense.
 */
#include <errno.h>
#include "model/dmstatus.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ret(int r)
{
	FUZZ_CHECK(r == 0 || r == -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct snapshot_status *ss = malloc(sizeof(*ss));
	struct thin_pool_status *tp = malloc(sizeof(*tp));
	struct thin_status *ts = malloc(sizeof(*ts));
	struct multipath_status *mp = malloc(sizeof(*mp));
	int r;

	r = parse_snapshot_status(s, ss);
	check_ret(r);
	if (!r) {
		FUZZ_CHECK(ss->state <= SNAP_UNKNOWN);
		FUZZ_CHECK(snapshot_state_str(ss->state) != NULL);
	}

	r = parse_thin_pool_status(s, tp);
	check_ret(r);
	if (!r) {
		FUZZ_CHECK(tp->mode <= POOL_ERROR);
		FUZZ_CHECK(pool_mode_str(tp->mode) != NULL);
	}

	r = parse_thin_status(s, ts);
	check_ret(r);
	if (!r && ts->fail)
		FUZZ_CHECK(ts->mapped_sectors == 0);

	r = parse_multipath_status(s, mp);
	check_ret(r);
	/* the failed path list is a string inside its buffer, whatever the input */
	FUZZ_CHECK(fuzz_terminated(mp->failed_paths, sizeof(mp->failed_paths)));
	if (!r) {
		FUZZ_CHECK(mp->n_paths >= 0 && mp->n_failed >= 0);
		FUZZ_CHECK(mp->n_failed <= mp->n_paths);
		FUZZ_CHECK(!mp->n_failed == !mp->failed_paths[0]);
	}

	free(mp);
	free(ts);
	free(tp);
	free(ss);
	free(s);
	return 0;
}
