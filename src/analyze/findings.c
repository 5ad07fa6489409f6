// SPDX-License-Identifier: GPL-2.0
/*
 * Findings (findings.h): the names of classes and severities, the grade, and the
 * helpers every verdict uses to set itself and to write its remedy.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/findings.h"
#include "lib/escape.h"
#include "lib/util.h"

static const char *class_names[] = {
	[CLASS_VALID] = "valid", [CLASS_INTERNAL] = "internal", [CLASS_TOMBSTONE] = "tombstone",
	[CLASS_DUPLICATE] = "duplicate", [CLASS_UNMANAGED] = "unmanaged",
};
static const char *severity_names[] = {
	[SEV_OK] = "ok", [SEV_WARNING] = "warning", [SEV_CRITICAL] = "critical",
};

const char *class_str(enum dev_class c)
{
	return class_names[c];
}

const char *severity_str(enum severity s)
{
	return severity_names[s];
}

void classify_opts_default(struct classify_opts *o)
{
	o->warn_percent = FILL_WARN_PERCENT_DEFAULT;
	o->crit_percent = FILL_CRIT_PERCENT_DEFAULT;
}

const char *grade_for(size_t warnings, size_t criticals)
{
	if (criticals)
		return "F";
	if (!warnings)
		return "A+";
	if (warnings <= 5)
		return "B";
	if (warnings <= 20)
		return "C";
	if (warnings <= 50)
		return "D";
	return "F";
}


void set_verdict(struct dev_finding *f, enum dev_class cls, const char *reason,
		 enum severity sev, char *detail, char *remedy)
{
	f->cls = cls;
	f->reason = reason;
	f->severity = sev;
	free(f->detail);
	free(f->remedy);
	f->detail = detail;
	f->remedy = remedy;
}

char *shell_cmd(const char *arg0, ...)
{
	char *line = shell_quoted(arg0), *q, *longer;
	const char *arg;
	va_list ap;

	va_start(ap, arg0);
	while ((arg = va_arg(ap, const char *))) {
		q = shell_quoted(arg);
		longer = xasprintf("%s %s", line, q);
		free(q);
		free(line);
		line = longer;
	}
	va_end(ap);
	return line;
}

/* dmsetup would mangle a name stored unmangled and then not find it */
char *cmd_dm_remove(const struct dm_dev *d)
{
	const char *mangling = d->name_unmangled ? "--manglename" : NULL;

	if (d->name[0] == '-')
		return mangling ? shell_cmd("dmsetup", mangling, "none", "remove", "--", d->name, NULL)
				: shell_cmd("dmsetup", "remove", "--", d->name, NULL);
	return mangling ? shell_cmd("dmsetup", mangling, "none", "remove", d->name, NULL)
			: shell_cmd("dmsetup", "remove", d->name, NULL);
}

char *cmd_lv(const char *verb, const char *vg, const char *lv)
{
	char *path = xasprintf("%s/%s", vg, lv);
	char *cmd = shell_cmd("lvchange", verb, path, NULL);

	free(path);
	return cmd;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n_devs; i++) {
		struct dev_finding *f = &r->devs[i];

		free(f->vg);
		free(f->lv);
		free(f->layer);
		free(f->storage);
		free(f->volume);
		free(f->dup_of);
		free(f->detail);
		free(f->remedy);
	}
	free(r->devs);
	for (size_t i = 0; i < r->n_spaces; i++) {
		free(r->spaces[i].name);
		free(r->spaces[i].lv);
		free(r->spaces[i].origin);
		free(r->spaces[i].detail);
		free(r->spaces[i].remedy);
	}
	free(r->spaces);
	for (size_t i = 0; i < r->n_guests; i++) {
		for (size_t k = 0; k < r->guests[i].n_issues; k++)
			free(r->guests[i].issues[k]);
		free(r->guests[i].issues);
	}
	free(r->guests);
	memset(r, 0, sizeof(*r));
}
