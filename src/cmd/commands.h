/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands; each parses its own options (argp) and returns the process exit code. */
#ifndef DMWATCH_COMMANDS_H
#define DMWATCH_COMMANDS_H

int cmd_scan(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_whois(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#endif /* DMWATCH_COMMANDS_H */
