// SPDX-License-Identifier: GPL-2.0
/*
 * bench-record: how compact and how fast the recorder's format is, and the
 * generator of the recorder fixture (seed 002's incident) used by the unit tests.
 *
 *   bench-record [N]            encode / compress / read / report N events (default 2M)
 *   bench-record --fixture DIR  write the seed 002 incident recording into DIR
 *   bench-record --write DIR N  write N events of the bench mix into the recorder
 *                               directory DIR (64 KiB blocks, no size limit): a big
 *                               log for timing `dmwatch report` on
 *   bench-record --write-crafted DIR SIZE
 *                               a log of SIZE made to hurt the reader (issue 16):
 *                               block headers that lie about their size, zlib
 *                               streams of zeros, garbage; one segment
 *   bench-record --write-storm DIR SIZE RATE
 *                               an error storm of RATE errors/s until the log in
 *                               DIR holds SIZE ("1G") bytes: what makes logs big
 *   bench-record --write-hostile DIR
 *                               a short incident whose names a terminal must
 *                               survive: CJK, emoji, 120 columns, escape bytes
 *   bench-record --report-decoded DIR
 *                               `dmwatch report --dir DIR` with every block
 *                               inflated (no summaries), output to /dev/null
 *
 * The event mix is what a Proxmox node records in a bad backup window: snapshot
 * and pool samples every second, LVM's lifecycle bursts (lvcreate -s / lvremove:
 * ~15 ioctls each), I/O error bursts from a few readers on a few devices, and
 * now and then a state change or lost events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "postmortem/postmortem.h"
#include "record/recfmt.h"
#include "lib/util.h"
#include "lib/clock.h"
#include "bench-common.h"
#include "lib/opts.h"
#include "../tests/fuzz/fuzz_rec.h"

#define MAJ	253u
#define DEV(m)	(MAJ << DMW_MINORBITS | (m))

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t rng = 88172645463325252ull;

static uint64_t xrand(void)
{
	return bench_random(&rng);
}

/* ---- synthetic records ---- */

struct gen {
	struct rec_log *log;		/* write here, or ... */
	bool block_per_second;		/* log: close a block every second, like the recorder */
	struct rec *recs;		/* ... collect here (bench) */
	struct dmw_event *evs;
	struct name_entry *nms;
	size_t n, cap;
	int64_t last_s;
};

static char uuids[64][DMW_UUID_LEN];
static char names[64][DMW_NAME_LEN];

static void emit(struct gen *g, struct rec *r)
{
	if (g->log) {
		/* like the recorder: a block per second */
		if (g->block_per_second && g->n &&
		    (int64_t)(r->unix_ns / PM_NS_PER_S) != g->last_s)
			rec_log_flush(g->log, false);
		g->last_s = r->unix_ns / PM_NS_PER_S;
		g->n++;
		if (rec_log_add(g->log, r))
			elog("cannot add a record");
		return;
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4096;
		g->recs = xrealloc(g->recs, g->cap * sizeof(*g->recs));
		g->evs = xrealloc(g->evs, g->cap * sizeof(*g->evs));
		g->nms = xrealloc(g->nms, g->cap * sizeof(*g->nms));
	}
	g->recs[g->n] = *r;
	if (r->kind == REC_KERNEL) {
		g->evs[g->n] = *r->k.ev;
		g->recs[g->n].k.ev = &g->evs[g->n];
		if (r->k.named) {
			g->nms[g->n] = *r->k.named;
			g->recs[g->n].k.named = &g->nms[g->n];
		}
	}
	g->n++;
}

static void kev(struct gen *g, int64_t t, uint32_t type, uint32_t minor, const char *name,
		const char *uuid, uint32_t pid, const char *comm, int ret, const char *new_name)
{
	struct dmw_event e = { .type = type, .source = DMW_SRC_KPROBE, .pid = pid, .ret = ret };
	struct rec r = { .kind = REC_KERNEL, .unix_ns = t };

	e.dev = minor ? DEV(minor) : 0;
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	snprintf(e.name, sizeof(e.name), "%s", name ? name : "");
	snprintf(e.uuid, sizeof(e.uuid), "%s", uuid ? uuid : "");
	snprintf(e.new_name, sizeof(e.new_name), "%s", new_name ? new_name : "");
	r.k.ev = &e;
	emit(g, &r);
}

static void ioerr(struct gen *g, int64_t t, uint32_t minor, const char *name, const char *uuid,
		  uint32_t pid, const char *comm, uint64_t sector, uint32_t op)
{
	struct dmw_event e = {
		.type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .pid = pid,
		.dev = DEV(minor), .sector = sector, .bytes = 4096, .op = op, .error = -EIO,
	};
	struct name_entry nm = { .dev = DEV(minor) };
	struct rec r = { .kind = REC_KERNEL, .unix_ns = t };

	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	snprintf(nm.name, sizeof(nm.name), "%s", name);
	snprintf(nm.uuid, sizeof(nm.uuid), "%s", uuid ? uuid : "");
	r.k.ev = &e;
	r.k.named = &nm;
	emit(g, &r);
}

