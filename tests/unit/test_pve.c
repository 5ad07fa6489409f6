// SPDX-License-Identifier: GPL-2.0
/* Proxmox configs: storage.cfg, guest configs, volume names, and collecting a fixture tree. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "collect/pve.h"
#include "lib/util.h"

#define PVE_FIXTURES FIXTURES "/pve"

static const struct pve_storage *find_storage(const struct state *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->n_storages; i++)
		if (!strcmp(st->storages[i].id, id))
			return &st->storages[i];
	return NULL;
}

static const struct pve_guest *find_guest(const struct state *st, int vmid)
{
	size_t i;

	for (i = 0; i < st->n_guests; i++)
		if (st->guests[i].vmid == vmid)
			return &st->guests[i];
	return NULL;
}

/* The ref of `key` in the current config (snapshot NULL) or in snapshot `snap`. */
static const struct pve_volref *find_ref(const struct pve_guest *g, const char *key,
					 const char *snap)
{
	size_t i;

	if (!g)
		return NULL;
	for (i = 0; i < g->n_refs; i++) {
		const struct pve_volref *r = &g->refs[i];

		if (strcmp(r->key, key))
			continue;
		if (!snap ? !r->snapshot : (r->snapshot && !strcmp(r->snapshot, snap)))
			return r;
	}
	return NULL;
}

static bool has_problem(const struct state *st, const char *needle)
{
	size_t i;

	for (i = 0; i < st->n_problems; i++)
		if (strstr(st->problems[i].message, needle))
			return true;
	return false;
}

static char *fixture_text(const char *rel)
{
	char *path = xasprintf("%s/%s", PVE_FIXTURES, rel), *text = NULL;

	if (read_file(path, &text, NULL, 1 << 20))
		text = NULL;
	free(path);
	return text;
}

/* Parse one config text as guest vmid of type on node "pve1", appended to st. */
static struct pve_guest *parse_guest(struct state *st, const char *text, int vmid,
				     enum guest_type type)
{
	struct pve_guest *g = array_push(&st->guests, &st->n_guests, sizeof(*g));

	g->vmid = vmid;
	g->type = type;
	g->node = xstrdup("pve1");
	if (pve_parse_guest_config(st, "test.conf", text, g))
		return NULL;
	return g;
}

/* ---- storage.cfg ---- */

TEST(storage_cfg_fixture)
{
	struct state st = { 0 };
	const struct pve_storage *s;
	char *text = fixture_text("etc-pve/storage.cfg");

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_INT(pve_parse_storage_cfg(&st, "storage.cfg", text), 0);
	CHECK_INT(st.n_storages, 7);
	CHECK_INT(st.n_problems, 0);

	s = find_storage(&st, "local-lvm");
	CHECK(s && s->type == PVE_STORAGE_LVMTHIN);
	if (s) {
		CHECK_STR(s->vgname, "pve");
		CHECK_STR(s->thinpool, "data");
		CHECK(!s->shared);
	}
	/* ids keep their case; the VG keeps its own */
	s = find_storage(&st, "T1-HA07");
	CHECK(s && s->type == PVE_STORAGE_LVM);
	if (s) {
		CHECK_STR(s->vgname, "t1-ha07");
		CHECK_NULL(s->thinpool);
		CHECK(s->shared);
	}
	/* a bare "shared" flag */
	s = find_storage(&st, "SSD-HA01");
	CHECK(s && s->shared && !strcmp(s->vgname, "ssd-ha01"));
	s = find_storage(&st, "local");
	CHECK(s && s->type == PVE_STORAGE_OTHER && !s->vgname);
	s = find_storage(&st, "local-zfs");
	CHECK(s && s->type == PVE_STORAGE_OTHER);
	CHECK(find_storage(&st, "backups") && find_storage(&st, "ceph-vm"));
	state_free(&st);
	free(text);
}

