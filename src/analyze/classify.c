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
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>
#include <stdarg.h>
#include "analyze/internal.h"
#include "model/dmstatus.h"
#include "collect/dm.h"
#include "collect/pve.h"
#include "lib/escape.h"
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
	o->warn_percent = FILL_WARN_PERCENT_DEFAULT;
	o->crit_percent = FILL_CRIT_PERCENT_DEFAULT;
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
	return dm_name_split(dmname, vg, lv, layer);
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

/* lvs prints uuids as 6-4-4-4-4-4-6 with dashes; dm uuids have none: 32 chars at most */
static void undash(char *out, const char *lvs_uuid)
{
	size_t k = 0;

	for (const char *u = lvs_uuid ? lvs_uuid : ""; *u && k < 32; u++)
		if (*u != '-')
			out[k++] = *u;
	out[k] = 0;
}

static void cctx_init(struct cctx *c, const struct state *st)
{
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->lvu = xcalloc(st->n_lvs, sizeof(*c->lvu));
	c->lvn = xcalloc(st->n_lvs, sizeof(*c->lvn));
	for (size_t i = 0; i < st->n_lvs; i++) {
		/* the LV uuid, then its VG's ("" when the state has none) */
		undash(c->lvu[i].uuid, st->lvs[i].lv_uuid);
		undash(c->lvu[i].uuid + strlen(c->lvu[i].uuid), st->lvs[i].vg_uuid);
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
	extent_index_init(&c->extents, st);
	refs_init(c);
}

static void cctx_free(struct cctx *c)
{
	free(c->lvu);
	free(c->lvn);
	free(c->devn);
	free(c->guests);
	extent_index_free(&c->extents);
	refs_free(c);
}

/*
 * An LV by the uuids in its dm uuid: LV uuids are unique, but a hand-made or copied
 * VG may repeat one, so the VG's uuid must match too (or be unknown to the state).
 */
const struct lvm_lv *lv_by_uuid(const struct cctx *c, const char *vg_uuid, const char *lv_uuid)
{
	struct uuid_ix key = {}, *hit;

	snprintf(key.uuid, sizeof(key.uuid), "%.32s%.32s", lv_uuid, vg_uuid);
	hit = bsearch(&key, c->lvu, c->st->n_lvs, sizeof(*c->lvu), cmp_uuid_ix);
	if (!hit) {
		snprintf(key.uuid, sizeof(key.uuid), "%.32s", lv_uuid);
		hit = bsearch(&key, c->lvu, c->st->n_lvs, sizeof(*c->lvu), cmp_uuid_ix);
	}
	return hit ? hit->lv : NULL;
}

const struct lvm_lv *lv_by_name(const struct cctx *c, const char *vg, const char *lv)
{
	struct lvm_lv key = { .vg_name = (char *)vg, .lv_name = (char *)lv };
	const struct lvm_lv *kp = &key, **hit;

	hit = bsearch(&kp, c->lvn, c->st->n_lvs, sizeof(*c->lvn), cmp_lv_name);
	return hit ? *hit : NULL;
}

ssize_t dev_index(const struct cctx *c, uint32_t major, uint32_t minor)
{
	struct dm_dev key = { .major = major, .minor = minor };
	const struct dm_dev *kp = &key, **hit;

	hit = bsearch(&kp, c->devn, c->st->n_devs, sizeof(*c->devn), cmp_dev_num);
	return hit ? *hit - c->st->devs : -1;
}

/* The guests with this vmid (one per node it has a config on): *n of them from the return */
const struct pve_guest **guests_with(const struct cctx *c, int vmid, size_t *n)
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

static int cmp_extent_pos(const void *a, const void *b)
{
	const struct lvm_extent *x = *(const struct lvm_extent *const *)a;
	const struct lvm_extent *y = *(const struct lvm_extent *const *)b;

	int pos = lvm_extent_cmp_pos(x, y);

	/* the same position twice (a crafted state): keep the saved order */
	return pos ? pos : (x < y ? -1 : x > y);
}

void extent_index_init(struct extent_index *ix, const struct state *st)
{
	ix->n = st->n_extents;
	ix->by_pos = xcalloc(ix->n, sizeof(*ix->by_pos));
	ix->end_max = xcalloc(ix->n, sizeof(*ix->end_max));
	for (size_t i = 0; i < ix->n; i++)
		ix->by_pos[i] = &st->extents[i];
	sort_items(ix->by_pos, ix->n, sizeof(*ix->by_pos), cmp_extent_pos);
	for (size_t i = 0; i < ix->n; i++) {
		const struct lvm_extent *x = ix->by_pos[i], *prev = i ? ix->by_pos[i - 1] : NULL;
		uint64_t end = x->start + x->length;

		if (prev && prev->pv_major == x->pv_major && prev->pv_minor == x->pv_minor &&
		    ix->end_max[i - 1] > end)
			end = ix->end_max[i - 1];
		ix->end_max[i] = end;
	}
}

void extent_index_free(struct extent_index *ix)
{
	free(ix->by_pos);
	free(ix->end_max);
	memset(ix, 0, sizeof(*ix));
}

/* The first extent (by position) on lower's PV that overlaps it, but for not_uuid's */
static const struct lvm_extent *extent_over(const struct extent_index *ix,
					    const struct dm_extent *lower, const char *not_uuid)
{
	const struct lvm_extent *found = NULL;
	uint64_t end = lower->offset + lower->length;
	size_t lo = 0, hi = ix->n;

	/* hi: the first extent at or after lower's end on its PV, or past its PV */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lvm_extent *x = ix->by_pos[mid];

		if (x->pv_major < lower->major ||
		    (x->pv_major == lower->major && (x->pv_minor < lower->minor ||
		     (x->pv_minor == lower->minor && x->start < end))))
			lo = mid + 1;
		else
			hi = mid;
	}
	/* back while an extent that starts earlier may still reach into it */
	for (size_t i = hi; i-- > 0;) {
		const struct lvm_extent *x = ix->by_pos[i];

		if (x->pv_major != lower->major || x->pv_minor != lower->minor ||
		    ix->end_max[i] <= lower->offset)
			break;
		if (x->start + x->length > lower->offset &&
		    !(not_uuid && lvm_uuid_eq(x->lv_uuid, not_uuid)))
			found = x;
	}
	return found;
}

