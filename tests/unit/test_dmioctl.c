// SPDX-License-Identifier: GPL-2.0
/*
 * The walkers over device-mapper ioctl answers: answers laid out as dm-ioctl.c
 * lays them out (list_devices, retrieve_status, retrieve_deps), then cut short
 * or made inconsistent, which must end a walk instead of reading past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "test.h"
#include "collect/dmioctl.h"
#include "lib/util.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* an answer buffer: the header, then `used` bytes of data */
struct answer {
	struct dm_ioctl io;
	char data[4096];
};

static void answer_init(struct answer *a)
{
	memset(a, 0, sizeof(*a));
	a->io.data_start = sizeof(a->io);
	a->io.data_size = sizeof(a->io);
}

/* LIST's records: dev, next, name, then event_nr and flags 8-byte aligned */
static struct dm_name_list *add_name(struct answer *a, struct dm_name_list *prev,
				     uint64_t dev, const char *name)
{
	size_t at = a->io.data_size - a->io.data_start;
	struct dm_name_list *nl = (struct dm_name_list *)(a->data + at);
	size_t len = ALIGN8(sizeof(*nl) + strlen(name) + 1) + ALIGN8(2 * sizeof(uint32_t));

	nl->dev = dev;
	strcpy(nl->name, name);
	if (prev)
		prev->next = (uint32_t)((char *)nl - (char *)prev);
	a->io.data_size += (uint32_t)len;
	return nl;
}

/* a TABLE or STATUS target: spec, params, next from the start of the data */
static void add_target(struct answer *a, uint64_t start, uint64_t len, const char *type,
		       const char *params)
{
	size_t at = a->io.data_size - a->io.data_start;
	struct dm_target_spec *spec = (struct dm_target_spec *)(a->data + at);
	size_t size = ALIGN8(sizeof(*spec) + strlen(params) + 1);

	spec->sector_start = start;
	spec->length = len;
	snprintf(spec->target_type, sizeof(spec->target_type), "%s", type);
	strcpy((char *)(spec + 1), params);
	spec->next = (uint32_t)(at + size);
	a->io.data_size += (uint32_t)size;
	a->io.target_count++;
}

static void free_lines(struct dm_line *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].type);
		free(l[i].params);
	}
	free(l);
}

TEST(dmioctl_names)
{
	struct answer a;
	struct dm_name_list *p;
	const struct dm_name_list *nl;

	answer_init(&a);
	p = add_name(&a, NULL, makedev(253, 0), "pve-root");
	p = add_name(&a, p, makedev(253, 1), "pve-data_tdata");
	add_name(&a, p, makedev(253, 300), "odd\\x20name");
	nl = dm_answer_next_name(&a.io, NULL);
	CHECK(nl != NULL);
	CHECK_STR(nl->name, "pve-root");
	nl = dm_answer_next_name(&a.io, nl);
	CHECK_STR(nl->name, "pve-data_tdata");
	CHECK_INT(minor(nl->dev), 1);
	nl = dm_answer_next_name(&a.io, nl);
	CHECK_STR(nl->name, "odd\\x20name");
	CHECK_INT(minor(nl->dev), 300);
	CHECK(dm_answer_next_name(&a.io, nl) == NULL);
}

TEST(dmioctl_names_empty_and_broken)
{
	struct answer a;
	struct dm_name_list *p;

	/* no devices: no data, or one record with dev 0 */
	answer_init(&a);
	CHECK(dm_answer_next_name(&a.io, NULL) == NULL);
	add_name(&a, NULL, 0, "");
	CHECK(dm_answer_next_name(&a.io, NULL) == NULL);

	/* a next past the answer's end */
	answer_init(&a);
	p = add_name(&a, NULL, makedev(253, 0), "a");
	p->next = 4000;
	CHECK(dm_answer_next_name(&a.io, dm_answer_next_name(&a.io, NULL)) == NULL);
	/* a next inside its own record (on a boundary, so only its size refuses it) */
	p->next = 8;
	CHECK(dm_answer_next_name(&a.io, NULL) == NULL);

	/* a name that does not end inside the answer */
	answer_init(&a);
	p = add_name(&a, NULL, makedev(253, 0), "abcdefgh");
	a.io.data_size = a.io.data_start + (uint32_t)sizeof(*p) + 4;
	CHECK(dm_answer_next_name(&a.io, NULL) == NULL);

	/* data_start beyond data_size */
	answer_init(&a);
	add_name(&a, NULL, makedev(253, 0), "a");
	a.io.data_start = a.io.data_size + 8;
	CHECK(dm_answer_next_name(&a.io, NULL) == NULL);
}

