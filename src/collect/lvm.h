/* SPDX-License-Identifier: GPL-2.0 */
/* LVM report collection and parsing (`lvm fullreport` JSON). */
#ifndef DMWATCH_LVM_H
#define DMWATCH_LVM_H

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

/* LVM's own command log in rep says the command succeeded (lvm.c tells how) */
bool lvm_report_vouched(const struct lvm_report *rep);

/*
 * Run one lvm fullreport and parse it, in two halves, so that the caller reads
 * device-mapper while LVM scans the devices (most of a live scan's time on a node
 * with hundreds of LVs): start hands the whole report to a thread, which runs lvm
 * and reads and parses its output as it comes (LVM would stop at a full pipe
 * otherwise, and wait for the caller); finish waits for the report and puts it
 * into the state: as soon as the report is whole when its command log says the
 * command succeeded (unless exit_status), else once lvm has exited, by its exit
 * status. LVM missing or failing is a problem in the state, not a failure of the
 * scan. Every started job must be finished; finish frees it (or leaves it to its
 * thread, which reaps lvm).
 */
struct lvm_job;
struct lvm_job *lvm_collect_start(void);
int lvm_collect_finish(struct state *st, struct lvm_job *job, bool exit_status);

#endif /* DMWATCH_LVM_H */
