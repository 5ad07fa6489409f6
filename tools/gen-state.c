// SPDX-License-Identifier: GPL-2.0
/*
 * gen-state: writes a large, realistic saved state (scan --state) for benches and
 * tests, the same for the same arguments (own PRNG, fixed clock).
 *
 *   gen-state [-s SEED] [-q] DEVICES GUESTS OUTPUT
 *
 * The node "pve1" of a four-node Proxmox cluster: VG "pve" (root, swap, thin pool
 * "data" = storage local-lvm) on sda3, VG "nvme" (thin pool "vmstore" = nvme-thin),
 * and two shared VGs on multipath LUNs, "ssd-ha01" and "t1-ha07", whose storage ids
 * are upper case (SSD-HA01, T1-HA07) as in seed 000. Guests live on all nodes; the
 * dm devices are those of this node:
 *
 *   valid        disks of this node's guests (thin volumes, linear LVs on the LUNs),
 *                root and swap, classic snapshots of shared disks (seed 002's
 *                snap-473-1) with their origin; fill varies from empty to Invalid
 *   internal     thin-pool layers (_tmeta _tdata -tpool -pool), snapshot -real/-cow,
 *                kpartx partitions of VM disks
 *   tombstone    no-guest (vmid nowhere), unreferenced (guest exists, disk not in
 *                its config), other-node (shared disk of a guest on another node),
 *                stale (LV uuid gone; half of them over extents another LV owns now)
 *   duplicate    a second mapping of an active LV's sectors (old VG-name casing, no
 *                uuid) or of its thin id (a hand-made "_old" copy)
 *   unmanaged    multipath LUNs, LUKS mappings
 *
 * with matching lvs (attrs, pools, origins, thin ids, percents) and PV extents, so
 * every check in classify.c has work. Expected class counts go to stderr.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "model/state.h"
#include "lib/util.h"

#define DM_MAJOR	253
#define EXTENT		8192ULL		/* 4 MiB extents, in sectors */
#define GiB_SECTORS	2097152ULL
#define NODE		"pve1"
#define N_INFRA		12		/* devices every node has, see add_infra() */

static const char *const nodes[] = { "pve1", "pve2", "pve3", "pve4" };
static const char *const guest_names[] = {
	"web", "db", "mail", "dc", "build", "git", "proxy", "backup", "monitor", "vpn",
	"files", "erp", "crm", "wiki", "ci-runner", "dns", "ldap", "print", "voip", "test",
};

/* ---- deterministic randomness (splitmix64: tiny, good enough, same everywhere) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* percent chance */
static bool chance(unsigned int pct)
{
	return rnd_below(100) < pct;
}

/* ---- names and uuids ---- */

/* An LVM uuid: 32 chars; lvs prints it 6-4-4-4-4-4-6 with dashes, dm without. */
struct uuid {
	char plain[33];
	char dashed[39];
};

static void new_uuid(struct uuid *u)
{
	static const char cs[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static const int groups[] = { 6, 4, 4, 4, 4, 4, 6 };
	char *d = u->dashed;
	int k = 0;

	for (int i = 0; i < 32; i++)
		u->plain[i] = cs[rnd_below(sizeof(cs) - 1)];
	u->plain[32] = 0;
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		if (g)
			*d++ = '-';
		memcpy(d, u->plain + k, groups[g]);
		d += groups[g];
		k += groups[g];
	}
	*d = 0;
}

/* dm name of vg/lv[-layer]: '-' inside names doubled, as dm_build_dm_name() does */
static char *dm_name(const char *vg, const char *lv, const char *layer)
{
	size_t len = 2 * (strlen(vg) + strlen(lv) + (layer ? strlen(layer) : 0)) + 3;
	char *out = xmalloc(len), *o = out;

	for (const char *p = vg; *p; p++) {
		if (*p == '-')
			*o++ = '-';
		*o++ = *p;
	}
	*o++ = '-';
	for (const char *p = lv; *p; p++) {
		if (*p == '-')
			*o++ = '-';
		*o++ = *p;
	}
	if (layer) {
		*o++ = '-';
		strcpy(o, layer);
		o += strlen(layer);
	}
	*o = 0;
	return out;
}

/* ---- the node's VGs ---- */

struct vg {
	const char *name;
	const char *storage;		/* Proxmox storage id */
	const char *pool;		/* thin pool LV, NULL for a plain (shared) VG */
	struct uuid uuid;
	uint32_t pv_major, pv_minor;	/* the PV's device */
	uint64_t pe_start;
	uint64_t next_pe;		/* allocation cursor, in extents */
	uint32_t tpool_minor;		/* thin: the -tpool device thin tables point at */
	int64_t next_thin_id;
};

enum { VG_PVE, VG_NVME, VG_SSD, VG_T1, N_VGS };

static struct vg vgs[N_VGS] = {
	[VG_PVE] = { .name = "pve", .storage = "local-lvm", .pool = "data" },
	[VG_NVME] = { .name = "nvme", .storage = "nvme-thin", .pool = "vmstore" },
	[VG_SSD] = { .name = "ssd-ha01", .storage = "SSD-HA01" },
	[VG_T1] = { .name = "t1-ha07", .storage = "T1-HA07" },
};

/* ---- building blocks ---- */

static struct state st;
static uint32_t next_minor;

