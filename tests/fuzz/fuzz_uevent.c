// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel uevents as `trace --uevents` takes them (src/trace/uevent.c): a run of
 * messages fed one after the other to uevent_feed(), with a sysfs that names a
 * device or not, each event applied to the name map as the tracer does.
 *
 * Input: byte 0 bit 0: sysfs names every dm-N ("sys-dm-N") from the start, else
 * only at the end; then messages separated by 0xff (never in a real uevent: its
 * keys and values are ASCII, DM_NAME mangled by udev rules aside, and the kernel
 * terminates them with NUL), each in a heap block of exactly its size.
 *
 * Checks: every event is a uevent lifecycle event of a real dev_t with all its
 * strings terminated; a rename names a new name that differs; no more creates
 * than messages; once sysfs names everything, nothing stays held back.
 */
#include "trace/uevent.h"
#include "lib/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool sysfs_names_all;
static size_t n_creates;

static bool sysfs_ids(const char *devname, char *name, size_t nlen, char *uuid, size_t ulen)
{
	FUZZ_CHECK(!strncmp(devname, "dm-", 3) && strlen(devname) < 16);
	if (!sysfs_names_all)
		return false;
	snprintf(name, nlen, "sys-%s", devname);
	snprintf(uuid, ulen, "%s", "");
	return true;
}

static void check_and_apply(void *ctx, const struct dmw_event *e)
{
	FUZZ_CHECK(e->source == DMW_SRC_UEVENT);
	FUZZ_CHECK(e->type == DMW_EV_DM_CREATE || e->type == DMW_EV_DM_REMOVE ||
		   e->type == DMW_EV_DM_RENAME || e->type == DMW_EV_DM_RESUME);
	FUZZ_CHECK(e->dev >> DMW_MINORBITS <= 4095);
	FUZZ_CHECK(fuzz_terminated(e->name, sizeof(e->name)));
	FUZZ_CHECK(fuzz_terminated(e->uuid, sizeof(e->uuid)));
	FUZZ_CHECK(fuzz_terminated(e->new_name, sizeof(e->new_name)));
	if (e->type == DMW_EV_DM_RENAME)
		FUZZ_CHECK(e->new_name[0] && strcmp(e->name, e->new_name));
	n_creates += e->type == DMW_EV_DM_CREATE;
	name_map_apply(ctx, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct name_map *names = name_map_new();
	struct uevent_source s = { .names = names, .sysfs_ids = sysfs_ids,
				   .emit = check_and_apply, .ctx = names };
	size_t n_msgs = 0, start = 1;

	if (!size)
		goto cleanup;
	sysfs_names_all = data[0] & 1;
	n_creates = 0;
	while (start <= size) {
		const uint8_t *end = memchr(data + start, 0xff, size - start);
		size_t len = end ? (size_t)(end - (data + start)) : size - start;
		char *msg = xmalloc(len ? len : 1);

		memcpy(msg, data + start, len);
		uevent_feed(&s, msg, len, n_msgs);
		free(msg);
		n_msgs++;
		start += len + 1;
	}
	FUZZ_CHECK(n_creates <= n_msgs);
	FUZZ_CHECK(s.n_unnamed <= n_msgs);
	sysfs_names_all = true;
	uevent_name_pending(&s);
	FUZZ_CHECK(s.n_unnamed == 0);
cleanup:
	uevent_source_release(&s);
	name_map_free(names);
	return 0;
}
