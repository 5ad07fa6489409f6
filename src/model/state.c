// SPDX-License-Identifier: GPL-2.0
/*
 * The state model's lifetime and its JSON form (scan --save-state / --state).
 * The JSON is a plain dump of struct state; loading validates every field's type
 * so a hand-edited or truncated file gives a one-line reason, not a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <yajl/yajl_parse.h>
#include "model/state.h"
#include "lib/util.h"

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

/*
 * Compact JSON with one array element per line: a 10,000-device state is a
 * third smaller than pretty-printed (and loads that much faster), yet a
 * device is still one line for grep and diff; `jq .` shows it indented.
 */
static int write_state(FILE *f, json_object *root)
{
	const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	bool first = true;

	fputc('{', f);
	json_object_object_foreach(root, key, val) {
		json_object *k = json_object_new_string(key);	/* escaped like any string */

		fprintf(f, "%s\n%s:", first ? "" : ",", json_object_to_json_string_ext(k, flags));
		json_object_put(k);
		first = false;
		if (json_object_get_type(val) != json_type_array) {
			fputs(json_object_to_json_string_ext(val, flags), f);
			continue;
		}
		fputc('[', f);
		for (size_t i = 0; i < json_object_array_length(val); i++)
			fprintf(f, "%s\n%s", i ? "," : "",
				json_object_to_json_string_ext(json_object_array_get_idx(val, i), flags));
		fputs(json_object_array_length(val) ? "\n]" : "]", f);
	}
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

static int write_state_cb(FILE *f, void *root)
{
	return write_state(f, root);
}

int state_save_json(const struct state *st, const char *path)
{
	json_object *root = state_to_json(st);
	int err;

	/* a crash never leaves a half-written state under the real name */
	err = write_file_atomic_with(path, 0644, write_state_cb, root);
	json_object_put(root);
	return err;
}

/* ---- load ---- */

/*
 * The loader is event driven (yajl): values go straight into the model as the
 * parser meets them, with no document tree in between. A 10,000-device state is
 * ~15 MB; building and freeing a json-c tree for it took longer than the whole
 * scan is allowed to. Each record type is described once, by a table of fields;
 * one set of callbacks validates and stores every field of every record.
 */

enum field_kind {
	FK_STR,			/* string; null counts as missing */
	FK_STR_NULL,		/* string or null (stored as NULL) */
	FK_INT,			/* integer within [min, max], stored in `size` bytes */
	FK_U64,			/* integer >= 0 */
	FK_BOOL,
	FK_PERCENT,		/* number or null (NaN) */
	FK_ENUM,		/* one of names[], stored as its index (an int) */
	FK_RECORDS,		/* array of objects described by `sub` */
	FK_U64S,		/* array of integers >= 0 */
};

struct record_desc;

struct field {
	const char *key;
	enum field_kind kind;
	bool optional;		/* may be missing (and null) */
	bool version;		/* FK_INT: must be STATE_SCHEMA */
	size_t off;		/* offset of the value in the record */
	size_t count_off;	/* FK_RECORDS, FK_U64S: offset of the element count */
	int size;		/* FK_INT: 4 or 8 */
	int64_t min, max;	/* FK_INT */
	const struct record_desc *sub;		/* FK_RECORDS */
	const char *const *names;		/* FK_ENUM */
	size_t n_names;
};

struct record_desc {
	size_t size;
	const struct field *fields;
	size_t n_fields;
	/* whole-record checks once every field is in; returns a reason or NULL */
	const char *(*check)(const void *item, const char **key);
};

#define FSTR(T, m, k)		{ .key = k, .kind = FK_STR, .off = offsetof(T, m) }
#define FSTR_NULL(T, m, k)	{ .key = k, .kind = FK_STR_NULL, .optional = true, .off = offsetof(T, m) }
#define FINT(T, m, k, lo, hi)	{ .key = k, .kind = FK_INT, .off = offsetof(T, m), \
				  .size = sizeof(((T *)0)->m), .min = lo, .max = hi }
