// SPDX-License-Identifier: GPL-2.0
/*
 * The scan report as JSON, the contract of `scan --json` (output.h). Written with
 * yajl's generator, one element at a time, straight from the findings: a
 * 10,000-device report never becomes a document tree. Text goes through
 * jsongen.h, so the output is valid UTF-8 whatever bytes a name holds.
 */
#include <stdio.h>
#include "render/output.h"
#include "model/jsongen.h"
#include "lib/util.h"

/* the top-level fields before the arrays */
static void header_json(yajl_gen g, const struct report *r)
{
	const struct state *st = r->st;

	jg_int(g, "schema", 1);
	jg_str(g, "host", st->host ? st->host : "");
	jg_str(g, "node", st->node);
	/* when the facts were read: a report from a saved state is as old as the state */
	if (st->collected_at > 0)
		jg_int(g, "collected_at", st->collected_at);
	else
		jg_null(g, "collected_at");
	jg_str(g, "grade", r->grade);
	jg_int(g, "exit", r->exit_code);
	jg_key(g, "summary");
	yajl_gen_map_open(g);
	jg_int(g, "devices", r->n_devs);
	jg_int(g, "valid", r->n_class[CLASS_VALID]);
	jg_int(g, "internal", r->n_class[CLASS_INTERNAL]);
	jg_int(g, "tombstones", r->n_class[CLASS_TOMBSTONE]);
	jg_int(g, "duplicates", r->n_class[CLASS_DUPLICATE]);
	jg_int(g, "unmanaged", r->n_class[CLASS_UNMANAGED]);
	jg_int(g, "warnings", r->warnings);
	jg_int(g, "criticals", r->criticals);
	yajl_gen_map_close(g);
}

static void device_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct state *st = r->st;
	const struct dev_finding *f = &r->devs[i];
	char dn[32];

	snprintf(dn, sizeof(dn), "dm-%u", f->dev->minor);
	yajl_gen_map_open(g);
	jg_str(g, "name", f->dev->name);
	jg_str(g, "dev", dn);
	jg_int(g, "major", f->dev->major);
	jg_int(g, "minor", f->dev->minor);
	jg_str(g, "uuid", f->dev->uuid);
	jg_int(g, "open_count", f->dev->open_count);
	jg_str(g, "vg", f->vg);
	jg_str(g, "lv", f->lv);
	jg_str(g, "layer", str_empty(f->layer) ? NULL : f->layer);
	jg_str(g, "class", class_str(f->cls));
	jg_str(g, "reason", f->reason);
	jg_str(g, "severity", severity_str(f->severity));
	if (f->vmid >= 0)
		jg_int(g, "vmid", f->vmid);
	else
		jg_str(g, "vmid", NULL);
	jg_str(g, "guest_type", f->has_guest ? guest_type_name(f->guest_type) : NULL);
	jg_str(g, "storage", f->storage);
	jg_str(g, "volume", f->volume);
	jg_key(g, "duplicate_of");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < f->n_dup_of; k++)
		jg_text(g, st->devs[f->dup_of[k]].name);
	yajl_gen_array_close(g);
	jg_str(g, "detail", f->detail);
	jg_str(g, "remedy", f->remedy);
	yajl_gen_map_close(g);
}

static void space_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct space_finding *s = &r->spaces[i];

	yajl_gen_map_open(g);
	jg_str(g, "name", s->name);
	jg_str(g, "lv", s->lv);
	jg_str(g, "kind", s->kind);
	jg_str(g, "origin", s->origin);
	jg_fixed2(g, "used_percent", s->used_percent);
	jg_fixed2(g, "metadata_percent", s->metadata_percent);
	jg_str(g, "state", s->state);
	jg_bool(g, "needs_check", s->needs_check);
	jg_str(g, "severity", severity_str(s->severity));
	jg_str(g, "detail", s->detail);
	jg_str(g, "remedy", s->remedy);
	yajl_gen_map_close(g);
}

static void guest_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct guest_finding *gf = &r->guests[i];

	yajl_gen_map_open(g);
	jg_int(g, "vmid", gf->vmid);
	jg_str(g, "type", gf->node ? guest_type_name(gf->type) : NULL);
	jg_str(g, "name", gf->name);
	jg_str(g, "node", gf->node);
	jg_bool(g, "running", gf->running);
	jg_bool(g, "exists", gf->node != NULL);
	jg_str(g, "health", gf->health);
	jg_key(g, "issues");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < gf->n_issues; k++)
		jg_text(g, gf->issues[k]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void problem_json(yajl_gen g, const struct report *r, size_t i)
{
	const struct state *st = r->st;

	yajl_gen_map_open(g);
	jg_str(g, "source", st->problems[i].source);
	jg_str(g, "message", st->problems[i].message);
	jg_str(g, "severity", "warning");
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

/*
 * The document has one array element per line (greppable, and a reader can
 * stream it); yajl_gen has no such layout, so each element is generated as a
 * value of its own and the separators are written here.
 */
void output_json(FILE *f, const struct report *r)
{
	yajl_gen g = jg_new();

	yajl_gen_map_open(g);
	header_json(g, r);
	jg_flush(g, f);
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		size_t n = sections[s].count(r);

		fprintf(f, ",\n\"%s\":[", sections[s].key);
		for (size_t i = 0; i < n; i++) {
			yajl_gen_reset(g, NULL);
			fputs(i ? ",\n" : "\n", f);
			sections[s].one(g, r, i);
			jg_flush(g, f);
		}
		fprintf(f, "%s]", n ? "\n" : "");
	}
	fputs("}\n", f);
	yajl_gen_free(g);
}
