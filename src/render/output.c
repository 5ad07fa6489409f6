// SPDX-License-Identifier: GPL-2.0
/*
 * Rendering scan findings: the terminal report (summary, VM dashboard, findings by
 * severity with remedies) and the JSON contract of docs/scan.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <yajl/yajl_gen.h>
#include "render/output.h"
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
	const char *nc = getenv("NO_COLOR");

	if ((nc && *nc) || !isatty(fileno(f)))
		return none;
	return ansi;
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

void output_table(FILE *f, const struct report *r)
{
	const struct state *st = r->st;
	struct palette p = palette_for(f);
	enum severity overall = r->criticals ? SEV_CRITICAL : r->warnings ? SEV_WARNING : SEV_OK;
	char dn[32];
	size_t shown;

	fprintf(f, "%sdmwatch scan%s  host %s%s%s  grade %s%s%s\n\n", p.bold, p.reset,
		st->host ? st->host : "?", st->node && st->host && strcmp(st->node, st->host) ?
		" node " : "", st->node && st->host && strcmp(st->node, st->host) ? st->node : "",
		sev_colour(&p, overall), r->grade, p.reset);
	fprintf(f, "  %zu dm devices: %zu valid, %zu internal, %zu tombstone, %zu duplicate, "
		"%zu unmanaged\n", r->n_devs, r->n_class[CLASS_VALID], r->n_class[CLASS_INTERNAL],
		r->n_class[CLASS_TOMBSTONE], r->n_class[CLASS_DUPLICATE], r->n_class[CLASS_UNMANAGED]);
	fprintf(f, "  %zu warnings, %zu critical\n", r->warnings, r->criticals);
	if (!st->have_lvm)
		fprintf(f, "  %sLVM report unavailable: LVM checks skipped%s\n", p.yellow, p.reset);
	if (!st->have_pve)
		fprintf(f, "  %sno Proxmox config found: guest checks skipped%s\n", p.dim, p.reset);

	if (r->n_guests) {
		fprintf(f, "\n%sGUESTS%s\n  %-8s %-4s %-24s %-9s %s\n", p.bold, p.reset,
			"VMID", "TYPE", "NAME", "STATUS", "DM HEALTH");
		for (size_t i = 0; i < r->n_guests; i++) {
			const struct guest_finding *g = &r->guests[i];
			enum severity s = !strcmp(g->health, "duplicate") ? SEV_CRITICAL :
					  !strcmp(g->health, "tombstone") ? SEV_WARNING : SEV_OK;

			fprintf(f, "  %-8d %-4s %-24.24s %-9s %s%s%s", g->vmid,
				g->name || g->node ? (g->type == GUEST_LXC ? "ct" : "vm") : "-",
				g->name ? g->name : g->node ? "" : "(no such guest)",
				!g->node ? "-" : !g->local ? "remote" : g->running ? "running" : "stopped",
				sev_colour(&p, s), g->health, p.reset);
			if (g->n_issues)
				fprintf(f, " (%zu)", g->n_issues);
			fputc('\n', f);
		}
	}

	if (r->n_spaces) {
		fprintf(f, "\n%sSNAPSHOTS AND POOLS%s\n  %-32s %-12s %7s %7s  %-18s\n", p.bold, p.reset,
			"LV", "KIND", "USED%", "META%", "STATE");
		for (size_t i = 0; i < r->n_spaces; i++) {
			const struct space_finding *s = &r->spaces[i];
			char used[16] = "-", meta[16] = "-";

			if (!isnan(s->used_percent))
				snprintf(used, sizeof(used), "%.1f", s->used_percent);
			if (!isnan(s->metadata_percent))
				snprintf(meta, sizeof(meta), "%.1f", s->metadata_percent);
			fprintf(f, "  %-32.32s %-12s %7s %7s  %s%s%s%s\n", s->lv, s->kind, used, meta,
				sev_colour(&p, s->severity), s->state, s->needs_check ? ",needs_check" : "",
				p.reset);
		}
	}

	for (int sev = SEV_CRITICAL; sev >= SEV_WARNING; sev--) {
		shown = 0;
		for (size_t i = 0; i < r->n_devs + r->n_spaces; i++) {
			const char *what, *why, *fix;

			if (i < r->n_devs) {
				const struct dev_finding *d = &r->devs[i];

				if ((int)d->severity != sev)
					continue;
				what = d->dev->name;
				why = d->detail;
				fix = d->remedy;
				if (!shown++)
					fprintf(f, "\n%s%s%s\n", sev_colour(&p, sev),
						sev == SEV_CRITICAL ? "CRITICAL" : "WARNINGS", p.reset);
				fprintf(f, "  %s%s%s (%s) %s%s%s%s%s\n      %s\n", p.bold, what, p.reset,
					dev_label(d->dev, dn, sizeof(dn)), sev_colour(&p, sev),
					class_str(d->cls), d->reason ? "/" : "", d->reason ? d->reason : "",
					p.reset, why ? why : "");
			} else {
				const struct space_finding *s = &r->spaces[i - r->n_devs];

				if ((int)s->severity != sev)
					continue;
				what = s->lv;
				why = s->detail;
				fix = s->remedy;
				if (!shown++)
					fprintf(f, "\n%s%s%s\n", sev_colour(&p, sev),
						sev == SEV_CRITICAL ? "CRITICAL" : "WARNINGS", p.reset);
				fprintf(f, "  %s%s%s %s%s%s\n      %s\n", p.bold, what, p.reset,
					sev_colour(&p, sev), s->kind, p.reset, why ? why : "");
			}
			if (fix)
				fprintf(f, "      %sfix:%s %s\n", p.bold, p.reset, fix);
		}
		if (sev == SEV_WARNING) {
			for (size_t i = 0; i < st->n_problems; i++) {
				if (!shown++)
					fprintf(f, "\n%sWARNINGS%s\n", p.yellow, p.reset);
				fprintf(f, "  %s%s%s input\n      %s\n", p.bold, st->problems[i].source,
					p.reset, st->problems[i].message);
			}
		}
	}
	if (!r->warnings && !r->criticals)
		fprintf(f, "\n%sNo problems found.%s\n", p.green, p.reset);
}

/* ---- JSON ---- */

