// SPDX-License-Identifier: GPL-2.0
/*
 * Proxmox VE tree: storage.cfg and the guest configs of every node of the cluster
 * (parsed in pvestorage.c and pveguest.c), and which guests of this node run.
 *
 * Everything read here decides whether a dm device is somebody's disk, so whenever
 * a source cannot be read we say so in st->problems rather than pretending it was
 * empty.
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
#include "collect/pvetext.h"
#include "lib/util.h"

/* pmxcfs caps its files at about 1 MiB: anything much bigger is not a Proxmox config */
#define PVE_FILE_MAX	(16u << 20)
/* /proc/net/unix on a busy host can be large */
#define UNIX_SOCKETS_MAX	(256u << 20)

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

	if (*p == '0' || !pve_parse_vmid_at(&p, vmid))
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

static int cmp_guest_index(const void *a, const void *b, void *ctx)
{
	const struct state *st = ctx;
	const struct pve_guest *x = &st->guests[*(const size_t *)a];
	const struct pve_guest *y = &st->guests[*(const size_t *)b];

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
	qsort_r(idx, st->n_guests, sizeof(*idx), cmp_guest_index, st);
	for (i = 1; i < st->n_guests; i++) {
		const struct pve_guest *a = &st->guests[idx[i - 1]], *b = &st->guests[idx[i]];

		if (a->vmid == b->vmid)
			state_add_problem(st, "guest configs",
					  "vmid %d has two configs: %s on node %s and %s on node %s",
					  a->vmid, guest_type_name(a->type), a->node,
					  guest_type_name(b->type), b->node);
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
int pve_collect_configs(struct state *st, const char *pve_dir, const char *node)
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
	if (node && !node_seen)
		state_add_problem(st, nodes_dir,
				  "no directory for node '%s': guests of this node are unknown", node);
cleanup:
	free_names(names, n);
	free(text);
	free(path);
	free(nodes_dir);
	return 0;
}

int pve_collect(struct state *st, const char *pve_dir, const char *run_dir, const char *node)
{
	int err = pve_collect_configs(st, pve_dir, node);

	if (!err && node && st->have_pve)
		mark_running(st, run_dir ? run_dir : "/run", node);
	return err;
}
