// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch restore JOURNAL: recreate what a `dmwatch clean` removed. The journal is
 * input like any other: every entry is checked (dm and LVM name rules, table
 * syntax) before anything happens, and a journal with one bad entry is refused
 * whole. Names go to LVM tools after "--"; a mapping whose storage another LV or
 * mapping uses now is not recreated. Takes clean's host lock.
 */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "cmd/clean.h"
#include "cmd/journal.h"
#include "cmd/commands.h"
#include "cmd/source.h"
#include "collect/dm.h"
#include "lib/escape.h"
#include "lib/fileio.h"
#include "lib/util.h"

static const char *journal_path;

static error_t restore_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_ARG:
		if (journal_path)
			argp_error(state, "one journal at a time, not also '%s'", arg);
		journal_path = arg;
		break;
	case ARGP_KEY_END:
		if (!journal_path)
			argp_error(state, "which journal? (dmwatch restore JOURNAL)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp restore_argp = {
	.options = NULL,
	.parser = restore_parse,
	.args_doc = "JOURNAL",
	.doc = "Recreate the mappings a `dmwatch clean` removed, from its journal: dm devices "
	       "with their exact table and uuid, LVs it deactivated are activated again. Every "
	       "entry is checked first (names, table syntax); a journal with an entry that "
	       "fails is refused whole. A mapping whose extents another LV or mapping now "
	       "uses is not recreated."
	       "\vExit: 0 restored (or present already), 1 some entries refused or failed, "
	       "3 journal unusable or could not run.",
};


/* ---- what a journal entry may hold ---- */

static bool printable_ascii(const char *s, bool space_ok)
{
	for (; *s; s++)
		if ((unsigned char)*s < (space_ok ? 0x20 : 0x21) || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/*
 * The kernel's rule (any byte but '/' and NUL, < 128), minus control bytes unless
 * the entry says the kernel held this very name raw (a device clean removed by
 * its raw name is recreated under the same bytes).
 */
static bool valid_dm_name(const char *s, bool raw_name)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n >= 128 || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	if (raw_name)
		return true;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* lvm2's name rule: [A-Za-z0-9+_.-], not starting with '-', not . or .., < 128 */
static bool valid_lvm_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n >= 128 || s[0] == '-' || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("+_.-", *s))
			return false;
	return true;
}

/* A table the kernel would take as one device: contiguous from 0, sane types and params */
static char *table_problem(const struct journal_entry *e)
{
	uint64_t next = 0;

	if (!e->n_table || e->n_table > 1024)
		return xstrdup("its table has no lines or too many");
	for (size_t i = 0; i < e->n_table; i++) {
		const struct dm_line *l = &e->table[i];
		size_t tl = strlen(l->type);

		if (l->start != next || !l->length || l->length > UINT64_MAX - l->start)
			return xasprintf("table line %zu does not follow the one before", i + 1);
		next = l->start + l->length;
		if (!tl || tl > 15 || strspn(l->type, "abcdefghijklmnopqrstuvwxyz0123456789_-") != tl)
			return xasprintf("table line %zu has a bad target type", i + 1);
		if (strlen(l->params) > 4096 || !printable_ascii(l->params, true))
			return xasprintf("table line %zu has bad parameters", i + 1);
	}
	return NULL;
}

char *journal_entry_problem(const struct journal_entry *e)
{
	char vgu[33], lvu[33], layer[32];

	if (!valid_dm_name(e->name, e->name_unmangled))
		return xstrdup("its dm name is missing or not one device-mapper takes");
	if (!e->uuid || strlen(e->uuid) >= 129 || !printable_ascii(e->uuid, false))
		return xstrdup("its dm uuid is missing or malformed");
	if (!e->action)
		return xstrdup("it has no action");
	if (!strcmp(e->action, "lvchange-an")) {
		if (!valid_lvm_name(e->vg) || !valid_lvm_name(e->lv))
			return xstrdup("its VG or LV name is not one LVM takes");
		if (!parse_lvm_uuid(e->uuid, vgu, lvu, layer) || layer[0])
			return xstrdup("an LV entry without the LV's uuid");
		return NULL;
	}
	if (strcmp(e->action, "dm-remove"))
		return xstrdup("its action is neither dm-remove nor lvchange-an");
	return table_problem(e);
}