/*
 * Written with yajl's generator, one element at a time, straight from the
 * findings: a 10,000-device report never becomes a document tree. Every value
 * goes through these few helpers, so the escaping is yajl's, in one place.
 */

static void gkey(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

static void gstr(yajl_gen g, const char *key, const char *s)
{
	gkey(g, key);
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

static void gint(yajl_gen g, const char *key, long long v)
{
	gkey(g, key);
	yajl_gen_integer(g, v);
}

static void gbool(yajl_gen g, const char *key, bool v)
{
	gkey(g, key);
	yajl_gen_bool(g, v);
}

/* a percentage with two decimals, like lvs prints it; null when not known */
static void gpct(yajl_gen g, const char *key, double v)
{
	char buf[32];
	int n;

	gkey(g, key);
	if (isnan(v)) {
		yajl_gen_null(g);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.2f", v);
	yajl_gen_number(g, buf, n);
}

/* the top-level fields before the arrays */
static void header_json(yajl_gen g, const struct report *r)
{
	const struct state *st = r->st;

	gint(g, "schema", 1);
	gstr(g, "host", st->host ? st->host : "");
	gstr(g, "node", st->node);
	gstr(g, "grade", r->grade);
	gint(g, "exit", r->exit_code);
	gkey(g, "summary");
	yajl_gen_map_open(g);
	gint(g, "devices", r->n_devs);
	gint(g, "valid", r->n_class[CLASS_VALID]);
	gint(g, "internal", r->n_class[CLASS_INTERNAL]);
	gint(g, "tombstones", r->n_class[CLASS_TOMBSTONE]);
	gint(g, "duplicates", r->n_class[CLASS_DUPLICATE]);
	gint(g, "unmanaged", r->n_class[CLASS_UNMANAGED]);
	gint(g, "warnings", r->warnings);
	gint(g, "criticals", r->criticals);
	yajl_gen_map_close(g);
}

static void device_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct state *st = r->st;
	const struct dev_finding *f = &r->devs[i];
	char dn[32];

	yajl_gen_map_open(g);
	gstr(g, "name", f->dev->name);
	gstr(g, "dev", dev_label(f->dev, dn, sizeof(dn)));
	gint(g, "major", f->dev->major);
	gint(g, "minor", f->dev->minor);
	gstr(g, "uuid", f->dev->uuid);
	gint(g, "open_count", f->dev->open_count);
	gstr(g, "vg", f->vg);
	gstr(g, "lv", f->lv);
	gstr(g, "layer", str_empty(f->layer) ? NULL : f->layer);
	gstr(g, "class", class_str(f->cls));
	gstr(g, "reason", f->reason);
	gstr(g, "severity", severity_str(f->severity));
	if (f->vmid >= 0)
		gint(g, "vmid", f->vmid);
	else
		gstr(g, "vmid", NULL);
	gstr(g, "guest_type", !f->has_guest ? NULL : f->guest_type == GUEST_LXC ? "lxc" : "qemu");
	gstr(g, "storage", f->storage);
	gstr(g, "volume", f->volume);
	gkey(g, "duplicate_of");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < f->n_dup_of; k++) {
		const char *n = st->devs[f->dup_of[k]].name;

		yajl_gen_string(g, (const unsigned char *)n, strlen(n));
	}
	yajl_gen_array_close(g);
	gstr(g, "detail", f->detail);
	gstr(g, "remedy", f->remedy);
	yajl_gen_map_close(g);
}

static void space_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct space_finding *s = &r->spaces[i];

	yajl_gen_map_open(g);
	gstr(g, "name", s->name);
	gstr(g, "lv", s->lv);
	gstr(g, "kind", s->kind);
	gstr(g, "origin", s->origin);
	gpct(g, "used_percent", s->used_percent);
	gpct(g, "metadata_percent", s->metadata_percent);
	gstr(g, "state", s->state);
	gbool(g, "needs_check", s->needs_check);
	gstr(g, "severity", severity_str(s->severity));
	gstr(g, "detail", s->detail);
	gstr(g, "remedy", s->remedy);
	yajl_gen_map_close(g);
}

