// SPDX-License-Identifier: GPL-2.0
/*
 * The recorder's format: every record kind round-trips, the version field is
 * honoured, damaged blocks (middle, tail, header) are skipped and the rest read,
 * a segment cut at any byte gives exactly its complete blocks, rotation keeps the
 * disk bound, the lock keeps a second writer out, torn tails are repaired.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "test.h"
#include "rec_helpers.h"
#include "lib/util.h"

/* a sample of every kind, with awkward values */
static int make_records(struct rec *out, struct dmw_event *evs, struct name_entry *nms,
			struct rec_devent *devs)
{
	int n = 0;

	memset(evs, 0, 3 * sizeof(*evs));
	/* a lifecycle event with everything set */
	evs[0] = (struct dmw_event){ .type = DMW_EV_DM_RENAME, .source = DMW_SRC_KPROBE, .pid = 4242,
				     .ret = -16, .dev = DEV(253, 54), .lower_dev = DEV(8, 16),
				     .sector = 1ull << 40, .bytes = 4096, .op = DMW_OP_WRITE,
				     .error = -5, .flags = 1 << 14 };
	strcpy(evs[0].comm, "lvcreate-long15");
	memset(evs[0].name, 'n', DMW_NAME_LEN - 1);	/* the 127-byte limit */
	strcpy(evs[0].uuid, "LVM-abcdefghijklmnopqrstuvwxyz012345ABCDEFGHIJKLMNOPQRSTUVWXYZ6789-cow");
	strcpy(evs[0].new_name, "backup-snap--102--0");
	out[n++] = (struct rec){ .kind = REC_KERNEL, .unix_ns = T0 + 1000, .k = { &evs[0], NULL } };
	/* an io_error with its name, and one whose device was already removed */
	evs[1] = (struct dmw_event){ .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT, .pid = 4711,
				     .dev = DEV(253, 54), .sector = 47385088, .bytes = 4096,
				     .op = DMW_OP_READ, .error = -5 };
	strcpy(evs[1].comm, "dd");
	nms[0] = (struct name_entry){ .dev = DEV(253, 54) };
	strcpy(nms[0].name, "backup-snap--102--0");
	strcpy(nms[0].uuid, "LVM-x");
	out[n++] = (struct rec){ .kind = REC_KERNEL, .unix_ns = T0 + 2000000, .k = { &evs[1], &nms[0] } };
	nms[1] = nms[0];
	nms[1].removed = true;
	nms[1].dev = DEV(253, 53);
	out[n++] = (struct rec){ .kind = REC_KERNEL, .unix_ns = T0 + 1000000, .k = { &evs[1], &nms[1] } };
	/* a bare event: every optional field zero */
	evs[2] = (struct dmw_event){ .type = DMW_EV_DM_REMOVE_ALL };
	out[n++] = (struct rec){ .kind = REC_KERNEL, .unix_ns = T0, .k = { &evs[2], NULL } };

	out[n] = (struct rec){ .kind = REC_COW, .unix_ns = T0 + 5 * 1000000000ull };
	out[n].cow = (struct cow_sample){ .name = "backup-snap--102--0", .dev = DEV(253, 54),
					  .kind = "lvm-snapshot", .used_percent = 99.87,
					  .rate = 17825792.25, .eta_s = 12.5, .reader_eta_s = -1,
					  .overflow_before_reader = true };
	n++;
	out[n] = (struct rec){ .kind = REC_COW, .unix_ns = T0 + 6 * 1000000000ull };
	out[n].cow = (struct cow_sample){ .name = "pve-data-tpool", .dev = DEV(253, 4),
					  .kind = "thin-pool", .used_percent = 0, .rate = 0.5,
					  .eta_s = -1, .reader_eta_s = 3600.25 };
	n++;
	out[n] = (struct rec){ .kind = REC_STATE, .unix_ns = T0 + 7 * 1000000000ull };
	out[n].st.event = "snapshot_invalid";
	out[n].st.name = "backup-snap--102--0";
	out[n].st.dev = DEV(253, 54);
	out[n].st.state = "invalid";
	n++;
	out[n] = (struct rec){ .kind = REC_STATE, .unix_ns = T0 + 7 * 1000000000ull };
	out[n].st.event = "pool_mode";
	out[n].st.name = "pve-data-tpool";
	out[n].st.dev = DEV(253, 4);
	out[n].st.state = "out_of_data_space";
	n++;
	out[n++] = (struct rec){ .kind = REC_LOST, .unix_ns = T0 + 8000, .lost = 123456789012ull };