/* Would recreating e map storage someone else uses now? NULL, or why. */
static char *entry_conflict(const struct journal_entry *e, const struct state *st)
{
	char vgu[33], lvu[33], layer[32];
	const struct lvm_extent *owner;
	bool own = parse_lvm_uuid(e->uuid, vgu, lvu, layer);
	struct extent_index ix;
	char *why = NULL;

	extent_index_init(&ix, st);
	owner = lvm_extent_owner(&ix, e->table, e->n_table, own ? lvu : NULL);
	if (owner)
		why = xasprintf("its extents now belong to LV %s/%s", owner->vg_name, owner->lv_name);
	extent_index_free(&ix);
	if (why)
		return why;
	for (size_t i = 0; i < st->n_devs; i++) {
		const struct dm_dev *d = &st->devs[i];

		if (tables_alias(e->table, e->n_table, d->table, d->n_table)) {
			char *name = term_escaped(d->name), *why;

			why = xasprintf("mapping %s maps the same storage now", name);
			free(name);
			return why;
		}
	}
	return NULL;
}

static int restore_entry(const struct journal_entry *e, const struct state *st)
{
	char vgu[33], lvu[33], layer[32], dashed[40];
	char *name = term_escaped(e->name), *why = NULL;
	struct dm_dev_info info;
	int err = 0;

	if (!dm_device_info(e->name, e->name_unmangled, &info) && info.exists) {
		printf("%s: exists already, left alone\n", name);
		goto cleanup;
	}
	if (!strcmp(e->action, "lvchange-an")) {
		parse_lvm_uuid(e->uuid, vgu, lvu, layer);
		/* lvs prints the LV uuid as 6-4-4-4-4-4-6 */
		snprintf(dashed, sizeof(dashed), "%.6s-%.4s-%.4s-%.4s-%.4s-%.4s-%.6s", lvu, lvu + 6,
			 lvu + 10, lvu + 14, lvu + 18, lvu + 22, lvu + 26);
		err = lv_set_active(dashed, e->vg, e->lv, true);
	} else if ((why = entry_conflict(e, st))) {
		printf("%s: refused: %s\n", name, why);
		err = -EEXIST;
		goto cleanup;
	} else {
		err = dm_create_device(e->name, e->name_unmangled, e->uuid, e->read_only, e->table,
				       e->n_table);
	}
	if (err)
		printf("%s: FAILED to restore: %s\n", name, strerror(-err));
	else
		printf("%s: restored\n", name);
cleanup:
	free(why);
	free(name);
	return err;
}

/* Every entry usable, or the journal is refused whole: 0, or -1 after saying why */
static int check_entries(const struct journal_entry *entries, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char *why = journal_entry_problem(&entries[k]);

		if (why) {
			elog("%s: entry %zu: %s; nothing restored", journal_path, k + 1, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	struct collect_opts co = {};
	struct journal j = {};
	struct state st = {};
	int ret = EXIT_UNUSABLE, failed = 0, lock = -1;
	char *why = NULL;

	journal_path = NULL;
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&restore_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;
	/* a file that is not a journal, or an entry of the wrong shape, refuses the whole */
	if (journal_read(journal_path, &j, &why)) {
		elog("%s", why);
		goto cleanup;
	}
	if (check_entries(j.entries, j.n_entries))
		goto cleanup;
	if (geteuid() != 0) {
		elog("restore needs root to create devices");
		goto cleanup;
	}
	if (!dm_read_major()) {
		elog("device-mapper is not available in this kernel; nothing restored");
		goto cleanup;
	}
	if ((lock = clean_lock()) < 0)
		goto cleanup;
	co.lvm_exit_status = true;
	collect_live(&st, &co);
	if (!st.have_dm || !st.have_lvm) {
		elog("device-mapper or LVM could not be read: who owns the journal's extents now "
		     "is unknown; nothing restored");
		goto cleanup;
	}
	/* undo in reverse order: the last removal first */
	for (size_t k = j.n_entries; k-- > 0;)
		if (restore_entry(&j.entries[k], &st))
			failed++;
	ret = failed ? EXIT_WARNING : EXIT_OK;
cleanup:
	free(why);
	state_free(&st);
	journal_free(&j);
	if (lock >= 0)
		close(lock);
	return ret;
}
