// SPDX-License-Identifier: GPL-2.0
/*
 * Trace events in userspace: the name map that names dm-N at the moment an event
 * happens, the JSON lines of docs/events.md (parsed back with a strict UTF-8 parser,
 * not compared as text), timestamps, errno names and the COW fill-rate / time-to-full maths.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <linux/dm-ioctl.h>
#include "test.h"
#include "jtree.h"
#include "trace/events.h"
#include "lib/escape.h"
#include "lib/util.h"
#include "lib/width.h"
#include "model/jsongen.h"
#include "trace/trace_text.h"

#define DEV(maj, min) ((uint32_t)(maj) << DMW_MINORBITS | (min))
#define NS 1000000000ULL
/* 2026-11-21T10:52:45.123456789Z */
#define T0 (1795258365ULL * NS + 123456789ULL)

static struct dmw_event ev(uint32_t type, uint32_t dev, const char *name, const char *uuid,
			   int ret)
{
	struct dmw_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.source = DMW_SRC_KPROBE;
	e.dev = dev;
	e.ret = ret;
	e.pid = 4242;
	snprintf(e.comm, sizeof(e.comm), "%s", "lvcreate");
	snprintf(e.name, sizeof(e.name), "%s", name ? name : "");
	snprintf(e.uuid, sizeof(e.uuid), "%s", uuid ? uuid : "");
	return e;
}

/* ---- name map ---- */

TEST(name_map_set_and_get)
{
	struct name_map *m = name_map_new();
	const struct name_entry *e;

	CHECK_NULL(name_map_get(m, DEV(253, 5)));
	CHECK_NULL(name_map_by_name(m, "pve-root"));

	name_map_set(m, DEV(253, 1), "pve-root", "LVM-aaaa");
	name_map_set(m, DEV(253, 5), "pve-vm--101--disk--0", "LVM-bbbb");
	name_map_set(m, DEV(253, 6), "crypt", NULL);

	e = name_map_get(m, DEV(253, 5));
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->name, "pve-vm--101--disk--0");
		CHECK_STR(e->uuid, "LVM-bbbb");
		CHECK_INT(e->dev, DEV(253, 5));
		CHECK(!e->removed);
	}
	e = name_map_by_name(m, "pve-root");
	CHECK(e && e->dev == DEV(253, 1));
	e = name_map_get(m, DEV(253, 6));
	CHECK(e && !strcmp(e->uuid, ""));
	/* same minor on another major is another device */
	CHECK_NULL(name_map_get(m, DEV(254, 5)));
	CHECK_NULL(name_map_by_name(m, "pve-vm--101--disk--"));

	/* set again: updated in place, still one entry by that name */
	name_map_set(m, DEV(253, 1), "pve-root", "LVM-cccc");
	e = name_map_by_name(m, "pve-root");
	CHECK(e && !strcmp(e->uuid, "LVM-cccc"));
	CHECK(name_map_get(m, DEV(253, 1)) == e);
	name_map_free(m);
	name_map_free(NULL);
}

TEST(name_map_long_names)
{
	struct name_map *m = name_map_new();
	char name[300], uuid[300];
	const struct name_entry *e;

	/* longer than the kernel allows: kept to the kernel's limits, NUL-terminated */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	memset(uuid, 'u', sizeof(uuid) - 1);
	uuid[sizeof(uuid) - 1] = 0;
	name_map_set(m, DEV(253, 0), name, uuid);
	e = name_map_get(m, DEV(253, 0));
	CHECK(e != NULL);
	if (e) {
		CHECK_INT(strlen(e->name), DMW_NAME_LEN - 1);
		CHECK_INT(strlen(e->uuid), DMW_UUID_LEN - 1);
	}
	name_map_free(m);
}