#define FU64(T, m, k)		{ .key = k, .kind = FK_U64, .off = offsetof(T, m) }
#define FBOOL(T, m, k)		{ .key = k, .kind = FK_BOOL, .off = offsetof(T, m) }
#define FPERCENT(T, m, k)	{ .key = k, .kind = FK_PERCENT, .optional = true, .off = offsetof(T, m) }
#define FENUM(T, m, k, tab)	{ .key = k, .kind = FK_ENUM, .off = offsetof(T, m), \
				  .names = tab, .n_names = ARRAY_SIZE(tab) }
#define FRECS(T, m, n, k, d)	{ .key = k, .kind = FK_RECORDS, .off = offsetof(T, m), \
				  .count_off = offsetof(T, n), .sub = &d }
#define FU64S(T, m, n, k)	{ .key = k, .kind = FK_U64S, .off = offsetof(T, m), \
				  .count_off = offsetof(T, n) }
#define RECORD(T, tab, chk)	{ .size = sizeof(T), .fields = tab, .n_fields = ARRAY_SIZE(tab), \
				  .check = chk }

static const struct field line_fields[] = {
	FU64(struct dm_line, start, "start"),
	FU64(struct dm_line, length, "length"),
	FSTR(struct dm_line, type, "type"),
	FSTR(struct dm_line, params, "params"),
};
static const struct record_desc line_desc = RECORD(struct dm_line, line_fields, NULL);

static const char *check_dev(const void *item, const char **key)
{
	const struct dm_dev *d = item;

	if (str_empty(d->name) || strlen(d->name) > 127) {
		*key = "name";
		return "empty or longer than 127 bytes";
	}
	if (strlen(d->uuid) > 128) {
		*key = "uuid";
		return "longer than 128 bytes";
	}
	return NULL;
}

static const struct field dev_fields[] = {
	FSTR(struct dm_dev, name, "name"),
	FSTR(struct dm_dev, uuid, "uuid"),
	FINT(struct dm_dev, major, "major", 0, 4095),
	FINT(struct dm_dev, minor, "minor", 0, (1 << 20) - 1),
	FINT(struct dm_dev, open_count, "open_count", -1, INT32_MAX),
	FINT(struct dm_dev, event_nr, "event_nr", 0, UINT32_MAX),
	FBOOL(struct dm_dev, suspended, "suspended"),
	FBOOL(struct dm_dev, read_only, "read_only"),
	FBOOL(struct dm_dev, live_table, "live_table"),
	FRECS(struct dm_dev, table, n_table, "table", line_desc),
	FRECS(struct dm_dev, status, n_status, "status", line_desc),
	FU64S(struct dm_dev, deps, n_deps, "deps"),
};
static const struct record_desc dev_desc = RECORD(struct dm_dev, dev_fields, check_dev);

static const struct field lv_fields[] = {
	FSTR(struct lvm_lv, vg_name, "vg_name"),
	FSTR(struct lvm_lv, lv_name, "lv_name"),
	FSTR(struct lvm_lv, vg_uuid, "vg_uuid"),
	FSTR(struct lvm_lv, lv_uuid, "lv_uuid"),
	FSTR(struct lvm_lv, attr, "attr"),
	FSTR(struct lvm_lv, pool, "pool"),
	FSTR(struct lvm_lv, origin, "origin"),
	FU64(struct lvm_lv, size, "size"),
	FPERCENT(struct lvm_lv, data_percent, "data_percent"),
	FPERCENT(struct lvm_lv, metadata_percent, "metadata_percent"),
	FINT(struct lvm_lv, thin_id, "thin_id", -1, INT64_MAX),
};
static const struct record_desc lv_desc = RECORD(struct lvm_lv, lv_fields, NULL);

static const struct field extent_fields[] = {
	FSTR(struct lvm_extent, vg_name, "vg_name"),
	FSTR(struct lvm_extent, lv_name, "lv_name"),
	FSTR(struct lvm_extent, lv_uuid, "lv_uuid"),
	FINT(struct lvm_extent, pv_major, "pv_major", 0, 4095),
	FINT(struct lvm_extent, pv_minor, "pv_minor", 0, (1 << 20) - 1),
	FU64(struct lvm_extent, start, "start"),
	FU64(struct lvm_extent, length, "length"),
};
static const struct record_desc extent_desc = RECORD(struct lvm_extent, extent_fields, NULL);

