// SPDX-License-Identifier: GPL-2.0
/* Facts about this machine for the report's Host section (hostfacts.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "collect/hostfacts.h"
#include "lib/util.h"

static void first_line_value(const char *path, const char *key, char *out, size_t len)
{
	char *buf = NULL, *line, *save = NULL;
	size_t klen = strlen(key);

	if (read_file(path, &buf, NULL, 1 << 16))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v;

		if (strncmp(line, key, klen))
			continue;
		v = line + klen;
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = 0;
		}
		snprintf(out, len, "%s", strtrim(v));
		break;
	}
	free(buf);
}

static uint64_t meminfo_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/*
 * pve-manager's version as `pveversion` shows it, read from the Perl module that
 * carries it ("sub version_text { return '8.2.4/faa83925'; }"): no perl to run.
 */
static void pve_version(char *out, size_t len)
{
	char *buf = NULL, *p, *q;

	if (read_file("/usr/share/perl5/PVE/pvecfg.pm", &buf, NULL, 1 << 16))
		return;
	p = strstr(buf, "sub version_text");
	p = p ? strchr(p, '\'') : NULL;
	q = p ? strchr(p + 1, '\'') : NULL;
	if (q && q - p - 1 < (ptrdiff_t)len)
		snprintf(out, len, "pve-manager/%.*s", (int)(q - p - 1), p + 1);
	free(buf);
}

void host_facts_collect(struct host_facts *h)
{
	struct utsname u;
	char *buf = NULL;
	long n;

	memset(h, 0, sizeof(*h));
	h->uptime_s = -1;
	h->load[0] = h->load[1] = h->load[2] = -1;
	if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%s %s", u.release, u.machine);
	first_line_value("/etc/os-release", "PRETTY_NAME=", h->os, sizeof(h->os));
	pve_version(h->pve, sizeof(h->pve));
	if (!read_file("/proc/uptime", &buf, NULL, 4096))
		h->uptime_s = strtod(buf, NULL);
	free(buf);
	buf = NULL;
	if (!read_file("/proc/loadavg", &buf, NULL, 4096) &&
	    sscanf(buf, "%lf %lf %lf", &h->load[0], &h->load[1], &h->load[2]) != 3)
		h->load[0] = h->load[1] = h->load[2] = -1;
	free(buf);
	buf = NULL;
	if (!read_file("/proc/meminfo", &buf, NULL, 1 << 16)) {
		h->mem_total = meminfo_kb(buf, "MemTotal:") * 1024;
		h->mem_avail = meminfo_kb(buf, "MemAvailable:") * 1024;
	}
	free(buf);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	h->cpus = n > 0 ? (int)n : 0;
}
