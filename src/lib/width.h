/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How many terminal columns text takes, and text cut to fit some: the one
 * measure behind every column and every wrapped line dmwatch prints (scan's
 * table, trace, report). A CJK character or an emoji takes two columns, a
 * combining mark none; a byte term_escape() would escape counts as its escape
 * (\xNN: 4, \n \t: 2). A backslash counts as one: the text measured is the text
 * as printed, normally what term_shown() or term_escaped() returned.
 */
#ifndef DMWATCH_WIDTH_H
#define DMWATCH_WIDTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* columns of the code point at s (n bytes readable); *len its bytes */
size_t term_char_cols(const char *s, size_t n, size_t *len);

/* columns of s */
size_t term_cols(const char *s);

/* bytes of the longest start of s that takes at most max columns; *cols its columns */
size_t term_cols_prefix(const char *s, size_t max, size_t *cols);

/*
 * s in at most `width` columns, cut with a trailing '~' when longer (the mark
 * that a name goes on); padded with blanks to `width` when pad is set. A
 * double-width character that would straddle the cut is left out whole.
 */
void term_put_fit(FILE *f, const char *s, size_t width, bool pad);

/*
 * Prose wrapped at blanks to `width` columns, going on from column `col` of a
 * line the caller has begun (0: a line of its own), later lines indented by
 * `hang` blanks. A word longer than a line is cut where it must be and goes on
 * on the next. Every line ends in a newline, none in blanks.
 */
void term_put_wrapped(FILE *f, const char *text, size_t width, size_t col, size_t hang);

/* columns every line of a command's text output fits in: $COLUMNS, else the
 * terminal's width when wider than 80, else 80 (kept within 40..1000) */
unsigned term_width(FILE *f);

#endif /* DMWATCH_WIDTH_H */
