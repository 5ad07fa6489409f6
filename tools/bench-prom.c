// SPDX-License-Identifier: GPL-2.0
/*
 * bench-prom STATE [RUNS]: the cost of the monitoring outputs of one scan of a
 * saved state — Prometheus text (scan --prom, serve) and the Nagios line — apart
 * from loading and classifying it, median of RUNS (default 5). The state is
 * loaded and classified once. tools/bench.sh prom prints it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "analyze/classify.h"
#include "bench-common.h"
#include "model/state.h"
#include "render/prom.h"

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double prom[64], brief[64], t;
	struct classify_opts o;
	struct state st;
	struct report r;
	char *err = NULL;
	FILE *null;

	if (argc < 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: bench-prom STATE [RUNS]\n");
		return 3;
	}
	if (state_load_json(&st, argv[1], &err)) {
		fprintf(stderr, "bench-prom: %s\n", err);
		return 3;
	}
	null = fopen("/dev/null", "w");
	classify_opts_default(&o);
	classify(&st, &o, &r);
	for (int i = 0; i < runs; i++) {
		t = bench_ms();
		output_prom(null, &r, 0);
		prom[i] = bench_ms() - t;
		t = bench_ms();
		free(report_brief(&r));
		brief[i] = bench_ms() - t;
	}
	printf("%zu devices: prom output %.1f ms, brief line %.1f ms\n", st.n_devs,
	       bench_median(prom, runs), bench_median(brief, runs));
	fclose(null);
	report_free(&r);
	state_free(&st);
	return 0;
}