static void cow(struct gen *g, int64_t t, uint32_t minor, const char *name, const char *kind,
		double pct, double rate, double eta)
{
	struct rec r = { .kind = REC_COW, .unix_ns = t };

	r.cow.name = name;
	r.cow.dev = DEV(minor);
	r.cow.kind = kind;
	r.cow.used_percent = pct;
	r.cow.rate = rate;
	r.cow.eta_s = eta;
	r.cow.reader_eta_s = -1;
	emit(g, &r);
}

static void state(struct gen *g, int64_t t, uint32_t minor, const char *name, const char *event,
		  const char *st)
{
	struct rec r = { .kind = REC_STATE, .unix_ns = t };

	r.st.event = event;
	r.st.name = name;
	r.st.dev = DEV(minor);
	r.st.state = st;
	emit(g, &r);
}

static void lost(struct gen *g, int64_t t, uint64_t n)
{
	struct rec r = { .kind = REC_LOST, .unix_ns = t, .lost = n };

	emit(g, &r);
}

static void session(struct gen *g, int64_t t, uint32_t what, uint32_t pid, int64_t boot_off)
{
	struct rec r = { .kind = REC_SESSION, .unix_ns = t };

	r.ses.what = what;
	r.ses.pid = pid;
	r.ses.dm_major = MAJ;
	r.ses.interval_ms = 1000;
	r.ses.boot_offset_ns = boot_off;
	r.ses.host = "pve1";
	r.ses.version = "0.1.0";
	r.ses.mode = "kprobes on dm-ioctl";
	r.ses.boot_id = "5b1f0c9e-7d1a-4c1e-9a57-2f6f3b1d2e01";
	emit(g, &r);
}

struct dspec {
	uint32_t minor;
	const char *name, *target, *params;
	int uuid;			/* index into uuids, -1: none */
	bool gone;
};

static void devlist(struct gen *g, int64_t t, bool full, const struct dspec *d, size_t n)
{
	struct rec_devent *e = xcalloc(n + 1, sizeof(*e));
	struct rec r = { .kind = REC_DEVLIST, .unix_ns = t };

	for (size_t i = 0; i < n; i++) {
		e[i].dev = DEV(d[i].minor);
		e[i].name = d[i].name;
		e[i].uuid = d[i].uuid >= 0 ? uuids[d[i].uuid] : "";
		e[i].target = d[i].target ? d[i].target : "";
		e[i].params = d[i].params ? d[i].params : "";
		e[i].gone = d[i].gone;
	}
	r.dl.full = full;
	r.dl.devs = e;
	r.dl.n = n;
	emit(g, &r);
	free(e);
}

/* write g's records into a recorder log opened with o; -1 (said on stderr) if it cannot be */
static int gen_open_log(struct gen *g, const struct rec_log_opts *o)
{
	char *err = NULL;

	if (rec_log_open(&g->log, o, &err)) {
		elog("%s", err);
		free(err);
		return -1;
	}
	return 0;
}

/* dm names of the bench's 32 guests, two disks each */
static void make_names(void)
{
	for (int i = 0; i < 64; i++)
		snprintf(names[i], sizeof(names[i]), "pve-vm--%d--disk--%d", 100 + i / 2, i % 2);
}

static void make_uuids(void)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char vg[33];

	for (int i = 0; i < 32; i++)
		vg[i] = al[xrand() % 62];
	vg[32] = 0;
	for (int k = 0; k < 64; k++) {
		char lv[33];

		for (int i = 0; i < 32; i++)
			lv[i] = al[xrand() % 62];
		lv[32] = 0;
		snprintf(uuids[k], sizeof(uuids[k]), "LVM-%s%s", vg, lv);
	}
}

/* ---- the seed 002 incident (fixture) ---- */

#define S(sec) ((int64_t)(1761543000 + (sec)) * PM_NS_PER_S)	/* 2025-10-27 05:30:00 UTC + sec */

