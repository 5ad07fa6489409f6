// SPDX-License-Identifier: GPL-2.0
/* Whole-file and first-line reads, and the one crash-safe way dmwatch replaces a file (fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/fileio.h"
#include "lib/util.h"

int read_file(const char *path, char **buf, size_t *len, size_t max_size)
{
	size_t cap = 4096, used = 0;
	char *data;
	ssize_t r;
	int fd, err = 0;

	struct stat sb;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	data = xmalloc(cap);
	for (;;) {
		if (used + 1 >= cap) {
			if (cap >= max_size) {
				err = -EFBIG;
				goto cleanup;
			}
			cap *= 2;
			data = xrealloc(data, cap);
		}
		r = read(fd, data + used, cap - used - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		used += r;
	}
	data[used] = 0;
	*buf = data;
	if (len)
		*len = used;
	data = NULL;
cleanup:
	free(data);
	close(fd);
	return err;
}

bool read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/*
 * Both writers: the text goes into a temporary file next to path, is synced, and
 * replaces path by rename, so a crash leaves the old file or the new one whole.
 * put(fd, ctx) writes the text into fd and returns 0 or -errno.
 */
static int write_atomic(const char *path, unsigned int mode, int (*put)(int fd, void *ctx),
			void *ctx)
{
	char *d = xstrdup(path), *b = xstrdup(path), *dir, *tmp;
	int fd, ret = 0, dfd;

	/* dirname() and basename() may modify their argument: one copy each */
	dir = dirname(d);
	tmp = xasprintf("%s/.%s.XXXXXX", dir, basename(b));
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0)
		goto fail;
	ret = put(fd, ctx);
	if (ret) {
		errno = -ret;
		goto fail;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	/* the rename itself must survive a crash too */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	goto out;
fail:
	ret = -errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(d);
	free(b);
	return ret;
}

struct bytes {
	const char *data;
	size_t len;
};

static int put_bytes(int fd, void *ctx)
{
	const struct bytes *b = ctx;
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += n;
	}
	return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, unsigned int mode)
{
	struct bytes b = { data, len };

	return write_atomic(path, mode, put_bytes, &b);
}

struct stdio_writer {
	int (*write)(FILE *f, void *ctx);
	void *ctx;
};

/* through stdio straight into the file: no copy of the whole text in memory */
static int put_stdio(int fd, void *ctx)
{
	const struct stdio_writer *w = ctx;
	int dup_fd = dup(fd), err;
	FILE *f;

	if (dup_fd < 0)
		return -errno;
	f = fdopen(dup_fd, "w");
	if (!f) {
		err = -errno;
		close(dup_fd);
		return err;
	}
	err = w->write(f, w->ctx);
	if (fflush(f) && !err)
		err = errno ? -errno : -EIO;
	if (ferror(f) && !err)
		err = -EIO;
	if (fclose(f) && !err)
		err = errno ? -errno : -EIO;
	return err;
}

int write_file_atomic_with(const char *path, unsigned int mode,
			   int (*write)(FILE *f, void *ctx), void *ctx)
{
	struct stdio_writer w = { write, ctx };

	return write_atomic(path, mode, put_stdio, &w);
}
