// SPDX-License-Identifier: GPL-2.0
/*
 * Event names and the JSON lines of trace, record and report (events.h): one
 * object per line, written with yajl_gen and jsongen.h's rule for text, so a
 * name that is not UTF-8 or holds control characters still gives valid JSON.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "trace/events.h"
#include "model/jsongen.h"
#include "lib/util.h"
#include "lib/clock.h"

static const char *type_names[DMW_EV_TYPE_MAX] = {
	[DMW_EV_DM_CREATE] = "dm_create",
	[DMW_EV_DM_REMOVE] = "dm_remove",
	[DMW_EV_DM_RENAME] = "dm_rename",
	[DMW_EV_DM_SUSPEND] = "dm_suspend",
	[DMW_EV_DM_RESUME] = "dm_resume",
	[DMW_EV_DM_LOAD] = "dm_load",
	[DMW_EV_DM_REMOVE_ALL] = "dm_remove_all",
	[DMW_EV_IO_ERROR] = "io_error",
	[DMW_EV_DM_TABLE_EVENT] = "dm_event",
};

const char *event_type_str(uint32_t type)
{
	return type < DMW_EV_TYPE_MAX && type_names[type] ? type_names[type] : "unknown";
}

const char *op_str(uint32_t op)
{
	static const char *ops[] = {
		[DMW_OP_OTHER] = "other", [DMW_OP_READ] = "read", [DMW_OP_WRITE] = "write",
		[DMW_OP_DISCARD] = "discard", [DMW_OP_FLUSH] = "flush",
	};

	return op < ARRAY_SIZE(ops) ? ops[op] : "other";
}

const char *errno_name(long long err)
{
	static const struct { int e; const char *n; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" }, { ENXIO, "ENXIO" },
		{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { ENOTBLK, "ENOTBLK" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
		{ EROFS, "EROFS" }, { ENODATA, "ENODATA" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ ENOLINK, "ENOLINK" }, { EOPNOTSUPP, "EOPNOTSUPP" }, { EILSEQ, "EILSEQ" },
		{ ENOTTY, "ENOTTY" }, { EREMOTEIO, "EREMOTEIO" }, { EBADE, "EBADE" },
		{ ETIME, "ETIME" }, { ENOLCK, "ENOLCK" }, { EPROTO, "EPROTO" },
		/* what blk_status_to_errno() gives for zone resources and old kernels' nexus */
		{ ETOOMANYREFS, "ETOOMANYREFS" }, { EOVERFLOW, "EOVERFLOW" }, { EREMCHG, "EREMCHG" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == err)
			return names[i].n;
	return NULL;
}

void format_ts(char *buf, size_t len, uint64_t unix_ns)
{
	/* an error storm's lines share their second: the calendar part is kept */
	static __thread uint64_t base_s = UINT64_MAX;
	static __thread char base[32];
	uint64_t s = unix_ns / 1000000000ULL;

	if (s != base_s) {
		format_time(base, sizeof(base), s, "%Y-%m-%dT%H:%M:%S", true);
		base_s = s;
	}
	snprintf(buf, len, "%s.%06uZ", base, (unsigned int)(unix_ns % 1000000000ULL / 1000));
}

/* text from a fixed-size kernel field: it ends at its NUL or at the field's end */
static void jg_field(yajl_gen g, const char *key, const char *s, size_t size)
{
	char buf[256];
	size_t n = strnlen(s, size);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	jg_str(g, key, buf);
}

static void jg_dev(yajl_gen g, const char *key, uint32_t dev)
{
	char buf[32];

	if (!dev) {
		jg_null(g, key);
		return;
	}
	snprintf(buf, sizeof(buf), "dm-%u", DMW_MINOR(dev));
	jg_str(g, key, buf);
}

/*
 * A line's generator, with the fields every event starts with. io_error comes
 * in storms: each thread keeps one generator and its buffer for all its lines.
 */
static yajl_gen line_start(uint64_t unix_ns, const char *event)
{
	static __thread yajl_gen g;
	char ts[48];

	if (!g)
		g = jg_new();
	yajl_gen_reset(g, NULL);
	yajl_gen_clear(g);

	format_ts(ts, sizeof(ts), unix_ns);
	yajl_gen_map_open(g);
	jg_str(g, "ts", ts);
	jg_str(g, "event", event);
	return g;
}

/* the line into buf like snprintf */
static int line_end(yajl_gen g, char *buf, size_t len)
{
	yajl_gen_map_close(g);
	return jg_copy(g, buf, len);
}

