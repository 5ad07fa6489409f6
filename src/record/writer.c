// SPDX-License-Identifier: GPL-2.0
/*
 * The segmented writer (recfmt.h): blocks appended to the current segment,
 * rotation at the segment size, the oldest segments deleted to stay under the
 * size bound, a lock against a second recorder, and the repair of the torn
 * tail a killed recorder leaves. What a crash can cost is the open block and
 * what was written since the last rec_log_flush(.., true).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record/segdir.h"
#include "record/segread.h"
#include "record/wire.h"
#include "lib/clock.h"
#include "lib/util.h"

#define WRITE_WARN_GAP_NS	(60 * 1000000000ull)

struct rec_log {
	struct rec_log_opts o;
	int dir_fd, lock_fd, fd;
	struct rec_enc *enc;
	uint64_t seq, cur_size;
	char name[SEG_NAME_LEN];
	char *path;
	struct seg_ent *old;		/* closed segments, oldest first */
	size_t n_old;
	bool dirty;			/* written since the last fdatasync */
	bool in_segment_cb;
	struct rec_log_stats stats;
	uint64_t last_warn_ns;		/* CLOCK_MONOTONIC of the last write warning, 0: none */
};

static int mkdir_p(const char *dir)
{
	char *p = xstrdup(dir), *s = p;
	int err = 0;

	while (!err) {
		s = strchr(s + 1, '/');
		if (s)
			*s = 0;
		if (*p && mkdir(p, 0750) && errno != EEXIST)
			err = -errno;
		if (!s)
			break;
		*s = '/';
	}
	free(p);
	return err;
}

/* the one-line reason a second recorder gets (e: errno of flock) */
static char *lock_refusal(struct rec_log *l, int e)
{
	char buf[32];
	ssize_t n = pread(l->lock_fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (e == EWOULDBLOCK && buf[0])
		return xasprintf("another recorder (pid %s) is writing to %s (lock %s/lock)", buf,
				 l->o.dir, l->o.dir);
	if (e == EWOULDBLOCK)
		return xasprintf("another recorder is writing to %s (lock %s/lock)", l->o.dir,
				 l->o.dir);
	return xasprintf("cannot lock %s/lock: %s", l->o.dir, strerror(e));
}

static int take_lock(struct rec_log *l, char **err)
{
	char buf[32];
	ssize_t n;

	l->lock_fd = openat(l->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->lock_fd < 0) {
		*err = xasprintf("cannot create %s/lock: %s", l->o.dir, strerror(errno));
		return -errno;
	}
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		*err = lock_refusal(l, e);
		return -e;
	}
	/*
	 * The pid goes into the locked file itself: replacing it (write_file_atomic)
	 * would give the next recorder a fresh file to lock.
	 */
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(l->lock_fd, 0) || pwrite(l->lock_fd, buf, n, 0) != n)
		vlog("cannot write the pid to %s/lock", l->o.dir);
	return 0;
}

static void write_warn(struct rec_log *l, const char *what, int err)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	l->stats.write_errors++;
	/* a full disk would otherwise print a line every second */
	if (l->last_warn_ns && now - l->last_warn_ns < WRITE_WARN_GAP_NS)
		return;
	l->last_warn_ns = now;
	elog("warning: %s %s/%s: %s", what, l->o.dir, l->name, strerror(-err));
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= w;
	}
	return 0;
}

static void seg_header(uint8_t *h, uint64_t seq)
{
	char host[64] = "";

	gethostname(host, sizeof(host) - 1);
	memset(h, 0, REC_SEG_HEADER_LEN);
	memcpy(h, SEG_MAGIC, 8);
	put_le32(h + 8, RECFMT_VERSION);
	put_le32(h + 12, REC_SEG_HEADER_LEN);
	put_le64(h + 16, seq);
	put_le64(h + 24, clock_ns(CLOCK_REALTIME));
	memcpy(h + 32, host, strnlen(host, 23));
	put_le32(h + 60, rec_crc(h, 60));
}

/* keep disk use under max_size: oldest closed segments go first */
static void enforce_max(struct rec_log *l)
{
	uint64_t total = rec_log_disk_usage(l);
	size_t drop = 0;

	while (drop < l->n_old && total > l->o.max_size) {
		if (unlinkat(l->dir_fd, l->old[drop].name, 0) && errno != ENOENT)
			vlog("cannot delete %s/%s: %s", l->o.dir, l->old[drop].name, strerror(errno));
		total -= l->old[drop].size;
		free(l->old[drop].name);
		l->stats.deleted++;
		drop++;
	}
	if (!drop)
		return;
	memmove(l->old, l->old + drop, (l->n_old - drop) * sizeof(*l->old));
	l->n_old -= drop;
	fsync(l->dir_fd);
}

