// SPDX-License-Identifier: GPL-2.0
/* JSON files described by field tables: writer, reader and freeing (record.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>
#include "model/record.h"
#include "model/jsongen.h"
#include "lib/util.h"

static void *at(const void *item, size_t off)
{
	return (char *)item + off;
}

static size_t count_of(const struct field *fl, const void *item)
{
	return *(const size_t *)at(item, fl->count_off);
}

static bool is_text(const struct field *fl)
{
	return fl->kind == FK_STR || fl->kind == FK_STR_NULL;
}

static bool is_array(const struct field *fl)
{
	return fl->kind == FK_RECORDS || fl->kind == FK_U64S;
}

/* ---- free ---- */

void records_free(const struct record_desc *desc, void *item)
{
	for (size_t i = 0; i < desc->n_fields; i++) {
		const struct field *fl = &desc->fields[i];
		void **p = at(item, fl->off);

		if (is_text(fl) || fl->kind == FK_U64S) {
			free(*p);
		} else if (fl->kind == FK_RECORDS) {
			for (size_t k = 0; k < count_of(fl, item); k++)
				records_free(fl->sub, (char *)*p + k * fl->sub->size);
			free(*p);
		}
	}
}

/* ---- write ---- */

static long long int_value(const struct field *fl, const void *item)
{
	const void *p = at(item, fl->off);
	int64_t v64;
	int32_t v32;
	uint32_t u32;

	if (fl->version)
		return fl->min;
	if (fl->size == 8) {
		memcpy(&v64, p, 8);
		return v64;
	}
	if (fl->min < 0) {
		memcpy(&v32, p, 4);
		return v32;
	}
	memcpy(&u32, p, 4);
	return u32;
}

static void write_record(yajl_gen g, const struct record_desc *d, const void *item);

static void write_element(yajl_gen g, const struct field *fl, const void *item, size_t i)
{
	const char *base = *(char *const *)at(item, fl->off);

	if (fl->kind == FK_RECORDS)
		write_record(g, fl->sub, base + i * fl->sub->size);
	else
		jg_u64_value(g, ((const uint64_t *)base)[i]);
}

/* one field's value, compact (arrays inline) */
static void write_value(yajl_gen g, const struct field *fl, const void *item)
{
	const void *p = at(item, fl->off);
	int e;

	switch (fl->kind) {
	case FK_STR:
	case FK_STR_NULL:
		jg_text(g, *(char *const *)p);
		break;
	case FK_INT:
		yajl_gen_integer(g, int_value(fl, item));
		break;
	case FK_U64:
		jg_u64_value(g, *(const uint64_t *)p);
		break;
	case FK_BOOL:
		yajl_gen_bool(g, *(const bool *)p);
		break;
	case FK_PERCENT:
		jg_double_value(g, *(const double *)p);
		break;
	case FK_ENUM:
		e = *(const int *)p;
		jg_text(g, e >= 0 && (size_t)e < fl->n_names ? fl->names[e] : NULL);
		break;
	case FK_LITERAL:
		jg_text(g, fl->literal);
		break;
	case FK_RECORDS:
	case FK_U64S:
		yajl_gen_array_open(g);
		for (size_t i = 0; i < count_of(fl, item); i++)
			write_element(g, fl, item, i);
		yajl_gen_array_close(g);
		break;
	}
}

static void write_record(yajl_gen g, const struct record_desc *d, const void *item)
{
	yajl_gen_map_open(g);
	for (size_t i = 0; i < d->n_fields; i++) {
		const struct field *fl = &d->fields[i];

		if (fl->omit_false && !*(const bool *)at(item, fl->off))
			continue;
		if (is_text(fl)) {
			jg_exact(g, fl->key, *(char *const *)at(item, fl->off));
		} else {
			jg_key(g, fl->key);
			write_value(g, fl, item);
		}
	}
	yajl_gen_map_close(g);
}

