// SPDX-License-Identifier: GPL-2.0
/*
 * The state model's lifetime and its JSON form (scan --save-state / --state).
 * The JSON is a plain dump of struct state; loading validates every field's type
 * so a hand-edited or truncated file gives a one-line reason, not a crash.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "state.h"
#include "util.h"

static void dm_lines_free(struct dm_line *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].type);
		free(l[i].params);
	}
	free(l);
}

void state_free(struct state *st)
{
	size_t i, j;

	for (i = 0; i < st->n_devs; i++) {
		struct dm_dev *d = &st->devs[i];

		free(d->name);
		free(d->uuid);
		dm_lines_free(d->table, d->n_table);
		dm_lines_free(d->status, d->n_status);
		free(d->deps);
	}
	free(st->devs);
	for (i = 0; i < st->n_lvs; i++) {
		struct lvm_lv *lv = &st->lvs[i];

		free(lv->vg_name);
		free(lv->lv_name);
		free(lv->vg_uuid);
		free(lv->lv_uuid);
		free(lv->attr);
		free(lv->pool);
		free(lv->origin);
	}
	free(st->lvs);
	for (i = 0; i < st->n_extents; i++) {
		free(st->extents[i].vg_name);
		free(st->extents[i].lv_name);
		free(st->extents[i].lv_uuid);
	}
	free(st->extents);
	for (i = 0; i < st->n_storages; i++) {
		free(st->storages[i].id);
		free(st->storages[i].vgname);
		free(st->storages[i].thinpool);
	}
	free(st->storages);
	for (i = 0; i < st->n_guests; i++) {
		struct pve_guest *g = &st->guests[i];

		for (j = 0; j < g->n_refs; j++) {
			free(g->refs[j].key);
			free(g->refs[j].storage);
			free(g->refs[j].volume);
			free(g->refs[j].snapshot);
		}
		free(g->refs);
		free(g->name);
		free(g->node);
	}
	free(st->guests);
	for (i = 0; i < st->n_problems; i++) {
		free(st->problems[i].source);
		free(st->problems[i].message);
	}
	free(st->problems);
	free(st->host);
	free(st->node);
	memset(st, 0, sizeof(*st));
}

void state_add_problem(struct state *st, const char *source, const char *fmt, ...)
{
	struct source_problem *p = array_push(&st->problems, &st->n_problems, sizeof(*p));
	va_list ap;

	p->source = xstrdup(source ? source : "");
	va_start(ap, fmt);
	if (vasprintf(&p->message, fmt, ap) < 0)
		p->message = xstrdup("(out of memory)");
	va_end(ap);
}

/* ---- canonical order ---- */

static int strcmp_null(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp_null(((const struct dm_dev *)a)->name, ((const struct dm_dev *)b)->name);
}

static int cmp_lv(const void *a, const void *b)
{
	const struct lvm_lv *x = a, *y = b;
	int r = strcmp_null(x->vg_name, y->vg_name);

	return r ? r : strcmp_null(x->lv_name, y->lv_name);
}

static int cmp_extent(const void *a, const void *b)
{
	const struct lvm_extent *x = a, *y = b;

	if (x->pv_major != y->pv_major)
		return x->pv_major < y->pv_major ? -1 : 1;
	if (x->pv_minor != y->pv_minor)
		return x->pv_minor < y->pv_minor ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp_null(x->lv_uuid, y->lv_uuid);
}

static int cmp_storage(const void *a, const void *b)
{
	return strcmp_null(((const struct pve_storage *)a)->id, ((const struct pve_storage *)b)->id);
}

static int cmp_guest(const void *a, const void *b)
{
	const struct pve_guest *x = a, *y = b;

	if (x->vmid != y->vmid)
		return x->vmid < y->vmid ? -1 : 1;
	return strcmp_null(x->node, y->node);
}

void state_normalize(struct state *st)
{
	sort_items(st->devs, st->n_devs, sizeof(*st->devs), cmp_dev);
	sort_items(st->lvs, st->n_lvs, sizeof(*st->lvs), cmp_lv);
	sort_items(st->extents, st->n_extents, sizeof(*st->extents), cmp_extent);
	sort_items(st->storages, st->n_storages, sizeof(*st->storages), cmp_storage);
	sort_items(st->guests, st->n_guests, sizeof(*st->guests), cmp_guest);
}

