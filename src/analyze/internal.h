/* SPDX-License-Identifier: GPL-2.0 */
/* What classify.c asks of its parts: guest references (pveref.c) and spaces (space.c). */
#ifndef DMWATCH_ANALYZE_INTERNAL_H
#define DMWATCH_ANALYZE_INTERNAL_H

#include "analyze/findings.h"
#include "analyze/lookup.h"

/* A volume some guest config references, as "<vg>/<lv>" (see pveref.c) */
struct ref_ix {
	const char *vg;			/* the storage's VG, or the storage id if unknown */
	char *lv;			/* the volume, or the LV of one of its snapshots */
	const struct pve_guest *guest;
	const struct pve_volref *ref;
};

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
