// SPDX-License-Identifier: GPL-2.0
/*
 * The scan report for a terminal (output.h): summary, the findings by severity
 * (criticals first) with their remedies, then only the guests, snapshots and
 * pools that have something to say; --all adds the clean ones. Every line fits
 * the width (80 unless the terminal is wider): names are cut with a visible
 * '~', prose is wrapped at word boundaries, no line ends in blanks. A remedy is
 * never cut: it is a command to paste.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "render/output.h"
#include "lib/escape.h"
#include "lib/width.h"
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


static const char *sev_colour(const struct palette *p, enum severity s)
{
	return s == SEV_CRITICAL ? p->red : s == SEV_WARNING ? p->yellow : p->green;
}


#define TABLE_MIN_WIDTH 40
#define TABLE_DEFAULT_WIDTH 80
#define INDENT_DETAIL 6

struct table {
	FILE *f;
	struct palette p;
	unsigned width;
	bool all;
};

const char *human_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, v >= 1000 ? "%.0f %s" : "%.1f %s", v, units[u]);
	return buf;
}

/* prose, wrapped at blanks to the width, each line indented */
static void put_wrapped(const struct table *t, const char *text, size_t indent)
{
	while (*text == ' ')
		text++;
	if (!*text)
		return;
	fprintf(t->f, "%*s", (int)indent, "");
	term_put_wrapped(t->f, text, t->width, indent, indent);
}

/* columns left of width after `used`; never below 8 (a narrow terminal overflows, the
 * arithmetic does not) */
static size_t fit_room(size_t width, size_t used)
{
	return width >= used + 8 ? width - used : 8;
}

static const char *dev_label(const struct dm_dev *d, char *buf, size_t len)
{
	snprintf(buf, len, "dm-%u", d->minor);
	return buf;
}

static void print_summary(const struct table *t, const struct report *r)
{
	const struct state *st = r->st;
	const struct palette *p = &t->p;
	FILE *f = t->f;
	enum severity overall = r->criticals ? SEV_CRITICAL : r->warnings ? SEV_WARNING : SEV_OK;
	bool other_node = st->node && st->host && strcmp(st->node, st->host);
	char *k1 = NULL, *k2 = NULL, line[160];

	fprintf(f, "%sdmwatch scan%s  host ", p->bold, p->reset);
	term_put_fit(f, st->host ? term_shown(st->host, &k1) : "?", 24, false);
	if (other_node) {
		fputs("  node ", f);
		term_put_fit(f, term_shown(st->node, &k2), 16, false);
	}
	fprintf(f, "  grade %s%s%s\n\n", sev_colour(p, overall), r->grade, p->reset);
	free(k1);
	free(k2);
	snprintf(line, sizeof(line), "%zu dm devices: %zu valid, %zu internal, %zu tombstone, "
		 "%zu duplicate, %zu unmanaged", r->n_devs, r->n_class[CLASS_VALID],
		 r->n_class[CLASS_INTERNAL], r->n_class[CLASS_TOMBSTONE],
		 r->n_class[CLASS_DUPLICATE], r->n_class[CLASS_UNMANAGED]);
	put_wrapped(t, line, 2);
	fprintf(f, "  %zu warnings, %zu critical\n", r->warnings, r->criticals);
	if (!st->have_lvm)
		fprintf(f, "  %sLVM report unavailable: LVM checks skipped%s\n", p->yellow, p->reset);
	if (!st->have_pve)
		fprintf(f, "  %sno Proxmox config found: guest checks skipped%s\n", p->dim, p->reset);
}

static enum severity guest_severity(const struct guest_finding *g)
{
	return !strcmp(g->health, "duplicate") ? SEV_CRITICAL :
	       !strcmp(g->health, "tombstone") ? SEV_WARNING : SEV_OK;
}

static bool guest_worth_showing(const struct table *t, const struct guest_finding *g)
{
	return t->all || g->n_issues || strcmp(g->health, "clean") || !g->node;
}

