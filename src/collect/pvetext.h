/* SPDX-License-Identifier: GPL-2.0 */
/* Text helpers the Proxmox readers share (storage.cfg, guest configs, volume names). */
#ifndef DMWATCH_PVETEXT_H
#define DMWATCH_PVETEXT_H

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

/* Problem messages quote the offending line, but not a megabyte of it */
#define QUOTE_MAX	80

/* Next line of the buffer at *cur, cut in place, '\r' removed; NULL at the end. */
static inline char *pve_next_line(char **cur)
{
	char *s = *cur, *nl;
	size_t len;

	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		*cur = nl + 1;
	} else {
		*cur = s + strlen(s);
	}
	len = strlen(s);
	if (len && s[len - 1] == '\r')
		s[len - 1] = 0;
	return s;
}

/* Storage ids and config keys: [A-Za-z0-9_.-] (PVE's own ids are narrower). */
static inline bool pve_id_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static inline bool pve_has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

/* "<digits>" at *p, as a vmid (1..INT_MAX); advances *p past them */
static inline bool pve_parse_vmid_at(const char **p, int *vmid)
{
	const char *s = *p;
	long long v = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return false;
		s++;
	}
	if (v == 0)
		return false;
	*vmid = v;
	*p = s;
	return true;
}

#endif /* DMWATCH_PVETEXT_H */
