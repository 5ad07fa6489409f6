// SPDX-License-Identifier: GPL-2.0
/*
 * A recorder directory (segdir.h), and reading all of it back (rec_read_dir):
 * every segment oldest first, each as a stream through one window and one
 * block decoder, so memory stays at a block however big the log is.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record/recfmt.h"
#include "record/segdir.h"
#include "record/segread.h"
#include "lib/util.h"

void seg_name(char name[SEG_NAME_LEN], uint64_t seq)
{
	snprintf(name, SEG_NAME_LEN, "seg-%010llu.dmw", (unsigned long long)seq);
}

static bool seg_name_seq(const char *name, uint64_t *seq)
{
	unsigned long long v;
	int n = 0;

	if (sscanf(name, "seg-%llu.dmw%n", &v, &n) != 1 || name[n] || strlen(name) != 18)
		return false;
	*seq = v;
	return true;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg_ent *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int list_segments(int dir_fd, struct seg_ent **out, size_t *n)
{
	int fd = dup(dir_fd);
	struct dirent *de;
	DIR *dir;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		struct seg_ent *s;
		struct stat st;
		uint64_t seq;

		if (!seg_name_seq(de->d_name, &seq) ||
		    fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		s = array_push(out, n, sizeof(*s));
		s->seq = seq;
		s->name = xstrdup(de->d_name);
		s->size = st.st_size;
	}
	closedir(dir);
	if (*n)
		qsort(*out, *n, sizeof(**out), seg_cmp);
	return 0;
}

void free_segments(struct seg_ent *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}

bool dir_locked(int dir_fd)
{
	int fd = openat(dir_fd, "lock", O_RDONLY | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static void warn_segment(struct rec_reader *rd, const char *name, int err)
{
	char *msg = xasprintf("%s: %s; skipped", name, strerror(err));

	if (rd->warn)
		rd->warn(rd->ctx, msg);
	free(msg);
}

/* read one segment; the one a recorder is writing may end mid-block */
static void read_one(struct rec_reader *rd, struct seg_stream *ss, int dfd,
		     const struct seg_ent *seg, bool being_written)
{
	/* O_NONBLOCK: a FIFO put in its place must not hang the reader */
	int fd = openat(dfd, seg->name, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e;
	uint64_t good;

	if (fd < 0) {
		if (errno != ENOENT)	/* ENOENT: rotated out meanwhile */
			warn_segment(rd, seg->name, errno);
		return;
	}
	rd->quiet_torn_tail = being_written;
	e = seg_stream_read(ss, rd, fd, seg->name, &good);
	close(fd);
	if (e) {
		warn_segment(rd, seg->name, -e);
		rd->stats.bad_segments++;
	}
}

int rec_read_dir(struct rec_reader *rd, const char *dir, char **err)
{
	struct seg_stream *ss = NULL;
	struct seg_ent *segs = NULL;
	size_t n = 0;
	bool active;
	int dfd, e;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		e = -errno;
		*err = xasprintf("cannot open the recorder directory %s: %s", dir, strerror(-e));
		return e;
	}
	e = list_segments(dfd, &segs, &n);
	if (e) {
		*err = xasprintf("cannot list %s: %s", dir, strerror(-e));
		goto cleanup;
	}
	if (!n) {
		e = -ENOENT;
		*err = xasprintf("no recorder segments (seg-*.dmw) in %s", dir);
		goto cleanup;
	}
	active = dir_locked(dfd);
	ss = seg_stream_new();
	for (size_t i = 0; i < n && !rd->stop; i++)
		read_one(rd, ss, dfd, &segs[i], active && i + 1 == n);
	e = 0;
cleanup:
	seg_stream_free(ss);
	free_segments(segs, n);
	close(dfd);
	return e;
}