static const struct field storage_fields[] = {
	FSTR(struct pve_storage, id, "id"),
	FENUM(struct pve_storage, type, "type", storage_type_names),
	FSTR_NULL(struct pve_storage, vgname, "vgname"),
	FSTR_NULL(struct pve_storage, thinpool, "thinpool"),
	FBOOL(struct pve_storage, shared, "shared"),
};
static const struct record_desc storage_desc = RECORD(struct pve_storage, storage_fields, NULL);

static const struct field ref_fields[] = {
	FSTR(struct pve_volref, key, "key"),
	FSTR(struct pve_volref, storage, "storage"),
	FSTR(struct pve_volref, volume, "volume"),
	FSTR_NULL(struct pve_volref, snapshot, "snapshot"),
};
static const struct record_desc ref_desc = RECORD(struct pve_volref, ref_fields, NULL);

static const struct field guest_fields[] = {
	FINT(struct pve_guest, vmid, "vmid", 0, 999999999),
	FENUM(struct pve_guest, type, "type", guest_type_names),
	FSTR_NULL(struct pve_guest, name, "name"),
	FSTR(struct pve_guest, node, "node"),
	FBOOL(struct pve_guest, running, "running"),
	FBOOL(struct pve_guest, template, "template"),
	{ .key = "config_error", .kind = FK_BOOL, .optional = true,	/* added after schema 1 shipped */
	  .off = offsetof(struct pve_guest, config_error) },
	FRECS(struct pve_guest, refs, n_refs, "refs", ref_desc),
};
static const struct record_desc guest_desc = RECORD(struct pve_guest, guest_fields, NULL);

static const struct field problem_fields[] = {
	FSTR(struct source_problem, source, "source"),
	FSTR(struct source_problem, message, "message"),
};
static const struct record_desc problem_desc = RECORD(struct source_problem, problem_fields, NULL);

static const struct field state_fields[] = {
	{ .key = "schema", .kind = FK_INT, .version = true, .off = offsetof(struct state, schema),
	  .size = sizeof(int), .min = INT32_MIN, .max = INT32_MAX },
	FSTR_NULL(struct state, host, "host"),
	FSTR_NULL(struct state, node, "node"),
	{ .key = "collected_at", .kind = FK_INT, .optional = true,
	  .off = offsetof(struct state, collected_at), .size = 8, .min = 0, .max = INT64_MAX },
	FINT(struct state, dm_major, "dm_major", 0, 4095),
	FBOOL(struct state, have_dm, "have_dm"),
	FBOOL(struct state, have_lvm, "have_lvm"),
	FBOOL(struct state, have_pve, "have_pve"),
	FRECS(struct state, devs, n_devs, "devices", dev_desc),
	FRECS(struct state, lvs, n_lvs, "lvs", lv_desc),
	FRECS(struct state, extents, n_extents, "extents", extent_desc),
	FRECS(struct state, storages, n_storages, "storages", storage_desc),
	FRECS(struct state, guests, n_guests, "guests", guest_desc),
	FRECS(struct state, problems, n_problems, "problems", problem_desc),
};
static const struct record_desc state_desc = RECORD(struct state, state_fields, NULL);

#define STRINGIFY_(x)	#x
#define SCHEMA_TEXT	STRINGIFY_(STATE_SCHEMA)	/* "1" */

/* the model is at most state -> devices -> device -> table -> line deep */
#define LOAD_MAX_DEPTH 8
#define FIELD_NONE	-1	/* between key and value: no key read yet */
#define FIELD_UNKNOWN	-2	/* a key no record has: its value is skipped */

struct load_frame {
	const struct record_desc *rec;	/* object frame: what is being filled */
	void *item;
	uint32_t seen;			/* bit per field of rec */
	int field;			/* index into rec->fields, or FIELD_* */
	size_t next;			/* where cb_key starts looking */
	const struct field *array;	/* array frame: the field it belongs to */
	void *owner;			/* array frame: the record holding the array */
};

struct loader {
	struct state *st;
	struct load_frame frames[LOAD_MAX_DEPTH];
	int depth;			/* frames in use */
	int skip;			/* nesting depth inside a skipped value */
	bool started;
	bool not_object;		/* the document is JSON, but not an object */
	char *err;			/* first error, "path: reason" */
};

static size_t *array_count(const struct load_frame *f)
{
	return (size_t *)((char *)f->owner + f->array->count_off);
}

