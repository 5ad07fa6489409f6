// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch trace: the live view of tracer.c's events, as bcc-style columns or as
 * JSON lines (docs/events.md), with a summary on exit.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/commands.h"
#include "trace/tracer.h"
#include "trace/trace_text.h"
#include "lib/util.h"
#include "lib/opts.h"
#include "lib/clock.h"
#include "lib/width.h"

#define MAX_DEV_FILTERS 16

static struct trace_env {
	bool json;
	double duration;		/* 0 = until Ctrl-C */
	const char *devs[MAX_DEV_FILTERS];
	int n_devs;
	unsigned width;			/* columns of the terminal view */
	struct tracer_opts opts;
} env;

static volatile sig_atomic_t exiting;

/* what the summary says at the end */
static struct trace_stats {
	uint64_t events, errors;
	struct { uint32_t dev; char name[DMW_NAME_LEN]; uint64_t n; } *errs;
	size_t n_errs;
	/* last printed percentage per device, so the terminal shows changes only */
	struct { uint32_t dev; double pct; } *shown;
	size_t n_shown;
} stats;

static void sig_handler(int sig)
{
	exiting = 1;
}

static error_t trace_parse(int key, char *arg, struct argp_state *state)
{
	double v;

	switch (key) {
	case 'j': env.json = true; break;
	case 'v': verbose = 1; break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env.opts;
		break;
	case 'd':
		if (opt_seconds(arg, 0, false, 1e9, &v))
			argp_error(state, "--duration takes seconds, not '%s'", arg);
		env.duration = v;
		break;
	case 'D':
		if (env.n_devs == MAX_DEV_FILTERS)
			argp_error(state, "at most %d --dev filters", MAX_DEV_FILTERS);
		env.devs[env.n_devs++] = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option trace_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line (/usr/share/doc/dmwatch/events.md)", 0 },
	{ "duration", 'd', "S", 0, "Stop after S seconds (default: until Ctrl-C)", 0 },
	{ "dev", 'D', "NAME|dm-N", 0, "Only this device (repeatable)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{},
};

static const struct argp_child trace_children[] = {
	{ &tracer_argp, 0, NULL, 0 },
	{},
};

static const struct argp trace_argp = {
	.options = trace_options,
	.parser = trace_parse,
	.children = trace_children,
	.doc = "Trace device-mapper live: create/remove/rename/suspend/resume/load with the "
	       "process that did it and failures such as EBUSY; I/O errors on dm-N named at "
	       "the moment they happen (also errors on the disks below); snapshot COW and "
	       "thin-pool fill with rate and time to full.\v"
	       "Needs root and a kernel with BTF. Ctrl-C or SIGTERM ends with a summary.\n"
	       "Columns: TIME (local), EVENT, DEV (dm-N), NAME (at event time), PID, COMM, "
	       "RESULT (ok or the errno; for I/O errors: errno, op, sector, bytes). Lines fit "
	       "$COLUMNS or the terminal (80 at least); a name cut short ends in '~' (--json "
	       "keeps it whole).",
};

/* --dev filter: by name at event time, or dm-N */
static bool wanted(const char *name, uint32_t dev)
{
	char dmn[32];

	if (!env.n_devs)
		return true;
	snprintf(dmn, sizeof(dmn), "dm-%u", DMW_MINOR(dev));
	for (int i = 0; i < env.n_devs; i++)
		if ((name && !strcmp(env.devs[i], name)) || (dev && !strcmp(env.devs[i], dmn)))
			return true;
	return false;
}

static void count_error(uint32_t dev, const char *name)
{
	for (size_t i = 0; i < stats.n_errs; i++)
		if (stats.errs[i].dev == dev && !strcmp(stats.errs[i].name, name)) {
			stats.errs[i].n++;
			return;
		}
	stats.errs = xrealloc(stats.errs, (stats.n_errs + 1) * sizeof(*stats.errs));
	stats.errs[stats.n_errs].dev = dev;
	snprintf(stats.errs[stats.n_errs].name, DMW_NAME_LEN, "%s", name);
	stats.errs[stats.n_errs++].n = 1;
}

/* terminal view: show a sample only when its percentage moved, or when it warns */
static bool pct_changed(uint32_t dev, double pct)
{
	for (size_t i = 0; i < stats.n_shown; i++) {
		if (stats.shown[i].dev != dev)
			continue;
		if (fabs(stats.shown[i].pct - pct) < 0.05)
			return false;
		stats.shown[i].pct = pct;
		return true;
	}
	stats.shown = xrealloc(stats.shown, (stats.n_shown + 1) * sizeof(*stats.shown));
	stats.shown[stats.n_shown].dev = dev;
	stats.shown[stats.n_shown++].pct = pct;
	return true;
}

static void on_event(void *ctx, const struct tracer_event *ev)
{
	char line[2048];
	const char *name = NULL;
	uint32_t dev = 0;

	switch (ev->kind) {
	case TE_KERNEL:
		dev = ev->raw->dev ? ev->raw->dev : ev->named ? ev->named->dev : 0;
		name = ev->raw->type == DMW_EV_IO_ERROR ? (ev->named ? ev->named->name : NULL)
							: ev->raw->name;
		break;
	case TE_COW:
		dev = ev->cow->dev;
		name = ev->cow->name;
		break;
	case TE_STATE:
		dev = ev->dev;
		name = ev->name;
		break;
	case TE_LOST:
		break;
	}
	if (ev->kind != TE_LOST && !wanted(name, dev))
		return;
	if (ev->kind == TE_COW && !env.json && !pct_changed(dev, ev->cow->used_percent) &&
	    !ev->cow->overflow_before_reader)
		return;
	stats.events++;
	if (ev->kind == TE_KERNEL && ev->raw->type == DMW_EV_IO_ERROR) {
		stats.errors++;
		count_error(dev, name ? name : "?");
	}

	if (env.json) {
		switch (ev->kind) {
		case TE_KERNEL:
			event_to_json(line, sizeof(line), ev->raw, ev->unix_ns, ev->named,
				      ev->raw->lower_dev);
			break;
		case TE_COW:
			cow_sample_to_json(line, sizeof(line), ev->cow, ev->unix_ns);
			break;
		case TE_STATE:
			state_change_to_json(line, sizeof(line), ev->event, ev->name, ev->dev,
					     ev->state, ev->unix_ns);
			break;
		case TE_LOST:
			lost_to_json(line, sizeof(line), ev->lost, ev->unix_ns);
			break;
		}
		fputs(line, stdout);
		putchar('\n');
		return;
	}
	if (ev->kind == TE_LOST)
		/* lost events go to stderr in the terminal view */
		elog("lost %llu events (ring full or probe skipped)", (unsigned long long)ev->lost);
	else
		trace_text_event(stdout, ev, env.width);
}

static void print_summary(struct tracer *t)
{
	fprintf(stderr, "\ndmwatch trace: %llu events, %llu I/O errors, %llu lost\n",
		(unsigned long long)stats.events, (unsigned long long)stats.errors,
		(unsigned long long)tracer_lost(t));
	for (size_t i = 0; i < stats.n_errs; i++)
		trace_text_errors(stderr, stats.errs[i].name, stats.errs[i].dev, stats.errs[i].n,
				  env.width);
}

static uint64_t monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int cmd_trace(int argc, char **argv)
{
	struct tracer *t = NULL;
	char *err = NULL;
	uint64_t start;
	int ret = EXIT_UNUSABLE;

	memset(&env, 0, sizeof(env));
	env.opts.interval = 1.0;
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&trace_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;

	t = tracer_new(&env.opts, on_event, NULL, &err);
	if (!t) {
		elog("%s", err);
		goto cleanup;
	}
	env.width = term_width(stdout);
	if (!env.json)
		trace_text_header(stdout, env.width);
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	fflush(stdout);
	fprintf(stderr, "Tracing device-mapper events... Hit Ctrl-C to end.\n");

	start = monotonic_ns();
	while (!exiting) {
		if (tracer_poll(t, 100) < 0) {
			elog("ring buffer poll failed");
			goto cleanup;
		}
		/* once per batch, not per event: a storm of errors must not cost a write each */
		fflush(stdout);
		if (env.duration > 0 && monotonic_ns() - start >= env.duration * 1e9)
			break;
	}
	tracer_drain(t);
	print_summary(t);
	ret = EXIT_OK;
cleanup:
	tracer_free(t);
	free(err);
	free(stats.errs);
	free(stats.shown);
	return ret;
}
