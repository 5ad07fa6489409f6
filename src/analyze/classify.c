// SPDX-License-Identifier: GPL-2.0
/*
 * scan's verdicts. Pure: a state in, findings out.
 *
 * Order of questions for each dm device:
 *   1. Is it a layer of something else (LVM layer uuid/name, hidden pool LV,
 *      kpartx partition)?                        -> internal
 *   2. Does it alias storage another active mapping owns (overlapping extents on the
 *      same lower device, or the same thin id in the same pool; alias.c)? Stale
 *      mappings are judged by 3 first. Without LVM data neither side can be called
 *      the copy.                                  -> duplicate (/unresolved)
 *   3. Is its LVM uuid gone from LVM metadata, or does the LV now carry another
 *      uuid?                                      -> tombstone/stale
 *   4. Does a guest config reference its LV (pveref.c), or is it named like a
 *      guest volume? The configs decide: valid, or tombstone no-guest /
 *      unreferenced / other-node.
 *   5. Otherwise an LVM LV is valid, anything else is unmanaged.
 * From 2 on, an LVM mapping is its LV by uuid, whatever its dm name says.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "analyze/alias.h"
#include "analyze/internal.h"
#include "model/dmstatus.h"
#include "collect/dm.h"
#include "collect/pve.h"
#include "lib/util.h"

static void cctx_init(struct cctx *c, const struct state *st)
{
	cctx_index(c, st);
	refs_init(c);
}

static void cctx_free(struct cctx *c)
{
	cctx_unindex(c);
	refs_free(c);
}

static bool is_internal_layer(const char *layer)
{
	static const char *layers[] = {
		"real", "cow", "pool", "tpool", "tdata", "tmeta", "cdata", "cmeta", "vdata",
		"vpool", "wcorig", "mimage", "mlog", "rimage", "rmeta",
	};

	for (size_t i = 0; i < ARRAY_SIZE(layers); i++)
		if (!strcmp(layer, layers[i]))
			return true;
	return false;
}

/*
 * Hidden LVs that are parts of another LV: data_tdata, data_tmeta, lvol0_pmspare,
 * mirror/raid images. lv_attr's first letter says so (T e I i l D d); thin pools ('t')
 * are internal too: guests use the thin volumes on top. Top-level LVs (-, V, s, o,
 * r, m, C ...) are not.
 */
static bool is_internal_lv(const struct lvm_lv *lv)
{
	return lv && lv->attr[0] && strchr("tTeIilDd", lv->attr[0]);
}

/* kpartx: uuid "part<N>-<parent uuid>", name "<parent>p<N>" or "<parent><N>" over one dm dev */
static bool is_partition(const struct cctx *c, const struct dm_dev *d)
{
	const char *p;
	ssize_t parent;

	if (str_has_prefix(d->uuid, "part")) {
		for (p = d->uuid + 4; isdigit((unsigned char)*p); p++)
			;
		if (p > d->uuid + 4 && *p == '-')
			return true;
	}
	if (d->n_deps != 1 || d->n_table != 1 || strcmp(d->table[0].type, "linear"))
		return false;
	parent = dev_index(c, major(d->deps[0]), minor(d->deps[0]));
	if (parent < 0)
		return false;
	p = c->st->devs[parent].name;
	if (strncmp(d->name, p, strlen(p)))
		return false;
	p = d->name + strlen(p);
	if (*p == 'p' || *p == '-' || *p == '_')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == 0;
}

/*
 * Does the device own what it maps? An LVM mapping whose LV (by uuid) is in LVM
 * metadata is the rightful owner; a copy without uuid, or with a uuid LVM no longer
 * knows, is the intruder.
 */
static bool is_rightful(const struct cctx *c, const struct dm_dev *d)
{
	char vgu[33], lvu[33], layer[32];

	return c->st->have_lvm && parse_lvm_uuid(d->uuid, vgu, lvu, layer) && lv_by_uuid(c, vgu, lvu);
}
/* ---- per device ---- */

