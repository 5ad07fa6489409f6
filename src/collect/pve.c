// SPDX-License-Identifier: GPL-2.0
/*
 * Proxmox VE configuration: storage.cfg, the guest configs of every node of the
 * cluster, and which guests of this node run.
 *
 * Everything read here decides whether a dm device is somebody's disk. A volume we
 * fail to see referenced becomes a "tombstone" that a cleanup may offer to remove,
 * so whenever a line is ambiguous we keep the reference (over-referencing only
 * hides an orphan; under-referencing endangers data), and whenever a source cannot
 * be read we say so in st->problems rather than pretending it was empty.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "collect/pve.h"
#include "lib/util.h"

/* pmxcfs caps its files at about 1 MiB: anything much bigger is not a Proxmox config */
#define PVE_FILE_MAX	(16u << 20)
/* /proc/net/unix on a busy host can be large */
#define UNIX_SOCKETS_MAX	(256u << 20)

/* Problem messages quote the offending line, but not a megabyte of it */
#define QUOTE_MAX	80

/* Next line of the buffer at *cur, cut in place, '\r' removed; NULL at the end. */
static char *next_line(char **cur)
{
	char *s = *cur, *nl;
	size_t len;

	if (!s || (!*s))
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		*cur = nl + 1;
	} else {
		*cur = s + strlen(s);
	}
	len = strlen(s);
	if (len && s[len - 1] == '\r')
		s[len - 1] = 0;
	return s;
}

/* Storage ids and config keys: [A-Za-z0-9_.-] (PVE's own ids are narrower). */
static bool is_id_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

/* ---- storage.cfg ---- */

struct stanza {
	bool open;		/* a header was read and the stanza not yet closed */
	bool bad;		/* header unreadable: swallow its properties */
	int line;
	char *type;
	char *id;
	char *vgname;
	char *thinpool;
	bool shared;
};

static void stanza_reset(struct stanza *s)
{
	free(s->type);
	free(s->id);
	free(s->vgname);
	free(s->thinpool);
	memset(s, 0, sizeof(*s));
}

static bool storage_exists(const struct state *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->n_storages; i++)
		if (st->storages[i].id && !strcmp(st->storages[i].id, id))
			return true;
	return false;
}

/*
 * Close the current stanza: keep it if it is complete. An lvm/lvmthin storage
 * without its VG is dropped, not kept half-filled, so that nobody maps a storage
 * id to a NULL VG; classification then falls back to name matching for it.
 */
static void stanza_finish(struct state *st, const char *source, struct stanza *s)
{
	enum pve_storage_type type = PVE_STORAGE_OTHER;
	struct pve_storage *ps;

	if (!s->open || s->bad)
		goto cleanup;
	if (!strcmp(s->type, "lvm"))
		type = PVE_STORAGE_LVM;
	else if (!strcmp(s->type, "lvmthin"))
		type = PVE_STORAGE_LVMTHIN;

	if (type != PVE_STORAGE_OTHER && str_empty(s->vgname)) {
		state_add_problem(st, source, "line %d: %s storage '%s' has no vgname, ignored",
				  s->line, s->type, s->id);
		goto cleanup;
	}
	if (type == PVE_STORAGE_LVMTHIN && str_empty(s->thinpool)) {
		state_add_problem(st, source, "line %d: lvmthin storage '%s' has no thinpool, ignored",
				  s->line, s->id);
		goto cleanup;
	}
	if (storage_exists(st, s->id)) {
		state_add_problem(st, source, "line %d: storage '%s' defined twice, second ignored",
				  s->line, s->id);
		goto cleanup;
	}

	ps = array_push(&st->storages, &st->n_storages, sizeof(*ps));
	ps->id = s->id;
	ps->type = type;
	if (type != PVE_STORAGE_OTHER) {
		ps->vgname = s->vgname;
		s->vgname = NULL;
	}
	if (type == PVE_STORAGE_LVMTHIN) {
		ps->thinpool = s->thinpool;
		s->thinpool = NULL;
	}
	ps->shared = s->shared;
	s->id = NULL;
cleanup:
	stanza_reset(s);
}

/* "<type>: <id>" at column 0 */
static bool parse_stanza_header(char *line, struct stanza *s)
{
	char *colon = strchr(line, ':');
	char *id, *p;

	if (!colon || colon == line)
		return false;
	for (p = line; p < colon; p++)
		if (!isalnum((unsigned char)*p))
			return false;
	id = strtrim(colon + 1);
	if (!*id || has_space(id))
		return false;
	for (p = id; *p; p++)
		if (!is_id_char(*p))
			return false;
	*colon = 0;
	s->type = xstrdup(line);
	s->id = xstrdup(id);
	return true;
}

