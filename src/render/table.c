// SPDX-License-Identifier: GPL-2.0
/*
 * The scan report for a terminal (output.h): summary, guest dashboard,
 * snapshots and pools, then the findings by severity with their remedies.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "render/output.h"
#include "lib/escape.h"
#include "lib/util.h"

/* ---- colours: only on a tty, never with NO_COLOR ---- */

struct palette {
	const char *red, *yellow, *green, *bold, *dim, *reset;
};

static struct palette palette_for(FILE *f)
{
	static const struct palette none = { "", "", "", "", "", "" };
	static const struct palette ansi = {
		"\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[2m", "\033[0m",
	};
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	/* a dumb terminal (Emacs shell, some serial consoles) prints the escapes raw */
	if ((nc && *nc) || !isatty(fileno(f)) || (term && !strcmp(term, "dumb")))
		return none;
	return ansi;
}

/*
 * Text dmwatch does not control (names, config text, kernel status), as a
 * terminal may show it: control bytes and invalid UTF-8 as \xNN (lib/escape.h).
 * Returns s itself when it is clean, else an escaped copy kept in *keep.
 */
static const char *safe(const char *s, char **keep)
{
	if (!s || term_clean(s))
		return s;
	free(*keep);
	*keep = term_escaped(s);
	return *keep;
}

static const char *sev_colour(const struct palette *p, enum severity s)
{
	return s == SEV_CRITICAL ? p->red : s == SEV_WARNING ? p->yellow : p->green;
}

static const char *dev_label(const struct dm_dev *d, char *buf, size_t len)
{
	snprintf(buf, len, "dm-%u", d->minor);
	return buf;
}

static void print_summary(FILE *f, const struct report *r, const struct palette *p)
{
	const struct state *st = r->st;
	enum severity overall = r->criticals ? SEV_CRITICAL : r->warnings ? SEV_WARNING : SEV_OK;
	bool other_node = st->node && st->host && strcmp(st->node, st->host);
	char *k1 = NULL, *k2 = NULL;

	fprintf(f, "%sdmwatch scan%s  host %s%s%s  grade %s%s%s\n\n", p->bold, p->reset,
		st->host ? safe(st->host, &k1) : "?", other_node ? " node " : "",
		other_node ? safe(st->node, &k2) : "", sev_colour(p, overall), r->grade, p->reset);
	free(k1);
	free(k2);
	fprintf(f, "  %zu dm devices: %zu valid, %zu internal, %zu tombstone, %zu duplicate, "
		"%zu unmanaged\n", r->n_devs, r->n_class[CLASS_VALID], r->n_class[CLASS_INTERNAL],
		r->n_class[CLASS_TOMBSTONE], r->n_class[CLASS_DUPLICATE], r->n_class[CLASS_UNMANAGED]);
	fprintf(f, "  %zu warnings, %zu critical\n", r->warnings, r->criticals);
	if (!st->have_lvm)
		fprintf(f, "  %sLVM report unavailable: LVM checks skipped%s\n", p->yellow, p->reset);
	if (!st->have_pve)
		fprintf(f, "  %sno Proxmox config found: guest checks skipped%s\n", p->dim, p->reset);
}

static void print_guests(FILE *f, const struct report *r, const struct palette *p)
{
	if (!r->n_guests)
		return;
	fprintf(f, "\n%sGUESTS%s\n  %-8s %-4s %-24s %-9s %s\n", p->bold, p->reset,
		"VMID", "TYPE", "NAME", "STATUS", "DM HEALTH");
	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest_finding *g = &r->guests[i];
		enum severity s = !strcmp(g->health, "duplicate") ? SEV_CRITICAL :
				  !strcmp(g->health, "tombstone") ? SEV_WARNING : SEV_OK;
		char *keep = NULL;

		fprintf(f, "  %-8d %-4s %-24.24s %-9s %s%s%s", g->vmid,
			g->name || g->node ? (g->type == GUEST_LXC ? "ct" : "vm") : "-",
			g->name ? safe(g->name, &keep) : g->node ? "" : "(no such guest)",
			!g->node ? "-" : !g->local ? "remote" : g->running ? "running" : "stopped",
			sev_colour(p, s), g->health, p->reset);
		if (g->n_issues)
			fprintf(f, " (%zu)", g->n_issues);
		fputc('\n', f);
		free(keep);
	}
}