/* lvcreate -s: the real/cow layers, the snapshot, the origin turned snapshot-origin */
static void lvcreate_snap(struct gen *g, int64_t t, uint32_t pid, uint32_t origin, uint32_t real,
			  uint32_t cowm, uint32_t snap, const char *oname, const char *sname,
			  int ou, int su)
{
	char rname[DMW_NAME_LEN], cname[DMW_NAME_LEN], ru[DMW_UUID_LEN], cu[DMW_UUID_LEN];
	int64_t ms = PM_NS_PER_S / 1000;

	snprintf(rname, sizeof(rname), "%s-real", oname);
	snprintf(cname, sizeof(cname), "%s-cow", sname);
	snprintf(ru, sizeof(ru), "%s-real", uuids[ou]);
	snprintf(cu, sizeof(cu), "%s-cow", uuids[su]);
	kev(g, t + 1 * ms, DMW_EV_DM_CREATE, real, rname, ru, pid, "lvcreate", 0, NULL);
	kev(g, t + 2 * ms, DMW_EV_DM_LOAD, real, rname, ru, pid, "lvcreate", 0, NULL);
	kev(g, t + 3 * ms, DMW_EV_DM_CREATE, cowm, cname, cu, pid, "lvcreate", 0, NULL);
	kev(g, t + 4 * ms, DMW_EV_DM_LOAD, cowm, cname, cu, pid, "lvcreate", 0, NULL);
	kev(g, t + 5 * ms, DMW_EV_DM_CREATE, snap, sname, uuids[su], pid, "lvcreate", 0, NULL);
	kev(g, t + 6 * ms, DMW_EV_DM_LOAD, snap, sname, uuids[su], pid, "lvcreate", 0, NULL);
	kev(g, t + 7 * ms, DMW_EV_DM_LOAD, origin, oname, uuids[ou], pid, "lvcreate", 0, NULL);
	kev(g, t + 8 * ms, DMW_EV_DM_SUSPEND, origin, oname, uuids[ou], pid, "lvcreate", 0, NULL);
	kev(g, t + 9 * ms, DMW_EV_DM_RESUME, real, rname, ru, pid, "lvcreate", 0, NULL);
	kev(g, t + 10 * ms, DMW_EV_DM_RESUME, cowm, cname, cu, pid, "lvcreate", 0, NULL);
	kev(g, t + 11 * ms, DMW_EV_DM_RESUME, snap, sname, uuids[su], pid, "lvcreate", 0, NULL);
	kev(g, t + 12 * ms, DMW_EV_DM_RESUME, origin, oname, uuids[ou], pid, "lvcreate", 0, NULL);
}

static void lvremove_snap(struct gen *g, int64_t t, uint32_t pid, uint32_t origin, uint32_t real,
			  uint32_t cowm, uint32_t snap, const char *oname, const char *sname)
{
	char rname[DMW_NAME_LEN], cname[DMW_NAME_LEN];
	int64_t ms = PM_NS_PER_S / 1000;

	snprintf(rname, sizeof(rname), "%s-real", oname);
	snprintf(cname, sizeof(cname), "%s-cow", sname);
	kev(g, t + 1 * ms, DMW_EV_DM_LOAD, origin, oname, NULL, pid, "lvremove", 0, NULL);
	kev(g, t + 2 * ms, DMW_EV_DM_SUSPEND, origin, oname, NULL, pid, "lvremove", 0, NULL);
	kev(g, t + 3 * ms, DMW_EV_DM_RESUME, origin, oname, NULL, pid, "lvremove", 0, NULL);
	kev(g, t + 4 * ms, DMW_EV_DM_REMOVE, snap, sname, NULL, pid, "lvremove", 0, NULL);
	kev(g, t + 5 * ms, DMW_EV_DM_REMOVE, cowm, cname, NULL, pid, "lvremove", 0, NULL);
	kev(g, t + 6 * ms, DMW_EV_DM_REMOVE, real, rname, NULL, pid, "lvremove", 0, NULL);
}

/*
 * VG "lvm": vm-473-disk-0 (dm-40) and vm-473-disk-1 (dm-41). The backup script
 * snapshots disk 0 at 05:30:05 (snap-473-0 = dm-51, stays at 7.61 %) and disk 1 at
 * 05:36:58 (snap-473-1 = dm-54), whose 1G COW fills at ~17 MB/s: 80 % at 05:37:45,
 * 95 % at 05:37:54, Invalid at 05:37:58; dd reads it at 05:38:02 and gets 3 errors.
 * lvremove at 05:38:05. At 05:41:50 snap-473-0 goes; a new snap-473-1 reuses minor
 * 51 at 05:41:55 and goes Invalid at 05:44:00; dd's read errors at 05:44:05 are on
 * dm-51 = that second snap-473-1. Plus an EBUSY create and two lost events.
 */