/* VMID TYPE NAME STATUS HEALTH: 2+8+1+4+1+NAME+1+9+1+health (up to ~16) */
#define GUEST_FIXED_COLS 43

static void print_guests(const struct table *t, const struct report *r)
{
	const struct palette *p = &t->p;
	size_t name_w = 4, shown = 0;
	FILE *f = t->f;

	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest_finding *g = &r->guests[i];
		char *keep = NULL;

		if (guest_worth_showing(t, g) && g->name) {
			size_t n = term_cols(term_shown(g->name, &keep));

			name_w = n > name_w ? n : name_w;
		}
		free(keep);
	}
	if (name_w < 15)
		name_w = 15;	/* "(no such guest)" */
	if (name_w > fit_room(t->width, GUEST_FIXED_COLS))
		name_w = fit_room(t->width, GUEST_FIXED_COLS);
	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest_finding *g = &r->guests[i];
		enum severity s = guest_severity(g);
		char *keep = NULL;

		if (!guest_worth_showing(t, g))
			continue;
		if (!shown++)
			fprintf(f, "\n%sGUESTS%s\n  %-8s %-4s %-*s %-9s %s\n", p->bold, p->reset,
				"VMID", "TYPE", (int)name_w, "NAME", "STATUS", "DM HEALTH");
		fprintf(f, "  %-8d %-4s ", g->vmid,
			g->name || g->node ? (g->type == GUEST_LXC ? "ct" : "vm") : "-");
		term_put_fit(f, g->name ? term_shown(g->name, &keep) : g->node ? "" : "(no such guest)",
			name_w, true);
		fprintf(f, " %-9s %s%s%s",
			!g->node ? "-" : !g->local ? "remote" : g->running ? "running" : "stopped",
			sev_colour(p, s), g->health, p->reset);
		if (g->n_issues)
			fprintf(f, " (%zu)", g->n_issues);
		fputc('\n', f);
		free(keep);
	}
}

static bool space_worth_showing(const struct table *t, const struct space_finding *s)
{
	/* a pool's free space is worth a line even when it is fine */
	return t->all || s->severity != SEV_OK || !strcmp(s->kind, "thin-pool");
}

/* LV KIND SIZE FREE USE% META% STATE: 2+LV+1+9+1+10+1+10+1+5+1+5+2+STATE */
#define SPACE_FIXED_COLS 48
#define SPACE_STATE_MIN 12

static const char *short_kind(const char *kind)
{
	return !strcmp(kind, "lvm-snapshot") ? "snapshot" : kind;
}

/* the LV's size from the LVM report when the status line gave none (thin pools) */
static uint64_t lv_size(const struct state *st, const char *vg_lv)
{
	size_t vg_len = vg_lv ? strcspn(vg_lv, "/") : 0;

	for (size_t i = 0; vg_len && vg_lv[vg_len] && i < st->n_lvs; i++) {
		const struct lvm_lv *lv = &st->lvs[i];

		if (strlen(lv->vg_name) == vg_len && !strncmp(lv->vg_name, vg_lv, vg_len) &&
		    !strcmp(lv->lv_name, vg_lv + vg_len + 1))
			return lv->size;
	}
	return 0;
}

uint64_t space_size(const struct report *r, const struct space_finding *s, uint64_t *avail)
{
	uint64_t total = s->total_bytes;

	*avail = UINT64_MAX;
	if (total) {
		if (s->used_bytes <= total)
			*avail = total - s->used_bytes;
	} else if ((total = lv_size(r->st, s->lv))) {
		if (!isnan(s->used_percent) && s->used_percent <= 100)
			*avail = total * (1 - s->used_percent / 100);
	}
	return total;
}