/* A top-level array: one element per line, each made by a fresh generator run */
static void write_top_array(FILE *f, yajl_gen g, const struct field *fl, const void *item)
{
	size_t n = count_of(fl, item);

	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", f);
		yajl_gen_reset(g, NULL);
		write_element(g, fl, item, i);
		jg_flush(g, f);
	}
	fputs(n ? "\n]" : "]", f);
}

static void write_top_value(FILE *f, yajl_gen g, const struct field *fl, const void *item)
{
	const char *s = is_text(fl) ? *(char *const *)at(item, fl->off) : NULL;

	yajl_gen_reset(g, NULL);
	write_value(g, fl, item);
	jg_flush(g, f);
	if (jg_needs_hex(s)) {
		char *hex = jg_hex(s);

		fprintf(f, ",\n\"%s" JG_HEX_SUFFIX "\":\"%s\"", fl->key, hex);
		free(hex);
	}
}

/*
 * yajl_gen has no "one element per line" layout: the top level's separators
 * are written here and each value in it is generated on its own.
 */
int records_write(FILE *f, const struct record_desc *root, const void *item)
{
	yajl_gen g = jg_new();

	if (root->array_root) {
		write_top_array(f, g, &root->fields[0], item);
		fputc('\n', f);
		goto cleanup;
	}
	fputc('{', f);
	for (size_t i = 0; i < root->n_fields; i++) {
		const struct field *fl = &root->fields[i];

		fprintf(f, "%s\n\"%s\":", i ? "," : "", fl->key);
		if (is_array(fl))
			write_top_array(f, g, fl, item);
		else
			write_top_value(f, g, fl, item);
	}
	fputs("\n}\n", f);
cleanup:
	yajl_gen_free(g);
	return ferror(f) ? -EIO : 0;
}

/* ---- read ---- */

/* a state is at most state -> devices -> device -> table -> line deep */
#define LOAD_MAX_DEPTH 8
#define FIELD_NONE	-1	/* between key and value: no key read yet */
#define FIELD_UNKNOWN	-2	/* a key no record has: its value is skipped */

struct load_frame {
	const struct record_desc *rec;	/* object frame: what is being filled */
	void *item;
	uint32_t seen;			/* bit per field of rec */
	uint32_t seen_hex;		/* bit per text field whose "<key>_hex" came */
	int field;			/* index into rec->fields, or FIELD_* */
	bool hex;			/* the value is field's "<key>_hex" companion */
	size_t next;			/* where cb_key starts looking */
	const struct field *array;	/* array frame: the field it belongs to */
	void *owner;			/* array frame: the record holding the array */
};

struct loader {
	const struct record_desc *root;
	void *item;
	struct load_frame frames[LOAD_MAX_DEPTH];
	int depth;			/* frames in use */
	int skip;			/* nesting depth inside a skipped value */
	bool started;
	bool wrong_root;		/* the document is JSON, but not an object (array) */
	char *err;			/* first error, "path: reason" */
};

static size_t *array_count(const struct load_frame *f)
{
	return at(f->owner, f->array->count_off);
}

/* "devices[3].table[0].start" for the value being read */
static char *load_path(const struct loader *ld, const char *key)
{
	char *path = xstrdup(""), *p;

	for (int i = 0; i < ld->depth; i++) {
		const struct load_frame *f = &ld->frames[i];
		size_t n;

		if (!f->array)
			continue;
		/* the frame above an array is its last element; at the top, the next one */
		n = *array_count(f);
		p = xasprintf("%s%s%s[%zu]", path, *path ? "." : "", f->array->key,
			      i == ld->depth - 1 || !n ? n : n - 1);
		free(path);
		path = p;
	}
	if (key) {
		p = xasprintf("%s%s%s", path, *path ? "." : "", key);
		free(path);
		path = p;
	}
	return path;
}

/* Records the first error and stops the parser (callbacks return 0). */
static int load_fail(struct loader *ld, const char *key, const char *why)
{
	if (!ld->err) {
		char *path = load_path(ld, key);

		ld->err = xasprintf("%s: %s", *path ? path : "top level", why);
		free(path);
	}
	return 0;
}

