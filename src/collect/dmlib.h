/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libdevmapper, loaded the first time a command needs it (clean, restore, the
 * tracer's reads). A scan reads device-mapper with its own ioctls (dmioctl.c) and
 * never does: linked, libdevmapper would be loaded into every dmwatch process, and
 * libselinux, libudev and libpcre2 with it, a third of a scan's start under
 * emulation (tools/bench.sh lvmscan). systemd opens its optional libraries this way.
 * dm.c calls sym_dm_*() where it would call dm_*(); with no -ldevmapper at link
 * time, a direct call does not link.
 */
#ifndef DMWATCH_DMLIB_H
#define DMWATCH_DMLIB_H

#include <libdevmapper.h>

#define DMLIB_SYMBOLS(X)							\
	X(dm_task_create) X(dm_task_destroy) X(dm_task_run)			\
	X(dm_task_set_name) X(dm_task_set_uuid) X(dm_task_set_ro)		\
	X(dm_task_set_cookie) X(dm_task_no_flush) X(dm_task_retry_remove)	\
	X(dm_task_add_target) X(dm_task_get_info) X(dm_task_get_uuid)		\
	X(dm_get_next_target) X(dm_udev_wait) X(dm_driver_version)		\
	X(dm_lib_release) X(dm_log_with_errno_init) X(dm_set_name_mangling_mode)

#define DMLIB_DECLARE(f) extern typeof(f) *sym_##f;
DMLIB_SYMBOLS(DMLIB_DECLARE)
#undef DMLIB_DECLARE

/*
 * 0 once every symbol is resolved (thread-safe, tried once). -ELIBACC when the
 * library or a symbol is missing: said once on stderr, with dlerror()'s words.
 */
int dmlib_open(void);

#endif /* DMWATCH_DMLIB_H */