TEST(name_map_lifecycle)
{
	struct name_map *m = name_map_new();
	const struct name_entry *e;
	struct dmw_event x;

	x = ev(DMW_EV_DM_CREATE, DEV(253, 7), "pve-vm--101--disk--0", "LVM-v1", 0);
	name_map_apply(m, &x);
	e = name_map_get(m, DEV(253, 7));
	CHECK(e && !strcmp(e->name, "pve-vm--101--disk--0") && !strcmp(e->uuid, "LVM-v1"));

	/* a failed create (EBUSY: the name exists) changes nothing */
	x = ev(DMW_EV_DM_CREATE, DEV(253, 8), "pve-vm--101--disk--0", "LVM-v2", -EBUSY);
	name_map_apply(m, &x);
	CHECK_NULL(name_map_get(m, DEV(253, 8)));
	e = name_map_by_name(m, "pve-vm--101--disk--0");
	CHECK(e && e->dev == DEV(253, 7) && !strcmp(e->uuid, "LVM-v1"));

	/* rename by dev */
	x = ev(DMW_EV_DM_RENAME, DEV(253, 7), "pve-vm--101--disk--0", NULL, 0);
	snprintf(x.new_name, sizeof(x.new_name), "%s", "pve-vm--102--disk--0");
	name_map_apply(m, &x);
	CHECK_NULL(name_map_by_name(m, "pve-vm--101--disk--0"));
	e = name_map_by_name(m, "pve-vm--102--disk--0");
	CHECK(e && e->dev == DEV(253, 7) && !strcmp(e->uuid, "LVM-v1"));

	/* rename seen by the syscall fallback: no dev, found by the old name */
	x = ev(DMW_EV_DM_RENAME, 0, "pve-vm--102--disk--0", NULL, 0);
	snprintf(x.new_name, sizeof(x.new_name), "%s", "pve-vm--103--disk--0");
	name_map_apply(m, &x);
	e = name_map_get(m, DEV(253, 7));
	CHECK(e && !strcmp(e->name, "pve-vm--103--disk--0"));

	/* a failed rename changes nothing */
	x = ev(DMW_EV_DM_RENAME, DEV(253, 7), "pve-vm--103--disk--0", NULL, -EBUSY);
	snprintf(x.new_name, sizeof(x.new_name), "%s", "taken");
	name_map_apply(m, &x);
	CHECK_NULL(name_map_by_name(m, "taken"));

	/* DM_UUID_FLAG: new_name carries the uuid to set, the name stays */
	x = ev(DMW_EV_DM_RENAME, DEV(253, 7), "pve-vm--103--disk--0", NULL, 0);
	x.flags = DM_UUID_FLAG;
	snprintf(x.new_name, sizeof(x.new_name), "%s", "LVM-newuuid");
	name_map_apply(m, &x);
	e = name_map_get(m, DEV(253, 7));
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->name, "pve-vm--103--disk--0");
		CHECK_STR(e->uuid, "LVM-newuuid");
	}
	CHECK_NULL(name_map_by_name(m, "LVM-newuuid"));

	/* a table load of a device not seen yet (tracing started late) names it */
	x = ev(DMW_EV_DM_LOAD, DEV(253, 9), "late", "LVM-late", 0);
	name_map_apply(m, &x);
	CHECK(name_map_get(m, DEV(253, 9)) != NULL);

	/* remove: gone by name, still resolvable by dev for errors still in flight */
	x = ev(DMW_EV_DM_REMOVE, DEV(253, 7), "pve-vm--103--disk--0", NULL, 0);
	name_map_apply(m, &x);
	CHECK_NULL(name_map_by_name(m, "pve-vm--103--disk--0"));
	e = name_map_get(m, DEV(253, 7));
	CHECK(e && e->removed && !strcmp(e->name, "pve-vm--103--disk--0"));

	/* a failed remove (open device: EBUSY) keeps it */
	x = ev(DMW_EV_DM_REMOVE, DEV(253, 9), "late", NULL, -EBUSY);
	name_map_apply(m, &x);
	e = name_map_get(m, DEV(253, 9));
	CHECK(e && !e->removed);

	/* remove by name only (syscall fallback) */
	x = ev(DMW_EV_DM_REMOVE, 0, "late", NULL, 0);
	name_map_apply(m, &x);
	e = name_map_get(m, DEV(253, 9));
	CHECK(e && e->removed);

	/* remove_all: everything removed, nothing forgotten */
	x = ev(DMW_EV_DM_CREATE, DEV(253, 10), "x", NULL, 0);
	name_map_apply(m, &x);
	x = ev(DMW_EV_DM_REMOVE_ALL, 0, NULL, NULL, 0);
	name_map_apply(m, &x);
	CHECK_NULL(name_map_by_name(m, "x"));
	e = name_map_get(m, DEV(253, 10));
	CHECK(e && e->removed);

	/* events that are not lifecycle changes are ignored */
	x = ev(DMW_EV_IO_ERROR, DEV(253, 11), "io", NULL, 0);
	name_map_apply(m, &x);
	CHECK_NULL(name_map_get(m, DEV(253, 11)));
	name_map_free(m);
}

/*
 * dm-7 removed, then a new device gets minor 7 again (the kernel reuses the lowest
 * free minor): lookups by dev must give the newest device, whatever lookups happened
 * before (the map caches the last hit).
 */
TEST(name_map_minor_reuse)
{
	struct name_map *m = name_map_new();
	const struct name_entry *e;
	struct dmw_event x;

	x = ev(DMW_EV_DM_CREATE, DEV(253, 7), "san-snap--473--1", "LVM-old", 0);
	name_map_apply(m, &x);
	CHECK(name_map_get(m, DEV(253, 7)) != NULL);
	x = ev(DMW_EV_DM_REMOVE, DEV(253, 7), "san-snap--473--1", NULL, 0);
	name_map_apply(m, &x);
	x = ev(DMW_EV_DM_CREATE, DEV(253, 7), "san-snap--473--2", "LVM-new", 0);
	name_map_apply(m, &x);

	e = name_map_get(m, DEV(253, 7));
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->name, "san-snap--473--2");
		CHECK_STR(e->uuid, "LVM-new");
		CHECK(!e->removed);
	}
	e = name_map_by_name(m, "san-snap--473--2");
	CHECK(e && e->dev == DEV(253, 7));
	CHECK_NULL(name_map_by_name(m, "san-snap--473--1"));

	/* and once more, with another device looked up in between */
	x = ev(DMW_EV_DM_CREATE, DEV(253, 8), "other", NULL, 0);
	name_map_apply(m, &x);
	CHECK(name_map_get(m, DEV(253, 8)) != NULL);
	x = ev(DMW_EV_DM_REMOVE, DEV(253, 7), "san-snap--473--2", NULL, 0);
	name_map_apply(m, &x);
	x = ev(DMW_EV_DM_CREATE, DEV(253, 7), "san-snap--473--3", NULL, 0);
	name_map_apply(m, &x);
	e = name_map_get(m, DEV(253, 7));
	CHECK(e && !strcmp(e->name, "san-snap--473--3") && !e->removed);
	name_map_free(m);
}