/* An indented "key [value]" line; a bare key is a flag ("disable", "shared"). */
static void parse_stanza_property(char *line, struct stanza *s)
{
	char *key = strtrim(line), *value = key;

	while (*value && !isspace((unsigned char)*value))
		value++;
	if (*value)
		*value++ = 0;
	value = strtrim(value);
	if (!*value)
		value = "1";

	if (!strcmp(key, "vgname")) {
		free(s->vgname);
		s->vgname = xstrdup(value);
	} else if (!strcmp(key, "thinpool")) {
		free(s->thinpool);
		s->thinpool = xstrdup(value);
	} else if (!strcmp(key, "shared")) {
		s->shared = strcmp(value, "0") != 0;
	}
}

/*
 * PVE's SectionConfig format: a "<type>: <id>" line, indented "key value" lines,
 * a blank line to close. We also accept a header that follows the previous stanza
 * without the blank line (hand edits do that; losing the storage would be worse).
 */
int pve_parse_storage_cfg(struct state *st, const char *source, const char *text)
{
	struct stanza s = { 0 };
	bool content = false;
	int lineno = 0, headers = 0;
	char *buf, *cur, *line;

	if (!st || !text)
		return -EINVAL;
	buf = xstrdup(text);
	cur = buf;
	while ((line = next_line(&cur))) {
		char *t;

		lineno++;
		t = strtrim(line);
		if (!*t) {
			stanza_finish(st, source, &s);
			continue;
		}
		if (*t == '#')
			continue;
		content = true;
		if (isspace((unsigned char)line[0])) {
			if (!s.open) {
				state_add_problem(st, source,
						  "line %d: property outside of a storage definition: '%.*s'",
						  lineno, QUOTE_MAX, t);
				continue;
			}
			if (!s.bad)
				parse_stanza_property(t, &s);
			continue;
		}
		stanza_finish(st, source, &s);
		s.open = true;
		s.line = lineno;
		if (!parse_stanza_header(t, &s)) {
			state_add_problem(st, source, "line %d: cannot parse storage header '%.*s'",
					  lineno, QUOTE_MAX, t);
			s.bad = true;
			continue;
		}
		headers++;
	}
	stanza_finish(st, source, &s);
	free(buf);
	if (content && !headers)
		return -EINVAL;
	return 0;
}

/* ---- volume names ---- */

/* "<digits>" at *p, as a vmid (1..INT_MAX); advances *p past them */
static bool parse_vmid_at(const char **p, int *vmid)
{
	const char *s = *p;
	long long v = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return false;
		s++;
	}
	if (v == 0)
		return false;
	*vmid = v;
	*p = s;
	return true;
}

/*
 * "vm-<id>-<rest>" or "base-<id>-<rest>": PVE's LVM plugins accept any non-blank
 * rest (disk-N, cloudinit, state-<snap>, names given at allocation), so do we.
 * Sets *rest to what follows "<id>-".
 */
static bool parse_plain_volume(const char *v, int *vmid, const char **rest)
{
	const char *p;

	if (str_has_prefix(v, "vm-"))
		p = v + 3;
	else if (str_has_prefix(v, "base-"))
		p = v + 5;
	else
		return false;
	if (!parse_vmid_at(&p, vmid) || *p != '-' || !p[1])
		return false;
	p++;
	if (has_space(p) || strchr(p, '/'))
		return false;
	*rest = p;
	return true;
}

bool pve_volume_vmid(const char *volume, int *vmid)
{
	const char *slash, *rest;
	int id;

	if (!volume)
		return false;

	/* linked clone: "base-100-disk-0/vm-102-disk-0" is VM 102's disk */
	slash = strchr(volume, '/');
	if (slash) {
		char *base = xstrndup(volume, slash - volume);
		bool ok = str_has_prefix(base, "base-") && parse_plain_volume(base, &id, &rest);

		free(base);
		if (!ok)
			return false;
		volume = slash + 1;
		if (strchr(volume, '/'))
			return false;
	}

	/* thin snapshot LV of lvmthin storage: "snap_<volume>_<snapname>" */
	if (str_has_prefix(volume, "snap_")) {
		const char *us;

		if (!parse_plain_volume(volume + 5, &id, &rest))
			return false;
		/* the volume part itself may contain '_' (custom names): any later '_' will do */
		us = strchr(rest, '_');
		if (!us || us == rest || !us[1])
			return false;
		if (vmid)
			*vmid = id;
		return true;
	}

	if (!parse_plain_volume(volume, &id, &rest))
		return false;
	if (vmid)
		*vmid = id;
	return true;
}

