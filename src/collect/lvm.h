/* SPDX-License-Identifier: GPL-2.0 */
/* LVM report collection and parsing (lvs/pvs JSON). */
#ifndef DMWATCH_LVM_H
#define DMWATCH_LVM_H

#include "model/state.h"

/* PV device path -> major:minor; 0 or -ENOENT. */
typedef int (*lvm_resolve_fn)(const char *pv_name, uint32_t *major, uint32_t *minor);

/*
 * Parse the JSON of `lvs -a --segments --reportformat json --units s --nosuffix -o ...`
 * and optionally `pvs ... -o pv_name,pe_start` into st->lvs / st->extents.
 * Bad rows are reported as problems and skipped; -EINVAL if it is not an lvs report.
 */
int lvm_parse_report(struct state *st, const char *source, const char *lvs_json,
		     const char *pvs_json, lvm_resolve_fn resolve);

int lvm_resolve_pv(const char *pv_name, uint32_t *major, uint32_t *minor);

/* Run lvs/pvs and parse; LVM missing or failing is a problem, not a failure of scan. */
int lvm_collect(struct state *st);

#endif /* DMWATCH_LVM_H */
