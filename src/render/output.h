/* SPDX-License-Identifier: GPL-2.0 */
/* Rendering of scan reports: terminal, JSON (the contract of docs/scan.md). */
#ifndef DMWATCH_OUTPUT_H
#define DMWATCH_OUTPUT_H

#include <stdio.h>
#include <json-c/json.h>
#include "analyze/classify.h"

void output_table(FILE *f, const struct report *r);
void output_json(FILE *f, const struct report *r);
json_object *output_json_object(const struct report *r);

#endif /* DMWATCH_OUTPUT_H */
