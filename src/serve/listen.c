// SPDX-License-Identifier: GPL-2.0
/* serve --listen: parsing the address and opening the socket (listen.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "serve/listen.h"
#include "lib/util.h"

int parse_listen(const char *spec, char *host, size_t host_len, char *port, size_t port_len,
		 char *err, size_t err_len)
{
	const char *colon, *h = spec, *p;
	size_t hl;
	char *end;
	long v;

	if (str_empty(spec)) {
		snprintf(err, err_len, "empty address, expected HOST:PORT");
		return -1;
	}
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':') {
			snprintf(err, err_len, "expected [IPV6]:PORT");
			return -1;
		}
		h = spec + 1;
		hl = close - h;
		p = close + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon) {
			snprintf(err, err_len, "no port, expected HOST:PORT");
			return -1;
		}
		if (memchr(spec, ':', colon - spec)) {
			snprintf(err, err_len, "an IPv6 address needs brackets: [ADDR]:PORT");
			return -1;
		}
		hl = colon - spec;
		p = colon + 1;
	}
	errno = 0;
	v = strtol(p, &end, 10);
	if (!*p || *end || errno || v < 0 || v > 65535 || *p == '-' || *p == '+') {
		snprintf(err, err_len, "bad port '%s', expected 0..65535", p);
		return -1;
	}
	if (hl >= host_len) {
		snprintf(err, err_len, "host name too long");
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	snprintf(port, port_len, "%ld", v);
	return 0;
}

int open_listener(const char *spec, char *shown, size_t shown_len)
{
	char host[256], port[16], err[128];
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res = NULL, *ai;
	int fd = -1, one = 1, e = 0, r;

	if (parse_listen(spec, host, sizeof(host), port, sizeof(port), err, sizeof(err))) {
		elog("--listen '%s': %s", spec, err);
		return -1;
	}
	r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (r) {
		elog("--listen '%s': %s", spec, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, SOMAXCONN))
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		elog("cannot listen on %s: %s", spec, strerror(e ? e : EADDRNOTAVAIL));
	} else {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char h[128], p[16];

		if (!getsockname(fd, (struct sockaddr *)&ss, &sl) &&
		    !getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
				 NI_NUMERICHOST | NI_NUMERICSERV))
			snprintf(shown, shown_len, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
		else
			snprintf(shown, shown_len, "%s", spec);
	}
	freeaddrinfo(res);
	return fd;
}
