/* SPDX-License-Identifier: GPL-2.0 */
/* LVM report collection and parsing (`lvm fullreport` JSON). */
#ifndef DMWATCH_LVM_H
#define DMWATCH_LVM_H

#include <pthread.h>
#include <sys/types.h>
#include <stdbool.h>
#include "model/state.h"

struct lvm_report;

/* PV device path -> major:minor; 0 or -ENOENT. */
typedef int (*lvm_resolve_fn)(const char *pv_name, uint32_t *major, uint32_t *minor);

/*
 * Parse the JSON of `lvm fullreport -a --reportformat json --units s --nosuffix` (one
 * object per VG; its "seg" rows carry the LV fields, its "pv" rows pv_name and pe_start)
 * into st->lvs / st->extents. Bad rows are reported as problems and skipped; -EINVAL if
 * it is not such a report. No VG at all ({"report": []}) is a valid, empty report.
 */
int lvm_parse_report(struct state *st, const char *source, const char *json,
		     lvm_resolve_fn resolve);

int lvm_resolve_pv(const char *pv_name, uint32_t *major, uint32_t *minor);

/*
 * Run one lvm fullreport and parse it, in two halves, so that the caller reads
 * device-mapper while LVM scans the devices (most of a live scan's time on a node
 * with hundreds of LVs): start hands the whole report to a thread, which runs lvm
 * and reads and parses its output as it comes (LVM would stop at a full pipe
 * otherwise, and wait for the caller); finish waits for the thread and puts the
 * report into the state. LVM missing or failing is a problem in the state, not a
 * failure of the scan. Every started job must be finished.
 */
struct lvm_job {
	pthread_t thread;	/* spawns lvm, reads and parses its output */
	bool started;
	pid_t pid;		/* lvm fullreport */
	int fd;			/* its stdout, -1 when read */
	int err;		/* 0, -ENOENT (no lvm), -EIO (it failed) */
	struct lvm_report *report;	/* its rows (lvmreport.h), NULL on err */
};
void lvm_collect_start(struct lvm_job *job);
int lvm_collect_finish(struct state *st, struct lvm_job *job);

#endif /* DMWATCH_LVM_H */