	devs[0] = (struct rec_devent){ .dev = DEV(253, 0), .name = "pve-root", .uuid = "LVM-r",
				       .target = "linear", .params = "8:3 2048", .open_count = 1 };
	devs[1] = (struct rec_devent){ .dev = DEV(253, 54), .name = "backup-snap--102--0",
				       .uuid = "", .target = "snapshot", .params = "253:52 253:53 P 8" };
	devs[2] = (struct rec_devent){ .dev = DEV(253, 3), .name = "old", .gone = true };
	out[n] = (struct rec){ .kind = REC_DEVLIST, .unix_ns = T0 + 9000 };
	out[n].dl.full = true;
	out[n].dl.devs = devs;
	out[n].dl.n = 2;
	n++;
	out[n] = (struct rec){ .kind = REC_DEVLIST, .unix_ns = T0 + 9000 };
	out[n].dl.devs = devs + 1;
	out[n].dl.n = 2;
	n++;
	out[n] = (struct rec){ .kind = REC_DEVLIST, .unix_ns = T0 + 9000 };	/* empty */
	n++;
	out[n] = (struct rec){ .kind = REC_SESSION, .unix_ns = T0 };
	out[n].ses = (struct rec_session){ .what = REC_SESSION_START, .pid = 900, .dm_major = 253,
					   .interval_ms = 500, .boot_offset_ns = -5, .host = "pve1",
					   .version = "0.1.0", .mode = "kprobes on dm-ioctl",
					   .boot_id = "5b1f0c9e" };
	n++;
	return n;
}

struct writer {
	char *dir;
	struct rec_log *log;
	int segments;
};

static void on_seg(void *ctx, struct rec_log *log, bool first)
{
	struct writer *w = ctx;
	struct rec r = { .kind = REC_SESSION, .unix_ns = T0 };

	w->segments++;
	r.ses.what = first ? REC_SESSION_START : REC_SESSION_SEGMENT;
	r.ses.host = r.ses.version = r.ses.mode = r.ses.boot_id = "";
	rec_log_add(log, &r);
}

static int writer_open(struct writer *w, uint64_t max, uint64_t seg)
{
	struct rec_log_opts o = { .max_size = max, .seg_size = seg, .on_segment = on_seg, .ctx = w };
	char *err = NULL;
	int e;

	memset(w, 0, sizeof(*w));
	w->dir = rt_tmpdir();
	o.dir = w->dir;
	e = rec_log_open(&w->log, &o, &err);
	if (e)
		fprintf(stderr, "  rec_log_open: %s\n", err);
	free(err);
	return e;
}

static char *seg_path(const char *dir, int seq)
{
	return xasprintf("%s/seg-%010d.dmw", dir, seq);
}

/* ---- tests ---- */

TEST(recfmt_roundtrip_every_kind)
{
	struct rec recs[32];
	struct dmw_event evs[3];
	struct name_entry nms[2];
	struct rec_devent devs[3];
	struct rec_reader rd;
	struct writer w;
	struct got g;
	char *err = NULL;
	int n = make_records(recs, evs, nms, devs);

	if (writer_open(&w, 1 << 20, 0)) {
		FAIL_AT("cannot open a log");
		return;
	}
	for (int i = 0; i < n; i++)
		CHECK_INT(rec_log_add(w.log, &recs[i]), 0);
	rec_log_flush(w.log, true);
	/* the same again in a second block: string tables and deltas restart */
	for (int i = 0; i < n; i++)
		CHECK_INT(rec_log_add(w.log, &recs[i]), 0);
	rec_log_close(w.log);

	rt_reader_init(&rd, &g);
	CHECK_INT(rec_read_dir(&rd, w.dir, &err), 0);
	CHECK_INT(g.warnings, 0);
	CHECK_INT(rd.stats.blocks, 2);
	CHECK_INT(g.n, 1 + 2 * n);		/* + the session on_seg wrote */
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < n && (size_t)(1 + k * n + i) < g.n; i++) {
			char *want = rt_describe(&recs[i]);

			CHECK_STR(g.lines[1 + k * n + i], want);
			free(want);
		}
	/* the uuid flag survived in flags, the 127-byte name whole */
	CHECK(strstr(g.lines[1], " f4000 ") != NULL);
	rt_got_free(&g);
	free(err);
	rt_rmdir_all(w.dir);
}

TEST(recfmt_rejects_unencodable)
{
	struct rec_enc *e = rec_enc_new();
	struct rec r = { .kind = REC_KIND_MAX };
	struct dmw_event ev = { .type = 40 };

	CHECK_INT(rec_enc_add(e, &r), -EINVAL);
	r.kind = REC_KERNEL;
	CHECK_INT(rec_enc_add(e, &r), -EINVAL);		/* no event */
	r.k.ev = &ev;
	CHECK_INT(rec_enc_add(e, &r), -EINVAL);		/* type beyond the 5 bits */
	r.kind = REC_DEVLIST;
	r.dl.n = 3;
	CHECK_INT(rec_enc_add(e, &r), -EINVAL);		/* entries missing */
	CHECK_INT(rec_enc_records(e), 0);
	rec_enc_free(e);
}

