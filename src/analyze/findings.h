/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What classification finds (findings.c): per device, per snapshot or pool, per
 * guest, and the report that holds them; the helpers a verdict is set with.
 */
#ifndef DMWATCH_ANALYZE_FINDINGS_H
#define DMWATCH_ANALYZE_FINDINGS_H

#include "model/state.h"

enum dev_class {
	CLASS_VALID = 0,
	CLASS_INTERNAL,
	CLASS_TOMBSTONE,
	CLASS_DUPLICATE,
	CLASS_UNMANAGED,
};

enum severity {
	SEV_OK = 0,
	SEV_WARNING,
	SEV_CRITICAL,
};

struct dev_finding {
	const struct dm_dev *dev;
	char *vg, *lv, *layer;		/* the LV its uuid names (LVM data), else from the dm
					   name; NULL when neither is LVM-style */
	bool renamed;			/* vg/lv are the uuid's LV, not what the dm name says */
	enum dev_class cls;
	const char *reason;		/* tombstone: stale no-guest unreferenced other-node;
					   duplicate: unresolved (no LVM data to tell) */
	enum severity severity;
	int vmid;			/* -1 when not a guest volume */
	enum guest_type guest_type;
	bool has_guest;
	char *storage;			/* Proxmox storage id backing it, NULL if unknown */
	char *volume;			/* Proxmox volume name (the LV name) */
	size_t *dup_of;			/* indexes into report.devs of (up to 8) aliasing devices */
	size_t n_dup_of;
	char *detail;			/* one line: why, and what to weigh before the remedy */
	char *remedy;			/* one command, arguments shell-quoted; NULL when none */
};

struct space_finding {
	char *name;			/* dm name of the device carrying the status */
	char *lv;			/* "vg/lv" when known */
	const char *kind;		/* lvm-snapshot thin-pool multipath */
	char *origin;			/* snapshot origin LV, NULL otherwise */
	double used_percent;		/* NaN when unknown (invalid snapshot) */
	double metadata_percent;	/* thin pools only, NaN otherwise */
	uint64_t used_bytes, total_bytes;	/* snapshot COW, thin-pool data; 0 unknown */
	uint64_t metadata_used_bytes, metadata_total_bytes;	/* thin pools */
	int n_paths, n_failed_paths;	/* multipath */
	const char *state;		/* active invalid overflow ... rw ro out_of_data_space fail */
	bool needs_check;
	enum severity severity;
	char *detail;			/* as in dev_finding */
	char *remedy;			/* one command, arguments shell-quoted; NULL when none */
};

struct guest_finding {
	int vmid;
	enum guest_type type;
	const char *name;
	const char *node;
	bool running;
	bool local;			/* config on this node */
	const char *health;		/* clean tombstone duplicate */
	char **issues;
	size_t n_issues;
};

struct classify_opts {
	double warn_percent;		/* default 80 */
	double crit_percent;		/* default 95 */
};

struct report {
	const struct state *st;
	struct dev_finding *devs;	/* same order as st->devs */
	size_t n_devs;
	struct space_finding *spaces;
	size_t n_spaces;
	struct guest_finding *guests;
	size_t n_guests;
	size_t n_class[CLASS_UNMANAGED + 1];
	size_t warnings, criticals;	/* over devices, spaces and source problems */
	struct classify_opts opts;	/* the thresholds the verdicts used */
	const char *grade;
	int exit_code;
};

void classify_opts_default(struct classify_opts *o);
void report_free(struct report *r);

const char *class_str(enum dev_class c);
const char *severity_str(enum severity s);

/* Grade from counts, seed 000's scale. */
const char *grade_for(size_t warnings, size_t criticals);

/* Set class, reason, severity, and take ownership of detail and remedy */
void set_verdict(struct dev_finding *f, enum dev_class cls, const char *reason,
		 enum severity sev, char *detail, char *remedy);

/*
 * A command line for a person to paste: every argument shell-quoted
 * (lib/escape.h), NULL-terminated argument list. Caller frees.
 */
char *shell_cmd(const char *arg0, ...) __attribute__((sentinel));

/* `dmsetup remove NAME`, quoted, with "--" when the name looks like an option */
char *cmd_dm_remove(const struct dm_dev *d);
/* `lvchange -an VG/LV` (or another verb), quoted */
char *cmd_lv(const char *verb, const char *vg, const char *lv);

#endif /* DMWATCH_ANALYZE_FINDINGS_H */
