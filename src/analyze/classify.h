/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Classification: state in, findings out. Pure (no I/O), so a saved state from a
 * customer and a hand-written test state get exactly the verdict a live scan would.
 */
#ifndef DMWATCH_CLASSIFY_H
#define DMWATCH_CLASSIFY_H

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
void classify(const struct state *st, const struct classify_opts *o, struct report *out);
void report_free(struct report *r);

const char *class_str(enum dev_class c);
const char *severity_str(enum severity s);

/*
 * Split a dm name into VG, LV and layer the way libdevmapper's dm_split_lvm_name()
 * does ("--" is an escaped '-'). Returns false if it is not an LVM-style name.
 * Caller frees the three strings.
 */
bool split_lvm_name(const char *dmname, char **vg, char **lv, char **layer);

/*
 * "LVM-<32 vg uuid><32 lv uuid>[-layer]" -> parts (uuids without dashes).
 * Returns false for a non-LVM uuid. Out buffers: 33, 33 and 32 bytes.
 */
bool parse_lvm_uuid(const char *uuid, char *vg_uuid, char *lv_uuid, char *layer);

/* lvs prints uuids as 6-4-4-4-4-4-6 with dashes, dm uuids have none: equal but for those? */
bool lvm_uuid_eq(const char *lvs_uuid, const char *plain);

/* A state's LVM extents by PV and start, for lvm_extent_owner() */
struct extent_index {
	const struct lvm_extent **by_pos;
	uint64_t *end_max;	/* the furthest end of by_pos[0..i] on by_pos[i]'s PV */
	size_t n;
};
void extent_index_init(struct extent_index *ix, const struct state *st);
void extent_index_free(struct extent_index *ix);

/*
 * The LVM extent (other than those of the LV with plain uuid `not_uuid`, may be
 * NULL) that a table's linear/striped targets map over, or NULL; of several, the
 * one starting first on its PV. O(log n) per target, not a scan of every extent.
 */
const struct lvm_extent *lvm_extent_owner(const struct extent_index *ix,
					  const struct dm_line *table, size_t n_table,
					  const char *not_uuid);

/* Do two tables map overlapping sectors of one lower device, or one thin id of one pool? */
bool tables_alias(const struct dm_line *a, size_t na, const struct dm_line *b, size_t nb);

/* Grade from counts, seed 000's scale. */
const char *grade_for(size_t warnings, size_t criticals);

#endif /* DMWATCH_CLASSIFY_H */
