// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition format (version 0.0.4) of a scan, and the Nagios
 * one-liner. Conventions followed (prometheus.io "Metric and label naming"):
 * base units (seconds, bytes, ratios 0..1 with a _ratio suffix), a family per
 * kind of thing (dmwatch_snapshot_*, dmwatch_thin_pool_*, dmwatch_multipath_*),
 * one # HELP and # TYPE per family, every sample of a family together, counts
 * of fixed label sets emitted even when zero (so "no tombstones" is 0, not a
 * missing series), no empty labels (Prometheus treats one as absent, so two
 * series would differ in nothing), and no two samples with the same labels: a
 * duplicate makes Prometheus reject the whole scrape. Names are deduplicated
 * after they are escaped, since two names that differ only in bytes that are
 * not UTF-8 escape to the same label value.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "render/prom.h"
#include "lib/escape.h"
#include "lib/util.h"

static const char *const grades[] = { "A+", "A", "B", "C", "D", "F" };

int grade_value(const char *grade)
{
	for (size_t i = 0; grade && i < ARRAY_SIZE(grades); i++)
		if (!strcmp(grade, grades[i]))
			return (int)i;
	return -1;
}

void prom_label_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	if (!s)
		return;
	while (*p) {
		switch (*p) {
		case '\\': fputs("\\\\", f); p++; continue;
		case '"': fputs("\\\"", f); p++; continue;
		case '\n': fputs("\\n", f); p++; continue;
		}
		/* Prometheus rejects a scrape with invalid UTF-8 in a label value */
		n = (int)utf8_seq_len(p, 4);
		if (!n) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

/* ---- a family: samples collected, sorted by their labels, deduplicated, written ---- */

struct series {
	size_t labels, len;	/* offset and length of the rendered labels in family.buf */
	size_t order;		/* the first of equal label sets wins */
	double value;
};

struct family {
	FILE *out;
	const char *name;
	FILE *lf;		/* the labels of every sample, one after the other */
	char *buf;
	size_t buf_len;
	struct series *v;
	size_t n;
	size_t start;		/* where the current sample's labels begin */
	int n_labels;
};

static void family_begin(struct family *fam, FILE *out, const char *name, const char *type,
			 const char *help)
{
	*fam = (struct family){ .out = out, .name = name };
	fam->lf = open_memstream(&fam->buf, &fam->buf_len);
	if (!fam->lf)
		oom();
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_begin(struct family *fam)
{
	fflush(fam->lf);
	fam->start = fam->buf_len;
	fam->n_labels = 0;
}

/* A label; an empty or missing value is left out, as Prometheus would. */
static void label(struct family *fam, const char *key, const char *val)
{
	if (str_empty(val))
		return;
	fprintf(fam->lf, "%s%s=\"", fam->n_labels++ ? "," : "", key);
	prom_label_escape(fam->lf, val);
	fputc('"', fam->lf);
}

static void label_int(struct family *fam, const char *key, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	label(fam, key, buf);
}

static void sample_end(struct family *fam, double v)
{
	struct series *s = array_push(&fam->v, &fam->n, sizeof(*s));

	fflush(fam->lf);
	s->labels = fam->start;
	s->len = fam->buf_len - fam->start;
	s->order = fam->n - 1;
	s->value = v;
}

static int series_cmp(const void *a, const void *b, void *arg)
{
	const struct series *x = a, *y = b;
	const char *buf = arg;
	int c = memcmp(buf + x->labels, buf + y->labels, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void write_value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		fprintf(f, " %.0f\n", v);
	else
		fprintf(f, " %.15g\n", v);
}

/* Sort by labels (O(n log n)), drop repeats, write. */
static void family_end(struct family *fam)
{
	const struct series *prev = NULL;

	fclose(fam->lf);
	if (fam->n)
		qsort_r(fam->v, fam->n, sizeof(*fam->v), series_cmp, fam->buf);
	for (size_t i = 0; i < fam->n; i++) {
		const struct series *s = &fam->v[i];

		if (prev && prev->len == s->len &&
		    !memcmp(fam->buf + prev->labels, fam->buf + s->labels, s->len))
			continue;
		prev = s;
		fputs(fam->name, fam->out);
		if (s->len)
			fprintf(fam->out, "{%.*s}", (int)s->len, fam->buf + s->labels);
		write_value(fam->out, s->value);
	}
	free(fam->buf);
	free(fam->v);
}

static void simple(FILE *f, const char *name, const char *type, const char *help, double v)
{
	struct family fam;

	family_begin(&fam, f, name, type, help);
	sample_begin(&fam);
	sample_end(&fam, v);
	family_end(&fam);
}

/* ---- scan and node ---- */

static void header_metrics(FILE *f, int64_t when, bool up)
{
	struct family fam;

	simple(f, "dmwatch_up", "gauge",
	       "1 when the scan could read the device-mapper state, 0 when it could not run.",
	       up);
	family_begin(&fam, f, "dmwatch_build_info", "gauge",
		     "dmwatch version that made these metrics; always 1.");
	sample_begin(&fam);
	label(&fam, "version", DMWATCH_VERSION);
	sample_end(&fam, 1);
	family_end(&fam);
	simple(f, "dmwatch_scan_timestamp_seconds", "gauge",
	       "Unix time the analysed state was collected.", (double)when);
}

void output_prom_failure(FILE *f, int64_t when)
{
	header_metrics(f, when, false);
}

static void verdict_metrics(FILE *f, const struct report *r)
{
	struct family fam;

	family_begin(&fam, f, "dmwatch_node_info", "gauge",
		     "Host and Proxmox node name of the scanned state; always 1.");
	sample_begin(&fam);
	label(&fam, "host", r->st->host);
	label(&fam, "node", r->st->node);
	sample_end(&fam, 1);
	family_end(&fam);

	simple(f, "dmwatch_grade", "gauge",
	       "Health grade as a number: 0=A+ (nothing wrong), 2=B (<= 5 warnings), "
	       "3=C (<= 20), 4=D (<= 50), 5=F (more, or any critical); 1 (A) is not used.",
	       grade_value(r->grade));
	simple(f, "dmwatch_status", "gauge",
	       "Overall status, the scan's exit code: 0 ok, 1 warning, 2 critical.", r->exit_code);

	family_begin(&fam, f, "dmwatch_findings", "gauge",
		     "Findings by severity (devices, snapshots, pools, multipath, unreadable inputs).");
	sample_begin(&fam);
	label(&fam, "severity", "warning");
	sample_end(&fam, r->warnings);
	sample_begin(&fam);
	label(&fam, "severity", "critical");
	sample_end(&fam, r->criticals);
	family_end(&fam);

	family_begin(&fam, f, "dmwatch_threshold_ratio", "gauge",
		     "Fill of a snapshot COW or thin pool (data, metadata) at which the scan "
		     "warns or is critical (--warn, --crit), 0..1.");
	sample_begin(&fam);
	label(&fam, "severity", "warning");
	sample_end(&fam, r->opts.warn_percent / 100.0);
	sample_begin(&fam);
	label(&fam, "severity", "critical");
	sample_end(&fam, r->opts.crit_percent / 100.0);
	family_end(&fam);
}

static void source_metrics(FILE *f, const struct state *st)
{
	static const char *const names[] = { "dm", "lvm", "pve" };
	const bool have[] = { st->have_dm, st->have_lvm, st->have_pve };
	struct family fam;

	simple(f, "dmwatch_source_problems", "gauge",
	       "Inputs (files, commands) that could not be read or parsed; each is a warning.",
	       st->n_problems);
	family_begin(&fam, f, "dmwatch_source_available", "gauge",
		     "1 when the source was read: dm (libdevmapper), lvm (lvm fullreport), pve (/etc/pve).");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		sample_begin(&fam);
		label(&fam, "source", names[i]);
		sample_end(&fam, have[i]);
	}
	family_end(&fam);
}

/* ---- devices ---- */

static const char *const tombstone_reasons[] = { "stale", "no-guest", "unreferenced", "other-node" };

static void device_count_metrics(FILE *f, const struct report *r)
{
	size_t n[CLASS_UNMANAGED + 1][SEV_CRITICAL + 1] = {};
	size_t n_reason[ARRAY_SIZE(tombstone_reasons)] = {};
	struct family fam;

	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *d = &r->devs[i];

		n[d->cls][d->severity]++;
		for (size_t k = 0; d->cls == CLASS_TOMBSTONE && d->reason &&
				   k < ARRAY_SIZE(tombstone_reasons); k++)
			n_reason[k] += !strcmp(d->reason, tombstone_reasons[k]);
	}
	family_begin(&fam, f, "dmwatch_devices", "gauge",
		     "Device-mapper devices by class and severity.");
	for (int c = CLASS_VALID; c <= CLASS_UNMANAGED; c++) {
		for (int sev = SEV_OK; sev <= SEV_CRITICAL; sev++) {
			sample_begin(&fam);
			label(&fam, "class", class_str(c));
			label(&fam, "severity", severity_str(sev));
			sample_end(&fam, n[c][sev]);
		}
	}
	family_end(&fam);

	family_begin(&fam, f, "dmwatch_tombstones", "gauge",
		     "Tombstone dm devices by reason (stale, no-guest, unreferenced, other-node).");
	for (size_t k = 0; k < ARRAY_SIZE(tombstone_reasons); k++) {
		sample_begin(&fam);
		label(&fam, "reason", tombstone_reasons[k]);
		sample_end(&fam, n_reason[k]);
	}
	family_end(&fam);
}

static void device_finding_metrics(FILE *f, const struct report *r)
{
	struct family fam;

	family_begin(&fam, f, "dmwatch_device_severity", "gauge",
		     "Devices with a problem: 1 warning, 2 critical (devices that are ok are not listed).");
	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *d = &r->devs[i];

		if (!d->severity)
			continue;
		sample_begin(&fam);
		label(&fam, "name", d->dev->name);
		label(&fam, "class", class_str(d->cls));
		label(&fam, "reason", d->reason);
		if (d->vmid >= 0)
			label_int(&fam, "vmid", d->vmid);
		sample_end(&fam, d->severity);
	}
	family_end(&fam);
}

