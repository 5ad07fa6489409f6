/* SPDX-License-Identifier: GPL-2.0 */
/* Devices that map the same storage (alias.c): an extent sweep, not pairs. */
#ifndef DMWATCH_ANALYZE_ALIAS_H
#define DMWATCH_ANALYZE_ALIAS_H

#include "analyze/findings.h"

/* Do two tables map overlapping sectors of one lower device, or one thin id of one pool? */
bool tables_alias(const struct dm_line *a, size_t na, const struct dm_line *b, size_t nb);

/* fill dup_of of every device that maps storage another device maps */
void find_aliases(const struct state *st, struct report *r);

#endif /* DMWATCH_ANALYZE_ALIAS_H */