TEST(storage_cfg_malformed_stanzas)
{
	static const char text[] =
		"# comment at the top\r\n"
		"\tcontent images\r\n"			/* property before any header */
		"lvm: novg\r\n"
		"\tcontent images\r\n"
		"\r\n"
		"lvmthin: nopool\n"
		"\tvgname pve\n"
		"\n"
		"lvm: good\n"
		"\tvgname VG0\n"
		"# a comment inside\n"
		"\tshared 0\n"
		"lvmthin: adjacent\n"			/* no blank line before it */
		"\tvgname pve\n"
		"\tthinpool data\n"
		"\n"
		"lvm good2\n"				/* header without ':' */
		"\tvgname swallowed\n"
		"\n"
		"lvm: has space\n"
		"\n"
		"lvm: good\n"				/* defined twice */
		"\tvgname other\n"
		"\n"
		"dir: last-without-newline\n"
		"\tpath /srv";
	struct state st = { 0 };
	const struct pve_storage *s;

	CHECK_INT(pve_parse_storage_cfg(&st, "storage.cfg", text), 0);
	CHECK_INT(st.n_storages, 3);
	s = find_storage(&st, "good");
	CHECK(s && !strcmp(s->vgname, "VG0") && !s->shared);
	s = find_storage(&st, "adjacent");
	CHECK(s && s->type == PVE_STORAGE_LVMTHIN && !strcmp(s->thinpool, "data"));
	CHECK(find_storage(&st, "last-without-newline") != NULL);
	CHECK(!find_storage(&st, "novg") && !find_storage(&st, "nopool"));
	CHECK(has_problem(&st, "line 2: property outside"));
	CHECK(has_problem(&st, "'novg' has no vgname"));
	CHECK(has_problem(&st, "'nopool' has no thinpool"));
	CHECK(has_problem(&st, "line 17: cannot parse storage header"));
	CHECK(has_problem(&st, "line 20: cannot parse storage header"));
	CHECK(has_problem(&st, "'good' defined twice"));
	CHECK_INT(st.n_problems, 6);
	CHECK_STR(st.problems[0].source, "storage.cfg");
	state_free(&st);
}

TEST(storage_cfg_nothing_readable)
{
	struct state st = { 0 };

	CHECK_INT(pve_parse_storage_cfg(&st, "s", "complete garbage\nmore of it\n"), -EINVAL);
	CHECK_INT(st.n_storages, 0);
	CHECK(st.n_problems > 0);
	state_free(&st);
	/* an empty file is odd but readable */
	CHECK_INT(pve_parse_storage_cfg(&st, "s", ""), 0);
	CHECK_INT(pve_parse_storage_cfg(&st, "s", "\n# only a comment\n\n"), 0);
	CHECK_INT(pve_parse_storage_cfg(&st, "s", NULL), -EINVAL);
	CHECK_INT(st.n_storages, 0);
	state_free(&st);
}

TEST(storage_cfg_names_at_limit)
{
	char id[128], vg[128], *text;
	struct state st = { 0 };
	const struct pve_storage *s;

	memset(id, 'a', 127);
	id[127] = 0;
	memset(vg, 'V', 127);
	vg[127] = 0;
	text = xasprintf("lvm: %s\n\tvgname %s\n", id, vg);
	CHECK_INT(pve_parse_storage_cfg(&st, "s", text), 0);
	s = find_storage(&st, id);
	CHECK(s && strlen(s->vgname) == 127);
	state_free(&st);
	free(text);
}

/* ---- guest configs ---- */

