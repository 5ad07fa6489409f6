// SPDX-License-Identifier: GPL-2.0
/*
 * scan's verdicts. Pure: a state in, findings out.
 *
 * Order of questions for each dm device:
 *   1. Is it a layer of something else (LVM layer uuid/name, hidden pool LV,
 *      kpartx partition)?                        -> internal
 *   2. Does it alias storage another active mapping owns (overlapping extents on the
 *      same lower device, or the same thin id in the same pool)? Stale mappings
 *      are judged by 3 first.                     -> duplicate
 *   3. Is its LVM uuid gone from LVM metadata, or does the LV now carry another
 *      uuid?                                      -> tombstone/stale
 *   4. Is it a guest volume (vm-<id>-disk-<n> ...)? Then the cluster's guest
 *      configs decide: valid, or tombstone no-guest / unreferenced / other-node.
 *   5. Otherwise an LVM LV is valid, anything else is unmanaged.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>
#include <libdevmapper.h>
#include "analyze/classify.h"
#include "model/dmstatus.h"
#include "collect/pve.h"
#include "lib/util.h"

static const char *class_names[] = {
	[CLASS_VALID] = "valid", [CLASS_INTERNAL] = "internal", [CLASS_TOMBSTONE] = "tombstone",
	[CLASS_DUPLICATE] = "duplicate", [CLASS_UNMANAGED] = "unmanaged",
};
static const char *severity_names[] = {
	[SEV_OK] = "ok", [SEV_WARNING] = "warning", [SEV_CRITICAL] = "critical",
};

const char *class_str(enum dev_class c)
{
	return class_names[c];
}

const char *severity_str(enum severity s)
{
	return severity_names[s];
}

void classify_opts_default(struct classify_opts *o)
{
	o->warn_percent = 80.0;
	o->crit_percent = 95.0;
}

const char *grade_for(size_t warnings, size_t criticals)
{
	if (criticals)
		return "F";
	if (!warnings)
		return "A+";
	if (warnings <= 5)
		return "B";
	if (warnings <= 20)
		return "C";
	if (warnings <= 50)
		return "D";
	return "F";
}

bool split_lvm_name(const char *dmname, char **vg, char **lv, char **layer)
{
	char *buf = xstrdup(dmname), *v = buf, *l = NULL, *y = NULL;
	bool ok;

	/* with no pool, dm_split_lvm_name() splits the writable copy in *vgname in place */
	ok = dm_split_lvm_name(NULL, NULL, &v, &l, &y) && l && *l && *v;
	if (ok) {
		*vg = xstrdup(v);
		*lv = xstrdup(l);
		*layer = xstrdup(y ? y : "");
	}
	free(buf);
	return ok;
}

bool parse_lvm_uuid(const char *uuid, char *vg_uuid, char *lv_uuid, char *layer)
{
	size_t len;

	if (!str_has_prefix(uuid, "LVM-"))
		return false;
	uuid += 4;
	len = strlen(uuid);
	if (len < 64 || (len > 64 && uuid[64] != '-') || len > 64 + 31)
		return false;
	for (int i = 0; i < 64; i++)
		if (!isalnum((unsigned char)uuid[i]))
			return false;
	memcpy(vg_uuid, uuid, 32);
	vg_uuid[32] = 0;
	memcpy(lv_uuid, uuid + 32, 32);
	lv_uuid[32] = 0;
	strcpy(layer, len > 64 ? uuid + 65 : "");
	return true;
}

bool lvm_uuid_eq(const char *lvs_uuid, const char *plain)
{
	size_t j = 0;

	for (size_t i = 0; lvs_uuid[i]; i++) {
		if (lvs_uuid[i] == '-')
			continue;
		if (lvs_uuid[i] != plain[j++])
			return false;
	}
	return plain[j] == 0;
}

/*
 * Lookups classification does per device, indexed once so a node with 10,000
 * devices and LVs costs n log n, not n squared.
 */
struct uuid_ix {
	char uuid[33];		/* without dashes */
	const struct lvm_lv *lv;
};

