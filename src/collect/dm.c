// SPDX-License-Identifier: GPL-2.0
/*
 * Device-mapper inventory: one LIST for the names, then the table (with the
 * device's info), status and deps of each, read with dmioctl.c's right-sized
 * buffers. A device that disappears between LIST and its reads is skipped, not
 * an error. The single-device operations below (clean, restore, the tracer) go
 * through libdevmapper, opened when first needed (dmlib.h): udev
 * synchronisation, name mangling, retried removes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "collect/dm.h"
#include "collect/dmioctl.h"
#include "collect/dmlib.h"
#include "lib/escape.h"
#include "lib/util.h"

uint32_t dm_read_major(void)
{
	char line[256], name[128];
	unsigned int major = 0, m;
	bool block = false;
	FILE *f;

	f = fopen("/proc/devices", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Block devices:", 14))
			block = true;
		else if (block && sscanf(line, "%u %127s", &m, name) == 2 &&
			 !strcmp(name, "device-mapper"))
			major = m;
	}
	fclose(f);
	return major;
}

/* libdevmapper logs to stderr by default; keep its messages for -v only. */
static void dm_log_quiet(int level, const char *file, int line, int dm_errno,
			 const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	if (!verbose || level > 3)
		return;
	va_start(ap, fmt);
	/* its messages quote device names, which may hold any byte */
	if (vasprintf(&text, fmt, ap) >= 0) {
		fprintf(stderr, "dmwatch: libdevmapper: ");
		term_escape(stderr, text);
		fputc('\n', stderr);
	}
	va_end(ap);
	free(text);
}

static void dm_quiet(void)
{
	sym_dm_log_with_errno_init(dm_log_quiet);
}

/* A task on the named device: NULL when libdevmapper refuses one */
static struct dm_task *named_task(int type, const char *name)
{
	struct dm_task *dmt = sym_dm_task_create(type);

	if (dmt && !sym_dm_task_set_name(dmt, name)) {
		sym_dm_task_destroy(dmt);
		dmt = NULL;
	}
	return dmt;
}

/*
 * One ioctl on a device by name. A status read does not flush: a thin pool would
 * commit its metadata for every look (lvs does not flush either).
 */
static struct dm_task *dm_task_for(int type, const char *name)
{
	struct dm_task *dmt = named_task(type, name);

	if (!dmt)
		return NULL;
	if (type == DM_DEVICE_STATUS && !sym_dm_task_no_flush(dmt))
		goto fail;
	if (!sym_dm_task_run(dmt))
		goto fail;
	return dmt;
fail:
	sym_dm_task_destroy(dmt);
	return NULL;
}

/* the targets of a TABLE or STATUS task, appended to lines */
static void task_lines(struct dm_task *dmt, struct dm_line **lines, size_t *n)
{
	uint64_t start, length;
	char *ttype, *params;
	void *next = NULL;

	do {
		struct dm_line *l;

		next = sym_dm_get_next_target(dmt, next, &start, &length, &ttype, &params);
		if (!ttype)
			break;
		l = array_push(lines, n, sizeof(*l));
		l->start = start;
		l->length = length;
		l->type = xstrdup(ttype);
		l->params = xstrdup(params ? params : "");
	} while (next);
}

static int read_lines(int type, const char *name, struct dm_line **lines, size_t *n)
{
	struct dm_task *dmt = dm_task_for(type, name);

	if (!dmt)
		return -ENOENT;
	task_lines(dmt, lines, n);
	sym_dm_task_destroy(dmt);
	return 0;
}

/*
 * Per device as LIST numbered it, three ioctls: the table (whose answer carries
 * the device's info and uuid too, as INFO's would), its status (no flush: a
 * look never commits a thin pool's metadata) and its deps. Answers start in a
 * buffer a linear or thin device's fits (dmioctl.c says why the size matters).
 */
#define DEVICE_ANSWER_SIZE	2048

static int read_device(struct state *st, struct dm_reader *r, const struct dm_name_list *nl,
		       const char *shown, bool unmangled)
{
	struct dm_ioctl *io;
	struct dm_dev *d;
	int err;

	err = dm_reader_run(r, DM_TABLE_STATUS, nl->dev, DM_STATUS_TABLE_FLAG, DEVICE_ANSWER_SIZE);
	/* gone since LIST, or its number already taken by another device */
	if (err || strncmp(r->io->name, nl->name, sizeof(r->io->name)))
		return -ENOENT;
	io = r->io;
	d = array_push(&st->devs, &st->n_devs, sizeof(*d));
	d->name = xstrdup(shown);
	d->name_unmangled = unmangled;
	d->uuid = xstrndup(io->uuid, sizeof(io->uuid));
	d->major = major(io->dev);
	d->minor = minor(io->dev);
	d->open_count = io->open_count;
	d->event_nr = io->event_nr;
	d->suspended = io->flags & DM_SUSPEND_FLAG;
	d->read_only = io->flags & DM_READONLY_FLAG;
	d->live_table = io->flags & DM_ACTIVE_PRESENT_FLAG;
	if (!dm_answer_lines(io, &d->table, &d->n_table))
		state_add_problem(st, "device-mapper", "device %s: its table could not be read", shown);
	if (!dm_reader_run(r, DM_TABLE_STATUS, nl->dev, DM_NOFLUSH_FLAG, DEVICE_ANSWER_SIZE) &&
	    !dm_answer_lines(r->io, &d->status, &d->n_status))
		state_add_problem(st, "device-mapper", "device %s: its status could not be read", shown);
	if (!dm_reader_run(r, DM_TABLE_DEPS, nl->dev, 0, DEVICE_ANSWER_SIZE))
		d->deps = dm_answer_deps(r->io, &d->n_deps);
	return 0;
}

