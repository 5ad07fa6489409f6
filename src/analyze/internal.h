/* SPDX-License-Identifier: GPL-2.0 */
/* What the parts of classification share: the lookup context and verdict helpers. */
#ifndef DMWATCH_ANALYZE_INTERNAL_H
#define DMWATCH_ANALYZE_INTERNAL_H

#include <sys/types.h>
#include "analyze/classify.h"

/* lvs prints uuids as 6-4-4-4-4-4-6 with dashes; dm uuids have none */
struct uuid_ix {
	char uuid[65];			/* LV uuid, then VG uuid, without dashes */
	const struct lvm_lv *lv;
};

/* A volume some guest config references, as "<vg>/<lv>" (see pveref.c) */
struct ref_ix {
	const char *vg;			/* the storage's VG, or the storage id if unknown */
	char *lv;			/* the volume, or the LV of one of its snapshots */
	const struct pve_guest *guest;
	const struct pve_volref *ref;
};

/*
 * Lookups classification does per device, indexed once so a node with 10,000
 * devices and LVs costs n log n, not n squared.
 */
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

/* alias.c: fill dup_of of every device that maps storage another device maps */
void find_aliases(const struct state *st, struct report *r);

/* pveref.c: the index of referenced volumes, and the verdict on a guest volume */
void refs_init(struct cctx *c);
void refs_free(struct cctx *c);
const struct pve_storage *storage_for(const struct state *st, const char *vg,
				      const struct lvm_lv *lv);
/* false when the device is not a Proxmox guest volume at all (then: plain LV) */
bool classify_guest_volume(const struct cctx *c, struct dev_finding *f,
			   const struct lvm_lv *lv, bool lvm_uuid);

/* space.c: snapshot COW, thin pools, multipath */
void check_spaces(const struct cctx *c, const struct classify_opts *o, struct report *r);

#endif /* DMWATCH_ANALYZE_INTERNAL_H */