/* A busy node: thousands of devices, churn, every one still named right */
TEST(name_map_many)
{
	struct name_map *m = name_map_new();
	char name[64];
	int bad = 0;

	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 3000; i++) {
			struct dmw_event x;

			snprintf(name, sizeof(name), "vg-lv%u-r%d", i, round);
			if (round) {
				char old[64];

				snprintf(old, sizeof(old), "vg-lv%u-r%d", i, round - 1);
				x = ev(DMW_EV_DM_REMOVE, DEV(253, i), old, NULL, 0);
				name_map_apply(m, &x);
			}
			x = ev(DMW_EV_DM_CREATE, DEV(253, i), name, NULL, 0);
			name_map_apply(m, &x);
		}
	}
	for (uint32_t i = 0; i < 3000; i++) {
		const struct name_entry *e = name_map_get(m, DEV(253, i));

		snprintf(name, sizeof(name), "vg-lv%u-r2", i);
		if (!e || strcmp(e->name, name) || e->removed)
			bad++;
	}
	CHECK_INT(bad, 0);
	name_map_free(m);
}

/* ---- JSON lines ---- */

static yajl_val parse(int *failed__, const char *buf)
{
	char err[256];
	yajl_val o = jt_parse(buf, err, sizeof(err));

	if (!YAJL_IS_OBJECT(o)) {
		FAIL_AT("not a JSON object in UTF-8 (%s): %s", err, buf);
		yajl_tree_free(o);
		return NULL;
	}
	return o;
}

#define jstr jt_str
#define jhas jt_has
#define jnull jt_null
#define jint jt_int
#define jdbl jt_dbl

TEST(event_json_dm_create_ok)
{
	struct dmw_event e = ev(DMW_EV_DM_CREATE, DEV(253, 5), "pve-vm--101--disk--0",
				"LVM-yAHGnUCWfgDmRuFydILkXIhEFqSCwLJ1"
				"ol8DklZDOCj2ISaJiHkTj0rLGlkoMXGj", 0);
	char buf[2048];
	yajl_val o;
	int n;

	n = event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	CHECK_INT(n, strlen(buf));
	CHECK(!strchr(buf, '\n'));
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "ts"), "2026-11-21T10:52:45.123456Z");
	CHECK_STR(jstr(o, "event"), "dm_create");
	CHECK_STR(jstr(o, "name"), "pve-vm--101--disk--0");
	CHECK_STR(jstr(o, "uuid"), e.uuid);
	CHECK_STR(jstr(o, "dev"), "dm-5");
	CHECK_INT(jint(o, "pid"), 4242);
	CHECK_STR(jstr(o, "comm"), "lvcreate");
	CHECK_INT(jint(o, "ret"), 0);
	CHECK(jnull(o, "errno"));
	CHECK_STR(jstr(o, "source"), "kprobe");
	/* the line starts with ts and event, as docs/events.md says */
	CHECK(!strncmp(buf, "{\"ts\":", 6));
	yajl_tree_free(o);
}

TEST(event_json_dm_create_ebusy)
{
	struct dmw_event e = ev(DMW_EV_DM_CREATE, 0, "pve-vm--101--disk--0", NULL, -16);
	char buf[2048];
	yajl_val o;

	e.source = DMW_SRC_SYSCALL;
	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "event"), "dm_create");
	CHECK_INT(jint(o, "ret"), -16);
	CHECK_STR(jstr(o, "errno"), "EBUSY");
	CHECK_STR(jstr(o, "name"), "pve-vm--101--disk--0");
	/* the create failed: there is no device and no uuid */
	CHECK(jnull(o, "dev"));
	CHECK(jnull(o, "uuid"));
	CHECK_STR(jstr(o, "source"), "syscall");
	yajl_tree_free(o);

	/* an errno without a name still says it failed */
	e.ret = -200;
	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_INT(jint(o, "ret"), -200);
	CHECK(jstr(o, "errno") != NULL);
	yajl_tree_free(o);
}

TEST(event_json_dm_rename)
{
	struct dmw_event e = ev(DMW_EV_DM_RENAME, DEV(253, 12), "pve-vm--101--disk--0", NULL, 0);
	char buf[2048];
	yajl_val o;

	snprintf(e.new_name, sizeof(e.new_name), "%s", "pve-vm--101--disk--0.old");
	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "event"), "dm_rename");
	CHECK_STR(jstr(o, "name"), "pve-vm--101--disk--0");
	CHECK_STR(jstr(o, "new_name"), "pve-vm--101--disk--0.old");
	CHECK_STR(jstr(o, "dev"), "dm-12");
	yajl_tree_free(o);

	/* new_name only on renames */
	e.type = DMW_EV_DM_SUSPEND;
	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "event"), "dm_suspend");
	CHECK(!jhas(o, "new_name"));
	yajl_tree_free(o);
}

