/* SPDX-License-Identifier: GPL-2.0 */
/* The facts about the running kernel that plan.c chooses BPF programs from. */
#ifndef DMWATCH_TRACE_KFACTS_H
#define DMWATCH_TRACE_KFACTS_H

#include "trace/plan.h"

/* Fill *f from this machine (refused[] is left empty: only a load attempt knows). */
void kfacts_gather(struct kernel_facts *f);

#endif /* DMWATCH_TRACE_KFACTS_H */