TEST(recfmt_string_table_overflow_and_long_records)
{
	struct rec_enc *e = rec_enc_new();
	struct rec_devent *devs = xcalloc(300, sizeof(*devs));
	char (*names)[32] = xcalloc(5000, 32);
	struct rec_reader rd;
	struct got g;
	const uint8_t *blk;
	uint8_t *seg;
	size_t len, expect = 0;
	bool ok = true;

	/* a device list longer than 127 bytes moves its body; its strings must move too */
	for (int i = 0; i < 300; i++) {
		snprintf(names[i], 32, "vg-lv--%d", i);
		devs[i] = (struct rec_devent){ .dev = DEV(253, i), .name = names[i], .uuid = names[i],
					       .target = "linear", .params = "8:0 0" };
	}
	{
		struct rec r = { .kind = REC_DEVLIST, .unix_ns = T0, .dl = { true, devs, 300 } };

		CHECK_INT(rec_enc_add(e, &r), 0);
		expect++;
	}
	/* more distinct strings than the table holds: the rest stay literals */
	for (int i = 0; i < 5000; i++) {
		struct rec r = { .kind = REC_COW, .unix_ns = T0 + i };

		if (i >= 300)
			snprintf(names[i], 32, "snap-%d", i);
		r.cow = (struct cow_sample){ .name = names[i], .dev = DEV(253, i), .kind = "lvm-snapshot",
					     .eta_s = -1, .reader_eta_s = -1 };
		CHECK_INT(rec_enc_add(e, &r), 0);
		expect++;
	}
	CHECK_INT(rec_enc_finish(e, 6, &blk, &len), 0);
	seg = xcalloc(1, 64 + len);
	memcpy(seg, "DMWSEGMT", 8);	/* a header with a bad CRC: read anyway, with a warning */
	memcpy(seg + 64, blk, len);
	rt_reader_init(&rd, &g);
	rec_read_buf(&rd, seg, 64 + len, "test");
	CHECK_INT(g.n, expect);
	CHECK_INT(g.warnings, 1);
	for (int i = 0; i < 300 && g.n == expect; i++)
		if (!strstr(g.lines[0], names[i]))
			ok = false;
	for (int i = 0; i < 5000 && g.n == expect; i++) {
		char want[48];

		snprintf(want, sizeof(want), " %s %x ", names[i], DEV(253, i));
		if (!strstr(g.lines[1 + i], want))
			ok = false;
	}
	CHECK(ok);
	rt_got_free(&g);
	free(seg);
	free(devs);
	free(names);
	rec_enc_free(e);
}

/* a segment of `blocks` blocks of `per` records each; offsets[i] = end of block i */
static uint8_t *make_segment(int blocks, int per, size_t *len, size_t *offsets, char **dirp)
{
	struct rec_log_opts o = { .max_size = 1 << 24 };
	struct rec_log *log;
	char *dir = rt_tmpdir(), *err = NULL, *path;
	uint8_t *buf = NULL;
	struct stat st;

	o.dir = dir;
	if (rec_log_open(&log, &o, &err)) {
		free(err);
		return NULL;
	}
	path = xstrdup(rec_log_segment_path(log));
	for (int b = 0; b < blocks; b++) {
		for (int i = 0; i < per; i++) {
			struct rec r = { .kind = REC_LOST, .unix_ns = T0 + (b * per + i) * 1000ull,
					 .lost = b * 1000 + i };

			rec_log_add(log, &r);
		}
		rec_log_flush(log, false);
		stat(path, &st);
		offsets[b] = st.st_size;
	}
	rec_log_close(log);
	rt_read_whole(path, &buf, len);
	free(path);
	*dirp = dir;
	return buf;
}

TEST(recfmt_truncated_at_every_offset)
{
	size_t offsets[6], len = 0;
	char *dir = NULL;
	uint8_t *seg = make_segment(6, 7, &len, offsets, &dir);
	bool ok = true;

	CHECK(seg != NULL);
	if (!seg)
		return;
	CHECK_INT(len, offsets[5]);
	for (size_t cut = 0; cut <= len; cut++) {
		struct rec_reader rd;
		struct got g;
		size_t complete = 0, kept;
		bool boundary = cut == 64;

		for (int b = 0; b < 6; b++) {
			if (offsets[b] <= cut)
				complete = b + 1;
			boundary |= offsets[b] == cut;
		}
		rt_reader_init(&rd, &g);
		kept = rec_read_buf(&rd, seg, cut, "cut");
		if (g.n != complete * 7 || g.kinds[REC_LOST] != (int)(complete * 7)) {
			FAIL_AT("cut at %zu: %zu records, expected %zu", cut, g.n, complete * 7);
			ok = false;
		}
		/* what a writer may keep ends with the last complete block */
		if (cut >= 64 && kept != (complete ? offsets[complete - 1] : 64)) {
			FAIL_AT("cut at %zu: readable prefix %zu", cut, kept);
			ok = false;
		}
		if (cut && !boundary && (!rd.stats.torn_tail || g.warnings != 1)) {
			FAIL_AT("cut at %zu: torn %d, %zu warnings", cut, rd.stats.torn_tail, g.warnings);
			ok = false;
		}
		if (boundary && g.warnings) {
			FAIL_AT("cut at block end %zu warned: %s", cut, g.last_warning);
			ok = false;
		}
		rt_got_free(&g);
		if (!ok)
			break;
	}
	free(seg);
	rt_rmdir_all(dir);
}

