// SPDX-License-Identifier: GPL-2.0
/*
 * The saved state (scan --save-state / --state): a state with every field set must
 * come back identical, and every kind of broken file must give a one-line reason
 * and an empty state, never a crash or a half-filled model.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "test.h"
#include "jtree.h"
#include "model/state.h"
#include "lib/fileio.h"
#include "lib/util.h"

/* Every test works in its own directory so parallel runs cannot collide. */
static char *tmp_dir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = xasprintf("%s/dmwatch-test-state-XXXXXX", base ? base : "/tmp");

	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void tmp_dir_remove(char *dir, const char *file)
{
	char *path;

	if (!dir)
		return;
	path = xasprintf("%s/%s", dir, file);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}

static int write_text(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, text, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -EIO;
}

static char *fake_uuid(const char *vg, const char *lv, const char *layer)
{
	return xasprintf("LVM-%-32.32s%-32.32s%s%s", vg, lv, layer ? "-" : "", layer ? layer : "");
}

static void add_line(struct dm_line **l, size_t *n, uint64_t start, uint64_t len,
		     const char *type, const char *params)
{
	struct dm_line *x = array_push(l, n, sizeof(*x));

	x->start = start;
	x->length = len;
	x->type = xstrdup(type);
	x->params = xstrdup(params);
}

static struct dm_dev *add_dev(struct state *st, const char *name, const char *uuid,
			      uint32_t major, uint32_t minor)
{
	struct dm_dev *d = array_push(&st->devs, &st->n_devs, sizeof(*d));

	d->name = xstrdup(name);
	d->uuid = xstrdup(uuid);
	d->major = major;
	d->minor = minor;
	d->live_table = true;
	return d;
}

static void add_dep(struct dm_dev *d, uint32_t major, uint32_t minor)
{
	*(uint64_t *)array_push(&d->deps, &d->n_deps, sizeof(uint64_t)) = makedev(major, minor);
}

static struct lvm_lv *add_lv(struct state *st, const char *vg, const char *lv, const char *attr,
			     const char *pool, const char *origin, uint64_t size,
			     double data, double meta, int64_t thin_id)
{
	struct lvm_lv *x = array_push(&st->lvs, &st->n_lvs, sizeof(*x));

	x->vg_name = xstrdup(vg);
	x->lv_name = xstrdup(lv);
	x->vg_uuid = xstrdup("yAHGnU-CWfg-DmRu-FydI-LkXI-hEFq-SCwLJ1");
	x->lv_uuid = xasprintf("%.6s-AAAA-BBBB-CCCC-DDDD-EEEE-FFFFFF", lv);
	x->attr = xstrdup(attr);
	x->pool = xstrdup(pool);
	x->origin = xstrdup(origin);
	x->size = size;
	x->data_percent = data;
	x->metadata_percent = meta;
	x->thin_id = thin_id;
	return x;
}

static void add_extent(struct state *st, const char *vg, const char *lv, uint32_t maj,
		       uint32_t min, uint64_t start, uint64_t len)
{
	struct lvm_extent *x = array_push(&st->extents, &st->n_extents, sizeof(*x));

	x->vg_name = xstrdup(vg);
	x->lv_name = xstrdup(lv);
	x->lv_uuid = xasprintf("%.6s-AAAA-BBBB-CCCC-DDDD-EEEE-FFFFFF", lv);
	x->pv_major = maj;
	x->pv_minor = min;
	x->start = start;
	x->length = len;
}

static void add_storage(struct state *st, const char *id, enum pve_storage_type type,
			const char *vg, const char *pool, bool shared)
{
	struct pve_storage *s = array_push(&st->storages, &st->n_storages, sizeof(*s));

	s->id = xstrdup(id);
	s->type = type;
	s->vgname = xstrdup(vg);
	s->thinpool = xstrdup(pool);
	s->shared = shared;
}

static struct pve_guest *add_guest(struct state *st, int vmid, enum guest_type type,
				   const char *name, const char *node, bool running)
{
	struct pve_guest *g = array_push(&st->guests, &st->n_guests, sizeof(*g));

	g->vmid = vmid;
	g->type = type;
	g->name = xstrdup(name);
	g->node = xstrdup(node);
	g->running = running;
	return g;
}

static void add_ref(struct pve_guest *g, const char *key, const char *storage,
		    const char *volume, const char *snapshot)
{
	struct pve_volref *r = array_push(&g->refs, &g->n_refs, sizeof(*r));

	r->key = xstrdup(key);
	r->storage = xstrdup(storage);
	r->volume = xstrdup(volume);
	r->snapshot = xstrdup(snapshot);
}

/*
 * A small node with every field of every struct set to something that is not the
 * zero value, in an order that is not the canonical one (so normalize has work).
 */
