// SPDX-License-Identifier: GPL-2.0
/*
 * trace-replay DIR: a recorder log's events printed as `dmwatch trace` prints
 * them live (trace/trace_text.c, the same code), at $COLUMNS or the terminal's
 * width. How check-admin-view sees trace's screen without a kernel that traces
 * device-mapper.
 */
#include <stdlib.h>
#include <string.h>
#include "record/recfmt.h"
#include "trace/trace_text.h"
#include "lib/util.h"
#include "lib/width.h"

static unsigned width;

static int print_rec(void *ctx, const struct rec *r)
{
	struct tracer_event ev = { .unix_ns = r->unix_ns };

	switch (r->kind) {
	case REC_KERNEL:
		ev.kind = TE_KERNEL;
		ev.raw = r->k.ev;
		ev.named = r->k.named;
		break;
	case REC_COW:
		ev.kind = TE_COW;
		ev.cow = &r->cow;
		break;
	case REC_STATE:
		ev.kind = TE_STATE;
		ev.event = r->st.event;
		ev.name = r->st.name;
		ev.dev = r->st.dev;
		ev.state = r->st.state;
		break;
	default:
		return 0;	/* sessions, device lists and lost counts: not trace lines */
	}
	trace_text_event(stdout, &ev, width);
	return 0;
}

static void warn(void *ctx, const char *msg)
{
	elog("%s", msg);
}

int main(int argc, char **argv)
{
	struct rec_reader rd = { .cb = print_rec, .warn = warn };
	char *err = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: trace-replay DIR\n");
		return 2;
	}
	width = term_width(stdout);
	trace_text_header(stdout, width);
	if (rec_read_dir(&rd, argv[1], &err) < 0) {
		elog("%s", err);
		free(err);
		return 3;
	}
	return 0;
}