static size_t read_count(const uint8_t *buf, size_t len, struct got *g, struct rec_reader *rd)
{
	rt_reader_init(rd, g);
	rec_read_buf(rd, buf, len, "seg");
	return g->n;
}

TEST(recfmt_crc_corruption_middle_and_tail)
{
	size_t offsets[5], len = 0;
	char *dir = NULL;
	uint8_t *seg = make_segment(5, 10, &len, offsets, &dir), *c;
	struct rec_reader rd;
	struct got g;

	if (!seg) {
		FAIL_AT("no segment");
		return;
	}
	c = xmalloc(len);

	/* a flipped bit in block 3's payload: that block goes, 1, 2, 4, 5 stay */
	memcpy(c, seg, len);
	c[offsets[1] + REC_BLOCK_HEADER_LEN + 3] ^= 0x10;
	CHECK_INT(read_count(c, len, &g, &rd), 40);
	CHECK_INT(g.warnings, 1);
	CHECK(strstr(g.last_warning, "CRC mismatch") != NULL);
	CHECK(strstr(g.last_warning, "seg") != NULL);
	CHECK_INT(rd.stats.bad_blocks, 1);
	CHECK_STR(g.lines[20], "L 1761543000000030000 3000");	/* block 4 starts right */
	rt_got_free(&g);

	/* a damaged header (its length field): resynchronise on the next block */
	memcpy(c, seg, len);
	c[offsets[1] + 9] ^= 0xff;
	CHECK_INT(read_count(c, len, &g, &rd), 40);
	CHECK_INT(g.warnings, 1);
	CHECK(strstr(g.last_warning, "damaged bytes") != NULL);
	rt_got_free(&g);

	/* garbage over blocks 2 and 3 */
	memcpy(c, seg, len);
	memset(c + offsets[0] + 5, 0xa5, offsets[2] - offsets[0] - 5);
	CHECK_INT(read_count(c, len, &g, &rd), 30);
	CHECK_INT(g.warnings, 1);
	rt_got_free(&g);

	/* the last block corrupt: skipped, the others read */
	memcpy(c, seg, len);
	c[len - 1] ^= 1;
	CHECK_INT(read_count(c, len, &g, &rd), 40);
	CHECK_INT(g.warnings, 1);
	CHECK(!rd.stats.torn_tail);
	rt_got_free(&g);

	/* the segment header damaged: blocks still read, one warning */
	memcpy(c, seg, len);
	c[20] ^= 1;
	CHECK_INT(read_count(c, len, &g, &rd), 50);
	CHECK_INT(g.warnings, 1);
	rt_got_free(&g);

	/* zeros at the end (a power loss after the size grew): a torn tail */
	c = xrealloc(c, len + 4096);
	memcpy(c, seg, len);
	memset(c + len, 0, 4096);
	CHECK_INT(read_count(c, len + 4096, &g, &rd), 50);
	CHECK(rd.stats.torn_tail);
	CHECK_INT(g.warnings, 1);
	rt_got_free(&g);

	/* pure garbage: nothing, warnings, no crash */
	for (size_t i = 0; i < len; i++)
		c[i] = (uint8_t)(i * 131 + 7);
	CHECK_INT(read_count(c, len, &g, &rd), 0);
	CHECK(g.warnings >= 1);
	rt_got_free(&g);
	free(c);
	free(seg);
	rt_rmdir_all(dir);
}

static void fix_header_crc(uint8_t *h)
{
	uint32_t c = crc32(0, h, 36);

	for (int i = 0; i < 4; i++)
		h[36 + i] = c >> (8 * i);
}

TEST(recfmt_version_field)
{
	size_t offsets[3], len = 0;
	char *dir = NULL;
	uint8_t *seg = make_segment(3, 4, &len, offsets, &dir);
	struct rec_reader rd;
	struct got g;

	if (!seg) {
		FAIL_AT("no segment");
		return;
	}
	/* the segment says format 1, every block too */
	CHECK_INT(seg[8], RECFMT_VERSION);
	CHECK_INT(seg[64 + 4], RECFMT_VERSION);
	CHECK_INT(seg[offsets[0] + 4], RECFMT_VERSION);
	CHECK(!memcmp(seg + 64, "DMWB", 4));

	/* a block from a newer format: skipped with a clear warning, the rest read */
	seg[offsets[0] + 4] = RECFMT_VERSION + 1;
	fix_header_crc(seg + offsets[0]);
	CHECK_INT(read_count(seg, len, &g, &rd), 8);
	CHECK_INT(g.warnings, 1);
	CHECK(strstr(g.last_warning, "newer") != NULL);
	rt_got_free(&g);

	/* version 0 never existed: damage */
	seg[offsets[0] + 4] = 0;
	fix_header_crc(seg + offsets[0]);
	CHECK_INT(read_count(seg, len, &g, &rd), 8);
	CHECK_INT(g.warnings, 1);
	rt_got_free(&g);
	free(seg);
	rt_rmdir_all(dir);
}

