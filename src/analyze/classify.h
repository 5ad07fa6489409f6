/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Classification: state in, findings out. Pure (no I/O), so a saved state from a
 * customer and a hand-written test state get exactly the verdict a live scan would.
 */
#ifndef DMWATCH_CLASSIFY_H
#define DMWATCH_CLASSIFY_H

#include "analyze/alias.h"
#include "analyze/findings.h"
#include "analyze/lookup.h"
#include "model/state.h"

void classify(const struct state *st, const struct classify_opts *o, struct report *out);

#endif /* DMWATCH_CLASSIFY_H */