/* ---- save ---- */

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *jdbl(double v)
{
	return isnan(v) ? NULL : json_object_new_double(v);
}

static json_object *lines_to_json(const struct dm_line *l, size_t n)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "start", json_object_new_uint64(l[i].start));
		json_object_object_add(o, "length", json_object_new_uint64(l[i].length));
		json_object_object_add(o, "type", jstr(l[i].type));
		json_object_object_add(o, "params", jstr(l[i].params));
		json_object_array_add(arr, o);
	}
	return arr;
}

static const char *guest_type_names[] = { [GUEST_QEMU] = "qemu", [GUEST_LXC] = "lxc" };
static const char *storage_type_names[] = {
	[PVE_STORAGE_OTHER] = "other", [PVE_STORAGE_LVM] = "lvm", [PVE_STORAGE_LVMTHIN] = "lvmthin",
};

static json_object *state_to_json(const struct state *st)
{
	json_object *root = json_object_new_object(), *arr, *o, *a2;
	size_t i, j;

	json_object_object_add(root, "schema", json_object_new_int(STATE_SCHEMA));
	json_object_object_add(root, "kind", json_object_new_string("dmwatch-state"));
	json_object_object_add(root, "host", jstr(st->host));
	json_object_object_add(root, "node", jstr(st->node));
	json_object_object_add(root, "collected_at", json_object_new_int64(st->collected_at));
	json_object_object_add(root, "dm_major", json_object_new_int(st->dm_major));
	json_object_object_add(root, "have_dm", json_object_new_boolean(st->have_dm));
	json_object_object_add(root, "have_lvm", json_object_new_boolean(st->have_lvm));
	json_object_object_add(root, "have_pve", json_object_new_boolean(st->have_pve));

	arr = json_object_new_array();
	for (i = 0; i < st->n_devs; i++) {
		const struct dm_dev *d = &st->devs[i];

		o = json_object_new_object();
		json_object_object_add(o, "name", jstr(d->name));
		json_object_object_add(o, "uuid", jstr(d->uuid));
		json_object_object_add(o, "major", json_object_new_int(d->major));
		json_object_object_add(o, "minor", json_object_new_int(d->minor));
		json_object_object_add(o, "open_count", json_object_new_int(d->open_count));
		json_object_object_add(o, "event_nr", json_object_new_int64(d->event_nr));
		json_object_object_add(o, "suspended", json_object_new_boolean(d->suspended));
		json_object_object_add(o, "read_only", json_object_new_boolean(d->read_only));
		json_object_object_add(o, "live_table", json_object_new_boolean(d->live_table));
		json_object_object_add(o, "table", lines_to_json(d->table, d->n_table));
		json_object_object_add(o, "status", lines_to_json(d->status, d->n_status));
		a2 = json_object_new_array();
		for (j = 0; j < d->n_deps; j++)
			json_object_array_add(a2, json_object_new_uint64(d->deps[j]));
		json_object_object_add(o, "deps", a2);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "devices", arr);

	arr = json_object_new_array();
	for (i = 0; i < st->n_lvs; i++) {
		const struct lvm_lv *lv = &st->lvs[i];

		o = json_object_new_object();
		json_object_object_add(o, "vg_name", jstr(lv->vg_name));
		json_object_object_add(o, "lv_name", jstr(lv->lv_name));
		json_object_object_add(o, "vg_uuid", jstr(lv->vg_uuid));
		json_object_object_add(o, "lv_uuid", jstr(lv->lv_uuid));
		json_object_object_add(o, "attr", jstr(lv->attr));
		json_object_object_add(o, "pool", jstr(lv->pool));
		json_object_object_add(o, "origin", jstr(lv->origin));
		json_object_object_add(o, "size", json_object_new_uint64(lv->size));
		json_object_object_add(o, "data_percent", jdbl(lv->data_percent));
		json_object_object_add(o, "metadata_percent", jdbl(lv->metadata_percent));
		json_object_object_add(o, "thin_id", json_object_new_int64(lv->thin_id));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "lvs", arr);

	arr = json_object_new_array();
	for (i = 0; i < st->n_extents; i++) {
		const struct lvm_extent *x = &st->extents[i];

		o = json_object_new_object();
		json_object_object_add(o, "vg_name", jstr(x->vg_name));
		json_object_object_add(o, "lv_name", jstr(x->lv_name));
		json_object_object_add(o, "lv_uuid", jstr(x->lv_uuid));
		json_object_object_add(o, "pv_major", json_object_new_int(x->pv_major));
		json_object_object_add(o, "pv_minor", json_object_new_int(x->pv_minor));
		json_object_object_add(o, "start", json_object_new_uint64(x->start));
		json_object_object_add(o, "length", json_object_new_uint64(x->length));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "extents", arr);

	arr = json_object_new_array();
	for (i = 0; i < st->n_storages; i++) {
		const struct pve_storage *s = &st->storages[i];

		o = json_object_new_object();
		json_object_object_add(o, "id", jstr(s->id));
		json_object_object_add(o, "type", json_object_new_string(storage_type_names[s->type]));
		json_object_object_add(o, "vgname", jstr(s->vgname));
		json_object_object_add(o, "thinpool", jstr(s->thinpool));
		json_object_object_add(o, "shared", json_object_new_boolean(s->shared));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "storages", arr);

	arr = json_object_new_array();
	for (i = 0; i < st->n_guests; i++) {
		const struct pve_guest *g = &st->guests[i];

		o = json_object_new_object();
		json_object_object_add(o, "vmid", json_object_new_int(g->vmid));
		json_object_object_add(o, "type", json_object_new_string(guest_type_names[g->type]));
		json_object_object_add(o, "name", jstr(g->name));
		json_object_object_add(o, "node", jstr(g->node));
		json_object_object_add(o, "running", json_object_new_boolean(g->running));
		json_object_object_add(o, "template", json_object_new_boolean(g->template));
		json_object_object_add(o, "config_error", json_object_new_boolean(g->config_error));
		a2 = json_object_new_array();
		for (j = 0; j < g->n_refs; j++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "key", jstr(g->refs[j].key));
			json_object_object_add(r, "storage", jstr(g->refs[j].storage));
			json_object_object_add(r, "volume", jstr(g->refs[j].volume));
			json_object_object_add(r, "snapshot", jstr(g->refs[j].snapshot));
			json_object_array_add(a2, r);
		}
		json_object_object_add(o, "refs", a2);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "guests", arr);

	arr = json_object_new_array();
	for (i = 0; i < st->n_problems; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "source", jstr(st->problems[i].source));
		json_object_object_add(o, "message", jstr(st->problems[i].message));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "problems", arr);
	return root;
}