static void build_full_state(struct state *st)
{
	struct dm_dev *d;
	struct pve_guest *g;
	char *uuid, *longname;

	memset(st, 0, sizeof(*st));
	st->schema = STATE_SCHEMA;
	st->host = xstrdup("pve1");
	st->node = xstrdup("pve1-node");
	st->collected_at = 1795258365;
	st->dm_major = 253;
	st->have_dm = true;
	st->have_lvm = true;
	st->have_pve = true;

	uuid = fake_uuid("vgvgvg", "vol101", NULL);
	d = add_dev(st, "pve-vm--101--disk--0", uuid, 253, 5);
	free(uuid);
	d->open_count = 1;
	d->event_nr = 4294967295u;
	add_line(&d->table, &d->n_table, 0, 67108864, "thin", "253:4 7");
	add_line(&d->status, &d->n_status, 0, 67108864, "thin", "12345678 67108863");
	add_dep(d, 253, 4);

	uuid = fake_uuid("vgvgvg", "pooldata", "tpool");
	d = add_dev(st, "pve-data-tpool", uuid, 253, 4);
	free(uuid);
	d->open_count = 7;
	d->event_nr = 3;
	add_line(&d->table, &d->n_table, 0, 3741057024ULL, "thin-pool",
		 "253:2 253:3 128 0 1 skip_block_zeroing");
	add_line(&d->status, &d->n_status, 0, 3741057024ULL, "thin-pool",
		 "12 1211/779264 45621/2228224 - rw no_discard_passdown queue_if_no_space - 1024");
	add_dep(d, 253, 3);
	add_dep(d, 253, 2);

	uuid = fake_uuid("vgvgvg", "snapcow", NULL);
	d = add_dev(st, "san-snap--473--1", uuid, 253, 54);
	free(uuid);
	d->suspended = true;
	d->read_only = true;
	add_line(&d->table, &d->n_table, 0, 2097152, "snapshot", "253:50 253:53 P 8");
	add_line(&d->status, &d->n_status, 0, 2097152, "snapshot", "Invalid");
	add_dep(d, 253, 53);
	add_dep(d, 253, 50);

	/* two table lines, striped over partitions with majors above 255 */
	d = add_dev(st, "crypt-ñame \"quoted\"/slash", "CRYPT-LUKS2-0123456789abcdef-crypt",
		    253, 1048575);
	d->live_table = false;
	d->open_count = -1;
	add_line(&d->table, &d->n_table, 0, 1024, "striped", "2 128 259:1 2048 259:1048575 2048");
	add_line(&d->table, &d->n_table, 1024, 18446744073709550000ULL, "error", "");
	add_dep(d, 259, 1);
	add_dep(d, 259, 1048575);

	/* the longest name and uuid the kernel takes: 127 and 128 bytes */
	longname = xmalloc(128);
	memset(longname, 'n', 127);
	longname[127] = 0;
	uuid = xmalloc(129);
	memset(uuid, 'u', 128);
	uuid[128] = 0;
	d = add_dev(st, longname, uuid, 4095, 0);
	free(longname);
	free(uuid);

	/* no uuid, no table at all (a device created without a table) */
	d = add_dev(st, "aaa-empty", "", 253, 0);
	d->live_table = false;

	add_lv(st, "pve", "vm-101-disk-0", "Vwi-aotz--", "data", "", 34359738368ULL, 18.39, NAN, 7);
	add_lv(st, "pve", "data", "twi-aotz--", "", "", 1915421196288ULL, 60.01, 2.55, -1);
	add_lv(st, "pve", "data_tdata", "Twi-ao----", "", "", 1915421196288ULL, NAN, NAN, -1);
	add_lv(st, "lvm", "snap-473-1", "swi-I-s---", "", "vm-473-disk-1", 1073741824, 100.0, NAN, -1);
	/* a value json must carry with all 17 digits */
	add_lv(st, "lvm", "vm-473-disk-1", "owi-aos---", "", "", UINT64_MAX - 511, 0.1 + 0.2,
	       1.0 / 3.0, 16777215);	/* the largest thin id (24 bits) */
	add_lv(st, "aaa", "thin0", "Vwi-a-tz--", "pool", "", 512, 0.0, 100.0, 0);

	add_extent(st, "pve", "data_tdata", 8, 3, 26345472, 3741057024ULL);
	add_extent(st, "pve", "root", 8, 3, 2048, 201326592);
	add_extent(st, "lvm", "vm-473-disk-1", 259, 1, 1048576, 2097152);
	add_extent(st, "lvm", "snap-473-1", 259, 1, 2048, 2097152);
	add_extent(st, "lvm", "huge", 4095, 1048575, UINT64_MAX - 1, 1);

	add_storage(st, "local-lvm", PVE_STORAGE_LVMTHIN, "pve", "data", false);
	add_storage(st, "SSD-HA01", PVE_STORAGE_LVM, "ssd-ha01", NULL, true);
	add_storage(st, "local", PVE_STORAGE_OTHER, NULL, NULL, false);

	g = add_guest(st, 473, GUEST_QEMU, "backup-test", "pve1", true);
	add_ref(g, "scsi0", "SSD-HA01", "vm-473-disk-0", NULL);
	add_ref(g, "scsi1", "SSD-HA01", "vm-473-disk-1", NULL);
	add_ref(g, "vmstate", "local-lvm", "vm-473-state-before", "before");
	add_ref(g, "scsi0", "SSD-HA01", "vm-473-disk-0", "before");
	g = add_guest(st, 101, GUEST_LXC, NULL, "pve2", false);
	g->template = true;
	add_ref(g, "rootfs", "local-lvm", "vm-101-disk-0", NULL);
	add_ref(g, "mp0", "local-lvm", "vm-101-disk-1", "pre-upgrade");
	/* same vmid on two nodes (a broken cluster) must survive with both */
	g = add_guest(st, 101, GUEST_QEMU, "dup", "pve1", false);
	g = add_guest(st, 999999999, GUEST_QEMU, "", "pve3", false);

	state_add_problem(st, "/etc/pve/nodes/pve1/qemu-server/104.conf", "line %d: %s", 3,
			  "bad \"disk\" line\twith a tab");
	state_add_problem(st, "lvs", "lvs failed; LVM checks skipped");
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* NaN is the "not applicable" value: two NaNs are equal here, and numbers must match exactly */
static bool dbl_eq(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

#define CHECK_SAME_STR(a, b) do {					\
	if (!str_eq((a), (b)))						\
		FAIL_AT("%s: \"%s\" != \"%s\"", #a, (a) ? (a) : "(null)", (b) ? (b) : "(null)"); \
} while (0)
#define CHECK_SAME_DBL(a, b) do {					\
	if (!dbl_eq((a), (b)))						\
		FAIL_AT("%s: %.17g != %.17g", #a, (double)(a), (double)(b)); \
} while (0)

static void compare_lines(int *failed__, const struct dm_line *a, size_t na,
			  const struct dm_line *b, size_t nb)
{
	CHECK_INT(na, nb);
	for (size_t i = 0; i < na && i < nb; i++) {
		CHECK(a[i].start == b[i].start);
		CHECK(a[i].length == b[i].length);
		CHECK_SAME_STR(a[i].type, b[i].type);
		CHECK_SAME_STR(a[i].params, b[i].params);
	}
}

static void compare_states(int *failed__, const struct state *a, const struct state *b)
{
	size_t i, j;

	CHECK_INT(a->schema, b->schema);
	CHECK_SAME_STR(a->host, b->host);
	CHECK_SAME_STR(a->node, b->node);
	CHECK_INT(a->collected_at, b->collected_at);
	CHECK_INT(a->dm_major, b->dm_major);
	CHECK_INT(a->have_dm, b->have_dm);
	CHECK_INT(a->have_lvm, b->have_lvm);
	CHECK_INT(a->have_pve, b->have_pve);

	CHECK_INT(a->n_devs, b->n_devs);
	for (i = 0; i < a->n_devs && i < b->n_devs; i++) {
		const struct dm_dev *x = &a->devs[i], *y = &b->devs[i];

		CHECK_SAME_STR(x->name, y->name);
		CHECK_SAME_STR(x->uuid, y->uuid);
		CHECK_INT(x->major, y->major);
		CHECK_INT(x->minor, y->minor);
		CHECK_INT(x->open_count, y->open_count);
		CHECK_INT(x->event_nr, y->event_nr);
		CHECK_INT(x->suspended, y->suspended);
		CHECK_INT(x->read_only, y->read_only);
		CHECK_INT(x->live_table, y->live_table);
		compare_lines(failed__, x->table, x->n_table, y->table, y->n_table);
		compare_lines(failed__, x->status, x->n_status, y->status, y->n_status);
		CHECK_INT(x->n_deps, y->n_deps);
		for (j = 0; j < x->n_deps && j < y->n_deps; j++)
			CHECK(x->deps[j] == y->deps[j]);
	}

	CHECK_INT(a->n_lvs, b->n_lvs);
	for (i = 0; i < a->n_lvs && i < b->n_lvs; i++) {
		const struct lvm_lv *x = &a->lvs[i], *y = &b->lvs[i];

		CHECK_SAME_STR(x->vg_name, y->vg_name);
		CHECK_SAME_STR(x->lv_name, y->lv_name);
		CHECK_SAME_STR(x->vg_uuid, y->vg_uuid);
		CHECK_SAME_STR(x->lv_uuid, y->lv_uuid);
		CHECK_SAME_STR(x->attr, y->attr);
		CHECK_SAME_STR(x->pool, y->pool);
		CHECK_SAME_STR(x->origin, y->origin);
		CHECK(x->size == y->size);
		CHECK_SAME_DBL(x->data_percent, y->data_percent);
		CHECK_SAME_DBL(x->metadata_percent, y->metadata_percent);
		CHECK(x->thin_id == y->thin_id);
	}

	CHECK_INT(a->n_extents, b->n_extents);
	for (i = 0; i < a->n_extents && i < b->n_extents; i++) {
		const struct lvm_extent *x = &a->extents[i], *y = &b->extents[i];

		CHECK_SAME_STR(x->vg_name, y->vg_name);
		CHECK_SAME_STR(x->lv_name, y->lv_name);
		CHECK_SAME_STR(x->lv_uuid, y->lv_uuid);
		CHECK_INT(x->pv_major, y->pv_major);
		CHECK_INT(x->pv_minor, y->pv_minor);
		CHECK(x->start == y->start);
		CHECK(x->length == y->length);
	}

	CHECK_INT(a->n_storages, b->n_storages);
	for (i = 0; i < a->n_storages && i < b->n_storages; i++) {
		const struct pve_storage *x = &a->storages[i], *y = &b->storages[i];

		CHECK_SAME_STR(x->id, y->id);
		CHECK_INT(x->type, y->type);
		CHECK_SAME_STR(x->vgname, y->vgname);
		CHECK_SAME_STR(x->thinpool, y->thinpool);
		CHECK_INT(x->shared, y->shared);
	}

	CHECK_INT(a->n_guests, b->n_guests);
	for (i = 0; i < a->n_guests && i < b->n_guests; i++) {
		const struct pve_guest *x = &a->guests[i], *y = &b->guests[i];

		CHECK_INT(x->vmid, y->vmid);
		CHECK_INT(x->type, y->type);
		CHECK_SAME_STR(x->name, y->name);
		CHECK_SAME_STR(x->node, y->node);
		CHECK_INT(x->running, y->running);
		CHECK_INT(x->template, y->template);
		CHECK_INT(x->n_refs, y->n_refs);
		for (j = 0; j < x->n_refs && j < y->n_refs; j++) {
			CHECK_SAME_STR(x->refs[j].key, y->refs[j].key);
			CHECK_SAME_STR(x->refs[j].storage, y->refs[j].storage);
			CHECK_SAME_STR(x->refs[j].volume, y->refs[j].volume);
			CHECK_SAME_STR(x->refs[j].snapshot, y->refs[j].snapshot);
		}
	}

	CHECK_INT(a->n_problems, b->n_problems);
	for (i = 0; i < a->n_problems && i < b->n_problems; i++) {
		CHECK_SAME_STR(a->problems[i].source, b->problems[i].source);
		CHECK_SAME_STR(a->problems[i].message, b->problems[i].message);
	}
}

TEST(state_round_trip_every_field)
{
	struct state orig, loaded;
	char *dir = tmp_dir(), *path = NULL, *err = NULL;

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/state.json", dir);
	build_full_state(&orig);
	CHECK_INT(state_save_json(&orig, path), 0);
	if (state_load_json(&loaded, path, &err)) {
		FAIL_AT("load of a saved state failed: %s", err);
		free(err);
		goto cleanup;
	}
	CHECK_NULL(err);
	state_normalize(&orig);
	compare_states(failed__, &orig, &loaded);

	/* canonical order really is canonical: a sorted sample of each array */
	CHECK_STR(loaded.devs[0].name, "aaa-empty");
	CHECK_STR(loaded.lvs[0].vg_name, "aaa");
	CHECK_INT(loaded.extents[0].pv_major, 8);
	CHECK_INT(loaded.extents[0].start, 2048);
	CHECK_STR(loaded.storages[0].id, "SSD-HA01");
	CHECK_INT(loaded.guests[0].vmid, 101);
	CHECK_STR(loaded.guests[0].node, "pve1");
	CHECK_INT(loaded.guests[1].vmid, 101);
	CHECK_STR(loaded.guests[1].node, "pve2");
	/* "n/a" percents stay NaN, they do not become 0 */
	CHECK_STR(loaded.lvs[1].lv_name, "snap-473-1");
	CHECK(isnan(loaded.lvs[1].metadata_percent));
	CHECK_DBL(loaded.lvs[1].data_percent, 100.0);
	state_free(&loaded);
cleanup:
	state_free(&orig);
	free(path);
	tmp_dir_remove(dir, "state.json");
}

/* save(load(save(x))) is byte for byte save(x): no drift between versions of a file */
TEST(state_save_is_stable)
{
	struct state orig, loaded;
	char *dir = tmp_dir(), *p1 = NULL, *p2 = NULL, *b1 = NULL, *b2 = NULL, *err = NULL;
	size_t l1 = 0, l2 = 0;

	CHECK(dir != NULL);
	if (!dir)
		return;
	p1 = xasprintf("%s/a.json", dir);
	p2 = xasprintf("%s/b.json", dir);
	build_full_state(&orig);
	state_normalize(&orig);
	CHECK_INT(state_save_json(&orig, p1), 0);
	if (state_load_json(&loaded, p1, &err)) {
		FAIL_AT("load failed: %s", err);
		free(err);
		goto cleanup;
	}
	CHECK_INT(state_save_json(&loaded, p2), 0);
	CHECK_INT(read_file(p1, &b1, &l1, 1 << 24), 0);
	CHECK_INT(read_file(p2, &b2, &l2, 1 << 24), 0);
	CHECK(b1 && b2 && l1 == l2 && !memcmp(b1, b2, l1));
	/* write-then-rename leaves no temporary behind */
	{
		char *tmp = xasprintf("%s.tmp", p1);

		CHECK(access(tmp, F_OK) != 0);
		free(tmp);
	}
	state_free(&loaded);
cleanup:
	state_free(&orig);
	free(b1);
	free(b2);
	unlink(p1);
	free(p1);
	free(p2);
	tmp_dir_remove(dir, "b.json");
}

TEST(state_empty_round_trip)
{
	struct state orig = { .schema = STATE_SCHEMA }, loaded;
	char *dir = tmp_dir(), *path, *err = NULL;

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/state.json", dir);
	CHECK_INT(state_save_json(&orig, path), 0);
	CHECK_INT(state_load_json(&loaded, path, &err), 0);
	CHECK_NULL(err);
	compare_states(failed__, &orig, &loaded);
	CHECK_NULL(loaded.host);
	CHECK_NULL(loaded.devs);
	state_free(&loaded);
	free(err);
	free(path);
	tmp_dir_remove(dir, "state.json");
}

TEST(state_save_to_unwritable_place)
{
	struct state st = { .schema = STATE_SCHEMA };

	CHECK(state_save_json(&st, "/nonexistent-dir/x/state.json") < 0);
}

/* ---- bad input ---- */

/* A minimal valid state; the bad cases below are single edits of it. */
static const char base_state[] =
	"{\"schema\":1,\"kind\":\"dmwatch-state\",\"host\":\"pve1\",\"node\":\"pve1\","
	"\"collected_at\":1795258365,\"dm_major\":253,"
	"\"have_dm\":true,\"have_lvm\":true,\"have_pve\":true,"
	"\"devices\":[{\"name\":\"pve-root\",\"uuid\":\"LVM-x\",\"major\":253,\"minor\":1,"
	"\"open_count\":1,\"event_nr\":0,\"suspended\":false,\"read_only\":false,"
	"\"live_table\":true,"
	"\"table\":[{\"start\":0,\"length\":8,\"type\":\"linear\",\"params\":\"8:3 2048\"}],"
	"\"status\":[{\"start\":0,\"length\":8,\"type\":\"linear\",\"params\":\"\"}],"
	"\"deps\":[2051]}],"
	"\"lvs\":[{\"vg_name\":\"pve\",\"lv_name\":\"root\",\"vg_uuid\":\"v\",\"lv_uuid\":\"l\","
	"\"attr\":\"-wi-ao----\",\"pool\":\"\",\"origin\":\"\",\"size\":4096,"
	"\"data_percent\":null,\"metadata_percent\":12.5,\"thin_id\":-1}],"
	"\"extents\":[{\"vg_name\":\"pve\",\"lv_name\":\"root\",\"lv_uuid\":\"l\",\"pv_major\":8,"
	"\"pv_minor\":3,\"start\":2048,\"length\":8}],"
	"\"storages\":[{\"id\":\"local-lvm\",\"type\":\"lvmthin\",\"vgname\":\"pve\","
	"\"thinpool\":\"data\",\"shared\":false}],"
	"\"guests\":[{\"vmid\":100,\"type\":\"qemu\",\"name\":\"web\",\"node\":\"pve1\","
	"\"running\":true,\"template\":false,\"refs\":[{\"key\":\"scsi0\","
	"\"storage\":\"local-lvm\",\"volume\":\"vm-100-disk-0\",\"snapshot\":null}]}],"
	"\"problems\":[{\"source\":\"lvs\",\"message\":\"m\"}]}";

/* base_state with the first `from` replaced by `to` (which must exist: a typo is a test bug) */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(base_state, from);

	if (!at)
		return NULL;
	return xasprintf("%.*s%s%s", (int)(at - base_state), base_state, to, at + strlen(from));
}

static bool is_zeroed(const struct state *st)
{
	static const struct state zero;

	return !memcmp(st, &zero, sizeof(zero));
}

/*
 * Load `text` (len bytes); expect a failure with a useful one-line error and an
 * untouched, empty state. Returns the error for extra checks (caller frees).
 */
static char *expect_bad(int *failed__, const char *what, const char *text, size_t len)
{
	char *dir = tmp_dir(), *path, *err = NULL;
	struct state st;
	int ret;

	if (!dir) {
		FAIL_AT("%s: no temporary directory", what);
		return NULL;
	}
	path = xasprintf("%s/bad.json", dir);
	if (write_text(path, text, len)) {
		FAIL_AT("%s: cannot write %s", what, path);
		goto out;
	}
	memset(&st, 0x5a, sizeof(st));		/* the loader must not rely on a zeroed struct */
	ret = state_load_json(&st, path, &err);
	if (ret == 0) {
		FAIL_AT("%s: accepted", what);
		state_free(&st);
		goto out;
	}
	if (ret > 0)
		FAIL_AT("%s: returned %d, expected a negative errno", what, ret);
	if (!err || !*err)
		FAIL_AT("%s: no error message", what);
	else if (strchr(err, '\n'))
		FAIL_AT("%s: error is not one line: %s", what, err);
	if (!is_zeroed(&st))
		FAIL_AT("%s: state not empty after failure", what);
out:
	free(path);
	tmp_dir_remove(dir, "bad.json");
	return err;
}

static void bad_edit(int *failed__, const char *from, const char *to, const char *expect_in_err)
{
	char *text = edit(from, to), *err;

	if (!text) {
		FAIL_AT("test bug: \"%s\" is not in the base state", from);
		return;
	}
	err = expect_bad(failed__, to, text, strlen(text));
	if (err && expect_in_err && !strstr(err, expect_in_err))
		FAIL_AT("edit \"%s\" -> \"%s\": error \"%s\" does not mention \"%s\"", from, to, err,
			expect_in_err);
	free(err);
	free(text);
}

TEST(state_base_fixture_is_valid)
{
	char *dir = tmp_dir(), *path, *err = NULL;
	struct state st;

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/ok.json", dir);
	CHECK_INT(write_text(path, base_state, strlen(base_state)), 0);
	CHECK_INT(state_load_json(&st, path, &err), 0);
	CHECK_NULL(err);
	CHECK_INT(st.n_devs, 1);
	CHECK_INT(st.devs[0].deps[0], makedev(8, 3));
	CHECK_INT(st.n_lvs, 1);
	CHECK(isnan(st.lvs[0].data_percent));
	CHECK_DBL(st.lvs[0].metadata_percent, 12.5);
	CHECK_INT(st.lvs[0].thin_id, -1);
	CHECK_INT(st.guests[0].n_refs, 1);
	CHECK_NULL(st.guests[0].refs[0].snapshot);
	state_free(&st);
	free(err);
	free(path);
	tmp_dir_remove(dir, "ok.json");
}

TEST(state_load_missing_or_unreadable)
{
	char *dir = tmp_dir(), *err = NULL;
	struct state st;

	CHECK(dir != NULL);
	CHECK_INT(state_load_json(&st, "/nonexistent/dmwatch/state.json", &err), -ENOENT);
	CHECK(err && strstr(err, "/nonexistent/dmwatch/state.json") && !strchr(err, '\n'));
	CHECK(is_zeroed(&st));
	free(err);
	err = NULL;
	/* a directory is not a state */
	if (dir) {
		CHECK(state_load_json(&st, dir, &err) < 0);
		CHECK(err && !strchr(err, '\n'));
		CHECK(is_zeroed(&st));
		free(err);
		tmp_dir_remove(dir, "none");
	}
}

TEST(state_load_not_json)
{
	static const char *const bad[] = {
		"",			/* empty file */
		"   \n\t ",		/* only blanks */
		"hello",
		"dmwatch-state schema 1",
		"{'schema': 1}",	/* python repr, not JSON */
		"{\"schema\":1,",	/* truncated */
		"\xff\xfe{\x00\"\x00",	/* UTF-16 with a BOM */
	};
	char *err;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = expect_bad(failed__, bad[i], bad[i], i == 6 ? 6 : strlen(bad[i]));
		free(err);
	}
}

