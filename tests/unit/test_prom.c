// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text format (checked by the format's rules here, and by promtool
 * check metrics where it is installed), metric families named for what they
 * are, label escaping of hostile names and series deduplicated after it, the
 * Nagios line with its perfdata for every status, atomic file replacement, and `dmwatch serve` on
 * loopback: 200/404/405/400, HEAD, concurrent clients next to a stalled one,
 * SIGTERM ends it with 0, a bad --listen is exit 3 with one line.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "cmd/commands.h"
#include "render/html.h"
#include "render/prom.h"
#include "serve/listen.h"
#include "serve_client.h"
#include "model/state.h"
#include "test.h"
#include "lib/escape.h"
#include "lib/util.h"

/* noinline: gcc 12 takes the memstream buffer for a dangling local */
__attribute__((noinline)) static char *render_prom(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	output_prom(f, r, 0.25);
	fclose(f);
	return buf;
}

__attribute__((noinline)) static char *label_escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	prom_label_escape(f, s);
	fclose(f);
	return buf;
}

/* ---- a checker for the text exposition format 0.0.4 ---- */

#define MAX_LABELS 8

struct prom_sample {
	char *name;
	char *keys[MAX_LABELS], *vals[MAX_LABELS];	/* values unescaped */
	int n_labels;
	double value;
};

struct prom_doc {
	struct prom_sample *s;
	size_t n;
};

static void doc_free(struct prom_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->s[i].name);
		for (int k = 0; k < d->s[i].n_labels; k++) {
			free(d->s[i].keys[k]);
			free(d->s[i].vals[k]);
		}
	}
	free(d->s);
	d->s = NULL;
	d->n = 0;
}

static bool name_ok(const char *s, size_t n, bool metric)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || (metric && s[i] == ':')))
			return false;
	return true;
}

static bool value_ok(const char *s, double *v)
{
	char *end;

	if (!strcmp(s, "NaN") || !strcmp(s, "+Inf") || !strcmp(s, "-Inf")) {
		*v = !strcmp(s, "NaN") ? NAN : s[0] == '+' ? INFINITY : -INFINITY;
		return true;
	}
	errno = 0;
	*v = strtod(s, &end);
	return *s && !*end && !errno && !strchr(s, 'x') && !strchr(s, 'X');
}

/*
 * Parse text by the format's rules: HELP and TYPE once per family, TYPE before
 * its samples, a family's samples together, valid names, label values with only
 * \\ \" \n escapes and valid UTF-8, no repeated label name, no two samples with
 * the same name and labels, a float value. Returns NULL or what is wrong.
 */
/* the first problem found is the one reported */
#define ERR(...) do { if (!err) err = xasprintf(__VA_ARGS__); } while (0)