static struct load_frame *top(struct loader *ld)
{
	return &ld->frames[ld->depth - 1];
}

/* The field a value in an object frame goes to; NULL if the value is skipped. */
static const struct field *cur_field(struct loader *ld)
{
	struct load_frame *f = top(ld);

	return f->field >= 0 ? &f->rec->fields[f->field] : NULL;
}

static int push_frame(struct loader *ld, const struct load_frame *f)
{
	if (ld->depth == LOAD_MAX_DEPTH)
		return load_fail(ld, NULL, "nested too deep");
	ld->frames[ld->depth++] = *f;
	return 1;
}

static void *record_new(void *owner, const struct field *fl)
{
	void *slot = array_push(at(owner, fl->off), at(owner, fl->count_off), fl->sub->size);

	for (size_t i = 0; i < fl->sub->n_fields; i++)
		if (fl->sub->fields[i].kind == FK_PERCENT)
			*(double *)at(slot, fl->sub->fields[i].off) = NAN;
	return slot;
}

/* JSON number text into num (NUL terminated); false when too long to be in range */
static bool number_text(char *num, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return false;
	memcpy(num, s, len);
	num[len] = 0;
	return true;
}

/* an element of an FK_U64S array */
static int load_element(struct loader *ld, struct load_frame *f, int kind, const char *s,
			size_t len)
{
	uint64_t *dep, v;
	char num[64];

	if (f->array->kind != FK_U64S)
		return load_fail(ld, NULL, "element is not an object");
	if (kind != FK_INT || !number_text(num, sizeof(num), s, len) || strpbrk(num, "-.eE"))
		return load_fail(ld, NULL, "not a number >= 0");
	errno = 0;
	v = strtoull(num, NULL, 10);
	if (errno)
		return load_fail(ld, NULL, "out of range");
	dep = array_push(at(f->owner, f->array->off), array_count(f), sizeof(*dep));
	*dep = v;
	return 1;
}

static int load_int(struct loader *ld, const struct field *fl, void *dst, const char *num)
{
	long long v;
	char why[80];

	errno = 0;
	v = strtoll(num, NULL, 10);
	if (fl->version && v != fl->min) {
		snprintf(why, sizeof(why), "unsupported version (this dmwatch reads %lld)",
			 (long long)fl->min);
		return load_fail(ld, fl->key, why);
	}
	if (errno || v < fl->min || v > fl->max)
		return load_fail(ld, fl->key, "out of range");
	if (fl->size == 8) {
		int64_t v64 = v;

		memcpy(dst, &v64, 8);
	} else {
		uint32_t v32 = (uint32_t)v;	/* int32 and uint32 alike */

		memcpy(dst, &v32, 4);
	}
	return 1;
}

/* a JSON number for an FK_INT, FK_U64 or FK_PERCENT field */
static int load_number(struct loader *ld, const struct field *fl, void *dst, const char *s,
		       size_t len)
{
	char num[64];
	double d;

	if (!number_text(num, sizeof(num), s, len))
		return load_fail(ld, fl->key, "out of range");
	if (fl->kind == FK_PERCENT) {
		d = strtod(num, NULL);
		/* an infinity would save as a word JSON does not have */
		if (isinf(d))
			return load_fail(ld, fl->key, "out of range");
		*(double *)dst = d;
		return 1;
	}
	if (strpbrk(num, ".eE"))
		return load_fail(ld, fl->key, "wrong type");
	if (fl->kind == FK_INT)
		return load_int(ld, fl, dst, num);
	errno = 0;
	if (num[0] == '-' && strtoll(num, NULL, 10) != 0)
		return load_fail(ld, fl->key, "negative or out of range");
	*(uint64_t *)dst = num[0] == '-' ? 0 : strtoull(num, NULL, 10);
	if (errno)
		return load_fail(ld, fl->key, "negative or out of range");
	return 1;
}

