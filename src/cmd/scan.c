// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch scan: collect (live or from a saved state) -> classify -> render.
 */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "cmd/source.h"
#include "cmd/commands.h"
#include "render/html.h"
#include "render/mail.h"
#include "render/output.h"
#include "render/prom.h"
#include "lib/util.h"
#include "lib/clock.h"
#include "lib/width.h"

static struct scan_env {
	bool json;
	struct source_opts src;		/* --state, --pve-dir ... --warn, --crit */
	const char *state_out;
	bool brief;
	bool all;			/* --all, -v: the clean guests and devices too */
	const char *html;		/* FILE, "-" for stdout */
	const char *prom;		/* FILE, "-" for stdout */
	const char *mail_to;
	const char *mail_from;
	const char *sendmail;		/* hidden: tests point it at a fake */
} env;

enum {
	OPT_SAVE_STATE = 0x100,
	OPT_HTML,
	OPT_PROM,
	OPT_MAIL_TO,
	OPT_MAIL_FROM,
	OPT_SENDMAIL,
	OPT_BRIEF,
};

static const struct argp_option scan_options[] = {
	{ "json", 'j', NULL, 0, "Print the findings as JSON (schema 1)", 0 },
	{ "save-state", OPT_SAVE_STATE, "FILE", 0, "Save the collected state as JSON", 0 },
	{ "brief", OPT_BRIEF, NULL, 0, "Print one status line for Nagios/Icinga/cron instead of "
	  "the table (exit code as always)", 0 },
	{ "html", OPT_HTML, "FILE", 0, "Also write the report as a self-contained HTML page "
	  "(- for stdout instead of the table)", 0 },
	{ "prom", OPT_PROM, "FILE", 0, "Also write Prometheus metrics for node_exporter's textfile "
	  "collector, atomically (- for stdout instead of the table)", 0 },
	{ "mail-to", OPT_MAIL_TO, "ADDR", 0, "Mail the report (text and HTML) to ADDR through the "
	  "local sendmail; comma-separate several", 0 },
	{ "mail-from", OPT_MAIL_FROM, "ADDR", 0, "Sender of that mail (default: the MTA's)", 0 },
	{ "sendmail", OPT_SENDMAIL, "PATH", OPTION_HIDDEN, "sendmail to run (default $SENDMAIL, "
	  "else /usr/sbin/sendmail)", 0 },
	{ "all", 'a', NULL, 0, "Also list the clean guests, snapshots and devices (by default "
	  "the table shows only what has something to say)", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr; implies --all", 0 },
	{},
};

static error_t scan_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j': env.json = true; break;
	case 'a': env.all = true; break;
	case 'v': verbose = 1; env.all = true; break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env.src;
		break;
	case OPT_SAVE_STATE: env.state_out = arg; break;
	case OPT_BRIEF: env.brief = true; break;
	case OPT_HTML: env.html = arg; break;
	case OPT_PROM: env.prom = arg; break;
	case OPT_SENDMAIL: env.sendmail = arg; break;
	case OPT_MAIL_TO:
	case OPT_MAIL_FROM:
		if (!mail_address_ok(arg))
			argp_error(state, "--%s takes a mail address, not '%s'",
				   key == OPT_MAIL_TO ? "mail-to" : "mail-from", arg);
		*(key == OPT_MAIL_TO ? &env.mail_to : &env.mail_from) = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child scan_children[] = {
	{ &source_argp, 0, NULL, 0 },
	{},
};

static const struct argp scan_argp = {
	.options = scan_options,
	.parser = scan_parse,
	.children = scan_children,
	.args_doc = "",
	.doc = "Classify every device-mapper device (valid, internal, tombstone, duplicate, "
	       "unmanaged), check snapshots and thin pools for space, show a VM dashboard "
	       "and a grade.\vExit: 0 ok, 1 warnings, 2 critical, 3 could not run.\n"
	       "Examples:\n  dmwatch scan\n  dmwatch scan --json > scan.json\n"
	       "  dmwatch scan --save-state node1.json   (for support)\n"
	       "  dmwatch scan --state node1.json        (offline, no root)\n"
	       "  dmwatch scan --brief                   (Nagios/Icinga check)\n"
	       "  dmwatch scan --prom /var/lib/prometheus/node-exporter/dmwatch.prom\n"
	       "  dmwatch scan --html report.html --mail-to root",
};

static bool is_stdout(const char *path)
{
	return path && !strcmp(path, "-");
}

/* --html/--prom: to stdout, or to a file that readers never see half written */
static int emit(const char *path, const char *data, size_t len, char **why)
{
	int e;

	if (is_stdout(path)) {
		if (fwrite(data, 1, len, stdout) == len && !fflush(stdout))
			return 0;
		*why = xasprintf("cannot write to stdout: %s", strerror(errno));
		return -1;
	}
	e = write_file_atomic(path, data, len, 0644);
	if (e)
		*why = xasprintf("cannot write %s: %s", path, strerror(-e));
	return e;
}

static char *this_host(void)
{
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	host[strcspn(host, ".")] = 0;
	return xstrdup(host);
}

static int send_mail(const struct report *r, const char *host, const char *failure,
		     const struct html_opts *ho, char **why)
{
	struct mail_opts mo = { .to = env.mail_to, .from = env.mail_from, .html = ho };
	const char *sm = mail_sendmail_path(env.sendmail);
	char *msg = NULL, *err = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&msg, &len);
	int ret;

	if (!m) {
		*why = xasprintf("out of memory");
		return -1;
	}
	mail_compose(m, r, host, failure, &mo);
	fclose(m);
	ret = mail_send(sm, msg, len, &err);
	if (ret)
		*why = xasprintf("mail to %s not sent: %s", env.mail_to, err);
	else
		vlog("mailed the report to %s through %s", env.mail_to, sm);
	free(err);
	free(msg);
	return ret;
}

