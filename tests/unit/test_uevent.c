// SPDX-License-Identifier: GPL-2.0
/*
 * dm lifecycle from kernel uevents (src/trace/uevent.c), fed the messages the
 * kernel sends, in the orders 5.10 and 5.14+ send them, with a sysfs that names
 * a device only once the test says dm has named it.
 */
#include <stdlib.h>
#include "test.h"
#include "trace/uevent.h"
#include "lib/util.h"

#define DEV(maj, min) ((uint32_t)(maj) << DMW_MINORBITS | (min))

struct world {
	struct name_map *names;
	const char *sysfs_dev;		/* the one device sysfs names, NULL: none */
	const char *sysfs_name;
	const char *sysfs_uuid;
	struct dmw_event got[8];
	int n;
};

/* sysfs as this test's world has it (the callback has no context: a global) */
static struct world *W;

static bool sysfs_ids(const char *devname, char *name, size_t nlen, char *uuid, size_t ulen)
{
	if (!W->sysfs_dev || strcmp(devname, W->sysfs_dev))
		return false;
	snprintf(name, nlen, "%s", W->sysfs_name);
	snprintf(uuid, ulen, "%s", W->sysfs_uuid ? W->sysfs_uuid : "");
	return true;
}

/* What the tracer does with each one: keep it and keep the name map current */
static void record(void *ctx, const struct dmw_event *e)
{
	struct world *w = ctx;

	if (w->n < 8)
		w->got[w->n++] = *e;
	name_map_apply(w->names, e);
}

static void setup(struct world *w, struct uevent_source *s)
{
	memset(w, 0, sizeof(*w));
	w->names = name_map_new();
	W = w;
	*s = (struct uevent_source){ .names = w->names, .sysfs_ids = sysfs_ids,
				     .emit = record, .ctx = w };
}

static void teardown(struct world *w, struct uevent_source *s)
{
	uevent_source_release(s);
	name_map_free(w->names);
}

/* A message as the kernel sends it: "action@devpath", then NUL-separated pairs */
static size_t msg(char *buf, size_t len, const char *action, int minor, const char *dm_name,
		  const char *dm_uuid)
{
	int n = snprintf(buf, len, "%s@/devices/virtual/block/dm-%d%cACTION=%s%c"
			 "DEVPATH=/devices/virtual/block/dm-%d%cSUBSYSTEM=block%cMAJOR=254%c"
			 "MINOR=%d%cDEVNAME=dm-%d%cDEVTYPE=disk%cSEQNUM=2%c",
			 action, minor, 0, action, 0, minor, 0, 0, 0, minor, 0, minor, 0, 0, 0);

	if (dm_name)
		n += snprintf(buf + n, len - n, "DM_NAME=%s%cDM_COOKIE=0%c", dm_name, 0, 0);
	if (dm_uuid)
		n += snprintf(buf + n, len - n, "DM_UUID=%s%c", dm_uuid, 0);
	return n;
}

static void feed(struct uevent_source *s, const char *action, int minor, const char *dm_name,
		 const char *dm_uuid, uint64_t ts)
{
	char buf[512];

	uevent_feed(s, buf, msg(buf, sizeof(buf), action, minor, dm_name, dm_uuid), ts);
}

/* 5.14+: the disk appears at the first table load, dm has named it by then */
TEST(uevent_add_after_naming)
{
	struct world w;
	struct uevent_source s;

	setup(&w, &s);
	w.sysfs_dev = "dm-3";
	w.sysfs_name = "pve-vm--101--disk--0";
	w.sysfs_uuid = "LVM-abc";
	feed(&s, "add", 3, NULL, NULL, 100);
	feed(&s, "change", 3, "pve-vm--101--disk--0", "LVM-abc", 200);
	w.sysfs_dev = NULL;
	feed(&s, "remove", 3, "pve-vm--101--disk--0", "LVM-abc", 300);
	feed(&s, "remove", 3, NULL, NULL, 301);		/* the block layer's own */
	CHECK_INT(w.n, 3);
	CHECK_INT(w.got[0].type, DMW_EV_DM_CREATE);
	CHECK_INT(w.got[0].dev, DEV(254, 3));
	CHECK_INT(w.got[0].source, DMW_SRC_UEVENT);
	CHECK_STR(w.got[0].name, "pve-vm--101--disk--0");
	CHECK_STR(w.got[0].uuid, "LVM-abc");
	CHECK_INT(w.got[0].ts_ns, 100);
	CHECK_INT(w.got[1].type, DMW_EV_DM_RESUME);
	CHECK_INT(w.got[2].type, DMW_EV_DM_REMOVE);
	CHECK_STR(w.got[2].name, "pve-vm--101--disk--0");
	teardown(&w, &s);
}