TEST(state_load_truncated_everywhere)
{
	size_t len = strlen(base_state);
	bool unclear_told = false;

	/* every prefix of a valid state is an error: a copy cut short by scp or a full disk */
	for (size_t cut = 0; cut < len; cut += (cut < 40 || len - cut < 40) ? 1 : 17) {
		char *err = expect_bad(failed__, "truncated", base_state, cut);

		/* json-c calls a short read "continue": meaningless to the person reading it */
		if (err && strstr(err, "(continue)") && !unclear_told) {
			FAIL_AT("cut at %zu: unclear error \"%s\" (and more cuts)", cut, err);
			unclear_told = true;
		}
		free(err);
	}
}

TEST(state_load_trailing_garbage)
{
	/*
	 * Two states concatenated (>> instead of >), or a valid object followed by
	 * junk: the file is not one JSON document and must not half-load silently.
	 */
	char *text = xasprintf("%s\n%s", base_state, base_state), *err;

	err = expect_bad(failed__, "two states in one file", text, strlen(text));
	free(err);
	free(text);
	text = xasprintf("%s garbage", base_state);
	err = expect_bad(failed__, "garbage after the object", text, strlen(text));
	free(err);
	free(text);
}

TEST(state_load_wrong_top_level)
{
	static const char *const bad[] = {
		"[]", "[{\"schema\":1}]", "1", "\"state\"", "null", "true",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		free(expect_bad(failed__, bad[i], bad[i], strlen(bad[i])));
}

TEST(state_load_wrong_schema)
{
	bad_edit(failed__, "\"schema\":1,", "\"schema\":2,", "schema");
	bad_edit(failed__, "\"schema\":1,", "\"schema\":0,", "schema");
	bad_edit(failed__, "\"schema\":1,", "\"schema\":-1,", "schema");
	bad_edit(failed__, "\"schema\":1,", "\"schema\":\"1\",", "schema");
	bad_edit(failed__, "\"schema\":1,", "\"schema\":1.0,", "schema");
	bad_edit(failed__, "\"schema\":1,", "", "schema");
	/* some other program's JSON */
	{
		static const char pkg[] = "{\"name\":\"x\",\"version\":\"1.0.0\"}";

		free(expect_bad(failed__, "package.json", pkg, strlen(pkg)));
	}
}

TEST(state_load_wrong_types)
{
	bad_edit(failed__, "\"devices\":[", "\"devices\":{},\"unused\":[", "devices");
	bad_edit(failed__, "\"devices\":[{", "\"devices\":[1,{", "devices");
	bad_edit(failed__, "\"devices\":[{", "\"devices\":[null,{", "devices");
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":5", "name");
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":null", "name");
	bad_edit(failed__, "\"uuid\":\"LVM-x\",", "", "uuid");
	bad_edit(failed__, "\"major\":253,", "\"major\":\"253\",", "major");
	bad_edit(failed__, "\"minor\":1,", "\"minor\":1.5,", "minor");
	bad_edit(failed__, "\"suspended\":false", "\"suspended\":0", "suspended");
	bad_edit(failed__, "\"live_table\":true", "\"live_table\":\"true\"", "live_table");
	bad_edit(failed__, "\"table\":[{", "\"table\":[\"0 8 linear 8:3 2048\",{", "table");
	bad_edit(failed__, "\"type\":\"linear\",\"params\":\"8:3 2048\"",
		 "\"type\":\"linear\",\"params\":[\"8:3\",2048]", "params");
	bad_edit(failed__, "\"start\":0,\"length\":8,\"type\":\"linear\",\"params\":\"8:3",
		 "\"start\":\"0\",\"length\":8,\"type\":\"linear\",\"params\":\"8:3", "start");
	bad_edit(failed__, "\"deps\":[2051]", "\"deps\":[\"8:3\"]", "deps");
	bad_edit(failed__, "\"deps\":[2051]", "\"deps\":2051", "deps");
	bad_edit(failed__, "\"lvs\":[", "\"lvs\":\"[]\",\"unused\":[", "lvs");
	bad_edit(failed__, "\"size\":4096", "\"size\":\"4096\"", "size");
	bad_edit(failed__, "\"size\":4096", "\"size\":4096.5", "size");
	bad_edit(failed__, "\"metadata_percent\":12.5", "\"metadata_percent\":\"12.5\"",
		 "metadata_percent");
	bad_edit(failed__, "\"thin_id\":-1", "\"thin_id\":-2", "thin_id");
	bad_edit(failed__, "\"thin_id\":-1", "\"thin_id\":null", "thin_id");
	bad_edit(failed__, "\"pv_minor\":3", "\"pv_minor\":true", "pv_minor");
	bad_edit(failed__, "\"type\":\"lvmthin\"", "\"type\":\"zfspool\"", "type");
	bad_edit(failed__, "\"shared\":false", "\"shared\":null", "shared");
	bad_edit(failed__, "\"vmid\":100", "\"vmid\":\"100\"", "vmid");
	bad_edit(failed__, "\"type\":\"qemu\"", "\"type\":\"docker\"", "type");
	bad_edit(failed__, "\"refs\":[{", "\"refs\":[[],{", "refs");
	bad_edit(failed__, "\"volume\":\"vm-100-disk-0\"", "\"volume\":1", "volume");
	bad_edit(failed__, "\"snapshot\":null", "\"snapshot\":false", "snapshot");
	bad_edit(failed__, "\"message\":\"m\"", "\"message\":{}", "message");
	bad_edit(failed__, "\"host\":\"pve1\"", "\"host\":[\"pve1\"]", "host");
	bad_edit(failed__, "\"have_dm\":true", "\"have_dm\":1", "have_dm");
	/* the last element bad: the earlier, good ones must be freed too */
	bad_edit(failed__, "\"problems\":[{", "\"problems\":[{\"source\":\"a\",\"message\":\"b\"},"
		 "{\"source\":\"a\",\"message\":\"b\"},7,{", "problems");
}

