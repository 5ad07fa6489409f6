/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON files described by tables: each record type (a struct) is described once,
 * by a table of its fields, and that one table drives the writer, the reader and
 * the freeing. Used by the saved state (state.c) and the clean journal.
 *
 * The file is strict JSON, compact, with one element of each top-level array per
 * line (greppable, diffable; `jq .` shows it indented). Text is written by
 * jsongen.h's rule: valid UTF-8 always, and a text field that is not UTF-8 gets
 * a companion "<key>_hex" with its exact bytes, which the reader prefers.
 *
 * The reader is event driven (yajl): values go straight into the structs as the
 * parser meets them, with no document tree in between (a 10,000-device state is
 * ~10 MB; a tree of it costs more than a whole scan may). It checks every field's
 * type and range, so a hand-edited or truncated file gives a one-line reason
 * naming the element ("devices[3].name: missing"), never a crash.
 */
#ifndef DMWATCH_RECORD_H
#define DMWATCH_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum field_kind {
	FK_STR,			/* string; null counts as missing */
	FK_STR_NULL,		/* string or null (stored as NULL) */
	FK_INT,			/* integer within [min, max], stored in `size` bytes; signed if min < 0 */
	FK_U64,			/* integer >= 0 */
	FK_BOOL,
	FK_PERCENT,		/* number or null (NaN) */
	FK_ENUM,		/* one of names[], stored as its index (an int) */
	FK_RECORDS,		/* array of objects described by `sub` */
	FK_U64S,		/* array of integers >= 0 */
	FK_LITERAL,		/* written as `literal`, not stored; its value is not checked on read */
};

struct record_desc;

struct field {
	const char *key;
	enum field_kind kind;
	bool optional;		/* may be missing (and null) */
	bool version;		/* FK_INT: written as min (= max); another value is "unsupported" */
	bool omit_false;	/* FK_BOOL, optional: written only when true (older files stay byte-equal) */
	size_t off;		/* offset of the value in the record */
	size_t count_off;	/* FK_RECORDS, FK_U64S: offset of the element count */
	int size;		/* FK_INT: 4 or 8 */
	int64_t min, max;	/* FK_INT */
	const struct record_desc *sub;		/* FK_RECORDS */
	const char *const *names;		/* FK_ENUM */
	size_t n_names;
	const char *literal;			/* FK_LITERAL */
};

struct record_desc {
	size_t size;
	const struct field *fields;	/* at most 32 */
	size_t n_fields;
	/* whole-record checks once every field is in; returns a reason or NULL */
	const char *(*check)(const void *item, const char **key);
	/* the document is a bare array: this record's one field, FK_RECORDS */
	bool array_root;
};

#define FSTR(T, m, k)		{ .key = k, .kind = FK_STR, .off = offsetof(T, m) }
#define FSTR_NULL(T, m, k)	{ .key = k, .kind = FK_STR_NULL, .optional = true, .off = offsetof(T, m) }
#define FINT(T, m, k, lo, hi)	{ .key = k, .kind = FK_INT, .off = offsetof(T, m), \
				  .size = sizeof(((T *)0)->m), .min = lo, .max = hi }
#define FU64(T, m, k)		{ .key = k, .kind = FK_U64, .off = offsetof(T, m) }
#define FBOOL(T, m, k)		{ .key = k, .kind = FK_BOOL, .off = offsetof(T, m) }
#define FPERCENT(T, m, k)	{ .key = k, .kind = FK_PERCENT, .optional = true, .off = offsetof(T, m) }
#define FENUM(T, m, k, tab)	{ .key = k, .kind = FK_ENUM, .off = offsetof(T, m), \
				  .names = tab, .n_names = ARRAY_SIZE(tab) }
#define FRECS(T, m, n, k, d)	{ .key = k, .kind = FK_RECORDS, .off = offsetof(T, m), \
				  .count_off = offsetof(T, n), .sub = &d }
#define FU64S(T, m, n, k)	{ .key = k, .kind = FK_U64S, .off = offsetof(T, m), \
				  .count_off = offsetof(T, n) }
#define FLITERAL(k, text)	{ .key = k, .kind = FK_LITERAL, .optional = true, .literal = text }
#define FVERSION(T, m, k, v)	{ .key = k, .kind = FK_INT, .version = true, .off = offsetof(T, m), \
				  .size = sizeof(((T *)0)->m), .min = v, .max = v }
#define RECORD(T, tab, chk)	{ .size = sizeof(T), .fields = tab, .n_fields = ARRAY_SIZE(tab), \
				  .check = chk }

/* Writes item as described; returns 0 or -EIO. */
int records_write(FILE *f, const struct record_desc *root, const void *item);

/*
 * Reads path into item (zeroed first); `what` names the file kind in errors
 * ("dmwatch state"). Returns 0 or -errno with *err a one-line reason; on
 * failure item holds nothing to free.
 */
int records_read(const char *path, const char *what, const struct record_desc *root,
		 void *item, char **err);

/* Frees every string and array the table describes (not item itself). */
void records_free(const struct record_desc *desc, void *item);

#endif /* DMWATCH_RECORD_H */