/* A remove seen without a name (by dev only) is named from the map */
TEST(event_json_named_from_map)
{
	struct name_map *m = name_map_new();
	struct dmw_event e = ev(DMW_EV_DM_REMOVE, DEV(253, 54), NULL, NULL, 0);
	char buf[2048];
	yajl_val o;

	name_map_set(m, DEV(253, 54), "lvm-snap--473--1", "LVM-x");
	event_to_json(buf, sizeof(buf), &e, T0, name_map_get(m, e.dev), 0);
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "name"), "lvm-snap--473--1");
		CHECK_STR(jstr(o, "dev"), "dm-54");
		yajl_tree_free(o);
	}
	/* no dev in the event either (syscall path): the map entry's dev */
	e.dev = 0;
	event_to_json(buf, sizeof(buf), &e, T0, name_map_get(m, DEV(253, 54)), 0);
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "dev"), "dm-54");
		yajl_tree_free(o);
	}
	name_map_free(m);
}

TEST(event_json_io_error)
{
	struct dmw_event e = ev(DMW_EV_IO_ERROR, DEV(253, 54), NULL, NULL, 0);
	struct name_entry named = { .dev = DEV(253, 54) };
	char buf[2048];
	yajl_val o;

	snprintf(named.name, sizeof(named.name), "%s", "lvm-snap--473--1");
	snprintf(named.uuid, sizeof(named.uuid), "%s", "LVM-abc-cow");
	e.sector = 47385088;	/* logical block 5923136 of 4 KiB, seed 002 */
	e.bytes = 4096;
	e.op = DMW_OP_READ;
	e.error = -EIO;
	snprintf(e.comm, sizeof(e.comm), "%s", "dd");
	event_to_json(buf, sizeof(buf), &e, 1761543482ULL * NS, &named, DEV(259, 3));
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "ts"), "2025-10-27T05:38:02.000000Z");
	CHECK_STR(jstr(o, "event"), "io_error");
	CHECK_STR(jstr(o, "dev"), "dm-54");
	CHECK_STR(jstr(o, "name"), "lvm-snap--473--1");
	CHECK_STR(jstr(o, "uuid"), "LVM-abc-cow");
	CHECK_INT(jint(o, "major"), 253);
	CHECK_INT(jint(o, "minor"), 54);
	CHECK_INT(jint(o, "sector"), 47385088);
	CHECK_INT(jint(o, "bytes"), 4096);
	CHECK_STR(jstr(o, "op"), "read");
	CHECK_STR(jstr(o, "errno"), "EIO");
	CHECK_STR(jstr(o, "lower_dev"), "259:3");
	CHECK_STR(jstr(o, "comm"), "dd");
	yajl_tree_free(o);

	/* gone before anyone named it, on the dm device itself, a write hitting ENOSPC */
	e.op = DMW_OP_WRITE;
	e.error = -ENOSPC;
	e.sector = UINT64_MAX;
	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK(jnull(o, "name"));
	CHECK(jnull(o, "uuid"));
	CHECK_STR(jstr(o, "errno"), "ENOSPC");
	CHECK_STR(jstr(o, "op"), "write");
	CHECK(!jhas(o, "lower_dev"));
	{
		/* the whole 64-bit sector, not a negative or rounded number */
		CHECK(jt_u64(o, "sector") == UINT64_MAX);
	}
	yajl_tree_free(o);

	/* an error value the table does not know, and an unknown op */
	e.error = -EREMOTEIO;
	e.op = 77;
	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "errno"), "EREMOTEIO");
	CHECK_STR(jstr(o, "op"), "other");
	yajl_tree_free(o);
}

/* Names are data: quotes, backslashes and control bytes must not break the line */
TEST(event_json_escaping)
{
	struct dmw_event e = ev(DMW_EV_DM_CREATE, DEV(253, 1), "a\"b\\c\nd/e\t\x01", NULL, 0);
	char buf[2048];
	yajl_val o;

	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	CHECK(!strchr(buf, '\n'));
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "name"), "a\"b\\c\nd/e\t\x01");
	yajl_tree_free(o);
}

TEST(event_json_small_buffer)
{
	struct dmw_event e = ev(DMW_EV_DM_CREATE, DEV(253, 1), "pve-root", NULL, 0);
	char big[2048], small[32];
	int n;

	n = event_to_json(big, sizeof(big), &e, T0, NULL, 0);
	memset(small, 'X', sizeof(small));
	/* snprintf semantics: the full length back, a cut but terminated string */
	CHECK_INT(event_to_json(small, sizeof(small), &e, T0, NULL, 0), n);
	CHECK_INT(strlen(small), sizeof(small) - 1);
	CHECK(!strncmp(small, big, sizeof(small) - 1));
}