struct expect {
	size_t valid, internal, tombstone, duplicate, unmanaged;
	size_t no_guest, unreferenced, other_node, stale, stale_critical;
	size_t snapshots, snap_warn, snap_crit;
};

static struct expect expect;

static void add_line(struct dm_line **l, size_t *n, uint64_t len, const char *type,
		     char *params)
{
	struct dm_line *x = array_push(l, n, sizeof(*x));

	x->start = 0;
	x->length = len;
	x->type = xstrdup(type);
	x->params = params;
}

/* Returns the index of a new device; indexes stay valid, pointers do not (realloc). */
static size_t add_dev(char *name, char *uuid, uint64_t len, const char *type, char *table,
		      const char *stype, char *status)
{
	struct dm_dev *d = array_push(&st.devs, &st.n_devs, sizeof(*d));

	d->name = name;
	d->uuid = uuid ? uuid : xstrdup("");
	d->major = DM_MAJOR;
	d->minor = next_minor++;
	d->live_table = true;
	d->event_nr = rnd_below(4);
	add_line(&d->table, &d->n_table, len, type, table);
	add_line(&d->status, &d->n_status, len, stype ? stype : type, status ? status : xstrdup(""));
	return st.n_devs - 1;
}

static void add_dep(size_t dev, uint32_t major, uint32_t minor)
{
	struct dm_dev *d = &st.devs[dev];

	*(uint64_t *)array_push(&d->deps, &d->n_deps, sizeof(uint64_t)) = makedev(major, minor);
}

static char *lvm_uuid(const struct vg *vg, const struct uuid *lv, const char *layer)
{
	return xasprintf("LVM-%s%s%s%s", vg->uuid.plain, lv->plain, layer ? "-" : "",
			 layer ? layer : "");
}

static size_t add_lv(const struct vg *vg, const char *name, const struct uuid *u,
		     const char *attr, const char *pool, const char *origin,
		     uint64_t sectors, double data, double meta, int64_t thin_id)
{
	struct lvm_lv *lv = array_push(&st.lvs, &st.n_lvs, sizeof(*lv));

	lv->vg_name = xstrdup(vg->name);
	lv->lv_name = xstrdup(name);
	lv->vg_uuid = xstrdup(vg->uuid.dashed);
	lv->lv_uuid = xstrdup(u->dashed);
	lv->attr = xstrdup(attr);
	lv->pool = xstrdup(pool ? pool : "");
	lv->origin = xstrdup(origin ? origin : "");
	lv->size = sectors * 512;
	lv->data_percent = data;
	lv->metadata_percent = meta;
	lv->thin_id = thin_id;
	return st.n_lvs - 1;
}

/* Allocates `sectors` (rounded up to extents) on the VG's PV; returns the PV offset. */
static uint64_t alloc_pe(struct vg *vg, uint64_t *sectors)
{
	uint64_t pe = (*sectors + EXTENT - 1) / EXTENT, first = vg->next_pe;

	vg->next_pe += pe;
	*sectors = pe * EXTENT;
	return vg->pe_start + first * EXTENT;
}

static void add_extent(const struct vg *vg, const char *lv, const struct uuid *u,
		       uint64_t start, uint64_t len)
{
	struct lvm_extent *x = array_push(&st.extents, &st.n_extents, sizeof(*x));

	x->vg_name = xstrdup(vg->name);
	x->lv_name = xstrdup(lv);
	x->lv_uuid = xstrdup(u->dashed);
	x->pv_major = vg->pv_major;
	x->pv_minor = vg->pv_minor;
	x->start = start;
	x->length = len;
}

/* What was made for one LV: enough to copy its mapping or stack on it later. */
struct made {
	int vg;
	size_t lv;		/* index into st.lvs */
	ssize_t dev;		/* -1 when inactive */
	struct uuid u;
	uint64_t start;		/* linear: sectors on the PV */
	uint64_t len;		/* sectors */
	int64_t thin_id;
	int vmid;
};

/* A linear LV on a VG's PV, with its extent; the dm device too when `active`. */
static struct made linear_lv(int vgi, const char *name, const char *attr, uint64_t sectors,
			     bool active, int open_count)
{
	struct vg *vg = &vgs[vgi];
	struct made m = { .vg = vgi, .dev = -1, .thin_id = -1 };

	m.start = alloc_pe(vg, &sectors);
	m.len = sectors;
	new_uuid(&m.u);
	m.lv = add_lv(vg, name, &m.u, attr, NULL, NULL, sectors, NAN, NAN, -1);
	add_extent(vg, name, &m.u, m.start, sectors);
	if (!active)
		return m;
	m.dev = add_dev(dm_name(vg->name, name, NULL), lvm_uuid(vg, &m.u, NULL), sectors, "linear",
			xasprintf("%u:%u %llu", vg->pv_major, vg->pv_minor,
				  (unsigned long long)m.start), NULL, NULL);
	st.devs[m.dev].open_count = open_count;
	add_dep(m.dev, vg->pv_major, vg->pv_minor);
	return m;
}

