/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading JSON back in tests: yajl's tree parser, which refuses anything that
 * is not valid UTF-8 (a strict parser, like Python's json on a strict decode).
 */
#ifndef DMWATCH_JTREE_H
#define DMWATCH_JTREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <yajl/yajl_tree.h>

/* NULL when text is not JSON (reason in err) */
static inline yajl_val jt_parse(const char *text, char *err, size_t errlen)
{
	return yajl_tree_parse(text, err, errlen);
}

/* the member key of object o (a JSON null is a value), NULL if absent */
static inline yajl_val jt_get(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };

	return YAJL_IS_OBJECT(o) ? yajl_tree_get(o, path, yajl_t_any) : NULL;
}

static inline bool jt_has(yajl_val o, const char *key)
{
	return jt_get(o, key) != NULL;
}

/* present and null */
static inline bool jt_null(yajl_val o, const char *key)
{
	return YAJL_IS_NULL(jt_get(o, key));
}

static inline const char *jt_str(yajl_val o, const char *key)
{
	yajl_val v = jt_get(o, key);

	return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

static inline int64_t jt_int(yajl_val o, const char *key)
{
	yajl_val v = jt_get(o, key);

	return YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : INT64_MIN;
}

static inline uint64_t jt_u64(yajl_val o, const char *key)
{
	yajl_val v = jt_get(o, key);

	return YAJL_IS_NUMBER(v) ? strtoull(YAJL_GET_NUMBER(v), NULL, 10) : 0;
}

static inline double jt_dbl(yajl_val o, const char *key)
{
	yajl_val v = jt_get(o, key);

	return YAJL_IS_DOUBLE(v) ? YAJL_GET_DOUBLE(v) : NAN;
}

static inline bool jt_true(yajl_val o, const char *key)
{
	return YAJL_IS_TRUE(jt_get(o, key));
}

static inline size_t jt_len(yajl_val a)
{
	return YAJL_IS_ARRAY(a) ? a->u.array.len : 0;
}

static inline yajl_val jt_at(yajl_val a, size_t i)
{
	return i < jt_len(a) ? a->u.array.values[i] : NULL;
}

#endif /* DMWATCH_JTREE_H */