static char *prom_parse(const char *text, struct prom_doc *doc)
{
	char fam[64][128] = {}, typed[64][128] = {}, helped[64][128] = {}, *line, *copy, *save = NULL;
	char **series = NULL, *err = NULL, cur[128] = "";
	size_t n_fam = 0, n_typed = 0, n_helped = 0, n_series = 0, lineno = 0;

	memset(doc, 0, sizeof(*doc));
	if (!*text || text[strlen(text) - 1] != '\n')
		return xasprintf("does not end with a newline");
	if (strchr(text, '\r'))
		return xasprintf("has a carriage return");
	copy = xstrdup(text);
	for (line = strtok_r(copy, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
			bool help = line[2] == 'H';
			char *name = line + 7;
			size_t nl = strcspn(name, " ");
			char *rest = name[nl] ? name + nl + 1 : NULL;

			if (!name_ok(name, nl, true) || !rest || nl >= 128) {
				ERR("line %zu: bad %s line", lineno, help ? "HELP" : "TYPE");
				break;
			}
			name[nl] = 0;
			for (size_t i = 0; i < (help ? n_helped : n_typed); i++)
				if (!strcmp((help ? helped : typed)[i], name))
					ERR("line %zu: second %s for %s", lineno,
							help ? "HELP" : "TYPE", name);
			if (help) {
				for (const char *p = rest; *p && !err; p++)
					if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
						ERR("line %zu: bad escape in HELP", lineno);
				snprintf(helped[n_helped++], 128, "%s", name);
			} else {
				if (strcmp(rest, "counter") && strcmp(rest, "gauge") &&
				    strcmp(rest, "histogram") && strcmp(rest, "summary") &&
				    strcmp(rest, "untyped"))
					ERR("line %zu: bad type %s", lineno, rest);
				for (size_t i = 0; i < n_fam; i++)
					if (!strcmp(fam[i], name))
						ERR("line %zu: TYPE after samples of %s",
								lineno, name);
				snprintf(typed[n_typed++], 128, "%s", name);
			}
			if (n_helped >= 64 || n_typed >= 64)
				ERR("too many families for this checker");
			continue;
		}
		if (line[0] == '#')
			continue;
		{
			struct prom_sample *s = array_push(&doc->s, &doc->n, sizeof(*s));
			size_t nl = strcspn(line, "{ ");
			char *p = line + nl, *key = NULL, *canon;
			bool is_typed = false;
			size_t clen = 0;
			FILE *cf;

			if (!name_ok(line, nl, true) || nl >= 128) {
				ERR("line %zu: bad metric name", lineno);
				break;
			}
			s->name = xstrndup(line, nl);
			for (size_t i = 0; i < n_typed; i++)
				is_typed |= !strcmp(typed[i], s->name);
			if (!is_typed) {
				ERR("line %zu: %s has no TYPE before it", lineno, s->name);
				break;
			}
			/* a family's samples are contiguous */
			if (strcmp(cur, s->name)) {
				for (size_t i = 0; i < n_fam; i++)
					if (!strcmp(fam[i], s->name))
						ERR("line %zu: %s appears again after "
								"another family", lineno, s->name);
				snprintf(fam[n_fam++], 128, "%s", s->name);
				snprintf(cur, sizeof(cur), "%s", s->name);
				if (n_fam >= 64)
					ERR("too many families for this checker");
			}
			if (*p == '{') {
				p++;
				while (*p != '}' && !err) {
					size_t kl = strcspn(p, "=");
					char *v = NULL;
					size_t vl = 0;
					FILE *vf;

					if (!name_ok(p, kl, false) || !strncmp(p, "__", 2) || p[kl] != '=' ||
					    p[kl + 1] != '"' || s->n_labels >= MAX_LABELS) {
						ERR("line %zu: bad label", lineno);
						break;
					}
					key = xstrndup(p, kl);
					for (int k = 0; k < s->n_labels; k++)
						if (!strcmp(s->keys[k], key))
							ERR("line %zu: label %s twice", lineno, key);
					p += kl + 2;
					vf = open_memstream(&v, &vl);
					while (*p && *p != '"') {
						int ul;

						if (*p == '\\') {
							if (p[1] == '\\' || p[1] == '"')
								fputc(p[1], vf);
							else if (p[1] == 'n')
								fputc('\n', vf);
							else
								ERR("line %zu: bad escape \\%c",
										lineno, p[1]);
							p += 2;
							continue;
						}
						ul = utf8_seq_len((const unsigned char *)p, 4);
						if (!ul) {
							ERR("line %zu: invalid UTF-8", lineno);
							break;
						}
						fwrite(p, 1, ul, vf);
						p += ul;
					}
					fclose(vf);
					/* Prometheus reads an empty label as none: two series could
					 * then differ in nothing */
					if (!vl && !err)
						ERR("line %zu: empty label %s", lineno, key);
					s->keys[s->n_labels] = key;
					s->vals[s->n_labels++] = v;
					key = NULL;
					if (*p != '"') {
						ERR("line %zu: unterminated value", lineno);
						break;
					}
					p++;
					if (*p == ',')
						p++;
					else if (*p != '}')
						ERR("line %zu: expected , or }", lineno);
				}
				if (err)
					break;
				p++;
			}
			if (*p != ' ') {
				ERR("line %zu: no value", lineno);
				break;
			}
			p++;
			if (strchr(p, ' '))
				*strchr(p, ' ') = 0;	/* an optional timestamp */
			if (!value_ok(p, &s->value)) {
				ERR("line %zu: bad value '%s'", lineno, p);
				break;
			}
			/* series identity: name and labels in sorted order */
			cf = open_memstream(&canon, &clen);
			fputs(s->name, cf);
			for (int pass = 0; pass < s->n_labels; pass++) {
				int best = -1;

				for (int k = 0; k < s->n_labels; k++) {
					int seen = 0;

					for (int j = 0; j < s->n_labels; j++)
						seen += strcmp(s->keys[j], s->keys[k]) < 0;
					if (seen == pass)
						best = k;
				}
				if (best >= 0)
					fprintf(cf, "\x1f%s=%s", s->keys[best], s->vals[best]);
			}
			fclose(cf);
			for (size_t i = 0; i < n_series && !err; i++)
				if (!strcmp(series[i], canon))
					ERR("line %zu: duplicate series", lineno);
			*(char **)array_push(&series, &n_series, sizeof(char *)) = canon;
		}
	}
	for (size_t i = 0; i < n_series; i++)
		free(series[i]);
	free(series);
	free(copy);
	return err;
}
#undef ERR