TEST(state_load_names_at_the_limit)
{
	char name[129], uuid[130], *from, *to;

	/* 127 bytes is the longest dm name (DM_NAME_LEN 128 with the NUL): accepted */
	memset(name, 'a', 127);
	name[127] = 0;
	to = xasprintf("\"name\":\"%s\"", name);
	from = edit("\"name\":\"pve-root\"", to);
	{
		char *dir = tmp_dir(), *path = dir ? xasprintf("%s/ok.json", dir) : NULL, *err = NULL;
		struct state st;

		CHECK(dir && from);
		if (dir && from) {
			CHECK_INT(write_text(path, from, strlen(from)), 0);
			CHECK_INT(state_load_json(&st, path, &err), 0);
			if (!err)
				CHECK_INT(strlen(st.devs[0].name), 127);
			state_free(&st);
		}
		free(err);
		free(path);
		tmp_dir_remove(dir, "ok.json");
	}
	free(from);
	free(to);

	/* 128 bytes cannot exist in the kernel */
	memset(name, 'a', 128);
	name[128] = 0;
	to = xasprintf("\"name\":\"%s\"", name);
	bad_edit(failed__, "\"name\":\"pve-root\"", to, "name");
	free(to);
	/* the same with a multi-byte character: bytes count, not characters */
	to = xasprintf("\"name\":\"\xc3\xa9%.126s\"", name);
	bad_edit(failed__, "\"name\":\"pve-root\"", to, "name");
	free(to);
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":\"\"", "name");

	memset(uuid, 'u', 129);
	uuid[129] = 0;
	to = xasprintf("\"uuid\":\"%s\"", uuid);
	bad_edit(failed__, "\"uuid\":\"LVM-x\"", to, "uuid");
	free(to);
}

