// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch record: the background recorder. Every event tracer.c delivers goes to
 * the segmented log (src/record/), plus the list of dm devices at start, at the head
 * of every segment and after every lifecycle change, so the name history
 * (dm-N -> name, uuid, table, from..until) can be rebuilt after the devices are
 * gone. Blocks are written and fdatasync'ed every second: kill -9 or a power loss
 * loses at most that second.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "cmd/commands.h"
#include "collect/dm.h"
#include "record/recfmt.h"
#include "trace/tracer.h"
#include "lib/util.h"
#include "lib/clock.h"
#include "lib/fileio.h"
#include "lib/opts.h"

#define DEFAULT_DIR		"/var/lib/dmwatch"
#define DEFAULT_MAX_SIZE	(64ull << 20)
#define MIN_MAX_SIZE		(64ull << 10)
/* device list rescans at most 4 times a second */
#define DEVLIST_MIN_GAP_NS	250000000ull
#define SAMPLE_HEARTBEAT_NS	(60 * 1000000000ull)

static struct record_env {
	const char *dir;
	uint64_t max_size;
	uint64_t seg_size;
	double sync_s;
	int level;
	bool all_samples;
	struct tracer_opts opts;
} env;

static volatile sig_atomic_t exiting, reopen;

/* one dm device as the last device list saw it */
struct devinfo {
	uint32_t dev;
	int32_t open_count;
	char *name, *uuid, *target, *params;
};

struct recorder {
	struct rec_log *log;
	struct devinfo *devs;		/* last device list written, sorted by dev */
	size_t n_devs;
	bool have_devs;
	bool devs_changed;		/* a lifecycle event since the last scan */
	uint64_t last_scan_ns;
	uint32_t dm_major;
	const char *mode;
	uint64_t events, lost, samples_skipped;
	/* the last stored sample per device, to leave out ones that say nothing new */
	struct last_sample {
		uint32_t dev;
		int64_t used;		/* 1/100 % */
		bool overflow;
		uint64_t t;
		char name[DMW_NAME_LEN];
		/* the last one left out, written before whatever changes next */
		bool held;
		uint64_t held_t;
		struct cow_sample hs;
		char held_name[DMW_NAME_LEN], held_kind[32];
	} *samples;
	size_t n_samples;
};

enum {
	OPT_MAX_SIZE = 0x100,
	OPT_SEG_SIZE,
	OPT_SYNC,
	OPT_LEVEL,
	OPT_ALL_SAMPLES,
};

