// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition format (version 0.0.4) of a scan, and the Nagios
 * one-liner. Conventions followed: base units (seconds, bytes, ratios 0..1 with a
 * _ratio suffix), one # HELP and # TYPE per family, every sample of a family
 * together, counts of fixed label sets emitted even when zero (so "no tombstones"
 * is 0, not a missing series), and no two samples with the same labels — a
 * duplicate makes Prometheus reject the whole scrape.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "render/html.h"
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

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A sample is built as: name, then label() per label, then value(). */
struct sample {
	FILE *f;
	int n_labels;
};

static struct sample sample(FILE *f, const char *name)
{
	fputs(name, f);
	return (struct sample){ .f = f };
}

static void label(struct sample *s, const char *key, const char *val)
{
	fprintf(s->f, "%s%s=\"", s->n_labels++ ? "," : "{", key);
	prom_label_escape(s->f, val ? val : "");
	fputc('"', s->f);
}

static void label_int(struct sample *s, const char *key, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	label(s, key, buf);
}

static void value(struct sample *s, double v)
{
	if (s->n_labels)
		fputc('}', s->f);
	if (isnan(v))
		fputs(" NaN\n", s->f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", s->f);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		fprintf(s->f, " %.0f\n", v);
	else
		fprintf(s->f, " %.15g\n", v);
}

static void simple(FILE *f, const char *name, const char *type, const char *help, double v)
{
	struct sample s;

	family(f, name, type, help);
	s = sample(f, name);
	value(&s, v);
}

/* spaces[i] repeats an earlier (name, kind): a second status line of one device */
static bool space_seen(const struct report *r, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(r->spaces[k].name, r->spaces[i].name) &&
		    !strcmp(r->spaces[k].kind, r->spaces[i].kind))
			return true;
	return false;
}

static bool dev_seen(const struct report *r, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(r->devs[k].dev->name, r->devs[i].dev->name))
			return true;
	return false;
}

static void space_labels(struct sample *s, const struct space_finding *sp, bool kind)
{
	label(s, "name", sp->name);
	label(s, "lv", sp->lv);
	if (kind)
		label(s, "kind", sp->kind);
}

static const char *const tombstone_reasons[] = { "stale", "no-guest", "unreferenced", "other-node" };

static int health_value(const char *h)
{
	return !strcmp(h, "duplicate") ? 2 : !strcmp(h, "tombstone") ? 1 : 0;
}

static void header_metrics(FILE *f, int64_t when, bool up)
{
	struct sample s;

	simple(f, "dmwatch_up", "gauge",
	       "1 when the scan could read the device-mapper state, 0 when it could not run.",
	       up);
	family(f, "dmwatch_build_info", "gauge", "dmwatch version that made these metrics.");
	s = sample(f, "dmwatch_build_info");
	label(&s, "version", DMWATCH_VERSION);
	value(&s, 1);
	simple(f, "dmwatch_scan_timestamp_seconds", "gauge",
	       "Unix time the analysed state was collected.", (double)when);
}

void output_prom_failure(FILE *f, int64_t when)
{
	header_metrics(f, when, false);
}

