// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch clean / restore: remove tombstones and duplicates without ever losing data.
 *
 * - dry run unless told otherwise; each action is shown with its reason and asked
 *   for on a tty (an empty answer is no); --yes for scripts;
 * - never touches a device that is open, has holders, belongs to a running guest,
 *   or is valid/internal; every condition is checked again right before acting;
 * - prefers `lvchange -an` when the LV is still in LVM metadata, else a
 *   libdevmapper remove with retry;
 * - before acting writes name, uuid, table and reason to a journal, which
 *   `dmwatch restore JOURNAL` replays;
 * - one cleanup at a time (flock).
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
#include <libdevmapper.h>
#include "analyze/classify.h"
#include "cmd/source.h"
#include "cmd/commands.h"
#include "collect/pve.h"
#include "model/record.h"
#include "lib/fileio.h"
#include "lib/util.h"

#define DEFAULT_JOURNAL_DIR "/var/lib/dmwatch/journal"

static struct clean_env {
	bool yes;
	bool dry_run;
	const char *only;		/* duplicates | tombstones | NULL */
	const char *journal_dir;
	struct source_opts src;		/* --pve-dir, --node ... (never --state: clean acts here) */
	const char *journal;		/* restore */
} env;

enum { OPT_ONLY = 0x100, OPT_JOURNAL_DIR };

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

static error_t restore_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_ARG:
		if (env.journal)
			argp_error(state, "one journal at a time, not also '%s'", arg);
		env.journal = arg;
		break;
	case ARGP_KEY_END:
		if (!env.journal)
			argp_error(state, "which journal? (dmwatch restore JOURNAL)");
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
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static const struct argp_child clean_children[] = {
	{ &source_argp, 0, NULL, 0 },
	{},
};

static const struct argp clean_argp = {
	.options = clean_options,
	.parser = clean_parse,
	.children = clean_children,
	.doc = "Remove tombstone and duplicate device-mapper mappings safely: duplicates first, "
	       "then tombstones; each action shown with its reason and asked for (empty answer "
	       "is no). Devices that are open, held, or belong to a running guest are never "
	       "touched. Every removal is journaled first; `dmwatch restore JOURNAL` undoes it."
	       "\vExit: 0 done (or nothing to do, or plan shown), 1 some actions refused or "
	       "skipped, 3 could not run.",
};

static const struct argp restore_argp = {
	.options = NULL,
	.parser = restore_parse,
	.args_doc = "JOURNAL",
	.doc = "Recreate the mappings a `dmwatch clean` removed, from its journal: dm devices "
	       "with their exact table and uuid, LVs it deactivated are activated again.",
};

/* ---- safety checks (live) ---- */

static int dm_info(const char *name, bool *exists, int *open_count, char *uuid, size_t ulen)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	const char *u;
	int err = -EIO;

	*exists = false;
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt) || !dm_task_get_info(dmt, &info))
		goto cleanup;
	*exists = info.exists;
	*open_count = info.open_count;
	u = dm_task_get_uuid(dmt);
	snprintf(uuid, ulen, "%s", u ? u : "");
	err = 0;
cleanup:
	dm_task_destroy(dmt);
	return err;
}

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
 * right before acting against a freshly read dm state and guest list.
 */
static char *refusal(const struct dev_finding *f, const struct state *fresh)
{
	const struct dm_dev *d = f->dev;
	char uuid[130];
	bool exists;
	int open_count = 0, holders;

	if (dm_info(d->name, &exists, &open_count, uuid, sizeof(uuid)) || !exists)
		return xstrdup("it is gone already");
	if (strcmp(uuid, d->uuid))
		return xasprintf("its uuid changed to '%s' since the scan", uuid);
	/* holders first: a holder opens it too, and "stacked on" says more than "open" */
	holders = count_holders(d->minor);
	if (holders > 0 || held_in_state(fresh, d))
		return xasprintf("other devices are stacked on it (%d holders)", holders);
	if (open_count > 0)
		return xasprintf("it is open (open count %d): something uses it", open_count);
	if (f->vmid >= 0 && guest_running(fresh, f->vmid))
		return xasprintf("guest %d is running", f->vmid);
	return NULL;
}

