// SPDX-License-Identifier: GPL-2.0
/* Commands whose issue has not landed yet say so clearly instead of pretending. */
#include <string.h>
#include "commands.h"
#include "util.h"

int cmd_not_yet(int argc, char **argv)
{
	elog("'%s' is not yet available in this version", argv[0] + strlen("dmwatch "));
	return EXIT_UNUSABLE;
}
