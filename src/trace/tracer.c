// SPDX-License-Identifier: GPL-2.0
/*
 * The live event source: BPF skeleton lifecycle, program choice at run time,
 * names resolved at event time, and snapshot / thin-pool sampling.
 *
 * kernel facts (kfacts.c) -> plan (plan.c: which programs load) -> open -> set
 * rodata -> load -> attach, again without any program the kernel refused -> poll
 * the ring buffer; status is sampled every interval and at once after any dm
 * lifecycle or dm table event.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect/dm.h"
#include "lib/fileio.h"
#include "model/dmstatus.h"
#include "model/record.h"
#include "model/state.h"
#include "trace.skel.h"
#include "trace/tracer.h"
#include "trace/kfacts.h"
#include "trace/plan.h"
#include "trace/uevent.h"
#include "lib/util.h"
#include "lib/clock.h"
#include "lib/opts.h"

/* A snapshot or thin pool being sampled */
struct watched {
	char name[DMW_NAME_LEN];
	uint32_t dev;			/* kernel dev_t */
	bool pool;			/* thin-pool, else snapshot */
	bool seen;			/* still present at the last refresh */
	char state[48];			/* last state, for transition events */
	struct fill_rate fr;
	uint64_t read_sectors0;		/* the snapshot's reads when first seen */
	bool have_reads;
	struct fill_rate reader;
};

/* A piece of a disk below dm that a linear/striped table maps, and where to */
struct lower_ext {
	uint32_t lower_dev;		/* kernel dev_t */
	uint64_t start, end;		/* sectors on the disk, end exclusive */
	uint32_t dm_dev;
	uint64_t dm_start;		/* the dm sector `start` maps to */
};

struct tracer {
	struct tracer_opts opts;
	tracer_cb cb;
	void *ctx;
	struct trace_bpf *skel;
	struct ring_buffer *rb;
	struct name_map *names;
	struct watched *w;
	size_t n_w;
	struct lower_ext *lower;	/* sorted by lower_dev, start */
	size_t n_lower;
	uint64_t lower_refresh_ns;	/* last re-read for an error no table explained */
	int uevent_fd;			/* NETLINK_KOBJECT_UEVENT, -1 unless lifecycle comes from there */
	struct uevent_source uev;
	const char *mode;
	struct trace_plan plan;		/* what loads on this kernel, what it costs */
	uint64_t boot_to_unix_ns;
	uint64_t next_sample_ns;	/* CLOCK_BOOTTIME */
	uint64_t last_lost;
	int counted_fds[PROG_COUNT];	/* loaded programs whose skipped runs are lost events */
	size_t n_counted;
	bool refresh;			/* re-list snapshots/pools before the next sample */
	bool sample_now;
};

static const struct lower_ext *lower_find(const struct tracer *t, uint32_t dev, uint64_t sector)
{
	size_t lo = 0, hi = t->n_lower;

	/* the last extent of dev starting at or before sector */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct lower_ext *x = &t->lower[mid];

		if (x->lower_dev < dev || (x->lower_dev == dev && x->start <= sector))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || t->lower[lo - 1].lower_dev != dev || sector >= t->lower[lo - 1].end)
		return NULL;
	return &t->lower[lo - 1];
}

static void refresh_watched(struct tracer *t);

/*
 * An error on a disk below dm: name the dm device whose table maps that sector.
 * A device made a moment ago may not be in the tables yet: re-read them, but at
 * most once a second, so a storm of errors on an unrelated disk costs nothing.
 */
