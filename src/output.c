// SPDX-License-Identifier: GPL-2.0
/*
 * Rendering scan findings: the terminal report (summary, VM dashboard, findings by
 * severity with remedies) and the JSON contract of DESIGN.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "output.h"
#include "util.h"

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

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *jpct(double v)
{
	char buf[32];

	/* two decimals, like lvs prints */
	if (isnan(v))
		return NULL;
	snprintf(buf, sizeof(buf), "%.2f", v);
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

static json_object *header_json(const struct report *r)
{
	const struct state *st = r->st;
	json_object *root = json_object_new_object(), *sum;

	json_object_object_add(root, "schema", json_object_new_int(1));
	json_object_object_add(root, "host", jstr(st->host ? st->host : ""));
	json_object_object_add(root, "node", jstr(st->node));
	json_object_object_add(root, "grade", jstr(r->grade));
	json_object_object_add(root, "exit", json_object_new_int(r->exit_code));

	sum = json_object_new_object();
	json_object_object_add(sum, "devices", json_object_new_int(r->n_devs));
	json_object_object_add(sum, "valid", json_object_new_int(r->n_class[CLASS_VALID]));
	json_object_object_add(sum, "internal", json_object_new_int(r->n_class[CLASS_INTERNAL]));
	json_object_object_add(sum, "tombstones", json_object_new_int(r->n_class[CLASS_TOMBSTONE]));
	json_object_object_add(sum, "duplicates", json_object_new_int(r->n_class[CLASS_DUPLICATE]));
	json_object_object_add(sum, "unmanaged", json_object_new_int(r->n_class[CLASS_UNMANAGED]));
	json_object_object_add(sum, "warnings", json_object_new_int(r->warnings));
	json_object_object_add(sum, "criticals", json_object_new_int(r->criticals));
	json_object_object_add(root, "summary", sum);
	return root;
}

static json_object *device_json(const struct report *r, size_t i)
{
	const struct state *st = r->st;
	const struct dev_finding *f = &r->devs[i];
	json_object *o, *a2;
	char dn[32];

	o = json_object_new_object();
	json_object_object_add(o, "name", jstr(f->dev->name));
	json_object_object_add(o, "dev", jstr(dev_label(f->dev, dn, sizeof(dn))));
	json_object_object_add(o, "major", json_object_new_int(f->dev->major));
	json_object_object_add(o, "minor", json_object_new_int(f->dev->minor));
	json_object_object_add(o, "uuid", jstr(f->dev->uuid));
	json_object_object_add(o, "open_count", json_object_new_int(f->dev->open_count));
	json_object_object_add(o, "vg", jstr(f->vg));
	json_object_object_add(o, "lv", jstr(f->lv));
	json_object_object_add(o, "layer", jstr(str_empty(f->layer) ? NULL : f->layer));
	json_object_object_add(o, "class", jstr(class_str(f->cls)));
	json_object_object_add(o, "reason", jstr(f->reason));
	json_object_object_add(o, "severity", jstr(severity_str(f->severity)));
	json_object_object_add(o, "vmid", f->vmid >= 0 ? json_object_new_int(f->vmid) : NULL);
	json_object_object_add(o, "guest_type", f->has_guest ?
		jstr(f->guest_type == GUEST_LXC ? "lxc" : "qemu") : NULL);
	json_object_object_add(o, "storage", jstr(f->storage));
	json_object_object_add(o, "volume", jstr(f->volume));
	a2 = json_object_new_array();
	for (size_t k = 0; k < f->n_dup_of; k++)
		json_object_array_add(a2, jstr(st->devs[f->dup_of[k]].name));
	json_object_object_add(o, "duplicate_of", a2);
	json_object_object_add(o, "detail", jstr(f->detail));
	json_object_object_add(o, "remedy", jstr(f->remedy));
	return o;
}

static json_object *space_json(const struct report *r, size_t i)
{
	const struct space_finding *s = &r->spaces[i];
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "name", jstr(s->name));
	json_object_object_add(o, "lv", jstr(s->lv));
	json_object_object_add(o, "kind", jstr(s->kind));
	json_object_object_add(o, "origin", jstr(s->origin));
	json_object_object_add(o, "used_percent", jpct(s->used_percent));
	json_object_object_add(o, "metadata_percent", jpct(s->metadata_percent));
	json_object_object_add(o, "state", jstr(s->state));
	json_object_object_add(o, "needs_check", json_object_new_boolean(s->needs_check));
	json_object_object_add(o, "severity", jstr(severity_str(s->severity)));
	json_object_object_add(o, "detail", jstr(s->detail));
	json_object_object_add(o, "remedy", jstr(s->remedy));
	return o;
}

static json_object *guest_json(const struct report *r, size_t i)
{
	const struct guest_finding *g = &r->guests[i];
	json_object *o, *a2;

	o = json_object_new_object();
	json_object_object_add(o, "vmid", json_object_new_int(g->vmid));
	json_object_object_add(o, "type", g->node ? jstr(g->type == GUEST_LXC ? "lxc" : "qemu") : NULL);
	json_object_object_add(o, "name", jstr(g->name));
	json_object_object_add(o, "node", jstr(g->node));
	json_object_object_add(o, "running", json_object_new_boolean(g->running));
	json_object_object_add(o, "exists", json_object_new_boolean(g->node != NULL));
	json_object_object_add(o, "health", jstr(g->health));
	a2 = json_object_new_array();
	for (size_t k = 0; k < g->n_issues; k++)
		json_object_array_add(a2, jstr(g->issues[k]));
	json_object_object_add(o, "issues", a2);
	return o;
}

static json_object *problem_json(const struct report *r, size_t i)
{
	const struct state *st = r->st;
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "source", jstr(st->problems[i].source));
	json_object_object_add(o, "message", jstr(st->problems[i].message));
	json_object_object_add(o, "severity", jstr("warning"));
	return o;
}

/* The arrays of the scan JSON, in contract order */
struct json_section {
	const char *key;
	json_object *(*one)(const struct report *r, size_t i);
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

json_object *output_json_object(const struct report *r)
{
	json_object *root = header_json(r);

	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		json_object *arr = json_object_new_array();
		size_t n = sections[s].count(r);

		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, sections[s].one(r, i));
		json_object_object_add(root, sections[s].key, arr);
	}
	return root;
}

/*
 * Printed a piece at a time: one element per line, each built, printed and freed
 * before the next, so 10,000 devices never sit in one json-c tree.
 */
void output_json(FILE *f, const struct report *r)
{
	json_object *head = header_json(r);
	const char *h = json_object_to_json_string_ext(head, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	/* the header object without its closing brace, then the arrays */
	fprintf(f, "%.*s", (int)strlen(h) - 1, h);
	json_object_put(head);
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		size_t n = sections[s].count(r);

		fprintf(f, ",\n\"%s\":[", sections[s].key);
		for (size_t i = 0; i < n; i++) {
			json_object *o = sections[s].one(r, i);

			fprintf(f, "%s\n%s", i ? "," : "", json_object_to_json_string_ext(o,
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		}
		fprintf(f, "%s]", n ? "\n" : "");
	}
	fprintf(f, "}\n");
}