TEST(recfmt_unknown_record_kind_skipped)
{
	/* a stored block by hand: kind 99 (a later version's), then a LOST record */
	uint8_t raw[] = { 99, 3, 0x00, 0xaa, 0xbb, REC_LOST, 3, 0x02, 0x2a, 0x00 };
	uint8_t buf[64 + 40 + sizeof(raw)] = {};
	struct rec_reader rd;
	struct got g;
	uint32_t c;

	memcpy(buf, "DMWSEGMT", 8);
	buf[8] = 1;
	c = crc32(0, buf, 60);
	for (int i = 0; i < 4; i++)
		buf[60 + i] = c >> (8 * i);
	memcpy(buf + 64, "DMWB", 4);
	buf[64 + 4] = 1;		/* version */
	buf[64 + 5] = 0;		/* stored */
	buf[64 + 6] = 40;
	buf[64 + 8] = sizeof(raw);
	buf[64 + 12] = sizeof(raw);
	buf[64 + 16] = 2;
	c = crc32(0, raw, sizeof(raw));
	for (int i = 0; i < 4; i++)
		buf[64 + 20 + i] = c >> (8 * i);
	fix_header_crc(buf + 64);
	memcpy(buf + 104, raw, sizeof(raw));
	CHECK_INT(read_count(buf, sizeof(buf), &g, &rd), 1);
	CHECK_INT(g.warnings, 0);
	if (g.n)
		CHECK_STR(g.lines[0], "L 1000 42");	/* ts: 0 + 1 µs; the extra byte ignored */
	rt_got_free(&g);

	/* a record length running past the block: damage, not a crash */
	raw[1] = 60;
	c = crc32(0, raw, sizeof(raw));
	for (int i = 0; i < 4; i++)
		buf[64 + 20 + i] = c >> (8 * i);
	memcpy(buf + 104, raw, sizeof(raw));
	CHECK_INT(read_count(buf, sizeof(buf), &g, &rd), 0);
	CHECK_INT(g.warnings, 1);
	rt_got_free(&g);
}

static uint64_t dir_usage(const char *dir, int *segs)
{
	char *cmd = xasprintf("cd '%s' && stat -c %%s seg-*.dmw 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	unsigned long long v, total = 0;

	*segs = 0;
	while (p && fscanf(p, "%llu", &v) == 1) {
		total += v;
		(*segs)++;
	}
	if (p)
		pclose(p);
	free(cmd);
	return total;
}

TEST(recfmt_rotation_keeps_max_size)
{
	struct writer w;
	struct rec_reader rd;
	struct got g;
	char *err = NULL, *first;
	uint64_t usage, max = 64 << 10;
	int segs = 0;
	bool ok = true;

	if (writer_open(&w, max, 8 << 10)) {
		FAIL_AT("cannot open");
		return;
	}
	for (int i = 0; i < 60000 && ok; i++) {
		struct rec r = { .kind = REC_KERNEL, .unix_ns = T0 + i * 1000000ull };
		struct dmw_event e = { .type = DMW_EV_IO_ERROR, .pid = 100 + i % 7,
				       .dev = DEV(253, i % 13), .sector = i * 7919ull, .bytes = 512 };

		snprintf(e.comm, sizeof(e.comm), "p%d", i % 97);
		r.k.ev = &e;
		rec_log_add(w.log, &r);
		if (i % 50 == 49)
			rec_log_flush(w.log, false);
		if (i % 1000 == 999) {
			usage = dir_usage(w.dir, &segs);
			if (usage > max) {
				FAIL_AT("%llu bytes on disk after %d events", (unsigned long long)usage, i);
				ok = false;
			}
		}
	}
	CHECK(rec_log_stats(w.log)->deleted > 0);
	CHECK(rec_log_disk_usage(w.log) <= max);
	rec_log_close(w.log);
	usage = dir_usage(w.dir, &segs);
	CHECK(usage <= max);
	CHECK(segs >= 4);
	CHECK(w.segments > segs);

	/* what is left reads cleanly, and every segment starts with its session */
	rt_reader_init(&rd, &g);
	CHECK_INT(rec_read_dir(&rd, w.dir, &err), 0);
	CHECK_INT(g.warnings, 0);
	CHECK_INT(g.kinds[REC_SESSION], segs);
	first = g.n ? g.lines[0] : NULL;
	CHECK(first && first[0] == 'X');
	rt_got_free(&g);
	free(err);
	rt_rmdir_all(w.dir);
}

TEST(recfmt_lock_and_torn_tail_repair)
{
	struct writer w, w2;
	struct rec_log_opts o = { .max_size = 1 << 20 };
	struct rec_log *log2 = NULL;
	struct rec_reader rd;
	struct got g;
	char *err = NULL, *p;
	int fd;

	if (writer_open(&w, 1 << 20, 0)) {
		FAIL_AT("cannot open");
		return;
	}
	/* a second recorder on the same directory is refused, clearly */
	o.dir = w.dir;
	CHECK(rec_log_open(&log2, &o, &err) < 0);
	CHECK(err && strstr(err, "another recorder") && strstr(err, "pid"));
	free(err);
	err = NULL;

	for (int i = 0; i < 20; i++) {
		struct rec r = { .kind = REC_LOST, .unix_ns = T0 + i, .lost = i };

		rec_log_add(w.log, &r);
	}
	rec_log_flush(w.log, true);
	p = xstrdup(rec_log_segment_path(w.log));
	/* kill -9 in the middle of a write: half a block at the end */
	fd = open(p, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, "DMWB\1\1\x28\0\x99\0\0\0", 12), 12);
	close(fd);
	rec_log_close(w.log);	/* (the lock goes with it) */
	free(p);

	rt_reader_init(&rd, &g);
	rec_read_dir(&rd, w.dir, &err);
	CHECK_INT(g.n, 21);
	CHECK_INT(g.warnings, 1);		/* the torn tail */
	rt_got_free(&g);

	/* the next recorder cuts it off and starts a new segment */
	memset(&w2, 0, sizeof(w2));
	o.on_segment = on_seg;
	o.ctx = &w2;
	CHECK_INT(rec_log_open(&log2, &o, &err), 0);
	CHECK(log2 && strstr(rec_log_segment_path(log2), "seg-0000000002.dmw"));
	rec_log_close(log2);
	rt_reader_init(&rd, &g);
	CHECK_INT(rec_read_dir(&rd, w.dir, &err), 0);
	CHECK_INT(g.n, 22);
	CHECK_INT(g.warnings, 0);
	rt_got_free(&g);
	free(err);
	rt_rmdir_all(w.dir);
}