void output_prom(FILE *f, const struct report *r, double duration_s)
{
	const struct state *st = r->st;
	struct sample s;
	bool any;

	header_metrics(f, st->collected_at, true);
	if (duration_s >= 0)
		simple(f, "dmwatch_scan_duration_seconds", "gauge",
		       "Seconds the scan took (collect, classify, render).", duration_s);
	family(f, "dmwatch_node_info", "gauge", "Host and Proxmox node name of the scanned state.");
	s = sample(f, "dmwatch_node_info");
	label(&s, "host", st->host);
	label(&s, "node", st->node);
	value(&s, 1);

	simple(f, "dmwatch_grade", "gauge",
	       "Health grade as a number: 0=A+ (nothing wrong), 2=B (<= 5 warnings), "
	       "3=C (<= 20), 4=D (<= 50), 5=F (more, or any critical); 1 (A) is not used.",
	       grade_value(r->grade));
	simple(f, "dmwatch_status", "gauge",
	       "Overall status, the scan's exit code: 0 ok, 1 warning, 2 critical.", r->exit_code);

	family(f, "dmwatch_findings", "gauge",
	       "Findings by severity (devices, snapshots/pools, unreadable inputs).");
	s = sample(f, "dmwatch_findings");
	label(&s, "severity", "warning");
	value(&s, r->warnings);
	s = sample(f, "dmwatch_findings");
	label(&s, "severity", "critical");
	value(&s, r->criticals);

	family(f, "dmwatch_devices", "gauge", "Device-mapper devices by class and severity.");
	for (int c = CLASS_VALID; c <= CLASS_UNMANAGED; c++) {
		size_t n[SEV_CRITICAL + 1] = {};

		for (size_t i = 0; i < r->n_devs; i++)
			if ((int)r->devs[i].cls == c)
				n[r->devs[i].severity]++;
		for (int sev = SEV_OK; sev <= SEV_CRITICAL; sev++) {
			s = sample(f, "dmwatch_devices");
			label(&s, "class", class_str(c));
			label(&s, "severity", severity_str(sev));
			value(&s, n[sev]);
		}
	}

	family(f, "dmwatch_tombstones", "gauge",
	       "Tombstone dm devices by reason (stale, no-guest, unreferenced, other-node).");
	for (size_t k = 0; k < ARRAY_SIZE(tombstone_reasons); k++) {
		size_t n = 0;

		for (size_t i = 0; i < r->n_devs; i++)
			if (r->devs[i].cls == CLASS_TOMBSTONE && r->devs[i].reason &&
			    !strcmp(r->devs[i].reason, tombstone_reasons[k]))
				n++;
		s = sample(f, "dmwatch_tombstones");
		label(&s, "reason", tombstone_reasons[k]);
		value(&s, n);
	}

	simple(f, "dmwatch_source_problems", "gauge",
	       "Inputs (files, commands) that could not be read or parsed; each is a warning.",
	       st->n_problems);
	family(f, "dmwatch_source_available", "gauge",
	       "1 when the source was read: dm (libdevmapper), lvm (lvs report), pve (/etc/pve).");
	s = sample(f, "dmwatch_source_available");
	label(&s, "source", "dm");
	value(&s, st->have_dm);
	s = sample(f, "dmwatch_source_available");
	label(&s, "source", "lvm");
	value(&s, st->have_lvm);
	s = sample(f, "dmwatch_source_available");
	label(&s, "source", "pve");
	value(&s, st->have_pve);

	family(f, "dmwatch_device_severity", "gauge",
	       "Devices with a problem: 1 warning, 2 critical (devices that are ok are not listed).");
	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *d = &r->devs[i];

		if (!d->severity || dev_seen(r, i))
			continue;
		s = sample(f, "dmwatch_device_severity");
		label(&s, "name", d->dev->name);
		label(&s, "class", class_str(d->cls));
		label(&s, "reason", d->reason);
		if (d->vmid >= 0)
			label_int(&s, "vmid", d->vmid);
		value(&s, d->severity);
	}

	family(f, "dmwatch_snapshot_used_ratio", "gauge",
	       "Used space, 0..1: COW of a classic LVM snapshot (kind lvm-snapshot), data of a "
	       "thin pool (kind thin-pool). An invalid snapshot counts as 1.");
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *sp = &r->spaces[i];

		if (isnan(sp->used_percent) || space_seen(r, i))
			continue;
		s = sample(f, "dmwatch_snapshot_used_ratio");
		space_labels(&s, sp, true);
		value(&s, sp->used_percent / 100.0);
	}
	any = false;
	for (size_t i = 0; i < r->n_spaces; i++)
		any |= r->spaces[i].total_bytes > 0;
	if (any) {
		family(f, "dmwatch_snapshot_used_bytes", "gauge",
		       "Bytes of a classic snapshot's COW area in use.");
		for (size_t i = 0; i < r->n_spaces; i++) {
			const struct space_finding *sp = &r->spaces[i];

			if (!sp->total_bytes || space_seen(r, i))
				continue;
			s = sample(f, "dmwatch_snapshot_used_bytes");
			space_labels(&s, sp, true);
			value(&s, (double)sp->used_bytes);
		}
		family(f, "dmwatch_snapshot_size_bytes", "gauge",
		       "Bytes of a classic snapshot's COW area.");
		for (size_t i = 0; i < r->n_spaces; i++) {
			const struct space_finding *sp = &r->spaces[i];

			if (!sp->total_bytes || space_seen(r, i))
				continue;
			s = sample(f, "dmwatch_snapshot_size_bytes");
			space_labels(&s, sp, true);
			value(&s, (double)sp->total_bytes);
		}
	}
	family(f, "dmwatch_thin_pool_metadata_used_ratio", "gauge",
	       "Used metadata space of a thin pool, 0..1 (full metadata turns the pool read-only).");
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *sp = &r->spaces[i];

		if (strcmp(sp->kind, "thin-pool") || isnan(sp->metadata_percent) || space_seen(r, i))
			continue;
		s = sample(f, "dmwatch_thin_pool_metadata_used_ratio");
		space_labels(&s, sp, false);
		value(&s, sp->metadata_percent / 100.0);
	}
	family(f, "dmwatch_snapshot_severity", "gauge",
	       "Snapshot, thin pool or multipath device: 0 ok, 1 warning, 2 critical.");
	for (size_t i = 0; i < r->n_spaces; i++) {
		if (space_seen(r, i))
			continue;
		s = sample(f, "dmwatch_snapshot_severity");
		space_labels(&s, &r->spaces[i], true);
		value(&s, r->spaces[i].severity);
	}
	family(f, "dmwatch_snapshot_info", "gauge",
	       "State of a snapshot (active invalid overflow merge_failed), thin pool (rw ro "
	       "out_of_data_space fail error) or multipath device; always 1.");
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *sp = &r->spaces[i];

		if (space_seen(r, i))
			continue;
		s = sample(f, "dmwatch_snapshot_info");
		space_labels(&s, sp, true);
		label(&s, "origin", sp->origin);
		label(&s, "state", sp->state ? sp->state : "unknown");
		label(&s, "needs_check", sp->needs_check ? "1" : "0");
		value(&s, 1);
	}

	family(f, "dmwatch_guest_health", "gauge",
	       "DM health of a guest: 0 clean, 1 tombstone(s), 2 duplicate(s).");
	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest_finding *g = &r->guests[i];

		s = sample(f, "dmwatch_guest_health");
		label_int(&s, "vmid", g->vmid);
		label(&s, "type", !g->node ? "" : g->type == GUEST_LXC ? "lxc" : "qemu");
		label(&s, "name", g->name);
		value(&s, health_value(g->health));
	}
	family(f, "dmwatch_guest_dm_issues", "gauge",
	       "Tombstone and duplicate dm devices that belong to a guest id.");
	for (size_t i = 0; i < r->n_guests; i++) {
		s = sample(f, "dmwatch_guest_dm_issues");
		label_int(&s, "vmid", r->guests[i].vmid);
		value(&s, r->guests[i].n_issues);
	}
}

/* ---- Nagios / Icinga ---- */

struct brief_item {
	const char *one, *many;
	size_t n;
};

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