/* ---- snapshots, thin pools, multipath: one family each ---- */

/* name, and vg and lv when the finding names an LV ("vg/lv") */
static void space_labels(struct family *fam, const struct space_finding *sp)
{
	const char *slash = sp->lv ? strchr(sp->lv, '/') : NULL;

	label(fam, "name", sp->name);
	if (slash) {
		char *vg = xstrndup(sp->lv, slash - sp->lv);

		label(fam, "vg", vg);
		label(fam, "lv", slash + 1);
		free(vg);
	}
}

typedef bool (*space_has)(const struct space_finding *sp);
typedef double (*space_value)(const struct space_finding *sp);

/* One family over the findings of a kind that have the value. */
static void space_family(FILE *f, const struct report *r, const char *kind, const char *name,
			 const char *help, space_has has, space_value val)
{
	struct family fam;

	family_begin(&fam, f, name, "gauge", help);
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *sp = &r->spaces[i];

		if (strcmp(sp->kind, kind) || (has && !has(sp)))
			continue;
		sample_begin(&fam);
		space_labels(&fam, sp);
		sample_end(&fam, val(sp));
	}
	family_end(&fam);
}

static bool has_used(const struct space_finding *sp) { return !isnan(sp->used_percent); }
static bool has_bytes(const struct space_finding *sp) { return sp->total_bytes > 0; }
static bool has_meta(const struct space_finding *sp) { return !isnan(sp->metadata_percent); }
static bool has_meta_bytes(const struct space_finding *sp) { return sp->metadata_total_bytes > 0; }
static double used_ratio(const struct space_finding *sp) { return sp->used_percent / 100.0; }
static double used_bytes(const struct space_finding *sp) { return (double)sp->used_bytes; }
static double size_bytes(const struct space_finding *sp) { return (double)sp->total_bytes; }
static double meta_ratio(const struct space_finding *sp) { return sp->metadata_percent / 100.0; }
static double meta_used(const struct space_finding *sp) { return (double)sp->metadata_used_bytes; }
static double meta_size(const struct space_finding *sp) { return (double)sp->metadata_total_bytes; }
static double severity(const struct space_finding *sp) { return sp->severity; }

