// SPDX-License-Identifier: GPL-2.0
/*
 * bench-scan STATE [RUNS]: where a scan of a saved state spends its time — loading
 * the JSON, classifying, rendering the JSON report — median of RUNS (default 5).
 * tools/bench.sh scan prints these next to the end-to-end figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "analyze/classify.h"
#include "bench-common.h"
#include "render/output.h"
#include "model/state.h"

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double load[64], cls[64], out[64], t;
	struct classify_opts o;
	FILE *null;

	if (argc < 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: bench-scan STATE [RUNS]\n");
		return 3;
	}
	null = fopen("/dev/null", "w");
	classify_opts_default(&o);
	for (int i = 0; i < runs; i++) {
		struct state st;
		struct report r;
		char *err = NULL;

		t = bench_ms();
		if (state_load_json(&st, argv[1], &err)) {
			fprintf(stderr, "bench-scan: %s\n", err);
			return 3;
		}
		load[i] = bench_ms() - t;
		t = bench_ms();
		classify(&st, &o, &r);
		cls[i] = bench_ms() - t;
		t = bench_ms();
		output_json(null, &r);
		out[i] = bench_ms() - t;
		report_free(&r);
		state_free(&st);
	}
	printf("load %.1f ms, classify %.1f ms, json output %.1f ms\n", bench_median(load, runs),
	       bench_median(cls, runs), bench_median(out, runs));
	fclose(null);
	return 0;
}
