// SPDX-License-Identifier: GPL-2.0
/* Event decoding, the name map and fill-rate maths shared by trace (and record). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include <linux/dm-ioctl.h>
#include "trace/events.h"
#include "lib/util.h"

/*
 * Few devices (hundreds to a few thousand on a busy node): an array sorted by
 * insertion, searched linearly, is simpler than a hash and fast enough at event rate
 * for lifecycle; io errors hit the last-used cache first.
 */
struct name_map {
	struct name_entry *e;
	size_t n;
	size_t last;
};

struct name_map *name_map_new(void)
{
	return xcalloc(1, sizeof(struct name_map));
}

void name_map_free(struct name_map *m)
{
	if (!m)
		return;
	free(m->e);
	free(m);
}

static struct name_entry *find_dev(const struct name_map *m, uint32_t dev)
{
	if (m->last < m->n && m->e[m->last].dev == dev)
		return &m->e[m->last];
	/* newest first: a reused minor belongs to the latest device */
	for (size_t i = m->n; i-- > 0;)
		if (m->e[i].dev == dev) {
			((struct name_map *)m)->last = i;
			return &m->e[i];
		}
	return NULL;
}

void name_map_set(struct name_map *m, uint32_t dev, const char *name, const char *uuid)
{
	struct name_entry *e = find_dev(m, dev);

	if (!e || e->removed) {
		e = array_push(&m->e, &m->n, sizeof(*e));
		m->last = m->n - 1;	/* the newest entry for this dev, not the removed one */
	}
	e->dev = dev;
	e->removed = false;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	snprintf(e->uuid, sizeof(e->uuid), "%s", uuid ? uuid : "");
}

const struct name_entry *name_map_get(const struct name_map *m, uint32_t dev)
{
	return find_dev(m, dev);
}

const struct name_entry *name_map_by_name(const struct name_map *m, const char *name)
{
	for (size_t i = m->n; i-- > 0;)
		if (!m->e[i].removed && !strcmp(m->e[i].name, name))
			return &m->e[i];
	return NULL;
}

void name_map_apply(struct name_map *m, const struct dmw_event *e)
{
	struct name_entry *ne;

	if (e->ret)
		return;
	switch (e->type) {
	case DMW_EV_DM_CREATE:
	case DMW_EV_DM_LOAD:
		if (e->dev)
			name_map_set(m, e->dev, e->name, e->uuid);
		break;
	case DMW_EV_DM_RENAME:
		ne = e->dev ? find_dev(m, e->dev) : (struct name_entry *)name_map_by_name(m, e->name);
		if (ne && e->new_name[0] && !(e->flags & DM_UUID_FLAG))
			snprintf(ne->name, sizeof(ne->name), "%s", e->new_name);
		else if (ne && e->new_name[0])	/* DM_UUID_FLAG: the new data is a uuid */
			snprintf(ne->uuid, sizeof(ne->uuid), "%s", e->new_name);
		break;
	case DMW_EV_DM_REMOVE:
		/* kept, marked removed: errors still in flight are named after removal */
		ne = e->dev ? find_dev(m, e->dev) : (struct name_entry *)name_map_by_name(m, e->name);
		if (ne)
			ne->removed = true;
		break;
	case DMW_EV_DM_REMOVE_ALL:
		for (size_t i = 0; i < m->n; i++)
			m->e[i].removed = true;
		break;
	}
}

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
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == err)
			return names[i].n;
	return NULL;
}

void format_ts(char *buf, size_t len, uint64_t unix_ns)
{
	time_t secs = unix_ns / 1000000000ULL;
	struct tm tm;
	char base[32];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06uZ", base, (unsigned int)(unix_ns % 1000000000ULL / 1000));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_dev(json_object *o, const char *k, uint32_t dev, bool dm)
{
	char buf[32];

	if (!dev) {
		json_object_object_add(o, k, NULL);
		return;
	}
	if (dm)
		snprintf(buf, sizeof(buf), "dm-%u", DMW_MINOR(dev));
	else
		snprintf(buf, sizeof(buf), "%u:%u", DMW_MAJOR(dev), DMW_MINOR(dev));
	add_str(o, k, buf);
}

/* A JSON string (quoted, escaped as json-c does) or null, into out */
static const char *json_quote(char *out, size_t len, const char *s)
{
	size_t o = 0;

	if (!s)
		return "null";
	out[o++] = '"';
	for (; *s && o + 8 < len; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = c;
		} else if (c < 0x20) {
			o += snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = c;
		}
	}
	out[o++] = '"';
	out[o] = 0;
	return out;
}

/*
 * io_error is the one event that comes in storms: formatted directly, without a
 * json-c tree per event. Same bytes as json-c would print.
 */
static int io_error_to_json(char *buf, size_t len, const struct dmw_event *e, const char *ts,
			    const struct name_entry *named, uint32_t lower_dev)
{
	char name[DMW_NAME_LEN * 6 + 3], uuid[DMW_UUID_LEN * 6 + 3], comm[DMW_COMM_LEN * 6 + 3];
	char lower[48] = "";
	const char *err = errno_name(-(long long)e->error);

	if (lower_dev)
		snprintf(lower, sizeof(lower), ",\"lower_dev\":\"%u:%u\"", DMW_MAJOR(lower_dev),
			 DMW_MINOR(lower_dev));
	return snprintf(buf, len, "{\"ts\":\"%s\",\"event\":\"io_error\",\"dev\":\"dm-%u\","
			"\"name\":%s,\"uuid\":%s,\"major\":%u,\"minor\":%u,\"sector\":%llu,"
			"\"bytes\":%u,\"op\":\"%s\",\"errno\":\"%s\",\"error\":%d%s,\"pid\":%u,"
			"\"comm\":%s}", ts, DMW_MINOR(e->dev),
			json_quote(name, sizeof(name), named ? named->name : NULL),
			json_quote(uuid, sizeof(uuid), named && named->uuid[0] ? named->uuid : NULL),
			DMW_MAJOR(e->dev), DMW_MINOR(e->dev), (unsigned long long)e->sector, e->bytes,
			op_str(e->op), err ? err : "EIO", e->error, lower, e->pid,
			json_quote(comm, sizeof(comm), e->comm));
}

