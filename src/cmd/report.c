// SPDX-License-Identifier: GPL-2.0
/* dmwatch report: its options and flow; the work is in postmortem/. */
#include <argp.h>
#include <stdint.h>
#include "cmd/commands.h"
#include "postmortem/postmortem.h"
#include "lib/util.h"
#include "lib/width.h"

struct report_args {
	struct pm_opts o;
	const char *since, *until;
};

static const struct argp_option options[] = {
	{ "dir", 'd', "DIR", 0, "Recorder directory (default " PM_DEFAULT_DIR ")", 0 },
	{ "since", 'S', "T", 0, "From this time (\"2025-10-27 05:30\", ISO 8601, @unix, -10m, "
	  "\"1h ago\", today, yesterday)", 0 },
	{ "until", 'U', "T", 0, "Up to this time (the same forms)", 0 },
	{ "json", 'j', NULL, 0, "One JSON event per line (the trace --json schema)", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct report_args *a = state->input;

	switch (key) {
	case 'd': a->o.dir = arg; break;
	case 'j': a->o.json = true; break;
	case 'v': verbose = 1; break;
	case 'S': a->since = arg; break;
	case 'U': a->until = arg; break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse,
		.doc = "What the recorder saw: a short summary of what went wrong (COW or pool "
		       "full, snapshots invalidated, I/O errors per named device and process, "
		       "failed dm operations, lost events, recorder gaps), the timeline, and "
		       "tables per device.\vTimes are local, like dmesg -T; \"today\" and "
		       "\"yesterday\" are midnight, as in journalctl, and --until 05:38 means up "
		       "to the end of that minute. Damaged parts of the log are skipped with a "
		       "warning. Lines fit $COLUMNS or the terminal (80 at least); a name cut "
		       "short ends in '~' (--json keeps it whole). Exit 3 only when nothing can "
		       "be read.",
	};
	struct report_args a = {};
	int64_t res;

	pm_opts_init(&a.o);
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_UNUSABLE;
	if ((a.since && pm_time_arg(&a.o, "--since", a.since, &a.o.since_ns, &res)) ||
	    (a.until && pm_time_arg(&a.o, "--until", a.until, &a.o.until_ns, &res)))
		return EXIT_UNUSABLE;
	/* --until 05:38 means up to the end of that minute */
	if (a.until && a.o.until_ns < INT64_MAX - res)
		a.o.until_ns += res - 1;
	if (a.o.since_ns > a.o.until_ns) {
		elog("--since is after --until");
		return EXIT_UNUSABLE;
	}
	a.o.width = term_width(stdout);
	return pm_report(stdout, &a.o);
}
