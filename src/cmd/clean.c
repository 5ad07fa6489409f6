// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch clean: remove tombstones and duplicates without ever losing data.
 *
 * - refuses to run at all without LVM data: only LVM tells a disk from its copy;
 * - dry run unless told otherwise; each action is shown with its reason and asked
 *   for on a tty (an empty answer is no); --yes for scripts;
 * - never touches a device that is open, has holders, belongs to a running guest,
 *   or is valid/internal; right before acting, dm, LVM and the Proxmox configs are
 *   read again and classified again, and the action goes ahead only if the same
 *   device (same dm uuid, same table) still has the same verdict;
 * - an LV is deactivated by its uuid (`lvchange -an -S lv_uuid=...`), never by what
 *   the dm name claims; a mapping LVM does not know is removed with libdevmapper;
 * - before acting writes name, uuid, table and reason to a journal, which
 *   `dmwatch restore JOURNAL` replays (restore.c);
 * - one cleanup or restore at a time per host (flock on HOST_LOCK).
 */
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "cmd/source.h"
#include "cmd/clean.h"
#include "cmd/journal.h"
#include "cmd/commands.h"
#include "collect/dm.h"
#include "collect/pve.h"
#include "lib/clock.h"
#include "lib/escape.h"
#include "lib/fileio.h"
#include "lib/util.h"

#define DEFAULT_JOURNAL_DIR "/var/lib/dmwatch/journal"
/* one lock per host, whatever --journal-dir says: clean and restore take it */
#define HOST_LOCK "/run/lock/dmwatch-clean.lock"

static struct clean_env {
	bool yes;
	bool dry_run;
	const char *only;		/* duplicates | tombstones | NULL */
	const char *journal_dir;
	struct source_opts src;		/* --pve-dir, --node ... (never --state: clean acts here) */
} env;

enum { OPT_ONLY = 0x100, OPT_JOURNAL_DIR, OPT_STATE_REFUSED };

