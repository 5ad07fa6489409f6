// SPDX-License-Identifier: GPL-2.0
/*
 * The program choice: kernel facts in, a plan out (which BPF programs load,
 * which lifecycle tier and I/O hooks that gives, what each missing piece
 * costs). No I/O here: the unit tests feed it the facts of real kernels.
 *
 * Lifecycle, best first: kprobes on dm-ioctl's handlers (the kernel's copy of
 * the request, pid and result), the ioctl syscall tracepoints (the caller's
 * copy), kernel uevents (no pid, no failed ioctls). I/O errors: BTF-typed raw
 * tracepoints, else plain raw tracepoints (same events), each of bio and request
 * completion on its own; request errors from block_rq_error where the kernel has
 * it, else from block_rq_complete; bio errors from dm core's error-only function
 * where the kernel has one to attach to, else from block_bio_complete.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace/plan.h"
#include "dmwatch_event.h"
#include "lib/util.h"

static const char *const prog_names[PROG_COUNT] = {
	[PROG_DEV_CREATE_ENTRY] = "dev_create_entry",	[PROG_DEV_CREATE_EXIT] = "dev_create_exit",
	[PROG_DEV_REMOVE_ENTRY] = "dev_remove_entry",	[PROG_DEV_REMOVE_EXIT] = "dev_remove_exit",
	[PROG_DEV_RENAME_ENTRY] = "dev_rename_entry",	[PROG_DEV_RENAME_EXIT] = "dev_rename_exit",
	[PROG_DEV_SUSPEND_ENTRY] = "dev_suspend_entry",	[PROG_DEV_SUSPEND_EXIT] = "dev_suspend_exit",
	[PROG_TABLE_LOAD_ENTRY] = "table_load_entry",	[PROG_TABLE_LOAD_EXIT] = "table_load_exit",
	[PROG_REMOVE_ALL_ENTRY] = "remove_all_entry",	[PROG_REMOVE_ALL_EXIT] = "remove_all_exit",
	[PROG_SYS_ENTER_IOCTL] = "sys_enter_ioctl",	[PROG_SYS_EXIT_IOCTL] = "sys_exit_ioctl",
	[PROG_DM_TABLE_EVENT] = "dm_table_event",
	[PROG_BIO_COMPLETE] = "block_bio_complete",	[PROG_BIO_COMPLETE_RAW] = "block_bio_complete_raw",
	[PROG_RQ_COMPLETE] = "block_rq_complete",	[PROG_RQ_COMPLETE_RAW] = "block_rq_complete_raw",
	[PROG_RQ_ERROR] = "block_rq_error",		[PROG_RQ_ERROR_RAW] = "block_rq_error_raw",
	[PROG_DM_IO_ERROR] = PLAN_DM_ERROR_FN,
};

static const char *const kprobe_names[KP_TARGETS] = {
	[KP_DEV_CREATE] = "dev_create", [KP_DEV_REMOVE] = "dev_remove",
	[KP_DEV_RENAME] = "dev_rename", [KP_DEV_SUSPEND] = "dev_suspend",
	[KP_TABLE_LOAD] = "table_load", [KP_REMOVE_ALL] = "remove_all",
	[KP_DM_TABLE_EVENT] = "dm_table_event",
};

const char *plan_prog_name(enum plan_prog prog)
{
	return prog < PROG_COUNT ? prog_names[prog] : "?";
}

int plan_prog_by_name(const char *name)
{
	for (int i = 0; i < PROG_COUNT; i++)
		if (!strcmp(prog_names[i], name))
			return i;
	return -1;
}

bool plan_prog_runs_are_events(enum plan_prog prog)
{
	switch (prog) {
	case PROG_SYS_ENTER_IOCTL:
	case PROG_SYS_EXIT_IOCTL:
	case PROG_BIO_COMPLETE:
	case PROG_BIO_COMPLETE_RAW:
	case PROG_RQ_COMPLETE:
	case PROG_RQ_COMPLETE_RAW:
		return false;
	default:
		return prog < PROG_COUNT;
	}
}

const char *plan_kprobe_name(enum kprobe_target t)
{
	return t < KP_TARGETS ? kprobe_names[t] : "?";
}

const char *plan_tier_str(enum lifecycle_tier tier)
{
	switch (tier) {
	case TIER_KPROBES:	return "kprobes on dm-ioctl";
	case TIER_SYSCALLS:	return "ioctl syscall tracepoints";
	case TIER_UEVENTS:	return "kernel uevents";
	case TIER_NONE:		break;
	}
	return "none";
}

const char *plan_io_str(enum io_hooks io)
{
	switch (io) {
	case IO_TP_BTF:	return "tp_btf block completion";
	case IO_RAW_TP:	return "raw_tp block completion";
	case IO_NONE:	break;
	}
	return "none";
}

const char *plan_rq_hook(const struct trace_plan *p)
{
	if (p->load[PROG_RQ_ERROR] || p->load[PROG_RQ_ERROR_RAW])
		return "block_rq_error";
	if (p->load[PROG_RQ_COMPLETE] || p->load[PROG_RQ_COMPLETE_RAW])
		return "block_rq_complete";
	return "none";
}

const char *plan_bio_hook(const struct trace_plan *p)
{
	if (p->load[PROG_DM_IO_ERROR])
		return PLAN_DM_ERROR_FN;
	if (p->load[PROG_BIO_COMPLETE] || p->load[PROG_BIO_COMPLETE_RAW])
		return "block_bio_complete";
	return "none";
}

const char *plan_lockdown_str(enum lockdown_mode mode)
{
	switch (mode) {
	case LOCKDOWN_NONE:		return "none";
	case LOCKDOWN_INTEGRITY:	return "integrity";
	case LOCKDOWN_CONFIDENTIALITY:	return "confidentiality";
	case LOCKDOWN_UNKNOWN:		break;
	}
	return "unknown";
}

const char *plan_prog_cost(enum plan_prog prog)
{
	switch (prog) {
	case PROG_SYS_ENTER_IOCTL:
	case PROG_SYS_EXIT_IOCTL:
		return "dm lifecycle from the ioctl syscall tracepoints";
	case PROG_DM_TABLE_EVENT:
		return "snapshot invalidation and pool mode changes at once (seen at the next sample)";
	case PROG_BIO_COMPLETE:
	case PROG_BIO_COMPLETE_RAW:
		return "I/O errors of bio-based devices (dm's own targets, md)";
	case PROG_RQ_COMPLETE:
	case PROG_RQ_COMPLETE_RAW:
	case PROG_RQ_ERROR:
	case PROG_RQ_ERROR_RAW:
		return "I/O errors of request-based disks (SCSI, NVMe, virtio) and multipath";
	case PROG_DM_IO_ERROR:
		return "error-only hook in dm core (block_bio_complete takes over: it runs on every bio)";
	default:
		return "dm lifecycle with pid and result from kprobes on dm-ioctl";
	}
}

bool plan_parse_release(const char *release, int *version, int *patchlevel)
{
	return sscanf(release, "%d.%d", version, patchlevel) == 2;
}

__attribute__((format(printf, 3, 4)))
static void note(struct trace_plan *p, bool loss, const char *fmt, ...)
{
	va_list ap;

	if (p->n_notes == PLAN_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(p->notes[p->n_notes].text, sizeof(p->notes[0].text), fmt, ap);
	va_end(ap);
	p->notes[p->n_notes++].loss = loss;
	if (loss && p->verdict == EXIT_OK)
		p->verdict = EXIT_WARNING;
}

/* Why a kprobe target cannot be used, or NULL when it can */
static const char *kprobe_problem(const struct kernel_facts *f, enum kprobe_target t,
				  char *buf, size_t len)
{
	if (!f->kprobes)
		return "this kernel has no kprobes (CONFIG_KPROBES)";
	if (f->kprobe_count[t] == 0)
		snprintf(buf, len, "%s is not in the kernel's symbols (dm-mod not loaded, or inlined)",
			 kprobe_names[t]);
	else if (f->kprobe_count[t] > 1)
		snprintf(buf, len, "%s is in the kernel's symbols %d times: a kprobe on it would be "
			 "ambiguous (EADDRNOTAVAIL since 6.6)", kprobe_names[t], f->kprobe_count[t]);
	else if (f->kprobe_blacklisted[t])
		snprintf(buf, len, "%s is on the kprobe blacklist", kprobe_names[t]);
	else
		return NULL;
	return buf;
}

