/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `trace` for a person: one line per event in columns that fit the terminal
 * (term_width()), names cut with a visible '~' rather than wrapped; --json
 * (event_json.c) keeps everything whole.
 */
#ifndef DMWATCH_TRACE_TEXT_H
#define DMWATCH_TRACE_TEXT_H

#include <stdio.h>
#include "trace/tracer.h"

void trace_text_header(FILE *f, unsigned width);
/* the event's line; TE_LOST has none (the caller says it on stderr) */
void trace_text_event(FILE *f, const struct tracer_event *ev, unsigned width);
/* the exit summary's line for a device's I/O errors */
void trace_text_errors(FILE *f, const char *name, uint32_t dev, uint64_t n, unsigned width);

#endif /* DMWATCH_TRACE_TEXT_H */
