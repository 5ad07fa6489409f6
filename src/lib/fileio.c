// SPDX-License-Identifier: GPL-2.0
/* Whole-file reads and the one crash-safe way dmwatch replaces a file (fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
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

int write_file_atomic(const char *path, const char *data, size_t len, unsigned int mode)
{
	char *d = xstrdup(path), *b = xstrdup(path), *dir, *tmp;
	int fd, ret = 0, dfd;
	size_t off = 0;

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
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += n;
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

int write_file_atomic_with(const char *path, unsigned int mode,
			   int (*write)(FILE *f, void *ctx), void *ctx)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	f = open_memstream(&text, &len);
	if (!f)
		oom();
	err = write(f, ctx);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err)
		err = write_file_atomic(path, text, len, mode);
	free(text);
	return err;
}
