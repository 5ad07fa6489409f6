// SPDX-License-Identifier: GPL-2.0
/*
 * gen-events: writes a small recorder log, with the recorder's own writer, that
 * holds every event type, source and optional field the event JSON lines have,
 * so that `dmwatch report --json` over it shows each of them once
 * (tests/schema/check.py validates those lines against docs/schema/).
 *
 *   gen-events DIR
 *
 * The seed 002 fixture (tests/fixtures/recorder/incident-002) and bench-record's
 * mix have no rename, no pool_mode, no remove_all, no syscall or uevent source,
 * no error on a disk below dm and no error nobody could name: this log has them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dm-ioctl.h>
#include "record/recfmt.h"
#include "lib/util.h"

#define DM_MAJ		253u
#define DMDEV(minor)	(DM_MAJ << DMW_MINORBITS | (minor))
#define SDA		(8u << DMW_MINORBITS | 0)
#define T0_S		1795255200LL	/* 2026-11-21 10:00:00 UTC */
#define AT(ms)		((T0_S * 1000 + (ms)) * 1000000LL)

#define DISK		"scv-vm--200--disk--0"
#define UUID_A		"LVM-c2NhbmV2ZW50c2NoZW1hdGVzdHZnMDAwMDAwMDBsdnV1aWRhYWFhYWFhYWFhYWFhYWFh"

/* one lifecycle or I/O error event of the script below */
struct kspec {
	int ms;				/* after T0 */
	uint32_t type, source;
	uint32_t minor;			/* 0: the event carries no dev */
	int ret;
	uint32_t flags;
	uint32_t pid;
	const char *comm, *name, *uuid, *new_name;
	/* io_error only */
	uint32_t lower_dev, op;
	int error;
	uint64_t sector;
	bool named;			/* the tracer knew the device's name */
};

static const struct kspec script[] = {
	{ 0, DMW_EV_DM_CREATE, DMW_SRC_KPROBE, 10, 0, 0, 4100, "lvcreate", DISK, UUID_A },
	{ 1, DMW_EV_DM_LOAD, DMW_SRC_KPROBE, 10, 0, 0, 4100, "lvcreate", DISK, UUID_A },
	{ 2, DMW_EV_DM_RESUME, DMW_SRC_KPROBE, 10, 0, 0, 4100, "lvcreate", DISK, UUID_A },
	/* a second create of the same name: EBUSY, no dev */
	{ 3, DMW_EV_DM_CREATE, DMW_SRC_KPROBE, 0, -EBUSY, 0, 4101, "qm", DISK, NULL },
	{ 10, DMW_EV_DM_RENAME, DMW_SRC_KPROBE, 10, 0, 0, 4102, "dmsetup", DISK, NULL,
	  "scv-vm--200--disk--9" },
	/* DM_UUID_FLAG: the rename sets a uuid (printed as new_name all the same) */
	{ 11, DMW_EV_DM_RENAME, DMW_SRC_KPROBE, 10, 0, DM_UUID_FLAG, 4102, "dmsetup",
	  "scv-vm--200--disk--9", NULL, "LVM-c2NhbmV2ZW50c2NoZW1hdGVzdHZnMDAwMDAwMDBsdnV1aWRiYmJi" },
	{ 20, DMW_EV_DM_SUSPEND, DMW_SRC_SYSCALL, 10, 0, DM_SUSPEND_FLAG, 4103, "dmsetup",
	  "scv-vm--200--disk--9", NULL },
	/* a failure with an errno dmwatch has no name for */
	{ 21, DMW_EV_DM_LOAD, DMW_SRC_SYSCALL, 10, -200, 0, 4103, "dmsetup", "scv-vm--200--disk--9",
	  NULL },
	{ 22, DMW_EV_DM_RESUME, DMW_SRC_SYSCALL, 10, 0, 0, 4103, "dmsetup", "scv-vm--200--disk--9",
	  NULL },
	/* uevents: no pid, no comm */
	{ 30, DMW_EV_DM_CREATE, DMW_SRC_UEVENT, 11, 0, 0, 0, "", "scv-uev", NULL },
	{ 31, DMW_EV_DM_RESUME, DMW_SRC_UEVENT, 11, 0, 0, 0, "", "scv-uev", NULL },
	/* I/O errors: on dm, on a disk below dm (named after the dm device), unnamed */
	{ .ms = 40, .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .minor = 10, .pid = 4200,
	  .comm = "vzdump", .op = DMW_OP_READ, .error = -EIO, .sector = 2048, .named = true },
	{ .ms = 41, .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .minor = 10, .pid = 4200,
	  .comm = "vzdump", .op = DMW_OP_WRITE, .error = -ENODATA, .sector = 4660, .lower_dev = SDA,
	  .named = true },
	{ .ms = 42, .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .minor = 99, .pid = 4201,
	  .comm = "kworker/1:2", .op = DMW_OP_FLUSH, .error = -ENOSPC },
	{ .ms = 43, .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .minor = 10, .pid = 4200,
	  .comm = "fstrim", .op = DMW_OP_DISCARD, .error = -EREMOTEIO, .named = true },
	{ .ms = 44, .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .minor = 10, .pid = 4200,
	  .comm = "vzdump", .op = DMW_OP_OTHER, .error = -1000, .named = true },
	/* a remove by name only (the map names it), then remove_all */
	{ 50, DMW_EV_DM_REMOVE, DMW_SRC_SYSCALL, 0, 0, 0, 4300, "dmsetup", "scv-uev", NULL },
	{ 51, DMW_EV_DM_REMOVE, DMW_SRC_KPROBE, 10, 0, 0, 4300, "lvremove", "scv-vm--200--disk--9", NULL },
	{ 52, DMW_EV_DM_REMOVE_ALL, DMW_SRC_KPROBE, 0, 0, 0, 4301, "dmsetup", "", NULL },
};

