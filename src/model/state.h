/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collected state of a node: everything scan's classification looks at.
 * Filled by the live collectors (dm.c, lvm.c, pve.c) or loaded from a saved
 * JSON state (state.c); both must give the same model.
 */
#ifndef DMWATCH_STATE_H
#define DMWATCH_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define STATE_SCHEMA 1

/* Snapshot and thin pool fill: warning and critical by default (scan --warn, --crit) */
#define FILL_WARN_PERCENT_DEFAULT	80.0
#define FILL_CRIT_PERCENT_DEFAULT	95.0

/* One line of a dm table or status: "<start> <length> <type> <params>" */
struct dm_line {
	uint64_t start;		/* sectors */
	uint64_t length;	/* sectors */
	char *type;		/* target type: linear, thin-pool, snapshot ... */
	char *params;
};

struct dm_dev {
	char *name;
	char *uuid;		/* "" when the mapping has none */
	uint32_t major, minor;
	int32_t open_count;
	uint32_t event_nr;
	bool suspended;
	bool read_only;
	bool live_table;
	bool name_unmangled;	/* stored raw (dmsetup --manglename none), outside the whitelist */
	struct dm_line *table;	/* DM_DEVICE_TABLE */
	size_t n_table;
	struct dm_line *status;	/* DM_DEVICE_STATUS, same order as table */
	size_t n_status;
	uint64_t *deps;		/* makedev() of the devices it maps onto */
	size_t n_deps;
};

struct lvm_lv {
	char *vg_name;
	char *lv_name;
	char *vg_uuid;		/* as lvs prints it (with dashes) */
	char *lv_uuid;
	char *attr;		/* lv_attr, 10 chars */
	char *pool;		/* pool_lv, "" if none */
	char *origin;		/* origin, "" if none */
	uint64_t size;		/* bytes */
	double data_percent;	/* NaN when not applicable */
	double metadata_percent;
	int64_t thin_id;	/* -1 when not a thin volume */
};

/* A physical extent range of an LV on a PV, in sectors of the PV's device */
struct lvm_extent {
	char *vg_name;
	char *lv_name;
	char *lv_uuid;
	uint32_t pv_major, pv_minor;
	uint64_t start;		/* sectors */
	uint64_t length;	/* sectors */
};

enum pve_storage_type {
	PVE_STORAGE_OTHER = 0,
	PVE_STORAGE_LVM,
	PVE_STORAGE_LVMTHIN,
};

struct pve_storage {
	char *id;
	enum pve_storage_type type;
	char *vgname;
	char *thinpool;		/* lvmthin only */
	bool shared;
};

enum guest_type {
	GUEST_QEMU = 0,
	GUEST_LXC,
};

/* "qemu" or "lxc", Proxmox's names (config dirs qemu-server/lxc, the JSON contract) */
const char *guest_type_name(enum guest_type type);

/* A volume a guest config references: "<storage>:<volume>" */
struct pve_volref {
	char *key;		/* scsi0, rootfs, unused1, vmstate ... */
	char *storage;
	char *volume;		/* vm-101-disk-0, base-100-disk-0/vm-102-disk-0 -> vm-102-disk-0 */
	char *snapshot;		/* [snapshot] section it came from, NULL for the current config */
};

struct pve_guest {
	int vmid;
	enum guest_type type;
	char *name;		/* name: / hostname: */
	char *node;		/* node whose config dir holds it */
	bool running;		/* only known for guests of this node */
	bool template;
	bool config_error;	/* config unreadable or with bad lines: refs may be incomplete */
	struct pve_volref *refs;
	size_t n_refs;
};

/* A source that could not be read or parsed: reported as a finding, scan goes on. */
struct source_problem {
	char *source;		/* file or command */
	char *message;
};

struct state {
	int schema;
	char *host;		/* hostname */
	char *node;		/* Proxmox node name (= host unless told) */
	int64_t collected_at;	/* unix seconds */
	uint32_t dm_major;	/* from /proc/devices */

	bool have_dm;
	struct dm_dev *devs;
	size_t n_devs;

	bool have_lvm;
	struct lvm_lv *lvs;
	size_t n_lvs;
	struct lvm_extent *extents;
	size_t n_extents;

	bool have_pve;
	struct pve_storage *storages;
	size_t n_storages;
	struct pve_guest *guests;
	size_t n_guests;

	struct source_problem *problems;
	size_t n_problems;
};

void state_free(struct state *st);

/* Record a bad source (printf-style message); never fails. */
void state_add_problem(struct state *st, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Save to / load from the JSON state format (state.c). Return 0 or -errno;
 * on load failure *err gets a one-line reason (caller frees). */
int state_save_json(const struct state *st, const char *path);
int state_load_json(struct state *st, const char *path, char **err);

/* The table describing a dm table/status line (model/record.h), for other files that save one */
struct record_desc;
extern const struct record_desc dm_line_desc;

/* Sort every array into its canonical order, so a collected and a loaded state compare equal. */
/* Extents in order of their PV (major, minor), then of their start on it */
int lvm_extent_cmp_pos(const struct lvm_extent *x, const struct lvm_extent *y);
void state_normalize(struct state *st);

#endif /* DMWATCH_STATE_H */