static int load_enum(struct loader *ld, const struct field *fl, void *dst, const char *s,
		     size_t len)
{
	for (size_t i = 0; i < fl->n_names; i++) {
		if (fl->names[i] && strlen(fl->names[i]) == len && !memcmp(fl->names[i], s, len)) {
			*(int *)dst = i;
			return 1;
		}
	}
	return load_fail(ld, fl->key, "unknown");
}

/* a JSON string for a text field, or (f->hex) its "<key>_hex" companion */
static int load_text(struct loader *ld, struct load_frame *f, const struct field *fl,
		     char **dst, const char *s, size_t len)
{
	char key[64], *bytes;
	const char *why;

	snprintf(key, sizeof(key), "%s%s", fl->key, f->hex ? JG_HEX_SUFFIX : "");
	/* yajl decodes \u0000 to a NUL byte, where a C string would silently end */
	if (memchr(s, 0, len))
		return load_fail(ld, key, "holds \\u0000 (a NUL byte), which no name or text can");
	if (f->hex) {
		why = jg_hex_decode(s, len, &bytes);
		if (why)
			return load_fail(ld, key, why);
		free(*dst);	/* the exact bytes win over the text shown */
		*dst = bytes;
		return 1;
	}
	if (f->seen_hex & (1u << f->field))
		return 1;
	*dst = xstrndup(s, len);
	return 1;
}

/*
 * A scalar arrived. `kind` is what the JSON holds: FK_STR, FK_BOOL, FK_INT (a
 * number, text in s/len) or -1 for null. Returns 1 to go on, 0 on error.
 */
static int load_scalar(struct loader *ld, int kind, const char *s, size_t len, bool b)
{
	struct load_frame *f;
	const struct field *fl;
	void *dst;
	bool hex;

	if (!ld->depth) {
		ld->wrong_root = true;
		return 0;
	}
	if (ld->skip)
		return 1;
	f = top(ld);
	if (f->array)
		return load_element(ld, f, kind, s, len);
	fl = cur_field(ld);
	hex = f->hex;
	if (!fl) {
		f->field = FIELD_NONE;
		return 1;
	}
	dst = at(f->item, fl->off);
	if (hex && kind != FK_STR)
		return load_fail(ld, fl->key, "wrong type of its " JG_HEX_SUFFIX " companion");
	if (kind == FK_STR && is_text(fl)) {
		int ret = load_text(ld, f, fl, dst, s, len);

		f->field = FIELD_NONE;
		return ret;
	}
	f->field = FIELD_NONE;
	if (kind == -1) {
		if (!fl->optional)
			return load_fail(ld, fl->key, "missing");
		if (fl->kind == FK_PERCENT)
			*(double *)dst = NAN;
		return 1;	/* strings stay NULL, numbers and bools 0 */
	}
	if (kind == FK_STR && fl->kind == FK_ENUM)
		return load_enum(ld, fl, dst, s, len);
	if (kind == FK_BOOL && fl->kind == FK_BOOL) {
		*(bool *)dst = b;
		return 1;
	}
	if (kind == FK_INT && (fl->kind == FK_INT || fl->kind == FK_U64 || fl->kind == FK_PERCENT))
		return load_number(ld, fl, dst, s, len);
	return load_fail(ld, fl->key, "wrong type");
}

static int cb_null(void *ctx)
{
	return load_scalar(ctx, -1, NULL, 0, false);
}

static int cb_bool(void *ctx, int b)
{
	return load_scalar(ctx, FK_BOOL, NULL, 0, b);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	return load_scalar(ctx, FK_INT, s, len, false);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	return load_scalar(ctx, FK_STR, (const char *)s, len, false);
}

/*
 * A '{' or '[' that no frame takes: at the top level after the document (not
 * one of ours, then), inside a skipped value, or as the value of an unknown key
 * (where skipping starts). Returns what the callback returns, or -1 when a frame
 * takes it.
 */