TEST(guest_qemu_full)
{
	struct state st = { 0 };
	const struct pve_volref *r;
	struct pve_guest *g;
	char *text = fixture_text("etc-pve/nodes/pve1/qemu-server/101.conf");

	CHECK(text != NULL);
	if (!text)
		return;
	g = parse_guest(&st, text, 101, GUEST_QEMU);
	CHECK(g != NULL);
	if (!g)
		goto cleanup;
	CHECK_INT(st.n_problems, 0);
	/* the snapshot's and the cloud-init section's name: lines do not rename it */
	CHECK_STR(g->name, "web");
	CHECK(!g->template);

	r = find_ref(g, "scsi0", NULL);
	CHECK(r && !strcmp(r->storage, "local-lvm") && !strcmp(r->volume, "vm-101-disk-0"));
	r = find_ref(g, "scsi1", NULL);
	CHECK(r && !strcmp(r->storage, "T1-HA07") && !strcmp(r->volume, "vm-101-disk-0"));
	r = find_ref(g, "efidisk0", NULL);
	CHECK(r && !strcmp(r->volume, "vm-101-disk-1"));
	r = find_ref(g, "tpmstate0", NULL);
	CHECK(r && !strcmp(r->volume, "vm-101-disk-2"));
	r = find_ref(g, "unused0", NULL);
	CHECK(r && !strcmp(r->volume, "vm-101-disk-3"));
	/* cloud-init drive is media=cdrom but a real volume */
	r = find_ref(g, "ide0", NULL);
	CHECK(r && !strcmp(r->volume, "vm-101-cloudinit"));
	/* iso, passthrough disk, empty drive: not volume refs */
	CHECK_NULL(find_ref(g, "ide2", NULL));
	CHECK_NULL(find_ref(g, "scsi2", NULL));
	CHECK_NULL(find_ref(g, "sata0", NULL));
	/* pending disk belongs to the current config */
	r = find_ref(g, "scsi4", NULL);
	CHECK(r && !strcmp(r->volume, "vm-101-disk-5"));

	/* the snapshot section */
	r = find_ref(g, "scsi0", "before-upgrade");
	CHECK(r && !strcmp(r->volume, "vm-101-disk-0"));
	r = find_ref(g, "scsi3", "before-upgrade");
	CHECK(r && !strcmp(r->volume, "vm-101-disk-4"));
	CHECK_NULL(find_ref(g, "scsi3", NULL));
	r = find_ref(g, "vmstate", "before-upgrade");
	CHECK(r && !strcmp(r->storage, "local-lvm") &&
	      !strcmp(r->volume, "vm-101-state-before-upgrade"));
	CHECK(find_ref(g, "efidisk0", "before-upgrade") != NULL);
	/* current 6 (scsi0 scsi1 efidisk0 tpmstate0 unused0 ide0) + pending 1 + snapshot 4 */
	CHECK_INT(g->n_refs, 11);
cleanup:
	state_free(&st);
	free(text);
}

TEST(guest_linked_clone_and_file_key)
{
	struct state st = { 0 };
	const struct pve_volref *r;
	struct pve_guest *g;

	g = parse_guest(&st,
			"name: clone-of-100\n"
			"scsi0: local-lvm:base-100-disk-0/vm-102-disk-0,size=8G\n"
			"virtio0: file=SSD-HA01:vm-102-disk-1,size=20G\n"
			"virtio1: cache=none,file=local-lvm:vm-102-disk-2\n"
			"sata1: local:102/vm-102-disk-3.qcow2,size=1G\n"
			"sata2: local:100/base-100-disk-0.qcow2/102/vm-102-disk-4.qcow2\n"
			"ide1: local:iso/virtio-win.iso,media=cdrom\n"
			"ide3: cdrom,media=cdrom\n"
			"sata3: file.iso,media=cdrom\n",
			102, GUEST_QEMU);
	CHECK(g != NULL);
	if (!g)
		goto cleanup;
	CHECK_INT(st.n_problems, 0);
	r = find_ref(g, "scsi0", NULL);
	CHECK(r && !strcmp(r->storage, "local-lvm") && !strcmp(r->volume, "vm-102-disk-0"));
	r = find_ref(g, "virtio0", NULL);
	CHECK(r && !strcmp(r->storage, "SSD-HA01") && !strcmp(r->volume, "vm-102-disk-1"));
	r = find_ref(g, "virtio1", NULL);
	CHECK(r && !strcmp(r->volume, "vm-102-disk-2"));
	/* dir storage image paths and isos are not block volumes */
	CHECK_INT(g->n_refs, 3);
cleanup:
	state_free(&st);
}

TEST(guest_template)
{
	struct state st = { 0 };
	struct pve_guest *g;
	char *text = fixture_text("etc-pve/nodes/pve1/qemu-server/100.conf");

	g = text ? parse_guest(&st, text, 100, GUEST_QEMU) : NULL;
	CHECK(g != NULL);
	if (g) {
		CHECK(g->template);
		CHECK_STR(g->name, "debian12-template");
		CHECK(find_ref(g, "scsi0", NULL) &&
		      !strcmp(find_ref(g, "scsi0", NULL)->volume, "base-100-disk-0"));
	}
	state_free(&st);
	free(text);
}