static int add(struct rec_log *log, const struct rec *r)
{
	if (rec_log_add(log, r)) {
		elog("gen-events: cannot add a record");
		return -1;
	}
	return 0;
}

static int add_kernel(struct rec_log *log, const struct kspec *s)
{
	struct dmw_event e = {
		.type = s->type, .source = s->source, .pid = s->pid, .ret = s->ret,
		.flags = s->flags, .dev = s->minor ? DMDEV(s->minor) : 0, .lower_dev = s->lower_dev,
		.sector = s->sector, .bytes = s->type == DMW_EV_IO_ERROR ? 4096 : 0, .op = s->op,
		.error = s->error,
	};
	struct name_entry named = { .dev = e.dev };
	struct rec r = { .kind = REC_KERNEL, .unix_ns = AT(s->ms), .k.ev = &e };

	snprintf(e.comm, sizeof(e.comm), "%s", s->comm);
	snprintf(e.name, sizeof(e.name), "%s", s->name ? s->name : "");
	snprintf(e.uuid, sizeof(e.uuid), "%s", s->uuid ? s->uuid : "");
	snprintf(e.new_name, sizeof(e.new_name), "%s", s->new_name ? s->new_name : "");
	if (s->named) {
		snprintf(named.name, sizeof(named.name), "scv-vm--200--disk--9");
		snprintf(named.uuid, sizeof(named.uuid), "%s", UUID_A);
		r.k.named = &named;
	}
	return add(log, &r);
}

/* samples and state changes: a snapshot filling faster than its reader, a pool */
static int add_samples(struct rec_log *log)
{
	struct rec snap = { .kind = REC_COW, .unix_ns = AT(60) }, pool = snap;
	struct rec inval = { .kind = REC_STATE, .unix_ns = AT(62) }, mode = inval;
	struct rec lost = { .kind = REC_LOST, .unix_ns = AT(63), .lost = 7 };

	snap.cow = (struct cow_sample){ .name = "scv-snap--200--0", .dev = DMDEV(12),
		.kind = "lvm-snapshot", .used_percent = 91.25, .rate = 1048576, .eta_s = 12.5,
		.reader_eta_s = 40, .overflow_before_reader = true };
	pool.cow = (struct cow_sample){ .name = "scv-data-tpool", .dev = DMDEV(13),
		.kind = "thin-pool", .used_percent = 40, .rate = 0, .eta_s = -1, .reader_eta_s = -1 };
	inval.st.event = "snapshot_invalid";
	inval.st.name = "scv-snap--200--0";
	inval.st.dev = DMDEV(12);
	inval.st.state = "overflow";
	mode.st.event = "pool_mode";
	mode.st.name = "scv-data-tpool";
	mode.st.dev = DMDEV(13);
	mode.st.state = "out_of_data_space+needs_check";
	if (add(log, &snap) || add(log, &pool) || add(log, &inval) || add(log, &mode))
		return -1;
	return add(log, &lost);
}

int main(int argc, char **argv)
{
	struct rec_log_opts o = { .max_size = 1 << 20 };
	struct rec_log *log = NULL;
	struct rec start = { .kind = REC_SESSION, .unix_ns = AT(-1000) }, stop;
	char *err = NULL;
	int ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-events DIR\n");
		return 2;
	}
	o.dir = argv[1];
	if (rec_log_open(&log, &o, &err)) {
		elog("%s", err);
		free(err);
		return 1;
	}
	start.ses = (struct rec_session){ .what = REC_SESSION_START, .pid = 4000,
		.dm_major = DM_MAJ, .interval_ms = 1000, .host = "pve1", .version = "schema-test",
		.mode = "kprobes on dm-ioctl", .boot_id = "00000000-0000-4000-8000-000000000000" };
	stop = start;
	stop.unix_ns = AT(1000);
	stop.ses.what = REC_SESSION_STOP;
	if (add(log, &start))
		goto cleanup;
	for (size_t i = 0; i < ARRAY_SIZE(script); i++)
		if (add_kernel(log, &script[i]))
			goto cleanup;
	if (add_samples(log) || add(log, &stop))
		goto cleanup;
	ret = 0;
cleanup:
	rec_log_close(log);
	return ret;
}
