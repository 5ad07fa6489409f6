// SPDX-License-Identifier: GPL-2.0
/*
 * serve's HTTP request parser, http_parse_request(), fed what a stranger sends:
 * the bytes as the server holds them (not NUL terminated, at most HTTP_HEAD_MAX).
 * Besides "no crash": a NUL before the end of the head is a 400; a request that parses has a token
 * method and a clean path (the server logs both as they are); and a verdict on a
 * prefix, once final, is the verdict on the whole input, because the server
 * judges every read and answers at the first final one.
 */
#include "serve/http.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const struct http_request *req)
{
	FUZZ_CHECK(req->method[0]);
	for (const char *p = req->method; *p; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f && !strchr("()<>@,;:\\\"/[]?={} ", *p));
	FUZZ_CHECK(req->path[0] == '/');
	for (const char *p = req->path; *p; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f && *p != '?' && *p != '#');
	FUZZ_CHECK(req->minor >= 0 && req->minor <= 9);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size < HTTP_HEAD_MAX ? size : HTTP_HEAD_MAX;
	/* an exact-size copy: ASan catches a read one byte past what was received */
	char *buf = malloc(len ? len : 1);
	struct http_request req;
	enum http_verdict whole, part;

	if (!buf)
		abort();
	memcpy(buf, data, len);
	whole = http_parse_request(buf, len, &req);
	FUZZ_CHECK(whole == HTTP_INCOMPLETE || whole == HTTP_COMPLETE || whole == HTTP_BAD ||
		   whole == HTTP_TOO_LARGE);
	if (whole != HTTP_BAD)
		FUZZ_CHECK(whole == HTTP_COMPLETE || !memchr(buf, 0, len));
	if (whole == HTTP_COMPLETE)
		check_request(&req);
	if (whole == HTTP_INCOMPLETE)
		FUZZ_CHECK(len < HTTP_HEAD_MAX);
	if (whole == HTTP_TOO_LARGE)
		FUZZ_CHECK(len == HTTP_HEAD_MAX);
	/* the same bytes arriving in two reads: the first final verdict stands */
	for (size_t cut = 1; cut < len; cut += cut / 2 + 1) {
		part = http_parse_request(buf, cut, &req);
		if (part != HTTP_INCOMPLETE) {
			FUZZ_CHECK(part == whole);
			break;
		}
	}
	free(buf);
	return 0;
}