static int start_segment(struct rec_log *l, bool first)
{
	uint8_t h[REC_SEG_HEADER_LEN];
	int err;

	seg_name(l->name, l->seq);
	free(l->path);
	l->path = xasprintf("%s/%s", l->o.dir, l->name);
	l->fd = openat(l->dir_fd, l->name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		       0640);
	if (l->fd < 0)
		return -errno;
	seg_header(h, l->seq);
	err = write_all(l->fd, h, sizeof(h));
	if (err) {
		close(l->fd);
		l->fd = -1;
		unlinkat(l->dir_fd, l->name, 0);
		return err;
	}
	/* the new name must survive a power loss too */
	fdatasync(l->fd);
	fsync(l->dir_fd);
	l->cur_size = sizeof(h);
	l->stats.segments++;
	if (l->o.on_segment) {
		l->in_segment_cb = true;
		l->o.on_segment(l->o.ctx, l, first);
		l->in_segment_cb = false;
	}
	return 0;
}

static int rotate(struct rec_log *l)
{
	struct seg_ent *s;
	int err;

	if (l->fd >= 0) {
		fdatasync(l->fd);
		close(l->fd);
		l->fd = -1;
		l->dirty = false;
		s = array_push(&l->old, &l->n_old, sizeof(*s));
		s->seq = l->seq;
		s->name = xstrdup(l->name);
		s->size = l->cur_size;
	}
	l->cur_size = 0;
	l->seq++;
	enforce_max(l);
	err = start_segment(l, false);
	if (!err)
		enforce_max(l);
	return err;
}

static int write_block(struct rec_log *l)
{
	const uint8_t *blk;
	size_t len;
	uint64_t n = rec_enc_records(l->enc);
	int err;

	l->stats.raw_bytes += rec_enc_raw_len(l->enc);
	err = rec_enc_finish(l->enc, l->o.level, &blk, &len);
	if (err) {
		l->stats.dropped += n;
		write_warn(l, "cannot encode a block for", err);
		return err;
	}
	if (l->fd < 0) {
		/* the last segment failed: try a fresh one (the disk may have room again) */
		err = rotate(l);
		if (err) {
			l->stats.dropped += n;
			write_warn(l, "cannot start a new segment in", err);
			return err;
		}
	}
	err = write_all(l->fd, blk, len);
	if (err) {
		/* cut a partial block so the segment stays clean, then move on */
		if (ftruncate(l->fd, l->cur_size))
			vlog("cannot cut %s back", l->path);
		l->stats.dropped += n;
		write_warn(l, "cannot write to", err);
		return err;
	}
	l->cur_size += len;
	l->dirty = true;
	l->stats.blocks++;
	l->stats.disk_bytes += len;
	if (l->cur_size >= l->o.seg_size && !l->in_segment_cb) {
		err = rotate(l);
		if (err)
			write_warn(l, "cannot start a new segment in", err);
	} else {
		enforce_max(l);
	}
	return 0;
}

int rec_log_add(struct rec_log *l, const struct rec *r)
{
	int err = rec_enc_add(l->enc, r);

	if (err)
		return err;
	l->stats.records++;
	if (rec_enc_raw_len(l->enc) >= l->o.block_raw)
		return write_block(l);
	return 0;
}

int rec_log_flush(struct rec_log *l, bool sync)
{
	int err = 0;

	if (rec_enc_records(l->enc))
		err = write_block(l);
	if (sync && l->dirty && l->fd >= 0) {
		if (fdatasync(l->fd)) {
			err = -errno;
			write_warn(l, "cannot sync", err);
		}
		l->dirty = false;
	}
	return err;
}

