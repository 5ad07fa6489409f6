/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What classification looks things up in (lookup.c): LVM names and uuids, and
 * the state indexed once per scan.
 */
#ifndef DMWATCH_ANALYZE_LOOKUP_H
#define DMWATCH_ANALYZE_LOOKUP_H

#include <sys/types.h>
#include "model/state.h"

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

/* lvs prints uuids as 6-4-4-4-4-4-6 with dashes; dm uuids have none */
struct uuid_ix {
	char uuid[65];			/* LV uuid, then VG uuid, without dashes */
	const struct lvm_lv *lv;
};

/*
 * Lookups classification does per device, indexed once so a node with 10,000
 * devices and LVs costs n log n, not n squared.
 */
struct ref_ix;

struct cctx {
	const struct state *st;
	struct uuid_ix *lvu;			/* by uuid */
	const struct lvm_lv **lvn;		/* by vg, name */
	const struct dm_dev **devn;		/* by major, minor */
	const struct pve_guest **guests;	/* by vmid */
	struct ref_ix *refs;			/* by vg (case-insensitive), lv */
	size_t n_refs;
	const struct pve_guest *broken;		/* a guest whose config was not fully read */
	size_t n_broken;
	struct extent_index extents;
};

const struct lvm_lv *lv_by_uuid(const struct cctx *c, const char *vg_uuid, const char *lv_uuid);
const struct lvm_lv *lv_by_name(const struct cctx *c, const char *vg, const char *lv);
ssize_t dev_index(const struct cctx *c, uint32_t major, uint32_t minor);
const struct pve_guest **guests_with(const struct cctx *c, int vmid, size_t *n);

/* Index st into c (cctx_unindex frees it); the referenced volumes are pveref.c's */
void cctx_index(struct cctx *c, const struct state *st);
void cctx_unindex(struct cctx *c);

#endif /* DMWATCH_ANALYZE_LOOKUP_H */
