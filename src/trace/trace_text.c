// SPDX-License-Identifier: GPL-2.0
/*
 * The columns of `trace` (trace_text.h): TIME EVENT DEV NAME PID COMM RESULT.
 * At 80 columns NAME gets 20 (a Proxmox disk's pve-vm--100--disk--0 whole), COMM
 * 10 and RESULT the rest of the line, 11; a wider terminal widens COMM to 15
 * and NAME to 30 first, then RESULT. An I/O error's result is cut between
 * words (EIO read ~), never inside its sector number. Every name and
 * process name goes through term_shown() before it is measured: they are
 * anyone's bytes.
 */
#include <stdlib.h>
#include <string.h>
#include "trace/trace_text.h"
#include "lib/clock.h"
#include "lib/escape.h"
#include "lib/width.h"
#include "lib/util.h"

#define COL_TIME	8
#define COL_EVENT	12
#define COL_DEV		6
#define COL_PID		7
#define COL_NAME_MIN	20
#define COL_NAME_MAX	30
#define COL_COMM_MIN	10
#define COL_COMM_MAX	15
#define COL_RESULT_MIN	11
#define BAR_MAX		20

struct layout {
	size_t name, comm, rest;	/* rest: RESULT, the line's last column */
};

static struct layout layout_for(unsigned width)
{
	size_t fixed = COL_TIME + COL_EVENT + COL_DEV + COL_PID + 6;	/* + the blanks between */
	size_t flex = width > fixed ? width - fixed : 0;
	struct layout l = { .comm = COL_COMM_MIN };

	if (flex >= COL_NAME_MIN + COL_COMM_MAX + COL_RESULT_MIN)
		l.comm = COL_COMM_MAX;
	l.name = flex > l.comm + COL_RESULT_MIN ? flex - l.comm - COL_RESULT_MIN : 0;
	l.name = l.name < COL_NAME_MIN ? COL_NAME_MIN : l.name > COL_NAME_MAX ? COL_NAME_MAX : l.name;
	l.rest = flex > l.name + l.comm ? flex - l.name - l.comm : COL_RESULT_MIN;
	return l;
}

/* TIME EVENT DEV NAME, each padded and followed by a blank */
static void put_lead(FILE *f, const struct layout *l, uint64_t unix_ns, const char *event,
		     uint32_t dev, const char *name)
{
	char when[16], dn[16] = "-", *keep = NULL;

	format_time(when, sizeof(when), unix_ns / 1000000000ULL, "%H:%M:%S", false);
	if (dev)
		snprintf(dn, sizeof(dn), "dm-%u", DMW_MINOR(dev));
	fprintf(f, "%-*s ", COL_TIME, when);
	term_put_fit(f, event, COL_EVENT, true);
	fputc(' ', f);
	term_put_fit(f, dn, COL_DEV, true);
	fputc(' ', f);
	term_put_fit(f, name && *name ? term_shown(name, &keep) : "-", l->name, true);
	fputc(' ', f);
	free(keep);
}

/*
 * PID COMM RESULT: the result cut at the line's end, or with words set, at the
 * last blank that leaves room for the '~'
 */
static void put_tail(FILE *f, const struct layout *l, uint32_t pid, const char *comm,
		     const char *result, bool words)
{
	char *keep = NULL;
	size_t cut;

	fprintf(f, "%*u ", COL_PID, pid);
	term_put_fit(f, term_shown(comm, &keep), l->comm, true);
	fputc(' ', f);
	if (words && term_cols(result) > l->rest && l->rest > 1) {
		cut = term_cols_prefix(result, l->rest - 1, NULL);
		while (cut && result[cut - 1] != ' ')
			cut--;
		if (cut)
			fprintf(f, "%.*s~", (int)cut, result);
		else
			term_put_fit(f, result, l->rest, false);
	} else {
		term_put_fit(f, result, l->rest, false);
	}
	fputc('\n', f);
	free(keep);
}

void trace_text_header(FILE *f, unsigned width)
{
	struct layout l = layout_for(width);

	fprintf(f, "%-*s %-*s %-*s %-*s %*s %-*s %s\n", COL_TIME, "TIME", COL_EVENT, "EVENT",
		COL_DEV, "DEV", (int)l.name, "NAME", COL_PID, "PID", (int)l.comm, "COMM", "RESULT");
}