TEST(recfmt_read_dir_problems)
{
	struct rec_reader rd;
	struct got g;
	char *dir = rt_tmpdir(), *err = NULL, *p;
	FILE *f;

	rt_reader_init(&rd, &g);
	CHECK_INT(rec_read_dir(&rd, "/nonexistent/dmwatch", &err), -ENOENT);
	CHECK(err && strstr(err, "/nonexistent/dmwatch"));
	free(err);
	err = NULL;
	CHECK_INT(rec_read_dir(&rd, dir, &err), -ENOENT);	/* empty */
	CHECK(err && strstr(err, "no recorder segments"));
	free(err);
	err = NULL;

	/* a garbage segment and a good one: the good one is read */
	p = seg_path(dir, 1);
	f = fopen(p, "w");
	fputs("this is not a segment at all\n", f);
	fclose(f);
	free(p);
	{
		struct rec_log_opts o = { .dir = dir, .max_size = 1 << 20 };
		struct rec_log *log;
		struct rec r = { .kind = REC_LOST, .unix_ns = T0, .lost = 1 };

		CHECK_INT(rec_log_open(&log, &o, &err), 0);
		rec_log_add(log, &r);
		rec_log_close(log);
	}
	/* an empty segment file (killed right after creating it) and a directory named like one */
	p = seg_path(dir, 7);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	free(p);
	p = seg_path(dir, 8);
	mkdir(p, 0700);
	free(p);
	CHECK_INT(rec_read_dir(&rd, dir, &err), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.warnings, 2);
	CHECK_INT(rd.stats.segments, 3);
	rt_got_free(&g);
	free(err);
	rt_rmdir_all(dir);
}

TEST(recfmt_random_damage_never_crashes)
{
	const char *path = FIXTURES "/recorder/incident-002/seg-0000000001.dmw";
	uint8_t *seg = NULL, *c;
	size_t len = 0, full;
	uint64_t x = 12345;
	struct rec_reader rd;
	struct got g;

	CHECK_INT(rt_read_whole(path, &seg, &len), 0);
	if (!seg || len < 1000)
		return;
	full = read_count(seg, len, &g, &rd);
	CHECK(full > 200);
	CHECK_INT(g.warnings, 0);
	rt_got_free(&g);
	c = xmalloc(len);
	for (int round = 0; round < 300; round++) {
		size_t cut = len, n;

		memcpy(c, seg, len);
		for (int k = 0; k <= round % 5; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			c[(x >> 20) % len] ^= (uint8_t)(x >> 8) | 1;
		}
		if (round % 3 == 0)
			cut = (x >> 33) % len;
		n = read_count(c, cut, &g, &rd);
		/* damage costs records, never adds any, and always says so */
		if (n > full || (n < full && !g.warnings))
			FAIL_AT("round %d: %zu of %zu records, %zu warnings", round, n, full, g.warnings);
		rt_got_free(&g);
	}
	free(c);
	free(seg);
}