static void guest_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct guest_finding *gf = &r->guests[i];

	yajl_gen_map_open(g);
	gint(g, "vmid", gf->vmid);
	gstr(g, "type", !gf->node ? NULL : gf->type == GUEST_LXC ? "lxc" : "qemu");
	gstr(g, "name", gf->name);
	gstr(g, "node", gf->node);
	gbool(g, "running", gf->running);
	gbool(g, "exists", gf->node != NULL);
	gstr(g, "health", gf->health);
	gkey(g, "issues");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < gf->n_issues; k++)
		yajl_gen_string(g, (const unsigned char *)gf->issues[k], strlen(gf->issues[k]));
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void problem_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct state *st = r->st;

	yajl_gen_map_open(g);
	gstr(g, "source", st->problems[i].source);
	gstr(g, "message", st->problems[i].message);
	gstr(g, "severity", "warning");
	yajl_gen_map_close(g);
}

/* The arrays of the scan JSON, in contract order */
struct json_section {
	const char *key;
	void (*one)(yajl_gen g, const struct report *r, size_t i);
	size_t (*count)(const struct report *r);
};

static size_t n_devs(const struct report *r) { return r->n_devs; }
static size_t n_spaces(const struct report *r) { return r->n_spaces; }
static size_t n_guests(const struct report *r) { return r->n_guests; }
static size_t n_problems(const struct report *r) { return r->st->n_problems; }

static const struct json_section sections[] = {
	{ "devices", device_json, n_devs },
	{ "snapshots", space_json, n_spaces },
	{ "guests", guest_json, n_guests },
	{ "problems", problem_json, n_problems },
};

/* what the generator has made so far goes out, and its buffer is reused */
static void gen_flush(yajl_gen g, FILE *f)
{
	const unsigned char *buf;
	size_t len;

	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, f);
	yajl_gen_clear(g);
}

/*
 * The document has one array element per line (greppable, and a reader can
 * stream it); yajl_gen has no such layout, so each element is generated as a
 * value of its own and the separators are written here.
 */
void output_json(FILE *f, const struct report *r)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		oom();
	yajl_gen_map_open(g);
	header_json(g, r);
	gen_flush(g, f);
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		size_t n = sections[s].count(r);

		fprintf(f, ",\n\"%s\":[", sections[s].key);
		for (size_t i = 0; i < n; i++) {
			yajl_gen_reset(g, NULL);
			fputs(i ? ",\n" : "\n", f);
			sections[s].one(g, r, i);
			gen_flush(g, f);
		}
		fprintf(f, "%s]", n ? "\n" : "");
	}
	fputs("}\n", f);
	yajl_gen_free(g);
}

json_object *output_json_object(const struct report *r)
{
	json_object *root;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		oom();
	output_json(f, r);
	fclose(f);
	root = json_tokener_parse(text);
	free(text);
	return root;
}