int state_save_json(const struct state *st, const char *path)
{
	json_object *root = state_to_json(st);
	char *tmp = xasprintf("%s.tmp", path);
	int err = 0;

	/* write-then-rename: a crash never leaves a half-written state under the real name */
	if (json_object_to_file_ext(tmp, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) {
		err = errno ? -errno : -EIO;
		unlink(tmp);
		goto cleanup;
	}
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
cleanup:
	free(tmp);
	json_object_put(root);
	return err;
}

/* ---- load ---- */

struct loader {
	char *err;		/* first error, "field: reason" */
};

static void load_fail(struct loader *ld, const char *what, const char *why)
{
	if (!ld->err)
		ld->err = xasprintf("%s: %s", what, why);
}

static json_object *get(struct loader *ld, json_object *o, const char *key, json_type type,
			bool optional)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !v) {
		if (!optional)
			load_fail(ld, key, "missing");
		return NULL;
	}
	if (json_object_get_type(v) != type &&
	    !(type == json_type_double && json_object_get_type(v) == json_type_int)) {
		load_fail(ld, key, "wrong type");
		return NULL;
	}
	return v;
}

static char *get_str(struct loader *ld, json_object *o, const char *key, bool optional)
{
	json_object *v = get(ld, o, key, json_type_string, optional);

	return v ? xstrdup(json_object_get_string(v)) : NULL;
}