TEST(event_type_and_op_names)
{
	CHECK_STR(event_type_str(DMW_EV_DM_CREATE), "dm_create");
	CHECK_STR(event_type_str(DMW_EV_DM_REMOVE), "dm_remove");
	CHECK_STR(event_type_str(DMW_EV_DM_RENAME), "dm_rename");
	CHECK_STR(event_type_str(DMW_EV_DM_SUSPEND), "dm_suspend");
	CHECK_STR(event_type_str(DMW_EV_DM_RESUME), "dm_resume");
	CHECK_STR(event_type_str(DMW_EV_DM_LOAD), "dm_load");
	CHECK_STR(event_type_str(DMW_EV_IO_ERROR), "io_error");
	CHECK_STR(event_type_str(0), "unknown");
	CHECK_STR(event_type_str(DMW_EV_TYPE_MAX), "unknown");
	CHECK_STR(event_type_str(UINT32_MAX), "unknown");
	CHECK_STR(op_str(DMW_OP_READ), "read");
	CHECK_STR(op_str(DMW_OP_WRITE), "write");
	CHECK_STR(op_str(DMW_OP_DISCARD), "discard");
	CHECK_STR(op_str(DMW_OP_FLUSH), "flush");
	CHECK_STR(op_str(UINT32_MAX), "other");
}

TEST(errno_names)
{
	CHECK_STR(errno_name(16), "EBUSY");
	CHECK_STR(errno_name(EBUSY), "EBUSY");
	CHECK_STR(errno_name(EIO), "EIO");
	CHECK_STR(errno_name(ENOSPC), "ENOSPC");
	CHECK_STR(errno_name(ENXIO), "ENXIO");
	CHECK_STR(errno_name(EEXIST), "EEXIST");
	CHECK_STR(errno_name(EINVAL), "EINVAL");
	CHECK_STR(errno_name(ENODATA), "ENODATA");
	CHECK_STR(errno_name(ETIMEDOUT), "ETIMEDOUT");
	CHECK_STR(errno_name(EREMOTEIO), "EREMOTEIO");
	CHECK_STR(errno_name(ENOLINK), "ENOLINK");
	CHECK_STR(errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	CHECK_STR(errno_name(ETOOMANYREFS), "ETOOMANYREFS");
	CHECK_STR(errno_name(EOVERFLOW), "EOVERFLOW");
	/* positive errno only: callers negate */
	CHECK_NULL(errno_name(-16));
	CHECK_NULL(errno_name(0));
	CHECK_NULL(errno_name(99999));
}

TEST(format_ts_values)
{
	char buf[64];

	format_ts(buf, sizeof(buf), 0);
	CHECK_STR(buf, "1970-01-01T00:00:00.000000Z");
	format_ts(buf, sizeof(buf), T0);
	CHECK_STR(buf, "2026-11-21T10:52:45.123456Z");
	/* microseconds are cut, not rounded up into the next second */
	format_ts(buf, sizeof(buf), 1795258365ULL * NS + 999999999ULL);
	CHECK_STR(buf, "2026-11-21T10:52:45.999999Z");
	format_ts(buf, sizeof(buf), 4102444799ULL * NS + 1000);
	CHECK_STR(buf, "2099-12-31T23:59:59.000001Z");
	/* the calendar second is kept between calls: back, forth, and the next one */
	format_ts(buf, sizeof(buf), T0 + NS);
	CHECK_STR(buf, "2026-11-21T10:52:46.123456Z");
	format_ts(buf, sizeof(buf), T0);
	CHECK_STR(buf, "2026-11-21T10:52:45.123456Z");
	/* a short buffer is cut, still terminated */
	memset(buf, 'X', sizeof(buf));
	format_ts(buf, 11, T0);
	CHECK_STR(buf, "2026-11-21");
}

/* ---- COW samples and fill rate ---- */

TEST(cow_sample_json)
{
	struct cow_sample cs = {
		.name = "lvm-snap--473--1", .dev = DEV(253, 54), .kind = "lvm-snapshot",
		.used_percent = 91.234, .rate = 1048576.5, .eta_s = 93.5, .reader_eta_s = 120,
		.overflow_before_reader = true,
	};
	char buf[1024];
	yajl_val o;

	cow_sample_to_json(buf, sizeof(buf), &cs, T0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "event"), "cow_usage");
	CHECK_STR(jstr(o, "ts"), "2026-11-21T10:52:45.123456Z");
	CHECK_STR(jstr(o, "name"), "lvm-snap--473--1");
	CHECK_STR(jstr(o, "dev"), "dm-54");
	CHECK_STR(jstr(o, "kind"), "lvm-snapshot");
	CHECK_DBL(jdbl(o, "used_percent"), 91.23);
	CHECK_DBL(jdbl(o, "rate_bytes_per_s"), 1048576.5);
	CHECK_DBL(jdbl(o, "eta_s"), 93.5);
	CHECK_DBL(jdbl(o, "reader_eta_s"), 120);
	CHECK(jt_true(o, "overflow_before_reader_done"));
	yajl_tree_free(o);

	/* not filling, no reader: null, not -1 */
	cs.eta_s = -1;
	cs.reader_eta_s = -1;
	cs.rate = 0;
	cs.overflow_before_reader = false;
	cow_sample_to_json(buf, sizeof(buf), &cs, T0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK(jnull(o, "eta_s"));
	CHECK(jnull(o, "reader_eta_s"));
	CHECK_DBL(jdbl(o, "rate_bytes_per_s"), 0);
	CHECK(!jt_true(o, "overflow_before_reader_done"));
	yajl_tree_free(o);

	/* full: eta 0 is a value */
	cs.eta_s = 0;
	cs.used_percent = 100;
	cow_sample_to_json(buf, sizeof(buf), &cs, T0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK(!jnull(o, "eta_s"));
	CHECK_DBL(jdbl(o, "eta_s"), 0);
	CHECK_DBL(jdbl(o, "used_percent"), 100);
	yajl_tree_free(o);
}

TEST(state_change_json)
{
	char buf[512];
	yajl_val o;

	state_change_to_json(buf, sizeof(buf), "pool_mode", "pve-data-tpool", DEV(253, 4),
			     "out_of_data_space", T0);
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "event"), "pool_mode");
		CHECK_STR(jstr(o, "mode"), "out_of_data_space");
		CHECK(!jhas(o, "state"));
		CHECK_STR(jstr(o, "name"), "pve-data-tpool");
		CHECK_STR(jstr(o, "dev"), "dm-4");
		yajl_tree_free(o);
	}
	state_change_to_json(buf, sizeof(buf), "snapshot_invalid", "lvm-snap--473--1",
			     DEV(253, 54), "invalid", T0);
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "event"), "snapshot_invalid");
		CHECK_STR(jstr(o, "state"), "invalid");
		CHECK(!jhas(o, "mode"));
		yajl_tree_free(o);
	}
}