/* a killed recorder may have left half a block at the end of its last segment */
static void recover_tail(struct rec_log *l, const struct seg_ent *s)
{
	struct rec_reader rd = { .quiet_torn_tail = true };
	struct seg_stream *ss;
	uint64_t keep = 0, len;
	int fd = openat(l->dir_fd, s->name, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return;
	ss = seg_stream_new();
	if (seg_stream_read(ss, &rd, fd, s->name, &keep))
		goto cleanup;
	len = lseek(fd, 0, SEEK_END);
	if (!rd.stats.torn_tail || keep >= len)
		goto cleanup;
	if (keep <= REC_SEG_HEADER_LEN && !rd.stats.blocks) {
		unlinkat(l->dir_fd, s->name, 0);
		elog("note: %s/%s held no complete block (recorder killed while starting it); "
		     "removed", l->o.dir, s->name);
	} else if (!ftruncate(fd, keep)) {
		elog("note: %s/%s ended in an incomplete block (recorder killed?); cut %llu bytes",
		     l->o.dir, s->name, (unsigned long long)(len - keep));
	}
	fsync(fd);
cleanup:
	seg_stream_free(ss);
	close(fd);
}

static void apply_defaults(struct rec_log_opts *o)
{
	if (!o->seg_size)
		o->seg_size = o->max_size / 8;
	if (o->seg_size < 4096)
		o->seg_size = 4096;
	if (!o->block_raw)
		o->block_raw = 64 * 1024;
	/* a block must stay under what readers accept, with room for its last record */
	if (o->block_raw > REC_BLOCK_RAW_MAX / 2)
		o->block_raw = REC_BLOCK_RAW_MAX / 2;
	if (!o->level)
		o->level = 6;
}

/* the segments there are; the last one, a killed recorder's, is repaired first */
static int take_over_segments(struct rec_log *l, char **err)
{
	struct seg_ent *segs = NULL;
	size_t n = 0;
	int e = list_segments(l->dir_fd, &segs, &n);

	if (e) {
		*err = xasprintf("cannot list %s: %s", l->o.dir, strerror(-e));
		return e;
	}
	if (n) {
		recover_tail(l, &segs[n - 1]);
		l->seq = segs[n - 1].seq + 1;
		free_segments(segs, n);
		list_segments(l->dir_fd, &segs, &n);
	}
	l->old = segs;
	l->n_old = n;
	if (!l->seq)
		l->seq = 1;
	return 0;
}

int rec_log_open(struct rec_log **out, const struct rec_log_opts *opts, char **err)
{
	struct rec_log *l = xcalloc(1, sizeof(*l));
	int e;

	l->o = *opts;
	l->dir_fd = l->lock_fd = l->fd = -1;
	apply_defaults(&l->o);
	e = mkdir_p(l->o.dir);
	if (e) {
		*err = xasprintf("cannot create %s: %s", l->o.dir, strerror(-e));
		goto fail;
	}
	l->dir_fd = open(l->o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dir_fd < 0) {
		e = -errno;
		*err = xasprintf("cannot open %s: %s", l->o.dir, strerror(-e));
		goto fail;
	}
	e = take_lock(l, err);
	if (e)
		goto fail;
	e = take_over_segments(l, err);
	if (e)
		goto fail;
	l->enc = rec_enc_new();
	enforce_max(l);
	e = start_segment(l, true);
	if (e) {
		*err = xasprintf("cannot create a segment in %s: %s", l->o.dir, strerror(-e));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	rec_log_close(l);
	return e ? e : -EIO;
}

int rec_log_reopen(struct rec_log *l)
{
	struct stat st;
	int err;

	rec_log_flush(l, true);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = openat(l->dir_fd, l->name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (l->fd >= 0 && !fstat(l->fd, &st)) {
		l->cur_size = st.st_size;
		return 0;
	}
	if (l->fd >= 0)
		close(l->fd);
	/* gone (deleted by hand): start it again, self-contained */
	l->fd = -1;
	err = start_segment(l, false);
	if (err)
		write_warn(l, "cannot reopen", err);
	return err;
}

void rec_log_close(struct rec_log *l)
{
	if (!l)
		return;
	if (l->enc && l->fd >= 0)
		rec_log_flush(l, true);
	if (l->fd >= 0)
		close(l->fd);
	if (l->dir_fd >= 0) {
		fsync(l->dir_fd);
		close(l->dir_fd);
	}
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	free_segments(l->old, l->n_old);
	rec_enc_free(l->enc);
	free(l->path);
	free(l);
}

const struct rec_log_stats *rec_log_stats(const struct rec_log *l)
{
	return &l->stats;
}

uint64_t rec_log_disk_usage(const struct rec_log *l)
{
	uint64_t total = l->cur_size;

	for (size_t i = 0; i < l->n_old; i++)
		total += l->old[i].size;
	return total;
}

const char *rec_log_segment_path(const struct rec_log *l)
{
	return l->path;
}