/* A thin volume of the VG's pool; the dm device too when `active`. */
static struct made thin_lv(int vgi, const char *name, const char *origin, uint64_t sectors,
			   bool active, bool skip_activation, int open_count)
{
	struct vg *vg = &vgs[vgi];
	double used = chance(10) ? 0 : (double)rnd_below(10000) / 100.0;
	uint64_t mapped = (uint64_t)(sectors * used / 100.0);
	struct made m = { .vg = vgi, .dev = -1, .len = sectors };
	char attr[11];

	m.thin_id = vg->next_thin_id++;
	new_uuid(&m.u);
	/* V w|r i - a|- o|- t z - k|-: a snapshot skipping activation is read-only */
	snprintf(attr, sizeof(attr), "V%ci-%c%ctz-%c", skip_activation ? 'r' : 'w',
		 active ? 'a' : '-', active && open_count ? 'o' : '-', skip_activation ? 'k' : '-');
	m.lv = add_lv(vg, name, &m.u, attr, vg->pool, origin, sectors, active ? used : NAN, NAN,
		      m.thin_id);
	if (!active)
		return m;
	m.dev = add_dev(dm_name(vg->name, name, NULL), lvm_uuid(vg, &m.u, NULL), sectors, "thin",
			xasprintf("%u:%u %lld", DM_MAJOR, vg->tpool_minor, (long long)m.thin_id),
			NULL,
			mapped ? xasprintf("%llu %llu", (unsigned long long)mapped,
					   (unsigned long long)(sectors - 1 - rnd_below(sectors / 2)))
			       : xstrdup("0 -"));
	st.devs[m.dev].open_count = open_count;
	add_dep(m.dev, DM_MAJOR, vg->tpool_minor);
	return m;
}

/* ---- the node's base: PVs, multipath LUNs, root/swap, thin pools ---- */

static void add_multipath(struct vg *vg, const char *name, uint32_t path_minor, bool degraded)
{
	uint64_t len = 16384ULL * GiB_SECTORS;	/* 16 TiB LUN */
	size_t dev;

	dev = add_dev(xstrdup(name), xasprintf("mpath-3600a098038303053%07llx",
						(unsigned long long)rnd_below(1 << 28)),
		      len, "multipath",
		      xasprintf("1 queue_if_no_path 1 alua 2 1 service-time 0 1 2 8:%u 1 1 "
				"service-time 0 1 2 8:%u 1 1", path_minor, path_minor + 16),
		      NULL,
		      xasprintf("2 0 0 0 2 1 A 0 1 2 8:%u A 0 0 1 E 0 1 2 8:%u %c %d 0 1",
				path_minor, path_minor + 16, degraded ? 'F' : 'A', degraded ? 3 : 0));
	st.devs[dev].open_count = 1;
	add_dep(dev, 8, path_minor);
	add_dep(dev, 8, path_minor + 16);
	vg->pv_major = DM_MAJOR;
	vg->pv_minor = st.devs[dev].minor;
	vg->pe_start = 2048;
	expect.unmanaged++;
	if (degraded)
		expect.snap_warn++;
}

/* thin pool: LVs pool, _tdata, _tmeta, lvol0_pmspare; devices _tmeta _tdata -tpool pool */
static void add_thin_pool(int vgi, uint64_t data_sectors, double data_pct, double meta_pct)
{
	struct vg *vg = &vgs[vgi];
	uint64_t meta_sectors = data_sectors / 1024 > EXTENT ? data_sectors / 1024 : EXTENT;
	uint64_t chunk = 128, total_data, total_meta;
	struct uuid pool, tdata, tmeta, spare;
	uint64_t tdata_at, tmeta_at, spare_at;
	size_t d_meta, d_data, d_tpool, d_pool;
	char *name;

	new_uuid(&pool);
	new_uuid(&tdata);
	new_uuid(&tmeta);
	new_uuid(&spare);
	spare_at = alloc_pe(vg, &meta_sectors);
	tmeta_at = alloc_pe(vg, &meta_sectors);
	tdata_at = alloc_pe(vg, &data_sectors);
	total_data = data_sectors / chunk;
	total_meta = meta_sectors / 8;		/* 4 KiB metadata blocks */

	add_lv(vg, vg->pool, &pool, "twi-aotz--", NULL, NULL, data_sectors,
	       data_pct, meta_pct, -1);
	name = xasprintf("%s_tdata", vg->pool);
	add_lv(vg, name, &tdata, "Twi-ao----", NULL, NULL, data_sectors, NAN, NAN, -1);
	add_extent(vg, name, &tdata, tdata_at, data_sectors);
	d_data = add_dev(dm_name(vg->name, name, NULL), lvm_uuid(vg, &tdata, NULL), data_sectors,
			 "linear", xasprintf("%u:%u %llu", vg->pv_major, vg->pv_minor,
					     (unsigned long long)tdata_at), NULL, NULL);
	add_dep(d_data, vg->pv_major, vg->pv_minor);
	st.devs[d_data].open_count = 1;
	free(name);

	name = xasprintf("%s_tmeta", vg->pool);
	add_lv(vg, name, &tmeta, "ewi-ao----", NULL, NULL, meta_sectors, NAN, NAN, -1);
	add_extent(vg, name, &tmeta, tmeta_at, meta_sectors);
	d_meta = add_dev(dm_name(vg->name, name, NULL), lvm_uuid(vg, &tmeta, NULL), meta_sectors,
			 "linear", xasprintf("%u:%u %llu", vg->pv_major, vg->pv_minor,
					     (unsigned long long)tmeta_at), NULL, NULL);
	add_dep(d_meta, vg->pv_major, vg->pv_minor);
	st.devs[d_meta].open_count = 1;
	free(name);

	add_lv(vg, "lvol0_pmspare", &spare, "ewi-------", NULL, NULL, meta_sectors, NAN, NAN, -1);
	add_extent(vg, "lvol0_pmspare", &spare, spare_at, meta_sectors);

	d_tpool = add_dev(dm_name(vg->name, vg->pool, "tpool"), lvm_uuid(vg, &pool, "tpool"),
			  data_sectors, "thin-pool",
			  xasprintf("%u:%u %u:%u %llu 0 1 skip_block_zeroing", DM_MAJOR,
				    st.devs[d_meta].minor, DM_MAJOR, st.devs[d_data].minor,
				    (unsigned long long)chunk),
			  NULL,
			  xasprintf("%llu %llu/%llu %llu/%llu - rw discard_passdown "
				    "queue_if_no_space - 1024", (unsigned long long)rnd_below(5000),
				    (unsigned long long)(total_meta * meta_pct / 100),
				    (unsigned long long)total_meta,
				    (unsigned long long)(total_data * data_pct / 100),
				    (unsigned long long)total_data));
	add_dep(d_tpool, DM_MAJOR, st.devs[d_meta].minor);
	add_dep(d_tpool, DM_MAJOR, st.devs[d_data].minor);
	vg->tpool_minor = st.devs[d_tpool].minor;
	vg->next_thin_id = 1;

	/* the pool LV itself: a linear view of the -tpool device */
	d_pool = add_dev(dm_name(vg->name, vg->pool, NULL), lvm_uuid(vg, &pool, "pool"),
			 data_sectors, "linear", xasprintf("%u:%u 0", DM_MAJOR, vg->tpool_minor),
			 NULL, NULL);
	add_dep(d_pool, DM_MAJOR, vg->tpool_minor);
	expect.internal += 4;
	if (data_pct >= 95 || meta_pct >= 95)
		expect.snap_crit++;
	else if (data_pct >= 80 || meta_pct >= 80)
		expect.snap_warn++;
}