/* "devices[3].table[0].start" for the value being read */
static char *load_path(const struct loader *ld, const char *key)
{
	char *path = xstrdup(""), *p;

	for (int i = 0; i < ld->depth; i++) {
		const struct load_frame *f = &ld->frames[i];

		size_t n;

		if (!f->array)
			continue;
		/* the frame above an array is its last element; at the top, the next one */
		n = *array_count(f);
		p = xasprintf("%s%s%s[%zu]", path, *path ? "." : "", f->array->key,
			      i == ld->depth - 1 || !n ? n : n - 1);
		free(path);
		path = p;
	}
	if (key) {
		p = xasprintf("%s%s%s", path, *path ? "." : "", key);
		free(path);
		path = p;
	}
	return path;
}

/* Records the first error and stops the parser (callbacks return 0). */
static int load_fail(struct loader *ld, const char *key, const char *why)
{
	if (!ld->err) {
		char *path = load_path(ld, key);

		ld->err = xasprintf("%s: %s", *path ? path : "state", why);
		free(path);
	}
	return 0;
}

static struct load_frame *top(struct loader *ld)
{
	return &ld->frames[ld->depth - 1];
}

/* The field a value in an object frame goes to; NULL if the value is skipped. */
static const struct field *cur_field(struct loader *ld)
{
	struct load_frame *f = top(ld);

	return f->field >= 0 ? &f->rec->fields[f->field] : NULL;
}

static int push_frame(struct loader *ld, const struct load_frame *f)
{
	if (ld->depth == LOAD_MAX_DEPTH)
		return load_fail(ld, NULL, "nested too deep");
	ld->frames[ld->depth++] = *f;
	return 1;
}

static void *record_new(void *owner, const struct field *fl)
{
	void *slot = array_push((char *)owner + fl->off, (size_t *)((char *)owner + fl->count_off),
				fl->sub->size);

	for (size_t i = 0; i < fl->sub->n_fields; i++)
		if (fl->sub->fields[i].kind == FK_PERCENT)
			*(double *)((char *)slot + fl->sub->fields[i].off) = NAN;
	return slot;
}

/*
 * A scalar arrived. `kind` is what the JSON holds: FK_STR, FK_BOOL, FK_INT (a
 * number, text in s/len) or -1 for null. Returns 1 to go on, 0 on error.
 */