/*
 * 5.10: the disk is added at create, before dm names it. Read too early, sysfs has
 * no name: the create waits for the resume's DM_NAME and is not followed by a
 * rename from nothing (what a CI run on 5.10 once printed).
 */
TEST(uevent_add_before_naming_waits_for_change)
{
	struct world w;
	struct uevent_source s;

	setup(&w, &s);
	feed(&s, "add", 0, NULL, NULL, 100);
	uevent_name_pending(&s);		/* still unnamed: nothing yet */
	CHECK_INT(w.n, 0);
	feed(&s, "change", 0, "dmw-uev", NULL, 200);
	feed(&s, "change", 0, "dmw-uev2", NULL, 300);	/* a real rename */
	CHECK_INT(w.n, 3);
	CHECK_INT(w.got[0].type, DMW_EV_DM_CREATE);
	CHECK_STR(w.got[0].name, "dmw-uev");
	CHECK_INT(w.got[0].ts_ns, 100);		/* when it appeared, not when named */
	CHECK_INT(w.got[1].type, DMW_EV_DM_RESUME);
	CHECK_STR(w.got[1].name, "dmw-uev");
	CHECK_INT(w.got[2].type, DMW_EV_DM_RENAME);
	CHECK_STR(w.got[2].name, "dmw-uev");
	CHECK_STR(w.got[2].new_name, "dmw-uev2");
	CHECK_INT(s.n_unnamed, 0);
	teardown(&w, &s);
}

/* A device created and never resumed: the next look at sysfs names it */
TEST(uevent_add_before_naming_sysfs_later)
{
	struct world w;
	struct uevent_source s;

	setup(&w, &s);
	feed(&s, "add", 7, NULL, NULL, 100);
	feed(&s, "add", 7, NULL, NULL, 150);	/* a repeat changes nothing */
	w.sysfs_dev = "dm-7";
	w.sysfs_name = "vg-lv";
	w.sysfs_uuid = "LVM-xyz";
	uevent_name_pending(&s);
	uevent_name_pending(&s);
	CHECK_INT(w.n, 1);
	CHECK_INT(w.got[0].type, DMW_EV_DM_CREATE);
	CHECK_STR(w.got[0].name, "vg-lv");
	CHECK_STR(w.got[0].uuid, "LVM-xyz");
	CHECK_INT(w.got[0].ts_ns, 100);
	CHECK_STR(name_map_get(w.names, DEV(254, 7))->name, "vg-lv");
	teardown(&w, &s);
}

/* An add repeated once sysfs has the name: one create, at the first add's time */
TEST(uevent_add_repeated_once_named)
{
	struct world w;
	struct uevent_source s;

	setup(&w, &s);
	feed(&s, "add", 4, NULL, NULL, 100);
	w.sysfs_dev = "dm-4";
	w.sysfs_name = "vg-lv4";
	feed(&s, "add", 4, NULL, NULL, 150);
	feed(&s, "change", 4, "vg-lv4", NULL, 200);
	CHECK_INT(w.n, 2);
	CHECK_INT(w.got[0].type, DMW_EV_DM_CREATE);
	CHECK_INT(w.got[0].ts_ns, 100);
	CHECK_INT(w.got[1].type, DMW_EV_DM_RESUME);
	CHECK_INT(s.n_unnamed, 0);
	teardown(&w, &s);
}