static void add_infra(void)
{
	for (int i = 0; i < N_VGS; i++)
		new_uuid(&vgs[i].uuid);
	vgs[VG_PVE].pv_major = 8;
	vgs[VG_PVE].pv_minor = 3;		/* sda3 */
	vgs[VG_PVE].pe_start = 2048;
	vgs[VG_NVME].pv_major = 259;
	vgs[VG_NVME].pv_minor = 0;		/* nvme0n1 */
	vgs[VG_NVME].pe_start = 2048;
	add_multipath(&vgs[VG_SSD], "mpatha", 16, false);
	add_multipath(&vgs[VG_T1], "mpathb", 48, true);	/* one path failed: warning */

	linear_lv(VG_PVE, "swap", "-wi-ao----", 8 * GiB_SECTORS, true, 2);
	linear_lv(VG_PVE, "root", "-wi-ao----", 96 * GiB_SECTORS, true, 1);
	expect.valid += 2;
	/* seed 001's pool (data 60 %, metadata healthy); the NVMe pool is getting full */
	add_thin_pool(VG_PVE, 2800 * GiB_SECTORS, 60.01, 2.55);
	add_thin_pool(VG_NVME, 1800 * GiB_SECTORS, 86.40, 41.0);
}

/* ---- guests ---- */

struct plan {
	size_t guest;		/* index into st.guests */
	bool local;		/* config on this node, not a template: disks active here */
	int vg;			/* where its disks go */
	int n_disks;		/* planned disks */
	int n_active;		/* of which active (the first ones) */
	int next_disk[N_VGS];
};

static struct plan *plans;
static size_t n_plans;

static void add_ref(size_t guest, const char *key, const char *storage, const char *volume,
		    const char *snapshot)
{
	struct pve_guest *g = &st.guests[guest];
	struct pve_volref *r = array_push(&g->refs, &g->n_refs, sizeof(*r));

	r->key = xstrdup(key);
	r->storage = xstrdup(storage);
	r->volume = xstrdup(volume);
	r->snapshot = xstrdup(snapshot);
}

static uint64_t disk_size(void)
{
	static const uint64_t gib[] = { 8, 16, 32, 32, 50, 64, 100, 128, 256, 500 };

	return gib[rnd_below(ARRAY_SIZE(gib))] * GiB_SECTORS;
}

/* Config key of a guest's next disk: scsi0 virtio1 ... / rootfs mp0 mp1 ... */
static char *next_key(const struct pve_guest *g)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n_refs; i++)
		k += g->refs[i].snapshot == NULL;
	if (g->type == GUEST_LXC)
		return k ? xasprintf("mp%zu", k - 1) : xstrdup("rootfs");
	if (k == 1 && chance(30))
		return xstrdup("efidisk0");
	return xasprintf("%s%zu", k % 2 ? "virtio" : "scsi", k);
}

/* A new disk of plan p on VG vgi: the LV, its device when active, its config line. */
static struct made new_disk(struct plan *p, int vgi, bool active, bool referenced)
{
	struct pve_guest *g = &st.guests[p->guest];
	char *lv = xasprintf("vm-%d-disk-%d", g->vmid, p->next_disk[vgi]++);
	int open = active && g->running ? 1 : 0;
	struct made m;

