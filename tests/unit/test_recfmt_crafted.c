// SPDX-License-Identifier: GPL-2.0
/*
 * Recorder logs made to hurt the reader (issue 16): block headers that claim
 * more than a writer makes, zlib streams that inflate to far more than they
 * hold, a segment bigger than memory should allow, a flood of problems. Each
 * must be refused or skipped with a warning, at the cost of what is read (the
 * inflated byte count proves it, not a clock), with memory bounded by a block.
 * And the streaming reader must read what the in-memory one reads, whatever
 * the damage and wherever its window's edges fall.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include "test.h"
#include "rec_helpers.h"
#include "../fuzz/fuzz_rec.h"
#include "lib/util.h"

#define MiB (1u << 20)

static bool any_warning(const struct got *g, const char *what)
{
	for (size_t i = 0; i < g->warnings; i++)
		if (strstr(g->warns[i], what))
			return true;
	return false;
}

TEST(recfmt_refuses_claims_beyond_cap)
{
	size_t zlen;
	uint8_t *z = fuzz_zeros_deflated(64 * 1024, &zlen);
	struct rec_reader rd;
	struct fuzz_seg s = {};
	struct got g;

	/* a good block, 1000 that claim 64 MiB each (1000x a writer's block), a good block */
	fuzz_seg_start(&s);
	fuzz_seg_lost(&s, 0, 100);
	for (int i = 0; i < 1000; i++)
		fuzz_seg_block(&s, 1, z, zlen, 64 * MiB, 1);
	fuzz_seg_lost(&s, 100, 100);
	/* and one that claims a stored payload of 64 MiB the file does not hold */
	fuzz_seg_block(&s, 0, z, zlen, zlen, 1);
	fuzz_put32(s.b + s.len - zlen - REC_BLOCK_HEADER_LEN + 8, 64 * MiB);
	fuzz_put32(s.b + s.len - zlen - REC_BLOCK_HEADER_LEN + 36,
		   crc32(0, s.b + s.len - zlen - REC_BLOCK_HEADER_LEN, 36));
	fuzz_seg_lost(&s, 200, 10);

	rt_reader_init(&rd, &g);
	rec_read_buf(&rd, s.b, s.len, "crafted");
	CHECK_INT(g.n, 210);
	CHECK_INT(g.kinds[REC_LOST], 210);
	/* one warning per damaged stretch, saying what the headers claimed */
	CHECK_INT(g.warnings, 2);
	CHECK(any_warning(&g, "1000 block headers in them claim up to 67108864 bytes"));
	CHECK(any_warning(&g, "more than a writer makes: at most 16777216"));
	CHECK_INT(rd.stats.bad_blocks, 2);
	CHECK(!rd.stats.torn_tail);
	/* nothing was inflated for them: only the good blocks' few hundred bytes */
	CHECK(rd.stats.inflated_bytes < 4096);
	rt_got_free(&g);
	free(s.b);
	free(z);
}

TEST(recfmt_inflates_only_what_it_reads)
{
	size_t zlen;
	uint8_t *z = fuzz_zeros_deflated(REC_BLOCK_RAW_MAX, &zlen);
	struct rec_reader rd;
	struct fuzz_seg s = {};
	struct got g;

	/* 50 blocks at the cap whose 16 MiB inflate to zeros: no record in them */
	fuzz_seg_start(&s);
	for (int i = 0; i < 50; i++)
		fuzz_seg_block(&s, 1, z, zlen, REC_BLOCK_RAW_MAX, 1000);
	fuzz_seg_lost(&s, 0, 30);
	rt_reader_init(&rd, &g);
	rec_read_buf(&rd, s.b, s.len, "bombs");
	CHECK_INT(g.n, 30);
	CHECK_INT(rd.stats.bad_blocks, 50);
	CHECK(any_warning(&g, "record length out of bounds"));
	/* each cost the first step of inflating, not its 16 MiB */
	CHECK(rd.stats.inflated_bytes <= 50 * 4096 + 1024);
	/* 20 warnings about one segment, then one line for the other 30 */
	CHECK_INT(g.warnings, 21);
	CHECK(g.warnings && strstr(g.warns[g.warnings - 1], "30 more problems in this segment"));
	rt_got_free(&g);
	free(s.b);
	free(z);
}

/* one zlib block of z whose header claims raw_claim bytes and n_records records */
static void read_lie(const uint8_t *z, size_t zlen, uint32_t raw_claim, uint32_t n_records,
		     struct rec_reader *rd, struct got *g)
{
	struct fuzz_seg s = {};

	fuzz_seg_start(&s);
	fuzz_seg_block(&s, 1, z, zlen, raw_claim, n_records);
	rt_reader_init(rd, g);
	rec_read_buf(rd, s.b, s.len, "lie");
	free(s.b);
}

