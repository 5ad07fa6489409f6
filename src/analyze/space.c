// SPDX-License-Identifier: GPL-2.0
/*
 * Space findings: LVM snapshot COW use, thin-pool data and metadata, multipath
 * paths. Each remedy is one command (arguments shell-quoted); what to weigh
 * before running it is said in the detail.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/internal.h"
#include "model/dmstatus.h"
#include "lib/util.h"

static enum severity percent_severity(double pct, const struct classify_opts *o)
{
	if (isnan(pct))
		return SEV_OK;
	if (pct >= o->crit_percent)
		return SEV_CRITICAL;
	if (pct >= o->warn_percent)
		return SEV_WARNING;
	return SEV_OK;
}

static enum severity max_sev(enum severity a, enum severity b)
{
	return a > b ? a : b;
}

static char *lv_label(const struct dev_finding *f, const char *fallback)
{
	return f->vg ? xasprintf("%s/%s", f->vg, f->lv) : xstrdup(fallback);
}

static struct space_finding *new_space(struct report *r, const struct dev_finding *f,
				       const char *kind)
{
	struct space_finding *s = array_push(&r->spaces, &r->n_spaces, sizeof(*s));

	s->name = xstrdup(f->dev->name);
	s->lv = lv_label(f, f->dev->name);
	s->kind = kind;
	s->used_percent = NAN;
	s->metadata_percent = NAN;
	return s;
}

/* a command on the LV "vg/lv" this finding is about */
static char *space_cmd(const char *verb, const char *opt, const struct space_finding *s)
{
	return opt ? shell_cmd(verb, opt, s->lv, NULL) : shell_cmd(verb, s->lv, NULL);
}

static void check_snapshot(const struct cctx *c, const struct classify_opts *o,
			   struct report *r, const struct dev_finding *f, const struct dm_line *l)
{
	struct snapshot_status ss;
	struct space_finding *s;
	uint32_t omaj, omin, cmaj, cmin;
	char grow[40];
	ssize_t oi;

	s = new_space(r, f, "lvm-snapshot");
	for (size_t t = 0; t < f->dev->n_table; t++) {
		if (strcmp(f->dev->table[t].type, "snapshot") ||
		    parse_snapshot_table(f->dev->table[t].params, &omaj, &omin, &cmaj, &cmin))
			continue;
		oi = dev_index(c, omaj, omin);
		if (oi >= 0 && r->devs[oi].vg)
			s->origin = xasprintf("%s/%s", r->devs[oi].vg, r->devs[oi].lv);
	}
	if (parse_snapshot_status(l->params, &ss)) {
		s->state = "unknown";
		s->severity = SEV_WARNING;
		s->detail = xasprintf("unreadable snapshot status \"%s\"", l->params);
		return;
	}
	s->state = snapshot_state_str(ss.state);
	if (ss.state != SNAP_ACTIVE) {
		s->severity = SEV_CRITICAL;
		s->used_percent = ss.state == SNAP_INVALID ? 100.0 : NAN;
		s->detail = xasprintf("snapshot %s is %s: reads from it fail with I/O errors; it "
				      "cannot be read back, remove it and retake it with a larger COW",
				      s->lv, s->state);
		s->remedy = space_cmd("lvremove", NULL, s);
		return;
	}
	s->used_bytes = ss.allocated * 512;
	s->total_bytes = ss.total * 512;
	s->used_percent = ss.total ? 100.0 * ss.allocated / ss.total : 0;
	s->severity = percent_severity(s->used_percent, o);
	s->detail = xasprintf("COW %.1f%% used (%.1f of %.1f MiB)%s", s->used_percent,
			      ss.allocated / 2048.0, ss.total / 2048.0,
			      s->severity ? "; grow it, or finish the backup and remove it, before "
					    "the COW is full and the snapshot turns invalid" : "");
	snprintf(grow, sizeof(grow), "-L+%lluM",
		 (unsigned long long)(ss.total / 2048 ? ss.total / 2048 : 1));
	if (s->severity)
		s->remedy = space_cmd("lvextend", grow, s);
}

/* what a pool in trouble needs, as one command; the order of steps is in the detail */
static void pool_remedy(struct space_finding *s, const struct thin_pool_status *ps,
			enum severity sev_data, enum severity sev_meta, const char *pool)
{
	const char *then = NULL;