/* libdevmapper's whitelist: bytes it keeps as they are in a name; others it stores as \xNN */
static bool dm_name_char_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("#+-.:=@_", c);
}

/*
 * A name as the kernel holds it (LIST without mangling) to the name libdevmapper
 * would have given: whitelisted bytes and \xNN codes are its own mangled form and
 * are decoded as it does; any other byte means the name was stored unmangled
 * (dmsetup --manglename none), and it is kept as it is. False then.
 */
static bool dm_name_unmangle(const char *kernel, char *out, size_t size)
{
	size_t j = 0;

	for (const char *c = kernel; *c; c++)
		if (*c != '\\' && !dm_name_char_plain(*c)) {
			snprintf(out, size, "%s", kernel);
			return false;
		}
	for (const char *c = kernel; *c && j + 1 < size; c++, j++) {
		if (c[0] == '\\' && c[1] == 'x' && isxdigit((unsigned char)c[2]) &&
		    isxdigit((unsigned char)c[3])) {
			char hex[3] = { c[2], c[3], 0 };

			out[j] = (char)strtoul(hex, NULL, 16);
			c += 3;
		} else {
			out[j] = *c;
		}
	}
	out[j] = 0;
	return true;
}

/*
 * Open the control node; where udev has not made it, libdevmapper's version
 * query makes it from /proc/misc, as dmsetup would.
 */
static int open_reader(struct dm_reader *r)
{
	char version[64];
	int err = dm_reader_open(r);

	if (err != -ENOENT || dmlib_open())
		return err;
	dm_quiet();
	sym_dm_driver_version(version, sizeof(version));
	sym_dm_lib_release();
	return dm_reader_open(r);
}

/* LIST's answer grows by a record of ~50 bytes per device: this fits ~300 */
#define LIST_ANSWER_SIZE	16384

int dm_collect(struct state *st)
{
	const struct dm_name_list *nl = NULL;
	struct dm_ioctl *list = NULL;
	struct dm_reader r;
	int err;

	st->dm_major = dm_read_major();
	if (!st->dm_major) {
		state_add_problem(st, "/proc/devices", "device-mapper is not loaded in this kernel");
		return -ENODEV;
	}
	err = open_reader(&r);
	if (!err)
		err = dm_reader_run(&r, DM_LIST_DEVICES, 0, 0, LIST_ANSWER_SIZE);
	if (err) {
		state_add_problem(st, "/dev/mapper/control",
				  "cannot list device-mapper devices (%s); run as root",
				  strerror(-err));
		goto cleanup;
	}
	st->have_dm = true;
	/*
	 * LIST gives names as the kernel holds them; each is shown as
	 * libdevmapper would list it (its \xNN codes decoded). A name holding
	 * bytes outside libdevmapper's whitelist was stored unmangled (dmsetup
	 * --manglename none); dmsetup and LVM refuse to list any device while
	 * it exists, so it is kept as it is and reported.
	 */
	list = dm_reader_take(&r);
	while ((nl = dm_answer_next_name(list, nl))) {
		char shown[128];	/* DM_NAME_LEN: a kernel name is at most 127 bytes */
		bool plain = dm_name_unmangle(nl->name, shown, sizeof(shown));

		if (!read_device(st, &r, nl, shown, !plain) && !plain)
			state_add_problem(st, "device-mapper",
					  "device %s: its name holds bytes outside libdevmapper's "
					  "set [A-Za-z0-9#+-.:=@_] that were stored unmangled "
					  "(dmsetup --manglename none); dmsetup and LVM cannot list "
					  "devices while it exists, and it is removed with dmsetup "
					  "--manglename none remove", shown);
	}
cleanup:
	free(list);
	dm_reader_close(&r);
	return err;
}

const struct dm_dev *dm_find(const struct state *st, const char *what)
{
	unsigned int major = 0, minor = 0;
	bool by_num = false;
	char c;

	if (sscanf(what, "dm-%u%c", &minor, &c) == 1) {
		major = st->dm_major;
		by_num = true;
	} else if (sscanf(what, "%u:%u%c", &major, &minor, &c) == 2) {
		by_num = true;
	}
	for (size_t i = 0; i < st->n_devs; i++) {
		const struct dm_dev *d = &st->devs[i];

		if (by_num ? (d->minor == minor && (!major || d->major == major))
			   : !strcmp(d->name, what))
			return d;
	}
	return NULL;
}

