/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proxmox VE configuration: storage.cfg, guest configs (qemu-server, lxc) of every
 * node in the cluster, and which guests run on this node. What counts as a volume
 * reference follows Proxmox's own Perl (PVE::QemuServer parse_vm_config and
 * foreach_volid, PVE::LXC::Config parse_pct_config and foreach_volume,
 * PVE::Storage LVMPlugin / LvmThinPlugin parse_volname).
 */
#ifndef DMWATCH_PVE_H
#define DMWATCH_PVE_H

#include "model/state.h"

/*
 * storage.cfg text -> storages (all types; vgname/thinpool set for lvm/lvmthin).
 * Malformed stanzas are skipped and reported through state_add_problem(st, source, ...).
 * Returns 0, or -EINVAL if nothing at all could be read.
 */
int pve_parse_storage_cfg(struct state *st, const char *source, const char *text);

/*
 * One guest config file's text -> guest (vmid, type and node given by the caller,
 * from the file's place). Collects every volume the config references, whatever
 * vmid the volume's name carries: qemu drives (ide/sata/scsi/virtio, cdrom = ide2,
 * efidisk, tpmstate), unusedN, vmstate, LXC rootfs/mpN/unusedN, in the current
 * config, [PENDING] / [pve:pending] and every [snapshot] section, and the backup
 * fleecing images of [special:fleecing]. Name and template flag come from the
 * current config only. Empty values ("boot: ") are valid and carry nothing. Lines
 * that may have hidden a reference are reported via state_add_problem and set
 * guest->config_error.
 */
int pve_parse_guest_config(struct state *st, const char *source, const char *text,
			   struct pve_guest *guest);

/* PVE::Storage::Plugin::parse_lvm_name: [A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9] */
bool pve_lvm_name_valid(const char *name);

/*
 * Is LV `volume` a guest image of a storage of `type`, and whose (the vmid in its
 * name)? Thick lvm: vm-<id>-*; lvmthin: also base-<id>-*; snapshot LVs
 * snap_<volume>_<snap> (lvmthin) and snap_<volume>_<snap>.qcow2 (volume chain on
 * thick lvm) give their volume's vmid. PVE_STORAGE_OTHER (no storage known for the
 * VG) accepts what either plugin would. Only a fallback: the configs decide who
 * uses a volume, the name only whose it was.
 */
bool pve_volume_vmid(const char *volume, enum pve_storage_type type, int *vmid);

/*
 * The LV that holds snapshot `snap` of `volume` on a storage of `type`
 * (PVE_STORAGE_LVMTHIN: snap_<volume>_<snap>; lvm: snap_<volume sans extension>_<snap>.qcow2).
 * Caller frees.
 */
char *pve_snapshot_lv(const char *volume, const char *snap, enum pve_storage_type type);

/*
 * Read <pve_dir>/storage.cfg and <pve_dir>/nodes/<node>/{qemu-server,lxc}/<id>.conf for
 * all nodes into st. No pve_dir at all -> st->have_pve = false, returns 0. `node`
 * (may be NULL) is only checked for having a directory.
 */
int pve_collect_configs(struct state *st, const char *pve_dir, const char *node);

/*
 * pve_collect_configs(), then mark guests of `node` running from
 * <run_dir>/qemu-server/<vmid>.pid (a live pid whose /proc/<pid>/cmdline mentions the
 * vmid) and LXC runtime state.
 */
int pve_collect(struct state *st, const char *pve_dir, const char *run_dir, const char *node);

#endif /* DMWATCH_PVE_H */