/* The sample of `name` whose labels include key=val (key NULL: the first sample). */
static const struct prom_sample *find(const struct prom_doc *d, const char *name,
				      const char *key, const char *val)
{
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->s[i].name, name))
			continue;
		if (!key)
			return &d->s[i];
		for (int k = 0; k < d->s[i].n_labels; k++)
			if (!strcmp(d->s[i].keys[k], key) && !strcmp(d->s[i].vals[k], val))
				return &d->s[i];
	}
	return NULL;
}

static const char *label_of(const struct prom_sample *s, const char *key)
{
	for (int k = 0; s && k < s->n_labels; k++)
		if (!strcmp(s->keys[k], key))
			return s->vals[k];
	return NULL;
}

#define CHECK_SAMPLE(doc, name, key, val, expect) do {				\
	const struct prom_sample *s__ = find(doc, name, key, val);		\
	if (!s__)								\
		FAIL_AT("no sample %s{%s=\"%s\"}", name, key ? key : "", val ? val : ""); \
	else if (fabs(s__->value - (expect)) > 1e-9)				\
		FAIL_AT("%s{%s=\"%s\"} = %g, expected %g", name, key ? key : "", \
			val ? val : "", s__->value, (double)(expect));		\
} while (0)

/* promtool check metrics on text: its exit status, or -1 when there is no promtool
 * (make deps installs it; the checker above still runs everywhere) */
static int promtool_check(const char *text)
{
	char path[] = "/tmp/dmwatch-test-prom.XXXXXX", *cmd;
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	cmd = xasprintf("command -v promtool > /dev/null || exit 127; "
			"promtool check metrics < %s", path);
	rc = system(cmd);
	free(cmd);
	unlink(path);
	rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
	if (rc == 127) {
		fprintf(stderr, "  (no promtool: exposition checked by this file's checker only)\n");
		return -1;
	}
	return rc;
}

TEST(prom_checker_rejects_bad_text)
{
	static const char *const bad[] = {
		"x 1",						/* no newline */
		"x 1\n",					/* no TYPE */
		"# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",
		"# TYPE x gauge\nx{a=\"\\t\"} 1\n",
		"# TYPE x gauge\nx{a=\"\xff\"} 1\n",
		"# TYPE x gauge\nx 1\nx 2\n",
		"# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 1\n",
		"# TYPE x gauge\nx one\n",
		"# TYPE x gauge\n1x 1\n",
		"# TYPE x gauge\nx{__a=\"b\"} 1\n",
		"# TYPE x gauge\nx 1\n# TYPE x gauge\n",
		"# TYPE x gauge\nx{a=\"\"} 1\n",
	};
	struct prom_doc d;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *err = prom_parse(bad[i], &d);

		if (!err)
			FAIL_AT("accepted bad text #%zu", i);
		free(err);
		doc_free(&d);
	}
}

