// SPDX-License-Identifier: GPL-2.0
/* How fast a snapshot's COW or a thin pool fills, and when it will be full (events.h). */
#include <math.h>

#include "trace/events.h"

/*
 * The smoothed rate forgets half of what it knew per FILL_RATE_HALF_LIFE_S of
 * time, however many samples came in between: a sample taken 30 ms after the
 * last one (a dm event elsewhere makes the tracer sample everything at once)
 * weighs 30 ms, not as much as a whole interval. Weighting per sample let such a
 * sample, which usually sees no new chunk, halve the rate and double the ETA.
 * Two seconds: a 1 s sample of whole chunks (4 or 5 of them at a steady rate)
 * is 25 % off on its own; averaged over ~3 s the ETA stays within 10 % of the
 * truth (tools/bench.sh warn), and a fill worth warning about lasts far longer.
 */
#define FILL_RATE_HALF_LIFE_S 2.0

double fill_rate_update(struct fill_rate *fr, uint64_t now_ns, uint64_t used, uint64_t total)
{
	double dt, inst, weight;

	if (fr->have_sample && now_ns > fr->last_ns) {
		dt = (now_ns - fr->last_ns) / 1e9;
		inst = used >= fr->last_used ? (used - fr->last_used) / dt : 0;
		/* smooth out the burstiness of COW allocation (whole chunks at a time) */
		weight = fr->have_rate ? 1 - exp2(-dt / FILL_RATE_HALF_LIFE_S) : 1;
		fr->rate += weight * (inst - fr->rate);
		fr->have_rate = true;
	}
	fr->last_ns = now_ns;
	fr->last_used = used;
	fr->have_sample = true;
	if (!fr->have_rate || fr->rate <= 0 || used >= total)
		return used >= total ? 0 : -1;
	return (total - used) / fr->rate;
}