static void incident_002(struct gen *g)
{
	static const struct dspec start[] = {
		{ 0, "pve-root", "linear", "8:3 2048", 0, false },
		{ 1, "pve-swap", "linear", "8:3 4196352", 1, false },
		{ 40, "lvm-vm--473--disk--0", "linear", "259:1 2048", 2, false },
		{ 41, "lvm-vm--473--disk--1", "linear", "259:1 73402368", 3, false },
	};
	int64_t boot = S(0) - 19800 * PM_NS_PER_S;	/* booted at 00:00 UTC */
	double pct;

	session(g, S(0), REC_SESSION_START, 900, boot);
	devlist(g, S(0) + 50000000, true, start, ARRAY_SIZE(start));

	/* snap-473-0 (dm-51), cow dm-50, real dm-49 */
	lvcreate_snap(g, S(5), 4600, 40, 49, 50, 51, "lvm-vm--473--disk--0", "lvm-snap--473--0", 2, 4);
	{
		static const struct dspec d[] = {
			{ 40, "lvm-vm--473--disk--0", "snapshot-origin", "253:49", 2, false },
			{ 49, "lvm-vm--473--disk--0-real", "linear", "259:1 2048", -1, false },
			{ 50, "lvm-snap--473--0-cow", "linear", "259:1 96000000", -1, false },
			{ 51, "lvm-snap--473--0", "snapshot", "253:49 253:50 P 8", 4, false },
		};
		devlist(g, S(5) + 300000000, false, d, ARRAY_SIZE(d));
	}
	for (int s = 6; s <= 350; s += 5)
		cow(g, S(s), 51, "lvm-snap--473--0", "lvm-snapshot", 7.61, 0, -1);

	/* snap-473-1 (dm-54), cow dm-53, real dm-52 */
	lvcreate_snap(g, S(418), 4700, 41, 52, 53, 54, "lvm-vm--473--disk--1", "lvm-snap--473--1", 3, 5);
	{
		static const struct dspec d[] = {
			{ 41, "lvm-vm--473--disk--1", "snapshot-origin", "253:52", 3, false },
			{ 52, "lvm-vm--473--disk--1-real", "linear", "259:1 73402368", -1, false },
			{ 53, "lvm-snap--473--1-cow", "linear", "259:1 98097152", -1, false },
			{ 54, "lvm-snap--473--1", "snapshot", "253:52 253:53 P 8", 5, false },
		};
		devlist(g, S(418) + 300000000, false, d, ARRAY_SIZE(d));
	}
	pct = 0.5;
	for (int s = 419; s <= 477; s++, pct += 1.7) {
		double rate = 1.7 / 100 * 1073741824;

		cow(g, S(s), 54, "lvm-snap--473--1", "lvm-snapshot", pct > 99.9 ? 99.9 : pct, rate,
		    (100 - pct) / 1.7);
	}
	state(g, S(478), 54, "lvm-snap--473--1", "snapshot_invalid", "invalid");
	ioerr(g, S(482) + 100000000, 54, "lvm-snap--473--1", uuids[5], 4711, "dd", 47385088, DMW_OP_READ);
	ioerr(g, S(482) + 101000000, 54, "lvm-snap--473--1", uuids[5], 4711, "dd", 47385088, DMW_OP_READ);
	ioerr(g, S(482) + 102000000, 54, "lvm-snap--473--1", uuids[5], 4711, "dd", 47385088, DMW_OP_READ);
	lost(g, S(482) + 200000000, 2);
	lvremove_snap(g, S(485), 4720, 41, 52, 53, 54, "lvm-vm--473--disk--1", "lvm-snap--473--1");
	{
		static const struct dspec d[] = {
			{ 41, "lvm-vm--473--disk--1", "linear", "259:1 73402368", 3, false },
			{ 52, "lvm-vm--473--disk--1-real", NULL, NULL, -1, true },
			{ 53, "lvm-snap--473--1-cow", NULL, NULL, -1, true },
			{ 54, "lvm-snap--473--1", NULL, NULL, -1, true },
		};
		devlist(g, S(485) + 300000000, false, d, ARRAY_SIZE(d));
	}

	/* a VM start racing the backup: its disk is busy */
	kev(g, S(600), DMW_EV_DM_CREATE, 0, "lvm-vm--473--disk--1", uuids[3], 5000, "qm", -16, NULL);

	/* disk 0's snapshot goes, a new snap-473-1 gets minor 51 */
	lvremove_snap(g, S(710), 4800, 40, 49, 50, 51, "lvm-vm--473--disk--0", "lvm-snap--473--0");
	lvcreate_snap(g, S(715), 4801, 41, 49, 50, 51, "lvm-vm--473--disk--1", "lvm-snap--473--1", 3, 6);
	{
		static const struct dspec d[] = {
			{ 40, "lvm-vm--473--disk--0", "linear", "259:1 2048", 2, false },
			{ 41, "lvm-vm--473--disk--1", "snapshot-origin", "253:49", 3, false },
			{ 49, "lvm-vm--473--disk--1-real", "linear", "259:1 73402368", -1, false },
			{ 50, "lvm-snap--473--1-cow", "linear", "259:1 98097152", -1, false },
			{ 51, "lvm-snap--473--1", "snapshot", "253:49 253:50 P 8", 6, false },
		};
		devlist(g, S(715) + 300000000, false, d, ARRAY_SIZE(d));
	}
	pct = 1;
	for (int s = 716; s < 840; s += 2, pct += 1.6)
		cow(g, S(s), 51, "lvm-snap--473--1", "lvm-snapshot", pct > 99.9 ? 99.9 : pct,
		    0.8 / 100 * 1073741824, (100 - pct) / 0.8);
	state(g, S(840), 51, "lvm-snap--473--1", "snapshot_invalid", "invalid");
	ioerr(g, S(845) + 500000000, 51, "lvm-snap--473--1", uuids[6], 4811, "dd", 49990144, DMW_OP_READ);
	lvremove_snap(g, S(850), 4820, 41, 49, 50, 51, "lvm-vm--473--disk--1", "lvm-snap--473--1");
	{
		static const struct dspec d[] = {
			{ 41, "lvm-vm--473--disk--1", "linear", "259:1 73402368", 3, false },
			{ 49, "lvm-vm--473--disk--1-real", NULL, NULL, -1, true },
			{ 50, "lvm-snap--473--1-cow", NULL, NULL, -1, true },
			{ 51, "lvm-snap--473--1", NULL, NULL, -1, true },
		};
		devlist(g, S(850) + 300000000, false, d, ARRAY_SIZE(d));
	}
	/* the clean stop's last (empty) device list confirms the rest */
	devlist(g, S(900), false, NULL, 0);
	session(g, S(900), REC_SESSION_STOP, 900, boot);
}

