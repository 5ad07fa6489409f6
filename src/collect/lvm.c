// SPDX-License-Identifier: GPL-2.0
/*
 * LVM's view from one `lvm fullreport -a --reportformat json`: per VG, its "seg" rows
 * (LVs with uuids, attrs, pool, origin, thin ids and PE ranges, the fields
 * `lvs -a --segments` would print) and its "pv" rows (where extents start), parsed as
 * LVM writes them (lvmreport.c). One command, so LVM scans the
 * devices once (lvs then pvs scanned them twice: most of a live scan's time on a node
 * with hundreds of dm devices). PE ranges become sector extents on the PV's device so
 * that scan can tell which LV owns the blocks a stale mapping points at.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "collect/lvm.h"
#include "collect/lvmreport.h"
#include "lib/util.h"

#define SEG_FIELDS "vg_name,vg_uuid,lv_name,lv_uuid,lv_attr,lv_size,pool_lv,origin," \
		   "thin_id,seg_pe_ranges,vg_extent_size"
#define PV_FIELDS "pv_name,pe_start"
/*
 * fullreport prints five sections per VG; the three not read get one cheap field each
 * (an empty -o is refused). global/activation=0: LVM answers from its metadata and
 * does not ask device-mapper about each LV (lv_attr's state letters, the percents:
 * one status ioctl per LV, a sixth of the report's time at 1,000 LVs), since the scan
 * reads every dm device itself. lv_attr's first letter, the volume type, comes from
 * the metadata; its state letters read "XX". LVM still reads dm devices that may be
 * PVs (a VG on multipath or dm-crypt is found as before). backup/backup=0: fullreport
 * (like vgs, unlike lvs) otherwise reads each VG's /etc/lvm/backup file and, when it
 * is missing or older than the metadata, writes it and an archive copy; a scan writes
 * nothing (serve runs one per Prometheus scrape), and reading the backup was 4 % of
 * LVM's time. log/report_command_log=1: the report ends with LVM's command log, whose
 * verdict the scan can act on before lvm exits (lvm_report_vouched); every entry of
 * it (command_log_selection=all), since lvm2 2.03.16 ends the array with a comma,
 * not JSON, when entries it printed are followed by ones its selection leaves out
 * (an error, then objects that succeeded: tests/fixtures/lvm/README).
 */
static char *const fullreport_argv[] = {
	"lvm", "fullreport", "-a", "--config",
	"global/activation=0 backup/backup=0 log/report_command_log=1 log/command_log_selection=all",
	"--reportformat", "json", "--units", "s", "--nosuffix",
	"--configreport", "vg", "-o", "vg_name", "--configreport", "lv", "-o", "lv_uuid",
	"--configreport", "pvseg", "-o", "pvseg_start", "--configreport", "seg", "-o",
	SEG_FIELDS, "--configreport", "pv", "-o", PV_FIELDS,
	"--configreport", "log", "-o", "log_type,log_ret_code", NULL
};

/* lvs prints numbers as strings, "" when not applicable; -1 / NaN for those. */
static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (str_empty(s) || *s == '-')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && *end == 0;
}

static double parse_percent(const char *s)
{
	char *end;
	double v;

	if (str_empty(s))
		return NAN;
	v = strtod(s, &end);
	return (*end == 0 && v >= 0 && v <= 100.0) ? v : NAN;
}

/*
 * The LVs met so far by uuid, while a report is walked: one row per segment, and
 * a thin pool's or a snapshot's rows are not always next to each other, so each
 * row asks. Open addressing over indexes into st->lvs (which moves as it grows),
 * sized once for every LV there can be: a linear search made 1,000 LVs cost half
 * a million strcmp.
 */
struct lv_set {
	size_t *slot;		/* index into st->lvs + 1; 0 is empty */
	size_t mask;
};

static size_t uuid_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static void lv_set_init(struct lv_set *set, size_t most)
{
	size_t size = 16;

	while (size < 2 * most)
		size *= 2;
	set->slot = xcalloc(size, sizeof(*set->slot));
	set->mask = size - 1;
}