static void print_spaces(FILE *f, const struct report *r, const struct palette *p)
{
	if (!r->n_spaces)
		return;
	fprintf(f, "\n%sSNAPSHOTS AND POOLS%s\n  %-32s %-12s %7s %7s  %-18s\n", p->bold, p->reset,
		"LV", "KIND", "USED%", "META%", "STATE");
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *s = &r->spaces[i];
		char used[16] = "-", meta[16] = "-", *k1 = NULL, *k2 = NULL;

		if (!isnan(s->used_percent))
			snprintf(used, sizeof(used), "%.1f", s->used_percent);
		if (!isnan(s->metadata_percent))
			snprintf(meta, sizeof(meta), "%.1f", s->metadata_percent);
		fprintf(f, "  %-32.32s %-12s %7s %7s  %s%s%s%s\n", safe(s->lv, &k1), s->kind, used,
			meta, sev_colour(p, s->severity), safe(s->state, &k2),
			s->needs_check ? ",needs_check" : "", p->reset);
		free(k1);
		free(k2);
	}
}

/* "CRITICAL" or "WARNINGS" before the first finding of that severity */
static void heading_once(FILE *f, const struct palette *p, int sev, size_t *shown)
{
	if (!(*shown)++)
		fprintf(f, "\n%s%s%s\n", sev_colour(p, sev),
			sev == SEV_CRITICAL ? "CRITICAL" : "WARNINGS", p->reset);
}

/* finding i (a device, then the snapshots and pools) when it has severity sev */
static void print_finding(FILE *f, const struct report *r, const struct palette *p, int sev,
			  size_t i, size_t *shown)
{
	const char *fix;
	char dn[32], *k1 = NULL, *k2 = NULL, *k3 = NULL;

	if (i < r->n_devs) {
		const struct dev_finding *d = &r->devs[i];

		if ((int)d->severity != sev)
			return;
		heading_once(f, p, sev, shown);
		fprintf(f, "  %s%s%s (%s) %s%s%s%s%s\n      %s\n", p->bold, safe(d->dev->name, &k1),
			p->reset, dev_label(d->dev, dn, sizeof(dn)), sev_colour(p, sev),
			class_str(d->cls), d->reason ? "/" : "", d->reason ? d->reason : "", p->reset,
			d->detail ? safe(d->detail, &k2) : "");
		fix = d->remedy;
	} else {
		const struct space_finding *s = &r->spaces[i - r->n_devs];

		if ((int)s->severity != sev)
			return;
		heading_once(f, p, sev, shown);
		fprintf(f, "  %s%s%s %s%s%s\n      %s\n", p->bold, safe(s->lv, &k1), p->reset,
			sev_colour(p, sev), s->kind, p->reset, s->detail ? safe(s->detail, &k2) : "");
		fix = s->remedy;
	}
	/*
	 * A remedy is one command whose arguments are shell_quoted: it shows as
	 * itself and pastes as itself. Anything else that slipped in is escaped.
	 */
	if (fix)
		fprintf(f, "      %sfix:%s %s\n", p->bold, p->reset,
			term_visible(fix) ? fix : safe(fix, &k3));
	free(k1);
	free(k2);
	free(k3);
}

/* critical findings, then warnings (bad inputs among them) */
static void print_findings(FILE *f, const struct report *r, const struct palette *p)
{
	const struct state *st = r->st;

	for (int sev = SEV_CRITICAL; sev >= SEV_WARNING; sev--) {
		size_t shown = 0;

		for (size_t i = 0; i < r->n_devs + r->n_spaces; i++)
			print_finding(f, r, p, sev, i, &shown);
		if (sev != SEV_WARNING)
			continue;
		for (size_t i = 0; i < st->n_problems; i++) {
			char *k1 = NULL, *k2 = NULL;

			heading_once(f, p, sev, &shown);
			fprintf(f, "  %s%s%s input\n      %s\n", p->bold,
				safe(st->problems[i].source, &k1), p->reset,
				safe(st->problems[i].message, &k2));
			free(k1);
			free(k2);
		}
	}
}

void output_table(FILE *f, const struct report *r)
{
	struct palette p = palette_for(f);

	print_summary(f, r, &p);
	print_guests(f, r, &p);
	print_spaces(f, r, &p);
	print_findings(f, r, &p);
	if (!r->warnings && !r->criticals)
		fprintf(f, "\n%sNo problems found.%s\n", p.green, p.reset);
}