static const struct argp_option record_options[] = {
	{ "dir", 'd', "DIR", 0, "Where the log goes (default " DEFAULT_DIR ")", 0 },
	{ "max-size", OPT_MAX_SIZE, "SIZE", 0, "Disk use bound, oldest segments deleted first "
	  "(default 64M; K, M, G suffixes)", 0 },
	{ "segment-size", OPT_SEG_SIZE, "SIZE", 0, "Segment size (default max-size / 8)", 0 },
	{ "sync", OPT_SYNC, "S", 0, "Seconds between writes + fdatasync, at most 1 (default 1)", 0 },
	{ "all-samples", OPT_ALL_SAMPLES, NULL, 0, "Store every snapshot/pool sample, also those "
	  "that show no change (default: at most one a minute then)", 0 },
	{ "level", OPT_LEVEL, "N", OPTION_HIDDEN, "zlib level 1..9 (default 6)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{},
};

static double seconds_arg(struct argp_state *state, const char *opt, const char *arg,
			  double max)
{
	double v;

	if (opt_seconds(arg, 0, true, max, &v))
		argp_error(state, "--%s takes seconds in (0, %g], not '%s'", opt, max, arg);
	return v;
}

static error_t record_parse(int key, char *arg, struct argp_state *state)
{
	uint64_t *size;
	long level;

	switch (key) {
	case 'd': env.dir = arg; break;
	case 'v': verbose = 1; break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env.opts;
		break;
	case OPT_SYNC: env.sync_s = seconds_arg(state, "sync", arg, 1); break;
	case OPT_MAX_SIZE:
	case OPT_SEG_SIZE:
		size = key == OPT_MAX_SIZE ? &env.max_size : &env.seg_size;
		if (opt_size(arg, size) || !*size)
			argp_error(state, "--%s takes a size such as 64M, not '%s'",
				   key == OPT_MAX_SIZE ? "max-size" : "segment-size", arg);
		break;
	case OPT_LEVEL:
		if (opt_long(arg, 1, 9, &level))
			argp_error(state, "--level takes 1..9, not '%s'", arg);
		env.level = (int)level;
		break;
	case OPT_ALL_SAMPLES: env.all_samples = true; break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child record_children[] = {
	{ &tracer_argp, 0, NULL, 0 },
	{},
};

static const struct argp record_argp = {
	.options = record_options,
	.parser = record_parse,
	.children = record_children,
	.doc = "Record device-mapper events in the background for post-mortems: lifecycle "
	       "with the process that did it, I/O errors named at the time, snapshot and "
	       "thin-pool fill, and the name of every dm-N over time. Read it back with "
	       "`dmwatch report`, `whois` and `explain`.\v"
	       "Needs root and a kernel with BTF. The log is append-only, zlib-compressed, "
	       "with a CRC per block; at most the last second is lost to kill -9 or a power "
	       "loss. SIGTERM or SIGINT end cleanly, SIGHUP reopens the current segment. "
	       "Under systemd (Type=notify) READY=1 is sent once tracing.",
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen = 1;
	else
		exiting = 1;
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET */
static void notify_systemd(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')	/* abstract namespace */
		sa.sun_path[0] = 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + len) < 0)
		vlog("cannot notify systemd: %s", strerror(errno));
	close(fd);
}

/* ---- device lists ---- */

static void devinfo_free(struct devinfo *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].name);
		free(d[i].uuid);
		free(d[i].target);
		free(d[i].params);
	}
	free(d);
}

