/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP server behind `dmwatch serve`: one thread with a poll() loop for all
 * connections, one scan thread. Strangers may connect (--listen 0.0.0.0), so
 * every connection is bounded in time (the whole request head, the whole
 * response) and in number, and an idle, trickling or non-reading client can
 * never keep a scraper out: when the table is full, the oldest connection that
 * is not waiting for a scan makes room.
 */
#ifndef DMWATCH_SERVER_H
#define DMWATCH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVE_MAX_CONNS		512	/* default connections held at once */

struct server_opts {
	int listen_fd;			/* listening, non-blocking; the caller closes it */
	int stop_fd;			/* readable once the server should stop */
	double min_interval;		/* seconds a scan may be reused for */
	unsigned int max_conns;		/* 0: SERVE_MAX_CONNS */
	/*
	 * One scan as metrics text (malloc'd, *len bytes), run on the scan thread,
	 * never two at once. A scan that fails still returns text (dmwatch_up 0).
	 */
	void (*scan)(void *ctx, char **text, size_t *len);
	void *scan_ctx;
};

/*
 * Serve GET /metrics until stop_fd is readable, then let the requests in flight
 * finish (for a while). first_text (taken over) is the scan made at start, which
 * began at first_started (clock_ns(CLOCK_MONOTONIC)). Returns 0, or -1 after an
 * error on stderr.
 */
int server_run(const struct server_opts *o, char *first_text, size_t first_len,
	       uint64_t first_started);

#endif /* DMWATCH_SERVER_H */