TEST(guest_lxc)
{
	struct state st = { 0 };
	const struct pve_volref *r;
	struct pve_guest *g;
	char *text = fixture_text("etc-pve/nodes/pve1/lxc/9201.conf");

	g = text ? parse_guest(&st, text, 9201, GUEST_LXC) : NULL;
	CHECK(g != NULL);
	if (!g)
		goto cleanup;
	/* raw lxc.* keys, with ':' or '=', are not problems */
	CHECK_INT(st.n_problems, 0);
	CHECK_STR(g->name, "dns");
	r = find_ref(g, "rootfs", NULL);
	CHECK(r && !strcmp(r->storage, "local-lvm") && !strcmp(r->volume, "vm-9201-disk-0"));
	r = find_ref(g, "mp0", NULL);
	CHECK(r && !strcmp(r->volume, "vm-9201-disk-1"));
	/* bind mount */
	CHECK_NULL(find_ref(g, "mp1", NULL));
	CHECK_INT(g->n_refs, 2);

	/* "volume=" spelling, zfs subvol kept as a ref, qemu keys ignored for containers */
	g = parse_guest(&st,
			"hostname: mail\n"
			"rootfs: local-zfs:subvol-200-disk-0,size=16G\n"
			"mp0: volume=SSD-HA01:vm-200-disk-1,mp=/var/mail,size=50G\n"
			"unused3: local-lvm:vm-200-disk-2\n"
			"scsi0: local-lvm:vm-200-disk-9\n"
			"[vzdump]\n"
			"hostname: old\n"
			"rootfs: local-lvm:vm-200-disk-7,size=16G\n",
			200, GUEST_LXC);
	CHECK(g != NULL);
	if (!g)
		goto cleanup;
	CHECK_STR(g->name, "mail");
	CHECK(find_ref(g, "rootfs", NULL) &&
	      !strcmp(find_ref(g, "rootfs", NULL)->volume, "subvol-200-disk-0"));
	CHECK(find_ref(g, "mp0", NULL) &&
	      !strcmp(find_ref(g, "mp0", NULL)->storage, "SSD-HA01"));
	CHECK(find_ref(g, "unused3", NULL) != NULL);
	CHECK_NULL(find_ref(g, "scsi0", NULL));
	CHECK(find_ref(g, "rootfs", "vzdump") &&
	      !strcmp(find_ref(g, "rootfs", "vzdump")->volume, "vm-200-disk-7"));
	CHECK_INT(g->n_refs, 4);
cleanup:
	state_free(&st);
	free(text);
}

TEST(guest_malformed_lines)
{
	struct state st = { 0 };
	const struct pve_volref *r;
	struct pve_guest *g;
	char *text = fixture_text("etc-pve/nodes/pve1/qemu-server/105.conf");

	g = text ? parse_guest(&st, text, 105, GUEST_QEMU) : NULL;
	CHECK(g != NULL);
	if (!g)
		goto cleanup;
	CHECK_STR(g->name, "broken");
	CHECK(has_problem(&st, "line 2: cannot parse 'memory 1024'"));
	CHECK(has_problem(&st, "line 4: cannot read the volume of scsi1"));
	CHECK(has_problem(&st, "line 5: cannot parse 'this line is garbage'"));
	CHECK(has_problem(&st, "line 6: cannot parse section header '[snap1'"));
	CHECK_INT(st.n_problems, 4);
	CHECK_STR(st.problems[0].source, "test.conf");
	r = find_ref(g, "scsi0", NULL);
	CHECK(r && !strcmp(r->volume, "vm-105-disk-0"));
	/* lines after a garbled header do not rename the guest, but their disks count */
	CHECK(find_ref(g, "scsi2", NULL) != NULL);
	CHECK_INT(g->n_refs, 2);
cleanup:
	state_free(&st);
	free(text);
}

