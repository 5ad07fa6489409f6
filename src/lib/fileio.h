/* SPDX-License-Identifier: GPL-2.0 */
/* Whole-file and first-line reads, and the one crash-safe way dmwatch replaces a file. */
#ifndef DMWATCH_FILEIO_H
#define DMWATCH_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Read a whole file (NUL terminated). Returns 0 or -errno; -EFBIG past
 * max_size. Never blocks on a FIFO or device: anything but a regular file
 * (or a /proc-style file that stat calls regular) is -EINVAL.
 */
int read_file(const char *path, char **buf, size_t *len, size_t max_size);

/*
 * The first line of a small file (sysfs, securityfs) into buf, its newline cut
 * and cut to len - 1 bytes. false when it cannot be opened or is empty.
 */
bool read_first_line(const char *path, char *buf, size_t len);

/*
 * Replace path with data, crash-safe: a temporary file beside it (mkstemp,
 * never a guessable name), fsync, rename, fsync of the directory. A reader
 * sees the old file or the new one, never a mix, even after a power cut.
 * Returns 0 or -errno.
 */
int write_file_atomic(const char *path, const char *data, size_t len, unsigned int mode);

/*
 * The same for text produced with stdio: write(f, ctx) prints straight into the
 * temporary file (no copy of the text in memory) and returns 0 or -errno.
 */
int write_file_atomic_with(const char *path, unsigned int mode,
			   int (*write)(FILE *f, void *ctx), void *ctx);

#endif /* DMWATCH_FILEIO_H */
