// SPDX-License-Identifier: GPL-2.0
/*
 * scan --html: a self-contained HTML report (also the text/html part of the
 * mail, mail.c).
 *
 * The page has to survive mail clients, which drop <style> blocks, scripts and
 * remote resources and lay out tables better than anything else: so every style
 * is inline, layout and gauges are tables, and nothing is loaded from anywhere.
 * Every name that reaches the page (dm names, guest names, hosts, messages) comes
 * from the node or from a saved state someone sent us and is escaped.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "render/html.h"
#include "render/output.h"
#include "lib/clock.h"
#include "lib/escape.h"
#include "lib/util.h"

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
#define MONO "Menlo,Consolas,monospace"
#define TH "text-align:left;padding:6px 8px;background:#f9fafb;border-bottom:1px solid #e5e7eb;" \
	   "color:#6b7280;font-size:11px;font-weight:bold;text-transform:uppercase;" \
	   "letter-spacing:0.04em"
/* one of these per table cell: short, so a 1,000-device mail stays small */
#define TD "padding:6px 8px;border-bottom:1px solid #eee"
#define PILL "display:inline-block;padding:1px 8px;border-radius:9px;font-size:11px;" \
	     "font-weight:bold;text-transform:uppercase"
#define TABLE "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" " \
	      "style=\"border-collapse:collapse;font-size:13px\">"

static void pill(FILE *f, const struct tone *t, const char *text)
{
	fprintf(f, "<span style=\"" PILL ";background:%s;color:%s\">", t->bg, t->fg);
	html_escape(f, text);
	fputs("</span>", f);
}