/* The first handler pair that cannot be kprobed, as a reason; NULL if all can */
static const char *lifecycle_kprobe_problem(const struct kernel_facts *f, char *buf, size_t len)
{
	const char *why;

	for (int t = KP_DEV_CREATE; t <= KP_REMOVE_ALL; t++) {
		why = kprobe_problem(f, t, buf, len);
		if (why)
			return why;
		if (f->refused[PROG_DEV_CREATE_ENTRY + 2 * t] || f->refused[PROG_DEV_CREATE_EXIT + 2 * t]) {
			snprintf(buf, len, "the kernel refused the kprobe programs on %s", kprobe_names[t]);
			return buf;
		}
	}
	return NULL;
}

static void choose_lifecycle(const struct kernel_facts *f, bool force_syscalls, bool force_uevents,
			     bool uevents_ok, struct trace_plan *p)
{
	char buf[160];
	const char *why = force_uevents ? "--uevents" : force_syscalls ? "--syscalls" :
			  lifecycle_kprobe_problem(f, buf, sizeof(buf));
	bool user_choice = force_syscalls || force_uevents;

	if (!why) {
		p->tier = TIER_KPROBES;
		for (int i = PROG_DEV_CREATE_ENTRY; i <= PROG_REMOVE_ALL_EXIT; i++)
			p->load[i] = true;
		return;
	}
	if (!force_uevents && f->syscall_tracepoints && !f->refused[PROG_SYS_ENTER_IOCTL] &&
	    !f->refused[PROG_SYS_EXIT_IOCTL]) {
		p->tier = TIER_SYSCALLS;
		p->load[PROG_SYS_ENTER_IOCTL] = p->load[PROG_SYS_EXIT_IOCTL] = true;
		note(p, false, "using the ioctl syscall tracepoints for dm lifecycle (%s): same "
		     "events, names as the caller passed them; every system call of the machine "
		     "takes the kernel's slower traced path while they are attached", why);
		return;
	}
	if (uevents_ok) {
		p->tier = TIER_UEVENTS;
		note(p, !user_choice, "using kernel uevents for dm lifecycle (%s%s): no pid, no failed "
		     "creates (EBUSY), no suspend or load", why,
		     force_uevents || f->syscall_tracepoints ? "" : "; no ioctl syscall tracepoints");
		return;
	}
	p->tier = TIER_NONE;
	note(p, true, "no dm lifecycle events (%s; no ioctl syscall tracepoints, no uevent socket)", why);
}