/*
 * json-c clamps integers beyond 64 bits to INT64_MIN / INT64_MAX / UINT64_MAX
 * without an error; no field of a state legitimately holds those, so they are
 * taken as "out of range".
 */
static int64_t get_int(struct loader *ld, json_object *o, const char *key, int64_t min, int64_t max)
{
	json_object *v = get(ld, o, key, json_type_int, false);
	int64_t x;

	if (!v)
		return 0;
	x = json_object_get_int64(v);
	if (x < min || x > max || x == INT64_MAX || x == INT64_MIN) {
		load_fail(ld, key, "out of range");
		return 0;
	}
	return x;
}

static bool u64_value(json_object *v, uint64_t *out)
{
	if (json_object_get_int64(v) < 0 || json_object_get_uint64(v) == UINT64_MAX)
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

static uint64_t get_u64(struct loader *ld, json_object *o, const char *key)
{
	json_object *v = get(ld, o, key, json_type_int, false);
	uint64_t x = 0;

	if (v && !u64_value(v, &x))
		load_fail(ld, key, "negative or out of range");
	return x;
}

static bool get_bool(struct loader *ld, json_object *o, const char *key)
{
	json_object *v = get(ld, o, key, json_type_boolean, false);

	return v ? json_object_get_boolean(v) : false;
}

static double get_dbl(struct loader *ld, json_object *o, const char *key)
{
	json_object *v = get(ld, o, key, json_type_double, true);

	return v ? json_object_get_double(v) : NAN;
}

static size_t get_array(struct loader *ld, json_object *o, const char *key, json_object **arr)
{
	*arr = get(ld, o, key, json_type_array, false);
	return *arr ? json_object_array_length(*arr) : 0;
}

static json_object *array_obj(struct loader *ld, json_object *arr, size_t i, const char *what)
{
	json_object *o = json_object_array_get_idx(arr, i);

	if (!o || json_object_get_type(o) != json_type_object) {
		load_fail(ld, what, "element is not an object");
		return NULL;
	}
	return o;
}

static void load_lines(struct loader *ld, json_object *o, const char *key,
		       struct dm_line **lines, size_t *n)
{
	json_object *arr, *e;
	size_t len = get_array(ld, o, key, &arr);

	for (size_t i = 0; i < len && !ld->err; i++) {
		struct dm_line *l;

		e = array_obj(ld, arr, i, key);
		if (!e)
			break;
		l = array_push(lines, n, sizeof(*l));
		l->start = get_u64(ld, e, "start");
		l->length = get_u64(ld, e, "length");
		l->type = get_str(ld, e, "type", false);
		l->params = get_str(ld, e, "params", false);
	}
}

static int enum_index(const char **names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && s && !strcmp(names[i], s))
			return i;
	return -1;
}

static void load_devices(struct loader *ld, json_object *root, struct state *st)
{
	json_object *arr, *o, *deps;
	size_t n = get_array(ld, root, "devices", &arr);

	for (size_t i = 0; i < n && !ld->err; i++) {
		struct dm_dev *d;
		size_t nd;

		o = array_obj(ld, arr, i, "devices");
		if (!o)
			break;
		d = array_push(&st->devs, &st->n_devs, sizeof(*d));
		d->name = get_str(ld, o, "name", false);
		d->uuid = get_str(ld, o, "uuid", false);
		d->major = get_int(ld, o, "major", 0, 4095);
		d->minor = get_int(ld, o, "minor", 0, (1 << 20) - 1);
		d->open_count = get_int(ld, o, "open_count", -1, INT32_MAX);
		d->event_nr = get_int(ld, o, "event_nr", 0, UINT32_MAX);
		d->suspended = get_bool(ld, o, "suspended");
		d->read_only = get_bool(ld, o, "read_only");
		d->live_table = get_bool(ld, o, "live_table");
		load_lines(ld, o, "table", &d->table, &d->n_table);
		load_lines(ld, o, "status", &d->status, &d->n_status);
		nd = get_array(ld, o, "deps", &deps);
		for (size_t j = 0; j < nd && !ld->err; j++) {
			json_object *v = json_object_array_get_idx(deps, j);
			uint64_t *dep;

			if (!v || json_object_get_type(v) != json_type_int) {
				load_fail(ld, "deps", "not a number");
				break;
			}
			dep = array_push(&d->deps, &d->n_deps, sizeof(*dep));
			if (!u64_value(v, dep))
				load_fail(ld, "deps", "negative or out of range");
		}
		if (!ld->err && (str_empty(d->name) || strlen(d->name) > 127))
			load_fail(ld, "devices.name", "empty or longer than 127 bytes");
		if (!ld->err && strlen(d->uuid) > 128)
			load_fail(ld, "devices.uuid", "longer than 128 bytes");
	}
}