	if (vgs[vgi].pool)
		m = thin_lv(vgi, lv, NULL, disk_size(), active, false, open);
	else
		m = linear_lv(vgi, lv, active ? (open ? "-wi-ao----" : "-wi-a-----") : "-wi-------",
			      disk_size(), active, open);
	m.vmid = g->vmid;
	if (referenced) {
		char *key = next_key(g);

		add_ref(p->guest, key, vgs[vgi].storage, lv, NULL);
		free(key);
	}
	free(lv);
	return m;
}

static void add_guests(size_t n_guests)
{
	int vmid = 100;

	for (size_t i = 0; i < n_guests; i++) {
		struct pve_guest *g = array_push(&st.guests, &st.n_guests, sizeof(*g));
		struct plan *p = array_push(&plans, &n_plans, sizeof(*p));

		vmid += 1 + (chance(10) ? (int)rnd_below(20) : 0);	/* gaps, as after deletions */
		g->vmid = vmid;
		g->type = chance(20) ? GUEST_LXC : GUEST_QEMU;
		g->name = xasprintf("%s-%zu", guest_names[rnd_below(ARRAY_SIZE(guest_names))], i);
		/* 70 % of the guests live on this node, the rest on the three others */
		g->node = xstrdup(chance(70) ? NODE : nodes[1 + rnd_below(3)]);
		g->template = chance(2);
		g->running = !strcmp(g->node, NODE) && !g->template && chance(75);
		p->guest = st.n_guests - 1;
		p->local = !strcmp(g->node, NODE) && !g->template;
		/* other nodes' local storage is not visible here: shared LUNs only */
		if (!p->local)
			p->vg = chance(50) ? VG_SSD : VG_T1;
		else
			p->vg = chance(50) ? VG_PVE : chance(40) ? VG_NVME : chance(50) ? VG_SSD : VG_T1;
		p->n_disks = g->type == GUEST_QEMU && chance(30) ? 2 : 1;
	}
}

/*
 * Every guest's disks exist as LVs; `budget` of this node's disks are active
 * (planned disks first, in guest order; more disks per guest when they run out).
 */
static size_t make_guest_disks(size_t budget)
{
	size_t n_local = 0, planned = 0, extra, done = 0, k = 0;

	for (size_t i = 0; i < n_plans; i++)
		if (plans[i].local) {
			n_local++;
			planned += plans[i].n_disks;
		}
	if (!n_local) {
		fprintf(stderr, "gen-state: no guest on %s: give more guests\n", NODE);
		exit(1);
	}
	extra = budget > planned ? budget - planned : 0;
	for (size_t i = 0; i < n_plans; i++) {
		struct plan *p = &plans[i];

		if (!p->local)
			continue;
		p->n_disks += extra / n_local + (k++ < extra % n_local);
		p->n_active = done + p->n_disks <= budget ? p->n_disks :
			      done < budget ? (int)(budget - done) : 0;
		done += p->n_active;
	}
	for (size_t i = 0; i < n_plans; i++) {
		struct plan *p = &plans[i];

		for (int d = 0; d < p->n_disks; d++)
			new_disk(p, p->vg, d < p->n_active, true);
	}
	expect.valid += done;
	return done;
}

/* Snapshot sections: [before-upgrade] with its own disk lines; thin snapshot LVs, vmstate */
static void add_snapshot_sections(void)
{
	for (size_t i = 0; i < n_plans; i++) {
		struct plan *p = &plans[i];
		struct pve_guest *g = &st.guests[p->guest];
		size_t n = g->n_refs;

		if (!chance(8))
			continue;
		for (size_t r = 0; r < n; r++) {
			char *key = xstrdup(g->refs[r].key), *storage = xstrdup(g->refs[r].storage);
			char *vol = xstrdup(g->refs[r].volume);

			add_ref(p->guest, key, storage, vol, "before-upgrade");
			/* on lvmthin a snapshot is a thin LV, not active (activation skip) */
			if (vgs[p->vg].pool) {
				char *snap = xasprintf("snap_%s_before-upgrade", vol);

				thin_lv(p->vg, snap, vol, disk_size(), false, true, 0);
				free(snap);
			}
			free(key);
			free(storage);
			free(vol);
		}
		if (g->type == GUEST_QEMU && vgs[p->vg].pool) {
			char *state = xasprintf("vm-%d-state-before-upgrade", g->vmid);

			add_ref(p->guest, "vmstate", vgs[p->vg].storage, state, "before-upgrade");
			thin_lv(p->vg, state, NULL, 4 * GiB_SECTORS, false, false, 0);
			free(state);
		}
	}
}

/* The i'th plan (round robin) that is local / remote */
static struct plan *pick_plan(bool local, size_t *cursor)
{
	for (size_t tries = 0; tries < n_plans; tries++) {
		struct plan *p = &plans[(*cursor)++ % n_plans];

		if (p->local == local && !st.guests[p->guest].template)
			return p;
	}
	return NULL;
}

/* ---- trouble ---- */

/*
 * Classic snapshot of an active linear disk, as `lvcreate -s` leaves it (seed 002):
 * the origin's table becomes snapshot-origin over a new -real device, the snapshot
 * maps -real plus its -cow.
 */
