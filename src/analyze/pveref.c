// SPDX-License-Identifier: GPL-2.0
/*
 * Proxmox's side of a verdict: which guest config references an LV. As in
 * PVE::QemuServer::foreach_volid, the configs decide, not the names: a volume
 * "vm-120-disk-0" that VM 8006 lists as unused0 is VM 8006's. Only a volume no
 * config references is judged by the vmid in its name.
 *
 * Every reference is indexed once as "<vg>/<lv>": its storage id resolved to the
 * storage's VG, plus the LVs that hold the volume's snapshots (lvmthin
 * snap_<vol>_<snap>, thick-LVM volume chain snap_<vol sans ext>_<snap>.qcow2).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "analyze/internal.h"
#include "collect/pve.h"
#include "lib/util.h"

static int cmp_ref_ix(const void *a, const void *b)
{
	const struct ref_ix *x = a, *y = b;
	int r = strcasecmp(x->vg, y->vg);

	return r ? r : strcmp(x->lv, y->lv);
}

static const struct pve_storage *storage_by_id(const struct state *st, const char *id)
{
	const struct pve_storage *folded = NULL;

	for (size_t i = 0; i < st->n_storages; i++) {
		if (!strcmp(st->storages[i].id, id))
			return &st->storages[i];
		if (!folded && !strcasecmp(st->storages[i].id, id))
			folded = &st->storages[i];
	}
	return folded;
}

static void push_ref(struct cctx *c, const char *vg, char *lv, const struct pve_guest *g,
		     const struct pve_volref *ref)
{
	struct ref_ix *x;

	if (!vg || !lv) {	/* nothing an LV could be named after */
		free(lv);
		return;
	}
	x = array_push(&c->refs, &c->n_refs, sizeof(*x));
	*x = (struct ref_ix){ vg, lv, g, ref };
}

static void index_ref(struct cctx *c, const struct pve_guest *g, const struct pve_volref *ref)
{
	const struct pve_storage *s = storage_by_id(c->st, ref->storage);
	const char *vg;

	if (s && s->type == PVE_STORAGE_OTHER)
		return;		/* rbd, zfs, dir ...: not an LV */
	/* no stanza (or an lvm one without its VG): the id may be the VG's name */
	vg = s && s->vgname ? s->vgname : ref->storage;
	push_ref(c, vg, xstrdup(ref->volume), g, ref);
	if (!ref->snapshot)
		return;
	/* the type decides the name, but a wrong storage.cfg must not orphan a snapshot */
	push_ref(c, vg, pve_snapshot_lv(ref->volume, ref->snapshot, PVE_STORAGE_LVMTHIN), g, ref);
	push_ref(c, vg, pve_snapshot_lv(ref->volume, ref->snapshot, PVE_STORAGE_LVM), g, ref);
}

void refs_init(struct cctx *c)
{
	const struct state *st = c->st;

	for (size_t i = 0; i < st->n_guests; i++) {
		const struct pve_guest *g = &st->guests[i];

		if (g->config_error) {
			if (!c->broken)
				c->broken = g;
			c->n_broken++;
		}
		for (size_t k = 0; k < g->n_refs; k++)
			index_ref(c, g, &g->refs[k]);
	}
	sort_items(c->refs, c->n_refs, sizeof(*c->refs), cmp_ref_ix);
}

void refs_free(struct cctx *c)
{
	for (size_t i = 0; i < c->n_refs; i++)
		free(c->refs[i].lv);
	free(c->refs);
}

/* The references of <vg>/<lv>: *n of them from the return */
static const struct ref_ix *refs_find(const struct cctx *c, const char *vg, const char *lv,
				      size_t *n)
{
	struct ref_ix key = { .vg = vg, .lv = (char *)lv };
	const struct ref_ix *hit, *end;

	*n = 0;
	/* no references at all: c->refs is NULL, and NULL + 0 is undefined too */
	if (!c->n_refs)
		return NULL;
	end = c->refs + c->n_refs;
	hit = bsearch(&key, c->refs, c->n_refs, sizeof(*c->refs), cmp_ref_ix);
	if (!hit)
		return NULL;
	while (hit > c->refs && !cmp_ref_ix(&hit[-1], &key))
		hit--;
	while (hit + *n < end && !cmp_ref_ix(&hit[*n], &key))
		(*n)++;
	return hit;
}

/* storage ids that can hold LV `lv` of VG `vg`; case-insensitive id fallback only
 * when storage.cfg has no stanza for the VG at all (seed 000's T1-HA07 vs t1--ha07) */
const struct pve_storage *storage_for(const struct state *st, const char *vg,
				      const struct lvm_lv *lv)
{
	const struct pve_storage *any = NULL;

	for (size_t i = 0; i < st->n_storages; i++) {
		const struct pve_storage *s = &st->storages[i];

		if (s->type == PVE_STORAGE_OTHER || str_empty(s->vgname) || strcmp(s->vgname, vg))
			continue;
		if (s->type == PVE_STORAGE_LVMTHIN && lv && !str_empty(lv->pool) &&
		    s->thinpool && !strcmp(s->thinpool, lv->pool))
			return s;
		if (s->type == PVE_STORAGE_LVM && (!lv || str_empty(lv->pool)))
			return s;
		if (!any)
			any = s;
	}
	if (any)
		return any;
	for (size_t i = 0; i < st->n_storages; i++)
		if (!strcasecmp(st->storages[i].id, vg))
			return &st->storages[i];
	return NULL;
}

static bool is_local(const struct state *st, const struct pve_guest *g)
{
	return str_empty(st->node) || !g->node || !strcmp(g->node, st->node);
}

