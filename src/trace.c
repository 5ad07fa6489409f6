// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch trace: live dm lifecycle, I/O errors named at event time, and COW /
 * thin-pool fill with rate and time-to-full.
 *
 * open -> set rodata -> pick programs (kprobes or the ioctl syscall fallback)
 * -> load -> attach -> poll the ring buffer, sampling snapshot/pool status every
 * --interval and at once when the kernel raises a dm table event.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libdevmapper.h>
#include "commands.h"
#include "dm.h"
#include "dmstatus.h"
#include "events.h"
#include "trace.skel.h"
#include "util.h"

#define MAX_DEV_FILTERS 16

static struct trace_env {
	bool json;
	double interval;		/* seconds between status samples */
	double duration;		/* 0 = until Ctrl-C */
	const char *devs[MAX_DEV_FILTERS];
	int n_devs;
	bool force_syscalls;		/* test the fallback path */
	bool no_lower;
} env;

static volatile sig_atomic_t exiting;

/* A snapshot or thin pool being sampled */
struct watched {
	char name[DMW_NAME_LEN];
	uint32_t dev;			/* kernel dev_t */
	bool pool;			/* thin-pool, else snapshot */
	bool seen;			/* still present at the last refresh */
	char state[32];			/* last state string, for transition events */
	double last_pct;
	struct fill_rate fr;
	uint64_t read_sectors0;		/* reads of the snapshot since tracing began */
	uint64_t read_ns0;
	struct fill_rate reader;
};

struct tracer {
	struct trace_bpf *skel;
	struct ring_buffer *rb;
	struct name_map *names;
	struct watched *w;
	size_t n_w;
	uint64_t boot_to_unix_ns;
	uint64_t n_events, n_errors, last_lost;
	bool refresh;			/* re-list snapshots/pools at the next sample */
	bool sample_now;
	/* per-device error counts for the summary */
	struct { uint32_t dev; char name[DMW_NAME_LEN]; uint64_t n; } *errs;
	size_t n_errs;
};