/* ---- single-device operations (clean, restore, the tracer) ---- */

/*
 * Every operation below runs between begin_op() and end_op(). begin_op() says
 * -ENODEV when this kernel has no dm (never "Cannot allocate memory") and
 * -ELIBACC without libdevmapper. A name the kernel holds with bytes outside
 * libdevmapper's set (stored by dmsetup --manglename none: state's
 * name_unmangled) must reach the kernel as it is, and come back without
 * libdevmapper checking it against the set (it fails the task then), so its mode
 * is "none" for the whole operation; any other name is mangled as libdevmapper
 * does by default, which turns the name scan shows back into the kernel's \xNN
 * form. end_op() sets the default back and releases libdevmapper's control fd,
 * so no descriptor of /dev/mapper/control is open when an LVM tool is started.
 */
static int begin_op(bool raw_name)
{
	if (!dm_read_major())
		return -ENODEV;
	if (dmlib_open())
		return -ELIBACC;
	dm_quiet();
	if (raw_name)
		sym_dm_set_name_mangling_mode(DM_STRING_MANGLING_NONE);
	return 0;
}

static void end_op(bool raw_name)
{
	if (raw_name)
		sym_dm_set_name_mangling_mode(DM_STRING_MANGLING_AUTO);
	sym_dm_lib_release();
}

int dm_device_info(const char *name, bool raw_name, struct dm_dev_info *out)
{
	struct dm_task *dmt;
	struct dm_info info;
	const char *uuid;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = begin_op(raw_name)))
		return err;
	err = -ENOMEM;
	dmt = sym_dm_task_create(DM_DEVICE_INFO);
	if (!dmt)
		goto cleanup;
	err = -EINVAL;
	if (!sym_dm_task_set_name(dmt, name))
		goto cleanup;
	err = -EIO;
	if (!sym_dm_task_run(dmt) || !sym_dm_task_get_info(dmt, &info))
		goto cleanup;
	out->exists = info.exists;
	out->open_count = info.open_count;
	out->major = info.major;
	out->minor = info.minor;
	uuid = sym_dm_task_get_uuid(dmt);
	snprintf(out->uuid, sizeof(out->uuid), "%s", info.exists && uuid ? uuid : "");
	err = 0;
cleanup:
	if (dmt)
		sym_dm_task_destroy(dmt);
	end_op(raw_name);
	return err;
}

int dm_read_lines(const char *name, bool status, struct dm_line **lines, size_t *n)
{
	int err;

	*lines = NULL;
	*n = 0;
	if ((err = begin_op(false)))
		return err;
	err = read_lines(status ? DM_DEVICE_STATUS : DM_DEVICE_TABLE, name, lines, n);
	end_op(false);
	return err;
}

/* Run it, wait until udev has made or removed the nodes */
static bool run_and_settle(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	bool ok = sym_dm_task_set_cookie(dmt, &cookie, 0) && sym_dm_task_run(dmt);

	if (cookie)
		sym_dm_udev_wait(cookie);
	return ok;
}

int dm_remove_device(const char *name, bool raw_name)
{
	struct dm_task *dmt;
	int err;

	if ((err = begin_op(raw_name)))
		return err;
	err = -EINVAL;
	dmt = named_task(DM_DEVICE_REMOVE, name);
	if (!dmt)
		goto cleanup;
	/* retry: udev or blkid may hold it open for a moment */
	if (!sym_dm_task_retry_remove(dmt))
		err = -ENOMEM;
	else
		err = run_and_settle(dmt) ? 0 : -EBUSY;
	sym_dm_task_destroy(dmt);
cleanup:
	end_op(raw_name);
	return err;
}

int dm_create_device(const char *name, bool raw_name, const char *uuid, bool read_only,
		     const struct dm_line *table, size_t n_table)
{
	struct dm_task *dmt;
	bool ok;
	int err;

	if ((err = begin_op(raw_name)))
		return err;
	err = -EINVAL;
	dmt = named_task(DM_DEVICE_CREATE, name);
	if (!dmt)
		goto cleanup;
	ok = !uuid || !*uuid || sym_dm_task_set_uuid(dmt, uuid);
	if (ok && read_only)
		ok = sym_dm_task_set_ro(dmt);
	for (size_t i = 0; ok && i < n_table; i++)
		ok = sym_dm_task_add_target(dmt, table[i].start, table[i].length, table[i].type,
					    table[i].params);
	if (ok)
		err = run_and_settle(dmt) ? 0 : -EIO;
	sym_dm_task_destroy(dmt);
cleanup:
	end_op(raw_name);
	return err;
}