/* a block whose zlib stream is shorter or longer than its header says */
TEST(recfmt_stream_length_lies)
{
	uint8_t raw[64 * 4], *z = xmalloc(compressBound(sizeof(raw)));
	uLongf zlen = compressBound(sizeof(raw));
	struct rec_reader rd;
	struct got g;

	/* 64 LOST records of 4 bytes each: kind, length 2, time delta 0, lost 5 */
	for (size_t i = 0; i < sizeof(raw); i += 4) {
		raw[i] = REC_LOST;
		raw[i + 1] = 2;
		raw[i + 2] = 0;
		raw[i + 3] = 5;
	}
	CHECK_INT(compress(z, &zlen, raw, sizeof(raw)), Z_OK);

	/* claims twice what the stream holds: its records, then a warning */
	read_lie(z, zlen, 2 * sizeof(raw), 1000, &rd, &g);
	CHECK_INT(g.n, 64);
	CHECK_INT(g.warnings, 1);
	CHECK(strstr(g.last_warning, "does not inflate after 64 records") != NULL);
	rt_got_free(&g);

	/* claims half: the records in that half, then a warning, the stream goes on */
	read_lie(z, zlen, sizeof(raw) / 2, 1000, &rd, &g);
	CHECK_INT(g.n, 32);
	CHECK_INT(g.warnings, 1);
	CHECK(strstr(g.last_warning, "does not inflate after 32 records") != NULL);
	rt_got_free(&g);

	/* a header with a smaller record count: no more than it says are delivered */
	read_lie(z, zlen, sizeof(raw), 10, &rd, &g);
	CHECK_INT(g.n, 10);
	CHECK(strstr(g.last_warning, "more records than the header says") != NULL);
	rt_got_free(&g);
	free(z);
}

static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;
	size_t n = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/*
 * In a child (its peak RSS is its own): read the directory, report records,
 * warnings and how far the peak RSS rose above where it started.
 */
static int read_dir_measured(const char *dir, size_t *records, size_t *warnings, long *grew_kib)
{
	int fds[2], status;
	pid_t pid;
	long r[3] = { -1, -1, -1 };

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct rec_reader rd;
		struct got g;
		char *err = NULL;
		long rss0 = status_kib("VmRSS");

		close(fds[0]);
		rt_reader_init(&rd, &g);
		rec_read_dir(&rd, dir, &err);
		r[0] = g.n;
		r[1] = g.warnings;
		r[2] = status_kib("VmHWM") - rss0;
		_exit(write(fds[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], r, sizeof(r)) != sizeof(r))
		r[0] = -1;
	close(fds[0]);
	waitpid(pid, &status, 0);
	*records = r[0];
	*warnings = r[1];
	*grew_kib = r[2];
	return r[0] < 0 ? -1 : 0;
}

TEST(recfmt_big_segment_read_as_a_stream)
{
	char *dir = rt_tmpdir(), *path = dir ? xasprintf("%s/seg-0000000001.dmw", dir) : NULL;
	off_t hole = 300 * (off_t)MiB;
	size_t records = 0, warnings = 0;
	long grew = -1;
	struct fuzz_seg s = {}, tail = {};
	int fd;

	/* a block, 300 MiB of a hole (zeros, as a power loss leaves), a block */
	fuzz_seg_start(&s);
	fuzz_seg_lost(&s, 0, 50);
	fuzz_seg_lost(&tail, 50, 50);
	fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
	CHECK(fd >= 0);
	if (fd < 0)
		goto cleanup;
	CHECK_INT(pwrite(fd, s.b, s.len, 0), s.len);
	CHECK_INT(pwrite(fd, tail.b, tail.len, hole), tail.len);
	close(fd);

	CHECK_INT(read_dir_measured(dir, &records, &warnings, &grew), 0);
	CHECK_INT(records, 100);
	CHECK_INT(warnings, 1);			/* the zeros between, skipped */
	/* memory follows the block, not the file: a window and a block's buffers */
	if (grew < 0 || grew > 16 * 1024)
		FAIL_AT("peak RSS grew by %ld KiB reading a %lld MiB segment", grew,
			(long long)(hole >> 20));
cleanup:
	free(s.b);
	free(tail.b);
	free(path);
	rt_rmdir_all(dir);
}

/* ---- the stream reads what memory reads ---- */

static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 17;
}

/* ~2 MB of blocks that compress poorly, so the window has to move many times */
static uint8_t *big_segment(char *dir, size_t *len)
{
	struct rec_log_opts o = { .dir = dir, .max_size = 1ull << 32, .seg_size = 1ull << 30 };
	struct rec_log *log;
	char *err = NULL, *path;
	uint8_t *buf = NULL;
	uint64_t x = 99;

	if (rec_log_open(&log, &o, &err)) {
		free(err);
		return NULL;
	}
	for (int i = 0; i < 24000; i++) {
		struct rec r = { .kind = REC_COW, .unix_ns = T0 + i * 1000000ull };
		char name[100];

		for (size_t k = 0; k + 1 < sizeof(name); k++)
			name[k] = 'a' + lcg(&x) % 26;
		name[sizeof(name) - 1] = 0;
		r.cow = (struct cow_sample){ .name = name, .dev = DEV(253, i % 50), .kind = "thin-pool",
					     .used_percent = i % 100, .eta_s = -1, .reader_eta_s = -1 };
		rec_log_add(log, &r);
	}
	path = xstrdup(rec_log_segment_path(log));
	rec_log_close(log);
	rt_read_whole(path, &buf, len);
	free(path);
	return buf;
}

