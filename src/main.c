// SPDX-License-Identifier: GPL-2.0
/* dmwatch: find and explain device-mapper trouble. main() only dispatches. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include "cmd/commands.h"
#include "lib/util.h"

/* argp gives every command --version (-V) from this */
const char *argp_program_version = "dmwatch " DMWATCH_VERSION;

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "scan",    cmd_scan,    "classify every dm device, snapshots and pools; grade, exit code" },
	{ "trace",   cmd_trace,   "live: dm create/remove/rename, I/O errors named, COW fill rate" },
	{ "serve",   cmd_serve,   "Prometheus metrics of scan over HTTP (GET /metrics)" },
	{ "record",  cmd_record,  "background recorder for post-mortems" },
	{ "report",  cmd_report,  "timeline from the recorder" },
	{ "whois",   cmd_whois,   "which device was dm-N at a given time" },
	{ "explain", cmd_explain, "annotate dm-N in kernel log text with names" },
	{ "clean",   cmd_clean,   "safe interactive cleanup of tombstones and duplicates" },
	{ "restore", cmd_restore, "undo a cleanup from its journal" },
	{ "doctor",  cmd_doctor,  "will trace and record work on this kernel, and how" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: dmwatch COMMAND [OPTION...]\n"
		"Find and explain device-mapper trouble on Proxmox VE / LVM hosts.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n`dmwatch COMMAND --help` for a command's options.\n"
		"Exit codes: 0 ok, 1 warning, 2 critical, 3 could not run.\n");
}

int main(int argc, char **argv)
{
	/*
	 * A loaded state is a few hundred thousand small strings, freed at once
	 * (state_free, like the tree of an lvs report); with fastbins glibc spends
	 * that time again in malloc_consolidate (a third of a large scan when the
	 * saved state was still a json-c tree; the pattern is the same).
	 */
	mallopt(M_MXFAST, 0);
	if (argc < 2) {
		usage(stderr);
		return EXIT_UNUSABLE;
	}
	/* `dmwatch help scan` is `dmwatch scan --help`, as git and systemctl users expect */
	if (!strcmp(argv[1], "help") && argc == 3) {
		static char help_opt[] = "--help";
		char *args[] = { argv[0], argv[2], help_opt, NULL };

		return main(3, args);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("dmwatch %s\n", DMWATCH_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char prog[32];

		if (strcmp(argv[1], commands[i].name))
			continue;
		/* argp names the program after argv[0]: "Usage: dmwatch scan ..." */
		snprintf(prog, sizeof(prog), "dmwatch %s", commands[i].name);
		argv[1] = prog;
		/* argp's short help is -?; -h is what people type (no command uses -h) */
		for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
			if (!strcmp(argv[a], "-h"))
				argv[a] = (char *)"--help";
		return commands[i].fn(argc - 1, argv + 1);
	}
	elog("unknown command '%s' (try dmwatch --help)", argv[1]);
	return EXIT_UNUSABLE;
}