static void snapshot_metrics(FILE *f, const struct report *r)
{
	static const char *const k = "lvm-snapshot";
	struct family fam;

	space_family(f, r, k, "dmwatch_snapshot_cow_used_ratio",
		     "Used COW space of a classic LVM snapshot, 0..1; an invalid snapshot counts as 1.",
		     has_used, used_ratio);
	space_family(f, r, k, "dmwatch_snapshot_cow_used_bytes",
		     "Bytes of a classic snapshot's COW area in use.", has_bytes, used_bytes);
	space_family(f, r, k, "dmwatch_snapshot_cow_size_bytes",
		     "Bytes of a classic snapshot's COW area.", has_bytes, size_bytes);
	space_family(f, r, k, "dmwatch_snapshot_severity",
		     "Classic snapshot: 0 ok, 1 warning, 2 critical (invalid, or COW past --crit).",
		     NULL, severity);
	family_begin(&fam, f, "dmwatch_snapshot_info", "gauge",
		     "Origin and state (active invalid overflow merge_failed unknown) of a "
		     "classic snapshot; always 1.");
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *sp = &r->spaces[i];

		if (strcmp(sp->kind, k))
			continue;
		sample_begin(&fam);
		space_labels(&fam, sp);
		label(&fam, "origin", sp->origin);
		label(&fam, "state", sp->state ? sp->state : "unknown");
		sample_end(&fam, 1);
	}
	family_end(&fam);
}