static const char *err_str(long long err, const char *unknown)
{
	return errno_name(err) ? errno_name(err) : unknown;
}

static void put_kernel(FILE *f, const struct layout *l, const struct tracer_event *ev)
{
	const struct dmw_event *e = ev->raw;
	uint32_t dev = e->dev ? e->dev : ev->named ? ev->named->dev : 0;
	char name[DMW_NAME_LEN + 1], comm[sizeof(e->comm) + 1], new_name[DMW_NAME_LEN + 1];
	char *result, *keep = NULL;

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(e->name), e->name);
	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(e->comm), e->comm);
	snprintf(new_name, sizeof(new_name), "%.*s", (int)sizeof(e->new_name), e->new_name);
	if (e->type == DMW_EV_IO_ERROR) {
		char lower[48] = "";

		if (e->lower_dev)
			snprintf(lower, sizeof(lower), " (on %u:%u below)",
				 DMW_MAJOR(e->lower_dev), DMW_MINOR(e->lower_dev));
		/* the sector before the size: what a cut line should keep longest */
		result = xasprintf("%s %s @%llu %u B%s", err_str(-(long long)e->error, "EIO"),
				   op_str(e->op), (unsigned long long)e->sector, e->bytes, lower);
		put_lead(f, l, ev->unix_ns, "IO_ERROR", dev, ev->named ? ev->named->name : "?");
	} else {
		result = xasprintf("%s%s%s", e->ret ? err_str(-(long long)e->ret, "failed") : "ok",
				   e->type == DMW_EV_DM_RENAME ? " -> " : "",
				   e->type == DMW_EV_DM_RENAME ? term_shown(new_name, &keep) : "");
		put_lead(f, l, ev->unix_ns, event_type_str(e->type) + 3, dev, name);
	}
	put_tail(f, l, e->pid, comm, result, e->type == DMW_EV_IO_ERROR);
	free(result);
	free(keep);
}

/* the fill as a bar where there is room for one; a predicted overflow leads */
static void put_cow(FILE *f, const struct layout *l, const struct tracer_event *ev)
{
	const struct cow_sample *cs = ev->cow;
	size_t room = l->rest + COL_PID + l->comm + 2;
	int bar = room > 24 + BAR_MAX ? BAR_MAX : room > 29 ? (int)room - 24 : 5;
	int fill = cs->used_percent >= 100 ? bar : (int)(cs->used_percent / 100 * bar);
	char eta[32], *tail;

	if (cs->eta_s < 0)
		snprintf(eta, sizeof(eta), "not filling");
	else
		snprintf(eta, sizeof(eta), "full in %.0fs", cs->eta_s);
	if (cs->overflow_before_reader)
		tail = xasprintf("!!! %.1f%% %s, before the backup reader finishes",
				 cs->used_percent, eta);
	else
		tail = xasprintf("[%.*s%.*s] %5.1f%% %s", fill, "####################", bar - fill,
				 "                    ", cs->used_percent, eta);
	put_lead(f, l, ev->unix_ns, strcmp(cs->kind, "thin-pool") ? "COW" : "POOL", cs->dev,
		 cs->name);
	term_put_fit(f, tail, room, false);
	fputc('\n', f);
	free(tail);
}

void trace_text_event(FILE *f, const struct tracer_event *ev, unsigned width)
{
	struct layout l = layout_for(width);
	char *keep = NULL;

	switch (ev->kind) {
	case TE_KERNEL:
		put_kernel(f, &l, ev);
		break;
	case TE_COW:
		put_cow(f, &l, ev);
		break;
	case TE_STATE:
		put_lead(f, &l, ev->unix_ns,
			 strcmp(ev->event, "pool_mode") ? "SNAP_INVALID" : "POOL_MODE", ev->dev,
			 ev->name);
		term_put_fit(f, term_shown(ev->state, &keep), l.rest + COL_PID + l.comm + 2, false);
		fputc('\n', f);
		break;
	case TE_LOST:
		break;
	}
	free(keep);
}

void trace_text_errors(FILE *f, const char *name, uint32_t dev, uint64_t n, unsigned width)
{
	struct layout l = layout_for(width);
	char *keep = NULL;

	fputs("  ", f);
	term_put_fit(f, term_shown(name, &keep), l.name, true);
	fprintf(f, " dm-%-4u %llu errors\n", DMW_MINOR(dev), (unsigned long long)n);
	free(keep);
}
