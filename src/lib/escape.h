/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text that dmwatch does not control (dm and LVM names, guest config text, host
 * names) made safe for where it goes: a terminal, a command someone pastes, a
 * JSON string. One rule per destination, used by every renderer.
 */
#ifndef DMWATCH_ESCAPE_H
#define DMWATCH_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are
 * not one (overlong forms, surrogates and code points past U+10FFFF included).
 * n is how many bytes are readable at s; for a NUL-terminated string any
 * n >= 4 is safe (the NUL is not a continuation byte, so reading stops there).
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* true when s holds only valid UTF-8 */
bool utf8_valid(const char *s, size_t n);

/* true when s would print as itself on a terminal (no control byte, valid UTF-8, no backslash) */
bool term_clean(const char *s);

/* the same, but a backslash counts as visible: text that is already escaped */
bool term_visible(const char *s);

/*
 * For a terminal, a log line or a mail: control bytes (C0, DEL, C1), bytes that
 * are not UTF-8 and the backslash itself are written as \xNN (\n \t \\ for the
 * usual ones), so a name can neither move the cursor, set the window title,
 * forge a line nor hide its own bytes. Everything else (UTF-8 letters too) as is.
 */
void term_escape(FILE *f, const char *s);
char *term_escaped(const char *s);		/* the same, as a new string */

/*
 * For printf("%s"): s itself when it is clean, else its escaped copy, which
 * *keep then holds (freed by the next call with the same keep, or by the
 * caller). NULL stays NULL.
 */
const char *term_shown(const char *s, char **keep);

/*
 * For HTML text and attribute values: term_escape()'s rule (so a page and a mail
 * show a name exactly as the terminal does), then & < > " ' as character
 * references. NULL prints nothing.
 */
void html_escape(FILE *f, const char *s);

/*
 * A command for a person to paste, shown in HTML: its arguments are already
 * shell_quoted(), so its backslashes are the quoting's own and stay single;
 * control bytes still show as \xNN and markup as text.
 */
void html_escape_command(FILE *f, const char *s);

/*
 * One argument of a command a person will paste into a shell: as is when it
 * holds only [A-Za-z0-9_@%+=:,./-], else in single quotes (' as '\''), and when
 * it holds bytes a terminal would act on, as bash's $'...' with \xNN escapes.
 * A name can never end the argument, start a command or a substitution.
 */
char *shell_quoted(const char *s);

/*
 * A JSON string's contents (no quotes): valid UTF-8 passes, " \ and control
 * characters are escaped, each byte that is not UTF-8 becomes U+FFFD, so the
 * output is always valid JSON in UTF-8. Use where a name is shown; a saved
 * state that must round-trip a name's bytes keeps them another way.
 */
void json_escape(FILE *f, const char *s, size_t n);

#endif /* DMWATCH_ESCAPE_H */
