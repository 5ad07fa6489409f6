/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Monitoring outputs of a scan: Prometheus text exposition (scan --prom for
 * node_exporter's textfile collector, and `dmwatch serve`) and the one-line
 * Nagios/Icinga plugin status (scan --brief).
 */
#ifndef DMWATCH_PROM_H
#define DMWATCH_PROM_H

#include <stdint.h>
#include <stdio.h>
#include "analyze/classify.h"

/* Numeric value of a grade for dmwatch_grade: A+ 0, A 1, B 2, C 3, D 4, F 5; -1 unknown. */
int grade_value(const char *grade);

/* The metrics of a finished scan. duration_s < 0: no dmwatch_scan_duration_seconds. */
void output_prom(FILE *f, const struct report *r, double duration_s);

/* The metrics when no scan could be made: dmwatch_up 0 and when it was tried. */
void output_prom_failure(FILE *f, int64_t when);

/* A label value, escaped for the text format (\\ \" \n), invalid UTF-8 as U+FFFD. */
void prom_label_escape(FILE *f, const char *s);

/* "DMWATCH CRITICAL - grade F: 1 duplicate, ... | devices=24 warnings=5 criticals=3"
 * (no newline; caller frees) */
char *report_brief(const struct report *r);

/* "DMWATCH UNKNOWN - <why>" for a scan that could not run (exit 3). */
char *brief_unknown(const char *why);


#endif /* DMWATCH_PROM_H */