static void stale_verdict(const struct cctx *c, struct dev_finding *f, const char *lvu)
{
	const struct dm_dev *d = f->dev;
	const struct lvm_lv *by_name = f->vg ? lv_by_name(c, f->vg, f->lv) : NULL;
	const struct lvm_extent *owner = lvm_extent_owner(&c->extents, d->table, d->n_table, lvu);

	if (owner)
		set_verdict(f, CLASS_TOMBSTONE, "stale", SEV_CRITICAL,
			    xasprintf("LV uuid %s is gone from LVM metadata and the mapping covers "
				      "extents now owned by %s/%s: writes through it corrupt that "
				      "LV; remove it now, once its open count is 0", lvu,
				      owner->vg_name, owner->lv_name),
			    cmd_dm_remove(d));
	else
		set_verdict(f, CLASS_TOMBSTONE, "stale", SEV_WARNING,
			    by_name ? xasprintf("%s/%s now has another uuid; this mapping is "
						"left from an earlier LV", f->vg, f->lv)
				    : xasprintf("LV uuid %s is gone from LVM metadata", lvu),
			    cmd_dm_remove(d));
	if (f->lv && !pve_volume_vmid(f->lv, PVE_STORAGE_OTHER, &f->vmid))
		f->vmid = -1;
}

/*
 * Two mappings of one storage. With LVM data, the one whose uuid LVM knows is the
 * LV's own and the other is the copy; without it nobody can tell, so neither side
 * is named for removal.
 */
static bool alias_verdict(const struct cctx *c, struct dev_finding *f)
{
	const struct state *st = c->st;
	const char *other = st->devs[f->dup_of[0]].name;

	if (!st->have_lvm) {
		set_verdict(f, CLASS_DUPLICATE, "unresolved", SEV_CRITICAL,
			    xasprintf("maps the same storage as %s; LVM could not be read, so which "
				      "of them is the LV's own mapping is unknown", other), NULL);
	} else if (!is_rightful(c, f->dev)) {
		set_verdict(f, CLASS_DUPLICATE, NULL, SEV_CRITICAL,
			    xasprintf("maps the same storage as %s, which LVM owns; remove this "
				      "copy once its open count is 0", other),
			    cmd_dm_remove(f->dev));
	} else {
		return false;
	}
	if (f->lv && pve_volume_vmid(f->lv, PVE_STORAGE_OTHER, &f->vmid))
		f->volume = xstrdup(f->lv);
	else
		f->vmid = -1;
	return true;
}

/*
 * The mapping's LV is the one its uuid names, whatever the dm name says: a mapping
 * named vm-999-disk-0 with the uuid of pve/vm-103-disk-0 is that LV.
 */
static void name_from_lv(struct dev_finding *f, const struct lvm_lv *lv)
{
	if (f->vg && !strcmp(f->vg, lv->vg_name) && !strcmp(f->lv, lv->lv_name))
		return;
	free(f->vg);
	free(f->lv);
	f->vg = xstrdup(lv->vg_name);
	f->lv = xstrdup(lv->lv_name);
	f->renamed = true;
}

static bool is_layer(const struct cctx *c, const struct dev_finding *f, bool lvm_uuid,
		     const char *ulayer, const struct lvm_lv *lv)
{
	return (lvm_uuid && ulayer[0]) || (f->layer && is_internal_layer(f->layer) && lvm_uuid) ||
	       is_internal_lv(lv) || is_partition(c, f->dev);
}

static void classify_device(const struct cctx *c, struct report *r, size_t idx)
{
	const struct state *st = c->st;
	struct dev_finding *f = &r->devs[idx];
	const struct dm_dev *d = &st->devs[idx];
	char vgu[33], lvu[33], ulayer[32];
	const struct lvm_lv *lv = NULL;
	bool lvm_uuid;

	f->vmid = -1;
	lvm_uuid = parse_lvm_uuid(d->uuid, vgu, lvu, ulayer);
	split_lvm_name(d->name, &f->vg, &f->lv, &f->layer);
	if (st->have_lvm && lvm_uuid)
		lv = lv_by_uuid(c, vgu, lvu);

	/* 1. layers of something else */
	if (is_layer(c, f, lvm_uuid, ulayer, lv)) {
		set_verdict(f, CLASS_INTERNAL, NULL, SEV_OK,
			    xstrdup(is_partition(c, d) ? "partition mapping of another dm device"
						       : "layer of another device"), NULL);
		return;
	}
	/* 3. stale LVM mappings, judged before aliasing: the uuid says what they were */
	if (st->have_lvm && lvm_uuid && !lv) {
		stale_verdict(c, f, lvu);
		return;
	}
	if (lv)
		name_from_lv(f, lv);
	/* 2. aliasing someone else's storage */
	if (f->n_dup_of && alias_verdict(c, f))
		return;
	/* 4. guest volumes: the configs decide */
	if (f->lv && classify_guest_volume(c, f, lv ? lv : lv_by_name(c, f->vg, f->lv), lvm_uuid))
		return;
	/* 5. the rest */
	if (lvm_uuid)
		set_verdict(f, CLASS_VALID, NULL, SEV_OK, xstrdup(d->open_count > 0 ?
			    "LVM volume in use" : "LVM volume"), NULL);
	else
		set_verdict(f, CLASS_UNMANAGED, NULL, SEV_OK,
			    xasprintf("not made by LVM (%s)", d->n_table ? d->table[0].type : "no table"),
			    NULL);
}

