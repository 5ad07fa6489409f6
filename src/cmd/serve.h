/* SPDX-License-Identifier: GPL-2.0 */
/* dmwatch serve: the scan's Prometheus metrics over HTTP (GET /metrics). */
#ifndef DMWATCH_SERVE_H
#define DMWATCH_SERVE_H

#include <stddef.h>

/*
 * Split "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses). host gets "" for
 * ":PORT". 0, or -1 with a one-line reason in err.
 */
int parse_listen(const char *spec, char *host, size_t host_len, char *port, size_t port_len,
		 char *err, size_t err_len);

#endif /* DMWATCH_SERVE_H */
