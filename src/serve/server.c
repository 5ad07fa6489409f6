// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch serve's HTTP server (server.h): a poll() loop over non-blocking
 * sockets, in the manner of the event loops of nginx or libmicrohttpd, small
 * enough to read in one sitting.
 *
 * A connection goes READING (its request head, HTTP_HEAD_MAX bytes at most,
 * READ_TIMEOUT in all) -> WAITING (for a scan, when the last one is too old) ->
 * WRITING (the whole response within WRITE_TIMEOUT) -> LINGERING (our side shut,
 * what the client still sends read and dropped for LINGER_TIME, so closing
 * never resets a response the client has not read yet) -> closed.
 *
 * Scans run on a thread of their own, one at a time, so the loop keeps serving
 * while the node is scanned; a request that arrives during a scan waits for the
 * next one unless --min-interval lets it have this one. Bodies are shared: a
 * thousand slow readers of a large scan hold one copy of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "serve/http.h"
#include "serve/server.h"
#include "lib/clock.h"
#include "lib/util.h"

#define NS		1000000000ULL
#define READ_TIMEOUT	(10 * NS)	/* for the whole request head */
#define WRITE_TIMEOUT	(10 * NS)	/* for the whole response */
#define LINGER_TIME	(2 * NS)	/* reading what the client still sends, after the response */
#define DRAIN_TIME	(15 * NS)	/* shutdown waits this long for requests in flight */
#define ACCEPT_PAUSE	(100000000ULL)	/* out of descriptors: try accept again after 100 ms */
#define REJECT_SLOTS	16		/* beyond max_conns: connections that get a clean 503 */
/*
 * A newcomer that has not sent a byte is not closed to make room before this:
 * its request follows the handshake at once, but a loaded node may not run the
 * client for a while, and a crowd reconnecting at once must not push a scraper
 * out unheard. Who has sent part of a request, or is being answered, has had
 * its chance once one loop round has passed.
 */
#define EVICT_GRACE	(100000000ULL)	/* 100 ms */

/* A response body, shared by every connection that sends it. */
struct blob {
	unsigned int refs;
	size_t len;
	char *data;
};

enum phase { READING, WAITING, WRITING, LINGERING };

struct conn {
	int fd;
	enum phase phase;
	bool reject;			/* over capacity: read the request, answer 503 */
	bool head;			/* HEAD: the headers only */
	uint64_t since;			/* accepted (for who makes room first) */
	uint64_t round;			/* the loop round it was accepted in */
	uint64_t deadline;		/* this phase gives up at */
	uint64_t arrival;		/* the request was complete at */
	char *in;			/* READING: the request head so far */
	size_t in_len;
	char *hdr;			/* WRITING: status line and headers */
	size_t hdr_len;
	struct blob *body;		/* WRITING: NULL for none */
	size_t sent;			/* of hdr, then of body */
};

/* the scan thread's job; the loop reads it only after the wake pipe said done */
struct scan_job {
	void (*scan)(void *ctx, char **text, size_t *len);
	void *ctx;
	int wake_fd;
	char *text;
	size_t len;
};

struct server {
	const struct server_opts *o;
	unsigned int max_conns;
	struct conn *conns;
	size_t n, n_reject;
	struct blob *cache;
	uint64_t cache_started;
	uint64_t round;			/* loop rounds so far */
	struct {
		bool running;
		uint64_t started;
		pthread_t thread;
		struct scan_job *job;
		int wake[2];
	} scan;
	bool stopping;
	uint64_t drain_deadline;
	uint64_t accept_paused_until;
};

static struct blob *blob_new(char *data, size_t len)
{
	struct blob *b = xmalloc(sizeof(*b));

	*b = (struct blob){ .refs = 1, .len = len, .data = data };
	return b;
}

static struct blob *blob_ref(struct blob *b)
{
	if (b)
		b->refs++;
	return b;
}

static void blob_unref(struct blob *b)
{
	if (b && !--b->refs) {
		free(b->data);
		free(b);
	}
}