TEST(guest_odd_input)
{
	static const char *const texts[] = {
		"", "\n\n\n", ":", "::::", "scsi0:", "scsi0: ", "scsi0: ,,,", "scsi0: size=1G",
		"scsi0: local-lvm:", "scsi0: :", "scsi0: a b:c", "scsi0: bad id!:vm-1-disk-0",
		"[", "[]", "]", "[PENDING", "[ snap ]\nname: x", "#\n#\n", "\r\n\r\n",
		"name:\n", "lxc.x =\n", "\x01\x02\x03: \xff",
	};
	struct state st = { 0 };
	size_t i;
	int t;

	for (t = GUEST_QEMU; t <= GUEST_LXC; t++) {
		for (i = 0; i < ARRAY_SIZE(texts); i++) {
			struct pve_guest *g = parse_guest(&st, texts[i], 1, t);

			if (!g) {
				FAIL_AT("refused '%s'", texts[i]);
				continue;
			}
			if (g->n_refs)
				FAIL_AT("'%s' gave a ref", texts[i]);
			if (g->name)
				FAIL_AT("'%s' gave a name", texts[i]);
		}
	}
	/* "key: " is how Proxmox writes an empty value: not a problem */
	CHECK(!has_problem(&st, "has no value"));
	CHECK(has_problem(&st, "cannot read the volume of scsi0: 'bad id!:vm-1-disk-0'"));
	CHECK_INT(pve_parse_guest_config(&st, "x", NULL, NULL), -EINVAL);
	state_free(&st);
}

TEST(guest_names_at_limit)
{
	char name[128], vol[128], longline[4096], *text;
	struct state st = { 0 };
	struct pve_guest *g;

	memset(name, 'n', 127);
	name[127] = 0;
	strcpy(vol, "vm-101-disk-");
	memset(vol + 12, '7', 127 - 12);
	vol[127] = 0;
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	text = xasprintf("name: %s\nscsi0: local-lvm:%s,size=1G\n%s\n[%s]\nscsi0: local-lvm:%s\n",
			 name, vol, longline, name, vol);
	g = parse_guest(&st, text, 101, GUEST_QEMU);
	CHECK(g != NULL);
	if (g) {
		const struct pve_volref *r = find_ref(g, "scsi0", NULL);

		CHECK_STR(g->name, name);
		CHECK(r && !strcmp(r->volume, vol));
		CHECK(find_ref(g, "scsi0", name) != NULL);
	}
	/* the long garbage line is reported, and quoted only in part */
	CHECK_INT(st.n_problems, 1);
	if (st.n_problems)
		CHECK(strlen(st.problems[0].message) < 200);
	state_free(&st);
	free(text);
}

/* ---- volume names ---- */