/* ---- journal ---- */

/*
 * One action, written before it is taken: enough to undo it. The journal is a
 * JSON array of these, one per line, written and read through the same table
 * (model/record.h): a name that is not UTF-8 keeps its exact bytes in
 * "name_hex", so such a device can be restored too.
 */
struct journal_entry {
	char *time;
	char *name;
	char *uuid;
	uint32_t major, minor;
	bool read_only;
	char *cls;
	char *reason;
	char *detail;
	char *action;		/* dm-remove | lvchange-an */
	char *vg, *lv;		/* lvchange-an */
	struct dm_line *table;
	size_t n_table;
};

static const struct field entry_fields[] = {
	FSTR_NULL(struct journal_entry, time, "time"),
	FSTR(struct journal_entry, name, "name"),
	FSTR_NULL(struct journal_entry, uuid, "uuid"),
	FINT(struct journal_entry, major, "major", 0, 4095),
	FINT(struct journal_entry, minor, "minor", 0, (1 << 20) - 1),
	FBOOL(struct journal_entry, read_only, "read_only"),
	FSTR_NULL(struct journal_entry, cls, "class"),
	FSTR_NULL(struct journal_entry, reason, "reason"),
	FSTR_NULL(struct journal_entry, detail, "detail"),
	FSTR(struct journal_entry, action, "action"),
	FSTR_NULL(struct journal_entry, vg, "vg"),
	FSTR_NULL(struct journal_entry, lv, "lv"),
	FRECS(struct journal_entry, table, n_table, "table", dm_line_desc),
};
static const struct record_desc entry_desc = RECORD(struct journal_entry, entry_fields, NULL);

struct journal {
	struct journal_entry *entries;
	size_t n_entries;
	char *path;		/* not in the file */
};

static const struct field journal_fields[] = {
	FRECS(struct journal, entries, n_entries, "entries", entry_desc),
};
static const struct record_desc journal_desc = {
	.size = sizeof(struct journal), .fields = journal_fields,
	.n_fields = ARRAY_SIZE(journal_fields), .array_root = true,
};

static int write_journal_cb(FILE *f, void *j)
{
	return records_write(f, &journal_desc, j);
}

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
	time_t now = time(NULL);

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	e->time = xstrdup(ts);
	e->name = xstrdup(d->name);
	e->uuid = xstrdup(d->uuid);
	e->major = d->major;
	e->minor = d->minor;
	e->read_only = d->read_only;
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
	return write_file_atomic_with(j->path, 0600, write_journal_cb, j);
}

/* ---- actions ---- */

static int run_cmd(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int dm_remove_retry(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_REMOVE);
	uint32_t cookie = 0;
	int ok = 0;

	if (!dmt)
		return -ENOMEM;
	/* retry: udev or blkid may hold it open for a moment */
	if (dm_task_set_name(dmt, name) && dm_task_retry_remove(dmt) &&
	    dm_task_set_cookie(dmt, &cookie, 0))
		ok = dm_task_run(dmt);
	dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	return ok ? 0 : -EBUSY;
}

/* lvchange -an when LVM still knows the LV and the mapping is its own */
static bool lv_in_metadata(const struct state *st, const struct dev_finding *f)
{
	char vgu[33], lvu[33], layer[32];

	if (!f->vg || !parse_lvm_uuid(f->dev->uuid, vgu, lvu, layer) || layer[0])
		return false;
	for (size_t i = 0; i < st->n_lvs; i++)
		if (lvm_uuid_eq(st->lvs[i].lv_uuid, lvu))
			return true;
	return false;
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
	return true;
}