static void sig_handler(int sig)
{
	exiting = 1;
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static error_t trace_parse(int key, char *arg, struct argp_state *state)
{
	char *end;

	switch (key) {
	case 'j': env.json = true; break;
	case 'v': verbose = 1; break;
	case 'i':
	case 'd':
		errno = 0;
		*(key == 'i' ? &env.interval : &env.duration) = strtod(arg, &end);
		if (errno || *end || (key == 'i' ? env.interval <= 0 : env.duration < 0))
			argp_error(state, "--%s takes seconds, not '%s'",
				   key == 'i' ? "interval" : "duration", arg);
		break;
	case 'D':
		if (env.n_devs == MAX_DEV_FILTERS)
			argp_error(state, "at most %d --dev filters", MAX_DEV_FILTERS);
		env.devs[env.n_devs++] = arg;
		break;
	case 0x100: env.force_syscalls = true; break;
	case 0x101: env.no_lower = true; break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option trace_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line (DESIGN.md event schema)", 0 },
	{ "interval", 'i', "S", 0, "Seconds between snapshot/pool samples (default 1)", 0 },
	{ "duration", 'd', "S", 0, "Stop after S seconds (default: until Ctrl-C)", 0 },
	{ "dev", 'D', "NAME|dm-N", 0, "Only this device (repeatable)", 0 },
	{ "syscalls", 0x100, NULL, 0, "Use the ioctl syscall tracepoints even where kprobes work", 0 },
	{ "no-lower", 0x101, NULL, 0, "Do not attribute lower-device errors to dm devices", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{},
};

static const struct argp trace_argp = {
	.options = trace_options,
	.parser = trace_parse,
	.doc = "Trace device-mapper live: create/remove/rename/suspend/resume/load with the "
	       "process that did it and failures such as EBUSY; I/O errors on dm-N named at "
	       "the moment they happen (also errors on the disks below); snapshot COW and "
	       "thin-pool fill with rate and time to full.\v"
	       "Needs root, a kernel with BTF and BPF. Ctrl-C or SIGTERM ends with a summary.",
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (level == LIBBPF_WARN && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* --dev filter: by name at event time, or dm-N */
static bool wanted(const char *name, uint32_t dev)
{
	char dmn[32];

	if (!env.n_devs)
		return true;
	snprintf(dmn, sizeof(dmn), "dm-%u", DMW_MINOR(dev));
	for (int i = 0; i < env.n_devs; i++)
		if ((name && !strcmp(env.devs[i], name)) || (dev && !strcmp(env.devs[i], dmn)))
			return true;
	return false;
}

static void print_time(char *buf, size_t len, uint64_t unix_ns)
{
	time_t secs = unix_ns / 1000000000ULL;
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

static void count_error(struct tracer *t, uint32_t dev, const char *name)
{
	for (size_t i = 0; i < t->n_errs; i++)
		if (t->errs[i].dev == dev && !strcmp(t->errs[i].name, name)) {
			t->errs[i].n++;
			return;
		}
	t->errs = xrealloc(t->errs, (t->n_errs + 1) * sizeof(*t->errs));
	t->errs[t->n_errs].dev = dev;
	snprintf(t->errs[t->n_errs].name, DMW_NAME_LEN, "%s", name);
	t->errs[t->n_errs++].n = 1;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct dmw_event *e = data;
	const struct name_entry *named = NULL;
	uint64_t unix_ns = e->ts_ns + t->boot_to_unix_ns;
	char line[2048], when[16], dn[32];
	const char *name;

	if (size < sizeof(*e))
		return 0;
	if (e->type == DMW_EV_DM_TABLE_EVENT) {
		/* snapshot invalidated, pool mode changed ...: re-read status now */
		t->sample_now = true;
		return 0;
	}
	t->n_events++;
	if (e->type == DMW_EV_IO_ERROR) {
		named = name_map_get(t->names, e->dev);
	} else {
		/* remove by name carries no dev: the map knows it */
		if (!e->dev && e->name[0])
			named = name_map_by_name(t->names, e->name);
		name_map_apply(t->names, e);
		t->refresh = true;
		t->sample_now = true;
	}
	name = e->type == DMW_EV_IO_ERROR ? (named ? named->name : NULL) : e->name;
	if (!wanted(name, e->dev ? e->dev : named ? named->dev : 0))
		return 0;
	if (e->type == DMW_EV_IO_ERROR) {
		t->n_errors++;
		count_error(t, e->dev, name ? name : "?");
	}
	if (env.json) {
		event_to_json(line, sizeof(line), e, unix_ns, named, e->lower_dev);
		printf("%s\n", line);
		fflush(stdout);
		return 0;
	}
	print_time(when, sizeof(when), unix_ns);
	snprintf(dn, sizeof(dn), "dm-%u", DMW_MINOR(e->dev ? e->dev : named ? named->dev : 0));
	if (e->type == DMW_EV_IO_ERROR) {
		char lower[48] = "";

		if (e->lower_dev)
			snprintf(lower, sizeof(lower), " on %u:%u below",
				 DMW_MAJOR(e->lower_dev), DMW_MINOR(e->lower_dev));
		printf("%-8s %-12s %-6s %-30s %7u %-15s %s %s %u bytes at sector %llu%s\n", when,
		       "IO_ERROR", dn, name ? name : "?", e->pid, e->comm,
		       errno_name(-e->error) ? errno_name(-e->error) : "EIO", op_str(e->op),
		       e->bytes, (unsigned long long)e->sector, lower);
	} else {
		char detail[300] = "";

		if (e->type == DMW_EV_DM_RENAME)
			snprintf(detail, sizeof(detail), "-> %s", e->new_name);
		printf("%-8s %-12s %-6s %-30s %7u %-15s %s%s%s\n", when,
		       event_type_str(e->type) + 3, e->dev || named ? dn : "-", e->name, e->pid,
		       e->comm, e->ret ? (errno_name(-e->ret) ? errno_name(-e->ret) : "failed") : "ok",
		       detail[0] ? " " : "", detail);
	}
	fflush(stdout);
	return 0;
}

/* ---- snapshot / pool sampling ---- */

static struct watched *watched_find(struct tracer *t, uint32_t dev)
{
	for (size_t i = 0; i < t->n_w; i++)
		if (t->w[i].dev == dev)
			return &t->w[i];
	return NULL;
}

static void refresh_watched(struct tracer *t)
{
	struct state st = {};

	for (size_t i = 0; i < t->n_w; i++)
		t->w[i].seen = false;
	dm_collect(&st);
	for (size_t i = 0; i < st.n_devs; i++) {
		const struct dm_dev *d = &st.devs[i];
		uint32_t dev = (d->major << DMW_MINORBITS) | d->minor;
		struct watched *w;

		name_map_set(t->names, dev, d->name, d->uuid);
		if (!d->n_table || (strcmp(d->table[0].type, "snapshot") &&
				    strcmp(d->table[0].type, "thin-pool")))
			continue;
		w = watched_find(t, dev);
		if (!w || strcmp(w->name, d->name)) {
			if (!w)
				w = array_push(&t->w, &t->n_w, sizeof(*w));
			memset(w, 0, sizeof(*w));
			w->dev = dev;
			snprintf(w->name, sizeof(w->name), "%s", d->name);
			w->pool = !strcmp(d->table[0].type, "thin-pool");
			w->last_pct = -1;
		}
		w->seen = true;
	}
	/* forget devices that are gone */
	for (size_t i = 0; i < t->n_w;) {
		if (!t->w[i].seen)
			t->w[i] = t->w[--t->n_w];
		else
			i++;
	}
	state_free(&st);
}

static int read_status(const char *name, char *type, size_t tlen, char *params, size_t plen)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_STATUS);
	uint64_t start, length;
	char *ttype = NULL, *p = NULL;
	int err = -ENOENT;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt))
		goto cleanup;
	dm_get_next_target(dmt, NULL, &start, &length, &ttype, &p);
	if (!ttype)
		goto cleanup;
	snprintf(type, tlen, "%s", ttype);
	snprintf(params, plen, "%s", p ? p : "");
	err = 0;
cleanup:
	dm_task_destroy(dmt);
	return err;
}

/* sectors read from /sys/block/dm-N/stat: how far a backup reader got */
static bool read_sectors(uint32_t dev, uint64_t *sectors)
{
	char path[64];
	unsigned long long f[3];
	FILE *fp;
	int n;

	snprintf(path, sizeof(path), "/sys/block/dm-%u/stat", DMW_MINOR(dev));
	fp = fopen(path, "re");
	if (!fp)
		return false;
	n = fscanf(fp, "%llu %llu %llu", &f[0], &f[1], &f[2]);
	fclose(fp);
	if (n != 3)
		return false;
	*sectors = f[2];
	return true;
}

static void emit_state_change(struct tracer *t, struct watched *w, const char *event,
			      const char *state, uint64_t unix_ns)
{
	char line[512], when[16];

	t->n_events++;
	if (env.json) {
		state_change_to_json(line, sizeof(line), event, w->name, w->dev, state, unix_ns);
		printf("%s\n", line);
	} else {
		print_time(when, sizeof(when), unix_ns);
		printf("%-8s %-12s dm-%-3u %-30s %s\n", when,
		       !strcmp(event, "snapshot_invalid") ? "SNAP_INVALID" : "POOL_MODE",
		       DMW_MINOR(w->dev), w->name, state);
	}
	fflush(stdout);
}

static void print_bar(char *buf, size_t len, double pct)
{
	int width = 20, fill = pct >= 100 ? width : (int)(pct / 100 * width);

	snprintf(buf, len, "[%.*s%.*s]", fill, "####################",
		 width - fill, "                    ");
}

static void sample_one(struct tracer *t, struct watched *w, uint64_t now_boot)
{
	char type[32], params[512], state[32], line[1024], when[16], bar[48], eta[32];
	uint64_t unix_ns = now_boot + t->boot_to_unix_ns, used = 0, total = 0, rs;
	double pct = NAN, eta_s = -1, reader_eta = -1;
	bool warn_reader = false;

	if (read_status(w->name, type, sizeof(type), params, sizeof(params)))
		return;
	if (!w->pool) {
		struct snapshot_status ss;

		if (parse_snapshot_status(params, &ss))
			return;
		snprintf(state, sizeof(state), "%s", snapshot_state_str(ss.state));
		if (ss.state == SNAP_ACTIVE) {
			used = ss.allocated * 512;
			total = ss.total * 512;
		}
	} else {
		struct thin_pool_status ps;

		if (parse_thin_pool_status(params, &ps))
			return;
		snprintf(state, sizeof(state), "%s%s", pool_mode_str(ps.mode),
			 ps.needs_check ? "+needs_check" : "");
		/* data blocks: the ratio is what matters; bytes are approximate */
		used = ps.used_data;
		total = ps.total_data;
	}
	if (w->state[0] && strcmp(w->state, state)) {
		if (!w->pool && strcmp(state, "active"))
			emit_state_change(t, w, "snapshot_invalid", state, unix_ns);
		else if (w->pool)
			emit_state_change(t, w, "pool_mode", state, unix_ns);
	} else if (!w->state[0] && !w->pool && strcmp(state, "active")) {
		emit_state_change(t, w, "snapshot_invalid", state, unix_ns);
	}
	snprintf(w->state, sizeof(w->state), "%s", state);
	if (!total)
		return;

	pct = 100.0 * used / total;
	eta_s = fill_rate_update(&w->fr, now_boot, used, total);
	/* a backup reading the snapshot: will it finish before the COW is full? */
	if (!w->pool && read_sectors(w->dev, &rs)) {
		if (!w->read_ns0) {
			w->read_ns0 = now_boot;
			w->read_sectors0 = rs;
		}
		fill_rate_update(&w->reader, now_boot, (rs - w->read_sectors0) * 512, UINT64_MAX);
		if (w->reader.have_rate && w->reader.rate > 0) {
			uint64_t size = 0, done = (rs - w->read_sectors0) * 512;
			char p[64];
			FILE *fp;

			snprintf(p, sizeof(p), "/sys/block/dm-%u/size", DMW_MINOR(w->dev));
			fp = fopen(p, "re");
			if (fp) {
				unsigned long long s;

				if (fscanf(fp, "%llu", &s) == 1)
					size = s * 512;
				fclose(fp);
			}
			if (size > done)
				reader_eta = (size - done) / w->reader.rate;
			warn_reader = eta_s >= 0 && reader_eta > eta_s;
		}
	}
	if (!env.json && fabs(pct - w->last_pct) < 0.05 && !warn_reader)
		return;
	w->last_pct = pct;
	if (!wanted(w->name, w->dev))
		return;
	t->n_events++;
	if (env.json) {
		struct cow_sample cs = {
			.name = w->name, .dev = w->dev, .kind = w->pool ? "thin-pool" : "lvm-snapshot",
			.used_percent = pct, .rate = w->fr.have_rate ? w->fr.rate : 0,
			.eta_s = eta_s, .reader_eta_s = reader_eta, .overflow_before_reader = warn_reader,
		};

		cow_sample_to_json(line, sizeof(line), &cs, unix_ns);
		printf("%s\n", line);
	} else {
		print_time(when, sizeof(when), unix_ns);
		print_bar(bar, sizeof(bar), pct);
		if (eta_s < 0)
			snprintf(eta, sizeof(eta), "not filling");
		else
			snprintf(eta, sizeof(eta), "full in %.0fs", eta_s);
		printf("%-8s %-12s dm-%-3u %-30s %s %5.1f%% %s%s\n", when,
		       w->pool ? "POOL" : "COW", DMW_MINOR(w->dev), w->name, bar, pct, eta,
		       warn_reader ? "  !!! WILL OVERFLOW BEFORE THE BACKUP READER FINISHES" : "");
	}
	fflush(stdout);
}

static void sample_all(struct tracer *t)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);

	if (t->refresh) {
		refresh_watched(t);
		t->refresh = false;
	}
	for (size_t i = 0; i < t->n_w; i++)
		sample_one(t, &t->w[i], now);
	t->sample_now = false;
}