/* ---- connections ---- */

static void conn_close(struct server *s, size_t i)
{
	struct conn *c = &s->conns[i];

	close(c->fd);
	free(c->in);
	free(c->hdr);
	blob_unref(c->body);
	if (c->reject)
		s->n_reject--;
	/* the last one takes its place: callers walk the table from the end */
	s->conns[i] = s->conns[--s->n];
}

/* Our side is done: read and drop what the client still sends, then close. */
static void conn_linger(struct conn *c, uint64_t now)
{
	shutdown(c->fd, SHUT_WR);
	c->phase = LINGERING;
	c->deadline = now + LINGER_TIME;
	blob_unref(c->body);
	c->body = NULL;
	free(c->hdr);
	c->hdr = NULL;
}

/* Send what the socket takes. false: the connection is finished with (error). */
static bool conn_write(struct conn *c, uint64_t now)
{
	for (;;) {
		size_t body_len = c->body ? c->body->len : 0, sent_body;
		struct iovec iov[2];
		struct msghdr msg = { .msg_iov = iov };
		ssize_t n;

		if (c->sent >= c->hdr_len + body_len) {
			conn_linger(c, now);
			return true;
		}
		if (c->sent < c->hdr_len) {
			iov[msg.msg_iovlen++] = (struct iovec){ c->hdr + c->sent, c->hdr_len - c->sent };
			sent_body = 0;
		} else {
			sent_body = c->sent - c->hdr_len;
		}
		if (body_len > sent_body)
			iov[msg.msg_iovlen++] = (struct iovec){ c->body->data + sent_body,
								body_len - sent_body };
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		c->sent += n;
	}
}

/* Start the response; body NULL for none (its reference is taken over). */
static bool respond(struct conn *c, int code, const char *ctype, const char *extra,
		    struct blob *body, uint64_t now)
{
	size_t len = body ? body->len : 0;

	free(c->in);
	c->in = NULL;
	c->hdr = xasprintf("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			   "%sConnection: close\r\n\r\n", code, http_reason(code), ctype, len,
			   extra ? extra : "");
	c->hdr_len = strlen(c->hdr);
	if (c->head) {
		blob_unref(body);
		body = NULL;
	}
	c->body = body;
	c->sent = 0;
	c->phase = WRITING;
	c->deadline = now + WRITE_TIMEOUT;
	return conn_write(c, now);
}

static bool respond_text(struct conn *c, int code, const char *extra, uint64_t now)
{
	char *text = xasprintf("%d %s\n", code, http_reason(code));

	return respond(c, code, "text/plain; charset=utf-8", extra, blob_new(text, strlen(text)),
		       now);
}

static bool respond_metrics(struct server *s, struct conn *c, uint64_t now)
{
	return respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
		       blob_ref(s->cache), now);
}

/* ---- scans ---- */

static void *scan_thread(void *arg)
{
	struct scan_job *job = arg;

	job->scan(job->ctx, &job->text, &job->len);
	if (write(job->wake_fd, "x", 1) < 0) {
		/* cannot happen with a pipe nobody closed; the loop would wait for the drain */
	}
	return NULL;
}

static void scan_start(struct server *s, uint64_t now)
{
	struct scan_job *job = xmalloc(sizeof(*job));

	*job = (struct scan_job){ .scan = s->o->scan, .ctx = s->o->scan_ctx,
				  .wake_fd = s->scan.wake[1] };
	s->scan.job = job;
	s->scan.started = now;
	s->scan.running = true;
	if (pthread_create(&s->scan.thread, NULL, scan_thread, job)) {
		/* no thread to be had: scan here, the loop waits that once */
		s->scan.thread = pthread_self();
		scan_thread(job);
	}
}

/* A request that arrived at `arrival` may have the cached scan. */
static bool cache_fresh_for(const struct server *s, uint64_t arrival, uint64_t now)
{
	/* a scan that began after the request arrived is as fresh as one of its own */
	return s->cache_started >= arrival ||
	       now - s->cache_started < (uint64_t)(s->o->min_interval * NS) ||
	       s->stopping;
}

