// SPDX-License-Identifier: GPL-2.0
/*
 * dm names and uuids as the kernel (or a saved state) hands them to classify:
 * split_lvm_name(), parse_lvm_uuid(), and the Proxmox volume names that come out
 * of them (pve_volume_vmid()), plus parse_majmin() for "maj:min" fields. The split
 * is checked against libdevmapper's dm_split_lvm_name().
 * The input is the whole string.
 */
#include <errno.h>
#include <libdevmapper.h>
#include "analyze/classify.h"
#include "model/dmstatus.h"
#include "collect/pve.h"
#include "lib/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *vg, *lv, *layer;
	/* exactly the sizes classify.h promises, on the heap so ASan sees an overrun */
	char *vgu = malloc(33), *lvu = malloc(33), *ul = malloc(32);
	uint32_t ma, mi;
	int vmid = -1;

	/* the same split as libdevmapper's own (linked here, opened by dmwatch) */
	char *dcopy = strdup(s), *dv = dcopy, *dl = NULL, *dy = NULL;
	bool dm_ok = dm_split_lvm_name(NULL, NULL, &dv, &dl, &dy) && *dv && dl && *dl;

	if (split_lvm_name(s, &vg, &lv, &layer)) {
		FUZZ_CHECK(dm_ok && !strcmp(vg, dv) && !strcmp(lv, dl) &&
			   !strcmp(layer, dy ? dy : ""));
		/* an LVM-style name has a VG and an LV; unescaping only shortens */
		FUZZ_CHECK(*vg && *lv);
		FUZZ_CHECK(strlen(vg) + strlen(lv) + strlen(layer) <= strlen(s));
		if (pve_volume_vmid(lv, PVE_STORAGE_OTHER, &vmid))
			FUZZ_CHECK(vmid > 0);
		free(vg);
		free(lv);
		free(layer);
	} else {
		FUZZ_CHECK(!dm_ok);
	}
	free(dcopy);

	if (parse_lvm_uuid(s, vgu, lvu, ul)) {
		FUZZ_CHECK(strlen(vgu) == 32 && strlen(lvu) == 32 && strlen(ul) < 32);
		FUZZ_CHECK(!strncmp(s, "LVM-", 4));
	}

	/* a config's volume or a dm name's LV part: both reach pve_volume_vmid */
	for (int t = PVE_STORAGE_OTHER; t <= PVE_STORAGE_LVMTHIN; t++) {
		vmid = -1;
		if (pve_volume_vmid(s, t, &vmid)) {
			FUZZ_CHECK(vmid > 0);
			/* whatever thick LVM takes, lvmthin takes too */
			FUZZ_CHECK(t != PVE_STORAGE_LVM || str_has_prefix(s, "snap_") ||
				   pve_volume_vmid(s, PVE_STORAGE_LVMTHIN, NULL));
			FUZZ_CHECK(pve_lvm_name_valid(s));
		}
		pve_volume_vmid(s, t, NULL);
	}

	switch (parse_majmin(s, &ma, &mi)) {
	case 0:
		FUZZ_CHECK(strchr(s, ':') != NULL);
		break;
	case -EINVAL:
		break;
	default:
		FUZZ_CHECK(!"parse_majmin returns 0 or -EINVAL");
	}

	free(vgu);
	free(lvu);
	free(ul);
	free(s);
	return 0;
}