#define MiB (1ULL << 20)

TEST(fill_rate_constant_growth)
{
	struct fill_rate fr = {};
	uint64_t total = 1024 * MiB;

	/* one sample is no rate */
	CHECK_DBL(fill_rate_update(&fr, 10 * NS, 0, total), -1);
	/* 8 MiB/s, sampled every second: exact ETA each time, smoothing or not */
	for (int i = 1; i <= 10; i++) {
		double eta = fill_rate_update(&fr, (10 + i) * NS, i * 8 * MiB, total);

		CHECK_DBL(eta, (1024.0 - 8 * i) / 8);
	}
	CHECK_DBL(fr.rate, 8.0 * MiB);
	/* irregular intervals do not matter for a constant rate */
	CHECK_DBL(fill_rate_update(&fr, 20 * NS + NS / 2, 84 * MiB, total), (1024.0 - 84) / 8);
	CHECK_DBL(fill_rate_update(&fr, 23 * NS, 104 * MiB, total), (1024.0 - 104) / 8);
}

TEST(fill_rate_no_growth_and_full)
{
	struct fill_rate fr = {};

	CHECK_DBL(fill_rate_update(&fr, 1 * NS, 500, 1000), -1);
	CHECK_DBL(fill_rate_update(&fr, 2 * NS, 500, 1000), -1);
	CHECK_DBL(fill_rate_update(&fr, 3 * NS, 500, 1000), -1);
	/* full is 0 whatever the rate */
	CHECK_DBL(fill_rate_update(&fr, 4 * NS, 1000, 1000), 0);
	CHECK_DBL(fill_rate_update(&fr, 5 * NS, 1000, 1000), 0);
	/* full on the very first sample (snapshot found already Overflowing) */
	memset(&fr, 0, sizeof(fr));
	CHECK_DBL(fill_rate_update(&fr, 1 * NS, 1000, 1000), 0);
	memset(&fr, 0, sizeof(fr));
	CHECK_DBL(fill_rate_update(&fr, 1 * NS, 0, 0), 0);
}

TEST(fill_rate_smoothing)
{
	struct fill_rate fr = {};

	fill_rate_update(&fr, 0, 0, 1000);
	CHECK_DBL(fill_rate_update(&fr, 1 * NS, 100, 1000), 9);	/* 100/s */
	/* 300/s over one half-life (2 s): half old, half new -> 200/s */
	CHECK_DBL(fill_rate_update(&fr, 3 * NS, 700, 1000), 1.5);
	CHECK_DBL(fr.rate, 200);
	/* usage going down (merge, discard): no growth this time, the rate decays */
	CHECK_DBL(fill_rate_update(&fr, 5 * NS, 650, 1000), (1000 - 650) / 100.0);
	CHECK_DBL(fr.rate, 100);
	/* the rate decays towards 0 with no growth; not filling once it is 0 */
	for (int i = 6; i < 200; i++)
		fill_rate_update(&fr, i * NS, 650, 1000);
	CHECK(fr.rate < 1e-20);
}

/*
 * A sample right after another (the tracer samples everything at once on any dm
 * event) sees no new chunk most of the time: it must not halve the rate. Seen in
 * the VM (tools/bench.sh warn): 223 KB/s became 111 KB/s 38 ms later, the ETA
 * doubled.
 */
TEST(fill_rate_close_samples_weigh_their_time)
{
	struct fill_rate fr = {}, one = {};
	double eta;

	/* 100/s in chunks of 100, sampled every second */
	for (int i = 0; i <= 5; i++)
		fill_rate_update(&fr, i * NS, i * 100, 10000);
	CHECK_DBL(fr.rate, 100);
	/* 10 ms later, nothing new: the rate stays within 1 % of 100/s */
	eta = fill_rate_update(&fr, 5 * NS + NS / 100, 500, 10000);
	CHECK(fr.rate > 99 && fr.rate <= 100);
	CHECK(eta >= 95 && eta < 96);
	/* the second's chunk then arrives in the remaining 990 ms: back to 100/s */
	fill_rate_update(&fr, 6 * NS, 600, 10000);
	CHECK(fabs(fr.rate - 100) < 0.5);
	/* one sample per second, or the same second split in two, ends alike */
	for (int i = 0; i <= 5; i++)
		fill_rate_update(&one, i * NS, i * 100, 10000);
	fill_rate_update(&one, 6 * NS, 600, 10000);
	CHECK(fabs(fr.rate - one.rate) < 0.5);
}