TEST(state_load_numbers_out_of_range)
{
	bad_edit(failed__, "\"major\":253,", "\"major\":-1,", "major");
	bad_edit(failed__, "\"major\":253,", "\"major\":4096,", "major");
	bad_edit(failed__, "\"minor\":1,", "\"minor\":1048576,", "minor");
	bad_edit(failed__, "\"major\":253,", "\"major\":99999999999999999999999999,", "major");
	bad_edit(failed__, "\"major\":253,", "\"major\":-99999999999999999999999999,", "major");
	bad_edit(failed__, "\"open_count\":1", "\"open_count\":-2", "open_count");
	bad_edit(failed__, "\"open_count\":1", "\"open_count\":2147483648", "open_count");
	bad_edit(failed__, "\"event_nr\":0", "\"event_nr\":4294967296", "event_nr");
	bad_edit(failed__, "\"event_nr\":0", "\"event_nr\":-1", "event_nr");
	bad_edit(failed__, "\"dm_major\":253", "\"dm_major\":-253", "dm_major");
	bad_edit(failed__, "\"pv_major\":8", "\"pv_major\":1e3", "pv_major");
	bad_edit(failed__, "\"start\":2048", "\"start\":-2048", "start");
	bad_edit(failed__, "\"length\":8}]", "\"length\":-1}]", "length");
	bad_edit(failed__, "\"size\":4096", "\"size\":-4096", "size");
	bad_edit(failed__, "\"size\":4096", "\"size\":1e400", "size");
	bad_edit(failed__, "\"vmid\":100", "\"vmid\":-100", "vmid");
	bad_edit(failed__, "\"vmid\":100", "\"vmid\":1000000000", "vmid");
	bad_edit(failed__, "\"collected_at\":1795258365", "\"collected_at\":-1", "collected_at");
}

