// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch serve against clients that are hostile or merely unlucky: the request
 * parser's verdicts, a NUL byte answered at once, a full connection table that
 * still lets a scraper in, responses that end without a reset, and a first
 * start on a host whose dm cannot be read. (The basics are in test_prom.c; the
 * load tests with hundreds of clients in tests/load/.)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "serve/http.h"
#include "serve_client.h"
#include "test.h"
#include "lib/clock.h"
#include "lib/util.h"

static enum http_verdict parse(const char *s, struct http_request *req)
{
	return http_parse_request(s, strlen(s), req);
}

TEST(http_request_verdicts)
{
	static const struct {
		const char *text;
		enum http_verdict want;
	} cases[] = {
		{ "", HTTP_INCOMPLETE },
		{ "GET /metrics HTTP/1.1\r\n", HTTP_INCOMPLETE },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", HTTP_INCOMPLETE },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_COMPLETE },
		{ "GET /metrics HTTP/1.0\n\n", HTTP_COMPLETE },
		{ "HEAD /metrics?a=b HTTP/1.1\r\nAccept: */*\r\nX-Y:\t z\r\n\r\n", HTTP_COMPLETE },
		/* refused as soon as the request line is whole, headers or not */
		{ "hello\r\n", HTTP_BAD },
		{ "GET /metrics\r\n", HTTP_BAD },
		{ "GET metrics HTTP/1.1\r\n", HTTP_BAD },
		{ "GET http://x/metrics HTTP/1.1\r\n", HTTP_BAD },
		{ "GET /metrics HTTP/2.0\r\n", HTTP_BAD },
		{ "GET /metrics HTTP/1.1 \r\n", HTTP_BAD },
		{ "GET  /metrics HTTP/1.1\r\n", HTTP_BAD },
		{ "G(T /metrics HTTP/1.1\r\n", HTTP_BAD },
		{ "GET /met\x1b[2Jrics HTTP/1.1\r\n", HTTP_BAD },
		{ "GET /m\xc3\xa9trics HTTP/1.1\r\n", HTTP_BAD },
		{ "GET /metrics HTTP/1.1\r\nno colon\r\n\r\n", HTTP_BAD },
		{ "GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n", HTTP_BAD },
		{ "GET /metrics HTTP/1.1\r\nX: a\x1b" "b\r\n\r\n", HTTP_BAD },
	};
	struct http_request req;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum http_verdict got = parse(cases[i].text, &req);

		if (got != cases[i].want)
			FAIL_AT("case %zu: verdict %d, expected %d", i, got, cases[i].want);
	}
	CHECK_INT(parse("HEAD /metrics?x=1#f HTTP/1.0\r\n\r\n", &req), HTTP_COMPLETE);
	CHECK_STR(req.method, "HEAD");
	CHECK_STR(req.path, "/metrics");
	CHECK_INT(req.minor, 0);
}

TEST(http_request_nul_and_size)
{
	char big[HTTP_HEAD_MAX + 16];
	struct http_request req;
	size_t n;

	/* a NUL anywhere, even in an unfinished line, is a 400 at once */
	CHECK_INT(http_parse_request("G\0", 2, &req), HTTP_BAD);
	CHECK_INT(http_parse_request("GET /metrics HTTP/1.1\r\nHost: \0", 30, &req), HTTP_BAD);
	/* a request line longer than any target we take does not wait for its end */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	CHECK_INT(http_parse_request(big, 2000, &req), HTTP_BAD);
	/* headers that never end: 431 once the limit is reached, not before */
	n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\n");
	while (n + 8 < HTTP_HEAD_MAX)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X: y\r\n");
	CHECK_INT(http_parse_request(big, n, &req), HTTP_INCOMPLETE);
	memset(big + n, 'z', HTTP_HEAD_MAX - n);
	CHECK_INT(http_parse_request(big, HTTP_HEAD_MAX, &req), HTTP_TOO_LARGE);
}

static int start_fixture(struct server *sv, const char *extra_opt, const char *extra_val)
{
	char *state = xasprintf("%s/state/cluster.json", FIXTURES);
	char *args[] = { "--listen", "127.0.0.1:0", "--state", state, (char *)extra_opt,
			 (char *)extra_val, NULL };
	int r = serve_start(sv, args);

	free(state);
	return r;
}

static void stop(int *failed__, struct server *sv)
{
	CHECK_INT(kill(sv->pid, SIGTERM), 0);
	CHECK_INT(serve_wait(sv, 20), 0);
	close(sv->err_fd);
}