/*
 * The bench's fill (tools/bench.sh warn): 12 MiB in 64 KiB writes, 4 a second,
 * sampled every 1.01 s (so a sample sees 4 or 5 writes) plus a sample 30 ms
 * after every 7th (a dm event elsewhere). Once a quarter is used and until 5 s
 * before full, every ETA is within 20 % of the real time to full (per-sample
 * weights: 105 % off).
 */
TEST(fill_rate_steady_chunky_fill_eta_within_20_percent)
{
	const uint64_t chunk = 64 * 1024, total = 12 * MiB, n = total / chunk;
	const double full_s = (n - 1) * 0.25;
	struct fill_rate fr = {};
	double worst = 0;
	int judged = 0;

	for (int i = 0; 0.1 + i * 1.01 < full_s; i++) {
		for (int extra = 0; extra <= (i % 7 == 3); extra++) {
			double t = 0.1 + i * 1.01 + extra * 0.03;
			uint64_t writes = (uint64_t)(t / 0.25) + 1;
			uint64_t used = (writes < n ? writes : n) * chunk;
			double eta = fill_rate_update(&fr, (uint64_t)(t * NS), used, total);

			if (used < total / 4 || full_s - t < 5)
				continue;
			CHECK(eta > 0);
			worst = fmax(worst, fabs(eta - (full_s - t)) / (full_s - t));
			judged++;
		}
	}
	CHECK(judged > 20);
	CHECK(worst <= 0.2);
}

TEST(fill_rate_odd_clocks)
{
	struct fill_rate fr = {};
	double eta;

	fill_rate_update(&fr, 10 * NS, 0, 1000);
	fill_rate_update(&fr, 11 * NS, 100, 1000);
	/* same timestamp twice: no division by zero, no inf/NaN */
	eta = fill_rate_update(&fr, 11 * NS, 150, 1000);
	CHECK(isfinite(eta) && eta >= 0);
	/* clock going backwards (suspend/resume with another clock): no negative rate */
	eta = fill_rate_update(&fr, 5 * NS, 200, 1000);
	CHECK(isfinite(eta) && eta >= -1);
	CHECK(fr.rate >= 0);
}

/* hostile names in an io_error must still give valid JSON */
TEST(io_error_json_escapes_names)
{
	struct dmw_event e = { .type = DMW_EV_IO_ERROR, .dev = (254 << 20) | 7, .error = -5,
			       .op = DMW_OP_READ, .sector = 8, .bytes = 512, .pid = 1 };
	struct name_entry n = { .dev = (254 << 20) | 7 };
	yajl_val o;
	char buf[2048];

	snprintf(n.name, sizeof(n.name), "a\"b\\c\nd\x01/e");
	snprintf(e.comm, sizeof(e.comm), "dd\"x");
	CHECK(event_to_json(buf, sizeof(buf), &e, 1000000000ULL, &n, (8 << 20) | 16) > 0);
	o = parse(failed__, buf);
	if (!o)
		return;
	CHECK_STR(jstr(o, "name"), n.name);
	CHECK_STR(jstr(o, "comm"), "dd\"x");
	CHECK(jnull(o, "uuid"));
	CHECK_STR(jstr(o, "lower_dev"), "8:16");
	CHECK_STR(jstr(o, "errno"), "EIO");
	yajl_tree_free(o);
}

/*
 * Names that are not UTF-8 (a dm name is any bytes): every event line is still
 * valid UTF-8 JSON, each bad byte shown as U+FFFD, control characters escaped.
 */
TEST(event_json_invalid_utf8_is_replaced)
{
	struct dmw_event e = ev(DMW_EV_DM_CREATE, DEV(253, 1), "a\001\002\377\033]0;x\xc3", NULL, 0);
	struct name_entry n = { .dev = DEV(253, 1) };
	struct cow_sample cs = { .name = "s\377", .kind = "lvm-snapshot", .eta_s = -1,
				 .reader_eta_s = -1 };
	char buf[2048];
	yajl_val o;

	snprintf(e.comm, sizeof(e.comm), "c\xff\xfe");
	event_to_json(buf, sizeof(buf), &e, T0, NULL, 0);
	CHECK(!strchr(buf, '\033') && !strchr(buf, '\001'));
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "name"), "a\001\002\xef\xbf\xbd\033]0;x\xef\xbf\xbd");
		CHECK_STR(jstr(o, "comm"), "c\xef\xbf\xbd\xef\xbf\xbd");
		yajl_tree_free(o);
	}
	snprintf(n.name, sizeof(n.name), "io\377");
	e.type = DMW_EV_IO_ERROR;
	e.error = -EIO;
	event_to_json(buf, sizeof(buf), &e, T0, &n, 0);
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "name"), "io\xef\xbf\xbd");
		yajl_tree_free(o);
	}
	cow_sample_to_json(buf, sizeof(buf), &cs, T0);
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "name"), "s\xef\xbf\xbd");
		yajl_tree_free(o);
	}
	state_change_to_json(buf, sizeof(buf), "pool_mode", "p\377", DEV(253, 4), "m\377", T0);
	o = parse(failed__, buf);
	if (o) {
		CHECK_STR(jstr(o, "mode"), "m\xef\xbf\xbd");
		yajl_tree_free(o);
	}
}