	if (ps->needs_check) {
		s->severity = SEV_CRITICAL;
		then = "deactivate its thin volumes, extend the metadata first if it is full, then repair";
		s->remedy = shell_cmd("lvconvert", "--repair", pool, NULL);
	} else if (ps->mode != POOL_RW) {
		s->severity = SEV_CRITICAL;
		then = sev_meta >= sev_data ? "metadata full: the pool is no longer writable"
					    : "data full: the pool is no longer writable";
		s->remedy = sev_meta >= sev_data ?
			shell_cmd("lvextend", "--poolmetadatasize", "+1G", pool, NULL) :
			shell_cmd("lvextend", "-L+10G", pool, NULL);
	} else if (sev_meta && sev_meta >= sev_data) {
		then = "a full metadata device turns the pool read-only";
		s->remedy = shell_cmd("lvextend", "--poolmetadatasize", "+1G", pool, NULL);
	} else if (sev_data) {
		then = "extend it, or set thin_pool_autoextend_threshold in lvm.conf";
		s->remedy = shell_cmd("lvextend", "-L+10G", pool, NULL);
	}
	if (then) {
		char *d = xasprintf("%s; %s", s->detail, then);

		free(s->detail);
		s->detail = d;
	}
}

/* data in blocks of the table's size, metadata in 4 KiB blocks (dm-thin's fixed size) */
static void set_thin_pool_bytes(struct space_finding *s, const struct dm_dev *d,
				const struct thin_pool_status *ps)
{
	uint64_t bs;

	for (size_t t = 0; t < d->n_table; t++) {
		if (strcmp(d->table[t].type, "thin-pool") ||
		    parse_thin_pool_table(d->table[t].params, &bs))
			continue;
		s->total_bytes = ps->total_data * bs * 512;
		s->used_bytes = ps->used_data * bs * 512;
	}
	s->metadata_total_bytes = ps->total_meta * 4096;
	s->metadata_used_bytes = ps->used_meta * 4096;
}

static void check_thin_pool(const struct classify_opts *o, struct report *r,
			    const struct dev_finding *f, const struct dm_line *l)
{
	struct thin_pool_status ps;
	struct space_finding *s;
	enum severity sev_data, sev_meta;
	char *pool;

	/* the thin-pool target sits on the "-tpool" layer; the label names the pool LV */
	s = new_space(r, f, "thin-pool");
	pool = s->lv;
	if (parse_thin_pool_status(l->params, &ps)) {
		s->state = "unknown";
		s->severity = SEV_WARNING;
		s->detail = xasprintf("unreadable thin-pool status \"%s\"", l->params);
		return;
	}
	s->state = pool_mode_str(ps.mode);
	s->needs_check = ps.needs_check;
	if (ps.mode == POOL_FAIL || ps.mode == POOL_ERROR) {
		s->severity = SEV_CRITICAL;
		s->detail = xasprintf("thin pool %s has failed; deactivate its thin volumes, then "
				      "repair it (thin_check/thin_repair)", pool);
		s->remedy = shell_cmd("lvconvert", "--repair", pool, NULL);
		return;
	}
	s->used_percent = ps.total_data ? 100.0 * ps.used_data / ps.total_data : 0;
	s->metadata_percent = ps.total_meta ? 100.0 * ps.used_meta / ps.total_meta : 0;
	set_thin_pool_bytes(s, f->dev, &ps);
	sev_data = percent_severity(s->used_percent, o);
	sev_meta = percent_severity(s->metadata_percent, o);
	s->severity = max_sev(sev_data, sev_meta);
	s->detail = xasprintf("data %.1f%%, metadata %.1f%%, mode %s%s", s->used_percent,
			      s->metadata_percent, s->state, ps.needs_check ? ", needs_check" : "");
	pool_remedy(s, &ps, sev_data, sev_meta, pool);
}

static void check_multipath(struct report *r, const struct dev_finding *f, const struct dm_line *l)
{
	struct multipath_status ms;
	struct space_finding *s;

	if (parse_multipath_status(l->params, &ms) || !ms.n_paths)
		return;
	s = new_space(r, f, "multipath");
	s->n_paths = ms.n_paths;
	s->n_failed_paths = ms.n_failed;
	s->state = ms.n_failed == ms.n_paths ? "all-paths-failed" :
		   ms.n_failed ? "degraded" : "active";
	s->severity = ms.n_failed == ms.n_paths ? SEV_CRITICAL : ms.n_failed ? SEV_WARNING : SEV_OK;
	s->detail = xasprintf("%d of %d paths failed%s%s%s", ms.n_failed, ms.n_paths,
			      ms.n_failed ? ": " : "", ms.failed_paths,
			      ms.n_failed ? "; check cabling and the SAN for them" : "");
	if (s->severity)
		s->remedy = shell_cmd("multipath", "-ll", f->dev->name, NULL);
}

void check_spaces(const struct cctx *c, const struct classify_opts *o, struct report *r)
{
	const struct state *st = c->st;

	for (size_t i = 0; i < st->n_devs; i++) {
		const struct dm_dev *d = &st->devs[i];

		for (size_t t = 0; t < d->n_status; t++) {
			const struct dm_line *l = &d->status[t];

			if (!strcmp(l->type, "snapshot"))
				check_snapshot(c, o, r, &r->devs[i], l);
			else if (!strcmp(l->type, "thin-pool"))
				check_thin_pool(o, r, &r->devs[i], l);
			else if (!strcmp(l->type, "multipath"))
				check_multipath(r, &r->devs[i], l);
		}
	}
}
