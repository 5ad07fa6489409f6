/* SPDX-License-Identifier: GPL-2.0 */
/* Rendering of scan reports: terminal (table.c) and the JSON contract of docs/scan.md (json.c). */
#ifndef DMWATCH_OUTPUT_H
#define DMWATCH_OUTPUT_H

#include <stdio.h>
#include "analyze/classify.h"

void output_table(FILE *f, const struct report *r);
void output_json(FILE *f, const struct report *r);

#endif /* DMWATCH_OUTPUT_H */
