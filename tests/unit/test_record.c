// SPDX-License-Identifier: GPL-2.0
/*
 * JSON files described by field tables (model/record.h) in the shape of the
 * clean journal: a bare array of records, written with any bytes in names and
 * read back byte for byte; files written by older versions (pretty-printed,
 * raw bytes that are not UTF-8) still read.
 */
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "jtree.h"
#include "model/record.h"
#include "model/state.h"
#include "lib/fileio.h"
#include "lib/util.h"

struct entry {
	char *name;
	uint32_t minor;
	char *vg;
	struct dm_line *table;
	size_t n_table;
};

static const struct field entry_fields[] = {
	FSTR(struct entry, name, "name"),
	FINT(struct entry, minor, "minor", 0, (1 << 20) - 1),
	FSTR_NULL(struct entry, vg, "vg"),
	FRECS(struct entry, table, n_table, "table", dm_line_desc),
};
static const struct record_desc entry_desc = RECORD(struct entry, entry_fields, NULL);

struct doc {
	struct entry *entries;
	size_t n_entries;
};

static const struct field doc_fields[] = {
	FRECS(struct doc, entries, n_entries, "entries", entry_desc),
};
static const struct record_desc doc_desc = {
	.size = sizeof(struct doc), .fields = doc_fields, .n_fields = 1, .array_root = true,
};

static int write_cb(FILE *f, void *doc)
{
	return records_write(f, &doc_desc, doc);
}

static char *temp_path(void)
{
	char *path = xstrdup("/tmp/dmwatch-test-record-XXXXXX");
	int fd = mkstemp(path);

	if (fd >= 0)
		close(fd);
	return path;
}

TEST(record_array_root_round_trip)
{
	static const char *const names[] = { "plain", "ctl\001\002\377", "esc\033]0;t\007", "\xc3" };
	struct doc doc = {}, back;
	char *path = temp_path(), *text = NULL, *err = NULL, why[256];
	yajl_val root;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct entry *e = array_push(&doc.entries, &doc.n_entries, sizeof(*e));
		struct dm_line *l = array_push(&e->table, &e->n_table, sizeof(*l));

		e->name = xstrdup(names[i]);
		e->minor = i;
		e->vg = i ? xstrdup("pve") : NULL;
		l->start = i;
		l->length = 8;
		l->type = xstrdup("linear");
		l->params = xstrdup(names[i]);
	}
	CHECK_INT(write_file_atomic_with(path, 0600, write_cb, &doc), 0);
	CHECK_INT(read_file(path, &text, NULL, 1 << 20), 0);
	root = text ? jt_parse(text, why, sizeof(why)) : NULL;
	if (!root)
		FAIL_AT("not strict UTF-8 JSON: %s", why);
	CHECK_INT(jt_len(root), ARRAY_SIZE(names));
	CHECK_STR(jt_str(jt_at(root, 1), "name"), "ctl\001\002\xef\xbf\xbd");
	CHECK_STR(jt_str(jt_at(root, 1), "name_hex"), "63746c0102ff");
	CHECK(!jt_has(jt_at(root, 2), "name_hex"));	/* valid UTF-8, however odd */
	yajl_tree_free(root);
	if (records_read(path, "journal", &doc_desc, &back, &err)) {
		FAIL_AT("read back: %s", err);
		free(err);
		goto cleanup;
	}
	CHECK_INT(back.n_entries, doc.n_entries);
	for (size_t i = 0; i < back.n_entries && i < doc.n_entries; i++) {
		CHECK_STR(back.entries[i].name, names[i]);
		CHECK_STR(back.entries[i].table[0].params, names[i]);
		CHECK_INT(back.entries[i].minor, i);
		CHECK(!back.entries[i].vg == !i);
	}
	records_free(&doc_desc, &back);
cleanup:
	records_free(&doc_desc, &doc);
	free(text);
	unlink(path);
	free(path);
}

/* what json-c wrote: pretty, raw bytes that are not UTF-8 */
TEST(record_reads_old_files)
{
	static const char old[] =
		"[\n  {\n    \"name\": \"vm\xff\",\n    \"minor\": 3,\n    \"vg\": null,\n"
		"    \"table\": [\n      {\n        \"start\": 0,\n        \"length\": 8,\n"
		"        \"type\": \"linear\",\n        \"params\": \"8:0 0\"\n      }\n    ]\n  }\n]\n";
	char *path = temp_path(), *err = NULL;
	struct doc back;

	CHECK_INT(write_file_atomic(path, old, sizeof(old) - 1, 0600), 0);
	if (records_read(path, "journal", &doc_desc, &back, &err)) {
		FAIL_AT("old file: %s", err);
		free(err);
	} else {
		CHECK_INT(back.n_entries, 1);
		CHECK_STR(back.entries[0].name, "vm\377");
		CHECK_NULL(back.entries[0].vg);
		records_free(&doc_desc, &back);
	}
	unlink(path);
	free(path);
}

static void expect_error(int *failed__, const char *text, const char *expect)
{
	char *path = temp_path(), *err = NULL;
	struct doc back;

	CHECK_INT(write_file_atomic(path, text, strlen(text), 0600), 0);
	if (!records_read(path, "journal", &doc_desc, &back, &err)) {
		FAIL_AT("accepted: %s", text);
		records_free(&doc_desc, &back);
	} else if (!err || !strstr(err, expect) || strchr(err, '\n')) {
		FAIL_AT("error \"%s\" does not say \"%s\"", err ? err : "(none)", expect);
	} else {
		CHECK(back.entries == NULL && back.n_entries == 0);
	}
	free(err);
	unlink(path);
	free(path);
}

TEST(record_array_root_errors)
{
	expect_error(failed__, "{\"entries\":[]}", "not a journal (top level is not an array)");
	expect_error(failed__, "[{\"minor\":1,\"table\":[]}]", "entries[0].name: missing");
	expect_error(failed__, "[{\"name\":\"a\\u0000b\",\"minor\":1,\"table\":[]}]",
		     "entries[0].name: holds \\u0000");
	expect_error(failed__, "[{\"name\":\"a\",\"name_hex\":\"6\",\"minor\":1,\"table\":[]}]",
		     "entries[0].name_hex: odd number of hex digits");
	expect_error(failed__, "[1]", "entries[0]: element is not an object");
	expect_error(failed__, "[] []", "not valid JSON (trailing garbage");
}