static int take_lock(const char *dir)
{
	char *path = xasprintf("%s/.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	free(path);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return -EWOULDBLOCK;
	}
	return fd;
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

int cmd_clean(int argc, char **argv)
{
	struct state st = {};
	struct report rep = {};
	struct journal j = {};
	const enum dev_class order[] = { CLASS_DUPLICATE, CLASS_TOMBSTONE };
	int lock = -1, ret = EXIT_UNUSABLE, planned = 0, done = 0, refused = 0, declined = 0;
	bool interactive;

	memset(&env, 0, sizeof(env));
	source_opts_init(&env.src);
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&clean_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;
	if (env.src.state_in) {
		elog("clean acts on this host's devices; --state is for `dmwatch scan`");
		return EXIT_UNUSABLE;
	}
	if (!env.journal_dir)
		env.journal_dir = DEFAULT_JOURNAL_DIR;
	interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!env.yes && !interactive)
		env.dry_run = true;

	if (geteuid() != 0 && !env.dry_run) {
		elog("clean needs root to remove devices (try --dry-run)");
		return EXIT_UNUSABLE;
	}
	if (!env.dry_run) {
		if (mkdir_p(env.journal_dir)) {
			elog("cannot create journal dir %s: %s", env.journal_dir, strerror(errno));
			return EXIT_UNUSABLE;
		}
		lock = take_lock(env.journal_dir);
		if (lock < 0) {
			if (lock == -EWOULDBLOCK)
				elog("another dmwatch clean is running (lock in %s)", env.journal_dir);
			else
				elog("cannot take the lock in %s: %s", env.journal_dir, strerror(-lock));
			return EXIT_UNUSABLE;
		}
	}

	collect_live(&st, &env.src.co);
	if (!st.have_dm) {
		elog("cannot read device-mapper state: %s",
		     st.n_problems ? st.problems[0].message : "unknown error");
		goto cleanup;
	}
	classify(&st, &env.src.thresholds, &rep);

	for (size_t o = 0; o < ARRAY_SIZE(order); o++) {
		for (size_t i = 0; i < rep.n_devs; i++) {
			const struct dev_finding *f = &rep.devs[i];
			bool deactivate;
			char *why, *q;
			int err;

			if (!in_plan(f, order[o]))
				continue;
			planned++;
			deactivate = lv_in_metadata(&st, f);
			printf("%s%s%s %s (dm-%u)\n  why: %s\n  action: ", class_str(f->cls),
			       f->reason ? "/" : "", f->reason ? f->reason : "", f->dev->name,
			       f->dev->minor, f->detail ? f->detail : "");
			if (deactivate)
				printf("lvchange -an %s/%s (the LV stays in LVM metadata)\n", f->vg, f->lv);
			else
				printf("dmsetup remove %s (table journaled for restore)\n", f->dev->name);
			why = refusal(f, &st);
			if (why) {
				printf("  refused: %s\n", why);
				free(why);
				refused++;
				continue;
			}
			if (env.dry_run)
				continue;
			q = xasprintf("  %s %s?", deactivate ? "Deactivate" : "Remove", f->dev->name);
			if (!env.yes && !ask(q)) {
				free(q);
				printf("  skipped\n");
				declined++;
				continue;
			}
			free(q);

			/* re-check against a fresh look: anything may have changed while we asked */
			{
				struct state fresh = {};

				collect_live(&fresh, &env.src.co);
				why = refusal(f, &fresh);
				state_free(&fresh);
			}
			if (why) {
				printf("  skipped: %s (changed since the plan)\n", why);
				free(why);
				refused++;
				continue;
			}
			if (!j.path) {
				char ts[32];
				time_t now = time(NULL);

				strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", gmtime(&now));
				j.path = xasprintf("%s/clean-%s-%d.json", env.journal_dir, ts, getpid());
			}
			err = journal_add(&j, f, deactivate ? "lvchange-an" : "dm-remove");
			if (err) {
				elog("cannot write journal %s: %s; stopping before any change", j.path,
				     strerror(-err));
				goto cleanup;
			}
			if (deactivate) {
				char *lvpath = xasprintf("%s/%s", f->vg, f->lv);
				char *cmd[] = { "lvchange", "-an", lvpath, NULL };

				err = run_cmd(cmd);
				free(lvpath);
			} else {
				err = dm_remove_retry(f->dev->name);
			}
			if (err) {
				printf("  FAILED: %s\n", strerror(-err));
				refused++;
				continue;
			}
			printf("  done (journal %s)\n", j.path);
			done++;
		}
	}
	if (!planned)
		printf("Nothing to clean: no %s.\n", env.only ? env.only : "tombstones or duplicates");
	else if (env.dry_run)
		printf("\n%d planned, %d refused. Dry run: nothing changed%s.\n", planned, refused,
		       interactive || env.yes ? "" : " (no tty: run with --yes to act)");
	else
		printf("\n%d planned: %d done, %d refused or failed, %d declined.%s%s\n", planned,
		       done, refused, declined, j.path ? " Undo: dmwatch restore " : "",
		       j.path ? j.path : "");
	ret = refused ? EXIT_WARNING : EXIT_OK;
cleanup:
	records_free(&journal_desc, &j);
	free(j.path);
	report_free(&rep);
	state_free(&st);
	if (lock >= 0)
		close(lock);
	return ret;
}