/* a small incident (incident_002, hostile_names) into a recorder log in dir, as the recorder writes */
static int write_incident(const char *dir, void (*incident)(struct gen *g))
{
	struct rec_log_opts o = { .dir = dir, .max_size = 1 << 20, .seg_size = 64 << 10 };
	struct gen g = {};

	rng = 42;
	make_uuids();
	g.block_per_second = true;
	if (gen_open_log(&g, &o))
		return 1;
	incident(&g);
	rec_log_close(g.log);
	return 0;
}

static int write_fixture(const char *dir)
{
	if (write_incident(dir, incident_002))
		return 1;
	printf("wrote the seed 002 incident to %s\n", dir);
	return 0;
}

/*
 * What a terminal must survive (issue 14): a snapshot with a 120-column name
 * fills up and goes Invalid, reads of it fail; an origin named in CJK, a disk
 * named with an emoji and one with an escape byte in its name; a rename, an
 * EBUSY. Rendered by check-admin-view at 80 columns (report, trace-replay).
 */
static void hostile_names(struct gen *g)
{
	/* 虚拟机磁盘: "virtual machine disk" */
	const char *cjk = "pve-\xe8\x99\x9a\xe6\x8b\x9f\xe6\x9c\xba\xe7\xa3\x81\xe7\x9b\x98-vm--105--disk--0";
	char longname[DMW_NAME_LEN], cjk_snap[DMW_NAME_LEN];
	const char *emoji = "pve-vm--106--disk--\xf0\x9f\x94\xa5", *evil = "pve-vm--107\x1b[2J--disk--0";
	int64_t boot = S(0) - 19800 * PM_NS_PER_S;
	double pct = 2;

	snprintf(longname, sizeof(longname), "pve-snap_vm-105-disk-0_%s",
		 "nightly-backup-before-the-kernel-upgrade-of-the-whole-cluster-keep-until-"
		 "the-auditors-have-signed-off");
	snprintf(cjk_snap, sizeof(cjk_snap), "%s-snap", cjk);
	session(g, S(0), REC_SESSION_START, 900, boot);
	{
		const struct dspec d[] = {
			{ 20, cjk, "linear", "8:3 2048", 0, false },
			{ 21, emoji, "linear", "8:3 4196352", 1, false },
			{ 22, evil, "linear", "8:3 8392704", 2, false },
		};
		devlist(g, S(0) + 50000000, true, d, ARRAY_SIZE(d));
	}
	lvcreate_snap(g, S(10), 4600, 20, 30, 31, 32, cjk, longname, 0, 4);
	for (int s = 11; s <= 70; s++, pct += 1.7)
		cow(g, S(s), 32, longname, "lvm-snapshot", pct > 99.9 ? 99.9 : pct,
		    1.7 / 100 * 1073741824, (100 - pct) / 1.7);
	state(g, S(71), 32, longname, "snapshot_invalid", "invalid");
	for (int i = 0; i < 3; i++)
		ioerr(g, S(75) + i * 1000000, 32, longname, uuids[4], 4711, "qemu-system-x86",
		      47385088 + i * 8, DMW_OP_READ);
	ioerr(g, S(80), 21, emoji, uuids[1], 4712, "vzdump", 2048, DMW_OP_WRITE);
	ioerr(g, S(81), 22, evil, uuids[2], 4713, "dd\x1b[1m", 4096, DMW_OP_READ);
	kev(g, S(90), DMW_EV_DM_CREATE, 0, longname, uuids[4], 5000, "qm", -16, NULL);
	kev(g, S(95), DMW_EV_DM_RENAME, 21, emoji, uuids[1], 5001, "dmsetup", 0, cjk_snap);
	lost(g, S(96), 2);
	lvremove_snap(g, S(100), 4720, 20, 30, 31, 32, cjk, longname);
	devlist(g, S(120), false, NULL, 0);
	session(g, S(120), REC_SESSION_STOP, 900, boot);
}

/* ---- the benchmark mix ---- */