/* The scan could not run: still say so where the user asked for output. */
static void report_failure(const struct state *st, const char *why)
{
	char *host = st->host ? xstrdup(st->host) : this_host(), *err = NULL;

	if (env.brief) {
		char *line = brief_unknown(why);

		printf("%s\n", line);
		free(line);
	}
	if (env.prom) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);

		if (m) {
			/* dmwatch_up 0 rather than a stale file that looks fine */
			output_prom_failure(m, time(NULL));
			fclose(m);
			if (emit(env.prom, text, len, &err)) {
				elog("%s", err ? err : "cannot write metrics");
				free(err);
				err = NULL;
			}
		}
		free(text);
	}
	if (env.mail_to && send_mail(NULL, host, why, NULL, &err)) {
		elog("%s", err);
		free(err);
	}
	free(host);
}

struct side_ctx {
	const struct report *r;
	double secs;
	const struct html_opts *ho;
};

static int put_prom(FILE *f, void *ctx)
{
	const struct side_ctx *c = ctx;

	output_prom(f, c->r, c->secs);
	return ferror(f) ? -EIO : 0;
}

static int put_html(FILE *f, void *ctx)
{
	const struct side_ctx *c = ctx;

	output_html(f, c->r, c->ho);
	return ferror(f) ? -EIO : 0;
}

/* A large report straight into stdout or the file, never a whole copy in memory first */
static int emit_with(const char *path, int (*put)(FILE *f, void *ctx), void *ctx, char **why)
{
	int e;

	if (is_stdout(path)) {
		if (!put(stdout, ctx) && !fflush(stdout) && !ferror(stdout))
			return 0;
		*why = xasprintf("cannot write to stdout: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	e = write_file_atomic_with(path, 0644, put, ctx);
	if (e)
		*why = xasprintf("cannot write %s: %s", path, strerror(-e));
	return e;
}

/* --html, --prom, --mail-to. Returns 0, or -1 with *why set. */
static int side_outputs(const struct report *r, double secs, char **why)
{
	struct host_facts hf;
	struct html_opts ho = {
		.warn_percent = env.src.thresholds.warn_percent,
		.crit_percent = env.src.thresholds.crit_percent,
		.all = env.all,
	};
	struct side_ctx sc = { .r = r, .secs = secs, .ho = &ho };
	char *src = NULL;
	int ret = 0;

	if (env.src.state_in) {
		src = xasprintf("saved state %s", env.src.state_in);
	} else {
		/*
		 * host facts only describe this machine when it is the one scanned,
		 * and only the HTML report (alone or mailed) shows them
		 */
		if (env.html || env.mail_to) {
			host_facts_collect(&hf);
			ho.facts = &hf;
		}
		src = xstrdup("live scan");
	}
	ho.source = src;
	if (env.prom) {
		ret = emit_with(env.prom, put_prom, &sc, why);
		if (ret)
			goto out;
	}
	if (env.html) {
		ret = emit_with(env.html, put_html, &sc, why);
		if (ret)
			goto out;
	}
	if (env.mail_to)
		ret = send_mail(r, NULL, NULL, &ho, why);
out:
	free(src);
	return ret;
}

int cmd_scan(int argc, char **argv)
{
	struct state st = {};
	struct report rep = {};
	double t0, t1;	/* the scan's duration for dmwatch_scan_duration_seconds */
	char *why = NULL;
	int ret = EXIT_UNUSABLE, to_stdout;

	memset(&env, 0, sizeof(env));
	source_opts_init(&env.src);
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&scan_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;
	to_stdout = env.json + env.brief + is_stdout(env.html) + is_stdout(env.prom);
	if (to_stdout > 1) {
		elog("--json, --brief, --html - and --prom - all print to stdout: choose one");
		return EXIT_UNUSABLE;
	}
	if (env.mail_from && !env.mail_to) {
		elog("--mail-from needs --mail-to");
		return EXIT_UNUSABLE;
	}

	t0 = clock_seconds(CLOCK_MONOTONIC);
	if (source_get(&st, &env.src, &why)) {
		elog("%s", why);
		goto cleanup;
	}
	if (env.state_out) {
		int e = state_save_json(&st, env.state_out);

		if (e) {
			why = xasprintf("cannot write %s: %s", env.state_out, strerror(-e));
			elog("%s", why);
			goto cleanup;
		}
	}

	classify(&st, &env.src.thresholds, &rep);
	t1 = clock_seconds(CLOCK_MONOTONIC);
	ret = rep.exit_code;
	if (side_outputs(&rep, t1 - t0, &why)) {
		elog("%s", why);
		ret = EXIT_UNUSABLE;
	}
	if (env.brief) {
		char *line = ret == EXIT_UNUSABLE ? brief_unknown(why) : report_brief(&rep);

		printf("%s\n", line);
		free(line);
	} else if (env.json) {
		output_json(stdout, &rep);
	} else if (!to_stdout) {
		struct table_opts to = { .width = term_width(stdout), .all = env.all };

		output_table_with(stdout, &rep, &to);
	}
	free(why);
	why = NULL;
cleanup:
	if (why)
		report_failure(&st, why);
	free(why);
	report_free(&rep);
	state_free(&st);
	return ret;
}