/*
 * Numbers beyond 64 bits must be errors, not clamped to INT64_MIN / UINT64_MAX
 * (json-c's parser did that silently): the model would hold a value the file never had.
 */
TEST(state_load_numbers_beyond_64_bits)
{
	bad_edit(failed__, "\"start\":2048", "\"start\":99999999999999999999999999", "start");
	bad_edit(failed__, "\"size\":4096", "\"size\":18446744073709551616", "size");
	bad_edit(failed__, "\"collected_at\":1795258365",
		 "\"collected_at\":99999999999999999999999999", "collected_at");
	bad_edit(failed__, "\"thin_id\":-1", "\"thin_id\":99999999999999999999999999", "thin_id");
	bad_edit(failed__, "\"deps\":[2051]", "\"deps\":[99999999999999999999999999]", "deps");
	/* a dev_t cannot be negative either */
	bad_edit(failed__, "\"deps\":[2051]", "\"deps\":[-1]", "deps");
}

/* Load an edit of base_state that must be accepted; returns 0 and fills *st */
static int load_edit(int *failed__, const char *from, const char *to, struct state *st)
{
	char *text = edit(from, to), *dir = tmp_dir(), *path = NULL, *err = NULL;
	int ret = -1;

	if (!text || !dir) {
		FAIL_AT("edit \"%s\": not in base_state, or no temporary directory", from);
		goto out;
	}
	path = xasprintf("%s/ok.json", dir);
	CHECK_INT(write_text(path, text, strlen(text)), 0);
	ret = state_load_json(st, path, &err);
	if (ret)
		FAIL_AT("edit \"%s\" -> \"%s\": refused: %s", from, to, err);
out:
	free(err);
	free(text);
	free(path);
	tmp_dir_remove(dir, "ok.json");
	return ret;
}

