/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which BPF programs load on this kernel, and what that costs: a pure function
 * from kernel facts (gathered by kfacts.c, or written down in a unit test) to a
 * plan. `trace`, `record` and `doctor` all read the same plan, so they say the
 * same thing about a kernel.
 */
#ifndef DMWATCH_TRACE_PLAN_H
#define DMWATCH_TRACE_PLAN_H

#include <stdbool.h>
#include <stdint.h>

/* Kernel functions the kprobes attach to (dm-ioctl's handlers, dm_table_event) */
enum kprobe_target {
	KP_DEV_CREATE,
	KP_DEV_REMOVE,
	KP_DEV_RENAME,
	KP_DEV_SUSPEND,
	KP_TABLE_LOAD,
	KP_REMOVE_ALL,
	KP_DM_TABLE_EVENT,
	KP_TARGETS,
};

/* The BPF programs of bpf/trace.bpf.c, by what they are for */
enum plan_prog {
	PROG_DEV_CREATE_ENTRY, PROG_DEV_CREATE_EXIT,
	PROG_DEV_REMOVE_ENTRY, PROG_DEV_REMOVE_EXIT,
	PROG_DEV_RENAME_ENTRY, PROG_DEV_RENAME_EXIT,
	PROG_DEV_SUSPEND_ENTRY, PROG_DEV_SUSPEND_EXIT,
	PROG_TABLE_LOAD_ENTRY, PROG_TABLE_LOAD_EXIT,
	PROG_REMOVE_ALL_ENTRY, PROG_REMOVE_ALL_EXIT,
	PROG_SYS_ENTER_IOCTL, PROG_SYS_EXIT_IOCTL,
	PROG_DM_TABLE_EVENT,
	PROG_BIO_COMPLETE, PROG_BIO_COMPLETE_RAW,
	PROG_RQ_COMPLETE, PROG_RQ_COMPLETE_RAW,
	PROG_RQ_ERROR, PROG_RQ_ERROR_RAW,
	PROG_DM_IO_ERROR,
	PROG_COUNT,
};

enum lockdown_mode { LOCKDOWN_UNKNOWN, LOCKDOWN_NONE, LOCKDOWN_INTEGRITY, LOCKDOWN_CONFIDENTIALITY };

struct kernel_facts {
	char release[65];		/* uname -r */
	int version, patchlevel;	/* 5, 10 */
	bool btf_vmlinux;		/* /sys/kernel/btf/vmlinux */
	bool btf_modules;		/* per-module BTF (/sys/kernel/btf/dm_mod ...) */
	bool privileged;		/* root, or CAP_BPF + CAP_PERFMON (CAP_SYS_ADMIN before 5.8) */
	enum lockdown_mode lockdown;
	uint64_t memlock;		/* RLIMIT_MEMLOCK, UINT64_MAX = unlimited */
	bool memlock_raisable;		/* root, CAP_SYS_RESOURCE, or a hard limit that allows it */
	bool memcg_accounting;		/* BPF memory charged to the cgroup (5.11+): memlock unused */
	uint32_t dm_major;		/* 0 = device-mapper not loaded */
	bool kprobes;			/* the kernel can kprobe at all */
	int kprobe_count[KP_TARGETS];	/* how often the name is in the kernel's symbols */
	bool kprobe_blacklisted[KP_TARGETS];
	bool syscall_tracepoints;	/* syscalls:sys_{enter,exit}_ioctl */
	bool block_tracepoints;		/* block:block_{bio,rq}_complete */
	bool tp_btf;			/* BTF-typed tracepoints can be loaded */
	bool rq_error_is_errno;		/* block_rq_complete passes an errno (older kernels) */
	bool rq_error_tp;		/* block_rq_error (5.18+) with a blk_status_t */
	/*
	 * dm core's error-only function, dm_io_set_error (5.19+, where not inlined):
	 * how often the name is ftrace-able, and whether dm_mod's BTF has it
	 */
	int dm_error_fn_count;
	bool dm_error_fn_btf;
	bool refused[PROG_COUNT];	/* programs the kernel refused at an earlier load */
};

/* what the BPF maps need locked before v5.11 (16 MiB ring buffer and the rest) */
#define PLAN_MEMLOCK_NEEDED	(32ULL << 20)

enum lifecycle_tier { TIER_KPROBES, TIER_SYSCALLS, TIER_UEVENTS, TIER_NONE };
enum io_hooks { IO_TP_BTF, IO_RAW_TP, IO_NONE };

#define PLAN_MAX_NOTES 12

/* one missing piece and what it costs; `loss` when something is not seen */
struct plan_note {
	char text[224];
	bool loss;
};

struct trace_plan {
	bool load[PROG_COUNT];
	enum lifecycle_tier tier;
	enum io_hooks io;
	bool table_events;		/* dm_table_event: snapshot invalid seen at once */
	bool dm_error_hook;		/* bio errors from dm_io_set_error, not block_bio_complete */
	unsigned int blk_sts_layout;	/* enum dmw_blk_sts_layout */
	bool rq_error_is_errno;
	int verdict;			/* EXIT_OK, EXIT_WARNING (degraded), EXIT_UNUSABLE */
	char reason[256];		/* one line: why it cannot trace, else empty */
	struct plan_note notes[PLAN_MAX_NOTES];
	int n_notes;
};

/*
 * Choose programs. force_syscalls / force_uevents are the --syscalls and
 * --uevents choices of the user; uevents_ok says whether the uevent socket
 * could be opened (it is the last lifecycle tier).
 */
void plan_choose(const struct kernel_facts *f, bool force_syscalls, bool force_uevents,
		 bool uevents_ok, struct trace_plan *p);

const char *plan_prog_name(enum plan_prog prog);	/* the BPF program's name */
int plan_prog_by_name(const char *name);		/* -1 if unknown */
/*
 * Whether every run of the program is a dm event: a run the kernel skips is then
 * a lost event. Not so for those that run for every I/O or every ioctl(2) of the
 * machine and mostly return at once: a skipped run of theirs is almost always
 * nothing, and counting it would cry wolf.
 */
bool plan_prog_runs_are_events(enum plan_prog prog);
const char *plan_kprobe_name(enum kprobe_target t);
const char *plan_tier_str(enum lifecycle_tier tier);
const char *plan_io_str(enum io_hooks io);
/* the tracepoint request errors come from: "block_rq_error", "block_rq_complete", "none" */
const char *plan_rq_hook(const struct trace_plan *p);
/* where bio errors come from: "dm_io_set_error", "block_bio_complete", "none" */
const char *plan_bio_hook(const struct trace_plan *p);
/* the function dm core calls only for a failed bio (PROG_DM_IO_ERROR's target) */
#define PLAN_DM_ERROR_FN	"dm_io_set_error"
const char *plan_lockdown_str(enum lockdown_mode mode);
/* "what is lost" when the kernel refuses this program at load time */
const char *plan_prog_cost(enum plan_prog prog);

/* "5.10.0-32-amd64" -> 5, 10; false if it does not start with two numbers */
bool plan_parse_release(const char *release, int *version, int *patchlevel);

#endif /* DMWATCH_TRACE_PLAN_H */