/* ---- guest configs ---- */

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
 * Keys whose value is a volume. Ranges (ide0-3, scsi0-30 ...) are not checked:
 * a future PVE with scsi31 should not make a disk vanish from our view.
 */
static bool is_disk_key(const char *key, enum guest_type type)
{
	static const char *const qemu_keys[] = {
		"ide", "sata", "scsi", "virtio", "efidisk", "tpmstate",
	};
	size_t i;

	if (key_numbered(key, "unused") || !strcmp(key, "vmstate"))
		return true;
	if (type == GUEST_LXC)
		return !strcmp(key, "rootfs") || key_numbered(key, "mp");
	for (i = 0; i < ARRAY_SIZE(qemu_keys); i++)
		if (key_numbered(key, qemu_keys[i]))
			return true;
	return false;
}

/*
 * The volume of a disk value "<volume spec>[,opt=val...]". The spec is the first
 * element without '=', or the explicit "file=" (qemu) / "volume=" (lxc) element.
 * Returns 1 with *storage / *volume set for a "storage:volume" reference, 0 for
 * things that are not volumes of a storage (none, cdrom, /dev/sdb passthrough, bind
 * mounts, iso/ and vztmpl/ files, dir-storage image paths), -EINVAL if unreadable.
 */
static int parse_disk_value(const char *value, char **storage, char **volume)
{
	char *buf = xstrdup(value), *cur = buf, *elem, *spec = NULL, *colon, *vol, *p;
	bool first = true;
	int ret = -EINVAL;

	while ((elem = strsep(&cur, ","))) {
		elem = strtrim(elem);
		if (str_has_prefix(elem, "file=") || str_has_prefix(elem, "volume=")) {
			spec = strchr(elem, '=') + 1;
			break;
		}
		if (first && !strchr(elem, '='))
			spec = elem;
		first = false;
	}
	if (!spec)
		goto cleanup;
	spec = strtrim(spec);
	if (!*spec || has_space(spec))
		goto cleanup;

	ret = 0;
	if (!strcmp(spec, "none") || !strcmp(spec, "cdrom") || spec[0] == '/')
		goto cleanup;
	colon = strchr(spec, ':');
	if (!colon)
		goto cleanup;	/* a bare file name: not on a storage we map */

	ret = -EINVAL;
	if (colon == spec || !colon[1])
		goto cleanup;
	for (p = spec; p < colon; p++)
		if (!is_id_char(*p))
			goto cleanup;
	vol = colon + 1;

	ret = 0;
	p = strchr(vol, '/');
	if (p) {
		/* only a linked clone's "base-X-disk-N/vm-Y-disk-M" names a block volume */
		if (!str_has_prefix(vol, "base-") || !p[1] || strchr(p + 1, '/'))
			goto cleanup;
		vol = p + 1;
	}
	*colon = 0;
	*storage = xstrdup(spec);
	*volume = xstrdup(vol);
	ret = 1;
cleanup:
	free(buf);
	return ret;
}

enum section_kind {
	SEC_MAIN = 0,
	SEC_SNAPSHOT,
	SEC_PENDING,		/* changes not applied yet: their disks exist already */
	SEC_SPECIAL,		/* [special:cloudinit] and whatever comes next */
};

