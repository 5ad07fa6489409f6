// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch serve: a tiny HTTP/1.1 server for Prometheus. GET /metrics runs a scan
 * (or reuses one at most --min-interval seconds old) and answers with the same
 * text `scan --prom` writes; everything else is 404.
 *
 * One thread per connection, bounded in number and in time, so a slow or stuck
 * client cannot hold the others up; scans are serialised by one lock, because
 * libdevmapper and the collectors are not made for concurrent use and two scans
 * of one node at once would only tell the same thing twice. SIGTERM and SIGINT
 * reach the accept loop through a pipe: it stops accepting, lets the requests in
 * flight finish (for a while) and exits 0.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "cmd/source.h"
#include "cmd/commands.h"
#include "render/prom.h"
#include "cmd/serve.h"
#include "lib/util.h"
#include "lib/opts.h"

#define MAX_CONNS	32		/* connections served at once; more get 503 */
#define REQ_MAX		8192		/* request line + headers */
#define IO_TIMEOUT_S	10		/* to read a request, and per write */
#define DRAIN_S		15		/* how long shutdown waits for requests in flight */

static struct serve_env {
	const char *listen;
	double min_interval;
	struct source_opts src;		/* --state, --pve-dir ... --warn, --crit */
} env;

enum {
	OPT_LISTEN = 0x100,
	OPT_MIN_INTERVAL,
};

static const struct argp_option serve_options[] = {
	{ "listen", OPT_LISTEN, "HOST:PORT", 0, "Address to listen on (default 127.0.0.1:9877; "
	  "[::1]:PORT for IPv6, :PORT for all addresses, port 0 picks a free one)", 0 },
	{ "min-interval", OPT_MIN_INTERVAL, "SECONDS", 0, "Reuse a scan at most this old instead "
	  "of scanning per scrape (default 0: every scrape scans)", 0 },
	{ "verbose", 'v', NULL, 0, "Log every request on stderr", 0 },
	{},
};