/* ---- I/O error summaries ---- */

struct sums {
	struct rec_io_group g[REC_SUMMARY_GROUPS_MAX * 4];
	size_t n, blocks;
	uint32_t records;
	int take;		/* what the callback answers */
};

static struct sums *summaries;

static int on_summary(void *ctx, const struct rec_block_summary *s)
{
	(void)ctx;
	summaries->blocks++;
	summaries->records += s->n_records;
	for (size_t i = 0; i < s->n_groups && summaries->n < ARRAY_SIZE(summaries->g); i++)
		summaries->g[summaries->n++] = s->groups[i];
	return summaries->take;
}

static void ioerr_rec(struct rec *r, struct dmw_event *ev, struct name_entry *nm, int64_t t,
		      uint32_t minor, uint32_t pid, const char *comm, uint64_t sector, uint32_t lower,
		      const char *name)
{
	*ev = (struct dmw_event){ .type = DMW_EV_IO_ERROR, .source = DMW_SRC_TRACEPOINT,
				  .pid = pid, .dev = DEV(253, minor), .sector = sector,
				  .bytes = 4096, .op = DMW_OP_READ, .error = -EIO, .lower_dev = lower };
	snprintf(ev->comm, sizeof(ev->comm), "%s", comm);
	*nm = (struct name_entry){ .dev = ev->dev };
	snprintf(nm->name, sizeof(nm->name), "%s", name ? name : "");
	snprintf(nm->uuid, sizeof(nm->uuid), "LVM-%u", minor);
	*r = (struct rec){ .kind = REC_KERNEL, .unix_ns = t };
	r->k.ev = ev;
	r->k.named = name ? nm : NULL;
}

/* encode n records as one block and read it back with a summary callback */
static void one_block(const struct rec *recs, size_t n, struct sums *sm, struct got *g)
{
	struct rec_enc *e = rec_enc_new();
	struct rec_reader rd;
	const uint8_t *out;
	size_t len;
	uint8_t *seg;

	for (size_t i = 0; i < n; i++)
		rec_enc_add(e, &recs[i]);
	rec_enc_finish(e, 6, &out, &len);
	seg = xmalloc(len);
	memcpy(seg, out, len);
	rt_reader_init(&rd, g);
	rd.summary = on_summary;
	summaries = sm;
	rec_read_buf(&rd, seg, len, "block");
	free(seg);
	rec_enc_free(e);
}