static bool resolve_lower(struct tracer *t, struct dmw_event *e)
{
	const struct lower_ext *x = lower_find(t, e->lower_dev, e->sector);
	uint64_t now;

	if (!x) {
		now = clock_ns(CLOCK_MONOTONIC);
		if (now - t->lower_refresh_ns < 1000000000ULL)
			return false;
		t->lower_refresh_ns = now;
		refresh_watched(t);
		x = lower_find(t, e->lower_dev, e->sector);
		if (!x)
			return false;
	}
	e->dev = x->dm_dev;
	e->sector = x->dm_start + (e->sector - x->start);
	return true;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	struct dmw_event e = {};
	struct tracer_event ev = { .kind = TE_KERNEL, .raw = &e };

	/* I/O errors come without the name fields: copy into a whole event */
	if (size < DMW_IOERR_SIZE)
		return 0;
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	if (e.type != DMW_EV_IO_ERROR && size < sizeof(e))
		return 0;
	if (e.type == DMW_EV_DM_TABLE_EVENT) {
		/* snapshot invalidated, pool mode changed ...: re-read status now */
		t->sample_now = true;
		return 0;
	}
	if (e.type == DMW_EV_IO_ERROR) {
		if (!e.dev && (!e.lower_dev || !resolve_lower(t, &e)))
			return 0;	/* a disk no dm device uses */
		ev.named = name_map_get(t->names, e.dev);
	} else {
		/* a remove by name carries no dev: the map knows it */
		if (!e.dev && e.name[0])
			ev.named = name_map_by_name(t->names, e.name);
		name_map_apply(t->names, &e);
		t->refresh = true;
		t->sample_now = true;
	}
	ev.unix_ns = e.ts_ns + t->boot_to_unix_ns;
	t->cb(t->ctx, &ev);
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

/* Re-list dm devices: seeds the name map and finds snapshots and pools to sample. */
static int cmp_lower_ext(const void *a, const void *b)
{
	const struct lower_ext *x = a, *y = b;

	if (x->lower_dev != y->lower_dev)
		return x->lower_dev < y->lower_dev ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Where each linear/striped table line of d lands on disks that are not dm devices */
static void add_lower_exts(struct tracer *t, const struct dm_dev *d, uint32_t dm_major)
{
	uint32_t dev = (d->major << DMW_MINORBITS) | d->minor;

	for (size_t k = 0; k < d->n_table; k++) {
		struct dm_extent ext[16];
		int n = table_lower_extents(d->table[k].type, d->table[k].params,
					    d->table[k].length, ext, ARRAY_SIZE(ext));

		for (int j = 0; j < n; j++) {
			struct lower_ext *x;

			if (ext[j].major == dm_major)
				continue;	/* dm on dm: the upper one is named by its own error */
			x = array_push(&t->lower, &t->n_lower, sizeof(*x));
			x->lower_dev = (ext[j].major << DMW_MINORBITS) | ext[j].minor;
			x->start = ext[j].offset;
			x->end = ext[j].offset + ext[j].length;
			x->dm_dev = dev;
			/* striped: the line's start; a stripe's exact sector is not worth the maths */
			x->dm_start = d->table[k].start;
		}
	}
}

static void refresh_watched(struct tracer *t)
{
	struct state st = {};

	for (size_t i = 0; i < t->n_w; i++)
		t->w[i].seen = false;
	free(t->lower);
	t->lower = NULL;
	t->n_lower = 0;
	dm_collect(&st);
	for (size_t i = 0; i < st.n_devs; i++) {
		const struct dm_dev *d = &st.devs[i];
		uint32_t dev = (d->major << DMW_MINORBITS) | d->minor;
		const struct name_entry *known = name_map_get(t->names, dev);
		struct watched *w;

		if (!t->opts.no_lower)
			add_lower_exts(t, d, st.dm_major);

		if (!known || known->removed || strcmp(known->name, d->name))
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
		}
		w->seen = true;
	}
	for (size_t i = 0; i < t->n_w;) {
		if (!t->w[i].seen)
			t->w[i] = t->w[--t->n_w];
		else
			i++;
	}
	sort_items(t->lower, t->n_lower, sizeof(*t->lower), cmp_lower_ext);
	state_free(&st);
}

/* the first target's status parameters, through collect/dm.c like every libdevmapper call */
static int read_status(const char *name, char *params, size_t plen)
{
	struct dm_line *lines = NULL;
	size_t n = 0;
	int err;

	err = dm_read_lines(name, true, &lines, &n);
	if (!err && !n)
		err = -ENOENT;
	if (!err)
		snprintf(params, plen, "%s", lines[0].params ? lines[0].params : "");
	for (size_t i = 0; i < n; i++)
		records_free(&dm_line_desc, &lines[i]);
	free(lines);
	return err;
}

/* one number from /sys/block/dm-N/<file>, field `idx` (0-based) */
static bool sysfs_block_u64(uint32_t dev, const char *file, int idx, uint64_t *out)
{
	unsigned long long v = 0;
	char path[64];
	bool ok = true;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/block/dm-%u/%s", DMW_MINOR(dev), file);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	for (int i = 0; i <= idx && ok; i++)
		ok = fscanf(fp, "%llu", &v) == 1;
	fclose(fp);
	*out = v;
	return ok;
}

/*
 * A backup reading the snapshot: seconds until the reader is through it at its
 * current rate (from the snapshot's read sectors in sysfs), or -1 if no reader.
 */
static double reader_eta(struct watched *w, uint64_t now)
{
	uint64_t rs, size, done;

	if (!sysfs_block_u64(w->dev, "stat", 2, &rs) || !sysfs_block_u64(w->dev, "size", 0, &size))
		return -1;
	if (!w->have_reads) {
		w->read_sectors0 = rs;
		w->have_reads = true;
	}
	done = (rs - w->read_sectors0) * 512;
	fill_rate_update(&w->reader, now, done, UINT64_MAX);
	if (!w->reader.have_rate || w->reader.rate <= 0 || size * 512 <= done)
		return -1;
	return (size * 512 - done) / w->reader.rate;
}

static void emit_state(struct tracer *t, struct watched *w, const char *event,
		       const char *state, uint64_t unix_ns)
{
	struct tracer_event ev = {
		.kind = TE_STATE, .unix_ns = unix_ns, .event = event, .name = w->name,
		.dev = w->dev, .state = state,
	};

	t->cb(t->ctx, &ev);
}

static void sample_one(struct tracer *t, struct watched *w, uint64_t now)
{
	uint64_t unix_ns = now + t->boot_to_unix_ns, used = 0, total = 0;
	char params[512], state[48];
	struct cow_sample cs = {
		.name = w->name, .dev = w->dev, .kind = w->pool ? "thin-pool" : "lvm-snapshot",
		.reader_eta_s = -1,
	};
	struct tracer_event ev = { .kind = TE_COW, .unix_ns = unix_ns, .cow = &cs };

	if (read_status(w->name, params, sizeof(params)))
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
		used = ps.used_data;	/* data blocks: the ratio is what matters */
		total = ps.total_data;
	}
	/* a snapshot first seen already broken is reported too */
	if (strcmp(w->state, state) && (w->state[0] || strcmp(state, "active"))) {
		if (!w->pool && strcmp(state, "active"))
			emit_state(t, w, "snapshot_invalid", state, unix_ns);
		else if (w->pool && w->state[0])
			emit_state(t, w, "pool_mode", state, unix_ns);
	}
	snprintf(w->state, sizeof(w->state), "%s", state);
	if (!total)
		return;

	cs.used_percent = 100.0 * used / total;
	cs.eta_s = fill_rate_update(&w->fr, now, used, total);
	cs.rate = w->fr.have_rate ? w->fr.rate : 0;
	if (!w->pool) {
		cs.reader_eta_s = reader_eta(w, now);
		cs.overflow_before_reader = cs.eta_s >= 0 && cs.reader_eta_s > cs.eta_s;
	}
	t->cb(t->ctx, &ev);
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

/*
 * Events the tracer never saw: those the ring buffer had no room for, plus runs
 * the kernel skipped, because another BPF program (or a bpf(2) call of any
 * process) held that CPU at that moment, of the programs whose every run is an
 * event (plan.h): a skipped kprobe or kretprobe is a dm operation without its
 * event. The kernel counts skipped runs per program (recursion_misses): of raw
 * tracepoints and fentry since 5.12, of kprobes since 6.7.
 * Neither read is a map lookup: that would make this CPU skip kprobes itself.
 */
uint64_t tracer_lost(struct tracer *t)
{
	uint64_t sum = *(volatile __u64 *)&t->skel->bss->lost_events;

	for (size_t i = 0; i < t->n_counted; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(t->counted_fds[i], &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

/* The loaded programs whose every run is an event, found once after attach */
static void find_counted(struct tracer *t)
{
	struct bpf_program *prog;

	t->n_counted = 0;
	bpf_object__for_each_program(prog, t->skel->obj) {
		int i = plan_prog_by_name(bpf_program__name(prog)), fd = bpf_program__fd(prog);

		if (i >= 0 && plan_prog_runs_are_events(i) && fd >= 0 && t->n_counted < PROG_COUNT)
			t->counted_fds[t->n_counted++] = fd;
	}
}

static void report_lost(struct tracer *t)
{
	uint64_t lost = tracer_lost(t);
	struct tracer_event ev = { .kind = TE_LOST };

	if (lost == t->last_lost)
		return;
	ev.unix_ns = clock_ns(CLOCK_REALTIME);
	ev.lost = lost - t->last_lost;
	t->last_lost = lost;
	t->cb(t->ctx, &ev);
}

/* ---- the last resort for lifecycle: kernel uevents ---- */

static int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 /* kernel */ };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* The first line of /sys/block/DEVNAME/dm/FILE, without its newline */
static bool sysfs_dm_line(const char *devname, const char *file, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/block/%s/dm/%s", devname, file);
	return read_first_line(path, buf, len);
}

/* dm-N's name and uuid; false until dm has named it (uevent.h) */
static bool sysfs_dm_ids(const char *devname, char *name, size_t nlen, char *uuid, size_t ulen)
{
	if (!sysfs_dm_line(devname, "name", name, nlen) || !name[0])
		return false;
	if (!sysfs_dm_line(devname, "uuid", uuid, ulen))
		uuid[0] = 0;
	return true;
}

static void uevent_emit(void *ctx, const struct dmw_event *e)
{
	handle_event(ctx, (void *)e, sizeof(*e));
}

/* Every queued uevent; only the kernel's (port 0), not another process's forgery. */
static void uevent_drain(struct tracer *t)
{
	struct sockaddr_nl from;
	socklen_t fromlen;
	char buf[8192];
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(t->uevent_fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fromlen);
		if (n <= 0)
			break;
		if (fromlen != sizeof(from) || from.nl_pid)
			continue;
		buf[n] = 0;
		uevent_feed(&t->uev, buf, n, clock_ns(CLOCK_BOOTTIME));
	}
	uevent_name_pending(&t->uev);
}

/* ---- program choice and loading ---- */

/* The program libbpf last said it could not load or attach, for the retry */
static char failed_prog[64];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char msg[1024], name[64];
	const char *p;

	vsnprintf(msg, sizeof(msg), fmt, args);
	/* "libbpf: prog 'NAME': failed to load: -22", "...: failed to attach to ..." */
	p = strstr(msg, "prog '");
	if (level == LIBBPF_WARN && p && strstr(msg, "fail") &&
	    sscanf(p, "prog '%63[^']'", name) == 1)
		snprintf(failed_prog, sizeof(failed_prog), "%s", name);
	/* the verifier log and probe attempts are noise unless asked for (-v) */
	if (verbose)
		fputs(msg, stderr);
	return 0;
}

/* Every program of the object loads exactly when the plan says so. */
static void apply_plan(struct tracer *t)
{
	struct bpf_program *prog;
	int i;

	bpf_object__for_each_program(prog, t->skel->obj) {
		i = plan_prog_by_name(bpf_program__name(prog));
		bpf_program__set_autoload(prog, i >= 0 && t->plan.load[i]);
	}
	t->skel->rodata->blk_sts_layout = t->plan.blk_sts_layout;
	t->skel->rodata->rq_error_is_errno = t->plan.rq_error_is_errno;
}

/*
 * Plan from the facts, open, load, attach. A program the kernel refuses anyway
 * (a quirk no fact foresaw) is switched off with a warning naming what is lost,
 * and the rest is tried again: one bad program never costs the others.
 */
static int load_and_attach(struct tracer *t, struct kernel_facts *facts, uint32_t dm_major,
			   char **err)
{
	int e, prog;

	for (int attempt = 0; attempt <= PROG_COUNT; attempt++) {
		/* the last lifecycle tier: whether it is there decides the plan too */
		if (t->uevent_fd < 0)
			t->uevent_fd = uevent_open();
		plan_choose(facts, t->opts.force_syscalls, t->opts.force_uevents, t->uevent_fd >= 0,
			    &t->plan);
		if (t->plan.verdict == EXIT_UNUSABLE) {
			*err = xstrdup(t->plan.reason);
			return -1;
		}
		trace_bpf__destroy(t->skel);
		t->skel = trace_bpf__open();
		if (!t->skel) {
			*err = xasprintf("cannot open the BPF object: %s", strerror(errno));
			return -1;
		}
		t->skel->rodata->dm_major = dm_major;
		t->skel->rodata->trace_lower = !t->opts.no_lower;
		apply_plan(t);
		failed_prog[0] = 0;
		e = trace_bpf__load(t->skel);
		if (!e)
			e = trace_bpf__attach(t->skel);
		if (!e) {
			find_counted(t);
			return 0;
		}
		prog = plan_prog_by_name(failed_prog);
		if (prog < 0 || facts->refused[prog]) {
			*err = xasprintf("cannot load the BPF programs: %s (run with -v for the "
					 "verifier log)", strerror(-e));
			return -1;
		}
		if (!t->opts.quiet)
			elog("warning: the kernel refused BPF program %s (%s): no %s", failed_prog,
			     strerror(-e), plan_prog_cost(prog));
		facts->refused[prog] = true;
	}
	*err = xstrdup("cannot load the BPF programs");
	return -1;
}

enum { OPT_SYSCALLS = 0x300, OPT_UEVENTS, OPT_NO_LOWER };

static const struct argp_option tracer_options[] = {
	{ NULL, 0, NULL, 0, "Tracing:", 2 },
	{ "interval", 'i', "S", 0, "Seconds between snapshot/pool samples (default 1)", 2 },
	{ "syscalls", OPT_SYSCALLS, NULL, 0, "Use the ioctl syscall tracepoints even where kprobes work (every "
	  "system call then takes the kernel's slower traced path)", 2 },
	{ "uevents", OPT_UEVENTS, NULL, 0, "Take dm lifecycle from kernel uevents, the last resort "
	  "(no pid, no failed creates)", 2 },
	{ "no-lower", OPT_NO_LOWER, NULL, 0, "Do not attribute errors of the disks below to dm devices", 2 },
	{},
};

static error_t tracer_parse(int key, char *arg, struct argp_state *state)
{
	struct tracer_opts *o = state->input;
	double v;

	switch (key) {
	case 'i':
		if (opt_seconds(arg, 0, true, 3600, &v))
			argp_error(state, "--interval takes seconds in (0, 3600], not '%s'", arg);
		o->interval = v;
		break;
	case OPT_SYSCALLS: o->force_syscalls = true; break;
	case OPT_UEVENTS: o->force_uevents = true; break;
	case OPT_NO_LOWER: o->no_lower = true; break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp tracer_argp = {
	.options = tracer_options,
	.parser = tracer_parse,
};

struct tracer *tracer_new(const struct tracer_opts *opts, tracer_cb cb, void *ctx, char **err)
{
	struct tracer *t = xcalloc(1, sizeof(*t));
	struct kernel_facts facts;

	t->opts = *opts;
	t->uevent_fd = -1;
	t->cb = cb;
	t->ctx = ctx;
	libbpf_set_print(libbpf_print);
	kfacts_gather(&facts);
	if (load_and_attach(t, &facts, facts.dm_major, err))
		goto fail;
	/* what this kernel cannot give, the same lines `dmwatch doctor` prints */
	for (int i = 0; i < t->plan.n_notes && !t->opts.quiet; i++)
		elog("%s%s", t->plan.notes[i].loss ? "warning: " : "note: ", t->plan.notes[i].text);
	if (t->plan.tier != TIER_UEVENTS && t->uevent_fd >= 0) {
		close(t->uevent_fd);
		t->uevent_fd = -1;
	}
	t->mode = plan_tier_str(t->plan.tier);
	t->names = name_map_new();
	t->uev = (struct uevent_source){ .names = t->names, .sysfs_ids = sysfs_dm_ids,
					 .emit = uevent_emit, .ctx = t };
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, t, NULL);
	if (!t->rb) {
		*err = xasprintf("cannot create the ring buffer: %s", strerror(errno));
		goto fail;
	}
	t->boot_to_unix_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	/*
	 * Names of what exists now; lifecycle events keep them current from here on.
	 * The first samples come with the first poll, after the caller's header.
	 */
	refresh_watched(t);
	t->sample_now = true;
	t->next_sample_ns = clock_ns(CLOCK_BOOTTIME) + opts->interval * 1e9;
	return t;
fail:
	tracer_free(t);
	return NULL;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);
	int wait_ms = now >= t->next_sample_ns ? 0 : (t->next_sample_ns - now) / 1000000 + 1;
	int err;

	if (wait_ms > timeout_ms)
		wait_ms = timeout_ms;
	if (t->uevent_fd >= 0) {
		/* the ring buffer's epoll fd and the uevent socket, whichever speaks first */
		struct pollfd pfd[2] = {
			{ .fd = ring_buffer__epoll_fd(t->rb), .events = POLLIN },
			{ .fd = t->uevent_fd, .events = POLLIN },
		};

		if (poll(pfd, 2, wait_ms) < 0 && errno != EINTR)
			return -errno;
		err = ring_buffer__consume(t->rb);
		uevent_drain(t);
	} else {
		err = ring_buffer__poll(t->rb, wait_ms);
	}
	if (err < 0 && err != -EINTR)
		return err;
	now = clock_ns(CLOCK_BOOTTIME);
	if (t->sample_now || now >= t->next_sample_ns) {
		sample_all(t);
		report_lost(t);
		if (now >= t->next_sample_ns)
			t->next_sample_ns = now + t->opts.interval * 1e9;
	}
	return 0;
}

void tracer_drain(struct tracer *t)
{
	ring_buffer__consume(t->rb);
	report_lost(t);
}

const char *tracer_mode(const struct tracer *t)
{
	return t->mode;
}

const struct trace_plan *tracer_plan(const struct tracer *t)
{
	return &t->plan;
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	if (t->uevent_fd >= 0)
		close(t->uevent_fd);
	ring_buffer__free(t->rb);
	trace_bpf__destroy(t->skel);
	uevent_source_release(&t->uev);
	name_map_free(t->names);
	free(t->w);
	free(t->lower);
	free(t);
}
