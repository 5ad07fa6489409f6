// SPDX-License-Identifier: GPL-2.0
/*
 * The walkers over device-mapper ioctl answers (collect/dmioctl.c):
 * dm_answer_next_name (LIST), dm_answer_lines (TABLE, STATUS), dm_answer_deps
 * (DEPS). Every walker sees every input.
 *
 * Input: 16 bytes of header fields, host byte order (u32 data_start, u32
 * data_size, u32 target_count, u32 flags; missing bytes are 0), then the bytes
 * that follow the struct dm_ioctl in the kernel's answer. The answer is built in
 * a heap block of exactly sizeof(struct dm_ioctl) plus those bytes, so ASan
 * reports a walker reading one byte past it. data_start and data_size may lie
 * in every way the walkers must survive: data_start inside the header, past
 * data_size or misaligned, data_size short of the data or of the header. A
 * data_size beyond the block never reaches a walker (dm_reader_run returns
 * -EPROTO for it), so it is folded back into the block, keeping every value a
 * real answer can have as it is.
 */
#include <stdbool.h>
#include "collect/dmioctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_head {
	uint32_t data_start;
	uint32_t data_size;
	uint32_t target_count;
	uint32_t flags;
};

/* where the answer's data lies, by the header's word: [*start, *start + *len) */
static const char *answer_span(const struct dm_ioctl *io, size_t *len)
{
	*len = 0;
	if (io->data_start >= io->data_size)
		return NULL;
	*len = io->data_size - io->data_start;
	return (const char *)io + io->data_start;
}

/* s is a string that ends inside [base, base + len) */
static bool string_inside(const char *s, const char *base, size_t len)
{
	return s >= base && s < base + len && memchr(s, 0, (size_t)(base + len - s));
}

static void check_names(const struct dm_ioctl *io)
{
	size_t len, count = 0;
	const char *data = answer_span(io, &len);
	const struct dm_name_list *nl = NULL, *prev = NULL;

	while ((nl = dm_answer_next_name(io, nl))) {
		const char *rec = (const char *)nl;

		/* records never overlap, so there are at most len / 16 of them: no endless walk */
		count++;
		FUZZ_CHECK(count * sizeof(*nl) <= len);
		/* the record and its name lie inside the answer, the name ended there */
		FUZZ_CHECK(data && rec >= data && rec + sizeof(*nl) <= data + len);
		FUZZ_CHECK(string_inside(nl->name, data, len));
		FUZZ_CHECK(nl->dev != 0);
		/* each record after the last one's name: the walk only goes forward */
		FUZZ_CHECK(!prev || rec >= prev->name + strlen(prev->name) + 1);
		FUZZ_CHECK(!prev || rec == (const char *)prev + prev->next);
		prev = nl;
	}
}

static void check_lines(const struct dm_ioctl *io)
{
	size_t len;
	const char *data = answer_span(io, &len);
	struct dm_line *lines = NULL;
	size_t n = 0;
	bool ok = dm_answer_lines(io, &lines, &n);

	/* a whole answer gives every target it counts; a broken one at most those */
	FUZZ_CHECK(ok ? n == io->target_count : n <= io->target_count);
	/* each target takes its spec and at least its params' NUL: no endless walk */
	FUZZ_CHECK(n <= len / (sizeof(struct dm_target_spec) + 1));
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(lines[i].params);

		FUZZ_CHECK(strlen(lines[i].type) <= sizeof(((struct dm_target_spec *)0)->target_type));
		/* the params are a string that ended inside the answer */
		FUZZ_CHECK(data && plen < len && memmem(data, len, lines[i].params, plen + 1));
		free(lines[i].type);
		free(lines[i].params);
	}
	free(lines);
}

static void check_deps(const struct dm_ioctl *io)
{
	size_t len, n = 12345;	/* not 0: the walker must set it */
	const char *data = answer_span(io, &len);
	uint64_t *deps = dm_answer_deps(io, &n);
	struct dm_target_deps head;

	/* NULL exactly when there are none */
	FUZZ_CHECK(!deps == !n);
	if (deps) {
		/* the count the answer gives, every device taken from inside it */
		FUZZ_CHECK(data && len >= sizeof(head));
		memcpy(&head, data, sizeof(head));
		FUZZ_CHECK(n == head.count && n <= (len - sizeof(head)) / sizeof(uint64_t));
		FUZZ_CHECK(!memcmp(deps, data + sizeof(head), n * sizeof(*deps)));
	}
	free(deps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_head head = { 0 };
	size_t body = size > sizeof(head) ? size - sizeof(head) : 0;
	size_t total = sizeof(struct dm_ioctl) + body;
	struct dm_ioctl *io;

	memcpy(&head, data, size < sizeof(head) ? size : sizeof(head));
	io = malloc(total);
	if (!io)
		abort();
	memset(io, 0, sizeof(*io));
	if (body)
		memcpy(io + 1, data + sizeof(head), body);
	io->version[0] = DM_VERSION_MAJOR;
	io->data_start = head.data_start;
	io->data_size = head.data_size <= total ? head.data_size :
			(uint32_t)(head.data_size % (total + 1));
	io->target_count = head.target_count;
	io->flags = head.flags;

	check_names(io);
	check_lines(io);
	check_deps(io);

	free(io);
	return 0;
}
