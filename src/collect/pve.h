/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proxmox VE configuration: storage.cfg, guest configs (qemu-server, lxc) of every
 * node in the cluster, and which guests run on this node.
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
 * from the file's place). Collects every volume reference of the current config and
 * of each [snapshot] section (disk keys, unusedN, vmstate, LXC rootfs/mpN); name,
 * template flag. Lines it cannot read are reported via state_add_problem and skipped.
 */
int pve_parse_guest_config(struct state *st, const char *source, const char *text,
			   struct pve_guest *guest);

/*
 * Parse a Proxmox volume name: vm-<id>-disk-<n>, base-<id>-disk-<n>, vm-<id>-cloudinit,
 * vm-<id>-state-<snap>, snap_<volume>_<snapname>, and linked clones "base-100-disk-0/vm-102-disk-0"
 * (the part after '/' is the volume). Sets *vmid; returns true if it is a guest volume.
 */
bool pve_volume_vmid(const char *volume, int *vmid);

/*
 * Read <pve_dir>/storage.cfg and <pve_dir>/nodes/<node>/{qemu-server,lxc}/<id>.conf for all
 * nodes into st; mark guests of `node` running from <run_dir>/qemu-server/<vmid>.pid
 * (a live pid whose /proc/<pid>/cmdline mentions the vmid) and LXC runtime state.
 * No pve_dir at all -> st->have_pve = false, returns 0.
 */
int pve_collect(struct state *st, const char *pve_dir, const char *run_dir, const char *node);

#endif /* DMWATCH_PVE_H */