static void add_classic_snapshot(const struct made *origin, int k)
{
	struct vg *vg = &vgs[origin->vg];
	const char *lv = st.lvs[origin->lv].lv_name;
	char *snap = xasprintf("snap-%d-%d", origin->vmid, k);
	uint64_t cow_len = (1 + rnd_below(4)) * GiB_SECTORS, chunks = cow_len / 8, alloc;
	uint64_t cow_at = alloc_pe(vg, &cow_len), pct = rnd_below(100);
	size_t real, cow, dev;
	struct uuid su;
	char *status, attr[11] = "swi-a-s---";
	double used;

	/* most are fine, some fill up during the backup, a few already overflowed */
	if (pct < 60)
		used = rnd_below(7000) / 100.0;
	else if (pct < 80)
		used = 80 + rnd_below(1400) / 100.0;
	else if (pct < 93)
		used = 95 + rnd_below(490) / 100.0;
	else
		used = -1;
	alloc = used < 0 ? 0 : (uint64_t)(chunks * used / 100.0) * 8;
	if (used < 0) {
		status = xstrdup("Invalid");
		attr[4] = 'I';
		expect.snap_crit++;
	} else {
		status = xasprintf("%llu/%llu %llu", (unsigned long long)alloc,
				   (unsigned long long)cow_len, (unsigned long long)(alloc / 256 + 16));
		used = 100.0 * alloc / cow_len;
		if (used >= 95)
			expect.snap_crit++;
		else if (used >= 80)
			expect.snap_warn++;
	}

	new_uuid(&su);
	add_lv(vg, snap, &su, attr, NULL, lv, cow_len, used < 0 ? 100.0 : used, NAN, -1);
	add_extent(vg, snap, &su, cow_at, cow_len);
	free(st.lvs[origin->lv].attr);
	st.lvs[origin->lv].attr = xstrdup("owi-aos---");

	real = add_dev(dm_name(vg->name, lv, "real"), lvm_uuid(vg, &origin->u, "real"),
		       origin->len, "linear", xstrdup(st.devs[origin->dev].table[0].params),
		       NULL, NULL);
	add_dep(real, vg->pv_major, vg->pv_minor);
	st.devs[real].open_count = 2;
	cow = add_dev(dm_name(vg->name, snap, "cow"), lvm_uuid(vg, &su, "cow"), cow_len, "linear",
		      xasprintf("%u:%u %llu", vg->pv_major, vg->pv_minor,
				(unsigned long long)cow_at), NULL, NULL);
	add_dep(cow, vg->pv_major, vg->pv_minor);
	st.devs[cow].open_count = 1;
	dev = add_dev(dm_name(vg->name, snap, NULL), lvm_uuid(vg, &su, NULL), origin->len,
		      "snapshot", xasprintf("%u:%u %u:%u P 8", DM_MAJOR, st.devs[real].minor,
					    DM_MAJOR, st.devs[cow].minor), NULL, status);
	st.devs[dev].open_count = chance(50);	/* the backup reader */
	add_dep(dev, DM_MAJOR, st.devs[real].minor);
	add_dep(dev, DM_MAJOR, st.devs[cow].minor);

	/* the origin now goes through -real */
	{
		struct dm_dev *o = &st.devs[origin->dev];

		free(o->table[0].type);
		free(o->table[0].params);
		o->table[0].type = xstrdup("snapshot-origin");
		o->table[0].params = xasprintf("%u:%u", DM_MAJOR, st.devs[real].minor);
		free(o->status[0].type);
		o->status[0].type = xstrdup("snapshot-origin");
		o->deps[0] = makedev(DM_MAJOR, st.devs[real].minor);
	}
	expect.valid++;
	expect.internal += 2;
	expect.snapshots++;
	free(snap);
}

static char *upper(const char *s)
{
	char *u = xstrdup(s);

	for (char *p = u; *p; p++)
		*p = toupper((unsigned char)*p);
	return u;
}

/* A second mapping of an active LV's storage, without uuid (made by hand, or left over) */
static void add_duplicate(const struct made *m)
{
	const struct dm_dev *d = &st.devs[m->dev];
	struct vg *vg = &vgs[m->vg];
	const char *lv = st.lvs[m->lv].lv_name;
	size_t dev;

	if (vg->pool) {
		char *name = xasprintf("%s_old", lv);

		dev = add_dev(dm_name(vg->name, name, NULL), NULL, m->len, "thin",
			      xstrdup(d->table[0].params), NULL, xstrdup("0 -"));
		add_dep(dev, DM_MAJOR, vg->tpool_minor);
		free(name);
	} else {
		/* the VG once was "SSD-HA01" (seed 000): the old mapping kept the old name */
		char *old_vg = upper(vg->name);

		dev = add_dev(dm_name(old_vg, lv, NULL), NULL, m->len, "linear",
			      xstrdup(d->table[0].params), NULL, NULL);
		add_dep(dev, vg->pv_major, vg->pv_minor);
		free(old_vg);
	}
	expect.duplicate++;
}

/*
 * The LV was removed (on another node: shared storage) but this node kept its
 * mapping. `victim`: another LV that owns those extents now (critical), or NULL
 * for extents nobody owns (warning).
 */
