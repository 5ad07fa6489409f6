// SPDX-License-Identifier: GPL-2.0
/* The clean journal's format, written and read through one field table (journal.h). */
#include <stdlib.h>
#include "cmd/journal.h"
#include "lib/fileio.h"
#include "lib/util.h"
#include "model/record.h"

static const struct field entry_fields[] = {
	FSTR_NULL(struct journal_entry, time, "time"),
	FSTR(struct journal_entry, name, "name"),
	FSTR_NULL(struct journal_entry, uuid, "uuid"),
	FINT(struct journal_entry, major, "major", 0, 4095),
	FINT(struct journal_entry, minor, "minor", 0, (1 << 20) - 1),
	FBOOL(struct journal_entry, read_only, "read_only"),
	/* written only when true: journals of plain names stay as they were */
	{ .key = "name_unmangled", .kind = FK_BOOL, .optional = true, .omit_false = true,
	  .off = offsetof(struct journal_entry, name_unmangled) },
	FSTR_NULL(struct journal_entry, cls, "class"),
	FSTR_NULL(struct journal_entry, reason, "reason"),
	FSTR_NULL(struct journal_entry, detail, "detail"),
	FSTR(struct journal_entry, action, "action"),
	FSTR_NULL(struct journal_entry, vg, "vg"),
	FSTR_NULL(struct journal_entry, lv, "lv"),
	FRECS(struct journal_entry, table, n_table, "table", dm_line_desc),
};
static const struct record_desc entry_desc = RECORD(struct journal_entry, entry_fields, NULL);

static const struct field journal_fields[] = {
	FRECS(struct journal, entries, n_entries, "entries", entry_desc),
};
static const struct record_desc journal_desc = {
	.size = sizeof(struct journal), .fields = journal_fields,
	.n_fields = ARRAY_SIZE(journal_fields), .array_root = true,
};

static int write_journal_cb(FILE *f, void *j)
{
	return records_write(f, &journal_desc, j);
}

int journal_save(const struct journal *j)
{
	return write_file_atomic_with(j->path, 0600, write_journal_cb, (void *)j);
}

int journal_read(const char *path, struct journal *j, char **err)
{
	return records_read(path, "dmwatch clean journal", &journal_desc, j, err);
}

void journal_free(struct journal *j)
{
	char *path = j->path;

	records_free(&journal_desc, j);
	free(path);
	j->path = NULL;
}