static void thin_pool_metrics(FILE *f, const struct report *r)
{
	static const char *const k = "thin-pool";
	struct family fam;

	space_family(f, r, k, "dmwatch_thin_pool_data_used_ratio",
		     "Used data space of a thin pool, 0..1.", has_used, used_ratio);
	space_family(f, r, k, "dmwatch_thin_pool_data_used_bytes",
		     "Bytes of a thin pool's data device in use.", has_bytes, used_bytes);
	space_family(f, r, k, "dmwatch_thin_pool_data_size_bytes",
		     "Bytes of a thin pool's data device.", has_bytes, size_bytes);
	space_family(f, r, k, "dmwatch_thin_pool_metadata_used_ratio",
		     "Used metadata space of a thin pool, 0..1 (full metadata turns the pool read-only).",
		     has_meta, meta_ratio);
	space_family(f, r, k, "dmwatch_thin_pool_metadata_used_bytes",
		     "Bytes of a thin pool's metadata device in use.", has_meta_bytes, meta_used);
	space_family(f, r, k, "dmwatch_thin_pool_metadata_size_bytes",
		     "Bytes of a thin pool's metadata device.", has_meta_bytes, meta_size);
	space_family(f, r, k, "dmwatch_thin_pool_severity",
		     "Thin pool: 0 ok, 1 warning, 2 critical (failed, read-only, needs_check, or "
		     "data or metadata past --crit).", NULL, severity);
	family_begin(&fam, f, "dmwatch_thin_pool_info", "gauge",
		     "Mode (rw ro out_of_data_space fail error unknown) and needs_check of a thin "
		     "pool; always 1.");
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *sp = &r->spaces[i];

		if (strcmp(sp->kind, k))
			continue;
		sample_begin(&fam);
		space_labels(&fam, sp);
		label(&fam, "mode", sp->state ? sp->state : "unknown");
		label(&fam, "needs_check", sp->needs_check ? "1" : "0");
		sample_end(&fam, 1);
	}
	family_end(&fam);
}