/* Answer every waiting request the cache is fresh enough for; scan again for the rest. */
static void serve_waiting(struct server *s, uint64_t now)
{
	bool more = false;

	for (size_t i = s->n; i-- > 0;) {
		struct conn *c = &s->conns[i];

		if (c->phase != WAITING)
			continue;
		if (!cache_fresh_for(s, c->arrival, now))
			more = true;
		else if (!respond_metrics(s, c, now))
			conn_close(s, i);
	}
	if (more && !s->scan.running)
		scan_start(s, now);
}

static void scan_done(struct server *s, uint64_t now)
{
	struct scan_job *job = s->scan.job;
	char drain[16];

	while (read(s->scan.wake[0], drain, sizeof(drain)) > 0)
		;
	if (!s->scan.running)
		return;
	if (!pthread_equal(s->scan.thread, pthread_self()))
		pthread_join(s->scan.thread, NULL);
	s->scan.running = false;
	s->scan.job = NULL;
	blob_unref(s->cache);
	s->cache = blob_new(job->text, job->len);
	s->cache_started = s->scan.started;
	free(job);
	serve_waiting(s, now);
}

/* ---- requests ---- */

static bool dispatch(struct server *s, struct conn *c, const struct http_request *req,
		     uint64_t now)
{
	/* the parser let only visible ASCII through: safe to log as is */
	vlog("%s %s%s", req->method, req->path, c->reject ? " (busy: 503)" : "");
	c->head = !strcmp(req->method, "HEAD");
	if (c->reject)
		return respond_text(c, 503, "Retry-After: 1\r\n", now);
	if (strcmp(req->path, "/metrics"))
		return respond_text(c, 404, NULL, now);
	if (!c->head && strcmp(req->method, "GET"))
		return respond_text(c, 405, "Allow: GET, HEAD\r\n", now);
	c->arrival = now;
	if (cache_fresh_for(s, c->arrival, now))
		return respond_metrics(s, c, now);
	free(c->in);
	c->in = NULL;
	c->phase = WAITING;
	if (!s->scan.running)
		scan_start(s, now);
	return true;
}