static int open_untracked(struct loader *ld)
{
	if (!ld->depth) {
		ld->wrong_root = true;
		return 0;
	}
	if (ld->skip || top(ld)->field == FIELD_UNKNOWN) {
		ld->skip++;
		return 1;
	}
	return -1;
}

static int push_root(struct loader *ld)
{
	struct load_frame root = { .rec = ld->root, .item = ld->item, .field = FIELD_NONE };

	ld->started = true;
	if (ld->root->array_root) {
		/* the bare array is the value of the root's one field */
		root.field = 0;
		root.seen = 1;
	}
	return push_frame(ld, &root);
}

static int cb_start_map(void *ctx)
{
	struct loader *ld = ctx;
	struct load_frame *f, next = { .field = FIELD_NONE };
	int ret;

	if (!ld->started && !ld->root->array_root)
		return push_root(ld);
	if ((ret = open_untracked(ld)) >= 0)
		return ret;
	f = top(ld);
	if (f->array) {
		if (f->array->kind != FK_RECORDS)
			return load_fail(ld, NULL, "not a number >= 0");
		next.rec = f->array->sub;
		next.item = record_new(f->owner, f->array);
		return push_frame(ld, &next);
	}
	return load_fail(ld, cur_field(ld)->key, "wrong type");
}

/* the field named key[0..len), or its "<key>_hex" companion; FIELD_UNKNOWN */
static int find_field(struct load_frame *f, const char *key, size_t len, bool *hex)
{
	const size_t sl = strlen(JG_HEX_SUFFIX);

	*hex = false;
	/* keys come in table order in a saved file: start looking after the last one */
	for (size_t n = 0, i = f->next; n < f->rec->n_fields; n++, i++) {
		const char *k;

		if (i == f->rec->n_fields)
			i = 0;
		k = f->rec->fields[i].key;
		if (!strncmp(k, key, len) && !k[len])
			return i;
	}
	if (len <= sl || memcmp(key + len - sl, JG_HEX_SUFFIX, sl))
		return FIELD_UNKNOWN;
	for (size_t i = 0; i < f->rec->n_fields; i++) {
		const struct field *fl = &f->rec->fields[i];

		if (is_text(fl) && !strncmp(fl->key, key, len - sl) && !fl->key[len - sl]) {
			*hex = true;
			return i;
		}
	}
	return FIELD_UNKNOWN;
}

static int cb_key(void *ctx, const unsigned char *key, size_t len)
{
	struct loader *ld = ctx;
	struct load_frame *f;
	uint32_t *seen;
	int i;

	if (ld->skip)
		return 1;
	f = top(ld);
	i = find_field(f, (const char *)key, len, &f->hex);
	f->field = i;
	if (i < 0 || f->rec->fields[i].kind == FK_LITERAL) {
		f->field = FIELD_UNKNOWN;	/* a literal's value is not ours to check */
		return 1;
	}
	seen = f->hex ? &f->seen_hex : &f->seen;
	/* a reader that lets the last of two equal keys win hides which one was meant */
	if (*seen & (1u << i)) {
		char k[64];

		snprintf(k, sizeof(k), "%.*s", (int)len, (const char *)key);
		return load_fail(ld, k, "given twice");
	}
	*seen |= 1u << i;
	if (!f->hex)
		f->next = i + 1;
	return 1;
}

/* every field of the record in top frame is in: check it and pop the frame */
static int finish_record(struct loader *ld)
{
	struct load_frame *f = top(ld);
	const char *why, *key = NULL;

	for (size_t i = 0; i < f->rec->n_fields; i++)
		if (!((f->seen | f->seen_hex) & (1u << i)) && !f->rec->fields[i].optional)
			return load_fail(ld, f->rec->fields[i].key, "missing");
	if (f->rec->check && (why = f->rec->check(f->item, &key)))
		return load_fail(ld, key, why);
	ld->depth--;
	if (ld->depth)
		top(ld)->field = FIELD_NONE;
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct loader *ld = ctx;

	if (ld->skip) {
		ld->skip--;
		return 1;
	}
	return finish_record(ld);
}