static void load_lvm(struct loader *ld, json_object *root, struct state *st)
{
	json_object *arr, *o;
	size_t n = get_array(ld, root, "lvs", &arr);

	for (size_t i = 0; i < n && !ld->err; i++) {
		struct lvm_lv *lv;

		o = array_obj(ld, arr, i, "lvs");
		if (!o)
			break;
		lv = array_push(&st->lvs, &st->n_lvs, sizeof(*lv));
		lv->vg_name = get_str(ld, o, "vg_name", false);
		lv->lv_name = get_str(ld, o, "lv_name", false);
		lv->vg_uuid = get_str(ld, o, "vg_uuid", false);
		lv->lv_uuid = get_str(ld, o, "lv_uuid", false);
		lv->attr = get_str(ld, o, "attr", false);
		lv->pool = get_str(ld, o, "pool", false);
		lv->origin = get_str(ld, o, "origin", false);
		lv->size = get_u64(ld, o, "size");
		lv->data_percent = get_dbl(ld, o, "data_percent");
		lv->metadata_percent = get_dbl(ld, o, "metadata_percent");
		lv->thin_id = get_int(ld, o, "thin_id", -1, INT64_MAX);
	}

	n = get_array(ld, root, "extents", &arr);
	for (size_t i = 0; i < n && !ld->err; i++) {
		struct lvm_extent *x;

		o = array_obj(ld, arr, i, "extents");
		if (!o)
			break;
		x = array_push(&st->extents, &st->n_extents, sizeof(*x));
		x->vg_name = get_str(ld, o, "vg_name", false);
		x->lv_name = get_str(ld, o, "lv_name", false);
		x->lv_uuid = get_str(ld, o, "lv_uuid", false);
		x->pv_major = get_int(ld, o, "pv_major", 0, 4095);
		x->pv_minor = get_int(ld, o, "pv_minor", 0, (1 << 20) - 1);
		x->start = get_u64(ld, o, "start");
		x->length = get_u64(ld, o, "length");
	}
}

