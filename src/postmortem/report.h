/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `report` gathers from the log (report.c) for its text (report_text.c):
 * the timeline, errors and fill per device, failed operations, lost events and
 * the recorder's gaps.
 */
#ifndef DMWATCH_POSTMORTEM_REPORT_H
#define DMWATCH_POSTMORTEM_REPORT_H

#include "postmortem/internal.h"

/* errors closer than this form one timeline line */
#define BURST_GAP_NS	(2 * PM_NS_PER_S)

/* later - earlier > BURST_GAP_NS without overflow (fuzz_postmortem_print found one) */
static inline bool beyond_burst_gap(int64_t later, int64_t earlier)
{
	return later > pm_ns_add(earlier, BURST_GAP_NS);
}

/*
 * A line of the timeline or of the summary; text holds raw names (escaped when
 * printed). A timeline line has an event and, about a device, its dm-N and name
 * in columns before text; a summary line only text.
 */
struct tl_line {
	int64_t t;
	size_t seq;
	char event[20];
	char dev[16];			/* "": not about a device (no DEV and NAME columns) */
	char *name;
	char *text;
};

struct pid_count {
	uint32_t pid;
	char comm[DMW_COMM_LEN];
	uint64_t n;
};

struct err_dev {
	uint32_t dev;
	char *name;
	uint64_t n, by_op[DMW_OP_FLUSH + 1];
	int64_t first, last;
	struct pid_count pids[3];
	size_t n_pids;
	uint64_t other_pids;
	uint32_t lower;
	int32_t error;
};

struct burst {
	uint32_t dev, pid, op, lower;
	int32_t error;
	char *name;
	char comm[DMW_COMM_LEN];
	uint64_t n, smin, smax;
	int64_t first, last;
};

/* the fill levels a snapshot or pool is reported crossing */
#define N_THRESHOLDS	3
extern const double report_thresholds[N_THRESHOLDS];

struct fill_dev {
	uint32_t dev;
	char *name;
	char kind[16];
	double last, max;
	int64_t first_t, last_t, max_t;
	int64_t crossed_t[N_THRESHOLDS];
	double crossed_pct[N_THRESHOLDS];
	char state[48];
	int64_t state_t;
	bool bad_state;			/* invalid, overflow, out_of_data_space, ro ... */
	int64_t overflow_warn_t;	/* first "will overflow before the reader is done" */
	double rate_at_warn, eta_at_warn;
};

struct fail_op {
	uint32_t type;
	int32_t ret;
	char *name;
	uint64_t n;
	uint32_t pid;
	char comm[DMW_COMM_LEN];
	int64_t first, last;
};

struct report_state {
	struct tl_line *tl;
	size_t n_tl;
	struct err_dev *errs;
	size_t n_errs;
	struct burst *bursts;
	size_t n_bursts;
	struct fill_dev *fills;
	size_t n_fills;
	struct fail_op *fails;
	size_t n_fails;
	uint64_t lost, lost_events, records, lifecycle;
	int64_t lost_first, lost_last;
	int64_t first, last;		/* of records in range */
	uint64_t sessions, unclean;
	bool session_open;		/* a START without its STOP so far */
	int64_t last_any;		/* last record time, for gaps */
	struct { int64_t from, to; } *gaps;
	size_t n_gaps;
	struct fill_dev *prior;		/* states reached before --since */
	size_t n_prior;
	bool multi_day;
};

/* "dm-54", or "-" when not known */
void dev_str(char *buf, size_t len, uint32_t dev);
const char *name_or(const char *name);
const char *errno_or(int err, const char *dflt);
struct err_dev *errs_of(const struct report_state *rs, uint32_t dev, const char *name);
/* close the burst at i: its timeline line */
void burst_flush(struct report_state *rs, size_t i);

/* the text: what happened, the timeline, the tables */
void print_report(struct report_state *rs, FILE *out, const struct pm_read *pr);

/* report.c: what pm_load feeds (the events into rs, or JSON lines to out), and rs freed */
void report_reader(struct pm_read *pr, struct report_state *rs, FILE *out);
void report_state_free(struct report_state *rs);

#endif /* DMWATCH_POSTMORTEM_REPORT_H */