TEST(dmioctl_lines)
{
	struct answer a;
	struct dm_line *l = NULL;
	size_t n = 0;

	answer_init(&a);
	add_target(&a, 0, 8192, "linear", "7:0 2048");
	add_target(&a, 8192, 4096, "striped", "2 128 7:1 0 7:2 0");
	CHECK(dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(n, 2);
	CHECK_STR(l[0].type, "linear");
	CHECK_STR(l[0].params, "7:0 2048");
	CHECK_INT(l[1].start, 8192);
	CHECK_INT(l[1].length, 4096);
	CHECK_STR(l[1].params, "2 128 7:1 0 7:2 0");
	free_lines(l, n);

	/* a device without a live table: no targets, not an error */
	answer_init(&a);
	l = NULL;
	n = 0;
	CHECK(dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(n, 0);
}

TEST(dmioctl_lines_broken)
{
	struct answer a;
	struct dm_target_spec *spec;
	struct dm_line *l = NULL;
	size_t n = 0;

	/* more targets counted than the data holds */
	answer_init(&a);
	add_target(&a, 0, 8, "linear", "7:0 0");
	a.io.target_count = 3;
	CHECK(!dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(n, 1);
	free_lines(l, n);

	/* a next pointing back at itself would loop */
	answer_init(&a);
	l = NULL;
	n = 0;
	add_target(&a, 0, 8, "linear", "7:0 0");
	add_target(&a, 8, 8, "linear", "7:0 8");
	spec = (struct dm_target_spec *)a.data;
	spec->next = 0;
	CHECK(!dm_answer_lines(&a.io, &l, &n));
	free_lines(l, n);

	/* params not ended inside the answer, a type filling all 16 bytes */
	answer_init(&a);
	l = NULL;
	n = 0;
	add_target(&a, 0, 8, "linear", "7:0 0");
	spec = (struct dm_target_spec *)a.data;
	memset(spec->target_type, 'x', sizeof(spec->target_type));
	a.io.data_size = a.io.data_start + (uint32_t)sizeof(*spec) + 2;
	CHECK(!dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(n, 0);
	a.io.data_size += 16;
	CHECK(dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(strlen(l[0].type), 16);
	free_lines(l, n);
}

TEST(dmioctl_deps)
{
	struct answer a;
	struct dm_target_deps *deps;
	uint64_t *d;
	size_t n;

	answer_init(&a);
	deps = (struct dm_target_deps *)a.data;
	deps->count = 2;
	deps->dev[0] = makedev(7, 0);
	deps->dev[1] = makedev(253, 4);
	a.io.data_size += (uint32_t)(sizeof(*deps) + 2 * sizeof(uint64_t));
	d = dm_answer_deps(&a.io, &n);
	CHECK_INT(n, 2);
	CHECK_INT(major(d[1]), 253);
	CHECK_INT(minor(d[1]), 4);
	free(d);

	/* a count the data cannot hold */
	deps->count = 100;
	CHECK(dm_answer_deps(&a.io, &n) == NULL);
	CHECK_INT(n, 0);
	deps->count = 0;
	CHECK(dm_answer_deps(&a.io, &n) == NULL);
}

/*
 * dm-ioctl.c puts the data and every record on an 8-byte boundary and never
 * overlaps two targets: an answer that does not is malformed (fuzz_dmioctl found
 * the walkers reading u64 fields at odd addresses and overlapping targets)
 */
TEST(dmioctl_misaligned_and_overlapping)
{
	struct answer a;
	struct dm_name_list *p;
	struct dm_target_spec *spec;
	struct dm_line *l = NULL;
	size_t n = 0;

	/* data_start off its boundary: no walker reads the data */
	answer_init(&a);
	add_name(&a, NULL, makedev(253, 0), "a");
	a.io.data_start += 4;
	CHECK(dm_answer_next_name(&a.io, NULL) == NULL);
	a.io.target_count = 1;
	CHECK(!dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(n, 0);
	CHECK(dm_answer_deps(&a.io, &n) == NULL);

	/* a name's next off its boundary, though past the name */
	answer_init(&a);
	p = add_name(&a, NULL, makedev(253, 0), "a");
	add_name(&a, p, makedev(253, 1), "b");
	CHECK(dm_answer_next_name(&a.io, dm_answer_next_name(&a.io, NULL)) != NULL);
	p->next += 4;
	CHECK(dm_answer_next_name(&a.io, dm_answer_next_name(&a.io, NULL)) == NULL);

	/* a target's next off its boundary */
	answer_init(&a);
	add_target(&a, 0, 8, "linear", "7:0 0");
	add_target(&a, 8, 8, "linear", "7:0 8");
	spec = (struct dm_target_spec *)a.data;
	spec->next += 1;
	CHECK(!dm_answer_lines(&a.io, &l, &n));
	free_lines(l, n);

	/* a target's next inside its own spec or params: the targets would overlap */
	l = NULL;
	n = 0;
	spec->next = 8;
	CHECK(!dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(n, 1);
	free_lines(l, n);
	l = NULL;
	n = 0;
	spec->next = (uint32_t)sizeof(*spec);	/* at its params, on a boundary */
	CHECK(!dm_answer_lines(&a.io, &l, &n));
	free_lines(l, n);
	/* the first boundary after the params' NUL, as the kernel writes it */
	l = NULL;
	n = 0;
	spec->next = (uint32_t)ALIGN8(sizeof(*spec) + strlen("7:0 0") + 1);
	CHECK(dm_answer_lines(&a.io, &l, &n));
	CHECK_INT(n, 2);
	free_lines(l, n);
}
