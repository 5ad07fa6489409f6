// SPDX-License-Identifier: GPL-2.0
/*
 * The state model's lifetime, canonical order and its saved form (scan
 * --save-state / --state). The saved JSON is a plain dump of struct state,
 * described once by the tables below: they drive the writer, the reader (which
 * checks every field's type and range) and state_free (record.c).
 *
 * Schema 1: {"schema":1,"kind":"dmwatch-state","host","node","collected_at",
 * "dm_major","have_dm","have_lvm","have_pve","devices":[...],"lvs":[...],
 * "extents":[...],"storages":[...],"guests":[...],"problems":[...]}, each element
 * one line, keys as in the tables. Names are bytes to the kernel: every text is
 * written as valid UTF-8 (bytes that are not UTF-8 shown as U+FFFD), and a
 * text that is not UTF-8 is followed by "<key>_hex", its exact bytes in hex
 * (e.g. "name":"vm\ufffd","name_hex":"766dff"), from which it loads back.
 * Text holding \u0000 is refused (no dm name or C string can hold it).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "model/state.h"
#include "model/record.h"
#include "lib/fileio.h"
#include "lib/util.h"

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

int lvm_extent_cmp_pos(const struct lvm_extent *x, const struct lvm_extent *y)
{
	if (x->pv_major != y->pv_major)
		return x->pv_major < y->pv_major ? -1 : 1;
	if (x->pv_minor != y->pv_minor)
		return x->pv_minor < y->pv_minor ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

static int cmp_extent(const void *a, const void *b)
{
	const struct lvm_extent *x = a, *y = b;
	int pos = lvm_extent_cmp_pos(x, y);

	return pos ? pos : strcmp_null(x->lv_uuid, y->lv_uuid);
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

/* ---- the saved state's schema: one table per record drives save, load and free ---- */

const char *const guest_type_names[] = { [GUEST_QEMU] = "qemu", [GUEST_LXC] = "lxc" };
static const char *const storage_type_names[] = {
	[PVE_STORAGE_OTHER] = "other", [PVE_STORAGE_LVM] = "lvm", [PVE_STORAGE_LVMTHIN] = "lvmthin",
};

static const struct field line_fields[] = {
	FU64(struct dm_line, start, "start"),
	FU64(struct dm_line, length, "length"),
	FSTR(struct dm_line, type, "type"),
	FSTR(struct dm_line, params, "params"),
};
const struct record_desc dm_line_desc = RECORD(struct dm_line, line_fields, NULL);

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
	{ .key = "name_unmangled", .kind = FK_BOOL, .optional = true, .omit_false = true, /* after 1 */
	  .off = offsetof(struct dm_dev, name_unmangled) },
	FRECS(struct dm_dev, table, n_table, "table", dm_line_desc),
	FRECS(struct dm_dev, status, n_status, "status", dm_line_desc),
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
	FVERSION(struct state, schema, "schema", STATE_SCHEMA),
	FLITERAL("kind", "dmwatch-state"),
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

void state_free(struct state *st)
{
	/* the schema's tables name every string and array the model owns */
	records_free(&state_desc, st);
	memset(st, 0, sizeof(*st));
}

const char *guest_type_name(enum guest_type type)
{
	return (size_t)type < ARRAY_SIZE(guest_type_names) ? guest_type_names[type] : "qemu";
}

/*
 * Compact JSON with one array element per line: a 10,000-device state is a
 * third smaller than pretty-printed (and loads that much faster), yet a
 * device is still one line for grep and diff; `jq .` shows it indented.
 */
static int write_state_cb(FILE *f, void *st)
{
	return records_write(f, &state_desc, st);
}

int state_save_json(const struct state *st, const char *path)
{
	/* a crash never leaves a half-written state under the real name */
	return write_file_atomic_with(path, 0644, write_state_cb, (void *)st);
}

int state_load_json(struct state *st, const char *path, char **err)
{
	int ret = records_read(path, "dmwatch state", &state_desc, st, err);

	if (!ret)
		state_normalize(st);
	return ret;
}