int event_to_json(char *buf, size_t len, const struct dmw_event *e, uint64_t unix_ns,
		  const struct name_entry *named, uint32_t lower_dev)
{
	json_object *o;
	char ts[48];
	int n;

	format_ts(ts, sizeof(ts), unix_ns);
	if (e->type == DMW_EV_IO_ERROR)
		return io_error_to_json(buf, len, e, ts, named, lower_dev);
	o = json_object_new_object();
	add_str(o, "ts", ts);
	add_str(o, "event", event_type_str(e->type));
	if (e->type == DMW_EV_DM_TABLE_EVENT) {
		json_object_object_add(o, "pid", json_object_new_int(e->pid));
		add_str(o, "comm", e->comm);
	} else {
		add_str(o, "name", e->name[0] ? e->name : named ? named->name : NULL);
		add_str(o, "uuid", e->uuid[0] ? e->uuid : NULL);
		add_dev(o, "dev", e->dev ? e->dev : named ? named->dev : 0, true);
		if (e->type == DMW_EV_DM_RENAME)
			add_str(o, "new_name", e->new_name);
		json_object_object_add(o, "pid", json_object_new_int(e->pid));
		add_str(o, "comm", e->comm);
		json_object_object_add(o, "ret", json_object_new_int(e->ret));
		add_str(o, "errno", e->ret < 0 ? (errno_name(-(long long)e->ret) ? errno_name(-(long long)e->ret) : "E?") : NULL);
		add_str(o, "source", e->source == DMW_SRC_SYSCALL ? "syscall" :
				     e->source == DMW_SRC_UEVENT ? "uevent" : "kprobe");
	}
	n = snprintf(buf, len, "%s", json_object_to_json_string_ext(o,
		     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return n;
}

static json_object *json_header(const char *event, uint64_t unix_ns, const char *name,
				uint32_t dev)
{
	json_object *o = json_object_new_object();
	char ts[48];

	format_ts(ts, sizeof(ts), unix_ns);
	add_str(o, "ts", ts);
	add_str(o, "event", event);
	add_str(o, "name", name);
	add_dev(o, "dev", dev, true);
	return o;
}

static int json_finish(json_object *o, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", json_object_to_json_string_ext(o,
			 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return n;
}

static json_object *jnum_or_null(double v, bool valid)
{
	char buf[32];

	if (!valid)
		return NULL;
	snprintf(buf, sizeof(buf), "%.2f", v);
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

int cow_sample_to_json(char *buf, size_t len, const struct cow_sample *cs, uint64_t unix_ns)
{
	json_object *o = json_header("cow_usage", unix_ns, cs->name, cs->dev);

	add_str(o, "kind", cs->kind);
	json_object_object_add(o, "used_percent", jnum_or_null(cs->used_percent, true));
	json_object_object_add(o, "rate_bytes_per_s", jnum_or_null(cs->rate, true));
	json_object_object_add(o, "eta_s", jnum_or_null(cs->eta_s, cs->eta_s >= 0));
	json_object_object_add(o, "reader_eta_s", jnum_or_null(cs->reader_eta_s, cs->reader_eta_s >= 0));
	json_object_object_add(o, "overflow_before_reader_done",
			       json_object_new_boolean(cs->overflow_before_reader));
	return json_finish(o, buf, len);
}

int state_change_to_json(char *buf, size_t len, const char *event, const char *name,
			 uint32_t dev, const char *state, uint64_t unix_ns)
{
	json_object *o = json_header(event, unix_ns, name, dev);

	add_str(o, strcmp(event, "pool_mode") ? "state" : "mode", state);
	return json_finish(o, buf, len);
}

int lost_to_json(char *buf, size_t len, uint64_t count, uint64_t unix_ns)
{
	json_object *o = json_object_new_object();
	char ts[48];

	format_ts(ts, sizeof(ts), unix_ns);
	add_str(o, "ts", ts);
	add_str(o, "event", "lost");
	json_object_object_add(o, "count", json_object_new_uint64(count));
	return json_finish(o, buf, len);
}

double fill_rate_update(struct fill_rate *fr, uint64_t now_ns, uint64_t used, uint64_t total)
{
	double dt, inst;

	if (fr->have_sample && now_ns > fr->last_ns) {
		dt = (now_ns - fr->last_ns) / 1e9;
		inst = used >= fr->last_used ? (used - fr->last_used) / dt : 0;
		/* smooth out the burstiness of COW allocation (whole chunks at a time) */
		fr->rate = fr->have_rate ? 0.5 * fr->rate + 0.5 * inst : inst;
		fr->have_rate = true;
	}
	fr->last_ns = now_ns;
	fr->last_used = used;
	fr->have_sample = true;
	if (!fr->have_rate || fr->rate <= 0 || used >= total)
		return used >= total ? 0 : -1;
	return (total - used) / fr->rate;
}