static int cb_start_array(void *ctx)
{
	struct loader *ld = ctx;
	struct load_frame *f, next = { .field = FIELD_NONE };
	const struct field *fl;
	int ret;

	if (!ld->started && ld->root->array_root && !push_root(ld))
		return 0;
	if ((ret = open_untracked(ld)) >= 0)
		return ret;
	f = top(ld);
	if (f->array)
		return load_fail(ld, NULL, f->array->kind == FK_RECORDS ?
				 "element is not an object" : "not a number >= 0");
	fl = cur_field(ld);
	if (!is_array(fl))
		return load_fail(ld, fl->key, "wrong type");
	next.array = fl;
	next.owner = f->item;
	return push_frame(ld, &next);
}

static int cb_end_array(void *ctx)
{
	struct loader *ld = ctx;

	if (ld->skip) {
		ld->skip--;
		return 1;
	}
	ld->depth--;
	top(ld)->field = FIELD_NONE;
	if (ld->depth == 1 && ld->root->array_root)
		return finish_record(ld);
	return 1;
}

static const yajl_callbacks load_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

/* yajl's own message, on one line, without its "parse error: " prefix */
static char *syntax_error(yajl_handle h)
{
	unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
	char *s = xstrdup((char *)msg), *p = s;

	yajl_free_error(h, msg);
	if (!strncmp(p, "parse error: ", 13))
		p += 13;
	else if (!strncmp(p, "lexical error: ", 15))
		p += 15;
	memmove(s, p, strlen(p) + 1);
	for (p = s; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	p = xstrdup(strtrim(s));
	free(s);
	return p;
}

/* the one-line reason of a finished parse, or NULL when it succeeded */
static char *read_error(struct loader *ld, yajl_handle h, yajl_status ys, const char *path,
			const char *what, size_t offset)
{
	char *why, *msg;

	if (ld->wrong_root)
		return xasprintf("%s: not a %s (top level is not an %s)", path, what,
				 ld->root->array_root ? "array" : "object");
	if (ld->err)
		return xasprintf("%s: not a valid %s: %s", path, what, ld->err);
	if (ys == yajl_status_ok)
		return NULL;
	why = syntax_error(h);
	if (!strcmp(why, "premature EOF"))
		msg = xasprintf("%s: not valid JSON (truncated or empty)", path);
	else
		msg = xasprintf("%s: not valid JSON (%s at byte %zu)", path, why,
				offset + yajl_get_bytes_consumed(h));
	free(why);
	return msg;
}

int records_read(const char *path, const char *what, const struct record_desc *root,
		 void *item, char **err)
{
	struct loader ld = { .root = root, .item = item };
	yajl_handle h = NULL;
	yajl_status ys = yajl_status_ok;
	char buf[64 * 1024];
	size_t offset = 0;
	ssize_t r;
	int fd, ret;

	memset(item, 0, root->size);
	*err = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		*err = xasprintf("%s: %s", path, strerror(-ret));
		return ret;
	}
	h = yajl_alloc(&load_callbacks, NULL, &ld);
	if (!h)
		oom();
	/*
	 * Files written before dmwatch 0.2 hold names that are not UTF-8 as raw
	 * bytes: they still load, byte for byte. Ours keep such names in "_hex".
	 */
	yajl_config(h, yajl_dont_validate_strings, 1);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			*err = xasprintf("%s: %s", path, strerror(-ret));
			goto cleanup;
		}
		ys = r ? yajl_parse(h, (unsigned char *)buf, r) : yajl_complete_parse(h);
		if (ys != yajl_status_ok || !r)
			break;
		offset += r;
	}
	*err = read_error(&ld, h, ys, path, what, offset);
	ret = *err ? -EINVAL : 0;
cleanup:
	if (ret) {
		records_free(root, item);
		memset(item, 0, root->size);
	}
	free(ld.err);
	yajl_free(h);
	close(fd);
	return ret;
}