TEST(prom_label_escaping)
{
	char *s;

	s = label_escaped("a\\b\"c\nd");
	CHECK_STR(s, "a\\\\b\\\"c\\nd");
	free(s);
	s = label_escaped("Gr\xc3\xbc\xc3\x9f" "e {x=\"y\"}");
	CHECK_STR(s, "Gr\xc3\xbc\xc3\x9f" "e {x=\\\"y\\\"}");
	free(s);
	s = label_escaped("bad\xff\xc0\xaf");
	CHECK_STR(s, "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
}

TEST(prom_grade_values)
{
	CHECK_INT(grade_value("A+"), 0);
	CHECK_INT(grade_value("B"), 2);
	CHECK_INT(grade_value("C"), 3);
	CHECK_INT(grade_value("D"), 4);
	CHECK_INT(grade_value("F"), 5);
	CHECK_INT(grade_value("Z"), -1);
	CHECK_INT(grade_value(NULL), -1);
	CHECK_INT(grade_value(grade_for(0, 0)), 0);
	CHECK_INT(grade_value(grade_for(60, 0)), 5);
}

TEST(prom_cluster_metrics)
{
	struct classify_opts o;
	struct prom_doc d;
	struct state st;
	struct report r;
	char *text, *err;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	text = render_prom(&r);
	err = prom_parse(text, &d);
	if (err) {
		FAIL_AT("invalid exposition: %s", err);
		fprintf(stderr, "%s", text);
	}
	CHECK_SAMPLE(&d, "dmwatch_up", NULL, NULL, 1);
	CHECK_SAMPLE(&d, "dmwatch_grade", NULL, NULL, 5);
	CHECK_SAMPLE(&d, "dmwatch_status", NULL, NULL, 2);
	CHECK_SAMPLE(&d, "dmwatch_scan_timestamp_seconds", NULL, NULL, st.collected_at);
	CHECK_SAMPLE(&d, "dmwatch_scan_duration_seconds", NULL, NULL, 0.25);
	CHECK_SAMPLE(&d, "dmwatch_findings", "severity", "warning", 5);
	CHECK_SAMPLE(&d, "dmwatch_findings", "severity", "critical", 3);
	CHECK_SAMPLE(&d, "dmwatch_tombstones", "reason", "stale", 1);
	CHECK_SAMPLE(&d, "dmwatch_tombstones", "reason", "no-guest", 1);
	CHECK_SAMPLE(&d, "dmwatch_threshold_ratio", "severity", "warning", 0.8);
	CHECK_SAMPLE(&d, "dmwatch_threshold_ratio", "severity", "critical", 0.95);
	/* classic snapshots, thin pools and multipath each in their own family */
	CHECK_SAMPLE(&d, "dmwatch_snapshot_cow_used_ratio", "lv", "snap-110-1", 1);
	CHECK_SAMPLE(&d, "dmwatch_snapshot_cow_used_ratio", "lv", "snap-110-0", 920.0 / 1024);
	CHECK_SAMPLE(&d, "dmwatch_snapshot_cow_used_bytes", "lv", "snap-110-0", 920 * 512);
	CHECK_SAMPLE(&d, "dmwatch_snapshot_cow_size_bytes", "lv", "snap-110-0", 1024 * 512);
	CHECK(!find(&d, "dmwatch_snapshot_cow_size_bytes", "lv", "snap-110-1"));
	CHECK_SAMPLE(&d, "dmwatch_snapshot_severity", "lv", "snap-110-1", 2);
	CHECK_STR(label_of(find(&d, "dmwatch_snapshot_info", "lv", "snap-110-1"), "state"),
		  "invalid");
	CHECK_STR(label_of(find(&d, "dmwatch_snapshot_info", "lv", "snap-110-1"), "vg"), "vmdata");
	CHECK(!find(&d, "dmwatch_snapshot_severity", "lv", "data"));
	CHECK_SAMPLE(&d, "dmwatch_thin_pool_data_used_ratio", "lv", "data", 0.85);
	/* 850 of 1000 blocks of 128 sectors; 100 of 1000 metadata blocks of 4 KiB */
	CHECK_SAMPLE(&d, "dmwatch_thin_pool_data_used_bytes", "lv", "data", 850.0 * 128 * 512);
	CHECK_SAMPLE(&d, "dmwatch_thin_pool_data_size_bytes", "lv", "data", 1000.0 * 128 * 512);
	CHECK_SAMPLE(&d, "dmwatch_thin_pool_metadata_used_ratio", "lv", "data", 0.1);
	CHECK_SAMPLE(&d, "dmwatch_thin_pool_metadata_used_bytes", "lv", "data", 100.0 * 4096);
	CHECK_SAMPLE(&d, "dmwatch_thin_pool_metadata_size_bytes", "lv", "data", 1000.0 * 4096);
	CHECK_SAMPLE(&d, "dmwatch_thin_pool_severity", "name", "pve-data-tpool", 1);
	CHECK_STR(label_of(find(&d, "dmwatch_thin_pool_info", "lv", "data"), "mode"), "rw");
	/* the LVs of the shared storage SSD-HA01 that are active here; not ssd-ha07 (not shared) */
	CHECK_SAMPLE(&d, "dmwatch_lv_active", "lv", "vm-119-disk-0", 1);
	CHECK_STR(label_of(find(&d, "dmwatch_lv_active", "lv", "vm-119-disk-0"), "storage"),
		  "SSD-HA01");
	CHECK_STR(label_of(find(&d, "dmwatch_lv_active", "lv", "vm-119-disk-0"), "vg"), "ssd-ha01");
	CHECK_SAMPLE(&d, "dmwatch_lv_active", "lv", "vm-105-disk-0", 1);
	CHECK(!find(&d, "dmwatch_lv_active", "vg", "ssd-ha07"));
	CHECK(!find(&d, "dmwatch_lv_active", "vg", "pve"));
	/* no family of the old names that mixed the three kinds */
	CHECK(!strstr(text, "dmwatch_snapshot_used_ratio"));
	/* format and naming conventions (promtool lints names, units and HELP) */
	CHECK(promtool_check(text) <= 0);
	CHECK_SAMPLE(&d, "dmwatch_device_severity", "name", "pve-vm--101--disk--0-dup", 2);
	CHECK_SAMPLE(&d, "dmwatch_guest_health", "vmid", "101", 2);
	CHECK_SAMPLE(&d, "dmwatch_guest_health", "vmid", "104", 1);
	CHECK_SAMPLE(&d, "dmwatch_guest_health", "vmid", "110", 0);
	CHECK_SAMPLE(&d, "dmwatch_source_available", "source", "lvm", 1);
	/* the example of the issue, to the letter */
	CHECK(strstr(text, "\ndmwatch_devices{class=\"tombstone\",severity=\"warning\"} 3\n"));
	CHECK(strstr(text, "\ndmwatch_devices{class=\"duplicate\",severity=\"critical\"} 1\n"));
	CHECK(strstr(text, "\ndmwatch_devices{class=\"valid\",severity=\"ok\"} 10\n"));
	/* counts of fixed label sets are there when zero */
	CHECK(strstr(text, "\ndmwatch_devices{class=\"duplicate\",severity=\"warning\"} 0\n"));
	/* every ratio is 0..1 */
	for (size_t i = 0; i < d.n; i++)
		if (strstr(d.s[i].name, "_ratio") && !(d.s[i].value >= 0 && d.s[i].value <= 1))
			FAIL_AT("%s = %g is not a ratio", d.s[i].name, d.s[i].value);
	free(err);
	doc_free(&d);
	free(text);
	report_free(&r);
	state_free(&st);
}

TEST(prom_hostile_label_values)
{
	const char *host = "h\\o\"s\nt{a=\"b\"} 1\n# TYPE evil gauge\n\xff";
	const char *guest = "we\"b\\\n<x>";
	struct classify_opts o;
	struct prom_doc d;
	struct state st;
	struct report r;
	char *text, *err;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	free(st.host);
	st.host = xstrdup(host);
	for (size_t i = 0; i < st.n_guests; i++) {
		if (st.guests[i].vmid == 101) {
			free(st.guests[i].name);
			st.guests[i].name = xstrdup(guest);
		}
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	text = render_prom(&r);
	err = prom_parse(text, &d);
	if (err)
		FAIL_AT("invalid exposition: %s", err);
	/* the values come back unchanged (invalid UTF-8 as U+FFFD), nothing injected */
	CHECK_STR(label_of(find(&d, "dmwatch_node_info", NULL, NULL), "host"),
		  "h\\o\"s\nt{a=\"b\"} 1\n# TYPE evil gauge\n\xef\xbf\xbd");
	CHECK_STR(label_of(find(&d, "dmwatch_guest_health", "vmid", "101"), "name"), guest);
	CHECK(!find(&d, "evil", NULL, NULL));
	CHECK(!strstr(text, "\n# TYPE evil"));
	free(err);
	doc_free(&d);
	free(text);
	report_free(&r);
	state_free(&st);
}

/* Names that differ only in bytes that are not UTF-8 escape to the same label
 * value: one series, not two that make Prometheus reject the scrape. */
TEST(prom_names_deduplicated_after_escaping)
{
	struct dm_dev devs[3] = { { .name = "x\xff" }, { .name = "x\xfe" }, { .name = "y" } };
	struct dev_finding df[3];
	struct space_finding sp[2];
	struct state st = { .host = "h", .node = "", .devs = devs, .n_devs = 3 };
	struct report r = { .st = &st, .devs = df, .n_devs = 3, .spaces = sp, .n_spaces = 2,
			    .grade = "B", .exit_code = 1 };
	struct prom_doc d;
	char *text, *err;
	size_t n_x = 0;

	for (int i = 0; i < 3; i++)
		df[i] = (struct dev_finding){ .dev = &devs[i], .cls = CLASS_TOMBSTONE,
					      .reason = "stale", .severity = SEV_WARNING, .vmid = -1 };
	for (int i = 0; i < 2; i++)
		sp[i] = (struct space_finding){ .name = (char *)devs[i].name, .lv = "vg/s\x80",
						.kind = "lvm-snapshot", .state = "active",
						.used_percent = 50, .metadata_percent = NAN,
						.used_bytes = 1, .total_bytes = 2 };
	text = render_prom(&r);
	err = prom_parse(text, &d);
	if (err)
		FAIL_AT("invalid exposition: %s", err);
	for (size_t i = 0; i < d.n; i++)
		n_x += !strcmp(d.s[i].name, "dmwatch_device_severity");
	CHECK_INT(n_x, 2);
	CHECK_SAMPLE(&d, "dmwatch_device_severity", "name", "x\xef\xbf\xbd", 1);
	CHECK_SAMPLE(&d, "dmwatch_device_severity", "name", "y", 1);
	CHECK_SAMPLE(&d, "dmwatch_snapshot_cow_used_ratio", "lv", "s\xef\xbf\xbd", 0.5);
	/* an empty node name is no label at all */
	CHECK_NULL(label_of(find(&d, "dmwatch_node_info", NULL, NULL), "node"));
	CHECK(promtool_check(text) <= 0);
	free(err);
	doc_free(&d);
	free(text);
}

/* multipath: paths per state, in their own family; no multipath under snapshot_* */
TEST(prom_multipath_paths)
{
	struct state st = { .host = "h", .node = "n" };
	struct space_finding sp = { .name = "mpatha", .lv = "mpatha", .kind = "multipath",
				    .state = "degraded", .severity = SEV_WARNING,
				    .used_percent = NAN, .metadata_percent = NAN,
				    .n_paths = 4, .n_failed_paths = 1 };
	struct report r = { .st = &st, .spaces = &sp, .n_spaces = 1, .grade = "B",
			    .exit_code = 1 };
	struct prom_doc d;
	char *text = render_prom(&r), *err = prom_parse(text, &d);
	const struct prom_sample *s;
	size_t n = 0;

	CHECK_NULL(err);
	for (size_t i = 0; i < d.n; i++) {
		if (strcmp(d.s[i].name, "dmwatch_multipath_paths"))
			continue;
		n++;
		CHECK_STR(label_of(&d.s[i], "name"), "mpatha");
		CHECK_INT((int)d.s[i].value, !strcmp(label_of(&d.s[i], "state"), "failed") ? 1 : 3);
	}
	CHECK_INT(n, 2);
	s = find(&d, "dmwatch_multipath_severity", "name", "mpatha");
	CHECK(s && s->value == 1);
	/* a name without a slash is no LV: no vg or lv label */
	CHECK_NULL(label_of(s, "vg"));
	for (size_t i = 0; i < d.n; i++)
		CHECK(strncmp(d.s[i].name, "dmwatch_snapshot_", 17) &&
		      strncmp(d.s[i].name, "dmwatch_thin_pool_", 18));
	free(err);
	doc_free(&d);
	free(text);
}

TEST(prom_failure_metrics)
{
	char *text = NULL, *err;
	size_t len = 0;
	struct prom_doc d;
	FILE *f = open_memstream(&text, &len);

	output_prom_failure(f, 1795255200);
	fclose(f);
	err = prom_parse(text, &d);
	CHECK_NULL(err);
	CHECK_SAMPLE(&d, "dmwatch_up", NULL, NULL, 0);
	CHECK_SAMPLE(&d, "dmwatch_scan_timestamp_seconds", NULL, NULL, 1795255200);
	CHECK(!find(&d, "dmwatch_grade", NULL, NULL));
	free(err);
	doc_free(&d);
	free(text);
}

/* ---- Nagios line ---- */

TEST(brief_line_every_status)
{
	struct state st = {};
	struct space_finding sp[3] = {
		{ .kind = "thin-pool", .lv = "pve/data", .state = "ro", .severity = SEV_CRITICAL,
		  .used_percent = 100, .metadata_percent = 12.34 },
		/* a hostile name: no quote, '=', '|' or control byte gets through */
		{ .kind = "lvm-snapshot", .lv = "vg/it's=a|b\n\x1b", .state = "active",
		  .severity = SEV_WARNING, .used_percent = 81.25, .metadata_percent = NAN },
		{ .kind = "multipath", .name = "mpatha", .state = "degraded", .severity = SEV_WARNING,
		  .used_percent = NAN, .metadata_percent = NAN },
	};
	struct report r = { .st = &st, .n_devs = 12, .grade = "A+", .exit_code = 0,
			    .opts = { .warn_percent = 70, .crit_percent = 90.5 } };
	struct classify_opts o;
	struct state cs;
	struct report cr;
	char *line;

	line = report_brief(&r);
	CHECK_STR(line, "DMWATCH OK - grade A+: 12 dm devices, no problems | "
		  "devices=12 warnings=0 criticals=0");
	free(line);

	r.n_class[CLASS_TOMBSTONE] = 1;
	r.warnings = 1;
	r.grade = "B";
	r.exit_code = 1;
	line = report_brief(&r);
	CHECK_STR(line, "DMWATCH WARNING - grade B: 1 tombstone | devices=12 warnings=1 criticals=0");
	free(line);

	r.n_class[CLASS_TOMBSTONE] = 7;
	r.spaces = sp;
	r.n_spaces = 3;
	st.n_problems = 2;
	r.warnings = 11;
	r.criticals = 1;
	r.grade = "F";
	r.exit_code = 2;
	line = report_brief(&r);
	CHECK_STR(line, "DMWATCH CRITICAL - grade F: 7 tombstones, 1 failing thin pool, "
		  "1 snapshot filling up, 1 degraded multipath device, 2 unreadable inputs | "
		  "devices=12 warnings=11 criticals=1 'pve/data'=100.0%;70;90.5;0;100 "
		  "'pve/data metadata'=12.3%;70;90.5;0;100 "
		  "'vg/it''s_a_b\\n\\x1b'=81.2%;70;90.5;0;100");
	free(line);

	line = brief_unknown("cannot read device-mapper state: Permission denied");
	CHECK_STR(line, "DMWATCH UNKNOWN - cannot read device-mapper state: Permission denied");
	free(line);
	/* one line, and no '|' that would start performance data */
	line = brief_unknown("a\nb|c\r");
	CHECK_STR(line, "DMWATCH UNKNOWN - a b c ");
	free(line);

	if (fixture_state(&cs, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&cs, &o, &cr);
	line = report_brief(&cr);
	CHECK_STR(line, "DMWATCH CRITICAL - grade F: 1 duplicate, 4 tombstones, 1 invalid snapshot, "
		  "1 snapshot filling up, 1 thin pool filling up | devices=24 warnings=5 criticals=3 "
		  "'pve/data'=85.0%;80;95;0;100 'pve/data metadata'=10.0%;80;95;0;100 "
		  "'vmdata/snap-110-0'=89.8%;80;95;0;100 'vmdata/snap-110-1'=100.0%;80;95;0;100");
	free(line);
	report_free(&cr);
	state_free(&cs);
}

/* ---- atomic files ---- */

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/dmwatch-test.XXXXXX";

	return mkdtemp(tmpl) ? xstrdup(tmpl) : NULL;
}

static void rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", dir);
	free(cmd);
}

TEST(prom_write_file_atomic)
{
	char *dir = tmpdir(), *path, *missing, *got = NULL;
	mode_t old = umask(077);
	struct stat sb;
	size_t len;

	if (!dir) {
		FAIL_AT("mkdtemp");
		return;
	}
	path = xasprintf("%s/dmwatch.prom", dir);
	CHECK_INT(write_file_atomic(path, "first\n", 6, 0644), 0);
	CHECK_INT(write_file_atomic(path, "second\n", 7, 0644), 0);
	CHECK_INT(read_file(path, &got, &len, 4096), 0);
	CHECK_STR(got, "second\n");
	/* readable by node_exporter's user whatever our umask */
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0644);
	/* no temporary file left behind */
	CHECK_INT(count_entries(dir), 1);
	missing = xasprintf("%s/no/such/dir/x.prom", dir);
	CHECK_INT(write_file_atomic(missing, "x", 1, 0644), -ENOENT);
	CHECK_INT(count_entries(dir), 1);
	umask(old);
	free(got);
	free(missing);
	free(path);
	rm_rf(dir);
	free(dir);
}

