// SPDX-License-Identifier: GPL-2.0
/* dmwatch explain: its options and flow; the work is in postmortem/. */
#include <argp.h>
#include <errno.h>
#include <string.h>
#include "cmd/commands.h"
#include "postmortem/postmortem.h"
#include "lib/escape.h"
#include "lib/util.h"

struct explain_args {
	struct pm_opts o;
	const char *file;
};

static const struct argp_option options[] = {
	{ "dir", 'd', "DIR", 0, "Recorder directory (default " PM_DEFAULT_DIR ")", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct explain_args *a = state->input;

	switch (key) {
	case 'd': a->o.dir = arg; break;
	case 'v': verbose = 1; break;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "unexpected argument '%s'", arg);
		a->file = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse,
		.args_doc = "[FILE|-]",
		.doc = "Print kernel log text (dmesg -T, journalctl -k, syslog, raw dmesg of a "
		       "recorded boot) with every dm-N annotated with the device it was at that "
		       "line's time: \"dev dm-54 [backup-snap--102--0]\". \"probably\" marks a "
		       "guess within the log's clock precision; lines without a time get the "
		       "latest name, marked \"(time unknown)\". Control characters are shown "
		       "escaped (\\x1b).\vReads standard input without FILE.",
	};
	struct explain_args a = {};
	FILE *in = stdin;
	int ret;

	pm_opts_init(&a.o);
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_UNUSABLE;
	if (a.file && strcmp(a.file, "-")) {
		in = fopen(a.file, "re");
		if (!in) {
			char *shown = term_escaped(a.file);

			elog("cannot open %s: %s", shown, strerror(errno));
			free(shown);
			return EXIT_UNUSABLE;
		}
	}
	ret = pm_explain(stdout, in, &a.o);
	if (in != stdin)
		fclose(in);
	return ret;
}