static int load_scalar(struct loader *ld, int kind, const char *s, size_t len, bool b)
{
	struct load_frame *f;
	const struct field *fl;
	char *dst, num[64], *end;
	bool isint;

	if (!ld->depth) {
		ld->not_object = true;
		return 0;
	}
	if (ld->skip)
		return 1;
	f = top(ld);
	if (f->array) {
		uint64_t *dep, v;

		if (f->array->kind != FK_U64S)
			return load_fail(ld, NULL, "element is not an object");
		if (kind != FK_INT || len >= sizeof(num) || memchr(s, '-', len) ||
		    memchr(s, '.', len) || memchr(s, 'e', len) || memchr(s, 'E', len))
			return load_fail(ld, NULL, "not a number >= 0");
		memcpy(num, s, len);
		num[len] = 0;
		errno = 0;
		v = strtoull(num, NULL, 10);
		if (errno)
			return load_fail(ld, NULL, "out of range");
		dep = array_push((char *)f->owner + f->array->off, array_count(f), sizeof(*dep));
		*dep = v;
		return 1;
	}
	fl = cur_field(ld);
	if (f->field == FIELD_UNKNOWN || !fl) {
		f->field = FIELD_NONE;
		return 1;
	}
	f->field = FIELD_NONE;
	dst = (char *)f->item + fl->off;
	if (kind == -1) {
		if (!fl->optional)
			return load_fail(ld, fl->key, "missing");
		if (fl->kind == FK_PERCENT)
			*(double *)dst = NAN;
		return 1;	/* strings stay NULL, numbers and bools 0 */
	}
	switch (fl->kind) {
	case FK_STR:
	case FK_STR_NULL:
		if (kind != FK_STR)
			break;
		*(char **)dst = xstrndup(s, len);
		return 1;
	case FK_ENUM:
		if (kind != FK_STR)
			break;
		for (size_t i = 0; i < fl->n_names; i++) {
			if (fl->names[i] && strlen(fl->names[i]) == len && !memcmp(fl->names[i], s, len)) {
				*(int *)dst = i;
				return 1;
			}
		}
		return load_fail(ld, fl->key, "unknown");
	case FK_BOOL:
		if (kind != FK_BOOL)
			break;
		*(bool *)dst = b;
		return 1;
	case FK_INT:
	case FK_U64:
	case FK_PERCENT:
		if (kind != FK_INT)
			break;
		if (len >= sizeof(num))
			return load_fail(ld, fl->key, "out of range");
		memcpy(num, s, len);
		num[len] = 0;
		isint = !strpbrk(num, ".eE");
		errno = 0;
		if (fl->kind == FK_PERCENT) {
			double v = strtod(num, &end);

			/* an infinity would save as a word JSON does not have */
			if (isinf(v))
				return load_fail(ld, fl->key, "out of range");
			*(double *)dst = v;
			return 1;
		}
		if (!isint)
			break;
		if (fl->kind == FK_U64) {
			if (num[0] == '-' && strtoll(num, NULL, 10) != 0)
				return load_fail(ld, fl->key, "negative or out of range");
			*(uint64_t *)dst = num[0] == '-' ? 0 : strtoull(num, NULL, 10);
			if (errno)
				return load_fail(ld, fl->key, "negative or out of range");
			return 1;
		} else {
			long long v = strtoll(num, NULL, 10);

			if (fl->version && v != STATE_SCHEMA)
				return load_fail(ld, fl->key, "unsupported version (this dmwatch reads "
						 SCHEMA_TEXT ")");
			if (errno || v < fl->min || v > fl->max)
				return load_fail(ld, fl->key, "out of range");
			if (fl->size == 8) {
				int64_t v64 = v;

				memcpy(dst, &v64, 8);
			} else {
				uint32_t v32 = (uint32_t)v;	/* int32 and uint32 alike */

				memcpy(dst, &v32, 4);
			}
			return 1;
		}
	default:
		break;
	}
	return load_fail(ld, fl->key, "wrong type");
}

static int cb_null(void *ctx)
{
	return load_scalar(ctx, -1, NULL, 0, false);
}

static int cb_bool(void *ctx, int b)
{
	return load_scalar(ctx, FK_BOOL, NULL, 0, b);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	return load_scalar(ctx, FK_INT, s, len, false);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	return load_scalar(ctx, FK_STR, (const char *)s, len, false);
}

/*
 * A '{' or '[' that no frame takes: at the top level after the state (not a
 * state, then), inside a skipped value, or as the value of an unknown key (where
 * skipping starts). Returns what the callback returns, or -1 when a frame takes it.
 */
static int open_untracked(struct loader *ld)
{
	if (!ld->depth) {
		ld->not_object = true;
		return 0;
	}
	if (ld->skip || top(ld)->field == FIELD_UNKNOWN) {
		ld->skip++;
		return 1;
	}
	return -1;
}

static int cb_start_map(void *ctx)
{
	struct loader *ld = ctx;
	struct load_frame *f, next = { .field = FIELD_NONE };
	int ret;

	if (!ld->started) {
		ld->started = true;
		next.rec = &state_desc;
		next.item = ld->st;
		return push_frame(ld, &next);
	}
	if ((ret = open_untracked(ld)) >= 0)
		return ret;
	f = top(ld);
	if (f->array) {
		if (f->array->kind != FK_RECORDS)
			return load_fail(ld, NULL, "not a number >= 0");
		next.rec = f->array->sub;
		next.item = record_new(f->owner, f->array);
		return push_frame(ld, &next);
	}
	return load_fail(ld, cur_field(ld)->key, "wrong type");
}

