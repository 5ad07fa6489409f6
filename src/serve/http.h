/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP/1.x request head as `dmwatch serve` reads it from strangers: pure
 * parsing over the bytes received so far, so the server can tell at every read
 * whether to wait for more, answer, or refuse. Nothing here does I/O.
 */
#ifndef DMWATCH_HTTP_H
#define DMWATCH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX	8192		/* request line + headers */

enum http_verdict {
	HTTP_INCOMPLETE,	/* no end of headers yet: read on */
	HTTP_COMPLETE,		/* a request head we understood: *req filled */
	HTTP_BAD,		/* 400: malformed, a NUL or control byte in the head, not HTTP/1.x */
	HTTP_TOO_LARGE,		/* 431: HTTP_HEAD_MAX bytes without an end of headers */
};

struct http_request {
	char method[16];	/* a token, e.g. GET */
	char path[1024];	/* the request target without its query or fragment */
	int minor;		/* HTTP/1.minor */
};

/*
 * Judge the len bytes received so far (not NUL terminated). A verdict other
 * than HTTP_INCOMPLETE is final: a NUL byte or a malformed request line is
 * refused as soon as it arrives, not when the headers end (or never do).
 */
enum http_verdict http_parse_request(const char *buf, size_t len, struct http_request *req);

/* The reason phrase of a status code dmwatch answers with ("Not Found"). */
const char *http_reason(int code);

#endif /* DMWATCH_HTTP_H */
