// SPDX-License-Identifier: GPL-2.0
/* dmwatch whois: its options and flow; the work is in postmortem/. */
#include <argp.h>
#include "cmd/commands.h"
#include "postmortem/postmortem.h"
#include "lib/util.h"

struct whois_args {
	struct pm_opts o;
	const char *what, *at;
};

static const struct argp_option options[] = {
	{ "dir", 'd', "DIR", 0, "Recorder directory (default " PM_DEFAULT_DIR ")", 0 },
	{ "at", 'a', "T", 0, "At this time (\"2025-10-27 05:38:02\", ISO 8601, @unix, -10m, "
	  "\"1h ago\", yesterday, or a dmesg -T stamp)", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct whois_args *a = state->input;

	switch (key) {
	case 'd': a->o.dir = arg; break;
	case 'a': a->at = arg; break;
	case 'v': verbose = 1; break;
	case ARGP_KEY_ARG:
		if (a->what)
			argp_error(state, "unexpected argument '%s'", arg);
		a->what = arg;
		break;
	case ARGP_KEY_END:
		if (!a->what)
			argp_error(state, "which device? (dm-N, MAJ:MIN or a name)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_whois(int argc, char **argv)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse,
		.args_doc = "dm-N|MAJ:MIN|NAME|VG/LV",
		.doc = "Which device a dm-N was at a given time, from the recorder's name "
		       "history: name, uuid, VG/LV, table, snapshot origin or thin pool, who "
		       "created and removed it and when. Without --at: every device that "
		       "number has been.\vExit: 0 found, 1 not in the recording, 3 could not run.",
	};
	struct whois_args a = {};

	pm_opts_init(&a.o);
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_UNUSABLE;
	return pm_whois(stdout, &a.o, a.what, a.at);
}