/* tp_btf, else raw_tp, else IO_NONE (nothing loaded) for one tracepoint */
static enum io_hooks try_io_one(const struct kernel_facts *f, enum plan_prog btf,
				enum plan_prog raw, struct trace_plan *p)
{
	if (f->tp_btf && !f->refused[btf]) {
		p->load[btf] = true;
		return IO_TP_BTF;
	}
	if (!f->refused[raw]) {
		p->load[raw] = true;
		return IO_RAW_TP;
	}
	return IO_NONE;
}

static enum io_hooks choose_io_one(const struct kernel_facts *f, enum plan_prog btf,
				   enum plan_prog raw, struct trace_plan *p)
{
	enum io_hooks io = try_io_one(f, btf, raw, p);

	if (io == IO_NONE)
		note(p, true, "the kernel refused both block completion programs: no %s",
		     plan_prog_cost(raw));
	return io;
}

/*
 * Request errors: block_rq_error where the kernel has it (5.18+), which fires
 * for failed requests only, so a successful one runs nothing; else
 * block_rq_complete, which runs on every request and filters in BPF.
 */
static enum io_hooks choose_rq(const struct kernel_facts *f, struct trace_plan *p)
{
	enum io_hooks io;

	if (f->rq_error_tp) {
		io = try_io_one(f, PROG_RQ_ERROR, PROG_RQ_ERROR_RAW, p);
		if (io != IO_NONE)
			return io;
		note(p, false, "the kernel refused the block_rq_error programs: request errors come "
		     "from block_rq_complete, which runs on every request");
	}
	return choose_io_one(f, PROG_RQ_COMPLETE, PROG_RQ_COMPLETE_RAW, p);
}

/*
 * Bio errors: dm core's dm_io_set_error() where the kernel has it as a function
 * of its own (v5.19+, not inlined; fentry needs dm_mod's BTF), which dm calls
 * only for a failed bio, so a successful one runs nothing, on dm devices and on
 * every other bio-based disk; else block_bio_complete, which runs on every bio
 * of every bio-based device and filters in BPF. What the first does not see: a
 * bio-based disk below dm (md, zram) failing on its own, which the dm device
 * above still reports as its error, without naming the disk.
 */