static uint64_t lost_events(struct tracer *t)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals, sum = 0;
	uint32_t zero = 0;

	if (ncpu <= 0)
		return 0;
	vals = xcalloc(ncpu, sizeof(*vals));
	if (!bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.lost), &zero, vals))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

static void report_lost(struct tracer *t)
{
	uint64_t lost = lost_events(t);
	char ts[48];

	if (lost == t->last_lost)
		return;
	/* lost events go to stderr in the terminal view, and as an event in JSON */
	if (env.json) {
		format_ts(ts, sizeof(ts), clock_ns(CLOCK_REALTIME));
		printf("{\"ts\":\"%s\",\"event\":\"lost\",\"count\":%llu}\n", ts,
		       (unsigned long long)(lost - t->last_lost));
		fflush(stdout);
	} else {
		elog("lost %llu events (ring buffer full)",
		     (unsigned long long)(lost - t->last_lost));
	}
	t->last_lost = lost;
}

static bool kprobe_exists(const char *fn)
{
	static const char *files[] = {
		"/sys/kernel/tracing/available_filter_functions",
		"/sys/kernel/debug/tracing/available_filter_functions",
	};
	char line[256];
	size_t len = strlen(fn);
	bool found = false;

	if (access("/sys/bus/event_source/devices/kprobe", F_OK))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(files) && !found; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f))
			found = !strncmp(line, fn, len) && (line[len] == ' ' || line[len] == '\n');
		fclose(f);
		return found;
	}
	/* no tracefs: kallsyms still says whether the symbol exists */
	{
		FILE *f = fopen("/proc/kallsyms", "re");
		char sym[256], t;
		unsigned long long addr;

		if (!f)
			return false;
		while (!found && fscanf(f, "%llx %c %255s%*[^\n]", &addr, &t, sym) == 3)
			found = !strcmp(sym, fn);
		fclose(f);
	}
	return found;
}