static int devinfo_cmp(const void *a, const void *b)
{
	const struct devinfo *x = a, *y = b;

	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

static int scan_devices(struct devinfo **out, size_t *n)
{
	struct state st = {};
	int err = dm_collect(&st);

	*out = NULL;
	*n = 0;
	if (err || !st.have_dm) {
		state_free(&st);
		return err ? err : -ENODEV;
	}
	for (size_t i = 0; i < st.n_devs; i++) {
		const struct dm_dev *d = &st.devs[i];
		struct devinfo *di = array_push(out, n, sizeof(*di));

		di->dev = (d->major << DMW_MINORBITS) | d->minor;
		di->open_count = d->open_count;
		di->name = xstrdup(d->name);
		di->uuid = xstrdup(d->uuid ? d->uuid : "");
		di->target = xstrdup(d->n_table ? d->table[0].type : "");
		di->params = xstrndup(d->n_table && d->table[0].params ? d->table[0].params : "",
				      REC_PARAMS_MAX - 1);
	}
	state_free(&st);
	if (*n)
		qsort(*out, *n, sizeof(**out), devinfo_cmp);
	return 0;
}

static bool devinfo_same(const struct devinfo *a, const struct devinfo *b)
{
	return a->open_count == b->open_count && !strcmp(a->name, b->name) &&
	       !strcmp(a->uuid, b->uuid) && !strcmp(a->target, b->target) &&
	       !strcmp(a->params, b->params);
}

static void to_devent(struct rec_devent *e, const struct devinfo *d, bool gone)
{
	e->dev = d->dev;
	e->gone = gone;
	e->open_count = d->open_count;
	e->name = d->name;
	e->uuid = d->uuid;
	e->target = d->target;
	e->params = d->params;
}

static void write_devlist(struct recorder *rc, const struct devinfo *d, size_t n, bool full)
{
	struct rec r = { .kind = REC_DEVLIST, .unix_ns = clock_ns(CLOCK_REALTIME) };
	struct rec_devent *ents = xcalloc(n + rc->n_devs + 1, sizeof(*ents));
	size_t m = 0, i = 0, j = 0;

	if (full) {
		for (i = 0; i < n; i++)
			to_devent(&ents[m++], &d[i], false);
	} else {
		/* merge of two sorted lists: new or changed, and gone */
		while (i < n || j < rc->n_devs) {
			if (j == rc->n_devs || (i < n && d[i].dev < rc->devs[j].dev)) {
				to_devent(&ents[m++], &d[i++], false);
			} else if (i == n || rc->devs[j].dev < d[i].dev) {
				to_devent(&ents[m++], &rc->devs[j++], true);
			} else {
				if (!devinfo_same(&d[i], &rc->devs[j]))
					to_devent(&ents[m++], &d[i], false);
				i++;
				j++;
			}
		}
	}
	r.dl.full = full;
	r.dl.devs = ents;
	r.dl.n = m;
	/* even an empty delta says something: every device listed before still exists */
	rec_log_add(rc->log, &r);
	free(ents);
}

/*
 * Rescan dm devices and log the list (full) or what changed since the last one.
 * Logging it may start a new segment whose on_segment() comes back here: that
 * inner call replaces rc->devs first, and the list in flight was encoded already.
 */
static void log_devices(struct recorder *rc, bool full)
{
	struct devinfo *d;
	size_t n;

	rc->last_scan_ns = clock_ns(CLOCK_MONOTONIC);
	rc->devs_changed = false;
	if (scan_devices(&d, &n))
		return;
	write_devlist(rc, d, n, full || !rc->have_devs);
	devinfo_free(rc->devs, rc->n_devs);
	rc->devs = d;
	rc->n_devs = n;
	rc->have_devs = true;
}

static void read_boot_id(char *buf, size_t len)
{
	char *id = NULL;

	buf[0] = 0;
	if (!read_file("/proc/sys/kernel/random/boot_id", &id, NULL, 4096))
		snprintf(buf, len, "%.*s", (int)strcspn(id, "\n"), id);
	free(id);
}

static void log_session(struct recorder *rc, enum rec_session_what what)
{
	char host[256] = "", boot_id[64];
	struct rec r = { .kind = REC_SESSION, .unix_ns = clock_ns(CLOCK_REALTIME) };

	gethostname(host, sizeof(host) - 1);
	read_boot_id(boot_id, sizeof(boot_id));
	r.ses.what = what;
	r.ses.pid = getpid();
	r.ses.dm_major = rc->dm_major;
	r.ses.interval_ms = env.opts.interval * 1000;
	r.ses.boot_offset_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME));
	r.ses.host = host;
	r.ses.version = DMWATCH_VERSION;
	r.ses.mode = rc->mode ? rc->mode : "";
	r.ses.boot_id = boot_id;
	rec_log_add(rc->log, &r);
}

/*
 * Every segment starts with the session and a full device list, so it stands alone
 * once older ones are rotated out. The list is a fresh scan: the cached one may
 * predate a device whose rescan is still pending, and a full list that lacks a
 * device says it is gone. (This may run inside log_devices(); see there.)
 */
static void on_segment(void *ctx, struct rec_log *log, bool first)
{
	struct recorder *rc = ctx;

	if (first)
		return;		/* the session start is logged once the tracer runs */
	rc->log = log;
	log_session(rc, REC_SESSION_SEGMENT);
	log_devices(rc, true);
}

static void write_held(struct recorder *rc, struct last_sample *ls)
{
	struct rec r = { .kind = REC_COW, .unix_ns = ls->held_t };

	if (!ls->held)
		return;
	ls->held = false;
	r.cow = ls->hs;
	r.cow.name = ls->held_name;
	r.cow.kind = ls->held_kind;
	rec_log_add(rc->log, &r);
}

static struct last_sample *sample_slot(struct recorder *rc, uint32_t dev, bool add)
{
	struct last_sample *ls;

	for (size_t i = 0; i < rc->n_samples; i++)
		if (rc->samples[i].dev == dev)
			return &rc->samples[i];
	if (!add)
		return NULL;
	ls = array_push(&rc->samples, &rc->n_samples, sizeof(*ls));
	ls->dev = dev;
	ls->used = -1;
	return ls;
}