/*
 * Numbers are written without printf: each at its limits, parsed back by yajl as
 * the same integer; and a name of the kernel's full 127 bytes made of what a
 * terminal or a pasted shell command would act on stays one valid JSON string.
 */
TEST(io_error_json_limits_and_hostile_name)
{
	static const char piece[] = "$(rm -rf /);`id`|&>\"\x1b]0;x\x07\xff'";
	struct dmw_event e = ev(DMW_EV_IO_ERROR, DEV(4095, 1048575), NULL, NULL, 0);
	struct name_entry named = { .dev = e.dev };
	static const long long ints[] = { 0, 1, -1, 9, 10, -10, 4096, INT_MIN, INT_MAX,
					  LLONG_MIN, LLONG_MAX };
	char buf[4096], want[3 * DMW_NAME_LEN], *w = want;
	yajl_gen g;
	yajl_val o;
	size_t n;

	for (n = 0; n < DMW_NAME_LEN - 1; n++) {
		named.name[n] = piece[n % (sizeof(piece) - 1)];
		if (named.name[n] == '\xff')
			w += sprintf(w, "\xef\xbf\xbd");
		else
			*w++ = named.name[n];
	}
	named.name[n] = 0;
	*w = 0;
	e.sector = 0;
	e.bytes = UINT32_MAX;
	e.error = INT_MIN;
	e.pid = UINT32_MAX;
	event_to_json(buf, sizeof(buf), &e, T0, &named, 0);
	CHECK(utf8_valid(buf, strlen(buf)));
	CHECK(!strchr(buf, '\033') && !strchr(buf, '\007') && !strchr(buf, '\n'));
	o = parse(failed__, buf);
	if (o) {
		/* each byte that is not UTF-8 comes back as U+FFFD, the rest exactly */
		CHECK_STR(jstr(o, "name"), want);
		CHECK_INT(jint(o, "major"), 4095);
		CHECK_INT(jint(o, "minor"), 1048575);
		CHECK(jt_u64(o, "sector") == 0);
		CHECK_INT(jint(o, "bytes"), UINT32_MAX);
		CHECK_INT(jint(o, "error"), INT_MIN);
		CHECK_INT(jint(o, "pid"), UINT32_MAX);
		yajl_tree_free(o);
	}

	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		char text[32];
		const unsigned char *out;
		size_t len;

		g = jg_new();
		yajl_gen_map_open(g);
		jg_int(g, "v", ints[i]);
		jg_u64(g, "u", (uint64_t)ints[i]);
		yajl_gen_map_close(g);
		yajl_gen_get_buf(g, &out, &len);
		snprintf(buf, sizeof(buf), "%.*s", (int)len, (const char *)out);
		snprintf(text, sizeof(text), "%lld", ints[i]);
		CHECK(strstr(buf, text) != NULL);
		snprintf(text, sizeof(text), "\"u\":%llu}", (unsigned long long)ints[i]);
		CHECK(strstr(buf, text) != NULL);
		o = parse(failed__, buf);
		if (o) {
			CHECK(jint(o, "v") == ints[i]);
			yajl_tree_free(o);
		}
		yajl_gen_free(g);
	}
}

/* trace's terminal view at 80 columns: a wide name is cut at its columns, an I/O error between words */
TEST(trace_text_fits_80_columns)
{
	struct dmw_event e = {
		.type = DMW_EV_IO_ERROR, .dev = 253u << 20 | 32, .pid = 4711, .error = -EIO,
		.op = DMW_OP_READ, .sector = 47385088, .bytes = 4096,
	};
	struct name_entry nm = { .dev = 253u << 20 | 32 };
	struct tracer_event ev = { .kind = TE_KERNEL, .raw = &e, .named = &nm };
	char *out = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	snprintf(e.comm, sizeof(e.comm), "qemu-system-x86");
	/* 虚拟机磁盘 ("virtual machine disk"): 10 columns in 5 characters */
	snprintf(nm.name, sizeof(nm.name), "pve-\xe8\x99\x9a\xe6\x8b\x9f\xe6\x9c\xba"
		 "\xe7\xa3\x81\xe7\x9b\x98-vm--105--disk--0\x1b[2J");
	trace_text_header(f, 80);
	trace_text_event(f, &ev, 80);
	trace_text_event(f, &ev, 132);
	fclose(f);
	CHECK(strstr(out, "pve-\xe8\x99\x9a\xe6\x8b\x9f\xe6\x9c\xba\xe7\xa3\x81"
		  "\xe7\x9b\x98-vm--~    4711 qemu-syst~ EIO read ~\n") != NULL);
	CHECK(strstr(out, "-vm--105--disk-~    4711 qemu-system-x86 EIO read @47385088 4096 B\n"));
	CHECK(!strchr(out, '\x1b'));
	line = strtok_r(out, "\n", &save);
	CHECK(term_cols(line) <= 80);			/* the header */
	line = strtok_r(NULL, "\n", &save);
	CHECK(term_cols(line) <= 80);
	line = strtok_r(NULL, "\n", &save);
	CHECK(term_cols(line) <= 132);
	free(out);
}