TEST(serve_nul_byte_is_400_at_once)
{
	struct server sv;
	uint64_t t0;
	char *resp;
	int fd;

	if (start_fixture(&sv, NULL, NULL)) {
		FAIL_AT("serve did not start: %s", sv.log);
		serve_wait(&sv, 1);
		return;
	}
	/* the request line is not even finished: no reason to wait for it */
	fd = connect_port(sv.port);
	CHECK(fd >= 0);
	t0 = clock_ns(CLOCK_MONOTONIC);
	CHECK(send(fd, "GET /metrics\0", 13, MSG_NOSIGNAL) == 13);
	resp = read_all(fd);
	CHECK(status_is(resp, 400));
	CHECK((clock_ns(CLOCK_MONOTONIC) - t0) < 2000000000ULL);
	free(resp);
	close(fd);
	stop(failed__, &sv);
}

/* Idle clients fill the table; scrapers still get in, the oldest idle one makes room. */
TEST(serve_full_table_still_serves)
{
	struct server sv;
	int idle[4], closed = 0;
	char *resp, buf[16];

	if (start_fixture(&sv, "--max-connections", "4")) {
		FAIL_AT("serve did not start: %s", sv.log);
		serve_wait(&sv, 1);
		return;
	}
	for (int i = 0; i < 4; i++) {
		idle[i] = connect_port(sv.port);
		CHECK(idle[i] >= 0);
		CHECK(send(idle[i], "G", 1, MSG_NOSIGNAL) == 1);
	}
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

		resp = http(sv.port, "GET /metrics HTTP/1.1\r\n\r\n");
		CHECK(status_is(resp, 200) && strstr(resp, "\ndmwatch_up 1\n"));
		/* at once, not when an idle client's 10 s are up */
		CHECK(clock_ns(CLOCK_MONOTONIC) - t0 < 2000000000ULL);
		free(resp);
	}
	/* the first scrape closed the oldest idle client for its place (the later ones
	 * may find the place of a scrape before them free again) */
	for (int i = 0; i < 4; i++) {
		ssize_t n;

		if (idle[i] < 0)
			continue;
		errno = 0;
		n = recv(idle[i], buf, sizeof(buf), MSG_DONTWAIT);
		closed += n == 0 || (n < 0 && errno == ECONNRESET);
		close(idle[i]);
	}
	CHECK(closed >= 1);
	stop(failed__, &sv);
}

/*
 * A client still sending a body when its answer comes (an upload to the wrong
 * place): the server reads and drops the rest after answering, so the client's
 * sends succeed and the response arrives whole, not cut by a reset.
 */
TEST(serve_response_survives_unread_body)
{
	static const char head[] = "POST /metrics HTTP/1.1\r\nContent-Length: 262144\r\n\r\n";
	char *body = xmalloc(262144), *resp;
	struct server sv;
	struct pollfd p;
	int fd;

	memset(body, 'b', 262144);
	if (start_fixture(&sv, NULL, NULL)) {
		FAIL_AT("serve did not start: %s", sv.log);
		serve_wait(&sv, 1);
		free(body);
		return;
	}
	fd = connect_port(sv.port);
	CHECK(fd >= 0);
	CHECK(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
	/* the answer is there before the body is: now send the body */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_INT(poll(&p, 1, 20000), 1);
	for (size_t off = 0; off < 262144; off += 4096) {
		ssize_t n = send(fd, body + off, 4096, MSG_NOSIGNAL);

		if (n != 4096) {
			FAIL_AT("send after the answer: %s", n < 0 ? strerror(errno) : "short");
			break;
		}
	}
	errno = 0;
	resp = read_all(fd);
	CHECK(status_is(resp, 405));
	CHECK(strstr(resp, "\r\n\r\n405 Method Not Allowed\n"));
	CHECK_INT(errno, 0);
	free(resp);
	close(fd);
	free(body);
	stop(failed__, &sv);
}

/* This host's kernel has no device-mapper: a first start serves dmwatch_up 0. */
TEST(serve_without_dm_serves_up_0)
{
	char *args[] = { "--listen", "127.0.0.1:0", "--pve-dir", "/nonexistent", NULL };
	struct server sv;
	char *resp;

	char *devices = NULL;
	bool have_dm;

	CHECK_INT(read_file("/proc/devices", &devices, NULL, 1 << 16), 0);
	have_dm = devices && strstr(devices, " device-mapper\n");
	free(devices);
	if (have_dm) {
		fprintf(stderr, "  SKIP serve_without_dm_serves_up_0: this kernel has device-mapper\n");
		return;
	}
	if (serve_start(&sv, args)) {
		FAIL_AT("serve did not start without dm: %s", sv.log);
		serve_wait(&sv, 1);
		return;
	}
	CHECK(strstr(sv.log, "dmwatch_up 0"));
	for (int i = 0; i < 2; i++) {
		resp = http(sv.port, "GET /metrics HTTP/1.1\r\n\r\n");
		CHECK(status_is(resp, 200) && strstr(resp, "\ndmwatch_up 0\n"));
		free(resp);
	}
	stop(failed__, &sv);
}