/*
 * An idle thin pool is sampled every second for weeks; storing each identical
 * sample would push incidents out of --max-size in days. A sample whose fill is
 * unchanged (at the 1/100 % the log keeps) is stored once a minute as a heartbeat.
 * The last one left out is held and written just before the next change, so the
 * log still shows how long the value stood (a 0.2 % that jumps to Invalid within
 * half a second says more than one that was last seen a minute before).
 */
static bool sample_is_news(struct recorder *rc, const struct cow_sample *cs, uint64_t t)
{
	int64_t used = llround(cs->used_percent * 100);
	struct last_sample *ls;

	if (env.all_samples)
		return true;
	ls = sample_slot(rc, cs->dev, true);
	if (ls->used == used && ls->overflow == cs->overflow_before_reader &&
	    !strcmp(ls->name, cs->name) && t - ls->t < SAMPLE_HEARTBEAT_NS) {
		rc->samples_skipped++;
		ls->held = true;
		ls->held_t = t;
		ls->hs = *cs;
		snprintf(ls->held_name, sizeof(ls->held_name), "%s", cs->name);
		snprintf(ls->held_kind, sizeof(ls->held_kind), "%s", cs->kind);
		return false;
	}
	if (ls->used == used && ls->overflow == cs->overflow_before_reader &&
	    !strcmp(ls->name, cs->name))
		ls->held = false;	/* a heartbeat: the held one adds nothing */
	else
		write_held(rc, ls);
	ls->used = used;
	ls->overflow = cs->overflow_before_reader;
	ls->t = t;
	snprintf(ls->name, sizeof(ls->name), "%s", cs->name);
	return true;
}

static void on_event(void *ctx, const struct tracer_event *ev)
{
	struct recorder *rc = ctx;
	struct rec r = { .unix_ns = ev->unix_ns };
	struct last_sample *ls;

	switch (ev->kind) {
	case TE_KERNEL:
		r.kind = REC_KERNEL;
		r.k.ev = ev->raw;
		r.k.named = ev->named;
		if (ev->raw->type != DMW_EV_IO_ERROR)
			rc->devs_changed = true;
		/* a device going away: its last sample before the remove, and a fresh slot */
		if (ev->raw->type == DMW_EV_DM_REMOVE && !ev->raw->ret) {
			uint32_t dev = ev->raw->dev ? ev->raw->dev : ev->named ? ev->named->dev : 0;

			ls = dev ? sample_slot(rc, dev, false) : NULL;
			if (ls) {
				write_held(rc, ls);
				*ls = rc->samples[--rc->n_samples];
			}
		}
		break;
	case TE_COW:
		if (!sample_is_news(rc, ev->cow, ev->unix_ns))
			return;
		r.kind = REC_COW;
		r.cow = *ev->cow;
		break;
	case TE_STATE:
		ls = sample_slot(rc, ev->dev, false);
		if (ls)
			write_held(rc, ls);
		r.kind = REC_STATE;
		r.st.event = ev->event;
		r.st.name = ev->name;
		r.st.state = ev->state;
		r.st.dev = ev->dev;
		break;
	case TE_LOST:
		r.kind = REC_LOST;
		r.lost = ev->lost;
		rc->lost += ev->lost;
		break;
	}
	if (!rec_log_add(rc->log, &r))
		rc->events++;
}

static void human_size(char *buf, size_t len, uint64_t v)
{
	if (v >= 10 << 20)
		snprintf(buf, len, "%.1f MiB", v / 1048576.0);
	else if (v >= 10 << 10)
		snprintf(buf, len, "%.1f KiB", v / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)v);
}

/* the sizes must leave rotation room; false (with the reason on stderr) if not */
static bool sizes_usable(void)
{
	if (env.max_size < MIN_MAX_SIZE) {
		elog("--max-size must be at least 64K");
		return false;
	}
	if (env.seg_size && env.seg_size > env.max_size / 2) {
		elog("--segment-size must be at most half of --max-size (rotation needs room)");
		return false;
	}
	return true;
}