static void bench_mix(struct gen *g, size_t n)
{
	int64_t t = S(0);
	uint32_t pid = 4000;

	rng = 7;
	make_uuids();
	make_names();
	while (g->n < n) {
		uint64_t r = xrand() % 1000;

		t += 1000000 + xrand() % 20000000;
		if (r < 300) {
			/* samples: two pools and a snapshot every interval */
			static double p[3] = { 40, 60, 10 };

			for (int k = 0; k < 3; k++) {
				p[k] += (xrand() % 100) / 1000.0;
				if (p[k] > 99)
					p[k] = 10;
				cow(g, t + k * 1000, 5 + k, k < 2 ? names[60 + k] : "backup-snap--102--0",
				    k < 2 ? "thin-pool" : "lvm-snapshot", p[k], 1e6 + xrand() % 1000000,
				    300 + xrand() % 100);
			}
		} else if (r < 380) {
			/* an lvcreate -s + lvremove cycle */
			int k = xrand() % 30;

			lvcreate_snap(g, t, ++pid, 10 + k, 100 + k, 101 + k, 102 + k, names[k],
				      names[30 + k], k, 30 + k);
			lvremove_snap(g, t + 50000000, ++pid, 10 + k, 100 + k, 101 + k, 102 + k,
				      names[k], names[30 + k]);
		} else if (r < 995) {
			/* an error burst: a reader walking a broken device */
			int k = xrand() % 4, len = 1 + xrand() % 16;
			uint64_t sec = xrand() % 100000000;

			for (int j = 0; j < len; j++)
				ioerr(g, t + j * 30000, 20 + k, names[40 + k], uuids[40 + k], 4711 + k,
				      k ? "kworker/u8:2" : "dd", sec + 8 * j, DMW_OP_READ);
		} else if (r < 998) {
			state(g, t, 7, "backup-snap--102--0", "snapshot_invalid", "invalid");
		} else {
			lost(g, t, 1 + xrand() % 100);
		}
	}
	g->n = n;
	/* the arrays moved while growing: point the records at their final copies */
	for (size_t i = 0; i < n && g->recs; i++) {
		if (g->recs[i].kind != REC_KERNEL)
			continue;
		g->recs[i].k.ev = &g->evs[i];
		if (g->recs[i].k.named)
			g->recs[i].k.named = &g->nms[i];
	}
}

static void rm_dir(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd))
		elog("cannot remove %s", dir);
	free(cmd);
}

static int count_cb(void *ctx, const struct rec *r)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