static void io_error_fields(yajl_gen g, const struct dmw_event *e,
			    const struct name_entry *named, uint32_t lower_dev)
{
	const char *err = errno_name(-(long long)e->error);
	char lower[32];

	jg_dev(g, "dev", e->dev);
	if (named)
		jg_field(g, "name", named->name, sizeof(named->name));
	else
		jg_null(g, "name");
	if (named && named->uuid[0])
		jg_field(g, "uuid", named->uuid, sizeof(named->uuid));
	else
		jg_null(g, "uuid");
	jg_int(g, "major", DMW_MAJOR(e->dev));
	jg_int(g, "minor", DMW_MINOR(e->dev));
	jg_u64(g, "sector", e->sector);
	jg_int(g, "bytes", e->bytes);
	jg_str(g, "op", op_str(e->op));
	jg_str(g, "errno", err ? err : "EIO");
	jg_int(g, "error", e->error);
	if (lower_dev) {
		snprintf(lower, sizeof(lower), "%u:%u", DMW_MAJOR(lower_dev), DMW_MINOR(lower_dev));
		jg_str(g, "lower_dev", lower);
	}
	jg_int(g, "pid", e->pid);
	jg_field(g, "comm", e->comm, sizeof(e->comm));
}

static void lifecycle_fields(yajl_gen g, const struct dmw_event *e,
			     const struct name_entry *named)
{
	const char *err = e->ret < 0 ? errno_name(-(long long)e->ret) : NULL;

	if (e->name[0])
		jg_field(g, "name", e->name, sizeof(e->name));
	else if (named)
		jg_field(g, "name", named->name, sizeof(named->name));
	else
		jg_null(g, "name");
	if (e->uuid[0])
		jg_field(g, "uuid", e->uuid, sizeof(e->uuid));
	else
		jg_null(g, "uuid");
	jg_dev(g, "dev", e->dev ? e->dev : named ? named->dev : 0);
	if (e->type == DMW_EV_DM_RENAME)
		jg_field(g, "new_name", e->new_name, sizeof(e->new_name));
	jg_int(g, "pid", e->pid);
	jg_field(g, "comm", e->comm, sizeof(e->comm));
	jg_int(g, "ret", e->ret);
	jg_str(g, "errno", e->ret >= 0 ? NULL : err ? err : "E?");
	jg_str(g, "source", e->source == DMW_SRC_SYSCALL ? "syscall" :
			    e->source == DMW_SRC_UEVENT ? "uevent" : "kprobe");
}

int event_to_json(char *buf, size_t len, const struct dmw_event *e, uint64_t unix_ns,
		  const struct name_entry *named, uint32_t lower_dev)
{
	yajl_gen g = line_start(unix_ns, event_type_str(e->type));

	if (e->type == DMW_EV_IO_ERROR) {
		io_error_fields(g, e, named, lower_dev);
	} else if (e->type == DMW_EV_DM_TABLE_EVENT) {
		jg_int(g, "pid", e->pid);
		jg_field(g, "comm", e->comm, sizeof(e->comm));
	} else {
		lifecycle_fields(g, e, named);
	}
	return line_end(g, buf, len);
}

/* the start of a line about one device */
static yajl_gen device_line_start(uint64_t unix_ns, const char *event, const char *name,
				  uint32_t dev)
{
	yajl_gen g = line_start(unix_ns, event);

	jg_str(g, "name", name);
	jg_dev(g, "dev", dev);
	return g;
}

int cow_sample_to_json(char *buf, size_t len, const struct cow_sample *cs, uint64_t unix_ns)
{
	yajl_gen g = device_line_start(unix_ns, "cow_usage", cs->name, cs->dev);

	jg_str(g, "kind", cs->kind);
	jg_fixed2(g, "used_percent", cs->used_percent);
	jg_fixed2(g, "rate_bytes_per_s", cs->rate);
	jg_fixed2(g, "eta_s", cs->eta_s >= 0 ? cs->eta_s : NAN);
	jg_fixed2(g, "reader_eta_s", cs->reader_eta_s >= 0 ? cs->reader_eta_s : NAN);
	jg_bool(g, "overflow_before_reader_done", cs->overflow_before_reader);
	return line_end(g, buf, len);
}

int state_change_to_json(char *buf, size_t len, const char *event, const char *name,
			 uint32_t dev, const char *state, uint64_t unix_ns)
{
	yajl_gen g = device_line_start(unix_ns, event, name, dev);

	jg_str(g, strcmp(event, "pool_mode") ? "state" : "mode", state);
	return line_end(g, buf, len);
}

int lost_to_json(char *buf, size_t len, uint64_t count, uint64_t unix_ns)
{
	yajl_gen g = line_start(unix_ns, "lost");

	jg_u64(g, "count", count);
	return line_end(g, buf, len);
}
