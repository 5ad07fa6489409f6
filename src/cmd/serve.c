// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch serve: Prometheus metrics over HTTP. GET /metrics runs a scan (or
 * reuses one at most --min-interval seconds old) and answers with the same text
 * `scan --prom` writes; everything else is 404. This file is the command: its
 * options, the first scan, the listener and the signals; the server itself
 * (serve/server.c) keeps strangers' connections bounded.
 *
 * SIGTERM and SIGINT reach the server through a pipe: it stops accepting, lets
 * the requests in flight finish (for a while) and the command exits 0.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "cmd/source.h"
#include "cmd/commands.h"
#include "render/prom.h"
#include "serve/listen.h"
#include "serve/server.h"
#include "lib/clock.h"
#include "lib/escape.h"
#include "lib/opts.h"
#include "lib/util.h"

static struct serve_env {
	const char *listen;
	double min_interval;
	long max_conns;
	struct source_opts src;		/* --state, --pve-dir ... --warn, --crit */
} env;

enum {
	OPT_LISTEN = 0x100,
	OPT_MIN_INTERVAL,
	OPT_MAX_CONNS,
};

static const struct argp_option serve_options[] = {
	{ "listen", OPT_LISTEN, "HOST:PORT", 0, "Address to listen on (default 127.0.0.1:9877; "
	  "[::1]:PORT for IPv6, :PORT for all addresses, port 0 picks a free one)", 0 },
	{ "min-interval", OPT_MIN_INTERVAL, "SECONDS", 0, "Reuse a scan at most this old instead "
	  "of scanning per scrape (default 0: every scrape scans)", 0 },
	{ "max-connections", OPT_MAX_CONNS, "N", OPTION_HIDDEN, "Connections held at once "
	  "(default 512; tests make it small)", 0 },
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
	case OPT_MAX_CONNS:
		if (opt_long(arg, 1, 4096, &env.max_conns))
			argp_error(state, "--max-connections takes a number in [1, 4096], not '%s'",
				   arg);
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
	       "when it cannot listen or the --state file cannot be read. A live scan that "
	       "fails is served as dmwatch_up 0, and serving goes on.\n"
	       "Examples:\n  dmwatch serve\n  dmwatch serve --listen 0.0.0.0:9877 --min-interval 30\n"
	       "  curl -s http://127.0.0.1:9877/metrics",
};

/* One scan as metrics text: the findings, or dmwatch_up 0 and why not (in *why). */
static bool scan_metrics(char **text, size_t *len, char **why)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct state st = {};
	struct report rep = {};
	bool ok = !source_get(&st, &env.src, why);
	FILE *m = open_memstream(text, len);

	if (!m)
		oom();
	if (ok) {
		classify(&st, &env.src.thresholds, &rep);
		output_prom(m, &rep, (clock_ns(CLOCK_MONOTONIC) - t0) / 1e9);
		report_free(&rep);
	} else {
		output_prom_failure(m, time(NULL));
	}
	if (fclose(m))
		oom();
	state_free(&st);
	return ok;
}

/* why a scan failed, on stderr (the journal): one line whatever a path holds */
static void log_failure(const char *prefix, char *why, const char *suffix)
{
	char *shown = term_escaped(why);

	elog("%s%s%s", prefix, shown, suffix);
	free(shown);
	free(why);
}

/* the server's scan, on its scan thread: a failure is said on stderr and served */
static void server_scan(void *ctx, char **text, size_t *len)
{
	char *why = NULL;

	if (!scan_metrics(text, len, &why))
		log_failure("scan failed: ", why, "");
}

static int stop_pipe[2] = { -1, -1 };

static void on_stop(int sig)
{
	int e = errno;

	if (write(stop_pipe[1], "x", 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = e;
}

/*
 * The scan at start. A --state file that cannot be read is a mistake to report
 * now (exit 3); a live node whose dm cannot be read is what the metrics are for:
 * it is served as dmwatch_up 0 and the next scrape tries again.
 */
static int first_scan(char **text, size_t *len, uint64_t *started)
{
	char *why = NULL;

	*started = clock_ns(CLOCK_MONOTONIC);
	if (scan_metrics(text, len, &why))
		return 0;
	log_failure("", why, env.src.state_in ? "" : " (serving dmwatch_up 0 until a scan succeeds)");
	if (!env.src.state_in)
		return 0;
	free(*text);
	*text = NULL;
	return -1;
}

int cmd_serve(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop, .sa_flags = SA_RESTART };
	struct sigaction old_term, old_int;
	struct server_opts so = { .scan = server_scan };
	char shown[160], *text = NULL;
	size_t len = 0;
	uint64_t started;
	int lfd, ret = EXIT_UNUSABLE;

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

	if (first_scan(&text, &len, &started))
		goto out;
	fprintf(stderr, "dmwatch: serving metrics on http://%s/metrics\n", shown);
	so.listen_fd = lfd;
	so.stop_fd = stop_pipe[0];
	so.min_interval = env.min_interval;
	so.max_conns = (unsigned int)env.max_conns;
	if (!server_run(&so, text, len, started)) {
		vlog("stopped");
		ret = EXIT_OK;
	}
out:
	close(lfd);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	return ret;
}