static bool tracepoint_exists(const char *cat, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", cat, name);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s", cat, name);
	return !access(path, F_OK);
}

#define KPROBE_PAIRS(X) X(dev_create) X(dev_remove) X(dev_rename) X(dev_suspend) \
			X(table_load) X(remove_all)

/* kprobes on dm-ioctl when every handler can be probed, else the syscall tracepoints */
static int choose_programs(struct trace_bpf *skel, const char **how)
{
	bool kp = !env.force_syscalls;

#define CHECK_FN(fn) kp = kp && kprobe_exists(#fn);
	KPROBE_PAIRS(CHECK_FN)
#undef CHECK_FN
#define SET_KP(fn) bpf_program__set_autoload(skel->progs.fn##_entry, kp); \
		   bpf_program__set_autoload(skel->progs.fn##_exit, kp);
	KPROBE_PAIRS(SET_KP)
#undef SET_KP
	bpf_program__set_autoload(skel->progs.dm_table_event, kprobe_exists("dm_table_event"));
	if (kp) {
		*how = "kprobes on dm-ioctl";
		bpf_program__set_autoload(skel->progs.sys_enter_ioctl, false);
		bpf_program__set_autoload(skel->progs.sys_exit_ioctl, false);
	} else if (tracepoint_exists("syscalls", "sys_enter_ioctl")) {
		*how = "ioctl syscall tracepoints (no kprobes on dm-ioctl)";
	} else {
		*how = NULL;
		bpf_program__set_autoload(skel->progs.sys_enter_ioctl, false);
		bpf_program__set_autoload(skel->progs.sys_exit_ioctl, false);
	}
	if (!tracepoint_exists("block", "block_bio_complete")) {
		bpf_program__set_autoload(skel->progs.block_bio_complete, false);
		bpf_program__set_autoload(skel->progs.block_rq_complete, false);
		bpf_program__set_autoload(skel->progs.block_bio_remap, false);
		return -ENOENT;
	}
	return 0;
}

static void print_summary(struct tracer *t)
{
	fprintf(stderr, "\ndmwatch trace: %llu events, %llu I/O errors, %llu lost\n",
		(unsigned long long)t->n_events, (unsigned long long)t->n_errors,
		(unsigned long long)lost_events(t));
	for (size_t i = 0; i < t->n_errs; i++)
		fprintf(stderr, "  %-30s dm-%-4u %llu errors\n", t->errs[i].name,
			DMW_MINOR(t->errs[i].dev), (unsigned long long)t->errs[i].n);
}

int cmd_trace(int argc, char **argv)
{
	struct tracer t = {};
	const char *how = NULL;
	uint64_t start, next_sample;
	int err, ret = EXIT_UNUSABLE;
	uint32_t dm_major;
	bool have_block;

	memset(&env, 0, sizeof(env));
	env.interval = 1.0;
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&trace_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;

	if (geteuid() != 0) {
		elog("trace needs root (CAP_BPF and CAP_PERFMON) to load its BPF programs");
		return EXIT_UNUSABLE;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		elog("this kernel has no BTF (/sys/kernel/btf/vmlinux): CONFIG_DEBUG_INFO_BTF is needed");
		return EXIT_UNUSABLE;
	}
	dm_major = dm_read_major();
	if (!dm_major)
		elog("warning: device-mapper is not loaded (modprobe dm-mod); I/O errors on "
		     "dm devices cannot be filtered until it is");
	libbpf_set_print(libbpf_print);

	t.skel = trace_bpf__open();
	if (!t.skel) {
		elog("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	t.skel->rodata->dm_major = dm_major;
	t.skel->rodata->trace_lower = !env.no_lower;
	have_block = !choose_programs(t.skel, &how);
	if (!how)
		elog("warning: neither kprobes on dm-ioctl nor ioctl syscall tracepoints are "
		     "available; dm lifecycle events will not be seen");
	else if (env.force_syscalls || strstr(how, "syscall"))
		elog("warning: using %s", how);
	if (!have_block)
		elog("warning: block tracepoints missing; I/O errors will not be seen");

	err = trace_bpf__load(t.skel);
	if (err) {
		elog("cannot load BPF programs (%s); is this kernel built with BPF and BTF?",
		     strerror(-err));
		goto cleanup;
	}
	err = trace_bpf__attach(t.skel);
	if (err) {
		elog("cannot attach BPF programs: %s", strerror(-err));
		goto cleanup;
	}
	t.names = name_map_new();
	t.rb = ring_buffer__new(bpf_map__fd(t.skel->maps.events), handle_event, &t, NULL);
	if (!t.rb) {
		elog("cannot create ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	t.boot_to_unix_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	/* names of what exists now; lifecycle events keep them current from here on */
	t.refresh = true;
	sample_all(&t);

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	if (!env.json)
		printf("%-8s %-12s %-6s %-30s %7s %-15s %s\n", "TIME", "EVENT", "DEV", "NAME",
		       "PID", "COMM", "RESULT");
	fflush(stdout);
	fprintf(stderr, "Tracing device-mapper events... Hit Ctrl-C to end.\n");

	start = clock_ns(CLOCK_MONOTONIC);
	next_sample = start + env.interval * 1e9;
	while (!exiting) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int timeout_ms = now >= next_sample ? 0 : (next_sample - now) / 1000000 + 1;

		if (timeout_ms > 100)
			timeout_ms = 100;
		err = ring_buffer__poll(t.rb, timeout_ms);
		if (err < 0 && err != -EINTR) {
			elog("ring buffer poll failed: %s", strerror(-err));
			goto cleanup;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (t.sample_now || now >= next_sample) {
			sample_all(&t);
			report_lost(&t);
			if (now >= next_sample)
				next_sample = now + env.interval * 1e9;
		}
		if (env.duration > 0 && now - start >= env.duration * 1e9)
			break;
	}
	/* drain what is already in the ring buffer */
	ring_buffer__consume(t.rb);
	report_lost(&t);
	print_summary(&t);
	ret = EXIT_OK;
cleanup:
	ring_buffer__free(t.rb);
	trace_bpf__destroy(t.skel);
	name_map_free(t.names);
	free(t.w);
	free(t.errs);
	return ret;
}