static error_t serve_parse(int key, char *arg, struct argp_state *state)
{

	switch (key) {
	case 'v': verbose = 1; break;
	case OPT_LISTEN: env.listen = arg; break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env.src;
		break;
	case OPT_MIN_INTERVAL:
		if (opt_seconds(arg, 0, false, 86400, &env.min_interval))
			argp_error(state, "--min-interval takes seconds in [0, 86400], not '%s'", arg);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child serve_children[] = {
	{ &source_argp, 0, NULL, 0 },
	{},
};

static const struct argp serve_argp = {
	.options = serve_options,
	.parser = serve_parse,
	.children = serve_children,
	.args_doc = "",
	.doc = "Serve the scan's Prometheus metrics over HTTP: GET /metrics scans this node "
	       "(or a saved state) and answers in the text format `scan --prom` writes; "
	       "any other path is 404.\vEnds cleanly (exit 0) on SIGTERM or SIGINT; exit 3 "
	       "when it cannot listen or the first scan fails.\n"
	       "Examples:\n  dmwatch serve\n  dmwatch serve --listen 0.0.0.0:9877 --min-interval 30\n"
	       "  curl -s http://127.0.0.1:9877/metrics",
};

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

/* ---- scans, shared by all connections ---- */

static struct {
	pthread_mutex_t lock;
	char *text;
	size_t len;
	struct timespec started;	/* CLOCK_MONOTONIC: when the cached scan began */
	bool valid;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static double mono_diff(const struct timespec *a, const struct timespec *b)
{
	return (a->tv_sec - b->tv_sec) + (a->tv_nsec - b->tv_nsec) / 1e9;
}

/* One scan rendered as metrics. Returns false (and failure metrics) when it could not run. */
static bool render(char **text, size_t *len, char **why)
{
	struct timespec t0, t1;
	struct state st = {};
	struct report rep = {};
	bool ok = false;
	FILE *m;

	*text = NULL;
	*len = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (source_get(&st, &env.src, why))
		goto render;
	classify(&st, &env.src.thresholds, &rep);
	ok = true;
render:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m = open_memstream(text, len);
	if (!m) {
		elog("out of memory");
		exit(EXIT_UNUSABLE);
	}
	if (ok)
		output_prom(m, &rep, mono_diff(&t1, &t0));
	else
		output_prom_failure(m, time(NULL));
	fclose(m);
	if (ok)
		report_free(&rep);
	state_free(&st);
	return ok;
}

/* The metrics for a request that arrived at `arrival`; caller frees. */
static char *metrics(const struct timespec *arrival, size_t *len)
{
	struct timespec now;
	char *why = NULL, *copy;

	pthread_mutex_lock(&cache.lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* a scan that began after the request arrived is as fresh as one of its own */
	if (!cache.valid || (mono_diff(&cache.started, arrival) < 0 &&
			     mono_diff(&now, &cache.started) >= env.min_interval)) {
		free(cache.text);
		cache.started = now;
		if (!render(&cache.text, &cache.len, &why)) {
			elog("scan failed: %s", why);
			free(why);
		}
		cache.valid = true;
	}
	copy = xmalloc(cache.len + 1);
	memcpy(copy, cache.text, cache.len);
	copy[cache.len] = 0;
	*len = cache.len;
	pthread_mutex_unlock(&cache.lock);
	return copy;
}

/* ---- HTTP ---- */

static int stop_pipe[2] = { -1, -1 };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int active;
} conns = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static void respond(int fd, int code, const char *reason, const char *ctype, const char *extra,
		    const char *body, size_t len, bool head)
{
	char *hdr = xasprintf("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			      "%sConnection: close\r\n\r\n", code, reason, ctype, len,
			      extra ? extra : "");

	if (!send_all(fd, hdr, strlen(hdr)) && !head && len)
		send_all(fd, body, len);
	free(hdr);
}

static void respond_text(int fd, int code, const char *reason, const char *extra, bool head)
{
	char *body = xasprintf("%d %s\n", code, reason);

	respond(fd, code, reason, "text/plain; charset=utf-8", extra, body, strlen(body), head);
	free(body);
}

/* Read until the end of the headers. Returns the request length, 0 on EOF or timeout, -1 too long. */
static ssize_t read_request(int fd, char *buf, size_t size)
{
	struct timespec t0, now;
	size_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < size - 1) {
		/* the stop pipe stays readable once stopping: an idle client goes at once */
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = stop_pipe[0], .events = POLLIN },
		};
		double left;
		ssize_t r;
		int pr;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = IO_TIMEOUT_S - mono_diff(&now, &t0);
		if (left <= 0)
			return 0;
		pr = poll(p, 2, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0 || p[1].revents)
			return 0;
		r = recv(fd, buf + n, size - 1 - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		n += r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return n;
	}
	return -1;
}

static void handle(int fd)
{
	char req[REQ_MAX], method[16], target[1024], version[16];
	struct timespec arrival;
	ssize_t n;
	bool head;

	n = read_request(fd, req, sizeof(req));
	clock_gettime(CLOCK_MONOTONIC, &arrival);
	if (n == 0)
		return;
	if (n < 0) {
		respond_text(fd, 431, "Request Header Fields Too Large", NULL, false);
		return;
	}
	if (sscanf(req, "%15s %1023s %15[^\r\n]", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		respond_text(fd, 400, "Bad Request", NULL, false);
		return;
	}
	vlog("%s %s", method, target);
	head = !strcmp(method, "HEAD");
	/* the query string does not matter: Prometheus may add one */
	target[strcspn(target, "?#")] = 0;
	if (strcmp(target, "/metrics")) {
		respond_text(fd, 404, "Not Found", NULL, head);
		return;
	}
	if (!head && strcmp(method, "GET")) {
		respond_text(fd, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", false);
		return;
	} else {
		size_t len;
		char *body = metrics(&arrival, &len);

		respond(fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", NULL, body, len,
			head);
		free(body);
	}
}

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	/* a client that stops reading must not pin this thread forever */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	handle(fd);
	close(fd);
	pthread_mutex_lock(&conns.lock);
	if (--conns.active == 0)
		pthread_cond_broadcast(&conns.idle);
	pthread_mutex_unlock(&conns.lock);
	return NULL;
}

static void on_stop(int sig)
{
	int e = errno;

	if (write(stop_pipe[1], "x", 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = e;
}

static int open_listener(const char *spec, char *shown, size_t shown_len)
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
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 64))
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

int cmd_serve(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop, .sa_flags = SA_RESTART };
	struct sigaction old_term, old_int;
	char shown[160], *why = NULL;
	struct timespec deadline;
	int lfd, ret = EXIT_UNUSABLE;
	pthread_attr_t attr;

	memset(&env, 0, sizeof(env));
	env.listen = "127.0.0.1:9877";
	source_opts_init(&env.src);
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&serve_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;

	lfd = open_listener(env.listen, shown, sizeof(shown));
	if (lfd < 0)
		return EXIT_UNUSABLE;
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		elog("pipe: %s", strerror(errno));
		close(lfd);
		return EXIT_UNUSABLE;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);

	/* a first scan now: a bad state file or no dm access is an error at start, not
	 * a surprise at the first scrape */
	pthread_mutex_lock(&cache.lock);
	clock_gettime(CLOCK_MONOTONIC, &cache.started);
	cache.valid = render(&cache.text, &cache.len, &why);
	pthread_mutex_unlock(&cache.lock);
	if (!cache.valid) {
		elog("%s", why);
		free(why);
		goto out;
	}
	fprintf(stderr, "dmwatch: serving metrics on http://%s/metrics\n", shown);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = stop_pipe[0], .events = POLLIN },
		};
		pthread_t th;
		int cfd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			elog("poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			/* out of descriptors: do not spin on a listener that stays readable */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				poll(NULL, 0, 100);
			continue;
		}
		pthread_mutex_lock(&conns.lock);
		if (conns.active >= MAX_CONNS) {
			pthread_mutex_unlock(&conns.lock);
			respond_text(cfd, 503, "Service Unavailable", NULL, false);
			close(cfd);
			continue;
		}
		conns.active++;
		pthread_mutex_unlock(&conns.lock);
		if (pthread_create(&th, &attr, conn_thread, (void *)(intptr_t)cfd)) {
			close(cfd);
			pthread_mutex_lock(&conns.lock);
			conns.active--;
			pthread_mutex_unlock(&conns.lock);
		}
	}
	pthread_attr_destroy(&attr);
	close(lfd);
	lfd = -1;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += DRAIN_S;
	pthread_mutex_lock(&conns.lock);
	while (conns.active > 0)
		if (pthread_cond_timedwait(&conns.idle, &conns.lock, &deadline) == ETIMEDOUT)
			break;
	if (conns.active)
		elog("stopping with %d request(s) unfinished", conns.active);
	pthread_mutex_unlock(&conns.lock);
	vlog("stopped");
	ret = EXIT_OK;
out:
	if (lfd >= 0)
		close(lfd);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	pthread_mutex_lock(&cache.lock);
	free(cache.text);
	cache.text = NULL;
	cache.valid = false;
	pthread_mutex_unlock(&cache.lock);
	return ret;
}