static void print_space_row(const struct table *t, const struct report *r,
			    const struct space_finding *s, size_t lv_w)
{
	const struct palette *p = &t->p;
	char used[16] = "-", meta[16] = "-", size[24] = "-", avail[24] = "-";
	char *k1 = NULL, *k2 = NULL, state[96];
	FILE *f = t->f;
	uint64_t total, free_bytes;

	if (!isnan(s->used_percent))
		snprintf(used, sizeof(used), "%.1f", s->used_percent);
	if (!isnan(s->metadata_percent))
		snprintf(meta, sizeof(meta), "%.1f", s->metadata_percent);
	if ((total = space_size(r, s, &free_bytes)))
		human_size(size, sizeof(size), total);
	if (total && free_bytes != UINT64_MAX)
		human_size(avail, sizeof(avail), free_bytes);
	fputs("  ", f);
	term_put_fit(f, term_shown(s->lv ? s->lv : s->name, &k1), lv_w, true);
	fprintf(f, " %-9s %10s %10s %5s %5s  %s", short_kind(s->kind), size, avail, used, meta,
		sev_colour(p, s->severity));
	snprintf(state, sizeof(state), "%s%s", term_shown(s->state, &k2),
		 s->needs_check ? ",needs_check" : "");
	term_put_fit(f, state, fit_room(t->width, SPACE_FIXED_COLS + lv_w), false);
	fprintf(f, "%s\n", p->reset);
	free(k1);
	free(k2);
}

static void print_spaces(const struct table *t, const struct report *r)
{
	size_t lv_w = 8, shown = 0, max_w = fit_room(t->width, SPACE_FIXED_COLS + SPACE_STATE_MIN);

	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *s = &r->spaces[i];
		char *keep = NULL;

		if (space_worth_showing(t, s)) {
			size_t n = term_cols(term_shown(s->lv ? s->lv : s->name, &keep));

			lv_w = n > lv_w ? n : lv_w;
		}
		free(keep);
	}
	lv_w = lv_w > max_w ? max_w : lv_w;
	for (size_t i = 0; i < r->n_spaces; i++) {
		if (!space_worth_showing(t, &r->spaces[i]))
			continue;
		if (!shown++)
			fprintf(t->f, "\n%sSNAPSHOTS AND POOLS%s\n  %-*s %-9s %10s %10s %5s %5s  %s\n",
				t->p.bold, t->p.reset, (int)lv_w, "LV", "KIND", "SIZE", "FREE",
				"USE%", "META%", "STATE");
		print_space_row(t, r, &r->spaces[i], lv_w);
	}
}

/* "CRITICAL" or "WARNINGS" before the first finding of that severity */
static void heading_once(const struct table *t, int sev, size_t *shown)
{
	if (!(*shown)++)
		fprintf(t->f, "\n%s%s%s\n", sev_colour(&t->p, sev),
			sev == SEV_CRITICAL ? "CRITICAL" : "WARNINGS", t->p.reset);
}

/* "  NAME TAG" with NAME cut so the line fits; TAG (already safe) is coloured */
static void print_title(const struct table *t, const char *name, const char *tag,
			const char *colour)
{
	size_t tag_w = term_cols(tag) + 1, room = t->width > tag_w + 12 ? t->width - 2 - tag_w : 10;

	fprintf(t->f, "  %s", t->p.bold);
	term_put_fit(t->f, name, room, false);
	fprintf(t->f, "%s %s%s%s\n", t->p.reset, colour, tag, t->p.reset);
}

/*
 * The condition as prose, then the command alone on its fix: line. A remedy
 * is one command whose arguments are shell_quoted: it shows as itself and
 * pastes as itself; anything else that slipped in is escaped.
 */
static void print_detail_and_fix(const struct table *t, const char *detail, const char *fix)
{
	char *k1 = NULL, *k2 = NULL;

	if (detail)
		put_wrapped(t, term_shown(detail, &k1), INDENT_DETAIL);
	if (fix)
		fprintf(t->f, "%*s%sfix:%s %s\n", INDENT_DETAIL, "", t->p.bold, t->p.reset,
			term_visible(fix) ? fix : term_shown(fix, &k2));
	free(k1);
	free(k2);
}