static enum io_hooks choose_bio(const struct kernel_facts *f, struct trace_plan *p)
{
	if (f->dm_error_fn_count == 1 && f->dm_error_fn_btf && f->btf_modules &&
	    !f->refused[PROG_DM_IO_ERROR]) {
		p->load[PROG_DM_IO_ERROR] = true;
		p->dm_error_hook = true;
		return IO_TP_BTF;
	}
	return choose_io_one(f, PROG_BIO_COMPLETE, PROG_BIO_COMPLETE_RAW, p);
}

static void choose_io(const struct kernel_facts *f, struct trace_plan *p)
{
	enum io_hooks bio, rq;

	if (!f->block_tracepoints) {
		p->io = IO_NONE;
		note(p, true, "no block tracepoints (block:block_bio_complete): I/O errors will not be seen");
		return;
	}
	bio = choose_bio(f, p);
	rq = choose_rq(f, p);
	/* the weaker of the two names the hooks */
	p->io = bio > rq ? bio : rq;
	if (p->io == IO_RAW_TP)
		note(p, false, "using raw tracepoints for I/O errors (BTF-typed ones refused): same events");
}

static void choose_table_events(const struct kernel_facts *f, struct trace_plan *p)
{
	char buf[160];
	const char *why = kprobe_problem(f, KP_DM_TABLE_EVENT, buf, sizeof(buf));

	if (!why && f->refused[PROG_DM_TABLE_EVENT])
		why = "the kernel refused the dm_table_event program";
	if (!why) {
		p->load[PROG_DM_TABLE_EVENT] = true;
		p->table_events = true;
		return;
	}
	note(p, true, "no dm table events (%s): snapshot invalidation and pool mode changes are "
	     "seen at the next sample (--interval), not at once", why);
}

/* What stops tracing altogether; NULL if nothing does */
static const char *blocker(const struct kernel_facts *f)
{
	/* libbpf raises RLIMIT_MEMLOCK itself when it may; before 5.11 it must */
	bool memlock_short = !f->memcg_accounting && f->memlock < PLAN_MEMLOCK_NEEDED &&
			     !f->memlock_raisable;

	if (!f->privileged)
		return "tracing needs root (CAP_BPF and CAP_PERFMON) to load BPF programs";
	if (!f->btf_vmlinux)
		return "this kernel has no BTF (/sys/kernel/btf/vmlinux); CONFIG_DEBUG_INFO_BTF is needed";
	if (f->lockdown == LOCKDOWN_CONFIDENTIALITY)
		return "kernel lockdown is 'confidentiality': BPF may not read kernel memory and "
		       "kprobes are off (boot with lockdown=integrity)";
	if (memlock_short)
		return "RLIMIT_MEMLOCK is too low for the BPF maps and may not be raised "
		       "(this kernel charges BPF memory to it): run with ulimit -l unlimited "
		       "(systemd: LimitMEMLOCK=infinity)";
	return NULL;
}

void plan_choose(const struct kernel_facts *f, bool force_syscalls, bool force_uevents,
		 bool uevents_ok, struct trace_plan *p)
{
	const char *stop = blocker(f);

	memset(p, 0, sizeof(*p));
	p->verdict = EXIT_OK;
	p->tier = TIER_NONE;
	p->io = IO_NONE;
	p->rq_error_is_errno = f->rq_error_is_errno;
	/* v6.10 dropped BLK_STS_ZONE_RESOURCE and renumbered what came after it */
	p->blk_sts_layout = f->version > 6 || (f->version == 6 && f->patchlevel >= 10) ?
			    DMW_BLK_STS_V6_10 : DMW_BLK_STS_V4_13;
	if (stop) {
		p->verdict = EXIT_UNUSABLE;
		snprintf(p->reason, sizeof(p->reason), "%s", stop);
		return;
	}
	choose_lifecycle(f, force_syscalls, force_uevents, uevents_ok, p);
	choose_table_events(f, p);
	choose_io(f, p);
	if (!f->dm_major)
		note(p, true, "device-mapper is not loaded (modprobe dm-mod): I/O errors on dm "
		     "devices cannot be told apart until it is");
}