/* Gone before anyone named it: an unnamed create, then its remove */
TEST(uevent_add_never_named)
{
	struct world w;
	struct uevent_source s;

	setup(&w, &s);
	feed(&s, "add", 2, NULL, NULL, 100);
	feed(&s, "remove", 2, NULL, NULL, 200);
	CHECK_INT(w.n, 2);
	CHECK_INT(w.got[0].type, DMW_EV_DM_CREATE);
	CHECK_STR(w.got[0].name, "");
	CHECK_INT(w.got[1].type, DMW_EV_DM_REMOVE);
	CHECK_INT(s.n_unnamed, 0);
	teardown(&w, &s);
}

/* A last field cut by the message's end is not a value: nothing read past len */
TEST(uevent_cut_last_field)
{
	static const char text[] = "ACTION=change\0SUBSYSTEM=block\0MAJOR=254\0MINOR=5\0"
				   "DEVNAME=dm-5\0DM_NAME=vg-l";
	struct world w;
	struct uevent_source s;
	/* exactly the bytes, no terminator after them: ASan (make check-asan) sees an over-read */
	char *msg = xmalloc(sizeof(text) - 1);

	memcpy(msg, text, sizeof(text) - 1);
	setup(&w, &s);
	uevent_feed(&s, msg, sizeof(text) - 1, 1);
	CHECK_INT(w.n, 1);
	CHECK_INT(w.got[0].type, DMW_EV_DM_RESUME);
	CHECK_STR(w.got[0].name, "");
	free(msg);
	teardown(&w, &s);
}

/* Not ours, or not well formed: nothing, and no read past the message */
TEST(uevent_ignores_others_and_garbage)
{
	struct world w;
	struct uevent_source s;
	static const char loop[] = "add@/devices/virtual/block/loop0\0ACTION=add\0SUBSYSTEM=block\0"
				   "MAJOR=7\0MINOR=0\0DEVNAME=loop0";
	static const char badminor[] = "ACTION=add\0SUBSYSTEM=block\0MAJOR=254\0MINOR=99999999\0"
				       "DEVNAME=dm-1\0DM_NAME=x";
	static const char nomajor[] = "ACTION=change\0SUBSYSTEM=block\0MINOR=1\0DEVNAME=dm-1\0DM_NAME=x";
	static const char net[] = "add@/x\0ACTION=add\0SUBSYSTEM=net\0DEVNAME=dm-1\0MAJOR=1\0MINOR=1";
	/* cut inside a key: "DM_NAME" without its '=' at the very end */
	static const char cut[] = { 'A', 'C', 'T', 'I', 'O', 'N', '=', 'a', 'd', 'd', 0, 'D', 'M' };

	setup(&w, &s);
	uevent_feed(&s, loop, sizeof(loop), 1);
	uevent_feed(&s, badminor, sizeof(badminor), 1);
	uevent_feed(&s, nomajor, sizeof(nomajor), 1);
	uevent_feed(&s, net, sizeof(net), 1);
	uevent_feed(&s, cut, sizeof(cut), 1);
	uevent_feed(&s, "", 0, 1);
	CHECK_INT(w.n, 0);
	CHECK_INT(s.n_unnamed, 0);
	teardown(&w, &s);
}

/*
 * A DM_NAME longer than an event holds (dm's never are) is the same name as the
 * one the map learnt from it, cut: a change is no rename to itself.
 */
TEST(uevent_overlong_name_is_no_rename)
{
	struct world w;
	struct uevent_source s;
	char longname[300];

	setup(&w, &s);
	memset(longname, 'g', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	feed(&s, "add", 0, NULL, NULL, 100);
	feed(&s, "change", 0, longname, NULL, 200);
	feed(&s, "change", 0, longname, NULL, 300);
	CHECK_INT(w.n, 3);
	CHECK_INT(w.got[0].type, DMW_EV_DM_CREATE);
	CHECK_INT(strlen(w.got[0].name), DMW_NAME_LEN - 1);
	CHECK_INT(w.got[1].type, DMW_EV_DM_RESUME);
	CHECK_INT(w.got[2].type, DMW_EV_DM_RESUME);
	teardown(&w, &s);
}