struct cctx {
	const struct state *st;
	struct uuid_ix *lvu;			/* by uuid */
	const struct lvm_lv **lvn;		/* by vg, name */
	const struct dm_dev **devn;		/* by major, minor */
	const struct pve_guest **guests;	/* by vmid */
};

static int cmp_uuid_ix(const void *a, const void *b)
{
	return strcmp(((const struct uuid_ix *)a)->uuid, ((const struct uuid_ix *)b)->uuid);
}

static int cmp_lv_name(const void *a, const void *b)
{
	const struct lvm_lv *x = *(const struct lvm_lv **)a, *y = *(const struct lvm_lv **)b;
	int r = strcmp(x->vg_name, y->vg_name);

	return r ? r : strcmp(x->lv_name, y->lv_name);
}

static int cmp_dev_num(const void *a, const void *b)
{
	const struct dm_dev *x = *(const struct dm_dev **)a, *y = *(const struct dm_dev **)b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

static int cmp_guest_vmid(const void *a, const void *b)
{
	const struct pve_guest *x = *(const struct pve_guest **)a, *y = *(const struct pve_guest **)b;

	return x->vmid < y->vmid ? -1 : x->vmid > y->vmid;
}

static void cctx_init(struct cctx *c, const struct state *st)
{
	c->st = st;
	c->lvu = xcalloc(st->n_lvs, sizeof(*c->lvu));
	c->lvn = xcalloc(st->n_lvs, sizeof(*c->lvn));
	for (size_t i = 0; i < st->n_lvs; i++) {
		size_t k = 0;

		/* lvs prints uuids as 6-4-4-4-4-4-6 with dashes; dm uuids have none */
		for (const char *u = st->lvs[i].lv_uuid; *u && k < 32; u++)
			if (*u != '-')
				c->lvu[i].uuid[k++] = *u;
		c->lvu[i].lv = &st->lvs[i];
		c->lvn[i] = &st->lvs[i];
	}
	sort_items(c->lvu, st->n_lvs, sizeof(*c->lvu), cmp_uuid_ix);
	sort_items(c->lvn, st->n_lvs, sizeof(*c->lvn), cmp_lv_name);
	c->devn = xcalloc(st->n_devs, sizeof(*c->devn));
	for (size_t i = 0; i < st->n_devs; i++)
		c->devn[i] = &st->devs[i];
	sort_items(c->devn, st->n_devs, sizeof(*c->devn), cmp_dev_num);
	c->guests = xcalloc(st->n_guests, sizeof(*c->guests));
	for (size_t i = 0; i < st->n_guests; i++)
		c->guests[i] = &st->guests[i];
	sort_items(c->guests, st->n_guests, sizeof(*c->guests), cmp_guest_vmid);
}

static void cctx_free(struct cctx *c)
{
	free(c->lvu);
	free(c->lvn);
	free(c->devn);
	free(c->guests);
}

static const struct lvm_lv *lv_by_uuid(const struct cctx *c, const char *plain_uuid)
{
	struct uuid_ix key = {}, *hit;

	snprintf(key.uuid, sizeof(key.uuid), "%s", plain_uuid);
	hit = bsearch(&key, c->lvu, c->st->n_lvs, sizeof(*c->lvu), cmp_uuid_ix);
	return hit ? hit->lv : NULL;
}

static const struct lvm_lv *lv_by_name(const struct cctx *c, const char *vg, const char *lv)
{
	struct lvm_lv key = { .vg_name = (char *)vg, .lv_name = (char *)lv };
	const struct lvm_lv *kp = &key, **hit;

	hit = bsearch(&kp, c->lvn, c->st->n_lvs, sizeof(*c->lvn), cmp_lv_name);
	return hit ? *hit : NULL;
}

static ssize_t dev_index(const struct cctx *c, uint32_t major, uint32_t minor)
{
	struct dm_dev key = { .major = major, .minor = minor };
	const struct dm_dev *kp = &key, **hit;

	hit = bsearch(&kp, c->devn, c->st->n_devs, sizeof(*c->devn), cmp_dev_num);
	return hit ? *hit - c->st->devs : -1;
}

/* The guests with this vmid (one per node it has a config on): *n of them from the return */
static const struct pve_guest **guests_with(const struct cctx *c, int vmid, size_t *n)
{
	struct pve_guest key = { .vmid = vmid };
	const struct pve_guest *kp = &key, **hit, **end = c->guests + c->st->n_guests;

	*n = 0;
	hit = bsearch(&kp, c->guests, c->st->n_guests, sizeof(*c->guests), cmp_guest_vmid);
	if (!hit)
		return NULL;
	while (hit > c->guests && hit[-1]->vmid == vmid)
		hit--;
	while (hit + *n < end && hit[*n]->vmid == vmid)
		(*n)++;
	return hit;
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

/* ---- aliasing ---- */

struct alias_extent {
	uint32_t major, minor;
	uint64_t start, end;	/* sectors, end exclusive */
	size_t dev;		/* index into st->devs */
};

static int cmp_alias_extent(const void *a, const void *b)
{
	const struct alias_extent *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

static void add_dup(struct dev_finding *f, size_t other)
{
	for (size_t i = 0; i < f->n_dup_of; i++)
		if (f->dup_of[i] == other)
			return;
	*(size_t *)array_push(&f->dup_of, &f->n_dup_of, sizeof(size_t)) = other;
}

/* true if a stacks on b (b is among a's deps) */
static bool stacks_on(const struct dm_dev *a, const struct dm_dev *b)
{
	for (size_t i = 0; i < a->n_deps; i++)
		if (major(a->deps[i]) == b->major && minor(a->deps[i]) == b->minor)
			return true;
	return false;
}

/*
 * Every pair of devices whose linear/striped tables map overlapping sectors of the
 * same lower device, or whose thin tables name the same (pool, dev id), alias each
 * other. Sorting extents makes this O(n log n) plus the overlaps themselves.
 */
static void find_aliases(const struct state *st, struct report *r)
{
	struct alias_extent *ext = NULL;
	size_t n_ext = 0;

	for (size_t i = 0; i < st->n_devs; i++) {
		const struct dm_dev *d = &st->devs[i];

		for (size_t t = 0; t < d->n_table; t++) {
			struct dm_extent lower[16];
			uint32_t pmaj, pmin;
			uint64_t id;
			int n;

			if (!strcmp(d->table[t].type, "thin")) {
				struct alias_extent *x;

				if (parse_thin_table(d->table[t].params, &pmaj, &pmin, &id))
					continue;
				/* a thin id is a one-sector "extent" of its pool */
				x = array_push(&ext, &n_ext, sizeof(*x));
				*x = (struct alias_extent){ pmaj, pmin | 0x80000000u, id, id + 1, i };
				continue;
			}
			n = table_lower_extents(d->table[t].type, d->table[t].params,
						d->table[t].length, lower, ARRAY_SIZE(lower));
			for (int k = 0; k < n; k++) {
				struct alias_extent *x = array_push(&ext, &n_ext, sizeof(*x));

				*x = (struct alias_extent){ lower[k].major, lower[k].minor,
					lower[k].offset, lower[k].offset + lower[k].length, i };
			}
		}
	}
	sort_items(ext, n_ext, sizeof(*ext), cmp_alias_extent);
	for (size_t a = 0; a < n_ext; a++) {
		for (size_t b = a + 1; b < n_ext; b++) {
			const struct dm_dev *da, *db;

			if (ext[b].major != ext[a].major || ext[b].minor != ext[a].minor ||
			    ext[b].start >= ext[a].end)
				break;
			if (ext[a].dev == ext[b].dev)
				continue;
			da = &st->devs[ext[a].dev];
			db = &st->devs[ext[b].dev];
			if (stacks_on(da, db) || stacks_on(db, da))
				continue;
			add_dup(&r->devs[ext[a].dev], ext[b].dev);
			add_dup(&r->devs[ext[b].dev], ext[a].dev);
		}
	}
	free(ext);
}

/*
 * Does the device own what it maps? An LVM mapping whose LV (by uuid) is in LVM
 * metadata is the rightful owner; a copy without uuid, or with a uuid LVM no longer
 * knows, is the intruder.
 */
static bool is_rightful(const struct cctx *c, const struct dm_dev *d)
{
	char vgu[33], lvu[33], layer[32];

	return c->st->have_lvm && parse_lvm_uuid(d->uuid, vgu, lvu, layer) && lv_by_uuid(c, lvu);
}

/* Which LV owns sectors of a PV now, other than `not_uuid` */
static const struct lvm_extent *extent_owner(const struct state *st, const struct dm_dev *d,
					     const char *not_uuid)
{
	for (size_t t = 0; t < d->n_table; t++) {
		struct dm_extent lower[16];
		int n = table_lower_extents(d->table[t].type, d->table[t].params,
					    d->table[t].length, lower, ARRAY_SIZE(lower));

		for (int k = 0; k < n; k++) {
			for (size_t e = 0; e < st->n_extents; e++) {
				const struct lvm_extent *x = &st->extents[e];

				if (x->pv_major != lower[k].major || x->pv_minor != lower[k].minor)
					continue;
				if (x->start >= lower[k].offset + lower[k].length ||
				    lower[k].offset >= x->start + x->length)
					continue;
				if (not_uuid && lvm_uuid_eq(x->lv_uuid, not_uuid))
					continue;
				return x;
			}
		}
	}
	return NULL;
}

/* ---- Proxmox ---- */

/* storage ids that can hold LV `lv` of VG `vg`; case-insensitive id fallback only
 * when storage.cfg has no stanza for the VG at all (seed 000's T1-HA07 vs t1--ha07) */
static const struct pve_storage *storage_for(const struct state *st, const char *vg,
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

static bool storage_matches(const char *ref_storage, const struct pve_storage *s, const char *vg)
{
	if (s)
		return !strcmp(ref_storage, s->id) || !strcasecmp(ref_storage, s->id);
	/* no storage.cfg stanza: compare the id with the VG name, case-insensitively */
	return !strcasecmp(ref_storage, vg);
}

/* thin snapshot "snap_<volume>_<snapname>": referenced if the guest has that snapshot */
static bool snapshot_volume_referenced(const struct pve_guest *g, const char *volume)
{
	for (size_t i = 0; i < g->n_refs; i++) {
		const struct pve_volref *ref = &g->refs[i];
		size_t vl = strlen(ref->volume);

		if (!ref->snapshot)
			continue;
		if (!strncmp(volume, "snap_", 5) && !strncmp(volume + 5, ref->volume, vl) &&
		    volume[5 + vl] == '_' && !strcmp(volume + 6 + vl, ref->snapshot))
			return true;
	}
	return false;
}

static bool guest_references(const struct pve_guest *g, const struct pve_storage *s,
			     const char *vg, const char *volume)
{
	for (size_t i = 0; i < g->n_refs; i++)
		if (!strcmp(g->refs[i].volume, volume) && storage_matches(g->refs[i].storage, s, vg))
			return true;
	return snapshot_volume_referenced(g, volume);
}

/* ---- per device ---- */

static void set_verdict(struct dev_finding *f, enum dev_class cls, const char *reason,
			enum severity sev, char *detail, char *remedy)
{
	f->cls = cls;
	f->reason = reason;
	f->severity = sev;
	free(f->detail);
	free(f->remedy);
	f->detail = detail;
	f->remedy = remedy;
}

static void classify_guest_volume(const struct cctx *c, struct dev_finding *f,
				  const struct lvm_lv *lv)
{
	const struct state *st = c->st;
	const struct pve_storage *s = storage_for(st, f->vg, lv);
	const struct pve_guest *here = NULL, *elsewhere = NULL, *g, **same;
	const char *name = f->dev->name;
	size_t n_same;

	if (s)
		f->storage = xstrdup(s->id);
	f->volume = xstrdup(f->lv);
	same = guests_with(c, f->vmid, &n_same);
	for (size_t i = 0; i < n_same; i++) {
		g = same[i];
		f->has_guest = true;
		f->guest_type = g->type;
		if (!str_empty(st->node) && g->node && strcmp(g->node, st->node))
			elsewhere = g;
		else
			here = g;
	}
	g = here ? here : elsewhere;
	if (!g) {
		set_verdict(f, CLASS_TOMBSTONE, "no-guest", SEV_WARNING,
			    xasprintf("no guest %d anywhere in the cluster", f->vmid),
			    lv ? xasprintf("lvchange -an %s/%s  (orphan LV; lvremove once nothing needs it)",
					   f->vg, f->lv)
			       : xasprintf("dmsetup remove %s", name));
		return;
	}
	if (!guest_references(g, s, f->vg, f->volume) && g->config_error) {
		/* a config we could not fully read proves nothing: no verdict on its disks */
		set_verdict(f, CLASS_VALID, NULL, SEV_OK,
			    xasprintf("guest %d's config could not be fully read; not judged", f->vmid),
			    NULL);
		return;
	}
	if (!guest_references(g, s, f->vg, f->volume)) {
		set_verdict(f, CLASS_TOMBSTONE, "unreferenced", SEV_WARNING,
			    xasprintf("guest %d exists but no config line or snapshot references %s:%s",
				      f->vmid, s ? s->id : f->vg, f->volume),
			    lv ? xasprintf("qm disk rescan --vmid %d (adds it as unused), or lvchange -an %s/%s",
					   f->vmid, f->vg, f->lv)
			       : xasprintf("dmsetup remove %s", name));
		return;
	}
	if (g == elsewhere) {
		set_verdict(f, CLASS_TOMBSTONE, "other-node", SEV_WARNING,
			    xasprintf("guest %d lives on node %s but its volume is active here",
				      f->vmid, g->node),
			    xasprintf("lvchange -an %s/%s  (on this node only; the guest runs on %s)",
				      f->vg, f->lv, g->node));
		return;
	}
	set_verdict(f, CLASS_VALID, NULL, SEV_OK,
		    xasprintf("%s %d references %s:%s", g->type == GUEST_LXC ? "CT" : "VM",
			      f->vmid, s ? s->id : f->vg, f->volume), NULL);
}

static void classify_device(const struct cctx *c, struct report *r, size_t idx)
{
	const struct state *st = c->st;
	struct dev_finding *f = &r->devs[idx];
	const struct dm_dev *d = &st->devs[idx];
	char vgu[33], lvu[33], ulayer[32];
	const struct lvm_lv *lv = NULL, *by_name;
	const struct lvm_extent *owner;
	bool lvm_uuid;

	f->vmid = -1;
	lvm_uuid = parse_lvm_uuid(d->uuid, vgu, lvu, ulayer);
	split_lvm_name(d->name, &f->vg, &f->lv, &f->layer);
	if (st->have_lvm && lvm_uuid)
		lv = lv_by_uuid(c, lvu);

	/* 1. layers of something else */
	if ((lvm_uuid && ulayer[0]) || (f->layer && is_internal_layer(f->layer) && lvm_uuid) ||
	    is_internal_lv(lv) || is_partition(c, d)) {
		set_verdict(f, CLASS_INTERNAL, NULL, SEV_OK,
			    xstrdup(is_partition(c, d) ? "partition mapping of another dm device"
						       : "layer of another device"), NULL);
		return;
	}

	/* 3. stale LVM mappings, judged before aliasing: the uuid says what they were */
	if (st->have_lvm && lvm_uuid && !lv) {
		by_name = f->vg ? lv_by_name(c, f->vg, f->lv) : NULL;
		owner = extent_owner(st, d, lvu);
		if (owner)
			set_verdict(f, CLASS_TOMBSTONE, "stale", SEV_CRITICAL,
				    xasprintf("LV uuid %s is gone from LVM metadata and the mapping "
					      "covers extents now owned by %s/%s", lvu,
					      owner->vg_name, owner->lv_name),
				    xasprintf("dmsetup remove %s now (check open count first): writes "
					      "through it corrupt %s/%s", d->name, owner->vg_name,
					      owner->lv_name));
		else
			set_verdict(f, CLASS_TOMBSTONE, "stale", SEV_WARNING,
				    by_name ? xasprintf("%s/%s now has another uuid; this mapping is "
							"left from an earlier LV", f->vg, f->lv)
					    : xasprintf("LV uuid %s is gone from LVM metadata", lvu),
				    xasprintf("dmsetup remove %s", d->name));
		if (f->lv)
			pve_volume_vmid(f->lv, &f->vmid);
		return;
	}

	/* 2. aliasing someone else's storage */
	if (f->n_dup_of && !is_rightful(c, d)) {
		const char *other = st->devs[f->dup_of[0]].name;

		set_verdict(f, CLASS_DUPLICATE, NULL, SEV_CRITICAL,
			    xasprintf("maps the same storage as %s", other),
			    xasprintf("dmsetup remove %s  (after `dmsetup info %s` shows open count 0)",
				      d->name, d->name));
		if (f->lv)
			pve_volume_vmid(f->lv, &f->vmid);
		if (f->vmid >= 0)
			f->volume = xstrdup(f->lv);
		return;
	}

	/* 4. guest volumes */
	if (f->lv && pve_volume_vmid(f->lv, &f->vmid)) {
		if (st->have_pve && (lvm_uuid || !st->have_lvm || lv_by_name(c, f->vg, f->lv))) {
			classify_guest_volume(c, f, lv ? lv : lv_by_name(c, f->vg, f->lv));
			return;
		}
		if (!lvm_uuid && st->have_pve) {
			/* a guest-volume name made by hand, with no LV behind it */
			set_verdict(f, CLASS_TOMBSTONE, "stale", SEV_WARNING,
				    xasprintf("named like a guest volume but no LV %s/%s exists",
					      f->vg, f->lv),
				    xasprintf("dmsetup remove %s", d->name));
			return;
		}
		set_verdict(f, CLASS_VALID, NULL, SEV_OK,
			    xstrdup("guest volume (no Proxmox config to check against)"), NULL);
		return;
	}

	/* 5. the rest */
	if (lvm_uuid)
		set_verdict(f, CLASS_VALID, NULL, SEV_OK, xstrdup(d->open_count > 0 ?
			    "LVM volume in use" : "LVM volume"), NULL);
	else
		set_verdict(f, CLASS_UNMANAGED, NULL, SEV_OK,
			    xasprintf("not made by LVM (%s)", d->n_table ? d->table[0].type : "no table"),
			    NULL);
}

/* ---- snapshots, pools, multipath ---- */

static enum severity percent_severity(double pct, const struct classify_opts *o)
{
	if (isnan(pct))
		return SEV_OK;
	if (pct >= o->crit_percent)
		return SEV_CRITICAL;
	if (pct >= o->warn_percent)
		return SEV_WARNING;
	return SEV_OK;
}

static enum severity max_sev(enum severity a, enum severity b)
{
	return a > b ? a : b;
}

static char *lv_label(const struct dev_finding *f, const char *fallback)
{
	return f->vg ? xasprintf("%s/%s", f->vg, f->lv) : xstrdup(fallback);
}

static struct space_finding *new_space(struct report *r, const struct dev_finding *f,
				       const char *kind)
{
	struct space_finding *s = array_push(&r->spaces, &r->n_spaces, sizeof(*s));

	s->name = xstrdup(f->dev->name);
	s->lv = lv_label(f, f->dev->name);
	s->kind = kind;
	s->used_percent = NAN;
	s->metadata_percent = NAN;
	return s;
}

static void check_snapshot(const struct cctx *c, const struct classify_opts *o,
			   struct report *r, const struct dev_finding *f, const struct dm_line *l)
{
	struct snapshot_status ss;
	struct space_finding *s;
	uint32_t omaj, omin, cmaj, cmin;
	ssize_t oi;

	s = new_space(r, f, "lvm-snapshot");
	for (size_t t = 0; t < f->dev->n_table; t++) {
		if (strcmp(f->dev->table[t].type, "snapshot") ||
		    parse_snapshot_table(f->dev->table[t].params, &omaj, &omin, &cmaj, &cmin))
			continue;
		oi = dev_index(c, omaj, omin);
		if (oi >= 0 && r->devs[oi].vg)
			s->origin = xasprintf("%s/%s", r->devs[oi].vg, r->devs[oi].lv);
	}
	if (parse_snapshot_status(l->params, &ss)) {
		s->state = "unknown";
		s->severity = SEV_WARNING;
		s->detail = xasprintf("unreadable snapshot status \"%s\"", l->params);
		return;
	}
	s->state = snapshot_state_str(ss.state);
	if (ss.state != SNAP_ACTIVE) {
		s->severity = SEV_CRITICAL;
		s->used_percent = ss.state == SNAP_INVALID ? 100.0 : NAN;
		s->detail = xasprintf("snapshot %s is %s: reads from it fail with I/O errors",
				      s->lv, s->state);
		s->remedy = xasprintf("lvremove %s  (an invalid snapshot cannot be read back; "
				      "retake it with a larger COW, e.g. lvcreate -s -L<more>)", s->lv);
		return;
	}
	s->used_bytes = ss.allocated * 512;
	s->total_bytes = ss.total * 512;
	s->used_percent = ss.total ? 100.0 * ss.allocated / ss.total : 0;
	s->severity = percent_severity(s->used_percent, o);
	s->detail = xasprintf("COW %.1f%% used (%.1f of %.1f MiB)", s->used_percent,
			      ss.allocated / 2048.0, ss.total / 2048.0);
	if (s->severity)
		s->remedy = xasprintf("lvextend -L+%lluM %s  (or finish the backup and lvremove it "
				      "before the COW reaches 100%% and the snapshot turns Invalid)",
				      (unsigned long long)(ss.total / 2048 ? ss.total / 2048 : 1), s->lv);
}

/* data in blocks of the table's size, metadata in 4 KiB blocks (dm-thin's fixed size) */
static void set_thin_pool_bytes(struct space_finding *s, const struct dm_dev *d,
				const struct thin_pool_status *ps)
{
	uint64_t bs;

	for (size_t t = 0; t < d->n_table; t++) {
		if (strcmp(d->table[t].type, "thin-pool") ||
		    parse_thin_pool_table(d->table[t].params, &bs))
			continue;
		s->total_bytes = ps->total_data * bs * 512;
		s->used_bytes = ps->used_data * bs * 512;
	}
	s->metadata_total_bytes = ps->total_meta * 4096;
	s->metadata_used_bytes = ps->used_meta * 4096;
}

static void check_thin_pool(const struct classify_opts *o, struct report *r,
			    const struct dev_finding *f, const struct dm_line *l)
{
	struct thin_pool_status ps;
	struct space_finding *s;
	enum severity sev_data, sev_meta;
	char *pool;

	s = new_space(r, f, "thin-pool");
	/* the thin-pool target sits on the "-tpool" layer; name the pool LV */
	free(s->lv);
	s->lv = lv_label(f, f->dev->name);
	pool = s->lv;
	if (parse_thin_pool_status(l->params, &ps)) {
		s->state = "unknown";
		s->severity = SEV_WARNING;
		s->detail = xasprintf("unreadable thin-pool status \"%s\"", l->params);
		return;
	}
	s->state = pool_mode_str(ps.mode);
	s->needs_check = ps.needs_check;
	if (ps.mode == POOL_FAIL || ps.mode == POOL_ERROR) {
		s->severity = SEV_CRITICAL;
		s->detail = xasprintf("thin pool %s has failed", pool);
		s->remedy = xasprintf("lvchange -an the pool's thin volumes, then lvconvert --repair %s "
				      "(thin_check/thin_repair)", pool);
		return;
	}
	s->used_percent = ps.total_data ? 100.0 * ps.used_data / ps.total_data : 0;
	s->metadata_percent = ps.total_meta ? 100.0 * ps.used_meta / ps.total_meta : 0;
	set_thin_pool_bytes(s, f->dev, &ps);
	sev_data = percent_severity(s->used_percent, o);
	sev_meta = percent_severity(s->metadata_percent, o);
	s->severity = max_sev(sev_data, sev_meta);
	s->detail = xasprintf("data %.1f%%, metadata %.1f%%, mode %s%s", s->used_percent,
			      s->metadata_percent, s->state, ps.needs_check ? ", needs_check" : "");
	if (ps.needs_check) {
		s->severity = SEV_CRITICAL;
		s->remedy = xasprintf("deactivate the thin volumes of %s (lvchange -an), then "
				      "lvconvert --repair %s; extend metadata first if it is full", pool, pool);
	} else if (ps.mode != POOL_RW) {
		s->severity = SEV_CRITICAL;
		s->remedy = sev_meta >= sev_data ?
			xasprintf("lvextend --poolmetadatasize +1G %s  (metadata full: pool went %s)",
				  pool, s->state) :
			xasprintf("lvextend -L+10G %s  (data full: pool is %s)", pool, s->state);
	} else if (sev_meta && sev_meta >= sev_data) {
		s->remedy = xasprintf("lvextend --poolmetadatasize +1G %s  (metadata at %.1f%%: "
				      "a full metadata device turns the pool read-only)", pool,
				      s->metadata_percent);
	} else if (sev_data) {
		s->remedy = xasprintf("lvextend -L+10G %s, or set thin_pool_autoextend_threshold "
				      "in lvm.conf", pool);
	}
}

static void check_multipath(struct report *r, const struct dev_finding *f, const struct dm_line *l)
{
	struct multipath_status ms;
	struct space_finding *s;

	if (parse_multipath_status(l->params, &ms) || !ms.n_paths)
		return;
	s = new_space(r, f, "multipath");
	s->n_paths = ms.n_paths;
	s->n_failed_paths = ms.n_failed;
	s->state = ms.n_failed == ms.n_paths ? "all-paths-failed" :
		   ms.n_failed ? "degraded" : "active";
	s->severity = ms.n_failed == ms.n_paths ? SEV_CRITICAL : ms.n_failed ? SEV_WARNING : SEV_OK;
	s->detail = xasprintf("%d of %d paths failed%s%s", ms.n_failed, ms.n_paths,
			      ms.n_failed ? ": " : "", ms.failed_paths);
	if (s->severity)
		s->remedy = xasprintf("multipath -ll %s; check cabling/SAN for %s", f->dev->name,
				      ms.failed_paths);
}

static void check_spaces(const struct cctx *c, const struct classify_opts *o, struct report *r)
{
	const struct state *st = c->st;

	for (size_t i = 0; i < st->n_devs; i++) {
		const struct dm_dev *d = &st->devs[i];

		for (size_t t = 0; t < d->n_status; t++) {
			const struct dm_line *l = &d->status[t];

			if (!strcmp(l->type, "snapshot"))
				check_snapshot(c, o, r, &r->devs[i], l);
			else if (!strcmp(l->type, "thin-pool"))
				check_thin_pool(o, r, &r->devs[i], l);
			else if (!strcmp(l->type, "multipath"))
				check_multipath(r, &r->devs[i], l);
		}
	}
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
	for (size_t i = 0; i < st->n_devs; i++)
		classify_device(&c, r, i);
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

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n_devs; i++) {
		struct dev_finding *f = &r->devs[i];

		free(f->vg);
		free(f->lv);
		free(f->layer);
		free(f->storage);
		free(f->volume);
		free(f->dup_of);
		free(f->detail);
		free(f->remedy);
	}
	free(r->devs);
	for (size_t i = 0; i < r->n_spaces; i++) {
		free(r->spaces[i].name);
		free(r->spaces[i].lv);
		free(r->spaces[i].origin);
		free(r->spaces[i].detail);
		free(r->spaces[i].remedy);
	}
	free(r->spaces);
	for (size_t i = 0; i < r->n_guests; i++) {
		for (size_t k = 0; k < r->guests[i].n_issues; k++)
			free(r->guests[i].issues[k]);
		free(r->guests[i].issues);
	}
	free(r->guests);
	memset(r, 0, sizeof(*r));
}