/* the LV with this uuid, or the empty slot where it would go */
static size_t *lv_set_slot(const struct lv_set *set, const struct state *st, const char *uuid)
{
	size_t i = uuid_hash(uuid) & set->mask;

	while (set->slot[i] && strcmp(st->lvs[set->slot[i] - 1].lv_uuid, uuid))
		i = (i + 1) & set->mask;
	return &set->slot[i];
}

static void lv_set_add(struct lv_set *set, const struct state *st, size_t index)
{
	size_t *slot = lv_set_slot(set, st, st->lvs[index].lv_uuid);

	if (!*slot)
		*slot = index + 1;
}

/* digits only, no sign, no overflow */
static bool parse_pe(const char *s, const char *stop, uint64_t *out)
{
	uint64_t v = 0;

	if (s == stop)
		return false;
	for (; s < stop; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/* the PV a VG's last range was on: one VG's ranges are mostly on one PV */
struct pv_seen {
	char name[PATH_MAX];
	uint64_t pe_start;
	uint32_t major, minor;
	bool ok;
};

/* a PV's pe_start from the VG's pv rows and its device number; false when unknown */
static bool pv_lookup(const struct lvm_vg_rows *vg, const char *pv_name, lvm_resolve_fn resolve,
		      struct pv_seen *seen)
{
	if (!strcmp(seen->name, pv_name))
		return seen->ok;
	snprintf(seen->name, sizeof(seen->name), "%s", pv_name);
	seen->pe_start = UINT64_MAX;
	for (size_t i = 0; i < vg->n_pv; i++) {
		const char *name = vg->pv[i].v[LF_PV_NAME];

		if (name && !strcmp(name, pv_name))
			parse_u64(vg->pv[i].v[LF_PE_START], &seen->pe_start);
	}
	seen->ok = seen->pe_start != UINT64_MAX && !resolve(pv_name, &seen->major, &seen->minor);
	return seen->ok;
}

/*
 * "/dev/loop0:0-255 /dev/loop1:0-9" -> extents, using each PV's pe_start. Ranges
 * on LV areas ("data_tdata:0-19", a thin pool's data) are not PVs: skipped. Each
 * range is judged on its own; a bad one is reported once per LV.
 */
static int add_pe_ranges(struct state *st, const char *source, const struct lvm_vg_rows *vg,
			 const struct lvm_lv *lv, const char *ranges, uint64_t extent_size,
			 lvm_resolve_fn resolve, struct pv_seen *seen)
{
	char *copy = xstrdup(ranges), *save = NULL, *tok;
	int err = 0;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *colon = strrchr(tok, ':'), *dash;
		uint64_t first, last;
		struct lvm_extent *x;

		if (!colon || !(dash = strchr(colon, '-')) ||
		    !parse_pe(colon + 1, dash, &first) ||
		    !parse_pe(dash + 1, dash + 1 + strlen(dash + 1), &last) || last < first ||
		    last - first + 1 > UINT64_MAX / extent_size ||
		    first > (UINT64_MAX - (last - first + 1) * extent_size) / extent_size) {
			err = -EINVAL;
			continue;
		}
		*colon = 0;
		/* "" or "[unknown]": a missing PV (lvs' word for it) */
		if (!tok[0] || tok[0] == '[') {
			err = -EINVAL;
			continue;
		}
		if (tok[0] != '/' || !vg->has_pv)
			continue;	/* an LV area, or no pv section (said once by the caller) */
		if (!pv_lookup(vg, tok, resolve, seen)) {
			state_add_problem(st, source, "PV %s of %s/%s not found", tok,
					  lv->vg_name, lv->lv_name);
			continue;
		}
		/* where the range ends on the disk must be a sector number too */
		if (seen->pe_start > UINT64_MAX - (last + 1) * extent_size) {
			err = -EINVAL;
			continue;
		}
		x = array_push(&st->extents, &st->n_extents, sizeof(*x));
		x->vg_name = xstrdup(lv->vg_name);
		x->lv_name = xstrdup(lv->lv_name);
		x->lv_uuid = xstrdup(lv->lv_uuid);
		x->pv_major = seen->major;
		x->pv_minor = seen->minor;
		x->start = seen->pe_start + first * extent_size;
		x->length = (last - first + 1) * extent_size;
	}
	if (err)
		state_add_problem(st, source, "bad seg_pe_ranges \"%s\" for %s/%s", ranges,
				  lv->vg_name, lv->lv_name);
	free(copy);
	return err;
}

/* One VG's "seg" rows (pv_rows: its "pv" rows) into st->lvs / st->extents. */
static void parse_vg(struct state *st, const char *source, const struct lvm_vg_rows *vgr,
		     struct lv_set *lvs, lvm_resolve_fn resolve)
{
	struct pv_seen seen = { .name = "" };
	bool said_no_pvs = false;

	for (size_t i = 0; i < vgr->n_seg; i++) {
		char *const *r = vgr->seg[i].v;
		const char *vg = r[LF_VG_NAME], *name = r[LF_LV_NAME];
		const char *uuid = r[LF_LV_UUID], *ranges = r[LF_SEG_PE_RANGES];
		const struct lvm_lv *known;
		uint64_t extent_size = 0;
		struct lvm_lv *lv;
		size_t *slot;

		if (str_empty(vg) || str_empty(name) || str_empty(uuid) ||
		    strlen(vg) > 127 || strlen(name) > 127) {
			state_add_problem(st, source, "LVM report row %zu lacks vg/lv name or uuid", i);
			continue;
		}
		/* one row per segment; the LV itself once */
		slot = lv_set_slot(lvs, st, uuid);
		known = *slot ? &st->lvs[*slot - 1] : NULL;
		if (!known) {
			uint64_t v;

			lv = array_push(&st->lvs, &st->n_lvs, sizeof(*lv));
			lv->vg_name = xstrdup(vg);
			/* hidden LVs come as "[data_tdata]" */
			lv->lv_name = name[0] == '[' ? xstrndup(name + 1, strcspn(name + 1, "]"))
						     : xstrdup(name);
			lv->vg_uuid = xstrdup(r[LF_VG_UUID] ? r[LF_VG_UUID] : "");
			lv->lv_uuid = xstrdup(uuid);
			lv->attr = xstrdup(r[LF_LV_ATTR] ? r[LF_LV_ATTR] : "");
			lv->pool = xstrdup(r[LF_POOL_LV] ? r[LF_POOL_LV] : "");
			lv->origin = xstrdup(r[LF_ORIGIN] ? r[LF_ORIGIN] : "");
			lv->size = parse_u64(r[LF_LV_SIZE], &v) ? v * 512 : 0;
			lv->data_percent = parse_percent(r[LF_DATA_PERCENT]);
			lv->metadata_percent = parse_percent(r[LF_METADATA_PERCENT]);
			/* a thin device id is 24 bits in the kernel; anything else is not one */
			lv->thin_id = parse_u64(r[LF_THIN_ID], &v) && v <= INT64_MAX / 2 ?
				      (int64_t)v : -1;
			*slot = st->n_lvs;
			known = lv;
		}
		if (str_empty(ranges) || !parse_u64(r[LF_VG_EXTENT_SIZE], &extent_size) ||
		    !extent_size)
			continue;
		if (!vgr->has_pv && strchr(ranges, '/') && !said_no_pvs) {
			state_add_problem(st, source, "no pv section for VG %s; extent ownership "
					  "unknown", vg);
			said_no_pvs = true;
		}
		add_pe_ranges(st, source, vgr, known, ranges, extent_size, resolve, &seen);
	}
}

/* A parsed report (NULL: it was not JSON) into the state; the rows stay the caller's */
static int walk_report(struct state *st, const char *source, const struct lvm_report *rep,
		       lvm_resolve_fn resolve)
{
	bool ok = rep && rep->has_report;
	struct lv_set lvs;
	size_t most;

	/*
	 * Every VG's object carries its segments; PVs in no VG come in an object of their
	 * own with only "pv" and "pvseg"; no VG at all is an empty array.
	 */
	for (size_t i = 0; ok && i < rep->n_vgs; i++)
		ok = rep->vgs[i].has_seg || rep->vgs[i].has_pv;
	if (!ok) {
		state_add_problem(st, source, "LVM report is not the JSON lvm fullreport prints");
		return -EINVAL;
	}
	most = st->n_lvs;
	for (size_t i = 0; i < rep->n_vgs; i++)
		most += rep->vgs[i].n_seg;
	lv_set_init(&lvs, most);
	for (size_t i = 0; i < st->n_lvs; i++)
		lv_set_add(&lvs, st, i);
	for (size_t i = 0; i < rep->n_vgs; i++)
		parse_vg(st, source, &rep->vgs[i], &lvs, resolve);
	free(lvs.slot);
	st->have_lvm = true;
	return 0;
}

int lvm_parse_report(struct state *st, const char *source, const char *json,
		     lvm_resolve_fn resolve)
{
	struct lvm_report_parser *p = lvm_report_parser_new();
	struct lvm_report *rep;
	int err;

	if (json)
		lvm_report_parser_feed(p, json, strlen(json));
	rep = lvm_report_parser_finish(p);
	err = walk_report(st, source, json ? rep : NULL, resolve);
	lvm_report_free(rep);
	return err;
}

int lvm_resolve_pv(const char *pv_name, uint32_t *major, uint32_t *minor)
{
	struct stat sb;

	if (stat(pv_name, &sb) || !S_ISBLK(sb.st_mode))
		return -ENOENT;
	*major = major(sb.st_rdev);
	*minor = minor(sb.st_rdev);
	return 0;
}

/*
 * The job, shared by its thread and the caller: the first to be done with it
 * frees it (the caller leaves early when LVM vouched for its report, the thread
 * then still reaps lvm).
 */
struct lvm_job {
	pthread_t thread;	/* spawns lvm, reads and parses its output, reaps it */
	bool started;		/* the thread runs (else finish runs the job itself) */
	pthread_mutex_t lock;	/* the fields below */
	pthread_cond_t changed;
	struct lvm_report *report;	/* its rows once vouched or done (finish frees them if lvm failed) */
	bool vouched;		/* report is LVM's complete one and its log says success */
	bool done;		/* lvm was reaped: err is final */
	bool left;		/* the caller took the vouched report and went */
	int err;		/* 0, -ENOENT (no lvm), -EIO (it failed) */
};

/*
 * Did LVM say, in the report itself, that the command succeeded? Its command log
 * holds every error LVM logged and the status of every object it processed, the
 * outcomes that make lvm's exit status. Only a log of statuses that all say
 * success vouches for the report. A report without a log (an LVM that does not
 * write one) says nothing, and neither does one with errors (LVM logs some it
 * does not fail on): the exit status decides those, as it did before.
 */
bool lvm_report_vouched(const struct lvm_report *rep)
{
	if (!rep || !rep->has_log)
		return false;
	for (size_t i = 0; i < rep->n_log; i++) {
		const struct lvm_row *row = &rep->log[i];
		const char *type = row->v[LF_LOG_TYPE], *ret = row->v[LF_LOG_RET_CODE];

		if (!type || !strcmp(type, "error") ||
		    (!strcmp(type, "status") && (!ret || strcmp(ret, "1"))))
			return false;
	}
	return true;
}

static void job_free(struct lvm_job *job)
{
	lvm_report_free(job->report);
	pthread_mutex_destroy(&job->lock);
	pthread_cond_destroy(&job->changed);
	free(job);
}

/* The report is vouched for: the caller may take it now, before lvm exits */
static void job_vouch(struct lvm_job *job, struct lvm_report *rep)
{
	pthread_mutex_lock(&job->lock);
	job->report = rep;
	job->vouched = true;
	pthread_cond_signal(&job->changed);
	pthread_mutex_unlock(&job->lock);
}

/* lvm is reaped: its exit status is known (a vouched report is already the job's) */
static void job_done(struct lvm_job *job, struct lvm_report *rep, int err)
{
	bool left;

	pthread_mutex_lock(&job->lock);
	if (!job->vouched)
		job->report = rep;
	job->err = err;
	job->done = true;
	left = job->left;
	pthread_cond_signal(&job->changed);
	pthread_mutex_unlock(&job->lock);
	if (left)
		job_free(job);
}

/*
 * The job's reader: feeds LVM's output to the parser as it comes (the report is
 * parsed while LVM is still writing it, and LVM never waits at a full pipe). When
 * the report is whole and its command log says success, the rows go to the caller
 * at once: lvm still takes ~60 ms under emulation to exit after its last byte
 * (unlocked by then, freeing its caches), a tenth of a 200-LV scan. Then it reaps
 * lvm. It touches no state: finish puts the rows in.
 */
static void read_report(struct lvm_job *job, pid_t pid, int fd)
{
	struct lvm_report_parser *p = lvm_report_parser_new();
	struct lvm_report *rep = NULL;
	bool vouched = false;
	char buf[65536];
	int status = 0;
	pid_t reaped;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		lvm_report_parser_feed(p, buf, (size_t)r);
		if (!rep && (rep = lvm_report_parser_take(p)) && lvm_report_vouched(rep)) {
			vouched = true;
			job_vouch(job, rep);
		}
	}
	close(fd);
	if (!rep)
		rep = lvm_report_parser_finish(p);
	else
		lvm_report_free(lvm_report_parser_finish(p));
	do
		reaped = waitpid(pid, &status, 0);
	while (reaped < 0 && errno == EINTR);
	if (vouched)
		rep = NULL;	/* the caller's */
	job_done(job, rep, r < 0 || reaped < 0 || !WIFEXITED(status) || WEXITSTATUS(status) ?
			   -EIO : 0);
}

