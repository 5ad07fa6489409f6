// SPDX-License-Identifier: GPL-2.0
/*
 * Writes seed inputs for fuzz_recfmt with the recorder's own encoder and writer,
 * so the seeds follow the encoder whatever it becomes (gen-corpus.sh builds and runs
 * this; it is not part of the fuzz build).
 *
 *   seed_recfmt OUTDIR
 *
 * OUTDIR/raw-*: mode byte 1 + the inflated payload of one block (every record kind)
 * OUTDIR/seg-*: mode byte 0 + a whole segment file written by rec_log
 * OUTDIR/summary-block: a block of I/O errors with its header summary (mode 0x62)
 * OUTDIR/crafted-*: mode byte 0 + segments made to hurt a reader (issue 16): block
 *   headers claiming more than a writer makes, zlib streams of zeros at and under
 *   the cap, a hole of zeros between blocks (a big segment, in small)
 * OUTDIR/lie-*: mode byte 1|128 or 2|128 + a raw length claim + one block's payload
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "record/recfmt.h"
#include "lib/util.h"
#include "fuzz_rec.h"

static void write_seed(const char *dir, const char *name, uint8_t mode, const uint8_t *p,
		       size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	if (!f || fputc(mode, f) == EOF || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
	free(path);
}

/* A little of everything a recorder writes in a backup window. */
static void add_all(int (*add)(void *, const struct rec *), void *to, int variant)
{
	static const struct rec_devent devs[] = {
		{ .dev = 253 << 20 | 5, .open_count = 1, .name = "pve-vm--101--disk--0",
		  .uuid = "LVM-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
		  .target = "thin", .params = "253:4 1" },
		{ .dev = 253 << 20 | 6, .gone = true, .name = "pve-snap--101--0" },
	};
	struct dmw_event ev = { 0 };
	struct name_entry ne = { .dev = 253 << 20 | 54 };
	uint64_t t = 1795255200123456000ull;
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.kind = REC_SESSION;
	r.unix_ns = t;
	r.ses = (struct rec_session){ .what = REC_SESSION_START, .pid = 4242, .dm_major = 253,
				      .interval_ms = 1000, .boot_offset_ns = 1795000000000000000ll,
				      .host = "pve1", .version = "0.1.0", .mode = "kprobe",
				      .boot_id = "2f1e8c1a-0d4b-4c55-9d0e-1b2c3d4e5f60" };
	add(to, &r);

	memset(&r, 0, sizeof(r));
	r.kind = REC_DEVLIST;
	r.unix_ns = t + 1000;
	r.dl.full = !variant;
	r.dl.devs = devs;
	r.dl.n = 2;
	add(to, &r);

	ev.type = DMW_EV_DM_CREATE;
	ev.source = DMW_SRC_KPROBE;
	ev.pid = 1234;
	ev.ret = variant ? -16 : 0;
	ev.dev = 253 << 20 | 54;
	strcpy(ev.comm, "lvcreate");
	strcpy(ev.name, "pve-vm--101--disk--0");
	strcpy(ev.uuid, "LVM-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	memset(&r, 0, sizeof(r));
	r.kind = REC_KERNEL;
	r.unix_ns = t + 2000;
	r.k.ev = &ev;
	add(to, &r);

	ev.type = DMW_EV_DM_RENAME;
	strcpy(ev.new_name, "pve-vm--101--disk--1");
	r.unix_ns = t + 3000;
	add(to, &r);

	memset(&ev, 0, sizeof(ev));
	ev.type = DMW_EV_IO_ERROR;
	ev.dev = 253 << 20 | 54;
	ev.lower_dev = 8 << 20 | 16;
	ev.sector = 123456789;
	ev.bytes = 4096;
	ev.op = DMW_OP_WRITE;
	ev.error = -5;
	strcpy(ev.comm, "kworker/3:1");
	strcpy(ne.name, "pve-vm--101--disk--1");
	ne.removed = variant;
	r.unix_ns = t + 4000;
	r.k.named = &ne;
	add(to, &r);

	memset(&r, 0, sizeof(r));
	r.kind = REC_COW;
	r.unix_ns = t + 1000000000;
	r.cow = (struct cow_sample){ .name = "pve-snap--101--0", .dev = 253 << 20 | 7,
				     .kind = "lvm-snapshot", .used_percent = 91.21,
				     .rate = 1048576, .eta_s = 42.5, .reader_eta_s = -1 };
	add(to, &r);

	memset(&r, 0, sizeof(r));
	r.kind = REC_STATE;
	r.unix_ns = t + 2000000000;
	r.st.event = variant ? "pool_mode" : "snapshot_invalid";
	r.st.name = "pve-snap--101--0";
	r.st.state = variant ? "out_of_data_space" : "invalid";
	r.st.dev = 253 << 20 | 7;
	add(to, &r);

	memset(&r, 0, sizeof(r));
	r.kind = REC_LOST;
	r.unix_ns = t + 3000000000;
	r.lost = 17;
	add(to, &r);
}

static int enc_add(void *e, const struct rec *r)
{
	return rec_enc_add(e, r);
}

static int log_add(void *l, const struct rec *r)
{
	return rec_log_add(l, r);
}

static void raw_seed(const char *dir, int variant)
{
	struct rec_enc *e = rec_enc_new();
	const uint8_t *blk;
	size_t blen, hlen;
	uLongf rlen;
	uint8_t *raw;
	char name[32];

	add_all(enc_add, e, variant);
	rlen = rec_enc_raw_len(e);
	if (rec_enc_finish(e, 6, &blk, &blen))
		exit(1);
	raw = xmalloc(rlen);
	/* header byte 5 is the codec: 0 stored, 1 zlib; bytes 6-7 the header length */
	hlen = blk[6] | blk[7] << 8;
	if (blk[5] == 0)
		memcpy(raw, blk + hlen, rlen);
	else if (uncompress(raw, &rlen, blk + hlen, blen - hlen))
		exit(1);
	snprintf(name, sizeof(name), "raw-block-%d", variant);
	write_seed(dir, name, 1, raw, rlen);
	free(raw);
	rec_enc_free(e);
}

static void seg_seed(const char *dir)
{
	char tmpl[] = "/tmp/seed-recfmt-XXXXXX", *err = NULL, *path;
	struct rec_log_opts o = { .max_size = 1 << 20 };
	struct rec_log *l;
	uint8_t *buf = NULL;
	size_t len;

	o.dir = mkdtemp(tmpl);
	if (!o.dir || rec_log_open(&l, &o, &err)) {
		fprintf(stderr, "rec_log_open: %s\n", err ? err : "?");
		exit(1);
	}
	add_all(log_add, l, 0);
	rec_log_flush(l, false);
	add_all(log_add, l, 1);
	path = xstrdup(rec_log_segment_path(l));
	rec_log_close(l);
	if (read_file(path, (char **)&buf, &len, 1 << 20))
		exit(1);
	write_seed(dir, "seg-two-blocks", 0, buf, len);
	/* the same, cut in the middle of the second block: a torn tail */
	write_seed(dir, "seg-torn-tail", 0, buf, len - 10);
	unlink(path);
	free(path);
	free(buf);
	path = xasprintf("%s/lock", o.dir);
	unlink(path);
	free(path);
	rmdir(o.dir);
}

/*
 * A block of I/O errors only (two devices, two readers): its header carries a
 * summary. Mode 2|32|64: summary length, summary without its CRC, raw payload.
 */
static void summary_seed(const char *dir)
{
	struct rec_enc *e = rec_enc_new();
	struct dmw_event ev = { .type = DMW_EV_IO_ERROR, .op = DMW_OP_READ, .error = -5,
				.bytes = 4096 };
	struct name_entry ne = { 0 };
	struct rec r = { .kind = REC_KERNEL, .k.ev = &ev, .k.named = &ne };
	const uint8_t *blk;
	uint8_t *seed;
	size_t blen, hlen, slen;
	uLongf rlen;

	/* enough errors that the summary is worth its bytes (summary.c) */
	for (int i = 0; i < 300; i++) {
		ev.dev = ne.dev = 253 << 20 | (54 + i % 2);
		ev.pid = 4711 + i % 2;
		ev.sector = 1000 + 8 * i;
		ev.lower_dev = i % 3 == 2 ? 8 << 20 | 16 : 0;
		strcpy(ev.comm, i % 2 ? "kworker/3:1" : "dd");
		snprintf(ne.name, sizeof(ne.name), "pve-snap--101--%d", i % 2);
		r.unix_ns = 1795255200123456000ull + i * 1000000;
		rec_enc_add(e, &r);
	}
	rlen = rec_enc_raw_len(e);
	if (rec_enc_finish(e, 6, &blk, &blen))
		exit(1);
	hlen = blk[6] | blk[7] << 8;
	slen = hlen - REC_BLOCK_HEADER_LEN - 4;
	if (hlen <= REC_BLOCK_HEADER_LEN || slen > 255)
		exit(1);
	seed = xmalloc(3 + slen + rlen);
	seed[0] = slen;
	seed[1] = 300 & 0xff;
	seed[2] = 300 >> 8;
	memcpy(seed + 3, blk + REC_BLOCK_HEADER_LEN, slen);
	if (blk[5] == 0)
		memcpy(seed + 3 + slen, blk + hlen, rlen);
	else if (uncompress(seed + 3 + slen, &rlen, blk + hlen, blen - hlen))
		exit(1);
	write_seed(dir, "summary-block", 2 | 32 | 64, seed, 3 + slen + rlen);
	free(seed);
	rec_enc_free(e);
}

static void crafted_seeds(const char *dir)
{
	struct fuzz_seg s = {};
	uint8_t stored[16];
	size_t zlen;
	uint8_t *z = fuzz_zeros_deflated(64 * 1024, &zlen);

	/* headers that claim 64 MiB (1000x a writer's block), zlib and stored */
	fuzz_seg_start(&s);
	fuzz_seg_lost(&s, 0, 20);
	for (int i = 0; i < 3; i++)
		fuzz_seg_block(&s, 1, z, zlen, 64u << 20, 1);
	memset(stored, 'x', sizeof(stored));
	fuzz_seg_block(&s, 0, stored, sizeof(stored), sizeof(stored), 1);
	fuzz_put32(s.b + s.len - sizeof(stored) - REC_BLOCK_HEADER_LEN + 8, 64u << 20);
	fuzz_put32(s.b + s.len - sizeof(stored) - REC_BLOCK_HEADER_LEN + 36,
		   crc32(0, s.b + s.len - sizeof(stored) - REC_BLOCK_HEADER_LEN, 36));
	fuzz_seg_lost(&s, 20, 20);
	write_seed(dir, "crafted-claims-beyond-cap", 0, s.b, s.len);
	free(s.b);
	free(z);

	/* blocks at and under the cap whose streams inflate to zeros, then a good one */
	fuzz_seg_start(&s);
	z = fuzz_zeros_deflated(REC_BLOCK_RAW_MAX, &zlen);
	fuzz_seg_block(&s, 1, z, zlen, REC_BLOCK_RAW_MAX, 1000);
	free(z);
	z = fuzz_zeros_deflated(1 << 20, &zlen);
	for (int i = 0; i < 4; i++)
		fuzz_seg_block(&s, 1, z, zlen, 1 << 20, 1000);
	free(z);
	fuzz_seg_lost(&s, 0, 20);
	write_seed(dir, "crafted-bombs-within-cap", 0, s.b, s.len);
	free(s.b);

	/* a hole of zeros between two blocks: a big segment, in small */
	fuzz_seg_start(&s);
	fuzz_seg_lost(&s, 0, 20);
	{
		uint8_t *hole = xcalloc(1, 8192);

		fuzz_seg_add(&s, hole, 8192);
		free(hole);
	}
	fuzz_seg_lost(&s, 20, 20);
	write_seed(dir, "crafted-hole", 0, s.b, s.len);
	free(s.b);
}

/* one block's payload, its header lying about its raw length (mode bit 7) */
static void lie_seeds(const char *dir)
{
	uint8_t seed[4 + 64 * 4];
	const struct { const char *name; uint8_t mode; uint32_t claim; } lies[] = {
		{ "lie-twice-as-long", 2 | 128, 2 * 64 * 4 },
		{ "lie-half-as-long", 2 | 128, 64 * 4 / 2 },
		{ "lie-at-the-cap", 2 | 128, REC_BLOCK_RAW_MAX },
		{ "lie-beyond-the-cap", 1 | 128, 64u << 20 },
	};

	/* 64 LOST records of 4 bytes: kind, body length 2, time delta 0, lost 5 */
	for (int i = 0; i < 64; i++) {
		seed[4 + 4 * i] = REC_LOST;
		seed[5 + 4 * i] = 2;
		seed[6 + 4 * i] = 0;
		seed[7 + 4 * i] = 5;
	}
	for (size_t i = 0; i < ARRAY_SIZE(lies); i++) {
		fuzz_put32(seed, lies[i].claim);
		write_seed(dir, lies[i].name, lies[i].mode, seed, sizeof(seed));
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seed_recfmt OUTDIR\n");
		return 2;
	}
	raw_seed(argv[1], 0);
	raw_seed(argv[1], 1);
	seg_seed(argv[1]);
	summary_seed(argv[1]);
	crafted_seeds(argv[1]);
	lie_seeds(argv[1]);
	return 0;
}