static void bench(size_t n)
{
	struct gen g = {};
	struct rec_enc *e = rec_enc_new();
	const uint8_t *out;
	size_t len, disk = 0, raw = 0, blocks = 0;
	uint64_t t0, t1, got = 0;
	char dir[] = "/tmp/dmwatch-bench.XXXXXX";
	struct rec_log *log;
	struct rec_log_opts lo = { .max_size = 4ull << 30 };
	struct rec_reader rd = { .cb = count_cb, .ctx = &got };
	struct pm_opts po = { .since_ns = INT64_MIN, .until_ns = INT64_MAX };
	char *err = NULL;
	FILE *devnull;
	int kinds[REC_KIND_MAX] = {};

	bench_mix(&g, n);
	for (size_t i = 0; i < n; i++)
		kinds[g.recs[i].kind]++;
	printf("mix: %zu records: %d io_error+lifecycle, %d cow samples, %d state, %d lost\n", n,
	       kinds[REC_KERNEL], kinds[REC_COW], kinds[REC_STATE], kinds[REC_LOST]);

	/* encoding alone: the deflate calls at block ends are timed apart and taken out */
	{
		uint64_t zip = 0, z0;

		t0 = mono_ns();
		for (size_t i = 0; i < n; i++) {
			rec_enc_add(e, &g.recs[i]);
			if (rec_enc_raw_len(e) >= 64 * 1024) {
				z0 = mono_ns();
				rec_enc_finish(e, 1, &out, &len);
				zip += mono_ns() - z0;
			}
		}
		t1 = mono_ns();
		printf("encode only (varints, deltas, string table): %.2f M events/s\n",
		       n / ((t1 - t0 - zip) / 1e9) / 1e6);
	}
	rec_enc_free(e);

	for (int level = 1; level <= 9; level += (level == 1 ? 5 : 3)) {
		e = rec_enc_new();
		disk = raw = blocks = 0;
		t0 = mono_ns();
		for (size_t i = 0; i < n; i++) {
			rec_enc_add(e, &g.recs[i]);
			if (rec_enc_raw_len(e) >= 64 * 1024 || i + 1 == n) {
				raw += rec_enc_raw_len(e);
				rec_enc_finish(e, level, &out, &len);
				disk += len;
				blocks++;
			}
		}
		t1 = mono_ns();
		rec_enc_free(e);
		printf("level %d, 64 KiB blocks: %.2f M events/s encode+compress, raw %.1f B/event, "
		       "on disk %.2f B/event (%zu blocks)\n", level, n / ((t1 - t0) / 1e9) / 1e6,
		       (double)raw / n, (double)disk / n, blocks);
	}

	/* a block per second at a modest rate (what --sync 1 does) */
	{
		size_t per_s[] = { 1, 3, 30, 300 };

		for (size_t k = 0; k < ARRAY_SIZE(per_s); k++) {
			size_t m = n < 300000 ? n : 300000;

			e = rec_enc_new();
			disk = 0;
			for (size_t i = 0; i < m; i++) {
				rec_enc_add(e, &g.recs[i]);
				if ((i + 1) % per_s[k] == 0 || i + 1 == m) {
					rec_enc_finish(e, 6, &out, &len);
					disk += len;
				}
			}
			rec_enc_free(e);
			printf("level 6, a block every second at %zu events/s: %.1f B/event\n", per_s[k],
			       (double)disk / m);
		}
	}

	/* the real writer, then reading and reporting it back */
	if (!mkdtemp(dir)) {
		elog("mkdtemp: %s", strerror(errno));
		return;
	}
	lo.dir = dir;
	if (rec_log_open(&log, &lo, &err)) {
		elog("%s", err);
		return;
	}
	t0 = mono_ns();
	for (size_t i = 0; i < n; i++)
		rec_log_add(log, &g.recs[i]);
	rec_log_close(log);
	t1 = mono_ns();
	printf("writer (level 6, segments, no fdatasync per block): %.2f M events/s\n",
	       n / ((t1 - t0) / 1e9) / 1e6);
	{
		char *cmd = xasprintf("du -sh '%s' | cut -f1", dir);
		FILE *p = popen(cmd, "r");
		char sz[32] = "?";

		if (p && fgets(sz, sizeof(sz), p))
			sz[strcspn(sz, "\n")] = 0;
		if (p)
			pclose(p);
		printf("on disk: %s for %zu events\n", sz, n);
		free(cmd);
	}
	t0 = mono_ns();
	if (rec_read_dir(&rd, dir, &err))
		elog("%s", err);
	t1 = mono_ns();
	printf("read back (inflate + decode): %.2f M events/s (%llu records)\n",
	       got / ((t1 - t0) / 1e9) / 1e6, (unsigned long long)got);
	devnull = fopen("/dev/null", "w");
	po.dir = dir;
	t0 = mono_ns();
	pm_report(devnull, &po);
	t1 = mono_ns();
	printf("dmwatch report over it: %.2f s (%.2f M events/s)\n", (t1 - t0) / 1e9,
	       n / ((t1 - t0) / 1e9) / 1e6);
	po.json = true;
	t0 = mono_ns();
	pm_report(devnull, &po);
	t1 = mono_ns();
	printf("dmwatch report --json over it: %.2f s\n", (t1 - t0) / 1e9);
	fclose(devnull);
	rm_dir(dir);
	free(g.recs);
	free(g.evs);
	free(g.nms);
}

/*
 * What fills a big log in practice: an error storm. Readers hammer a few broken
 * devices at `rate` errors/s for as long as it takes to write `bytes` of log, on
 * a node that samples three snapshots / pools every second and runs a backup
 * snapshot cycle every ten minutes; a block is closed every second, as the
 * recorder syncs.
 */
static int write_storm(const char *dir, uint64_t bytes, uint64_t rate)
{
	struct rec_log_opts o = { .dir = dir, .max_size = UINT64_MAX / 2, .seg_size = 256 << 20 };
	struct gen g = { .block_per_second = true };
	uint64_t sector[4] = { 0 };
	uint32_t pid = 4000;
	size_t events = 0;
	int64_t t0 = S(0);

	rng = 11;
	make_uuids();
	make_names();
	if (gen_open_log(&g, &o))
		return 1;
	session(&g, t0, REC_SESSION_START, 900, t0 - 3600 * PM_NS_PER_S);
	for (int64_t sec = 0; rec_log_disk_usage(g.log) < bytes; sec++) {
		int64_t t = t0 + sec * PM_NS_PER_S;

		for (int k = 0; k < 3; k++)
			cow(&g, t + k * 1000, 5 + k, k < 2 ? names[60 + k] : "backup-snap--102--0",
			    k < 2 ? "thin-pool" : "lvm-snapshot", 10 + (sec % 8000) / 100.0,
			    1e6 + xrand() % 1000000, 300 + xrand() % 100);
		if (sec % 600 == 1) {
			int k = xrand() % 30;

			lvcreate_snap(&g, t + 2000000, ++pid, 10 + k, 100 + k, 101 + k, 102 + k,
				      names[k], names[30 + k], k, 30 + k);
			lvremove_snap(&g, t + 500000000, ++pid, 10 + k, 100 + k, 101 + k, 102 + k,
				      names[k], names[30 + k]);
			events += 18;
		}
		for (uint64_t j = 0; j < rate; j++) {
			int k = j % 4;

			sector[k] += 8 + (xrand() % 64 ? 0 : xrand() % 100000);
			ioerr(&g, t + 10000000 + (int64_t)(j * (980000000 / rate)), 20 + k,
			      names[40 + k], uuids[40 + k], 4711 + k, k ? "kworker/u8:2" : "dd",
			      sector[k], DMW_OP_READ);
		}
		events += 3 + rate;
	}
	rec_log_close(g.log);
	printf("wrote %zu events (an error storm at %llu/s) to %s\n", events,
	       (unsigned long long)rate, dir);
	return 0;
}