TEST(volume_vmid)
{
	enum { T = PVE_STORAGE_LVMTHIN, L = PVE_STORAGE_LVM, O = PVE_STORAGE_OTHER };
	static const struct {
		const char *volume;
		int type;
		bool ok;
		int vmid;
	} cases[] = {
		{ "vm-101-disk-0", L, true, 101 },
		{ "vm-101-disk-0", T, true, 101 },
		/* LVMPlugin parse_volname takes vm-N-* only; LvmThinPlugin also base-N-* */
		{ "base-100-disk-0", T, true, 100 },
		{ "base-100-disk-0", O, true, 100 },
		{ "base-100-disk-0", L, false, 0 },
		{ "vm-101-cloudinit", L, true, 101 },
		{ "vm-101-state-before-upgrade", T, true, 101 },
		{ "vm-101-fleece-0", L, true, 101 },
		{ "vm-8006-disk-0.qcow2", L, true, 8006 },
		/* thin snapshots */
		{ "snap_vm-101-disk-0_before", T, true, 101 },
		{ "snap_base-100-disk-1_x", T, true, 100 },
		{ "snap_vm-101-disk-0_before", L, false, 0 },
		/* thick LVM volume chains */
		{ "snap_vm-8006-disk-0_snap1.qcow2", L, true, 8006 },
		{ "snap_vm-8006-disk-0_snap1.qcow2", O, true, 8006 },
		{ "snap_base-8006-disk-0_snap1.qcow2", L, false, 0 },
		{ "snap_vm-8006-disk-0_.qcow2", L, false, 0 },
		{ "vm-999999999-disk-12", T, true, 999999999 },
		{ "vm-101-my_data", L, true, 101 },
		{ "snap_vm-101-disk-0", T, false, 0 },
		{ "snap_vm-101-disk-0_", O, false, 0 },
		{ "snap_data_x", O, false, 0 },
		{ "vm-101", O, false, 0 },
		{ "vm-101-", O, false, 0 },
		{ "vm--101-disk-0", O, false, 0 },
		{ "vm-0-disk-0", O, false, 0 },
		{ "vm-x-disk-0", O, false, 0 },
		{ "vm-99999999999-disk-0", O, false, 0 },
		{ "vm-101-disk 0", O, false, 0 },
		/* parse_lvm_name: no '/', must end alphanumeric */
		{ "base-100-disk-0/vm-102-disk-0", T, false, 0 },
		{ "vm-101-disk-0-", T, false, 0 },
		{ "vm-101-disk-0.", L, false, 0 },
		{ "subvol-200-disk-0", O, false, 0 },
		{ "data", O, false, 0 },
		{ "root", O, false, 0 },
		{ "iso/vm-101-disk-0", O, false, 0 },
		{ "", O, false, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int vmid = -1;
		bool ok = pve_volume_vmid(cases[i].volume, cases[i].type, &vmid);

		if (ok != cases[i].ok)
			FAIL_AT("'%s' (type %d): %d, expected %d", cases[i].volume, cases[i].type,
				ok, cases[i].ok);
		else if (ok && vmid != cases[i].vmid)
			FAIL_AT("'%s': vmid %d, expected %d", cases[i].volume, vmid, cases[i].vmid);
	}
	CHECK(!pve_volume_vmid(NULL, PVE_STORAGE_OTHER, NULL));
	CHECK(pve_volume_vmid("vm-5-disk-0", PVE_STORAGE_OTHER, NULL));
}

TEST(volume_snapshot_lv)
{
	char *s;

	s = pve_snapshot_lv("vm-101-disk-0", "before", PVE_STORAGE_LVMTHIN);
	CHECK_STR(s, "snap_vm-101-disk-0_before");
	free(s);
	/* LVMPlugin get_snap_name: extension off, .qcow2 on */
	s = pve_snapshot_lv("vm-8006-disk-0.qcow2", "snap1", PVE_STORAGE_LVM);
	CHECK_STR(s, "snap_vm-8006-disk-0_snap1.qcow2");
	free(s);
	s = pve_snapshot_lv("vm-8006-disk-0", "s", PVE_STORAGE_LVM);
	CHECK_STR(s, "snap_vm-8006-disk-0_s.qcow2");
	free(s);
}

TEST(volume_vmid_at_limit)
{
	char vol[128];
	int vmid = 0;

	strcpy(vol, "snap_vm-4242-disk-0_");
	memset(vol + strlen(vol), 's', 127 - strlen(vol));
	vol[127] = 0;
	CHECK(pve_volume_vmid(vol, PVE_STORAGE_LVMTHIN, &vmid));
	CHECK_INT(vmid, 4242);
}

/* ---- pve_collect ---- */

TEST(collect_fixture_tree)
{
	struct state st = { 0 };
	const struct pve_guest *g;
	size_t i;

	CHECK_INT(pve_collect(&st, PVE_FIXTURES "/etc-pve", PVE_FIXTURES "/run", "pve1"), 0);
	CHECK(st.have_pve);
	CHECK_INT(st.n_storages, 7);
	/* pve1: 100 101 102 105 + ct 9201; pve2: 115 + ct 200; temp and odd files skipped */
	CHECK_INT(st.n_guests, 7);

	g = find_guest(&st, 101);
	CHECK(g && g->type == GUEST_QEMU && !strcmp(g->node, "pve1") && !strcmp(g->name, "web"));
	/* its pid file names a pid that cannot exist */
	CHECK(g && !g->running);
	g = find_guest(&st, 102);
	CHECK(g && find_ref(g, "scsi0", NULL) &&
	      !strcmp(find_ref(g, "scsi0", NULL)->volume, "vm-102-disk-0"));
	CHECK(g && !g->running);
	g = find_guest(&st, 100);
	CHECK(g && g->template);
	g = find_guest(&st, 9201);
	CHECK(g && g->type == GUEST_LXC && !strcmp(g->node, "pve1"));
	g = find_guest(&st, 115);
	CHECK(g && !strcmp(g->node, "pve2") && !strcmp(g->name, "Windows Server 2019"));
	CHECK(g && find_ref(g, "scsi0", NULL) &&
	      !strcmp(find_ref(g, "scsi0", NULL)->storage, "T1-HA07"));
	g = find_guest(&st, 200);
	CHECK(g && g->type == GUEST_LXC && !strcmp(g->node, "pve2") && !g->running);
	CHECK_NULL(find_guest(&st, 104));

	/* only 105.conf's four bad lines, each named with its file */
	CHECK_INT(st.n_problems, 4);
	for (i = 0; i < st.n_problems; i++)
		CHECK(strstr(st.problems[i].source, "nodes/pve1/qemu-server/105.conf") != NULL);
	state_free(&st);
}

TEST(collect_no_pve)
{
	struct state st = { 0 };

	st.have_pve = true;
	CHECK_INT(pve_collect(&st, PVE_FIXTURES "/does-not-exist", "/run", "pve1"), 0);
	CHECK(!st.have_pve);
	CHECK_INT(st.n_problems, 0);
	CHECK_INT(st.n_guests, 0);

	/* /etc/pve without the cluster filesystem mounted: not "a cluster with no guests" */
	CHECK_INT(pve_collect(&st, PVE_FIXTURES "/no-pmxcfs", "/run", "pve1"), 0);
	CHECK(!st.have_pve);
	CHECK(has_problem(&st, "pve-cluster"));
	CHECK_INT(st.n_storages, 0);
	state_free(&st);

	CHECK_INT(pve_collect(&st, PVE_FIXTURES "/etc-pve/storage.cfg", "/run", "pve1"), 0);
	CHECK(!st.have_pve);
	CHECK(has_problem(&st, "not a directory"));
	state_free(&st);
	CHECK_INT(pve_collect(NULL, "/etc/pve", "/run", "x"), -EINVAL);
}

TEST(collect_unknown_node_and_duplicate_vmid)
{
	struct state st = { 0 };

	CHECK_INT(pve_collect(&st, PVE_FIXTURES "/dup-vmid", "/nonexistent", "pve9"), 0);
	CHECK(st.have_pve);
	CHECK_INT(st.n_guests, 2);
	CHECK(has_problem(&st, "no directory for node 'pve9'"));
	CHECK(has_problem(&st, "vmid 300 has two configs: qemu on node a and lxc on node b"));
	CHECK_INT(st.n_problems, 2);
	state_free(&st);
}

static void rm_run_dir(const char *run)
{
	char *p;

	p = xasprintf("%s/qemu-server/101.pid", run);
	unlink(p);
	free(p);
	p = xasprintf("%s/qemu-server/102.pid", run);
	unlink(p);
	free(p);
	p = xasprintf("%s/qemu-server", run);
	rmdir(p);
	free(p);
	rmdir(run);
}

static void write_pid(const char *run, int vmid, long pid)
{
	char *p = xasprintf("%s/qemu-server/%d.pid", run, vmid);
	FILE *f = fopen(p, "w");

	if (f) {
		fprintf(f, "%ld\n", pid);
		fclose(f);
	}
	free(p);
}

TEST(collect_running_qemu)
{
	char run[] = "/tmp/dmwatch-test-run-XXXXXX";
	struct state st = { 0 };
	const struct pve_guest *g;
	char *dir;
	pid_t child;

	if (!mkdtemp(run)) {
		FAIL_AT("mkdtemp: %s", strerror(errno));
		return;
	}
	dir = xasprintf("%s/qemu-server", run);
	mkdir(dir, 0700);
	free(dir);

	/* a stand-in for kvm whose command line says "-id 101", as PVE's does */
	child = fork();
	if (child == 0) {
		execl("/bin/sh", "sh", "-c", "while :; do sleep 1; done", "kvm", "-id", "101",
		      (char *)NULL);
		_exit(127);
	}
	CHECK(child > 0);
	write_pid(run, 101, child);
	/* a live pid that is not VM 102's kvm: a stale pid file whose pid was reused */
	write_pid(run, 102, getpid());
	/* give the child time to exec, so its cmdline is the shell's */
	usleep(200 * 1000);

	CHECK_INT(pve_collect(&st, PVE_FIXTURES "/etc-pve", run, "pve1"), 0);
	g = find_guest(&st, 101);
	CHECK(g && g->running);
	g = find_guest(&st, 102);
	CHECK(g && !g->running);
	/* guests of other nodes are never marked running here */
	g = find_guest(&st, 115);
	CHECK(g && !g->running);
	state_free(&st);

	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	CHECK_INT(pve_collect(&st, PVE_FIXTURES "/etc-pve", run, "pve1"), 0);
	g = find_guest(&st, 101);
	CHECK(g && !g->running);
	state_free(&st);
	rm_run_dir(run);
}