static bool same_reading(const struct got *a, const struct rec_reader *ra, const struct got *b,
			 const struct rec_reader *rb)
{
	if (a->n != b->n || a->warnings != b->warnings ||
	    memcmp(&ra->stats, &rb->stats, sizeof(ra->stats)))
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->lines[i], b->lines[i]))
			return false;
	for (size_t i = 0; i < a->warnings; i++)
		if (strcmp(a->warns[i], b->warns[i]))
			return false;
	return true;
}

TEST(recfmt_stream_reads_as_memory)
{
	char *dir = rt_tmpdir(), *path = dir ? xasprintf("%s/seg.dmw", dir) : NULL;
	size_t len = 0;
	uint8_t *seg = dir ? big_segment(dir, &len) : NULL, *c;
	uint64_t x = 7;

	CHECK(seg && len > 1500000);
	if (!seg || len <= 1500000)
		goto cleanup;
	c = xmalloc(len + 4096);
	for (int round = 0; round < 40; round++) {
		struct rec_reader rm, rs;
		struct got gm, gs;
		size_t n = len;
		FILE *f;

		memcpy(c, seg, len);
		/* damage near where a 256 KiB window would end, some of it zeros */
		for (int k = 0; round && k <= round % 3; k++) {
			int64_t at = (lcg(&x) % 8) * 256 * 1024 + (int64_t)(lcg(&x) % 8192) - 4096;

			if (at < 0 || (size_t)at + 600 >= len)
				continue;
			if (round % 4 == 1)
				memset(c + at, 0, 200 + lcg(&x) % 400);
			else
				c[at] ^= 1 + lcg(&x) % 255;
		}
		if (round % 5 == 2)
			n = len - lcg(&x) % 100000;		/* torn */
		if (round % 7 == 3) {
			memset(c + len, 0, 4096);		/* zeros at the end */
			n = len + 4096;
		}
		f = fopen(path, "w");
		if (!f || fwrite(c, 1, n, f) != n || fclose(f)) {
			FAIL_AT("cannot write %s", path);
			break;
		}
		rt_reader_init(&rm, &gm);
		rec_read_buf(&rm, c, n, "seg.dmw");
		rt_reader_init(&rs, &gs);
		CHECK_INT(rec_read_file(&rs, path), 0);
		if (!same_reading(&gm, &rm, &gs, &rs))
			FAIL_AT("round %d: the stream read %zu records, %zu warnings; memory %zu, %zu",
				round, gs.n, gs.warnings, gm.n, gm.warnings);
		if (round == 0 && (gm.n != 24000 || gm.warnings))
			FAIL_AT("intact: %zu records, %zu warnings", gm.n, gm.warnings);
		rt_got_free(&gm);
		rt_got_free(&gs);
	}
	free(c);
cleanup:
	free(seg);
	free(path);
	rt_rmdir_all(dir);
}

/*
 * After garbage, the next block's magic across a power-of-two offset, where a
 * window of the stream may end: the scan for it must look across the edge.
 */
TEST(recfmt_stream_finds_a_magic_across_its_window)
{
	char *dir = rt_tmpdir(), *path = dir ? xasprintf("%s/seg.dmw", dir) : NULL;
	bool ok = true;

	for (size_t edge = 64 * 1024; edge <= 1024 * 1024 && ok && path; edge *= 2) {
		for (size_t before = 1; before <= 3 && ok; before++) {
			struct rec_reader rd;
			struct got g;
			struct fuzz_seg s = {};
			size_t fill = edge - before - REC_SEG_HEADER_LEN;
			uint8_t *junk = xmalloc(fill);
			FILE *f;

			memset(junk, 0x5a, fill);
			fuzz_seg_start(&s);
			fuzz_seg_add(&s, junk, fill);
			fuzz_seg_lost(&s, 0, 20);
			f = fopen(path, "w");
			if (!f || fwrite(s.b, 1, s.len, f) != s.len || fclose(f))
				ok = false;
			rt_reader_init(&rd, &g);
			if (ok)
				rec_read_file(&rd, path);
			if (!ok || g.n != 20 || g.warnings != 1) {
				FAIL_AT("magic %zu bytes before %zu: %zu records, %zu warnings", before,
					edge, g.n, g.warnings);
				ok = false;
			}
			rt_got_free(&g);
			free(s.b);
			free(junk);
		}
	}
	free(path);
	rt_rmdir_all(dir);
}