static int write_mix(const char *dir, size_t n)
{
	struct rec_log_opts o = { .dir = dir, .max_size = UINT64_MAX / 2, .seg_size = 256 << 20 };
	struct gen g = {};

	if (gen_open_log(&g, &o))
		return 1;
	bench_mix(&g, n);
	rec_log_close(g.log);
	printf("wrote %zu events of the bench mix to %s\n", n, dir);
	return 0;
}

/* a block whose header claims raw_claim (CRCs that hold), appended to f */
static void put_lie(FILE *f, const uint8_t *payload, size_t plen, uint32_t raw_claim)
{
	uint8_t h[REC_BLOCK_HEADER_LEN + 64 * 1024];

	fuzz_block(h, payload, plen, raw_claim, 1, 1000, NULL, 0);
	fwrite(h, 1, fuzz_block_len(plen, 0), f);
}

/*
 * A recorder directory whose one segment starts like a real one (a session
 * start and a snapshot's creation) and then holds, until it is `bytes` long,
 * what a reader must refuse cheaply: headers that claim 64 MiB (1000x a
 * writer's block; refused unread), zlib streams of zeros at the cap and at a
 * writer's block size (inflated only until the first record is seen to be
 * none), and garbage to resynchronise through.
 */
static int write_crafted(const char *dir, uint64_t bytes)
{
	struct rec_log_opts o = { .dir = dir, .max_size = UINT64_MAX / 2, .seg_size = UINT64_MAX / 4 };
	size_t z16_len, z64_len;
	uint8_t *z16 = fuzz_zeros_deflated(REC_BLOCK_RAW_MAX, &z16_len);
	uint8_t *z64 = fuzz_zeros_deflated(64 * 1024, &z64_len), garbage[4096];
	struct gen g = {};
	uint64_t lies = 0;
	char *path = NULL;
	FILE *f = NULL;
	int ret = 1;

	rng = 5;
	make_uuids();
	make_names();
	if (gen_open_log(&g, &o))
		goto cleanup;
	session(&g, S(0), REC_SESSION_START, 900, S(0) - 3600 * PM_NS_PER_S);
	lvcreate_snap(&g, S(1), 4001, 10, 100, 101, 102, names[0], names[30], 0, 30);
	path = xstrdup(rec_log_segment_path(g.log));
	rec_log_close(g.log);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = 'a' + xrand() % 26;
	f = fopen(path, "a");
	while (f && (uint64_t)ftell(f) < bytes) {
		put_lie(f, z16, z16_len, REC_BLOCK_RAW_MAX);
		for (int i = 0; i < 64; i++)
			put_lie(f, z64, z64_len, 64 * 1024);
		for (int i = 0; i < 16; i++)
			put_lie(f, z64, z64_len, 64u << 20);
		fwrite(garbage, 1, sizeof(garbage), f);
		lies += 1 + 64 + 16;
	}
	if (!f || fclose(f)) {
		elog("cannot write %s", path);
		goto cleanup;
	}
	printf("wrote %llu blocks that lie about their size to %s\n", (unsigned long long)lies, path);
	ret = 0;
cleanup:
	free(path);
	free(z16);
	free(z64);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--fixture"))
		return write_fixture(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--write-hostile"))
		return write_incident(argv[2], hostile_names);
	if (argc == 4 && !strcmp(argv[1], "--write"))
		return write_mix(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "--write-crafted")) {
		uint64_t bytes;

		if (opt_size(argv[3], &bytes))
			return 2;
		return write_crafted(argv[2], bytes);
	}
	if (argc == 5 && !strcmp(argv[1], "--write-storm")) {
		uint64_t bytes;

		if (opt_size(argv[3], &bytes))
			return 2;
		return write_storm(argv[2], bytes, strtoull(argv[4], NULL, 10));
	}
	if (argc == 3 && !strcmp(argv[1], "--report-decoded")) {
		struct pm_opts po;
		FILE *devnull = fopen("/dev/null", "w");

		pm_opts_init(&po);
		po.dir = argv[2];
		po.decode_all = true;
		return devnull ? pm_report(devnull, &po) : 3;
	}
	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		fprintf(stderr, "usage: bench-record [EVENTS] | --fixture DIR | --write DIR EVENTS | "
			"--write-storm DIR SIZE RATE | --write-crafted DIR SIZE | --report-decoded DIR | "
			"--write-hostile DIR\n");
		return argc == 2 ? 0 : 2;
	}
	bench(argc == 2 ? strtoull(argv[1], NULL, 10) : 2000000);
	return 0;
}