/* PVE snapshot names: [a-z][a-z0-9_-]+, case-insensitive */
static bool valid_snapshot_name(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* A "[...]" line: switch section. Returns the snapshot name (or NULL) to use from now on. */
static enum section_kind parse_section(struct state *st, const char *source, int lineno,
				       char *line, char **snapname)
{
	size_t len = strlen(line);
	char *inner;

	free(*snapname);
	*snapname = NULL;
	if (len < 2 || line[len - 1] != ']') {
		state_add_problem(st, source, "line %d: cannot parse section header '%.*s'",
				  lineno, QUOTE_MAX, line);
		inner = line + 1;
	} else {
		line[len - 1] = 0;
		inner = strtrim(line + 1);
		if (!strcasecmp(inner, "PENDING"))
			return SEC_PENDING;
		if (!strncasecmp(inner, "special:", 8))
			return SEC_SPECIAL;
		if (!valid_snapshot_name(inner))
			state_add_problem(st, source, "line %d: unusual snapshot name '%.*s'",
					  lineno, QUOTE_MAX, inner);
	}
	/*
	 * Even a garbled header starts a snapshot section: its lines must not be
	 * mistaken for the current config (a snapshot's name: would rename the
	 * guest), yet the disks they list still count as referenced.
	 */
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
 * "key: value" as PVE's parse_vm_config / parse_pct_config read it; LXC also has
 * raw "lxc.some.key = value" lines. Returns false for a line that is neither.
 */
static bool split_key_value(char *line, char **key, char **value)
{
	char *p = line;

	while (is_id_char(*p))
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

int pve_parse_guest_config(struct state *st, const char *source, const char *text,
			   struct pve_guest *guest)
{
	enum section_kind section = SEC_MAIN;
	char *buf, *cur, *line, *snapname = NULL;
	const char *name_key;
	size_t problems_before;
	int lineno = 0;

	if (!st || !text || !guest)
		return -EINVAL;
	problems_before = st->n_problems;
	name_key = guest->type == GUEST_LXC ? "hostname" : "name";
	buf = xstrdup(text);
	cur = buf;
	while ((line = next_line(&cur))) {
		char *key, *value, *storage = NULL, *volume = NULL;
		int r;

		lineno++;
		line = strtrim(line);
		if (!*line || *line == '#')
			continue;
		if (*line == '[') {
			section = parse_section(st, source, lineno, line, &snapname);
			continue;
		}
		if (!split_key_value(line, &key, &value)) {
			state_add_problem(st, source, "line %d: cannot parse '%.*s'",
					  lineno, QUOTE_MAX, line);
			continue;
		}
		if (!*value) {
			/* raw lxc.* keys may be empty (they reset a list); ours may not */
			if (!str_has_prefix(key, "lxc."))
				state_add_problem(st, source, "line %d: '%s' has no value",
						  lineno, key);
			continue;
		}

		if (section == SEC_MAIN) {
			if (!strcmp(key, name_key)) {
				free(guest->name);
				guest->name = xstrdup(value);
				continue;
			}
			if (!strcmp(key, "template")) {
				guest->template = strcmp(value, "0") != 0;
				continue;
			}
		}
		if (!is_disk_key(key, guest->type))
			continue;
		r = parse_disk_value(value, &storage, &volume);
		if (r < 0) {
			state_add_problem(st, source, "line %d: cannot read the volume of %s: '%.*s'",
					  lineno, key, QUOTE_MAX, value);
			continue;
		}
		if (r == 0)
			continue;
		/* pending and special sections describe the current config, not a snapshot */
		add_ref(guest, key, storage, volume, section == SEC_SNAPSHOT ? snapname : NULL);
	}
	/* any line we could not read may have been a disk: refs are not the whole truth */
	if (st->n_problems > problems_before)
		guest->config_error = true;
	free(snapname);
	free(buf);
	return 0;
}

/* ---- collecting from /etc/pve ---- */

static bool is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entry names of a directory, sorted so that results do not depend on readdir order. */
static int list_dir(const char *path, char ***names, size_t *n)
{
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*n = 0;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char **slot;

		if (de->d_name[0] == '.')
			continue;
		slot = array_push(names, n, sizeof(*slot));
		*slot = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* "<vmid>.conf"; editors' and pmxcfs' temporary files ("101.conf.tmp.1234") are not configs */
static bool conf_vmid(const char *file, int *vmid)
{
	const char *p = file;

	if (*p == '0' || !parse_vmid_at(&p, vmid))
		return false;
	return !strcmp(p, ".conf");
}

static void collect_guests(struct state *st, const char *node_dir, const char *node,
			   const char *sub, enum guest_type type)
{
	char *dir = xasprintf("%s/%s", node_dir, sub);
	char **names = NULL;
	size_t n = 0, i;
	int err;

	err = list_dir(dir, &names, &n);
	if (err) {
		/* a node without containers has no lxc/ on old versions: not a problem */
		if (err != -ENOENT)
			state_add_problem(st, dir, "cannot list: %s", strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		struct pve_guest *g;
		char *path, *text = NULL;
		int vmid;

		if (!conf_vmid(names[i], &vmid)) {
			vlog("%s/%s: not a guest config, skipped", dir, names[i]);
			continue;
		}
		path = xasprintf("%s/%s", dir, names[i]);
		/*
		 * The guest exists even if its config cannot be read: keeping it avoids
		 * calling its disks "no guest" orphans; the problem tells the rest.
		 */
		g = array_push(&st->guests, &st->n_guests, sizeof(*g));
		g->vmid = vmid;
		g->type = type;
		g->node = xstrdup(node);
		err = read_file(path, &text, NULL, PVE_FILE_MAX);
		if (err) {
			state_add_problem(st, path, "cannot read: %s", strerror(-err));
			g->config_error = true;
		} else {
			pve_parse_guest_config(st, path, text, g);
		}
		free(text);
		free(path);
	}
cleanup:
	free_names(names, n);
	free(dir);
}

static const char *guest_type_str(enum guest_type t)
{
	return t == GUEST_LXC ? "lxc" : "qemu";
}

static const struct state *sort_st;

static int cmp_guest_index(const void *a, const void *b)
{
	const struct pve_guest *x = &sort_st->guests[*(const size_t *)a];
	const struct pve_guest *y = &sort_st->guests[*(const size_t *)b];

	if (x->vmid != y->vmid)
		return x->vmid < y->vmid ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/*
 * pmxcfs keeps vmids unique across the cluster, so two configs with one id mean a
 * half-done migration or a hand copy: say so, since "which node owns this disk"
 * has no single answer then.
 */
static void check_duplicate_vmids(struct state *st)
{
	size_t i, *idx;

	if (st->n_guests < 2)
		return;
	idx = xcalloc(st->n_guests, sizeof(*idx));
	for (i = 0; i < st->n_guests; i++)
		idx[i] = i;
	sort_st = st;
	qsort(idx, st->n_guests, sizeof(*idx), cmp_guest_index);
	sort_st = NULL;
	for (i = 1; i < st->n_guests; i++) {
		const struct pve_guest *a = &st->guests[idx[i - 1]], *b = &st->guests[idx[i]];

		if (a->vmid == b->vmid)
			state_add_problem(st, "guest configs",
					  "vmid %d has two configs: %s on node %s and %s on node %s",
					  a->vmid, guest_type_str(a->type), a->node,
					  guest_type_str(b->type), b->node);
	}
	free(idx);
}

/* "-id <vmid>" or "-pidfile .../qemu-server/<vmid>.pid" among NUL-separated args */
static bool qemu_cmdline_matches(const char *cmdline, size_t len, int vmid)
{
	char *id = xasprintf("%d", vmid);
	char *pidfile = xasprintf("/qemu-server/%d.pid", vmid);
	const char *arg, *prev = NULL, *end = cmdline + len;
	bool match = false;

	for (arg = cmdline; arg < end; arg += strlen(arg) + 1) {
		if (prev && !strcmp(prev, "-id") && !strcmp(arg, id))
			match = true;
		if (prev && !strcmp(prev, "-pidfile") && strlen(arg) >= strlen(pidfile) &&
		    !strcmp(arg + strlen(arg) - strlen(pidfile), pidfile))
			match = true;
		prev = arg;
	}
	free(pidfile);
	free(id);
	return match;
}

/*
 * A VM runs if <run_dir>/qemu-server/<vmid>.pid names a live process that is that
 * VM's kvm: like PVE's own check, a stale pid file whose pid was reused by another
 * process does not count. An unreadable cmdline (hidepid) counts as running, the
 * side that keeps cleanup away; an empty one (zombie, kernel thread) does not.
 */
static bool qemu_running(const char *run_dir, int vmid)
{
	char *path = xasprintf("%s/qemu-server/%d.pid", run_dir, vmid);
	char *text = NULL, *cmdline = NULL, *p, *end;
	bool running = false;
	size_t len = 0;
	long pid;
	int err;

	if (read_file(path, &text, NULL, 4096))
		goto cleanup;
	p = strtrim(text);
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno || end == p || *end || pid <= 0 || pid > INT_MAX)
		goto cleanup;
	free(path);
	path = xasprintf("/proc/%ld/cmdline", pid);
	err = read_file(path, &cmdline, &len, 1 << 20);
	if (err) {
		running = err != -ENOENT && err != -ESRCH;
		goto cleanup;
	}
	running = qemu_cmdline_matches(cmdline, len, vmid);
cleanup:
	free(cmdline);
	free(text);
	free(path);
	return running;
}

/*
 * A container runs if its lxc monitor listens on "@/var/lib/lxc/<ctid>/command":
 * that abstract socket is what PVE's list_active_containers() (pct status) reads
 * from /proc/net/unix. As a second witness, PVE 7+ (cgroup v2) puts a running
 * container in /sys/fs/cgroup/lxc/<ctid>.
 */
static bool lxc_running(const char *unix_sockets, int ctid)
{
	char *needle = xasprintf("@/var/lib/lxc/%d/command", ctid);
	char *cg = xasprintf("/sys/fs/cgroup/lxc/%d", ctid);
	const char *p = unix_sockets;
	bool running = false;

	while (p && (p = strstr(p, needle))) {
		char after = p[strlen(needle)];

		/* the path is the line's last field; "/1010/" cannot match "/101/" anyway */
		if (after == '\n' || after == 0 || isspace((unsigned char)after)) {
			running = true;
			break;
		}
		p++;
	}
	if (!running)
		running = is_dir(cg);
	free(cg);
	free(needle);
	return running;
}

static void mark_running(struct state *st, const char *run_dir, const char *node)
{
	char *unix_sockets = NULL;
	bool unix_read = false;
	size_t i;

	for (i = 0; i < st->n_guests; i++) {
		struct pve_guest *g = &st->guests[i];

		if (!g->node || strcmp(g->node, node))
			continue;
		if (g->type == GUEST_QEMU) {
			g->running = qemu_running(run_dir, g->vmid);
			continue;
		}
		if (!unix_read) {
			unix_read = true;
			if (read_file("/proc/net/unix", &unix_sockets, NULL, UNIX_SOCKETS_MAX))
				unix_sockets = NULL;
		}
		g->running = lxc_running(unix_sockets, g->vmid);
	}
	free(unix_sockets);
}

/*
 * Returns 0 whenever the arguments are usable: an unreadable file or directory
 * is a problem in st, and the scan goes on with what could be read.
 */
int pve_collect(struct state *st, const char *pve_dir, const char *run_dir, const char *node)
{
	char *nodes_dir = NULL, *path = NULL, *text = NULL, **names = NULL;
	bool node_seen = false;
	size_t n = 0, i;
	struct stat sb;
	int err;

	if (!st || !pve_dir)
		return -EINVAL;
	st->have_pve = false;
	if (stat(pve_dir, &sb) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			state_add_problem(st, pve_dir, "cannot access: %s", strerror(errno));
		return 0;
	}
	if (!S_ISDIR(sb.st_mode)) {
		state_add_problem(st, pve_dir, "not a directory");
		return 0;
	}

	/*
	 * /etc/pve exists but is empty when pmxcfs (pve-cluster) is not running. Taking
	 * that for "a cluster without guests" would turn every guest disk into an
	 * orphan, so without nodes/ we report and act as if this were not Proxmox.
	 */
	nodes_dir = xasprintf("%s/nodes", pve_dir);
	err = list_dir(nodes_dir, &names, &n);
	if (err) {
		state_add_problem(st, nodes_dir, "cannot list: %s (is pve-cluster running?)",
				  strerror(-err));
		goto cleanup;
	}
	st->have_pve = true;

	path = xasprintf("%s/storage.cfg", pve_dir);
	err = read_file(path, &text, NULL, PVE_FILE_MAX);
	if (err)
		state_add_problem(st, path, "cannot read: %s", strerror(-err));
	else if (pve_parse_storage_cfg(st, path, text) < 0)
		state_add_problem(st, path, "no storage definition could be read");

	for (i = 0; i < n; i++) {
		char *node_dir = xasprintf("%s/%s", nodes_dir, names[i]);

		if (is_dir(node_dir)) {
			if (node && !strcmp(names[i], node))
				node_seen = true;
			collect_guests(st, node_dir, names[i], "qemu-server", GUEST_QEMU);
			collect_guests(st, node_dir, names[i], "lxc", GUEST_LXC);
		}
		free(node_dir);
	}
	check_duplicate_vmids(st);

	if (node) {
		if (!node_seen)
			state_add_problem(st, nodes_dir,
					  "no directory for node '%s': guests of this node are unknown",
					  node);
		mark_running(st, run_dir ? run_dir : "/run", node);
	}
cleanup:
	free_names(names, n);
	free(text);
	free(path);
	free(nodes_dir);
	return 0;
}