static void add_stale(int vgi, int gone_vmid, const struct made *victim)
{
	struct vg *vg = &vgs[vgi];
	char *lv = xasprintf("vm-%d-disk-0", gone_vmid);
	uint64_t len = disk_size(), at;
	struct uuid u;
	size_t dev;

	new_uuid(&u);
	if (victim) {
		at = victim->start;
		len = victim->len;
		expect.stale_critical++;
	} else {
		at = alloc_pe(vg, &len);	/* freed: no LV, no extent */
	}
	dev = add_dev(dm_name(vg->name, lv, NULL), lvm_uuid(vg, &u, NULL), len, "linear",
		      xasprintf("%u:%u %llu", vg->pv_major, vg->pv_minor, (unsigned long long)at),
		      NULL, NULL);
	add_dep(dev, vg->pv_major, vg->pv_minor);
	expect.tombstone++;
	expect.stale++;
	free(lv);
}

static void add_crypt(int k)
{
	struct uuid u;
	char *id, *name;
	/* sdg.. sdp, then the next sd majors: one whole disk each */
	uint32_t maj = k < 10 ? 8 : 65 + (k - 10) / 16;
	uint32_t min = k < 10 ? 96 + 16 * k : 16 * ((k - 10) % 16);
	size_t dev;

	new_uuid(&u);
	id = xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", u.plain, u.plain + 8, u.plain + 12,
		       u.plain + 16, u.plain + 20);
	for (char *p = id; *p; p++)
		*p = tolower((unsigned char)*p);
	name = xasprintf("luks-%s", id);
	dev = add_dev(name, xasprintf("CRYPT-LUKS2-%.32s-%s", u.plain, name),
		      3907029168ULL - 32768, "crypt",
		      xasprintf("aes-xts-plain64 :64:logon:cryptsetup:%s-d0 0 %u:%u 32768", id,
				maj, min), NULL, xstrdup(""));
	st.devs[dev].open_count = 1;
	add_dep(dev, maj, min);
	free(id);
	expect.unmanaged++;
}

/* kpartx over a VM disk (someone looked inside it): "<disk>p1", uuid "part1-<disk uuid>" */
static void add_partition(const struct made *m)
{
	const struct dm_dev *d = &st.devs[m->dev];
	size_t dev;

	dev = add_dev(xasprintf("%sp1", d->name), xasprintf("part1-%s", d->uuid), m->len - 2048,
		      "linear", xasprintf("%u:%u 2048", d->major, d->minor), NULL, NULL);
	add_dep(dev, DM_MAJOR, d->minor);
	expect.internal++;
}

static size_t pct_of(size_t n, unsigned int pct)
{
	size_t v = n * pct / 100;

	return v ? v : 1;
}

