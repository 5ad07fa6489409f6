// SPDX-License-Identifier: GPL-2.0
/*
 * scan --html: a self-contained HTML report, and scan --mail-to: that report sent
 * as multipart/alternative through the local sendmail.
 *
 * The page has to survive mail clients, which drop <style> blocks, scripts and
 * remote resources and lay out tables better than anything else: so every style
 * is inline, layout and gauges are tables, and nothing is loaded from anywhere.
 * Every name that reaches the page (dm names, guest names, hosts, messages) comes
 * from the node or from a saved state someone sent us and is escaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "render/html.h"
#include "render/output.h"
#include "lib/escape.h"
#include "lib/util.h"

/* ---- escaping ---- */

void html_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	if (!s)
		return;
	while (*p) {
		switch (*p) {
		case '&': fputs("&amp;", f); p++; continue;
		case '<': fputs("&lt;", f); p++; continue;
		case '>': fputs("&gt;", f); p++; continue;
		case '"': fputs("&quot;", f); p++; continue;
		case '\'': fputs("&#39;", f); p++; continue;
		case '\t': case '\n': fputc(*p++, f); continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fputs("&#xFFFD;", f);
			p++;
			continue;
		}
		n = (int)utf8_seq_len(p, 4);
		if (!n) {
			fputs("&#xFFFD;", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

/* ---- host facts ---- */

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

/* ---- page building blocks ---- */

struct tone {
	const char *fg, *bg, *bar;
};

static const struct tone tone_ok = { "#166534", "#dcfce7", "#16a34a" };
static const struct tone tone_warn = { "#92400e", "#fef3c7", "#d97706" };
static const struct tone tone_crit = { "#991b1b", "#fee2e2", "#dc2626" };
static const struct tone tone_info = { "#374151", "#f3f4f6", "#9ca3af" };

static const struct tone *sev_tone(enum severity s)
{
	return s == SEV_CRITICAL ? &tone_crit : s == SEV_WARNING ? &tone_warn : &tone_ok;
}

static const struct tone *grade_tone(const char *g)
{
	if (!strcmp(g, "A+"))
		return &tone_ok;
	return !strcmp(g, "F") ? &tone_crit : &tone_warn;
}

#define FONT "-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif"
#define MONO "Menlo,Consolas,'DejaVu Sans Mono','Liberation Mono',monospace"
#define TH "text-align:left;padding:6px 8px;background:#f9fafb;border-bottom:1px solid #e5e7eb;" \
	   "color:#6b7280;font-size:11px;font-weight:bold;text-transform:uppercase;" \
	   "letter-spacing:0.04em"
#define TD "padding:6px 8px;border-bottom:1px solid #f0f1f3;vertical-align:top"
#define TABLE "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" " \
	      "style=\"border-collapse:collapse;font-size:13px\">"

static void pill(FILE *f, const struct tone *t, const char *text)
{
	fprintf(f, "<span style=\"display:inline-block;padding:1px 8px;border-radius:9px;"
		"background:%s;color:%s;font-size:11px;font-weight:bold;"
		"text-transform:uppercase\">", t->bg, t->fg);
	html_escape(f, text);
	fputs("</span>", f);
}

static void mono(FILE *f, const char *s, bool bold)
{
	fprintf(f, "<span style=\"font-family:%s;word-break:break-all;%s\">", MONO,
		bold ? "font-weight:bold" : "");
	html_escape(f, s);
	fputs("</span>", f);
}

static void section_start(FILE *f, const char *title, const char *note)
{
	fputs("<tr><td style=\"padding:8px 24px 4px\">", f);
	fputs("<h2 style=\"margin:16px 0 8px;font-size:16px;color:#111827;"
	      "border-bottom:2px solid #e5e7eb;padding-bottom:4px\">", f);
	html_escape(f, title);
	if (note) {
		fputs(" <span style=\"font-size:12px;font-weight:normal;color:#6b7280\">", f);
		html_escape(f, note);
		fputs("</span>", f);
	}
	fputs("</h2>\n", f);
}

static void section_end(FILE *f)
{
	fputs("</td></tr>\n", f);
}

static void fmt_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, len, "unknown");
}

static double thr(double v, double dflt)
{
	return v > 0 ? v : dflt;
}

/* A bar that mail clients render: two table cells, the filled one as wide as pct. */
static void gauge(FILE *f, double pct, const struct html_opts *o)
{
	const struct tone *t;
	int w;

	if (isnan(pct)) {
		fputs("<span style=\"color:#9ca3af\">&ndash;</span>", f);
		return;
	}
	t = pct >= thr(o->crit_percent, 95) ? &tone_crit :
	    pct >= thr(o->warn_percent, 80) ? &tone_warn : &tone_ok;
	w = (int)lround(pct);
	if (w < 1 && pct > 0)
		w = 1;
	if (w > 100)
		w = 100;
	fputs("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
	      "style=\"border-collapse:collapse\"><tr><td style=\"padding:0\">"
	      "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
	      "style=\"border-collapse:collapse;background:#e5e7eb\"><tr>", f);
	if (w > 0)
		fprintf(f, "<td width=\"%d%%\" style=\"background:%s;height:12px;padding:0;"
			"font-size:1px;line-height:1px\">&nbsp;</td>", w, t->bar);
	if (w < 100)
		fputs("<td style=\"height:12px;padding:0;font-size:1px;line-height:1px\">&nbsp;</td>", f);
	fprintf(f, "</tr></table></td><td width=\"56\" style=\"padding:0 0 0 8px;white-space:nowrap;"
		"text-align:right;font-size:12px;color:%s;font-weight:bold\">%.1f%%</td></tr></table>",
		t->fg, pct);
}

static void dev_label(FILE *f, const struct dev_finding *d)
{
	fprintf(f, "dm-%u", d->dev->minor);
}

/* ---- sections ---- */

static void header(FILE *f, const struct report *r)
{
	const struct state *st = r->st;
	const struct tone *t = grade_tone(r->grade);
	char when[64];

	fmt_time(when, sizeof(when), st->collected_at);
	fprintf(f, "<tr><td style=\"padding:20px 24px;border-bottom:1px solid #e5e7eb\">"
		"<table role=\"presentation\" width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\"><tr>"
		"<td width=\"84\" style=\"vertical-align:middle\">"
		"<div style=\"width:72px;height:72px;line-height:72px;text-align:center;"
		"border-radius:8px;background:%s;color:%s;font-size:34px;font-weight:bold;"
		"border:2px solid %s\" title=\"health grade\">", t->bg, t->fg, t->bar);
	html_escape(f, r->grade);
	fputs("</div></td><td style=\"vertical-align:middle;padding-left:12px\">"
	      "<div style=\"font-size:12px;color:#6b7280;text-transform:uppercase;"
	      "letter-spacing:0.06em\">dmwatch device-mapper report</div>"
	      "<h1 style=\"margin:2px 0 4px;font-size:22px;color:#111827;word-break:break-all\">", f);
	html_escape(f, st->host ? st->host : "?");
	if (st->node && st->host && strcmp(st->node, st->host)) {
		fputs(" <span style=\"font-size:14px;color:#6b7280\">node ", f);
		html_escape(f, st->node);
		fputs("</span>", f);
	}
	fputs("</h1><div style=\"font-size:14px;color:#111827\">", f);
	fputs("Grade <b>", f);
	html_escape(f, r->grade);
	fputs("</b>: ", f);
	if (r->criticals || r->warnings) {
		fprintf(f, "<b style=\"color:%s\">%zu critical</b> and <b style=\"color:%s\">%zu "
			"warning%s</b> need attention.", r->criticals ? tone_crit.fg : "#111827",
			r->criticals, r->warnings ? tone_warn.fg : "#111827", r->warnings,
			r->warnings == 1 ? "" : "s");
	} else {
		fprintf(f, "<b style=\"color:%s\">no problems found.</b>", tone_ok.fg);
	}
	fputs("</div><div style=\"font-size:12px;color:#6b7280;margin-top:2px\">scanned ", f);
	html_escape(f, when);
	fputs("</div></td></tr></table></td></tr>\n", f);
}

/* inline blocks, not table cells: on a phone they wrap instead of widening the page */
static void counter(FILE *f, const char *label, size_t n, const struct tone *t)
{
	fprintf(f, "<div style=\"display:inline-block;vertical-align:top;width:104px;margin:0 4px 4px 0;"
		"padding:8px 0;text-align:center;background:%s;border-radius:4px\">"
		"<div style=\"font-size:22px;font-weight:bold;color:%s\">%zu</div>"
		"<div style=\"font-size:11px;color:#4b5563;text-transform:uppercase\">",
		t->bg, t->fg, n);
	html_escape(f, label);
	fputs("</div></div>", f);
}

static void summary(FILE *f, const struct report *r)
{
	const struct state *st = r->st;

	fputs("<tr><td style=\"padding:12px 24px 0\">", f);
	counter(f, "dm devices", r->n_devs, &tone_info);
	counter(f, "valid", r->n_class[CLASS_VALID], &tone_info);
	counter(f, "internal", r->n_class[CLASS_INTERNAL], &tone_info);
	counter(f, "unmanaged", r->n_class[CLASS_UNMANAGED], &tone_info);
	counter(f, "tombstones", r->n_class[CLASS_TOMBSTONE],
		r->n_class[CLASS_TOMBSTONE] ? &tone_warn : &tone_ok);
	counter(f, "duplicates", r->n_class[CLASS_DUPLICATE],
		r->n_class[CLASS_DUPLICATE] ? &tone_crit : &tone_ok);
	counter(f, "warnings", r->warnings, r->warnings ? &tone_warn : &tone_ok);
	counter(f, "critical", r->criticals, r->criticals ? &tone_crit : &tone_ok);
	if (!st->have_lvm)
		fprintf(f, "<p style=\"margin:8px 2px 0;color:%s;font-size:13px\">LVM report "
			"unavailable: LVM checks were skipped.</p>", tone_warn.fg);
	if (!st->have_pve)
		fputs("<p style=\"margin:8px 2px 0;color:#6b7280;font-size:13px\">No Proxmox "
		      "configuration found: guest checks were skipped.</p>", f);
	fputs("</td></tr>\n", f);
}

static void finding_start(FILE *f, enum severity sev)
{
	const struct tone *t = sev_tone(sev);

	fprintf(f, "<tr><td style=\"padding:8px 12px;border-left:4px solid %s;background:#fcfcfd;"
		"border-bottom:1px solid #eef0f2\">", t->bar);
	pill(f, t, sev == SEV_CRITICAL ? "critical" : "warning");
	fputs(" ", f);
}

static void finding_end(FILE *f, const char *why, const char *fix)
{
	if (why) {
		fputs("<div style=\"margin:4px 0 0;font-size:13px;color:#1f2937\">", f);
		html_escape(f, why);
		fputs("</div>", f);
	}
	if (fix) {
		fputs("<div style=\"margin:6px 0 2px;font-size:12px;color:#374151\"><b>Fix:</b> "
		      "<code style=\"font-family:" MONO ";background:#f3f4f6;border:1px solid #e5e7eb;"
		      "border-radius:3px;padding:1px 4px;overflow-wrap:anywhere;word-break:break-word\">", f);
		html_escape(f, fix);
		fputs("</code></div>", f);
	}
	fputs("</td></tr>\n", f);
}

static void findings(FILE *f, const struct report *r)
{
	const struct state *st = r->st;

	section_start(f, "Findings", r->criticals || r->warnings ?
		      "critical first, each with its remedy" : NULL);
	if (!r->criticals && !r->warnings) {
		fprintf(f, "<p style=\"margin:4px 0;color:%s;font-weight:bold\">No problems found: "
			"no tombstones, no duplicates, snapshots and pools have room.</p>", tone_ok.fg);
		section_end(f);
		return;
	}
	fputs(TABLE, f);
	for (int sev = SEV_CRITICAL; sev >= SEV_WARNING; sev--) {
		for (size_t i = 0; i < r->n_devs; i++) {
			const struct dev_finding *d = &r->devs[i];

			if ((int)d->severity != sev)
				continue;
			finding_start(f, sev);
			mono(f, d->dev->name, true);
			fputs(" <span style=\"color:#6b7280;font-size:12px;white-space:nowrap\">", f);
			dev_label(f, d);
			fputs(" &middot; ", f);
			html_escape(f, class_str(d->cls));
			if (d->reason) {
				fputs(" / ", f);
				html_escape(f, d->reason);
			}
			if (d->vmid >= 0)
				fprintf(f, " &middot; guest %d", d->vmid);
			fputs("</span>", f);
			finding_end(f, d->detail, d->remedy);
		}
		for (size_t i = 0; i < r->n_spaces; i++) {
			const struct space_finding *s = &r->spaces[i];

			if ((int)s->severity != sev)
				continue;
			finding_start(f, sev);
			mono(f, s->lv, true);
			fputs(" <span style=\"color:#6b7280;font-size:12px\">", f);
			html_escape(f, s->kind);
			fputs("</span>", f);
			finding_end(f, s->detail, s->remedy);
		}
		if (sev != SEV_WARNING)
			continue;
		for (size_t i = 0; i < st->n_problems; i++) {
			finding_start(f, SEV_WARNING);
			mono(f, st->problems[i].source, true);
			fputs(" <span style=\"color:#6b7280;font-size:12px\">input</span>", f);
			finding_end(f, st->problems[i].message, NULL);
		}
	}
	fputs("</table>\n", f);
	section_end(f);
}

/* A guest's issues go on a row of their own: a fifth column would squeeze them on a phone. */
static void guests(FILE *f, const struct report *r)
{
	if (!r->n_guests)
		return;
	section_start(f, "Guests", "VMs and containers of this node, and guest ids that "
		      "dm devices point at");
	fputs(TABLE "<tr><th style=\"" TH "\">VMID</th><th style=\"" TH "\">Name</th>"
	      "<th style=\"" TH "\">Status</th><th style=\"" TH "\">DM health</th></tr>\n", f);
	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest_finding *g = &r->guests[i];
		enum severity s = !strcmp(g->health, "duplicate") ? SEV_CRITICAL :
				  !strcmp(g->health, "tombstone") ? SEV_WARNING : SEV_OK;
		const char *td = g->n_issues ? "padding:6px 8px 2px;vertical-align:top" : TD;

		fprintf(f, "<tr><td style=\"%s;font-weight:bold\">%d</td><td style=\"%s\">", td,
			g->vmid, td);
		if (g->node) {
			html_escape(f, g->name ? g->name : "");
			fprintf(f, " <span style=\"color:#6b7280;font-size:11px\">%s</span>",
				g->type == GUEST_LXC ? "CT" : "VM");
		} else {
			fputs("<i style=\"color:#991b1b\">no such guest</i>", f);
		}
		fprintf(f, "</td><td style=\"%s;white-space:nowrap\">", td);
		if (!g->node) {
			fputs("&ndash;", f);
		} else if (!g->local) {
			fputs("<span style=\"color:#6b7280\">on ", f);
			html_escape(f, g->node);
			fputs("</span>", f);
		} else if (g->running) {
			fprintf(f, "<span style=\"color:%s\">&#9679;</span> running", tone_ok.bar);
		} else {
			fputs("<span style=\"color:#9ca3af\">&#9675;</span> stopped", f);
		}
		fprintf(f, "</td><td style=\"%s\">", td);
		pill(f, sev_tone(s), g->health);
		fputs("</td></tr>\n", f);
		if (!g->n_issues)
			continue;
		fputs("<tr><td style=\"" TD "\"></td><td colspan=\"3\" style=\"" TD ";padding-top:0;"
		      "font-size:12px;color:#374151\">", f);
		for (size_t k = 0; k < g->n_issues; k++) {
			fputs("<div style=\"overflow-wrap:anywhere;word-break:break-word\">", f);
			html_escape(f, g->issues[k]);
			fputs("</div>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	section_end(f);
}

static void spaces(FILE *f, const struct report *r, const struct html_opts *o)
{
	char note[96];

	if (!r->n_spaces)
		return;
	snprintf(note, sizeof(note), "warning at %g%%, critical at %g%%",
		 thr(o->warn_percent, 80), thr(o->crit_percent, 95));
	section_start(f, "Snapshots and thin pools", note);
	fputs(TABLE "<tr><th style=\"" TH "\">LV</th><th style=\"" TH "\">State</th>"
	      "<th style=\"" TH ";width:30%\">Used</th><th style=\"" TH ";width:30%\">Metadata</th>"
	      "</tr>\n", f);
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *s = &r->spaces[i];

		fputs("<tr><td style=\"" TD "\">", f);
		mono(f, s->lv, true);
		fputs("<div style=\"font-size:11px;color:#6b7280\">", f);
		html_escape(f, s->kind);
		if (s->origin) {
			fputs(" of ", f);
			html_escape(f, s->origin);
		}
		fputs("</div></td><td style=\"" TD "\">", f);
		pill(f, sev_tone(s->severity), s->state ? s->state : "unknown");
		if (s->needs_check) {
			fputs(" ", f);
			pill(f, &tone_crit, "needs_check");
		}
		fputs("</td><td style=\"" TD ";vertical-align:middle\">", f);
		gauge(f, s->used_percent, o);
		fputs("</td><td style=\"" TD ";vertical-align:middle\">", f);
		gauge(f, s->metadata_percent, o);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	section_end(f);
}

static void devices(FILE *f, const struct report *r)
{
	if (!r->n_devs)
		return;
	section_start(f, "All dm devices", NULL);
	fputs(TABLE "<tr><th style=\"" TH "\">Name</th><th style=\"" TH "\">Dev</th>"
	      "<th style=\"" TH "\">Class</th><th style=\"" TH "\">Guest</th>"
	      "<th style=\"" TH "\">Open</th></tr>\n", f);
	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *d = &r->devs[i];

		fputs("<tr><td style=\"" TD "\">", f);
		mono(f, d->dev->name, false);
		fputs("</td><td style=\"" TD ";white-space:nowrap;color:#4b5563\">", f);
		dev_label(f, d);
		fputs("</td><td style=\"" TD "\">", f);
		if (d->severity) {
			char label[64];

			snprintf(label, sizeof(label), "%s%s%s", class_str(d->cls),
				 d->reason ? " / " : "", d->reason ? d->reason : "");
			pill(f, sev_tone(d->severity), label);
		} else {
			html_escape(f, class_str(d->cls));
		}
		fputs("</td><td style=\"" TD "\">", f);
		if (d->vmid >= 0)
			fprintf(f, "%d", d->vmid);
		fprintf(f, "</td><td style=\"" TD "\">%d</td></tr>\n", d->dev->open_count);
	}
	fputs("</table>\n", f);
	section_end(f);
}

static void fact(FILE *f, const char *key, const char *val)
{
	fputs("<tr><td style=\"" TD ";color:#6b7280;width:30%\">", f);
	html_escape(f, key);
	fputs("</td><td style=\"" TD "\">", f);
	html_escape(f, val);
	fputs("</td></tr>\n", f);
}

static void facts(FILE *f, const struct report *r, const struct html_opts *o)
{
	const struct state *st = r->st;
	const struct host_facts *h = o->facts;
	char buf[160];

	section_start(f, "Host", h ? NULL : "from a saved state: facts of the machine that "
		      "rendered this report are not shown");
	fputs(TABLE, f);
	fact(f, "Host name", st->host ? st->host : "?");
	fact(f, "Proxmox node", st->node ? st->node : "?");
	fmt_time(buf, sizeof(buf), st->collected_at);
	fact(f, "Scanned", buf);
	if (o->source)
		fact(f, "Source", o->source);
	if (h) {
		if (*h->os)
			fact(f, "OS", h->os);
		if (*h->pve)
			fact(f, "Proxmox VE", h->pve);
		if (*h->kernel)
			fact(f, "Kernel", h->kernel);
		if (h->uptime_s >= 0) {
			long up = (long)h->uptime_s;

			snprintf(buf, sizeof(buf), "%ld days %02ld:%02ld", up / 86400,
				 up / 3600 % 24, up / 60 % 60);
			fact(f, "Uptime", buf);
		}
		if (h->load[0] >= 0) {
			snprintf(buf, sizeof(buf), "%.2f %.2f %.2f", h->load[0], h->load[1],
				 h->load[2]);
			if (h->cpus)
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
					 " (%d CPUs)", h->cpus);
			fact(f, "Load", buf);
		}
		if (h->mem_total) {
			snprintf(buf, sizeof(buf), "%.1f GiB available of %.1f GiB",
				 h->mem_avail / 1073741824.0, h->mem_total / 1073741824.0);
			fact(f, "Memory", buf);
		}
	}
	fact(f, "LVM report", st->have_lvm ? "read" : "unavailable");
	fact(f, "Proxmox config", st->have_pve ? "read" : "not found");
	snprintf(buf, sizeof(buf), "dmwatch %s", DMWATCH_VERSION);
	fact(f, "Report by", buf);
	fputs("</table>\n", f);
	section_end(f);
}

void output_html(FILE *f, const struct report *r, const struct html_opts *o)
{
	static const struct html_opts none;
	const struct state *st = r->st;

	if (!o)
		o = &none;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>dmwatch ", f);
	html_escape(f, st->host ? st->host : "?");
	fputs(": grade ", f);
	html_escape(f, r->grade);
	fprintf(f, "</title>\n</head>\n<body style=\"margin:0;padding:0;background:#eef0f3;"
		"font-family:%s;color:#111827\">\n"
		"<table role=\"presentation\" width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\" "
		"style=\"background:#eef0f3\"><tr><td align=\"center\" style=\"padding:16px 8px\">\n"
		"<table role=\"presentation\" width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\" "
		"style=\"max-width:980px;background:#ffffff;border:1px solid #dfe3e8;"
		"border-radius:6px;text-align:left\">\n", FONT);
	header(f, r);
	summary(f, r);
	findings(f, r);
	guests(f, r);
	spaces(f, r, o);
	devices(f, r);
	facts(f, r, o);
	fprintf(f, "<tr><td style=\"padding:16px 24px 20px;font-size:11px;color:#6b7280\">"
		"Exit code %d (0 ok, 1 warning, 2 critical). Grades: A+ nothing wrong; B up to 5 "
		"warnings, C up to 20, D up to 50; F more, or anything critical. "
		"Run <code style=\"font-family:" MONO "\">dmwatch scan</code> on the node for "
		"the terminal view, <code style=\"font-family:" MONO "\">dmwatch clean</code> "
		"to clean up safely.</td></tr>\n"
		"</table>\n</td></tr></table>\n</body>\n</html>\n", r->exit_code);
}

/* ---- mail ---- */

bool mail_address_ok(const char *addr)
{
	if (str_empty(addr))
		return false;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

const char *mail_sendmail_path(const char *override)
{
	const char *e = getenv("SENDMAIL");

	if (!str_empty(override))
		return override;
	return !str_empty(e) ? e : "/usr/sbin/sendmail";
}

char *mail_subject(const struct report *r)
{
	const char *host = r->st->host ? r->st->host : "?";
	char *s;

	if (!r->criticals && !r->warnings)
		s = xasprintf("[dmwatch] %s: grade %s, no problems", host, r->grade);
	else
		s = xasprintf("[dmwatch] %s: grade %s, %zu critical, %zu warning%s", host, r->grade,
			      r->criticals, r->warnings, r->warnings == 1 ? "" : "s");
	/* one line whoever prints it: a host name from a saved state may hold "\r\nBcc:" */
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(FILE *f, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned int v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) |
				 (i + 2 < n ? s[i + 2] : 0);

		fputc(b64[v >> 18 & 63], f);
		fputc(b64[v >> 12 & 63], f);
		fputc(i + 1 < n ? b64[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? b64[v & 63] : '=', f);
	}
}

/*
 * A header value: as is when it is printable ASCII, else RFC 2047 encoded words.
 * Control bytes (a host name from a hostile saved state with "\nBcc: ...") and
 * invalid UTF-8 become '?', so nothing can start a header of its own.
 */
static void header_value(FILE *f, const char *name, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	bool plain = strlen(v) < 900;
	char *clean;
	size_t n = 0, start;

	for (; *p && plain; p++)
		plain = *p >= 0x20 && *p <= 0x7e;
	if (plain) {
		fprintf(f, "%s: %s\n", name, v);
		return;
	}
	clean = xmalloc(strlen(v) + 1);
	for (p = (const unsigned char *)v; *p;) {
		int l = *p < 0x20 || *p == 0x7f ? 0 : (int)utf8_seq_len(p, 4);

		if (!l) {
			clean[n++] = '?';
			p++;
			continue;
		}
		memcpy(clean + n, p, l);
		n += l;
		p += l;
	}
	clean[n] = 0;
	fprintf(f, "%s:", name);
	/* encoded words of at most 45 bytes (60 base64 chars), split between characters */
	for (start = 0; start < n;) {
		size_t end = start;

		while (end < n) {
			int l = (int)utf8_seq_len((const unsigned char *)clean + end, 4);

			if (end + l - start > 45)
				break;
			end += l;
		}
		fputs(start ? "\n " : " ", f);
		fputs("=?UTF-8?B?", f);
		base64(f, (const unsigned char *)clean + start, end - start);
		fputs("?=", f);
		start = end;
	}
	fputc('\n', f);
	free(clean);
}

void qp_encode(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		bool eol = i + 1 == len || s[i + 1] == '\n';
		bool lit;
		int need;

		if (c == '\n') {
			fputc('\n', f);
			col = 0;
			continue;
		}
		/* literal: printable ASCII but '='; space and tab unless at the end of a line;
		 * not a leading '.' (SMTP) or 'F' of "From " (mbox), which some MTAs mangle */
		lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
		if (col == 0 && (c == '.' || (c == 'F' && !strncmp(s + i, "From ", 5))))
			lit = false;
		need = lit ? 1 : 3;
		/* a soft break "=" must fit in 76 columns; the last char of a line may use 76 */
		if (col + need > (eol ? 76 : 75)) {
			fputs("=\n", f);
			col = 0;
		}
		if (lit) {
			fputc(c, f);
		} else {
			fputc('=', f);
			fputc(hex[c >> 4], f);
			fputc(hex[c & 15], f);
		}
		col += need;
	}
}

static void qp_part(FILE *f, const char *boundary, const char *type, const char *body,
		    size_t len)
{
	fprintf(f, "--%s\nContent-Type: %s; charset=utf-8\n"
		"Content-Transfer-Encoding: quoted-printable\n\n", boundary, type);
	qp_encode(f, body, len);
	if (!len || body[len - 1] != '\n')
		fputc('\n', f);
}

static char *host_for_id(const char *host)
{
	char *h = xstrdup(str_empty(host) ? "localhost" : host);

	for (char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			*p = '_';
	return h;
}

void mail_compose(FILE *f, const struct report *r, const char *host, const char *failure,
		  const struct mail_opts *o)
{
	char boundary[64], date[64], *subject, *text = NULL, *html = NULL, *hid;
	size_t text_len = 0, html_len = 0;
	uint64_t rnd = 0;
	time_t now = o->date ? o->date : time(NULL);
	struct tm tm;
	FILE *m;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint64_t)now * 2654435761u ^ (uint64_t)getpid();
	/* "=_" never occurs in quoted-printable text, so the boundary cannot either */
	if (o->boundary)
		snprintf(boundary, sizeof(boundary), "%s", o->boundary);
	else
		snprintf(boundary, sizeof(boundary), "=_dmwatch_%016llx", (unsigned long long)rnd);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (!host)
		host = r && r->st->host ? r->st->host : "?";
	hid = host_for_id(host);

	header_value(f, "To", o->to);
	if (o->from)
		header_value(f, "From", o->from);
	subject = r ? mail_subject(r) : xasprintf("[dmwatch] %s: scan failed", host);
	header_value(f, "Subject", subject);
	free(subject);
	fprintf(f, "Date: %s\n", date);
	fprintf(f, "Message-ID: <dmwatch.%lld.%d.%llx@%s>\n", (long long)now, (int)getpid(),
		(unsigned long long)rnd, hid);
	fputs("MIME-Version: 1.0\nAuto-Submitted: auto-generated\n", f);
	if (!r) {
		char *body = xasprintf("dmwatch could not scan %s:\n\n%s\n\nExit code 3 (could not "
				       "run). Run `dmwatch scan` on the node for details.\n",
				       host, failure ? failure : "unknown error");

		fputs("Content-Type: text/plain; charset=utf-8\n"
		      "Content-Transfer-Encoding: quoted-printable\n\n", f);
		qp_encode(f, body, strlen(body));
		free(body);
		free(hid);
		return;
	}
	fprintf(f, "X-dmwatch-Grade: %s\nX-dmwatch-Exit: %d\n", r->grade, r->exit_code);
	fprintf(f, "Content-Type: multipart/alternative; boundary=\"%s\"\n\n"
		"This is a MIME message: the dmwatch report as text and as HTML.\n\n", boundary);

	m = open_memstream(&text, &text_len);
	if (m) {
		output_table(m, r);
		fclose(m);
	}
	m = open_memstream(&html, &html_len);
	if (m) {
		output_html(m, r, o->html);
		fclose(m);
	}
	/* the last alternative is the preferred one */
	qp_part(f, boundary, "text/plain", text ? text : "", text ? text_len : 0);
	qp_part(f, boundary, "text/html", html ? html : "", html ? html_len : 0);
	fprintf(f, "--%s--\n", boundary);
	free(text);
	free(html);
	free(hid);
}

int mail_send(const char *sendmail, const char *msg, size_t len, char **err)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int in[2] = { -1, -1 }, ep[2] = { -1, -1 }, status, child_errno = 0;
	size_t off = 0;
	ssize_t n;
	pid_t pid;

	*err = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		*err = xasprintf("pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		*err = xasprintf("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		int e;

		/* sendmail's own chatter goes to our stderr, not into the report on stdout */
		if (dup2(in[0], 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		execl(sendmail, "sendmail", "-t", "-oi", (char *)NULL);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(in[0]);
	close(ep[1]);
	in[0] = ep[1] = -1;
	/* a sendmail that exits early must not kill us with SIGPIPE */
	sigaction(SIGPIPE, &ign, &old);
	while (off < len) {
		n = write(in[1], msg + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	close(in[1]);
	in[1] = -1;
	sigaction(SIGPIPE, &old, NULL);
	n = read(ep[0], &child_errno, sizeof(child_errno));
	close(ep[0]);
	ep[0] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == sizeof(child_errno)) {
		*err = xasprintf("cannot run %s: %s", sendmail, strerror(child_errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		*err = WIFEXITED(status) ?
			xasprintf("%s exited with status %d", sendmail, WEXITSTATUS(status)) :
			xasprintf("%s killed by signal %d", sendmail, WTERMSIG(status));
		return -1;
	}
	if (off < len) {
		*err = xasprintf("%s did not read the whole message", sendmail);
		return -1;
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return -1;
}
