// SPDX-License-Identifier: GPL-2.0
/*
 * Proxmox guest configs (qemu-server/<vmid>.conf, lxc/<ctid>.conf): which volumes
 * they reference, read key by key as PVE's parse_vm_config / parse_pct_config and
 * foreach_volid / foreach_volume do.
 *
 * A volume we fail to see referenced becomes a "tombstone" that a cleanup may offer
 * to remove, so whenever a line is ambiguous we keep the reference (over-referencing
 * only hides an orphan; under-referencing endangers data), and a line that may have
 * hidden a reference marks the config as not fully read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "collect/pve.h"
#include "collect/pvetext.h"
#include "lib/util.h"

/* "<prefix><digits>" and nothing else */
static bool key_numbered(const char *key, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;

	if (strncmp(key, prefix, n) || !key[n])
		return false;
	for (p = key + n; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/*
 * Keys whose value is a volume (Drive.pm valid_drive_names_with_unused plus
 * vmstate; LXC valid_volume_keys_with_unused). Index ranges (ide0-3, scsi0-30 ...)
 * are not checked: a future PVE with scsi31 should not make a disk vanish from view.
 */
static bool is_disk_key(const char *key, enum guest_type type)
{
	static const char *const qemu_keys[] = {
		"ide", "sata", "scsi", "virtio", "efidisk", "tpmstate",
	};
	size_t i;

	if (key_numbered(key, "unused"))
		return true;
	if (type == GUEST_LXC)
		return !strcmp(key, "rootfs") || key_numbered(key, "mp");
	if (!strcmp(key, "vmstate"))
		return true;
	for (i = 0; i < ARRAY_SIZE(qemu_keys); i++)
		if (key_numbered(key, qemu_keys[i]))
			return true;
	return false;
}

/*
 * A volume id "<storage>:<volname>" (PVE::Storage::Plugin::parse_volume_id).
 * Returns 1 with *storage / *volume set for a volume of a storage that may be LVM,
 * 0 for things that are not (none, cdrom, /dev/sdb passthrough, bind mounts, a bare
 * file name, iso/ and vztmpl/ files, dir-storage image paths), -EINVAL if unreadable.
 */
static int parse_volume_id(char *spec, char **storage, char **volume)
{
	char *colon, *vol, *p;

	if (!*spec || pve_has_space(spec))
		return -EINVAL;
	if (!strcmp(spec, "none") || !strcmp(spec, "cdrom") || spec[0] == '/')
		return 0;
	colon = strchr(spec, ':');
	if (!colon)
		return 0;	/* a bare file name: PVE puts it on "local", not LVM */
	if (colon == spec || !colon[1])
		return -EINVAL;
	for (p = spec; p < colon; p++)
		if (!pve_id_char(*p))
			return -EINVAL;
	vol = colon + 1;
	p = strchr(vol, '/');
	if (p) {
		/* only a linked clone's "base-X-disk-N/vm-Y-disk-M" names a block volume */
		if (!str_has_prefix(vol, "base-") || !p[1] || strchr(p + 1, '/'))
			return 0;
		vol = p + 1;
	}
	*colon = 0;
	*storage = xstrdup(spec);
	*volume = xstrdup(vol);
	return 1;
}

/*
 * The volume of a disk value, a property string "[file=|volume=]<volume id>[,k=v...]":
 * as in PVE::JSONSchema::parse_property_string, the one element without '=' is the
 * default key's value wherever it stands ("cache=writeback,local-lvm:vm-100-disk-0").
 */
static int parse_disk_value(const char *value, char **storage, char **volume)
{
	char *buf = xstrdup(value), *cur = buf, *elem, *spec = NULL;
	int ret;

	while ((elem = strsep(&cur, ","))) {
		elem = strtrim(elem);
		if (str_has_prefix(elem, "file=") || str_has_prefix(elem, "volume=")) {
			spec = strchr(elem, '=') + 1;
			break;
		}
		if (!spec && *elem && !strchr(elem, '='))
			spec = elem;
	}
	ret = spec ? parse_volume_id(strtrim(spec), storage, volume) : -EINVAL;
	free(buf);
	return ret;
}

enum section_kind {
	SEC_MAIN = 0,
	SEC_SNAPSHOT,
	SEC_PENDING,		/* changes not applied yet: their disks exist already */
	SEC_CLOUDINIT,		/* [special:cloudinit]: informative copies, no volumes */
	SEC_FLEECING,		/* [special:fleecing]: backup fleecing images */
	SEC_UNKNOWN,		/* PVE skips it; we still count its volumes */
};

/* PVE snapshot names: [a-z][a-z0-9_-]+, case-insensitive */
static bool valid_snapshot_name(const char *s)
{
	if (!isalpha((unsigned char)*s) || !s[1])
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/*
 * A "[...]" line: switch section. qemu knows [PENDING] and [special:cloudinit|fleecing],
 * LXC [pve:pending]; any other well-formed name is a snapshot. Sets *snapname to the
 * snapshot's name (or NULL) to use from now on.
 */
static enum section_kind parse_section(struct state *st, const char *source, int lineno,
				       char *line, enum guest_type type, char **snapname)
{
	size_t len = strlen(line);
	char *inner;

	free(*snapname);
	*snapname = NULL;
	if (len < 2 || line[len - 1] != ']') {
		state_add_problem(st, source, "line %d: cannot parse section header '%.*s'",
				  lineno, QUOTE_MAX, line);
		/*
		 * A garbled header still starts a section: its lines must not be
		 * mistaken for the current config (a snapshot's name: would rename
		 * the guest), yet the disks they list still count as referenced.
		 */
		return SEC_UNKNOWN;
	}
	line[len - 1] = 0;
	inner = strtrim(line + 1);
	if (type == GUEST_QEMU && !strcasecmp(inner, "PENDING"))
		return SEC_PENDING;
	if (type == GUEST_LXC && !strcasecmp(inner, "pve:pending"))
		return SEC_PENDING;
	if (type == GUEST_QEMU && !strcasecmp(inner, "special:fleecing"))
		return SEC_FLEECING;
	if (type == GUEST_QEMU && !strcasecmp(inner, "special:cloudinit"))
		return SEC_CLOUDINIT;
	if (!valid_snapshot_name(inner)) {
		vlog("%s: line %d: section '[%s]' is skipped by Proxmox", source, lineno, inner);
		return SEC_UNKNOWN;
	}
	*snapname = xstrdup(inner);
	return SEC_SNAPSHOT;
}

static void add_ref(struct pve_guest *g, const char *key, char *storage, char *volume,
		    const char *snapshot)
{
	struct pve_volref *r = array_push(&g->refs, &g->n_refs, sizeof(*r));

	r->key = xstrdup(key);
	r->storage = storage;
	r->volume = volume;
	r->snapshot = xstrdup(snapshot);
}

/*
 * "key: value" as parse_vm_config / parse_pct_config read it; LXC also has raw
 * "lxc.some.key = value" and "lxc.some.key: value" lines. Returns false for a line
 * that is neither. The value may be empty.
 */
static bool split_key_value(char *line, char **key, char **value)
{
	char *p = line;

	while (pve_id_char(*p))
		p++;
	if (p == line)
		return false;
	if (*p == ':') {
		*p++ = 0;
	} else if (str_has_prefix(line, "lxc.")) {
		char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			return false;
		*p = 0;
		p = q + 1;
	} else {
		return false;
	}
	*key = line;
	*value = strtrim(p);
	return true;
}

/* fleecing-images: a pve-volume-id-list, split as PVE::Tools::split_list does (, ; blanks) */
static void add_fleecing_refs(struct state *st, const char *source, int lineno,
			      struct pve_guest *g, const char *key, const char *value)
{
	char *buf = xstrdup(value), *cur = buf, *volid;

	while ((volid = strsep(&cur, ",; \t"))) {
		char *storage = NULL, *volume = NULL;
		int r;

		if (!*volid)
			continue;
		r = parse_volume_id(volid, &storage, &volume);
		if (r < 0)
			state_add_problem(st, source, "line %d: cannot read the volume '%.*s' of %s",
					  lineno, QUOTE_MAX, volid, key);
		else if (r > 0)
			add_ref(g, key, storage, volume, NULL);
	}
	free(buf);
}

struct parse_pos {
	struct state *st;
	const char *source;
	int lineno;
	enum section_kind section;
	const char *snapname;
};

/* One "key: value" line of a section. */
static void parse_property(const struct parse_pos *pos, struct pve_guest *guest, char *key,
			   const char *value)
{
	char *storage = NULL, *volume = NULL;
	int r;

	if (!*value) {
		/* "boot: " is how Proxmox writes an empty value: nothing to read */
		return;
	}
	if (pos->section == SEC_MAIN) {
		if (!strcmp(key, guest->type == GUEST_LXC ? "hostname" : "name")) {
			free(guest->name);
			guest->name = xstrdup(value);
			return;
		}
		if (!strcmp(key, "template")) {
			guest->template = strcmp(value, "0") != 0;
			return;
		}
	}
	if (pos->section == SEC_FLEECING) {
		if (!strcmp(key, "fleecing-images"))
			add_fleecing_refs(pos->st, pos->source, pos->lineno, guest, key, value);
		return;
	}
	if (pos->section == SEC_CLOUDINIT)
		return;
	if (guest->type == GUEST_QEMU && !strcmp(key, "cdrom"))
		key = "ide2";	/* parse_vm_config's alias */
	if (!is_disk_key(key, guest->type))
		return;
	r = parse_disk_value(value, &storage, &volume);
	if (r < 0) {
		state_add_problem(pos->st, pos->source, "line %d: cannot read the volume of %s: '%.*s'",
				  pos->lineno, key, QUOTE_MAX, value);
		return;
	}
	if (r == 0)
		return;
	/* pending and unknown sections describe disks that exist now, not a snapshot's */
	add_ref(guest, key, storage, volume, pos->section == SEC_SNAPSHOT ? pos->snapname : NULL);
}

int pve_parse_guest_config(struct state *st, const char *source, const char *text,
			   struct pve_guest *guest)
{
	struct parse_pos pos = { .st = st, .source = source, .section = SEC_MAIN };
	char *buf, *cur, *line, *snapname = NULL;
	size_t problems_before;

	if (!st || !text || !guest)
		return -EINVAL;
	problems_before = st->n_problems;
	buf = xstrdup(text);
	cur = buf;
	while ((line = pve_next_line(&cur))) {
		char *key, *value;

		pos.lineno++;
		line = strtrim(line);
		if (!*line || *line == '#')
			continue;
		if (*line == '[') {
			pos.section = parse_section(st, source, pos.lineno, line, guest->type,
						    &snapname);
			pos.snapname = snapname;
			continue;
		}
		if (!split_key_value(line, &key, &value)) {
			state_add_problem(st, source, "line %d: cannot parse '%.*s'",
					  pos.lineno, QUOTE_MAX, line);
			continue;
		}
		parse_property(&pos, guest, key, value);
	}
	/* any line we could not read may have been a disk: refs are not the whole truth */
	if (st->n_problems > problems_before)
		guest->config_error = true;
	free(snapname);
	free(buf);
	return 0;
}