/* poll the tracer until a signal ends it: device lists, SIGHUP, a sync a second */
static void record_loop(struct recorder *rc, struct tracer *t)
{
	uint64_t next_sync = clock_ns(CLOCK_MONOTONIC) + env.sync_s * 1e9;

	while (!exiting) {
		uint64_t now;

		if (tracer_poll(t, 100) < 0) {
			elog("ring buffer poll failed; stopping");
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (rc->devs_changed && now - rc->last_scan_ns >= DEVLIST_MIN_GAP_NS)
			log_devices(rc, false);
		if (reopen) {
			reopen = 0;
			if (!rec_log_reopen(rc->log))
				elog("reopened %s", rec_log_segment_path(rc->log));
		}
		if (now >= next_sync) {
			rec_log_flush(rc->log, true);
			next_sync = now + env.sync_s * 1e9;
		}
	}
}

/* what is still in flight, the last device list and the clean end, then the totals */
static void record_finish(struct recorder *rc, struct tracer *t)
{
	const struct rec_log_stats *ls;
	char disk[32];

	tracer_drain(t);
	for (size_t i = 0; i < rc->n_samples; i++)
		write_held(rc, &rc->samples[i]);
	log_devices(rc, false);
	/* a clean end is marked: its absence tells report the recorder was killed */
	if (exiting)
		log_session(rc, REC_SESSION_STOP);
	rec_log_flush(rc->log, true);
	ls = rec_log_stats(rc->log);
	human_size(disk, sizeof(disk), rec_log_disk_usage(rc->log));
	fprintf(stderr, "dmwatch record: %llu events (%llu unchanged samples left out), %llu "
		"records in %llu blocks, %s on disk in %s, %llu lost, %llu write errors\n",
		(unsigned long long)rc->events, (unsigned long long)rc->samples_skipped,
		(unsigned long long)ls->records, (unsigned long long)ls->blocks, disk, env.dir,
		(unsigned long long)rc->lost, (unsigned long long)ls->write_errors);
}

int cmd_record(int argc, char **argv)
{
	struct recorder rc = {};
	struct rec_log_opts lo = {};
	struct sigaction sa = { .sa_handler = on_signal };
	struct tracer *t = NULL;
	char *err = NULL;
	int ret = EXIT_UNUSABLE, e;

	memset(&env, 0, sizeof(env));
	env.dir = DEFAULT_DIR;
	env.max_size = DEFAULT_MAX_SIZE;
	env.opts.interval = 1.0;
	env.sync_s = 1.0;
	env.level = 6;
	exiting = reopen = 0;
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&record_argp, argc, argv, 0, NULL, NULL) || !sizes_usable())
		return EXIT_UNUSABLE;

	lo.dir = env.dir;
	lo.max_size = env.max_size;
	lo.seg_size = env.seg_size;
	lo.level = env.level;
	lo.on_segment = on_segment;
	lo.ctx = &rc;
	e = rec_log_open(&rc.log, &lo, &err);
	if (e) {
		elog("%s", err);
		goto cleanup;
	}
	rc.dm_major = dm_read_major();
	t = tracer_new(&env.opts, on_event, &rc, &err);
	if (!t) {
		elog("%s", err);
		goto cleanup;
	}
	rc.mode = tracer_mode(t);
	log_session(&rc, REC_SESSION_START);
	log_devices(&rc, true);
	rec_log_flush(rc.log, true);

	/* no SA_RESTART: a signal must end the poll at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fprintf(stderr, "Recording device-mapper events to %s... (%s; SIGTERM or Ctrl-C ends)\n",
		env.dir, rc.mode);
	notify_systemd("READY=1\nSTATUS=Recording device-mapper events");

	record_loop(&rc, t);
	notify_systemd("STOPPING=1");
	record_finish(&rc, t);
	ret = exiting ? EXIT_OK : EXIT_UNUSABLE;
cleanup:
	tracer_free(t);
	rec_log_close(rc.log);
	devinfo_free(rc.devs, rc.n_devs);
	free(rc.samples);
	free(err);
	return ret;
}