const struct lvm_extent *lvm_extent_owner(const struct extent_index *ix, const struct dm_line *table,
					  size_t n_table, const char *not_uuid)
{
	for (size_t t = 0; t < n_table; t++) {
		struct dm_extent lower[16];
		int n = table_lower_extents(table[t].type, table[t].params, table[t].length,
					    lower, ARRAY_SIZE(lower));

		for (int k = 0; k < n; k++) {
			const struct lvm_extent *x = extent_over(ix, &lower[k], not_uuid);

			if (x)
				return x;
		}
	}
	return NULL;
}

/* ---- per device ---- */

void set_verdict(struct dev_finding *f, enum dev_class cls, const char *reason,
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

char *shell_cmd(const char *arg0, ...)
{
	char *line = shell_quoted(arg0), *q, *longer;
	const char *arg;
	va_list ap;

	va_start(ap, arg0);
	while ((arg = va_arg(ap, const char *))) {
		q = shell_quoted(arg);
		longer = xasprintf("%s %s", line, q);
		free(q);
		free(line);
		line = longer;
	}
	va_end(ap);
	return line;
}

/* dmsetup would mangle a name stored unmangled and then not find it */
char *cmd_dm_remove(const struct dm_dev *d)
{
	const char *mangling = d->name_unmangled ? "--manglename" : NULL;

	if (d->name[0] == '-')
		return mangling ? shell_cmd("dmsetup", mangling, "none", "remove", "--", d->name, NULL)
				: shell_cmd("dmsetup", "remove", "--", d->name, NULL);
	return mangling ? shell_cmd("dmsetup", mangling, "none", "remove", d->name, NULL)
			: shell_cmd("dmsetup", "remove", d->name, NULL);
}

char *cmd_lv(const char *verb, const char *vg, const char *lv)
{
	char *path = xasprintf("%s/%s", vg, lv);
	char *cmd = shell_cmd("lvchange", verb, path, NULL);

	free(path);
	return cmd;
}

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