static void multipath_metrics(FILE *f, const struct report *r)
{
	struct family fam;

	family_begin(&fam, f, "dmwatch_multipath_paths", "gauge",
		     "Paths of a multipath device by state (active, failed).");
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *sp = &r->spaces[i];

		if (strcmp(sp->kind, "multipath"))
			continue;
		sample_begin(&fam);
		label(&fam, "name", sp->name);
		label(&fam, "state", "active");
		sample_end(&fam, sp->n_paths - sp->n_failed_paths);
		sample_begin(&fam);
		label(&fam, "name", sp->name);
		label(&fam, "state", "failed");
		sample_end(&fam, sp->n_failed_paths);
	}
	family_end(&fam);
	space_family(f, r, "multipath", "dmwatch_multipath_severity",
		     "Multipath device: 0 ok, 1 warning (a path failed), 2 critical (every path failed).",
		     NULL, severity);
}

/* ---- guests and shared storage ---- */

static void guest_metrics(FILE *f, const struct report *r)
{
	struct family fam;

	family_begin(&fam, f, "dmwatch_guest_health", "gauge",
		     "DM health of a guest: 0 clean, 1 tombstone(s), 2 duplicate(s).");
	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest_finding *g = &r->guests[i];

		sample_begin(&fam);
		label_int(&fam, "vmid", g->vmid);
		if (g->node)
			label(&fam, "type", guest_type_name(g->type));
		label(&fam, "name", g->name);
		sample_end(&fam, !strcmp(g->health, "duplicate") ? 2 :
				 !strcmp(g->health, "tombstone") ? 1 : 0);
	}
	family_end(&fam);
	family_begin(&fam, f, "dmwatch_guest_dm_issues", "gauge",
		     "Tombstone and duplicate dm devices that belong to a guest id.");
	for (size_t i = 0; i < r->n_guests; i++) {
		sample_begin(&fam);
		label_int(&fam, "vmid", r->guests[i].vmid);
		sample_end(&fam, r->guests[i].n_issues);
	}
	family_end(&fam);
}

/* The storage.cfg stanza of a shared LVM storage on VG vg, NULL if none. */
static const struct pve_storage *shared_storage(const struct state *st, const char *vg)
{
	for (size_t i = 0; i < st->n_storages; i++) {
		const struct pve_storage *s = &st->storages[i];

		if (s->shared && s->type == PVE_STORAGE_LVM && s->vgname && !strcmp(s->vgname, vg))
			return s;
	}
	return NULL;
}

/*
 * One series per LV of a shared storage that has a mapping here: an LV on shared
 * storage must be active on one node at a time, and only a view across the nodes
 * (the LvActiveOnSeveralNodes rule) sees a second one.
 */
static void shared_lv_metrics(FILE *f, const struct report *r)
{
	struct family fam;

	family_begin(&fam, f, "dmwatch_lv_active", "gauge",
		     "1 per LV of a shared storage (shared 1 in storage.cfg) that is active on this "
		     "node; active on two nodes at once corrupts it.");
	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *d = &r->devs[i];
		const struct pve_storage *s;

		if (!d->vg || !str_empty(d->layer))
			continue;
		s = shared_storage(r->st, d->vg);
		if (!s)
			continue;
		sample_begin(&fam);
		label(&fam, "storage", s->id);
		label(&fam, "vg", d->vg);
		label(&fam, "lv", d->lv);
		sample_end(&fam, 1);
	}
	family_end(&fam);
}

void output_prom(FILE *f, const struct report *r, double duration_s)
{
	header_metrics(f, r->st->collected_at, true);
	if (duration_s >= 0)
		simple(f, "dmwatch_scan_duration_seconds", "gauge",
		       "Seconds the scan took (collect, classify, render).", duration_s);
	verdict_metrics(f, r);
	source_metrics(f, r->st);
	device_count_metrics(f, r);
	device_finding_metrics(f, r);
	snapshot_metrics(f, r);
	thin_pool_metrics(f, r);
	multipath_metrics(f, r);
	guest_metrics(f, r);
	shared_lv_metrics(f, r);
}

/* ---- Nagios / Icinga ---- */

struct brief_item {
	const char *one, *many;
	size_t n;
};