static const char *kind_of(const struct pve_guest *g)
{
	return g->type == GUEST_LXC ? "CT" : "VM";
}

/* Referenced: valid, unless the only guests that reference it live on other nodes */
static void referenced_verdict(const struct cctx *c, struct dev_finding *f,
			       const struct ref_ix *hit, size_t n)
{
	const struct ref_ix *use = &hit[0];
	const struct pve_volref *ref;
	const struct pve_guest *g;
	char *what;

	for (size_t i = 0; i < n; i++) {
		if (is_local(c->st, hit[i].guest)) {
			use = &hit[i];
			break;
		}
	}
	g = use->guest;
	ref = use->ref;
	f->vmid = g->vmid;
	f->has_guest = true;
	f->guest_type = g->type;
	what = strcmp(ref->volume, f->lv) ?
		xasprintf("snapshot %s of %s:%s", ref->snapshot, ref->storage, ref->volume) :
		ref->snapshot ? xasprintf("%s:%s (%s, snapshot %s)", ref->storage, ref->volume,
					  ref->key, ref->snapshot)
			      : xasprintf("%s:%s (%s)", ref->storage, ref->volume, ref->key);
	if (!is_local(c->st, g)) {
		set_verdict(f, CLASS_TOMBSTONE, "other-node", SEV_WARNING,
			    xasprintf("%s %d on node %s references %s, but the volume is active "
				      "here; deactivate it on this node only", kind_of(g), g->vmid,
				      g->node, what),
			    cmd_lv("-an", f->vg, f->lv));
	} else {
		set_verdict(f, CLASS_VALID, NULL, SEV_OK,
			    xasprintf("%s %d references %s", kind_of(g), g->vmid, what), NULL);
	}
	free(what);
}

/* qm/pct rescan adds an image as unusedN; it skips snapshots and vmstate volumes */
static char *rescan_cmd(const struct pve_guest *g, const char *volume)
{
	char id[16];

	if (str_has_prefix(volume, "snap_") || strstr(volume, "-state-"))
		return NULL;
	snprintf(id, sizeof(id), "%d", g->vmid);
	return g->type == GUEST_LXC ? shell_cmd("pct", "rescan", "--vmid", id, NULL)
				    : shell_cmd("qm", "disk", "rescan", "--vmid", id, NULL);
}

/* Referenced by no config: the vmid in its name says whose it was */
static void unreferenced_verdict(const struct cctx *c, struct dev_finding *f,
				 const struct lvm_lv *lv, const struct pve_storage *s)
{
	const struct pve_guest *g = NULL, **same;
	size_t n_same;
	char *fix;

	same = guests_with(c, f->vmid, &n_same);
	for (size_t i = 0; i < n_same; i++) {
		f->has_guest = true;
		f->guest_type = same[i]->type;
		if (!g || is_local(c->st, same[i]))
			g = same[i];
	}
	if (c->broken) {
		/* a config we could not fully read may be the one that lists it */
		set_verdict(f, CLASS_VALID, NULL, SEV_OK,
			    xasprintf("no config references %s, but %zu guest config(s) could not "
				      "be fully read (guest %d's first); not judged", f->volume,
				      c->n_broken, c->broken->vmid), NULL);
		return;
	}
	fix = lv ? cmd_lv("-an", f->vg, f->lv) : cmd_dm_remove(f->dev);
	if (!g) {
		set_verdict(f, CLASS_TOMBSTONE, "no-guest", SEV_WARNING,
			    xasprintf("no guest %d anywhere in the cluster and no config references "
				      "%s:%s%s", f->vmid, s ? s->id : f->vg, f->volume,
				      lv ? "; an orphan LV: deactivate it, remove it once nothing "
					   "needs it" : ""), fix);
		return;
	}
	if (lv) {
		char *rescan = rescan_cmd(g, f->volume);

		if (rescan) {
			free(fix);
			fix = rescan;
		}
	}
	set_verdict(f, CLASS_TOMBSTONE, "unreferenced", SEV_WARNING,
		    xasprintf("guest %d exists but no config line or snapshot references %s:%s; "
			      "a rescan adds it to the config as unused, or deactivate it if "
			      "nothing needs it", f->vmid, s ? s->id : f->vg, f->volume), fix);
}

bool classify_guest_volume(const struct cctx *c, struct dev_finding *f,
			   const struct lvm_lv *lv, bool lvm_uuid)
{
	const struct state *st = c->st;
	const struct pve_storage *s = storage_for(st, f->vg, lv);
	const struct ref_ix *hit;
	bool named;
	size_t n;

	named = pve_volume_vmid(f->lv, s ? s->type : PVE_STORAGE_OTHER, &f->vmid);
	hit = st->have_pve ? refs_find(c, f->vg, f->lv, &n) : (n = 0, NULL);
	if (!named && !n) {
		f->vmid = -1;
		return false;
	}
	if (!st->have_pve) {
		set_verdict(f, CLASS_VALID, NULL, SEV_OK,
			    xstrdup("guest volume (no Proxmox config to check against)"), NULL);
		return true;
	}
	if (st->have_lvm && !lvm_uuid && !lv) {
		/* a guest-volume name made by hand, with no LV behind it */
		set_verdict(f, CLASS_TOMBSTONE, "stale", SEV_WARNING,
			    xasprintf("named like a guest volume but no LV %s/%s exists",
				      f->vg, f->lv),
			    cmd_dm_remove(f->dev));
		return true;
	}
	if (s)
		f->storage = xstrdup(s->id);
	f->volume = xstrdup(f->lv);
	if (n)
		referenced_verdict(c, f, hit, n);
	else
		unreferenced_verdict(c, f, lv, s);
	return true;
}