/* ---- guests dashboard ---- */

static struct guest_finding *new_guest_finding(struct report *r, const struct pve_guest *g,
					       int vmid)
{
	struct guest_finding *gf = array_push(&r->guests, &r->n_guests, sizeof(*gf));

	gf->vmid = vmid;
	gf->health = "clean";
	if (g) {
		gf->type = g->type;
		gf->name = g->name;
		gf->node = g->node;
		gf->running = g->running;
	}
	return gf;
}

static int cmp_guest_finding(const void *a, const void *b)
{
	const struct guest_finding *x = a, *y = b;

	return x->vmid < y->vmid ? -1 : x->vmid > y->vmid;
}

/* Dashboard: this node's guests, plus any guest id a tombstone or duplicate names */
static void build_guests(const struct cctx *c, struct report *r)
{
	const struct state *st = c->st;
	size_t n_local;

	/* c->guests is in vmid order, so the local rows come out sorted */
	for (size_t i = 0; i < st->n_guests; i++) {
		const struct pve_guest *g = c->guests[i];

		if (!str_empty(st->node) && g->node && strcmp(g->node, st->node))
			continue;
		if (r->n_guests && r->guests[r->n_guests - 1].vmid == g->vmid)
			continue;
		new_guest_finding(r, g, g->vmid)->local = true;
	}
	n_local = r->n_guests;
	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *f = &r->devs[i];
		struct guest_finding key = { .vmid = f->vmid }, *gf;
		const struct pve_guest **same;
		size_t n_same;

		if (f->vmid < 0 || (f->cls != CLASS_TOMBSTONE && f->cls != CLASS_DUPLICATE))
			continue;
		gf = n_local ? bsearch(&key, r->guests, n_local, sizeof(*r->guests),
				       cmp_guest_finding) : NULL;
		for (size_t k = n_local; !gf && k < r->n_guests; k++)
			if (r->guests[k].vmid == f->vmid)
				gf = &r->guests[k];
		if (!gf) {
			same = guests_with(c, f->vmid, &n_same);
			gf = new_guest_finding(r, n_same ? same[0] : NULL, f->vmid);
		}
		if (f->cls == CLASS_DUPLICATE)
			gf->health = "duplicate";
		else if (strcmp(gf->health, "duplicate"))
			gf->health = "tombstone";
		*(char **)array_push(&gf->issues, &gf->n_issues, sizeof(char *)) =
			xasprintf("%s %s%s%s: %s", f->dev->name, class_str(f->cls),
				  f->reason ? "/" : "", f->reason ? f->reason : "", f->detail);
	}
	sort_items(r->guests, r->n_guests, sizeof(*r->guests), cmp_guest_finding);
}

static void count(struct report *r, enum severity s)
{
	if (s == SEV_WARNING)
		r->warnings++;
	else if (s == SEV_CRITICAL)
		r->criticals++;
}

void classify(const struct state *st, const struct classify_opts *o, struct report *r)
{
	struct cctx c;

	memset(r, 0, sizeof(*r));
	cctx_init(&c, st);
	r->st = st;
	r->opts = *o;
	r->n_devs = st->n_devs;
	r->devs = xcalloc(st->n_devs, sizeof(*r->devs));
	for (size_t i = 0; i < st->n_devs; i++)
		r->devs[i].dev = &st->devs[i];

	find_aliases(st, r);
	for (size_t i = 0; i < st->n_devs; i++) {
		struct dev_finding *f = &r->devs[i];

		classify_device(&c, r, i);
		if (f->renamed) {
			char *d = xasprintf("%s (the dm name says otherwise: its uuid is LV %s/%s's)",
					    f->detail, f->vg, f->lv);

			free(f->detail);
			f->detail = d;
		}
	}
	check_spaces(&c, o, r);
	build_guests(&c, r);
	cctx_free(&c);

	for (size_t i = 0; i < r->n_devs; i++) {
		r->n_class[r->devs[i].cls]++;
		count(r, r->devs[i].severity);
	}
	for (size_t i = 0; i < r->n_spaces; i++)
		count(r, r->spaces[i].severity);
	r->warnings += st->n_problems;
	r->grade = grade_for(r->warnings, r->criticals);
	r->exit_code = r->criticals ? 2 : r->warnings ? 1 : 0;
}
