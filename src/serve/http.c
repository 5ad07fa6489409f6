// SPDX-License-Identifier: GPL-2.0
/*
 * The request head of HTTP/1.x (RFC 9112 section 2-3), as strict as a metrics
 * endpoint may be: a request line of a token method, an origin-form target of
 * visible ASCII and HTTP/1.0 or 1.1; header lines of visible text. Everything
 * else is a 400 at once, so a client gets its answer instead of a timeout.
 */
#include <string.h>
#include "serve/http.h"

/* tchar of RFC 9110 5.6.2 */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "METHOD SP TARGET SP HTTP/1.x", without its line end. */
static bool request_line(const char *s, size_t n, struct http_request *req)
{
	size_t i = 0, start, plen;

	for (start = i; i < n && is_tchar(s[i]); i++)
		;
	if (i == start || i - start >= sizeof(req->method) || i >= n || s[i] != ' ')
		return false;
	memcpy(req->method, s + start, i - start);
	req->method[i - start] = 0;
	/* origin-form: a path of visible ASCII; its query does not matter here */
	start = ++i;
	if (i >= n || s[i] != '/')
		return false;
	for (; i < n && s[i] > 0x20 && s[i] < 0x7f; i++)
		;
	if (i - start >= sizeof(req->path) || i >= n || s[i] != ' ')
		return false;
	for (plen = 0; start + plen < i && s[start + plen] != '?' && s[start + plen] != '#'; plen++)
		;
	memcpy(req->path, s + start, plen);
	req->path[plen] = 0;
	i++;
	if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) || s[i + 7] < '0' || s[i + 7] > '9')
		return false;
	req->minor = s[i + 7] - '0';
	return true;
}

/* A header line: visible text and spaces (obs-text allowed), a name before a colon. */
static bool header_line(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);

	if (!colon || colon == s)
		return false;
	for (const char *p = s; p < colon; p++)
		if (!is_tchar(*p))
			return false;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return true;
}

enum http_verdict http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	size_t at = 0, line = 0;

	memset(req, 0, sizeof(*req));
	/* line by line, each judged as soon as it is whole; LF alone ends a line too */
	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t n;

		if (!nl)
			break;
		n = nl - (buf + at);
		if (memchr(buf + at, 0, n))
			return HTTP_BAD;
		if (n && buf[at + n - 1] == '\r')
			n--;
		if (line == 0 && !request_line(buf + at, n, req))
			return HTTP_BAD;
		if (line > 0 && n == 0)
			return HTTP_COMPLETE;
		if (line > 0 && !header_line(buf + at, n))
			return HTTP_BAD;
		at = nl + 1 - buf;
		line++;
	}
	/* a NUL is refused before its line ends (what follows the head is not ours to judge) */
	if (memchr(buf + at, 0, len - at))
		return HTTP_BAD;
	/* the request line alone may not be longer than a request target allows */
	if (line == 0 && len - at > sizeof(req->method) + sizeof(req->path) + 10)
		return HTTP_BAD;
	return len >= HTTP_HEAD_MAX ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
}

const char *http_reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}