/* environ with LVM_SUPPRESS_FD_WARNINGS=1 added: the caller frees the array only */
static char **report_env(void)
{
	size_t n = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	memcpy(env, environ, n * sizeof(*env));
	env[n] = "LVM_SUPPRESS_FD_WARNINGS=1";
	return env;
}

/*
 * lvm is started directly (posix_spawnp, no shell: one exec less, which counts
 * under emulation), its stdout a close-on-exec pipe so no later child keeps it
 * open, its stderr /dev/null unless -v.
 */
static int spawn_report(pid_t *pid, int *fd)
{
	posix_spawn_file_actions_t fa;
	char **env = report_env();
	int fds[2], err;

	if (pipe2(fds, O_CLOEXEC)) {
		err = errno;
		goto cleanup;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	if (!verbose)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(pid, "lvm", &fa, NULL, fullreport_argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err)
		close(fds[0]);
	else
		*fd = fds[0];
cleanup:
	free(env);
	return -err;
}

/*
 * The whole job, on its own thread. The spawn is here too: posix_spawn holds its
 * caller until lvm's exec is done (vfork): 10 to 13 ms of a 200-LV scan under
 * emulation, which the caller now spends reading device-mapper.
 */
static void *report_job(void *arg)
{
	struct lvm_job *job = arg;
	pid_t pid = 0;
	int fd = -1, err;

	err = spawn_report(&pid, &fd);
	if (err)
		job_done(job, NULL, err);
	else
		read_report(job, pid, fd);
	return NULL;
}

struct lvm_job *lvm_collect_start(void)
{
	struct lvm_job *job = xcalloc(1, sizeof(*job));

	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->changed, NULL);
	/* without a thread, finish runs it all then */
	if (!pthread_create(&job->thread, NULL, report_job, job))
		job->started = true;
	return job;
}

int lvm_collect_finish(struct state *st, struct lvm_job *job, bool exit_status)
{
	struct lvm_report *rep;
	bool done;
	int err;

	if (!job->started)
		report_job(job);
	pthread_mutex_lock(&job->lock);
	while (!job->done && !(job->vouched && !exit_status))
		pthread_cond_wait(&job->changed, &job->lock);
	rep = job->report;
	job->report = NULL;
	done = job->done;
	err = done ? job->err : 0;
	job->left = !done;
	pthread_mutex_unlock(&job->lock);
	/* lvm still exiting: its thread reaps it and frees the job */
	if (job->started && done)
		pthread_join(job->thread, NULL);
	else if (job->started)
		pthread_detach(job->thread);
	if (done)
		job_free(job);
	if (err) {
		lvm_report_free(rep);
		state_add_problem(st, "lvm", err == -ENOENT ? "LVM tools not installed" :
				  "lvm fullreport failed; LVM checks skipped");
		return err;
	}
	err = walk_report(st, "lvm", rep, lvm_resolve_pv);
	lvm_report_free(rep);
	return err;
}
