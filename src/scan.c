// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch scan: collect (live or from a saved state) -> classify -> render.
 */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "classify.h"
#include "collect.h"
#include "commands.h"
#include "output.h"
#include "util.h"

static struct scan_env {
	bool json;
	const char *state_in;
	const char *state_out;
	const char *pve_dir;
	const char *run_dir;
	const char *node;
	bool no_lvm;
	struct classify_opts opts;
} env;

enum {
	OPT_STATE = 0x100,
	OPT_SAVE_STATE,
	OPT_PVE_DIR,
	OPT_RUN_DIR,
	OPT_NODE,
	OPT_WARN,
	OPT_CRIT,
	OPT_NO_LVM,
};

static const struct argp_option scan_options[] = {
	{ "json", 'j', NULL, 0, "Print the findings as JSON (schema 1)", 0 },
	{ "state", OPT_STATE, "FILE", 0, "Analyse a saved state instead of this host (no root needed)", 0 },
	{ "save-state", OPT_SAVE_STATE, "FILE", 0, "Save the collected state as JSON", 0 },
	{ "pve-dir", OPT_PVE_DIR, "DIR", 0, "Proxmox config tree (default /etc/pve)", 0 },
	{ "run-dir", OPT_RUN_DIR, "DIR", 0, "Runtime dir with qemu-server/<vmid>.pid (default /run)", 0 },
	{ "node", OPT_NODE, "NAME", 0, "This node's Proxmox name (default: hostname)", 0 },
	{ "warn", OPT_WARN, "PCT", 0, "Warn when a snapshot/pool is this full (default 80)", 0 },
	{ "crit", OPT_CRIT, "PCT", 0, "Critical when this full (default 95)", 0 },
	{ "no-lvm", OPT_NO_LVM, NULL, 0, "Do not run lvs (dm data only)", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static int parse_percent_arg(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || v <= 0 || v > 100)
		return -EINVAL;
	*out = v;
	return 0;
}

static error_t scan_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j': env.json = true; break;
	case 'v': verbose = 1; break;
	case OPT_STATE: env.state_in = arg; break;
	case OPT_SAVE_STATE: env.state_out = arg; break;
	case OPT_PVE_DIR: env.pve_dir = arg; break;
	case OPT_RUN_DIR: env.run_dir = arg; break;
	case OPT_NODE: env.node = arg; break;
	case OPT_NO_LVM: env.no_lvm = true; break;
	case OPT_WARN:
		if (parse_percent_arg(arg, &env.opts.warn_percent))
			argp_error(state, "--warn takes a percentage in (0, 100], not '%s'", arg);
		break;
	case OPT_CRIT:
		if (parse_percent_arg(arg, &env.opts.crit_percent))
			argp_error(state, "--crit takes a percentage in (0, 100], not '%s'", arg);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp scan_argp = {
	.options = scan_options,
	.parser = scan_parse,
	.args_doc = "",
	.doc = "Classify every device-mapper device (valid, internal, tombstone, duplicate, "
	       "unmanaged), check snapshots and thin pools for space, show a VM dashboard "
	       "and a grade.\vExit: 0 ok, 1 warnings, 2 critical, 3 could not run.\n"
	       "Examples:\n  dmwatch scan\n  dmwatch scan --json > scan.json\n"
	       "  dmwatch scan --save-state node1.json   (for support)\n"
	       "  dmwatch scan --state node1.json        (offline, no root)",
};

int cmd_scan(int argc, char **argv)
{
	struct state st = {};
	struct report rep = {};
	char *err = NULL;
	int ret = EXIT_UNUSABLE;

	memset(&env, 0, sizeof(env));
	classify_opts_default(&env.opts);
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&scan_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;
	if (env.opts.warn_percent > env.opts.crit_percent) {
		elog("--warn (%g) must not be above --crit (%g)", env.opts.warn_percent,
		     env.opts.crit_percent);
		return EXIT_UNUSABLE;
	}

	if (env.state_in) {
		if (state_load_json(&st, env.state_in, &err)) {
			elog("%s", err);
			goto cleanup;
		}
		if (env.node) {
			free(st.node);
			st.node = xstrdup(env.node);
		}
	} else {
		struct collect_opts co = {
			.pve_dir = env.pve_dir, .run_dir = env.run_dir, .node = env.node,
			.no_lvm = env.no_lvm,
		};

		collect_live(&st, &co);
		if (!st.have_dm) {
			elog("cannot read device-mapper state: %s",
			     st.n_problems ? st.problems[0].message : "unknown error");
			goto cleanup;
		}
	}
	if (env.state_out) {
		int e = state_save_json(&st, env.state_out);

		if (e) {
			elog("cannot write %s: %s", env.state_out, strerror(-e));
			goto cleanup;
		}
	}

	classify(&st, &env.opts, &rep);
	if (env.json)
		output_json(stdout, &rep);
	else
		output_table(stdout, &rep);
	ret = rep.exit_code;
cleanup:
	free(err);
	report_free(&rep);
	state_free(&st);
	return ret;
}
