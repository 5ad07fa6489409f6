// SPDX-License-Identifier: GPL-2.0
/* How fast a snapshot's COW or a thin pool fills, and when it will be full (events.h). */
#include "trace/events.h"

double fill_rate_update(struct fill_rate *fr, uint64_t now_ns, uint64_t used, uint64_t total)
{
	double dt, inst;

	if (fr->have_sample && now_ns > fr->last_ns) {
		dt = (now_ns - fr->last_ns) / 1e9;
		inst = used >= fr->last_used ? (used - fr->last_used) / dt : 0;
		/* smooth out the burstiness of COW allocation (whole chunks at a time) */
		fr->rate = fr->have_rate ? 0.5 * fr->rate + 0.5 * inst : inst;
		fr->have_rate = true;
	}
	fr->last_ns = now_ns;
	fr->last_used = used;
	fr->have_sample = true;
	if (!fr->have_rate || fr->rate <= 0 || used >= total)
		return used >= total ? 0 : -1;
	return (total - used) / fr->rate;
}
