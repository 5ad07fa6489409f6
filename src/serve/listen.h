/* SPDX-License-Identifier: GPL-2.0 */
/* serve --listen: the address, and the listening socket for it. */
#ifndef DMWATCH_LISTEN_H
#define DMWATCH_LISTEN_H

#include <stddef.h>

/*
 * Split "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses). host gets "" for
 * ":PORT". 0, or -1 with a one-line reason in err.
 */
int parse_listen(const char *spec, char *host, size_t host_len, char *port, size_t port_len,
		 char *err, size_t err_len);

/*
 * A non-blocking listening TCP socket for spec; shown gets the address it is
 * bound to ("127.0.0.1:41234" when spec asked for port 0). The fd, or -1 after
 * a one-line error on stderr.
 */
int open_listener(const char *spec, char *shown, size_t shown_len);

#endif /* DMWATCH_LISTEN_H */