/*
 * What dmwatch saves is strict JSON (RFC 8259), and only that loads: json-c's
 * leniencies that a hand edit or a broken copy can produce are refused.
 */
TEST(state_load_strict_json)
{
	bad_edit(failed__, "\"major\":253,", "\"major\":0253,", NULL);	/* leading zero */
	bad_edit(failed__, "\"deps\":[2051]", "\"deps\":[2051,]", NULL);	/* trailing comma */
	bad_edit(failed__, "\"schema\":1,", "\"schema\":1,/* c */", NULL);	/* comment */
	bad_edit(failed__, "\"params\":\"8:3 2048\"", "\"params\":\"8:3\n2048\"", NULL);
	bad_edit(failed__, "\"host\":\"pve1\"", "\"host\":'pve1'", NULL);
	bad_edit(failed__, "\"metadata_percent\":12.5", "\"metadata_percent\":NaN", NULL);
}

/* json-c let the last of two equal keys win: which one did the author mean? */
TEST(state_load_duplicate_keys)
{
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":\"x\",\"name\":\"pve-root\"",
		 "devices[0].name: given twice");
	bad_edit(failed__, "\"problems\":[", "\"problems\":[],\"problems\":[", "problems");
}

/* A newer dmwatch may add fields: this one skips what it does not know, however nested. */
TEST(state_load_skips_unknown_keys)
{
	struct state st;

	if (load_edit(failed__, "\"uuid\":\"LVM-x\",",
		      "\"future\":{\"a\":[1,{\"b\":[[],{}]}],\"c\":null},\"uuid\":\"LVM-x\","
		      "\"also\":[{\"name\":5}],", &st) == 0) {
		CHECK_STR(st.devs[0].name, "pve-root");
		CHECK_STR(st.devs[0].uuid, "LVM-x");
		CHECK_INT(st.devs[0].n_table, 1);
		state_free(&st);
	}
	if (load_edit(failed__, "\"schema\":1,", "\"schema\":1,\"x\":[[[[\"deep\"]]]],", &st) == 0)
		state_free(&st);
}

/* Keys in any order, numbers beyond 2^63 where the field is unsigned */
TEST(state_load_any_key_order)
{
	struct state st;

	if (load_edit(failed__, "{\"start\":0,\"length\":8,\"type\":\"linear\",\"params\":\"8:3 2048\"}",
		      "{\"params\":\"8:3 2048\",\"type\":\"linear\",\"length\":8,\"start\":0}", &st) == 0) {
		CHECK_STR(st.devs[0].table[0].params, "8:3 2048");
		CHECK_INT(st.devs[0].table[0].length, 8);
		state_free(&st);
	}
	if (load_edit(failed__, "\"size\":4096", "\"size\":18446744073709551000", &st) == 0) {
		CHECK(st.lvs[0].size == 18446744073709551000ULL);
		state_free(&st);
	}
}

/* the error names the element: in 10,000 devices "name: missing" does not help */
TEST(state_load_error_path)
{
	bad_edit(failed__, "\"volume\":\"vm-100-disk-0\"", "\"volume\":1",
		 "guests[0].refs[0].volume: wrong type");
	bad_edit(failed__, "\"start\":0,\"length\":8,\"type\":\"linear\",\"params\":\"\"",
		 "\"start\":0,\"type\":\"linear\",\"params\":\"\"", "devices[0].status[0].length: missing");
	bad_edit(failed__, "\"deps\":[2051]", "\"deps\":[2051,{}]", "devices[0].deps[1]");
	bad_edit(failed__, "\"schema\":1,", "\"schema\":2,", "schema: unsupported version");
	/* the number this dmwatch reads, not a macro's name */
	bad_edit(failed__, "\"schema\":1,", "\"schema\":2,", "(this dmwatch reads 1)");
}