/* ---- serve ---- */

TEST(serve_parse_listen)
{
	char host[64], port[16], err[128];

	CHECK_INT(parse_listen("127.0.0.1:9877", host, sizeof(host), port, sizeof(port), err,
			       sizeof(err)), 0);
	CHECK_STR(host, "127.0.0.1");
	CHECK_STR(port, "9877");
	CHECK_INT(parse_listen("[::1]:0", host, sizeof(host), port, sizeof(port), err,
			       sizeof(err)), 0);
	CHECK_STR(host, "::1");
	CHECK_STR(port, "0");
	CHECK_INT(parse_listen(":80", host, sizeof(host), port, sizeof(port), err, sizeof(err)), 0);
	CHECK_STR(host, "");
	CHECK_INT(parse_listen("localhost:1", host, sizeof(host), port, sizeof(port), err,
			       sizeof(err)), 0);
	static const char *const bad[] = {
		"", "9877", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
		"127.0.0.1:80x", "::1:80", "[::1]80", "[::1", "127.0.0.1:+80",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		if (!parse_listen(bad[i], host, sizeof(host), port, sizeof(port), err, sizeof(err)))
			FAIL_AT("accepted --listen '%s'", bad[i]);
		else if (!err[0])
			FAIL_AT("no reason for '%s'", bad[i]);
	}
}