static void mono(FILE *f, const char *s, bool bold)
{
	fputs(bold ? "<span style=\"font-family:" MONO ";word-break:break-all;font-weight:bold\">" :
	      "<span style=\"font-family:" MONO ";word-break:break-all\">", f);
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

/* when the state was collected, in the reader's terms: local time with its zone */
static char *fmt_time(char *buf, size_t len, int64_t t)
{
	if (t <= 0) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	return format_time(buf, len, (time_t)t, "%Y-%m-%d %H:%M:%S %Z", false);
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
	t = pct >= thr(o->crit_percent, FILL_CRIT_PERCENT_DEFAULT) ? &tone_crit :
	    pct >= thr(o->warn_percent, FILL_WARN_PERCENT_DEFAULT) ? &tone_warn : &tone_ok;
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

	/* the bar's colour says the severity; the group's heading row names it */
	fprintf(f, "<tr><td style=\"padding:8px 12px;border-left:4px solid %s;background:#fcfcfd;"
		"border-bottom:1px solid #eef0f2\">", t->bar);
}

/* "CRITICAL 9" above the first finding of a severity */
static void severity_heading(FILE *f, enum severity sev, size_t n)
{
	if (!n)
		return;
	fputs("<tr><td style=\"padding:10px 0 4px\">", f);
	pill(f, sev_tone(sev), sev == SEV_CRITICAL ? "critical" : "warnings");
	fprintf(f, " <b>%zu</b></td></tr>\n", n);
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
		      "<code style=\"font-family:" MONO ";background:#f3f4f6;padding:1px 4px;"
		      "word-break:break-word\">", f);
		html_escape_command(f, fix);
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
		severity_heading(f, sev, sev == SEV_CRITICAL ? r->criticals : r->warnings);
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
static bool guest_has_news(const struct guest_finding *g)
{
	return g->n_issues || strcmp(g->health, "clean") || !g->node;
}

/* "N clean guests not shown" and the like, under a section that hides them */
static void hidden_note(FILE *f, size_t n, const char *what)
{
	if (n)
		fprintf(f, "<tr><td colspan=\"5\" style=\"" TD ";font-size:12px;color:#6b7280\">"
			"%zu %s not shown (<code style=\"font-family:" MONO "\">--all</code> "
			"lists them)</td></tr>\n", n, what);
}

static void guests(FILE *f, const struct report *r, const struct html_opts *o)
{
	size_t quiet = 0;

	for (size_t i = 0; i < r->n_guests; i++)
		quiet += !guest_has_news(&r->guests[i]);
	if (!r->n_guests || (!o->all && quiet == r->n_guests))
		return;
	section_start(f, "Guests", o->all ? "VMs and containers of this node, and guest ids "
		      "that dm devices point at" : "the guests with something to say");
	fputs(TABLE "<tr><th style=\"" TH "\">VMID</th><th style=\"" TH "\">Name</th>"
	      "<th style=\"" TH "\">Status</th><th style=\"" TH "\">DM health</th></tr>\n", f);
	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest_finding *g = &r->guests[i];
		enum severity s = !strcmp(g->health, "duplicate") ? SEV_CRITICAL :
				  !strcmp(g->health, "tombstone") ? SEV_WARNING : SEV_OK;
		/* without --all the issues are in the findings above: the count is enough */
		bool issue_rows = o->all && g->n_issues;
		const char *td = issue_rows ? "padding:6px 8px 2px;vertical-align:top" : TD;

		if (!o->all && !guest_has_news(g))
			continue;
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
		fprintf(f, "<b style=\"color:%s\">", sev_tone(s)->fg);
		html_escape(f, g->health);
		fputs("</b>", f);
		if (g->n_issues && !issue_rows)
			fprintf(f, " %zu", g->n_issues);
		fputs("</td></tr>\n", f);
		if (!issue_rows)
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
	if (!o->all)
		hidden_note(f, quiet, "clean guests");
	fputs("</table>\n", f);
	section_end(f);
}

/* " · 100.0 MiB, 15.0 MiB free" (in the LV cell: a column more would not fit a phone) */
static void space_size_text(FILE *f, const struct report *r, const struct space_finding *s)
{
	uint64_t avail, total = space_size(r, s, &avail);
	char buf[24];

	if (!total)
		return;
	fprintf(f, " &middot; %s", human_size(buf, sizeof(buf), total));
	if (avail != UINT64_MAX)
		fprintf(f, ", %s free", human_size(buf, sizeof(buf), avail));
}

static bool space_has_news(const struct space_finding *s)
{
	return s->severity != SEV_OK || !strcmp(s->kind, "thin-pool");
}

static void spaces(FILE *f, const struct report *r, const struct html_opts *o)
{
	char note[96];
	size_t quiet = 0;

	for (size_t i = 0; i < r->n_spaces; i++)
		quiet += !o->all && !space_has_news(&r->spaces[i]);
	if (r->n_spaces == quiet)
		return;
	snprintf(note, sizeof(note), "warning at %g%%, critical at %g%%",
		 thr(o->warn_percent, FILL_WARN_PERCENT_DEFAULT), thr(o->crit_percent, FILL_CRIT_PERCENT_DEFAULT));
	section_start(f, "Snapshots and thin pools", note);
	fputs(TABLE "<tr><th style=\"" TH "\">LV</th><th style=\"" TH "\">State</th>"
	      "<th style=\"" TH ";width:40%\">Used</th></tr>\n", f);
	for (size_t i = 0; i < r->n_spaces; i++) {
		const struct space_finding *s = &r->spaces[i];

		if (!o->all && !space_has_news(s))
			continue;
		fputs("<tr><td style=\"" TD "\">", f);
		mono(f, s->lv, true);
		fputs("<div style=\"font-size:11px;color:#6b7280\">", f);
		html_escape(f, s->kind);
		if (s->origin) {
			fputs(" of ", f);
			html_escape(f, s->origin);
		}
		space_size_text(f, r, s);
		fputs("</div></td><td style=\"" TD "\">", f);
		pill(f, sev_tone(s->severity), s->state ? s->state : "unknown");
		if (s->needs_check) {
			fputs(" ", f);
			pill(f, &tone_crit, "needs_check");
		}
		fputs("</td><td style=\"" TD ";vertical-align:middle\">", f);
		gauge(f, s->used_percent, o);
		if (!isnan(s->metadata_percent)) {
			fputs("<div style=\"font-size:11px;color:#6b7280;margin-top:4px\">metadata"
			      "</div>", f);
			gauge(f, s->metadata_percent, o);
		}
		fputs("</td></tr>\n", f);
	}
	hidden_note(f, quiet, "snapshots and multipath devices without findings");
	fputs("</table>\n", f);
	section_end(f);
}

/* without --all: how many devices had nothing to say, by class, in one line */
static void devices_count(FILE *f, const struct report *r)
{
	size_t quiet[CLASS_UNMANAGED + 1] = {}, n = 0;

	for (size_t i = 0; i < r->n_devs; i++)
		if (r->devs[i].severity == SEV_OK && ++n)
			quiet[r->devs[i].cls]++;
	if (!n)
		return;
	section_start(f, "Devices without findings", NULL);
	fprintf(f, "<p style=\"margin:0;font-size:13px;color:#374151\">%zu dm devices", n);
	for (int c = 0; c <= CLASS_UNMANAGED; c++)
		if (quiet[c])
			fprintf(f, "%s %zu %s", c ? "," : ":", quiet[c], class_str(c));
	fputs(" (<code style=\"font-family:" MONO "\">--all</code> lists them)</p>\n", f);
	section_end(f);
}

static void devices(FILE *f, const struct report *r, const struct html_opts *o)
{
	if (!r->n_devs)
		return;
	if (!o->all) {
		devices_count(f, r);
		return;
	}
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
	guests(f, r, o);
	spaces(f, r, o);
	devices(f, r, o);
	facts(f, r, o);
	fprintf(f, "<tr><td style=\"padding:16px 24px 20px;font-size:11px;color:#6b7280\">"
		"Exit code %d (0 ok, 1 warning, 2 critical). Grades: A+ nothing wrong; B up to 5 "
		"warnings, C up to 20, D up to 50; F more, or anything critical. "
		"Run <code style=\"font-family:" MONO "\">dmwatch scan</code> on the node for "
		"the terminal view, <code style=\"font-family:" MONO "\">dmwatch clean</code> "
		"to clean up safely.</td></tr>\n"
		"</table>\n</td></tr></table>\n</body>\n</html>\n", r->exit_code);
}