static error_t clean_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'y': env.yes = true; break;
	case 'n': env.dry_run = true; break;
	case 'v': verbose = 1; break;
	case OPT_ONLY:
		if (strcmp(arg, "duplicates") && strcmp(arg, "tombstones"))
			argp_error(state, "--only takes duplicates or tombstones, not '%s'", arg);
		env.only = arg;
		break;
	case OPT_JOURNAL_DIR: env.journal_dir = arg; break;
	case OPT_STATE_REFUSED: env.src.state_in = arg; break;	/* refused with a reason below */
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env.src;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option clean_options[] = {
	{ "only", OPT_ONLY, "KIND", 0, "Only duplicates or only tombstones", 0 },
	{ "yes", 'y', NULL, 0, "Act without asking (for scripts)", 0 },
	{ "dry-run", 'n', NULL, 0, "Only show the plan (the default without a tty)", 0 },
	{ "journal-dir", OPT_JOURNAL_DIR, "DIR", 0, "Where journals go (default " DEFAULT_JOURNAL_DIR ")", 0 },
	{ "state", OPT_STATE_REFUSED, "FILE", OPTION_HIDDEN, "Refused: clean acts on this host", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

/*
 * The shared source options without --state: clean acts on this host, so its
 * --help must not offer a saved state (the hidden --state above says why not).
 */
static struct argp_option live_source_options[16];
static struct argp live_source_argp;

static void live_source_init(void)
{
	size_t n = 0;

	for (const struct argp_option *o = source_argp.options;
	     o->name || o->key || o->doc || o->group; o++)
		if ((!o->name || strcmp(o->name, "state")) && n + 1 < ARRAY_SIZE(live_source_options))
			live_source_options[n++] = *o;
	live_source_options[n] = (struct argp_option){};
	live_source_argp = source_argp;
	live_source_argp.options = live_source_options;
}

static const struct argp_child clean_children[] = {
	{ &live_source_argp, 0, NULL, 0 },
	{},
};

static const struct argp clean_argp = {
	.options = clean_options,
	.parser = clean_parse,
	.children = clean_children,
	.doc = "Remove tombstone and duplicate device-mapper mappings safely: duplicates first, "
	       "then tombstones; each action shown with its reason and asked for (empty answer "
	       "is no). Devices that are open, held, or belong to a running guest are never "
	       "touched, and each action waits for a fresh scan that still gives the same "
	       "verdict. Needs LVM data (refused with --no-lvm or when lvm fullreport fails). "
	       "Every removal is journaled first; `dmwatch restore JOURNAL` undoes it."
	       "\vExit: 0 done (or nothing to do, or plan shown), 1 some actions refused or "
	       "skipped, 3 could not run.",
};

/* ---- the host lock ---- */

/*
 * A lock file that is a regular file of ours, opened without following a link
 * (O_NOFOLLOW) and never inherited (O_CLOEXEC). Not O_EXCL: it outlives a crash,
 * and flock, not the file's existence, is the lock.
 */
static int take_host_lock(void)
{
	int fd = open(HOST_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	struct stat sb;
	int err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
		close(fd);
		return -EPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The lock, or -1 after saying why not */
int clean_lock(void)
{
	int fd = take_host_lock();

	if (fd == -EWOULDBLOCK)
		elog("another dmwatch clean or restore is running (lock %s)", HOST_LOCK);
	else if (fd < 0)
		elog("cannot take the lock %s: %s", HOST_LOCK, strerror(-fd));
	return fd < 0 ? -1 : fd;
}

/* ---- safety checks (live) ---- */

static int count_holders(uint32_t minor)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/block/dm-%u/holders", minor);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static bool guest_running(const struct state *st, int vmid)
{
	for (size_t i = 0; i < st->n_guests; i++)
		if (st->guests[i].vmid == vmid && st->guests[i].running &&
		    (str_empty(st->node) || !st->guests[i].node || !strcmp(st->guests[i].node, st->node)))
			return true;
	return false;
}

/* A device other devices in the state stack on */
static bool held_in_state(const struct state *st, const struct dm_dev *d)
{
	for (size_t i = 0; i < st->n_devs; i++)
		for (size_t k = 0; k < st->devs[i].n_deps; k++)
			if (major(st->devs[i].deps[k]) == d->major &&
			    minor(st->devs[i].deps[k]) == d->minor)
				return true;
	return false;
}

/*
 * Why a device must not be touched now, or NULL. Asked twice: when planning, and
 * right before acting against a fresh state and its verdicts.
 */
static char *refusal(const struct dev_finding *f, const struct state *st)
{
	const struct dm_dev *d = f->dev;
	struct dm_dev_info info;
	char *u, *why;
	int holders;

	if (dm_device_info(d->name, d->name_unmangled, &info) || !info.exists)
		return xstrdup("it is gone already");
	if (strcmp(info.uuid, d->uuid)) {
		u = term_escaped(info.uuid);
		why = xasprintf("its uuid changed to '%s' since the scan", u);
		free(u);
		return why;
	}
	/* holders first: a holder opens it too, and "stacked on" says more than "open" */
	holders = count_holders(d->minor);
	if (holders > 0 || held_in_state(st, d))
		return xasprintf("other devices are stacked on it (%d holders)", holders);
	if (info.open_count > 0)
		return xasprintf("it is open (open count %d): something uses it", info.open_count);
	if (f->vmid >= 0 && guest_running(st, f->vmid))
		return xasprintf("guest %d is running", f->vmid);
	return NULL;
}

/* ---- the re-check right before acting ---- */

static bool same_table(const struct dm_dev *a, const struct dm_dev *b)
{
	if (a->n_table != b->n_table)
		return false;
	for (size_t i = 0; i < a->n_table; i++)
		if (a->table[i].start != b->table[i].start || a->table[i].length != b->table[i].length ||
		    strcmp(a->table[i].type, b->table[i].type) ||
		    strcmp(a->table[i].params, b->table[i].params))
			return false;
	return true;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * Read dm, LVM and the Proxmox configs again, classify again, and find the planned
 * device in the new verdicts: NULL with *why set unless it is the same device
 * (name, dm uuid, table) with the same verdict and nothing now forbids acting.
 */
static const struct dev_finding *recheck(const struct dev_finding *planned, struct state *fresh,
					 struct report *frep, char **why)
{
	const struct dev_finding *now = NULL;

	*why = NULL;
	collect_live(fresh, &env.src.co);
	if (!fresh->have_dm || !fresh->have_lvm) {
		*why = xstrdup("device-mapper or LVM could not be read again");
		return NULL;
	}
	classify(fresh, &env.src.thresholds, frep);
	for (size_t i = 0; i < frep->n_devs && !now; i++)
		if (!strcmp(frep->devs[i].dev->name, planned->dev->name))
			now = &frep->devs[i];
	if (!now)
		*why = xstrdup("it is gone already");
	else if (strcmp(now->dev->uuid, planned->dev->uuid))
		*why = xstrdup("its dm uuid changed");
	else if (!same_table(now->dev, planned->dev))
		*why = xstrdup("its table changed");
	else if (now->cls != planned->cls || !same_str(now->reason, planned->reason))
		*why = xasprintf("its verdict is now %s%s%s", class_str(now->cls),
				 now->reason ? "/" : "", now->reason ? now->reason : "");
	else
		*why = refusal(now, fresh);
	return *why ? NULL : now;
}

/* ---- journal ---- */

static char *xstrdup_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* the entry goes to the journal, rewritten (crash-safe) so it is complete before the action */
static int journal_add(struct journal *j, const struct dev_finding *f, const char *action)
{
	struct journal_entry *e = array_push(&j->entries, &j->n_entries, sizeof(*e));
	const struct dm_dev *d = f->dev;
	char ts[32];

	e->time = xstrdup(format_time(ts, sizeof(ts), time(NULL), "%Y-%m-%dT%H:%M:%SZ", true));
	e->name = xstrdup(d->name);
	e->uuid = xstrdup(d->uuid);
	e->major = d->major;
	e->minor = d->minor;
	e->read_only = d->read_only;
	e->name_unmangled = d->name_unmangled;
	e->cls = xstrdup(class_str(f->cls));
	e->reason = xstrdup_null(f->reason);
	e->detail = xstrdup(f->detail ? f->detail : "");
	e->action = xstrdup(action);
	e->vg = xstrdup_null(f->vg);
	e->lv = xstrdup_null(f->lv);
	for (size_t i = 0; i < d->n_table; i++) {
		struct dm_line *l = array_push(&e->table, &e->n_table, sizeof(*l));

		l->start = d->table[i].start;
		l->length = d->table[i].length;
		l->type = xstrdup(d->table[i].type);
		l->params = xstrdup(d->table[i].params);
	}
	return journal_save(j);
}

/*
 * Claim a new journal file: O_EXCL|O_NOFOLLOW, so neither an old journal nor a
 * planted link is ever written through; later rewrites replace it atomically.
 */
static int journal_open(struct journal *j, const char *dir)
{
	char ts[32];
	int fd;

	format_time(ts, sizeof(ts), time(NULL), "%Y%m%d-%H%M%S", true);
	j->path = xasprintf("%s/clean-%s-%d.json", dir, ts, getpid());
	fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* ---- actions ---- */

/*
 * Run an LVM tool with nothing of ours but stdin/stdout/stderr: LVM warns about
 * (and some versions refuse) any other inherited descriptor.
 */
int run_lvm_tool(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close_range(3, ~0U, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* The LV the mapping's dm uuid names (VG and LV uuid both), if LVM still has it */
static const struct lvm_lv *lv_of(const struct state *st, const struct dev_finding *f)
{
	char vgu[33], lvu[33], layer[32];

	if (!parse_lvm_uuid(f->dev->uuid, vgu, lvu, layer) || layer[0])
		return NULL;
	for (size_t i = 0; i < st->n_lvs; i++)
		if (lvm_uuid_eq(st->lvs[i].lv_uuid, lvu) &&
		    (str_empty(st->lvs[i].vg_uuid) || lvm_uuid_eq(st->lvs[i].vg_uuid, vgu)))
			return &st->lvs[i];
	return NULL;
}

/*
 * lvchange -an/-ay by uuid: the selection names the LV by its uuid, the VG/LV
 * argument (after "--") only narrows it, so a mapping whose name claims another LV
 * can never make us (de)activate that one.
 */
int lv_set_active(const char *dashed_uuid, const char *vg, const char *lv, bool active)
{
	char *select = xasprintf("lv_uuid=%s", dashed_uuid);
	char *path = xasprintf("%s/%s", vg, lv);
	char *cmd[] = { "lvchange", active ? "-ay" : "-an", "--select", select, "--", path, NULL };
	int err = run_lvm_tool(cmd);

	free(path);
	free(select);
	return err;
}

static int act(const struct state *st, const struct dev_finding *f)
{
	const struct lvm_lv *lv = lv_of(st, f);
	struct dm_dev_info info;
	int err;

	err = lv ? lv_set_active(lv->lv_uuid, lv->vg_name, lv->lv_name, false)
		 : dm_remove_device(f->dev->name, f->dev->name_unmangled);
	if (err)
		return err;
	/* lvchange exits 0 when its selection matched nothing: check the device went */
	if (!dm_device_info(f->dev->name, f->dev->name_unmangled, &info) && info.exists)
		return -EBUSY;
	return 0;
}

static bool ask(const char *question)
{
	char line[64];

	printf("%s [y/N] ", question);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static bool in_plan(const struct dev_finding *f, enum dev_class cls)
{
	if (f->cls != cls)
		return false;
	if (env.only && strcmp(env.only, cls == CLASS_DUPLICATE ? "duplicates" : "tombstones"))
		return false;
	/* an aliasing pair nobody could resolve names no side for removal */
	return f->remedy != NULL;
}

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	int err = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			err = -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		err = -errno;
	free(p);
	return err;
}

/* ---- plan and act ---- */

struct clean_run {
	const struct state *st;
	struct journal j;
	bool interactive;
	int planned, done, refused, declined;
};

static void show_plan_entry(const struct state *st, const struct dev_finding *f)
{
	const struct lvm_lv *lv = lv_of(st, f);
	/* the command it runs, as the scan's fix lines print it (quoted, raw names unmangled) */
	char *cmd = lv ? cmd_lv("-an", lv->vg_name, lv->lv_name) : cmd_dm_remove(f->dev);

	printf("%s%s%s ", class_str(f->cls), f->reason ? "/" : "", f->reason ? f->reason : "");
	term_escape(stdout, f->dev->name);
	printf(" (dm-%u)\n  why: ", f->dev->minor);
	term_escape(stdout, f->detail ? f->detail : "");
	printf("\n  action: %s (%s)\n", cmd,
	       lv ? "the LV stays in LVM metadata" : "table journaled for restore");
	free(cmd);
}

/* After the question: the fresh verdict, the journal, the action */
static int act_checked(struct clean_run *run, const struct dev_finding *f)
{
	struct state fresh = {};
	struct report frep = {};
	const struct dev_finding *now;
	char *why;
	int err = 0;

	now = recheck(f, &fresh, &frep, &why);
	if (!now) {
		printf("  skipped: %s (changed since the plan)\n", why);
		free(why);
		run->refused++;
		goto cleanup;
	}
	if (!run->j.path && (err = journal_open(&run->j, env.journal_dir))) {
		elog("cannot create a journal in %s: %s; stopping before any change",
		     env.journal_dir, strerror(-err));
		goto cleanup;
	}
	err = journal_add(&run->j, now, lv_of(&fresh, now) ? "lvchange-an" : "dm-remove");
	if (err) {
		elog("cannot write journal %s: %s; stopping before any change", run->j.path,
		     strerror(-err));
		goto cleanup;
	}
	if (act(&fresh, now)) {
		printf("  FAILED: the device is still there\n");
		run->refused++;
	} else {
		printf("  done (journal %s)\n", run->j.path);
		run->done++;
	}
cleanup:
	report_free(&frep);
	state_free(&fresh);
	return err;
}

/* One planned device: 0, or -errno when the whole clean must stop */
static int clean_one(struct clean_run *run, const struct dev_finding *f)
{
	char *why, *name, *q;
	bool yes;

	run->planned++;
	show_plan_entry(run->st, f);
	why = refusal(f, run->st);
	if (why) {
		printf("  refused: %s\n", why);
		free(why);
		run->refused++;
		return 0;
	}
	if (env.dry_run)
		return 0;
	name = term_escaped(f->dev->name);
	q = xasprintf("  %s %s?", lv_of(run->st, f) ? "Deactivate" : "Remove", name);
	yes = env.yes || ask(q);
	free(q);
	free(name);
	if (!yes) {
		printf("  skipped\n");
		run->declined++;
		return 0;
	}
	return act_checked(run, f);
}

static void print_summary(const struct clean_run *run)
{
	if (!run->planned)
		printf("Nothing to clean: no %s.\n", env.only ? env.only : "tombstones or duplicates");
	else if (env.dry_run)
		printf("\n%d planned, %d refused. Dry run: nothing changed%s.\n", run->planned,
		       run->refused, run->interactive || env.yes ? "" : " (no tty: run with --yes to act)");
	else
		printf("\n%d planned: %d done, %d refused or failed, %d declined.%s%s\n", run->planned,
		       run->done, run->refused, run->declined,
		       run->j.path ? " Undo: dmwatch restore " : "", run->j.path ? run->j.path : "");
}

/* Options and the conditions to run at all: 0, or the exit code */
static int clean_setup(int argc, char **argv, bool *interactive)
{
	memset(&env, 0, sizeof(env));
	source_opts_init(&env.src);
	argp_err_exit_status = EXIT_UNUSABLE;
	live_source_init();
	if (argp_parse(&clean_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;
	if (env.src.state_in) {
		elog("clean acts on this host's devices; --state is for `dmwatch scan`");
		return EXIT_UNUSABLE;
	}
	if (env.src.co.no_lvm) {
		elog("clean needs LVM data to tell a disk from its copy; it cannot run with --no-lvm");
		return EXIT_UNUSABLE;
	}
	env.src.co.lvm_exit_status = true;
	if (!env.journal_dir)
		env.journal_dir = DEFAULT_JOURNAL_DIR;
	*interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!env.yes && !*interactive)
		env.dry_run = true;
	if (geteuid() != 0 && !env.dry_run) {
		elog("clean needs root to remove devices (try --dry-run)");
		return EXIT_UNUSABLE;
	}
	if (!env.dry_run && mkdir_p(env.journal_dir)) {
		elog("cannot create journal dir %s: %s", env.journal_dir, strerror(errno));
		return EXIT_UNUSABLE;
	}
	return 0;
}

/* The state clean may act on: dm and LVM both read. 0, or -1 after saying why not. */
static int clean_collect(struct state *st)
{
	collect_live(st, &env.src.co);
	if (!st->have_dm) {
		elog("cannot read device-mapper state: %s",
		     st->n_problems ? st->problems[0].message : "unknown error");
		return -1;
	}
	if (!st->have_lvm) {
		elog("LVM could not be read (lvm fullreport failed or is missing): without it a "
		     "disk cannot be told from its copy; nothing done");
		return -1;
	}
	return 0;
}

int cmd_clean(int argc, char **argv)
{
	const enum dev_class order[] = { CLASS_DUPLICATE, CLASS_TOMBSTONE };
	struct clean_run run = {};
	struct state st = {};
	struct report rep = {};
	int lock = -1, ret;

	ret = clean_setup(argc, argv, &run.interactive);
	if (ret)
		return ret;
	ret = EXIT_UNUSABLE;
	if (!env.dry_run && (lock = clean_lock()) < 0)
		return EXIT_UNUSABLE;
	if (clean_collect(&st))
		goto cleanup;
	classify(&st, &env.src.thresholds, &rep);
	run.st = &st;
	for (size_t o = 0; o < ARRAY_SIZE(order); o++)
		for (size_t i = 0; i < rep.n_devs; i++)
			if (in_plan(&rep.devs[i], order[o]) && clean_one(&run, &rep.devs[i]))
				goto cleanup;
	print_summary(&run);
	ret = run.refused ? EXIT_WARNING : EXIT_OK;
cleanup:
	journal_free(&run.j);
	report_free(&rep);
	state_free(&st);
	if (lock >= 0)
		close(lock);
	return ret;
}