static void load_pve(struct loader *ld, json_object *root, struct state *st)
{
	json_object *arr, *o, *refs, *r;
	size_t n = get_array(ld, root, "storages", &arr);
	char *type;

	for (size_t i = 0; i < n && !ld->err; i++) {
		struct pve_storage *s;
		int t;

		o = array_obj(ld, arr, i, "storages");
		if (!o)
			break;
		s = array_push(&st->storages, &st->n_storages, sizeof(*s));
		s->id = get_str(ld, o, "id", false);
		type = get_str(ld, o, "type", false);
		t = enum_index(storage_type_names, ARRAY_SIZE(storage_type_names), type);
		free(type);
		if (t < 0)
			load_fail(ld, "storages.type", "unknown");
		s->type = t < 0 ? PVE_STORAGE_OTHER : t;
		s->vgname = get_str(ld, o, "vgname", true);
		s->thinpool = get_str(ld, o, "thinpool", true);
		s->shared = get_bool(ld, o, "shared");
	}

	n = get_array(ld, root, "guests", &arr);
	for (size_t i = 0; i < n && !ld->err; i++) {
		struct pve_guest *g;
		size_t nr;
		int t;

		o = array_obj(ld, arr, i, "guests");
		if (!o)
			break;
		g = array_push(&st->guests, &st->n_guests, sizeof(*g));
		g->vmid = get_int(ld, o, "vmid", 0, 999999999);
		type = get_str(ld, o, "type", false);
		t = enum_index(guest_type_names, ARRAY_SIZE(guest_type_names), type);
		free(type);
		if (t < 0)
			load_fail(ld, "guests.type", "unknown");
		g->type = t < 0 ? GUEST_QEMU : t;
		g->name = get_str(ld, o, "name", true);
		g->node = get_str(ld, o, "node", false);
		g->running = get_bool(ld, o, "running");
		g->template = get_bool(ld, o, "template");
		g->config_error = get(ld, o, "config_error", json_type_boolean, true) ?
			get_bool(ld, o, "config_error") : false;
		nr = get_array(ld, o, "refs", &refs);
		for (size_t j = 0; j < nr && !ld->err; j++) {
			struct pve_volref *ref;

			r = array_obj(ld, refs, j, "refs");
			if (!r)
				break;
			ref = array_push(&g->refs, &g->n_refs, sizeof(*ref));
			ref->key = get_str(ld, r, "key", false);
			ref->storage = get_str(ld, r, "storage", false);
			ref->volume = get_str(ld, r, "volume", false);
			ref->snapshot = get_str(ld, r, "snapshot", true);
		}
	}

	n = get_array(ld, root, "problems", &arr);
	for (size_t i = 0; i < n && !ld->err; i++) {
		struct source_problem *p;

		o = array_obj(ld, arr, i, "problems");
		if (!o)
			break;
		p = array_push(&st->problems, &st->n_problems, sizeof(*p));
		p->source = get_str(ld, o, "source", false);
		p->message = get_str(ld, o, "message", false);
	}
}

int state_load_json(struct state *st, const char *path, char **err)
{
	struct loader ld = {};
	json_object *root = NULL;
	json_tokener *tok = NULL;
	size_t len;
	char *buf = NULL;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = read_file(path, &buf, &len, 1UL << 31);
	if (ret) {
		*err = xasprintf("%s: %s", path, strerror(-ret));
		return ret;
	}
	tok = json_tokener_new_ex(64);
	root = json_tokener_parse_ex(tok, buf, len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		if (json_tokener_get_error(tok) == json_tokener_continue)
			*err = xasprintf("%s: not valid JSON (truncated or empty)", path);
		else
			*err = xasprintf("%s: not valid JSON (%s)", path,
					 json_tokener_error_desc(json_tokener_get_error(tok)));
		ret = -EINVAL;
		goto cleanup;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t' && buf[i] != '\r') {
			*err = xasprintf("%s: not valid JSON (data after the state at byte %zu)",
					 path, i);
			ret = -EINVAL;
			goto cleanup;
		}
	}
	if (json_object_get_type(root) != json_type_object) {
		*err = xasprintf("%s: not a dmwatch state (top level is not an object)", path);
		ret = -EINVAL;
		goto cleanup;
	}
	if (get_int(&ld, root, "schema", 0, INT32_MAX) != STATE_SCHEMA && !ld.err)
		load_fail(&ld, "schema", "unsupported version");
	st->schema = STATE_SCHEMA;
	st->host = get_str(&ld, root, "host", true);
	st->node = get_str(&ld, root, "node", true);
	st->collected_at = get(&ld, root, "collected_at", json_type_int, true) ?
		get_int(&ld, root, "collected_at", 0, INT64_MAX) : 0;
	st->dm_major = get_int(&ld, root, "dm_major", 0, 4095);
	st->have_dm = get_bool(&ld, root, "have_dm");
	st->have_lvm = get_bool(&ld, root, "have_lvm");
	st->have_pve = get_bool(&ld, root, "have_pve");
	load_devices(&ld, root, st);
	load_lvm(&ld, root, st);
	load_pve(&ld, root, st);
	if (ld.err) {
		*err = xasprintf("%s: not a valid dmwatch state: %s", path, ld.err);
		ret = -EINVAL;
		goto cleanup;
	}
	state_normalize(st);
	ret = 0;
cleanup:
	if (ret)
		state_free(st);
	free(ld.err);
	free(buf);
	if (tok)
		json_tokener_free(tok);
	json_object_put(root);
	return ret;
}