/* \u0000 would silently cut a name short where C strings end: refused, element named */
TEST(state_load_refuses_nul)
{
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":\"pve\\u0000-root\"",
		 "devices[0].name: holds \\u0000");
	bad_edit(failed__, "\"volume\":\"vm-100-disk-0\"", "\"volume\":\"vm\\u0000\"",
		 "guests[0].refs[0].volume: holds");
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":\"x\",\"name_hex\":\"7800\"",
		 "devices[0].name_hex: holds a NUL byte");
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":\"x\",\"name_hex\":\"7g\"",
		 "devices[0].name_hex: not hex");
}

/*
 * Names are bytes: control characters, ESC and bytes that are not UTF-8 save as
 * strict UTF-8 JSON (a _hex companion keeps the exact bytes) and load back
 * byte for byte, so a device with such a name can still be removed and restored.
 */
TEST(state_hostile_names_round_trip)
{
	static const char *const names[] = {
		"ctl\001\002\377", "esc\033]0;title\007", "bad\xc3\x28utf8", "\xff\xfe",
		"ok-\xc3\xa9t\xc3\xa9", "del\x7f\xc2\x9b", "quote\"back\\slash",
	};
	struct state orig = { .schema = STATE_SCHEMA }, loaded;
	char *dir = tmp_dir(), *path = NULL, *text = NULL, *err = NULL, why[256];
	int n_unmangled;
	yajl_val root;

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/state.json", dir);
	orig.host = xstrdup("host\377");
	orig.have_dm = true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct dm_dev *d = array_push(&orig.devs, &orig.n_devs, sizeof(*d));
		struct dm_line *l = array_push(&d->table, &d->n_table, sizeof(*l));

		d->name = xstrdup(names[i]);
		d->uuid = xstrdup(i % 2 ? "" : names[i]);
		d->name_unmangled = i == 0;
		d->minor = i;
		l->length = 8;
		l->type = xstrdup("linear");
		l->params = xasprintf("8:%zu 0 \377", i);
	}
	state_normalize(&orig);
	CHECK_INT(state_save_json(&orig, path), 0);
	CHECK_INT(read_file(path, &text, NULL, 1 << 20), 0);
	root = text ? jt_parse(text, why, sizeof(why)) : NULL;
	if (!root)
		FAIL_AT("saved state is not strict UTF-8 JSON: %s", why);
	CHECK(text && !strchr(text, '\033') && !strchr(text, '\001'));
	CHECK(text && strstr(text, "\"host_hex\":\"686f7374ff\""));
	CHECK(text && strstr(text, "\"name\":\"\\ufffd\\ufffd\",\"name_hex\":\"fffe\""));
	/* valid UTF-8 needs no companion, however odd */
	CHECK(text && strstr(text, "\"name\":\"ok-\xc3\xa9t\xc3\xa9\",\"uuid\""));
	yajl_tree_free(root);
	if (state_load_json(&loaded, path, &err)) {
		FAIL_AT("load failed: %s", err);
		free(err);
		goto cleanup;
	}
	compare_states(failed__, &orig, &loaded);
	for (size_t i = 0; i < loaded.n_devs; i++) {
		CHECK_STR(loaded.devs[i].name, orig.devs[i].name);
		CHECK(loaded.devs[i].name_unmangled == orig.devs[i].name_unmangled);
	}
	/* written only when true: one device has it */
	n_unmangled = 0;
	for (const char *p = text; p && (p = strstr(p, "\"name_unmangled\":")); p++)
		n_unmangled++;
	CHECK_INT(n_unmangled, 1);
	CHECK(text && strstr(text, "\"name_unmangled\":true"));
	CHECK_STR(loaded.host, "host\377");
	state_free(&loaded);
cleanup:
	state_free(&orig);
	free(text);
	free(path);
	tmp_dir_remove(dir, "state.json");
}

/* the exact bytes win over the text shown, whichever comes first */
TEST(state_load_hex_companion)
{
	struct state st;

	if (load_edit(failed__, "\"name\":\"pve-root\"",
		      "\"name_hex\":\"7076652dff\",\"name\":\"pve-\\ufffd\"", &st) == 0) {
		CHECK_STR(st.devs[0].name, "pve-\377");
		state_free(&st);
	}
	if (load_edit(failed__, "\"name\":\"pve-root\"",
		      "\"name\":\"pve-\\ufffd\",\"name_hex\":\"7076652DFF\"", &st) == 0) {
		CHECK_STR(st.devs[0].name, "pve-\377");
		state_free(&st);
	}
	bad_edit(failed__, "\"name\":\"pve-root\"",
		 "\"name\":\"x\",\"name_hex\":\"78\",\"name_hex\":\"78\"", "name_hex: given twice");
	bad_edit(failed__, "\"name\":\"pve-root\"", "\"name\":\"x\",\"name_hex\":7",
		 "devices[0].name: wrong type");
}

TEST(state_load_deep_nesting)
{
	size_t depth = 100000;
	char *text = xmalloc(2 * depth + 1), *err;

	/* a parser recursing per level would blow the stack here */
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	text[2 * depth] = 0;
	err = expect_bad(failed__, "deep nesting", text, 2 * depth);
	free(err);
	free(text);
}

/*
 * The saved format does not drift: cluster.json saved is, byte for byte,
 * cluster-saved.json (written by dmwatch 0.1's json-c saver; the table-driven
 * yajl writer must keep every byte of it).
 */
TEST(state_save_matches_golden_file)
{
	char *dir = tmp_dir(), *path = NULL, *got = NULL, *want = NULL;
	size_t got_len = 0, want_len = 0;
	struct state st;

	CHECK(dir != NULL);
	if (!dir)
		return;
	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		goto cleanup;
	}
	path = xasprintf("%s/state.json", dir);
	CHECK_INT(state_save_json(&st, path), 0);
	state_free(&st);
	CHECK_INT(read_file(path, &got, &got_len, 1 << 24), 0);
	CHECK_INT(read_file(FIXTURES "/state/cluster-saved.json", &want, &want_len, 1 << 24), 0);
	CHECK(got && want && got_len == want_len && !memcmp(got, want, got_len));
cleanup:
	free(got);
	free(want);
	free(path);
	tmp_dir_remove(dir, "state.json");
}