static int generate(size_t n_devs, size_t n_guests)
{
	size_t r = n_devs > N_INFRA ? n_devs - N_INFRA : 0;
	size_t cursor_local = 0, cursor_remote = 0, budget, k;
	size_t n_snap = pct_of(r, 1), n_nog = pct_of(r, 3), n_unref = pct_of(r, 3);
	size_t n_other = pct_of(r, 2), n_stale = pct_of(r, 2), n_dup = pct_of(r, 1);
	size_t n_crypt = n_dup / 2 ? n_dup / 2 : 1, n_part = n_crypt;
	size_t n_dup_lin = (n_dup + 1) / 2, n_dup_thin = n_dup / 2;
	size_t trouble = 3 * n_snap + n_nog + n_unref + n_other + n_stale + n_dup + n_crypt + n_part;
	size_t n_cand = n_snap + n_dup_lin + n_dup_thin + n_part;
	struct made *lin = NULL, *thin = NULL, *inactive = NULL;
	size_t n_lin = 0, n_thin = 0, n_inactive = 0;
	int gone_vmid = 800000;

	if (r < trouble + n_cand) {
		fprintf(stderr, "gen-state: %zu devices is too few (at least %zu)\n", n_devs,
			N_INFRA + trouble + n_cand);
		return -EINVAL;
	}
	budget = r - trouble - n_cand;

	st.schema = STATE_SCHEMA;
	st.host = xstrdup(NODE);
	st.node = xstrdup(NODE);
	st.collected_at = 1795258365;	/* fixed: same output for the same arguments */
	st.dm_major = DM_MAJOR;
	st.have_dm = st.have_lvm = st.have_pve = true;
	add_infra();

	*(struct pve_storage *)array_push(&st.storages, &st.n_storages, sizeof(struct pve_storage)) =
		(struct pve_storage){ xstrdup("local"), PVE_STORAGE_OTHER, NULL, NULL, false };
	*(struct pve_storage *)array_push(&st.storages, &st.n_storages, sizeof(struct pve_storage)) =
		(struct pve_storage){ xstrdup("backup-nfs"), PVE_STORAGE_OTHER, NULL, NULL, true };
	for (int i = 0; i < N_VGS; i++)
		*(struct pve_storage *)array_push(&st.storages, &st.n_storages,
						  sizeof(struct pve_storage)) =
			(struct pve_storage){ xstrdup(vgs[i].storage),
					      vgs[i].pool ? PVE_STORAGE_LVMTHIN : PVE_STORAGE_LVM,
					      xstrdup(vgs[i].name), xstrdup(vgs[i].pool),
					      !vgs[i].pool };

	add_guests(n_guests);
	make_guest_disks(budget);
	add_snapshot_sections();

	/* disks made to have something to copy / stack on: valid themselves */
	for (k = 0; k < n_snap + n_dup_lin; k++) {
		struct plan *p = pick_plan(true, &cursor_local);

		*(struct made *)array_push(&lin, &n_lin, sizeof(struct made)) =
			new_disk(p, k % 2 ? VG_SSD : VG_T1, true, true);
	}
	for (k = 0; k < n_dup_thin + n_part; k++) {
		struct plan *p = pick_plan(true, &cursor_local);

		*(struct made *)array_push(&thin, &n_thin, sizeof(struct made)) =
			new_disk(p, k % 3 ? VG_PVE : VG_NVME, true, true);
	}
	expect.valid += n_cand;

	for (k = 0; k < n_snap; k++)
		add_classic_snapshot(&lin[k], k % 2);
	for (k = 0; k < n_dup_lin; k++)
		add_duplicate(&lin[n_snap + k]);
	for (k = 0; k < n_dup_thin; k++)
		add_duplicate(&thin[k]);
	for (k = 0; k < n_part; k++)
		add_partition(&thin[n_dup_thin + k]);

	/* tombstones */
	for (k = 0; k < n_nog; k++) {
		char *lv = xasprintf("vm-%d-disk-%zu", 900000 + (int)k, k % 2);

		/* a disk whose VM was destroyed while the node was out of the cluster */
		if (k % 4 == 3)
			linear_lv(k % 8 == 3 ? VG_SSD : VG_T1, lv, "-wi-a-----", disk_size(), true, 0);
		else
			thin_lv(k % 2 ? VG_NVME : VG_PVE, lv, NULL, disk_size(), true, false, 0);
		free(lv);
	}
	expect.tombstone += n_nog;
	expect.no_guest += n_nog;
	for (k = 0; k < n_unref; k++) {
		struct plan *p = pick_plan(true, &cursor_local);

		/* "qm disk rescan" never ran after a failed migration/restore */
		new_disk(p, k % 3 ? p->vg : VG_PVE, true, false);
	}
	expect.tombstone += n_unref;
	expect.unreferenced += n_unref;
	for (k = 0; k < n_other; k++) {
		struct plan *p = pick_plan(false, &cursor_remote);

		if (!p) {
			fprintf(stderr, "gen-state: no guest on another node: give more guests\n");
			return -EINVAL;
		}
		/* the guest moved away, its shared LV stayed active here */
		new_disk(p, k % 2 ? VG_SSD : VG_T1, true, true);
	}
	expect.tombstone += n_other;
	expect.other_node += n_other;
	/* victims for stale mappings: inactive shared LVs that took over freed extents */
	for (k = 0; k < n_stale / 2; k++) {
		struct plan *p = pick_plan(false, &cursor_remote);

		*(struct made *)array_push(&inactive, &n_inactive, sizeof(struct made)) =
			new_disk(p, k % 2 ? VG_SSD : VG_T1, false, true);
	}
	for (k = 0; k < n_stale; k++)
		add_stale(k % 2 ? VG_SSD : VG_T1, gone_vmid + (int)k,
			  k < n_inactive ? &inactive[k] : NULL);
	for (k = 0; k < n_crypt; k++)
		add_crypt(k);

	free(lin);
	free(thin);
	free(inactive);
	if (st.n_devs != n_devs) {
		fprintf(stderr, "gen-state: made %zu devices instead of %zu (bug)\n", st.n_devs,
			n_devs);
		return -EINVAL;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen-state [-s SEED] [-q] DEVICES GUESTS OUTPUT\n"
		"Writes a saved state (dmwatch scan --state OUTPUT) of a Proxmox node with\n"
		"DEVICES dm devices and a cluster of GUESTS guests; same seed, same file.\n");
}

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > 10000000)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	size_t n_devs, n_guests;
	uint64_t seed = 1;
	bool quiet = false;
	int opt, err;

	while ((opt = getopt(argc, argv, "s:qh")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (argc - optind != 3 || !parse_size(argv[optind], &n_devs) ||
	    !parse_size(argv[optind + 1], &n_guests)) {
		usage();
		return 2;
	}
	/* fewer and some kinds of trouble (other-node, stale victims) have no guest to use */
	if (n_guests < 10) {
		fprintf(stderr, "gen-state: at least 10 guests\n");
		return 2;
	}
	rng_state = seed;
	err = generate(n_devs, n_guests);
	if (!err) {
		state_normalize(&st);
		err = state_save_json(&st, argv[optind + 2]);
		if (err)
			fprintf(stderr, "gen-state: %s: %s\n", argv[optind + 2], strerror(-err));
	}
	if (!err && !quiet)
		fprintf(stderr, "gen-state: %s: %zu devices, %zu guests, %zu LVs, %zu extents\n"
			"expect: valid=%zu internal=%zu tombstones=%zu duplicates=%zu "
			"unmanaged=%zu (no-guest=%zu unreferenced=%zu other-node=%zu stale=%zu "
			"of which critical=%zu) snapshots=%zu space-warnings=%zu "
			"space-criticals=%zu\n",
			argv[optind + 2], st.n_devs, st.n_guests, st.n_lvs, st.n_extents,
			expect.valid, expect.internal, expect.tombstone, expect.duplicate,
			expect.unmanaged, expect.no_guest, expect.unreferenced, expect.other_node,
			expect.stale, expect.stale_critical, expect.snapshots, expect.snap_warn,
			expect.snap_crit);
	free(plans);
	state_free(&st);
	return err ? 1 : 0;
}
