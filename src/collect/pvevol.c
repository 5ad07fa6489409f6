// SPDX-License-Identifier: GPL-2.0
/*
 * Proxmox volume names on LVM storages, read the way PVE::Storage reads them:
 * LVMPlugin::parse_volname takes "vm-<id>-<rest>" only, LvmThinPlugin::parse_volname
 * also "base-<id>-<rest>" (templates), both after Plugin::parse_lvm_name's character
 * rule. Snapshots are LVs of their own: on lvmthin "snap_<volname>_<snap>", on thick
 * LVM with snapshot-as-volume-chain "snap_<volname without extension>_<snap>.qcow2".
 */
#include <stdlib.h>
#include <string.h>
#include "collect/pve.h"
#include "collect/pvetext.h"
#include "lib/util.h"

#define CHAIN_SUFFIX	".qcow2"

bool pve_lvm_name_valid(const char *name)
{
	size_t n = strlen(name);

	/* ^[a-z0-9][a-z0-9\-\_\.]*[a-z0-9]$, case-insensitive */
	if (n < 2 || !isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]))
		return false;
	for (size_t i = 1; i < n - 1; i++)
		if (!pve_id_char(name[i]))
			return false;
	return true;
}

/*
 * "vm-<id>-<rest>" (or "base-<id>-<rest>" where the storage type allows it); *rest
 * gets what follows "<id>-", which PVE lets be anything non-blank.
 */
static bool parse_image_name(const char *v, enum pve_storage_type type, int *vmid,
			     const char **rest)
{
	const char *p;

	if (str_has_prefix(v, "vm-"))
		p = v + 3;
	else if (type != PVE_STORAGE_LVM && str_has_prefix(v, "base-"))
		p = v + 5;
	else
		return false;
	if (!pve_parse_vmid_at(&p, vmid) || *p != '-' || !p[1])
		return false;
	*rest = p + 1;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/*
 * "snap_<volume>_<snap>[.qcow2]": the volume part may hold '_' itself, so any '_'
 * after its "vm-<id>-" start may be the separator; one is enough for a vmid.
 */
static bool parse_snapshot_lv(const char *v, enum pve_storage_type type, int *vmid)
{
	bool chain = ends_with(v, CHAIN_SUFFIX);
	enum pve_storage_type inner = type;
	const char *rest, *us;

	if (type == PVE_STORAGE_LVM && !chain)
		return false;
	/* a volume chain lives on thick LVM, whose plugin knows no base- images */
	if (type == PVE_STORAGE_OTHER && chain && str_has_prefix(v + 5, "base-"))
		inner = PVE_STORAGE_LVMTHIN;
	if (!parse_image_name(v + 5, inner, vmid, &rest))
		return false;
	us = strchr(rest, '_');
	if (!us || us == rest || !us[1])
		return false;
	if (type == PVE_STORAGE_LVM && strlen(us + 1) <= strlen(CHAIN_SUFFIX))
		return false;
	return true;
}

bool pve_volume_vmid(const char *volume, enum pve_storage_type type, int *vmid)
{
	const char *rest;
	int id;

	if (!volume || !pve_lvm_name_valid(volume))
		return false;
	if (str_has_prefix(volume, "snap_")) {
		if (!parse_snapshot_lv(volume, type, &id))
			return false;
	} else if (!parse_image_name(volume, type, &id, &rest)) {
		return false;
	}
	if (vmid)
		*vmid = id;
	return true;
}

char *pve_snapshot_lv(const char *volume, const char *snap, enum pve_storage_type type)
{
	const char *dot;

	if (type == PVE_STORAGE_LVMTHIN)
		return xasprintf("snap_%s_%s", volume, snap);
	/* LVMPlugin's get_snap_name drops the volume's extension, then adds .qcow2 */
	dot = strrchr(volume, '.');
	return xasprintf("snap_%.*s_%s" CHAIN_SUFFIX, (int)(dot ? dot - volume : (long)strlen(volume)),
			 volume, snap);
}
