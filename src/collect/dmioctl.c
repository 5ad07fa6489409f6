// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only device-mapper ioctls with a buffer sized to the answer.
 *
 * Why not libdevmapper for these: it gives every TABLE, STATUS and DEPS ioctl
 * a buffer of at least 16 KiB, and once any answer overflowed (LIST does on a
 * node with a few hundred devices) it doubles the size for every later ioctl of
 * the process. The kernel allocates and copies in the whole buffer on each call
 * (dm-ioctl.c copy_params), so on a 1,000-device node each ioctl moved 64 KiB:
 * 311 us per call against 46 us for dmsetup's INFO (strace -c in the test VM).
 * A linear device's table fits in a hundred bytes; here each call starts at a
 * size its answer usually fits and doubles only when the kernel sets
 * DM_BUFFER_FULL_FLAG.
 *
 * Devices are addressed by number, as LIST gave them: no name mangling is
 * involved, so a name stored with bytes outside libdevmapper's whitelist is
 * read like any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "collect/dmioctl.h"
#include "lib/util.h"

/* A table or a LIST beyond this is not an answer to read (4 GiB is the u32 limit) */
#define DM_READER_MAX	(256u << 20)

int dm_reader_open(struct dm_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	return r->fd < 0 ? -errno : 0;
}

void dm_reader_close(struct dm_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->io);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int dm_reader_run(struct dm_reader *r, unsigned long cmd, uint64_t dev, uint32_t flags,
		  size_t first)
{
	size_t size = first > sizeof(struct dm_ioctl) ? first : sizeof(struct dm_ioctl);

	for (;;) {
		if (size > r->size) {
			free(r->io);
			r->io = xmalloc(size);
			r->size = size;
		}
		memset(r->io, 0, sizeof(*r->io));
		/* the kernel accepts any 4.x minor at or below its own */
		r->io->version[0] = DM_VERSION_MAJOR;
		r->io->data_size = (uint32_t)size;
		r->io->data_start = sizeof(*r->io);
		r->io->dev = dev;
		r->io->flags = flags;
		if (ioctl(r->fd, cmd, r->io) < 0)
			return -errno;
		/*
		 * The kernel sets data_size to what it wrote (data_start plus the
		 * answer; offsetof(data) when there is none, as with a full buffer)
		 */
		if (r->io->data_size > size)
			return -EPROTO;
		if (!(r->io->flags & DM_BUFFER_FULL_FLAG))
			return 0;
		if (size >= DM_READER_MAX)
			return -EOVERFLOW;
		size *= 2;
	}
}

struct dm_ioctl *dm_reader_take(struct dm_reader *r)
{
	struct dm_ioctl *io = r->io;

	r->io = NULL;
	r->size = 0;
	return io;
}

/*
 * dm-ioctl.c places the data and every record in it (name, target, deps) on an
 * 8-byte boundary (align_ptr): an offset that is not is a malformed answer, and
 * reading a record's u64 fields there would be a misaligned access.
 */
#define DM_ANSWER_ALIGN	8u

static bool answer_aligned(size_t offset)
{
	return offset % DM_ANSWER_ALIGN == 0;
}

/* the answer's data and its length; NULL when there is none */
static const char *answer_data(const struct dm_ioctl *io, size_t *len)
{
	*len = 0;
	if (io->data_start < sizeof(*io) || io->data_start >= io->data_size ||
	    !answer_aligned(io->data_start))
		return NULL;
	*len = io->data_size - io->data_start;
	return (const char *)io + io->data_start;
}

const struct dm_name_list *dm_answer_next_name(const struct dm_ioctl *io,
					       const struct dm_name_list *prev)
{
	size_t len, at, left;
	const char *data = answer_data(io, &len);
	const struct dm_name_list *nl;

	if (!data)
		return NULL;
	if (!prev) {
		at = 0;
	} else {
		if (!prev->next || !answer_aligned(prev->next))
			return NULL;
		at = (size_t)((const char *)prev - data) + prev->next;
	}
	if (at >= len || len - at < sizeof(*nl))
		return NULL;
	nl = (const struct dm_name_list *)(data + at);
	left = len - at - sizeof(*nl);
	/* an empty list is one record with dev 0; a name must end inside the answer */
	if (!nl->dev || !memchr(nl->name, 0, left))
		return NULL;
	if (nl->next && nl->next < sizeof(*nl) + strlen(nl->name) + 1)
		return NULL;
	return nl;
}

bool dm_answer_lines(const struct dm_ioctl *io, struct dm_line **lines, size_t *n)
{
	size_t len, at = 0;
	const char *data = answer_data(io, &len);

	for (uint32_t i = 0; i < io->target_count; i++) {
		const struct dm_target_spec *spec;
		const char *params;
		struct dm_line *l;

		if (!data || at >= len || len - at <= sizeof(*spec))
			return false;
		spec = (const struct dm_target_spec *)(data + at);
		params = (const char *)(spec + 1);
		if (!memchr(params, 0, len - at - sizeof(*spec)))
			return false;
		l = array_push(lines, n, sizeof(*l));
		l->start = spec->sector_start;
		l->length = spec->length;
		l->type = xstrndup(spec->target_type, sizeof(spec->target_type));
		l->params = xstrdup(params);
		/*
		 * next is from the start of the data; each target comes after the
		 * last one's params, so targets never overlap and the walk ends
		 */
		if (i + 1 < io->target_count &&
		    (spec->next < at + sizeof(*spec) + strlen(params) + 1 ||
		     !answer_aligned(spec->next)))
			return false;
		at = spec->next;
	}
	return true;
}

uint64_t *dm_answer_deps(const struct dm_ioctl *io, size_t *n)
{
	size_t len;
	const char *data = answer_data(io, &len);
	const struct dm_target_deps *deps = (const struct dm_target_deps *)data;
	uint64_t *out;

	*n = 0;
	if (!data || len < sizeof(*deps) || !deps->count ||
	    deps->count > (len - sizeof(*deps)) / sizeof(deps->dev[0]))
		return NULL;
	out = xcalloc(deps->count, sizeof(*out));
	memcpy(out, deps->dev, deps->count * sizeof(*out));
	*n = deps->count;
	return out;
}
