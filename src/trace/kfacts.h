/* SPDX-License-Identifier: GPL-2.0 */
/* The facts about the running kernel that plan.c chooses BPF programs from. */
#ifndef DMWATCH_TRACE_KFACTS_H
#define DMWATCH_TRACE_KFACTS_H

#include "trace/plan.h"

/* Fill *f from this machine (refused[] is left empty: only a load attempt knows). */
void kfacts_gather(struct kernel_facts *f);

struct btf;
/*
 * Load (not attach) the emptiest BTF-typed program, "return 0" named "floor", for
 * tracepoint `tp`: its fd, or -errno (-ENOENT: no such tracepoint in BTF).
 */
int kfacts_empty_tp_btf(const struct btf *btf, const char *tp);

#endif /* DMWATCH_TRACE_KFACTS_H */