/* A perfdata label: quoted, ' doubled, no byte that ends a label or the line. */
static void perf_label(FILE *f, const char *lv, const char *suffix)
{
	char *clean = term_escaped(lv);

	fputs(" '", f);
	for (const char *p = clean; *p; p++) {
		if (*p == '\'')
			fputs("''", f);
		else
			fputc(*p == '=' || *p == '|' ? '_' : *p, f);
	}
	fprintf(f, "%s'", suffix);
	free(clean);
}

static void perf_percent(FILE *f, const struct report *r, const char *lv, const char *suffix,
			 double pct)
{
	perf_label(f, lv, suffix);
	fprintf(f, "=%.1f%%;%g;%g;0;100", pct, r->opts.warn_percent, r->opts.crit_percent);
}

/* Used % of every snapshot COW and pool (data, metadata), with the thresholds. */
static void brief_perfdata(FILE *f, const struct report *r)
{
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *s = &r->spaces[i];

		if (!strcmp(s->kind, "multipath"))
			continue;
		if (!isnan(s->used_percent))
			perf_percent(f, r, s->lv ? s->lv : s->name, "", s->used_percent);
		if (!isnan(s->metadata_percent))
			perf_percent(f, r, s->lv ? s->lv : s->name, " metadata", s->metadata_percent);
	}
}

char *report_brief(const struct report *r)
{
	static const char *const status[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	struct brief_item items[] = {
		{ "duplicate", "duplicates", r->n_class[CLASS_DUPLICATE] },
		{ "tombstone", "tombstones", r->n_class[CLASS_TOMBSTONE] },
		{ "invalid snapshot", "invalid snapshots", 0 },
		{ "failing thin pool", "failing thin pools", 0 },
		{ "multipath device without paths", "multipath devices without paths", 0 },
		{ "snapshot filling up", "snapshots filling up", 0 },
		{ "thin pool filling up", "thin pools filling up", 0 },
		{ "degraded multipath device", "degraded multipath devices", 0 },
		{ "unreadable input", "unreadable inputs", r->st->n_problems },
	};
	char *out = NULL;
	size_t len = 0, n_items = 0;
	FILE *f;
	int ex = r->exit_code >= 0 && r->exit_code <= 3 ? r->exit_code : 3;

	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *s = &r->spaces[i];
		bool bad_state;

		if (!s->severity)
			continue;
		if (s->state && !strcmp(s->state, "unknown")) {
			/* a status line we could not parse */
			items[8].n++;
		} else if (!strcmp(s->kind, "lvm-snapshot")) {
			bad_state = s->state && strcmp(s->state, "active");
			items[bad_state ? 2 : 5].n++;
		} else if (!strcmp(s->kind, "thin-pool")) {
			bad_state = s->needs_check || (s->state && strcmp(s->state, "rw"));
			items[bad_state ? 3 : 6].n++;
		} else {
			items[s->severity == SEV_CRITICAL ? 4 : 7].n++;
		}
	}

	f = open_memstream(&out, &len);
	if (!f)
		return xasprintf("DMWATCH UNKNOWN - out of memory");
	fprintf(f, "DMWATCH %s - grade %s: ", status[ex], r->grade);
	for (size_t i = 0; i < ARRAY_SIZE(items); i++) {
		if (!items[i].n)
			continue;
		fprintf(f, "%s%zu %s", n_items++ ? ", " : "", items[i].n,
			items[i].n == 1 ? items[i].one : items[i].many);
	}
	if (!n_items)
		fprintf(f, "%zu dm devices, no problems", r->n_devs);
	fprintf(f, " | devices=%zu warnings=%zu criticals=%zu", r->n_devs, r->warnings,
		r->criticals);
	brief_perfdata(f, r);
	fclose(f);
	return out;
}

char *brief_unknown(const char *why)
{
	char *s = xasprintf("DMWATCH UNKNOWN - %s", why ? why : "could not run");

	/* one line, whatever the reason says */
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '|')
			*p = ' ';
	return s;
}
