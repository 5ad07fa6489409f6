/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every JSON dmwatch writes (scan --json, trace/record/report event lines, the
 * saved state, the clean journal) goes through yajl's generator and these
 * helpers, so text is written by one rule everywhere: lib/escape.h's
 * json_escape (" \ and control characters escaped, each byte that is not UTF-8
 * as U+FFFD). The output is always valid UTF-8 JSON.
 *
 * A name shown that way may have lost bytes. Where a name must come back exactly
 * (the saved state, the clean journal), jg_exact() adds a companion field
 * "<key>_hex" holding the raw bytes in lowercase hex, only when the text is not
 * valid UTF-8; a reader takes the bytes from there (jg_hex_decode).
 */
#ifndef DMWATCH_JSONGEN_H
#define DMWATCH_JSONGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#define JG_HEX_SUFFIX "_hex"

/* A compact generator (exits on out of memory, like the x-allocators) */
yajl_gen jg_new(void);

/* A string value by the one rule, or null for NULL */
void jg_text(yajl_gen g, const char *s);
/* A key dmwatch chose (plain ASCII) */
void jg_key(yajl_gen g, const char *key);

/* "key": value pairs inside an open map */
void jg_str(yajl_gen g, const char *key, const char *s);
void jg_exact(yajl_gen g, const char *key, const char *s);	/* + "<key>_hex" if not UTF-8 */
void jg_int(yajl_gen g, const char *key, long long v);
void jg_u64(yajl_gen g, const char *key, uint64_t v);
void jg_bool(yajl_gen g, const char *key, bool v);
void jg_null(yajl_gen g, const char *key);
/* two decimals, like lvs prints a percentage; null when NaN */
void jg_fixed2(yajl_gen g, const char *key, double v);

/* true when s needs a "<key>_hex" companion to come back exactly (not UTF-8) */
bool jg_needs_hex(const char *s);
char *jg_hex(const char *s);			/* its bytes in lowercase hex, a new string */

/* values without a key (array elements, or after jg_key) */
void jg_u64_value(yajl_gen g, uint64_t v);
/* shortest text that reads back as the same double ("%.17g", ".0" added to a whole number) */
void jg_double_value(yajl_gen g, double v);

/* The text made so far goes to f and the buffer is emptied */
void jg_flush(yajl_gen g, FILE *f);
/* ... or is copied into buf like snprintf (returns the full length) */
int jg_copy(yajl_gen g, char *buf, size_t len);

/*
 * For a reader of a "<key>_hex" companion: the bytes, NUL terminated, into
 * *out. Returns NULL on success, else why not (odd length, not hex, a NUL byte).
 */
const char *jg_hex_decode(const char *hex, size_t len, char **out);

#endif /* DMWATCH_JSONGEN_H */