/* Read what arrived and judge the request so far. false: close the connection. */
static bool conn_read(struct server *s, struct conn *c, uint64_t now)
{
	struct http_request req;
	ssize_t n;

	if (!c->in)
		c->in = xmalloc(HTTP_HEAD_MAX);
	do
		n = recv(c->fd, c->in + c->in_len, HTTP_HEAD_MAX - c->in_len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK;
	if (n == 0)
		return false;	/* gone before asking anything */
	c->in_len += n;
	switch (http_parse_request(c->in, c->in_len, &req)) {
	case HTTP_INCOMPLETE:
		return true;
	case HTTP_BAD:
		return respond_text(c, 400, NULL, now);
	case HTTP_TOO_LARGE:
		return respond_text(c, 431, NULL, now);
	case HTTP_COMPLETE:
		break;
	}
	return dispatch(s, c, &req, now);
}

/* Drop what a client sends after its response. false: it is done (EOF or error). */
static bool conn_drain(struct conn *c)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

static bool conn_event(struct server *s, struct conn *c, short revents, uint64_t now)
{
	switch (c->phase) {
	case READING:
		return conn_read(s, c, now);
	case WRITING:
		return !(revents & (POLLERR | POLLHUP)) && conn_write(c, now);
	case LINGERING:
		return conn_drain(c);
	case WAITING:
		break;
	}
	return true;
}

/* ---- accepting ---- */

/* accepted, and not a byte of its request yet */
static bool silent(const struct conn *c)
{
	return c->phase == READING && c->in_len == 0;
}

/* A connection that may be closed to make room: not waiting for a scan, and heard. */
static bool evictable(const struct server *s, const struct conn *c, uint64_t now)
{
	if (c->phase == WAITING || c->round == s->round)
		return false;
	return !silent(c) || now - c->since >= EVICT_GRACE;
}

/* The oldest evictable connection of a kind (rejects or not); the table's size when none. */
static size_t oldest_evictable(const struct server *s, bool reject, uint64_t now)
{
	size_t victim = s->n;

	for (size_t i = 0; i < s->n; i++) {
		const struct conn *c = &s->conns[i];

		if (c->reject != reject || !evictable(s, c, now))
			continue;
		if (victim == s->n || c->since < s->conns[victim].since)
			victim = i;
	}
	return victim;
}

static void evict(struct server *s, size_t i)
{
	static const char *const doing[] = {
		[READING] = "still sending its request", [WRITING] = "still reading its response",
		[LINGERING] = "lingering", [WAITING] = "waiting",
	};

	vlog("%u connections: closing the oldest (%s) for a new one", s->max_conns,
	     doing[s->conns[i].phase]);
	conn_close(s, i);
}

enum place { NO_PLACE, PLACE, REJECT_PLACE };

/*
 * Where a newcomer goes. Past max_conns the oldest evictable connection makes
 * room; while every one is in its grace, the newcomer waits in the backlog.
 * Only when every connection waits for a scan does it get a reject slot, for a
 * clean 503.
 */
static enum place find_place(struct server *s, bool evict_now, uint64_t now)
{
	size_t regular = s->n - s->n_reject, v;
	bool young = false;

	if (regular < s->max_conns)
		return PLACE;
	v = oldest_evictable(s, false, now);
	if (v < s->n) {
		if (evict_now)
			evict(s, v);
		return PLACE;
	}
	for (size_t i = 0; i < s->n && !young; i++)
		young = !s->conns[i].reject && s->conns[i].phase != WAITING;
	if (young)
		return NO_PLACE;
	if (s->n_reject < REJECT_SLOTS)
		return REJECT_PLACE;
	v = oldest_evictable(s, true, now);
	if (v == s->n)
		return NO_PLACE;
	if (evict_now)
		evict(s, v);
	return REJECT_PLACE;
}

static void accept_all(struct server *s, uint64_t now)
{
	enum place place;

	while ((place = find_place(s, false, now)) != NO_PLACE) {
		int fd = accept4(s->o->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* out of descriptors: do not spin on a listener that stays readable */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				s->accept_paused_until = now + ACCEPT_PAUSE;
			return;
		}
		place = find_place(s, true, now);
		if (place == REJECT_PLACE)
			s->n_reject++;
		s->conns[s->n++] = (struct conn){
			.fd = fd, .phase = READING, .reject = place == REJECT_PLACE, .since = now,
			.round = s->round, .deadline = now + READ_TIMEOUT,
		};
		/* a client usually sent its request with the connect: answer it now */
		if (!conn_read(s, &s->conns[s->n - 1], now))
			conn_close(s, s->n - 1);
	}
}

/* ---- the loop ---- */

static void begin_stop(struct server *s, uint64_t now)
{
	s->stopping = true;
	s->drain_deadline = now + DRAIN_TIME;
	/* who has not asked yet goes at once; the requests in flight are answered */
	for (size_t i = s->n; i-- > 0;)
		if (s->conns[i].phase == READING || s->conns[i].phase == LINGERING)
			conn_close(s, i);
	if (!s->scan.running)
		serve_waiting(s, now);
}

/* Poll the listener: there is a place for a newcomer now. */
static bool accepting(struct server *s, uint64_t now)
{
	if (s->stopping || now < s->accept_paused_until)
		return false;
	return find_place(s, false, now) != NO_PLACE;
}

/* poll()'s timeout: until the nearest deadline */
static int next_timeout(const struct server *s, uint64_t now, bool listening)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < s->n; i++)
		if (s->conns[i].phase != WAITING && s->conns[i].deadline < next)
			next = s->conns[i].deadline;
	if (s->stopping && s->drain_deadline < next)
		next = s->drain_deadline;
	if (!s->stopping && s->accept_paused_until > now && s->accept_paused_until < next)
		next = s->accept_paused_until;
	/* full of silent newcomers: listen again when the first of them has had its grace */
	if (!s->stopping && !listening)
		for (size_t i = 0; i < s->n; i++)
			if (silent(&s->conns[i]) && s->conns[i].since + EVICT_GRACE < next)
				next = s->conns[i].since + EVICT_GRACE;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void expire(struct server *s, uint64_t now)
{
	for (size_t i = s->n; i-- > 0;) {
		const struct conn *c = &s->conns[i];

		if (c->phase != WAITING && c->deadline <= now) {
			if (c->phase != LINGERING)
				vlog("closing a connection that took too long %s",
				     c->phase == READING ? "to send its request" : "to read its response");
			conn_close(s, i);
		}
	}
}

