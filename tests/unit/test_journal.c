// SPDX-License-Identifier: GPL-2.0
/* restore's check of a journal entry: what a hostile journal may not get through. */
#include <stdlib.h>
#include "test.h"
#include "cmd/clean.h"
#include "lib/util.h"

static struct dm_line line(uint64_t start, uint64_t length, const char *type, const char *params)
{
	return (struct dm_line){ start, length, (char *)type, (char *)params };
}

/* NULL when the entry is fine, else whether the reason mentions `needle` */
static bool refused_for(const struct journal_entry *e, const char *needle)
{
	char *why = journal_entry_problem(e);
	bool match = why && strstr(why, needle);

	free(why);
	return match;
}

TEST(journal_entry_checks)
{
	struct dm_line ok2[2] = { line(0, 8, "linear", "7:0 0"), line(8, 8, "linear", "7:1 0") };
	struct dm_line gap[2] = { line(0, 8, "linear", "7:0 0"), line(16, 8, "linear", "7:1 0") };
	struct dm_line late[1] = { line(8, 8, "linear", "7:0 0") };
	struct dm_line nl[1] = { line(0, 8, "linear", "7:0 0\n0 8 linear /dev/sda 0") };
	struct dm_line semi[1] = { line(0, 8, "linear;rm", "7:0 0") };
	struct dm_line empty[1] = { line(0, 0, "linear", "7:0 0") };
	struct dm_line wrap[2] = { line(0, UINT64_MAX, "linear", "7:0 0"), line(UINT64_MAX, 2, "zero", "") };
	const char *lvm_uuid = "LVM-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
	struct journal_entry dm = { .name = "pve-vm--101--disk--0-dup", .uuid = "",
				    .action = "dm-remove", .table = ok2, .n_table = 2 };
	struct journal_entry lv = { .name = "pve-vm--104--disk--0", .uuid = (char *)lvm_uuid,
				    .action = "lvchange-an", .vg = "pve", .lv = "vm-104-disk-0" };
	struct journal_entry e;
	char *why;

	why = journal_entry_problem(&dm);
	CHECK_NULL(why);
	free(why);
	why = journal_entry_problem(&lv);
	CHECK_NULL(why);
	free(why);

	e = dm; e.name = "../../dev/sda";	CHECK(refused_for(&e, "dm name"));
	e = dm; e.name = "x\nforged";		CHECK(refused_for(&e, "dm name"));
	e = dm; e.name = "";			CHECK(refused_for(&e, "dm name"));
	e = dm; e.name = NULL;			CHECK(refused_for(&e, "dm name"));
	e = dm; e.name = "..";			CHECK(refused_for(&e, "dm name"));
	/* a name the kernel held raw comes back with its bytes; '/' never */
	e = dm; e.name = "odd \x01\xff"; e.name_unmangled = true;	CHECK_NULL(journal_entry_problem(&e));
	e = dm; e.name = "odd \x01\xff";	CHECK(refused_for(&e, "dm name"));
	e = dm; e.name = "a/b"; e.name_unmangled = true;	CHECK(refused_for(&e, "dm name"));
	e = dm; e.uuid = "a b";			CHECK(refused_for(&e, "uuid"));
	e = dm; e.uuid = NULL;			CHECK(refused_for(&e, "uuid"));
	e = dm; e.action = "format";		CHECK(refused_for(&e, "action"));
	e = dm; e.action = NULL;		CHECK(refused_for(&e, "action"));
	e = dm; e.table = gap;			CHECK(refused_for(&e, "line 2"));
	e = dm; e.table = late; e.n_table = 1;	CHECK(refused_for(&e, "line 1"));
	e = dm; e.table = nl; e.n_table = 1;	CHECK(refused_for(&e, "parameters"));
	e = dm; e.table = semi; e.n_table = 1;	CHECK(refused_for(&e, "target type"));
	e = dm; e.table = empty; e.n_table = 1;	CHECK(refused_for(&e, "line 1"));
	e = dm; e.table = wrap;			CHECK(refused_for(&e, "line"));
	e = dm; e.n_table = 0;			CHECK(refused_for(&e, "no lines"));
	/* names an LVM tool would take for options or the shell for a command */
	e = lv; e.vg = "--config=x";		CHECK(refused_for(&e, "VG or LV name"));
	e = lv; e.lv = "$(reboot)";		CHECK(refused_for(&e, "VG or LV name"));
	e = lv; e.lv = NULL;			CHECK(refused_for(&e, "VG or LV name"));
	e = lv; e.uuid = "";			CHECK(refused_for(&e, "uuid"));
	e = lv; e.uuid = "LVM-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB-tpool";
	CHECK(refused_for(&e, "uuid"));
}