/* ---- restore ---- */

static int create_device(const struct journal_entry *e)
{
	struct dm_task *dmt;
	uint32_t cookie = 0;
	int ok = 0;

	dmt = dm_task_create(DM_DEVICE_CREATE);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, e->name) ||
	    (!str_empty(e->uuid) && !dm_task_set_uuid(dmt, e->uuid)))
		goto cleanup;
	if (e->read_only)
		dm_task_set_ro(dmt);
	for (size_t i = 0; i < e->n_table; i++) {
		const struct dm_line *l = &e->table[i];

		if (!dm_task_add_target(dmt, l->start, l->length, l->type, l->params))
			goto cleanup;
	}
	if (dm_task_set_cookie(dmt, &cookie, 0))
		ok = dm_task_run(dmt);
	dm_udev_wait(cookie);
cleanup:
	dm_task_destroy(dmt);
	return ok ? 0 : -EIO;
}

int cmd_restore(int argc, char **argv)
{
	struct journal jr = {};
	int ret = EXIT_UNUSABLE, failed = 0;
	char *err = NULL;

	memset(&env, 0, sizeof(env));
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&restore_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;
	if (geteuid() != 0) {
		elog("restore needs root to create devices");
		return EXIT_UNUSABLE;
	}
	if (records_read(env.journal, "dmwatch clean journal", &journal_desc, &jr, &err)) {
		elog("%s", err);
		goto cleanup;
	}
	/* undo in reverse order: the last removal first */
	for (size_t k = jr.n_entries; k-- > 0;) {
		const struct journal_entry *e = &jr.entries[k];
		const char *name = e->name, *action = e->action, *vg = e->vg, *lv = e->lv;
		bool exists = false;
		int open_count, err;
		char cur[130];

		dm_info(name, &exists, &open_count, cur, sizeof(cur));
		if (exists) {
			printf("%s: exists already, left alone\n", name);
			continue;
		}
		if (!strcmp(action, "lvchange-an")) {
			char *lvpath = xasprintf("%s/%s", vg ? vg : "", lv ? lv : "");
			char *cmd[] = { "lvchange", "-ay", lvpath, NULL };

			err = vg && lv ? run_cmd(cmd) : -EINVAL;
			free(lvpath);
		} else {
			err = create_device(e);
		}
		if (err) {
			printf("%s: FAILED to restore: %s\n", name, strerror(-err));
			failed++;
		} else {
			printf("%s: restored\n", name);
		}
	}
	ret = failed ? EXIT_WARNING : EXIT_OK;
cleanup:
	records_free(&journal_desc, &jr);
	free(err);
	return ret;
}