TEST(recfmt_io_summary)
{
	static struct rec r[100 * (REC_SUMMARY_GROUPS_MAX + 1)];
	static struct dmw_event ev[ARRAY_SIZE(r)];
	static struct name_entry nm[ARRAY_SIZE(r)];
	struct sums sm;
	struct got g;
	size_t n = 0;

	/*
	 * Two readers on dm-54, one of them through two lower disks, and dm-55;
	 * enough of them that the summary is worth its bytes.
	 */
	for (int i = 0; i < 600; i++, n++)
		ioerr_rec(&r[n], &ev[n], &nm[n], T0 + i * 1000000, i % 3 ? 54 : 55, 4711 + i % 2,
			  i % 2 ? "kworker/u8:2" : "dd", 1000 + 8 * i, i % 3 == 1 ? DEV(8, 16 * (i % 4)) : 0,
			  i % 3 ? "vg-snap--1" : "vg-disk");
	memset(&sm, 0, sizeof(sm));
	sm.take = 1;
	one_block(r, n, &sm, &g);
	CHECK_INT(sm.blocks, 1);
	CHECK_INT(sm.records, 600);
	CHECK_INT(g.n, 0);			/* taken: nothing decoded */
	rt_got_free(&g);
	{
		uint64_t total = 0;

		for (size_t i = 0; i < sm.n; i++) {
			total += sm.g[i].n;
			CHECK(sm.g[i].first_idx <= sm.g[i].last_idx);
			CHECK(sm.g[i].smin <= sm.g[i].smax);
			CHECK(sm.g[i].first_ns >= (int64_t)T0 &&
			      sm.g[i].last_ns <= (int64_t)(T0 + 599 * 1000000));
		}
		CHECK_INT(total, 600);
		/* the first group is the first event's: dm-55, pid 4711, dd, no lower disk */
		CHECK_INT(sm.g[0].dev, DEV(253, 55));
		CHECK_INT(sm.g[0].pid, 4711);
		CHECK_STR(sm.g[0].comm, "dd");
		CHECK_STR(sm.g[0].named.name, "vg-disk");
		CHECK_STR(sm.g[0].named.uuid, "LVM-55");
		CHECK_INT(sm.g[0].first_idx, 0);
		CHECK_INT(sm.g[0].smin, 1000);
		CHECK_INT(sm.g[0].op, DMW_OP_READ);
		CHECK_INT(sm.g[0].error, -EIO);
	}

	/* declined: the block is decoded as usual */
	memset(&sm, 0, sizeof(sm));
	one_block(r, n, &sm, &g);
	CHECK_INT(sm.blocks, 1);
	CHECK_INT(g.n, 600);
	rt_got_free(&g);

	/* a few errors: a summary would cost more bytes than inflating saves time */
	memset(&sm, 0, sizeof(sm));
	sm.take = 1;
	one_block(r, 30, &sm, &g);
	CHECK_INT(sm.blocks, 0);
	CHECK_INT(g.n, 30);
	rt_got_free(&g);

	/* an unnamed error, another kind of record, a device under two names: no summary */
	{
		struct rec keep = r[7];

		r[7].k.named = NULL;
		memset(&sm, 0, sizeof(sm));
		sm.take = 1;
		one_block(r, n, &sm, &g);
		CHECK_INT(sm.blocks, 0);
		CHECK_INT(g.n, 600);
		rt_got_free(&g);
		r[7] = keep;

		r[n] = (struct rec){ .kind = REC_LOST, .unix_ns = T0 + 40 * 1000000, .lost = 3 };
		memset(&sm, 0, sizeof(sm));
		sm.take = 1;
		one_block(r, n + 1, &sm, &g);
		CHECK_INT(sm.blocks, 0);
		CHECK_INT(g.n, 601);
		rt_got_free(&g);

		snprintf(nm[4].name, sizeof(nm[4].name), "vg-snap--1-renamed");
		memset(&sm, 0, sizeof(sm));
		sm.take = 1;
		one_block(r, n, &sm, &g);
		CHECK_INT(sm.blocks, 0);
		rt_got_free(&g);
		snprintf(nm[4].name, sizeof(nm[4].name), "vg-snap--1");
	}

	/* more groups than a summary holds */
	n = 0;
	for (int i = 0; i < 100 * (REC_SUMMARY_GROUPS_MAX + 1); i++, n++)
		ioerr_rec(&r[n], &ev[n], &nm[n], T0 + i, 60 + i % (REC_SUMMARY_GROUPS_MAX + 1), 100,
			  "dd", 8 * i, 0, "x");
	memset(&sm, 0, sizeof(sm));
	sm.take = 1;
	one_block(r, n, &sm, &g);
	CHECK_INT(sm.blocks, 0);
	CHECK_INT(g.n, 100 * (REC_SUMMARY_GROUPS_MAX + 1));
	rt_got_free(&g);
	/* one group fewer: summarized */
	for (int i = 0; i < 100 * REC_SUMMARY_GROUPS_MAX; i++)
		ioerr_rec(&r[i], &ev[i], &nm[i], T0 + i, 60 + i % REC_SUMMARY_GROUPS_MAX, 100,
			  "dd", 8 * i, 0, "x");
	memset(&sm, 0, sizeof(sm));
	sm.take = 1;
	one_block(r, 100 * REC_SUMMARY_GROUPS_MAX, &sm, &g);
	CHECK_INT(sm.blocks, 1);
	CHECK_INT(sm.n, REC_SUMMARY_GROUPS_MAX);
	rt_got_free(&g);
}

/* a damaged summary is not offered; the block itself still reads */
TEST(recfmt_io_summary_damaged)
{
	static struct rec r[400];
	static struct dmw_event ev[400];
	static struct name_entry nm[400];
	struct rec_enc *e = rec_enc_new();
	struct rec_reader rd;
	struct sums sm;
	struct got g;
	const uint8_t *out;
	size_t len, hlen;
	uint8_t *blk;

	for (int i = 0; i < 400; i++) {
		ioerr_rec(&r[i], &ev[i], &nm[i], T0 + i, 54, 4711, "dd", 8 * i, 0, "vg-snap--1");
		rec_enc_add(e, &r[i]);
	}
	rec_enc_finish(e, 6, &out, &len);
	blk = xmalloc(len);
	memcpy(blk, out, len);
	hlen = blk[6] | blk[7] << 8;
	CHECK(hlen > REC_BLOCK_HEADER_LEN);
	for (size_t off = REC_BLOCK_HEADER_LEN; off < hlen; off++) {
		blk[off] ^= 0x41;
		memset(&sm, 0, sizeof(sm));
		sm.take = 1;
		rt_reader_init(&rd, &g);
		rd.summary = on_summary;
		summaries = &sm;
		rec_read_buf(&rd, blk, len, "block");
		if (sm.blocks || g.n != 400)
			FAIL_AT("summary byte %zu flipped: offered %zu, decoded %zu records", off,
				sm.blocks, g.n);
		rt_got_free(&g);
		blk[off] ^= 0x41;
	}
	free(blk);
	rec_enc_free(e);
}
