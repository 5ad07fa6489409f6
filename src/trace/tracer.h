/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live event source shared by `trace` (prints) and `record` (stores): loads
 * and attaches the BPF side, resolves names at event time, samples snapshot and
 * thin-pool status, and hands every decoded event to one callback.
 */
#ifndef DMWATCH_TRACER_H
#define DMWATCH_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include "trace/events.h"

struct tracer;

struct tracer_opts {
	double interval;		/* seconds between status samples */
	bool force_syscalls;		/* ioctl syscall tracepoints even where kprobes work */
	bool force_uevents;		/* kernel uevents even where better sources work */
	bool no_lower;			/* no lower-device error attribution */
	bool quiet;			/* no warning lines: the caller shows the plan (doctor) */
};

/*
 * argp child for the options every command that traces shares (--interval,
 * --syscalls, --no-lower); state->child_inputs[i] = &opts. Set opts->interval
 * to its default (1 s) before parsing.
 */
#include <argp.h>
extern const struct argp tracer_argp;

enum tracer_event_kind {
	TE_KERNEL,			/* a BPF event: lifecycle or io_error (raw, named) */
	TE_COW,				/* periodic snapshot/pool sample (cow) */
	TE_STATE,			/* snapshot_invalid / pool_mode (event, name, dev, state) */
	TE_LOST,			/* events never seen: ring buffer full, runs skipped (lost) */
};

struct tracer_event {
	enum tracer_event_kind kind;
	uint64_t unix_ns;
	const struct dmw_event *raw;
	const struct name_entry *named;	/* name of raw->dev at that moment, if known */
	const struct cow_sample *cow;
	const char *event;		/* TE_STATE: "snapshot_invalid" | "pool_mode" */
	const char *name;
	uint32_t dev;
	const char *state;
	uint64_t lost;
};

typedef void (*tracer_cb)(void *ctx, const struct tracer_event *ev);

/*
 * Check privileges and kernel support, open/load/attach. On failure returns NULL
 * and a one-line reason in *err (the caller exits 3). What this kernel cannot
 * give goes to stderr as one warning line each, the lines `dmwatch doctor` shows.
 */
struct tracer *tracer_new(const struct tracer_opts *opts, tracer_cb cb, void *ctx, char **err);

/* Wait up to timeout_ms for events, sample on schedule; < 0 on a fatal error. */
int tracer_poll(struct tracer *t, int timeout_ms);

/* Deliver what is still in the ring buffer and the final lost count. */
void tracer_drain(struct tracer *t);

uint64_t tracer_lost(struct tracer *t);
const char *tracer_mode(const struct tracer *t);	/* how lifecycle is traced */
struct trace_plan;
const struct trace_plan *tracer_plan(const struct tracer *t);	/* trace/plan.h */
void tracer_free(struct tracer *t);

#endif /* DMWATCH_TRACER_H */