TEST(serve_metrics_on_loopback)
{
	char *state = xasprintf("%s/state/cluster.json", FIXTURES);
	char *args[] = { "--listen", "127.0.0.1:0", "--state", state, NULL };
	struct server sv;
	int idle, fds[8];
	char *resp, *body;

	if (serve_start(&sv, args)) {
		FAIL_AT("serve did not start: %s", sv.log);
		if (sv.pid > 0)
			serve_wait(&sv, 1);
		free(state);
		return;
	}
	/* a client that connects and says nothing holds one thread, not the server */
	idle = connect_port(sv.port);
	CHECK(idle >= 0);

	resp = http(sv.port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK(status_is(resp, 200));
	CHECK(strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	body = strstr(resp, "\r\n\r\n");
	CHECK(body && strstr(body, "\ndmwatch_grade 5\n"));
	if (body) {
		struct prom_doc d;
		char *err = prom_parse(body + 4, &d), *cl = strstr(resp, "Content-Length: ");

		CHECK_NULL(err);
		CHECK(cl && (size_t)atol(cl + 16) == strlen(body + 4));
		free(err);
		doc_free(&d);
	}
	free(resp);

	resp = http(sv.port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	CHECK(status_is(resp, 200));
	free(resp);
	resp = http(sv.port, "HEAD /metrics HTTP/1.1\r\n\r\n");
	CHECK(status_is(resp, 200));
	body = strstr(resp, "\r\n\r\n");
	CHECK(body && !body[4]);
	free(resp);
	resp = http(sv.port, "GET / HTTP/1.1\r\n\r\n");
	CHECK(status_is(resp, 404));
	free(resp);
	resp = http(sv.port, "GET /metricsx HTTP/1.1\r\n\r\n");
	CHECK(status_is(resp, 404));
	free(resp);
	resp = http(sv.port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	CHECK(status_is(resp, 405));
	free(resp);
	resp = http(sv.port, "hello\r\n\r\n");
	CHECK(status_is(resp, 400));
	free(resp);

	/* eight at once, all answered in full */
	for (int i = 0; i < 8; i++) {
		fds[i] = connect_port(sv.port);
		CHECK(fds[i] >= 0);
	}
	for (int i = 0; i < 8; i++)
		if (fds[i] >= 0)
			CHECK(send(fds[i], "GET /metrics HTTP/1.1\r\n\r\n", 25, MSG_NOSIGNAL) == 25);
	for (int i = 0; i < 8; i++) {
		if (fds[i] < 0)
			continue;
		resp = read_all(fds[i]);
		CHECK(status_is(resp, 200) && strstr(resp, "\ndmwatch_up 1\n"));
		free(resp);
		close(fds[i]);
	}

	/* SIGTERM with the idle client still connected: a clean, prompt exit 0 */
	CHECK_INT(kill(sv.pid, SIGTERM), 0);
	CHECK_INT(serve_wait(&sv, 10), 0);
	if (idle >= 0)
		close(idle);
	close(sv.err_fd);
	free(state);
}

TEST(serve_bad_listen_is_exit_3)
{
	static const char *const specs[] = { "nonsense", "127.0.0.1:99999", "[::1", "300.1.2.3:80" };
	struct sockaddr_in a = { .sin_family = AF_INET };
	char *state = xasprintf("%s/state/cluster.json", FIXTURES), busy[32];
	socklen_t al = sizeof(a);
	struct server sv;
	int taken = -1;

	for (size_t i = 0; i < ARRAY_SIZE(specs) + 1; i++) {
		char *args[] = { "--listen", NULL, "--state", state, NULL };
		int rc;

		if (i < ARRAY_SIZE(specs)) {
			args[1] = (char *)specs[i];
		} else {
			/* a port someone else holds */
			taken = socket(AF_INET, SOCK_STREAM, 0);
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (bind(taken, (struct sockaddr *)&a, sizeof(a)) || listen(taken, 1) ||
			    getsockname(taken, (struct sockaddr *)&a, &al)) {
				FAIL_AT("cannot hold a port");
				break;
			}
			snprintf(busy, sizeof(busy), "127.0.0.1:%d", ntohs(a.sin_port));
			args[1] = busy;
		}
		if (!serve_start(&sv, args)) {
			FAIL_AT("serve started on '%s'", args[1]);
			kill(sv.pid, SIGKILL);
		}
		rc = serve_wait(&sv, 10);
		if (rc != 3)
			FAIL_AT("--listen '%s': exit %d, expected 3", args[1], rc);
		/* exactly one line, naming the problem */
		if (!strstr(sv.log, args[1]) || strchr(sv.log, '\n') != sv.log + strlen(sv.log) - 1)
			FAIL_AT("--listen '%s': stderr \"%s\"", args[1], sv.log);
		close(sv.err_fd);
		if (i == ARRAY_SIZE(specs))
			close(taken);
	}
	free(state);
}

TEST(serve_bad_state_is_exit_3)
{
	char *args[] = { "--listen", "127.0.0.1:0", "--state", "/nonexistent/state.json", NULL };
	struct server sv;

	if (!serve_start(&sv, args))
		FAIL_AT("serve started without a state");
	CHECK_INT(serve_wait(&sv, 10), 3);
	CHECK(strstr(sv.log, "/nonexistent/state.json"));
	close(sv.err_fd);
}