/* finding i (a device, then the snapshots and pools) when it has severity sev */
static void print_finding(const struct table *t, const struct report *r, int sev, size_t i,
			  size_t *shown)
{
	char dn[32], tag[96], *k1 = NULL;

	if (i < r->n_devs) {
		const struct dev_finding *d = &r->devs[i];

		if ((int)d->severity != sev)
			return;
		heading_once(t, sev, shown);
		snprintf(tag, sizeof(tag), "(%s) %s%s%s", dev_label(d->dev, dn, sizeof(dn)),
			 class_str(d->cls), d->reason ? "/" : "", d->reason ? d->reason : "");
		print_title(t, term_shown(d->dev->name, &k1), tag, sev_colour(&t->p, sev));
		print_detail_and_fix(t, d->detail, d->remedy);
	} else {
		const struct space_finding *s = &r->spaces[i - r->n_devs];

		if ((int)s->severity != sev)
			return;
		heading_once(t, sev, shown);
		print_title(t, term_shown(s->lv ? s->lv : s->name, &k1), s->kind, sev_colour(&t->p, sev));
		print_detail_and_fix(t, s->detail, s->remedy);
	}
	free(k1);
}

/* critical findings, then warnings (bad inputs among them) */
static void print_findings(const struct table *t, const struct report *r)
{
	const struct state *st = r->st;

	for (int sev = SEV_CRITICAL; sev >= SEV_WARNING; sev--) {
		size_t shown = 0;

		for (size_t i = 0; i < r->n_devs + r->n_spaces; i++)
			print_finding(t, r, sev, i, &shown);
		if (sev != SEV_WARNING)
			continue;
		for (size_t i = 0; i < st->n_problems; i++) {
			char *keep = NULL;

			heading_once(t, sev, &shown);
			print_title(t, term_shown(st->problems[i].source, &keep), "input", "");
			print_detail_and_fix(t, st->problems[i].message, NULL);
			free(keep);
		}
	}
}

/* --all: the devices no finding named, one line each */
static void print_quiet_devices(const struct table *t, const struct report *r)
{
	size_t shown = 0;

	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *d = &r->devs[i];
		char dn[32], tag[64], *keep = NULL;

		if (d->severity != SEV_OK)
			continue;
		if (!shown++)
			fprintf(t->f, "\n%sDEVICES WITHOUT FINDINGS%s\n", t->p.bold, t->p.reset);
		snprintf(tag, sizeof(tag), "(%s) %s", dev_label(d->dev, dn, sizeof(dn)),
			 class_str(d->cls));
		print_title(t, term_shown(d->dev->name, &keep), tag, t->p.green);
		free(keep);
	}
}

static void print_hidden_count(const struct table *t, const struct report *r)
{
	size_t guests = 0, spaces = 0, devs = 0;
	char line[200];

	for (size_t i = 0; i < r->n_guests; i++)
		guests += !guest_worth_showing(t, &r->guests[i]);
	for (size_t i = 0; i < r->n_spaces; i++)
		spaces += !space_worth_showing(t, &r->spaces[i]);
	for (size_t i = 0; i < r->n_devs; i++)
		devs += r->devs[i].severity == SEV_OK;
	if (t->all || !(guests + spaces + devs))
		return;
	snprintf(line, sizeof(line), "Not shown: %zu clean guests, %zu snapshots without "
		 "findings, %zu devices without findings (--all lists them).", guests, spaces, devs);
	fputc('\n', t->f);
	put_wrapped(t, line, 0);
}

void output_table_with(FILE *f, const struct report *r, const struct table_opts *o)
{
	struct table t = {
		.f = f, .p = palette_for(f), .all = o->all,
		.width = o->width < TABLE_MIN_WIDTH ? TABLE_MIN_WIDTH : o->width,
	};

	print_summary(&t, r);
	print_findings(&t, r);
	if (!r->warnings && !r->criticals)
		fprintf(f, "\n%sNo problems found.%s\n", t.p.green, t.p.reset);
	print_guests(&t, r);
	print_spaces(&t, r);
	if (t.all)
		print_quiet_devices(&t, r);
	print_hidden_count(&t, r);
}

void output_table(FILE *f, const struct report *r)
{
	struct table_opts o = { .width = TABLE_DEFAULT_WIDTH };

	output_table_with(f, r, &o);
}