/* One round: wait for something, then handle it. false: stop (done or error). */
static bool loop_once(struct server *s, struct pollfd *p)
{
	size_t n = s->n, lfd = n, sfd = n + 1, wfd = n + 2;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	bool listening;
	int r;

	s->round++;
	for (size_t i = 0; i < n; i++) {
		const struct conn *c = &s->conns[i];

		p[i] = (struct pollfd){ .fd = c->phase == WAITING ? -1 : c->fd,
					.events = c->phase == WRITING ? POLLOUT : POLLIN };
	}
	listening = accepting(s, now);
	p[lfd] = (struct pollfd){ .fd = listening ? s->o->listen_fd : -1, .events = POLLIN };
	p[sfd] = (struct pollfd){ .fd = s->stopping ? -1 : s->o->stop_fd, .events = POLLIN };
	p[wfd] = (struct pollfd){ .fd = s->scan.wake[0], .events = POLLIN };
	r = poll(p, n + 3, next_timeout(s, now, listening));
	if (r < 0 && errno != EINTR) {
		elog("poll: %s", strerror(errno));
		return false;
	}
	now = clock_ns(CLOCK_MONOTONIC);
	if (r > 0) {
		/* from the end: closing one moves the last (already handled) into its place */
		for (size_t i = n; i-- > 0;)
			if (p[i].revents && !conn_event(s, &s->conns[i], p[i].revents, now))
				conn_close(s, i);
		if (p[wfd].revents)
			scan_done(s, now);
		if (p[sfd].revents)
			begin_stop(s, now);
		if (p[lfd].revents)
			accept_all(s, now);
	}
	expire(s, now);
	if (!s->stopping)
		return true;
	if (now >= s->drain_deadline) {
		if (s->n)
			elog("stopping with %zu request(s) unfinished", s->n);
		return false;
	}
	return s->n > 0 || s->scan.running;
}

int server_run(const struct server_opts *o, char *first_text, size_t first_len,
	       uint64_t first_started)
{
	struct server s = {
		.o = o,
		.max_conns = o->max_conns ? o->max_conns : SERVE_MAX_CONNS,
		.cache = blob_new(first_text, first_len),
		.cache_started = first_started,
		.scan.wake = { -1, -1 },
	};
	struct pollfd *p;
	int ret = 0;

	if (pipe2(s.scan.wake, O_CLOEXEC | O_NONBLOCK)) {
		elog("pipe: %s", strerror(errno));
		blob_unref(s.cache);
		return -1;
	}
	s.conns = xcalloc(s.max_conns + REJECT_SLOTS, sizeof(*s.conns));
	p = xcalloc(s.max_conns + REJECT_SLOTS + 3, sizeof(*p));
	while (loop_once(&s, p))
		;
	if (!s.stopping)
		ret = -1;
	while (s.n)
		conn_close(&s, s.n - 1);
	if (s.scan.running) {
		/* a scan that outlived the drain: it dies with the process; its pipe stays */
		pthread_detach(s.scan.thread);
	} else {
		close(s.scan.wake[0]);
		close(s.scan.wake[1]);
	}
	blob_unref(s.cache);
	free(s.conns);
	free(p);
	return ret;
}