static int cb_key(void *ctx, const unsigned char *key, size_t len)
{
	struct loader *ld = ctx;
	struct load_frame *f;

	if (ld->skip)
		return 1;
	f = top(ld);
	f->field = FIELD_UNKNOWN;
	/* keys come in table order in a saved state: start looking after the last one */
	for (size_t n = 0, i = f->next; n < f->rec->n_fields; n++, i++) {
		const char *k;

		if (i == f->rec->n_fields)
			i = 0;
		k = f->rec->fields[i].key;
		if (strncmp(k, (const char *)key, len) || k[len])
			continue;
		/* json-c let the last of two equal keys win silently; refuse the ambiguity */
		if (f->seen & (1u << i))
			return load_fail(ld, k, "given twice");
		f->seen |= 1u << i;
		f->field = i;
		f->next = i + 1;
		break;
	}
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct loader *ld = ctx;
	struct load_frame *f;
	const char *why, *key = NULL;

	if (ld->skip) {
		ld->skip--;
		return 1;
	}
	f = top(ld);
	for (size_t i = 0; i < f->rec->n_fields; i++)
		if (!(f->seen & (1u << i)) && !f->rec->fields[i].optional)
			return load_fail(ld, f->rec->fields[i].key, "missing");
	if (f->rec->check && (why = f->rec->check(f->item, &key)))
		return load_fail(ld, key, why);
	ld->depth--;
	if (ld->depth)
		top(ld)->field = FIELD_NONE;
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct loader *ld = ctx;
	struct load_frame *f, next = { .field = FIELD_NONE };
	const struct field *fl;
	int ret;

	if ((ret = open_untracked(ld)) >= 0)
		return ret;
	f = top(ld);
	if (f->array)
		return load_fail(ld, NULL, f->array->kind == FK_RECORDS ?
				 "element is not an object" : "not a number >= 0");
	fl = cur_field(ld);
	if (fl->kind != FK_RECORDS && fl->kind != FK_U64S)
		return load_fail(ld, fl->key, "wrong type");
	next.array = fl;
	next.owner = f->item;
	return push_frame(ld, &next);
}

static int cb_end_array(void *ctx)
{
	struct loader *ld = ctx;

	if (ld->skip) {
		ld->skip--;
		return 1;
	}
	ld->depth--;
	top(ld)->field = FIELD_NONE;
	return 1;
}

static const yajl_callbacks load_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

/* yajl's own message, on one line, without its "parse error: " prefix */
static char *syntax_error(yajl_handle h)
{
	unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
	char *s = xstrdup((char *)msg), *p = s;

	yajl_free_error(h, msg);
	if (!strncmp(p, "parse error: ", 13))
		p += 13;
	else if (!strncmp(p, "lexical error: ", 15))
		p += 15;
	memmove(s, p, strlen(p) + 1);
	for (p = s; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	p = xstrdup(strtrim(s));
	free(s);
	return p;
}

int state_load_json(struct state *st, const char *path, char **err)
{
	struct loader ld = { .st = st };
	yajl_handle h = NULL;
	yajl_status ys = yajl_status_ok;
	char buf[64 * 1024], *why = NULL;
	size_t offset = 0;
	ssize_t r;
	int fd, ret;

	memset(st, 0, sizeof(*st));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		*err = xasprintf("%s: %s", path, strerror(-ret));
		return ret;
	}
	h = yajl_alloc(&load_callbacks, NULL, &ld);
	if (!h) {
		ret = -ENOMEM;
		*err = xasprintf("%s: %s", path, strerror(ENOMEM));
		goto cleanup;
	}
	/* names are bytes to the kernel: a state must load whatever json-c saved */
	yajl_config(h, yajl_dont_validate_strings, 1);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			*err = xasprintf("%s: %s", path, strerror(-ret));
			goto cleanup;
		}
		ys = r ? yajl_parse(h, (unsigned char *)buf, r) : yajl_complete_parse(h);
		if (ys != yajl_status_ok || !r)
			break;
		offset += r;
	}
	ret = -EINVAL;
	if (ld.not_object) {
		*err = xasprintf("%s: not a dmwatch state (top level is not an object)", path);
	} else if (ld.err) {
		*err = xasprintf("%s: not a valid dmwatch state: %s", path, ld.err);
	} else if (ys != yajl_status_ok) {
		why = syntax_error(h);
		if (!strcmp(why, "premature EOF"))
			*err = xasprintf("%s: not valid JSON (truncated or empty)", path);
		else
			*err = xasprintf("%s: not valid JSON (%s at byte %zu)", path, why,
					 offset + yajl_get_bytes_consumed(h));
	} else {
		state_normalize(st);
		ret = 0;
	}
cleanup:
	if (ret)
		state_free(st);
	free(ld.err);
	free(why);
	if (h)
		yajl_free(h);
	close(fd);
	return ret;
}
