// SPDX-License-Identifier: GPL-2.0
/*
 * What this kernel offers the tracer, read from /sys, /proc, tracefs and the
 * kernel's BTF: the facts plan.c chooses programs from. Each probe is cheap and
 * read-only, except the tp_btf one, which loads (never attaches) a two-
 * instruction program, as libbpf-tools' probe_tp_btf() does.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "collect/dm.h"
#include "lib/fileio.h"
#include "trace/kfacts.h"
#include "lib/util.h"

#define CAP_SYS_RESOURCE_BIT	24
#define CAP_SYS_ADMIN_BIT	21
#define CAP_PERFMON_BIT		38
#define CAP_BPF_BIT		39

static const char *const tracefs_roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static FILE *tracefs_open(const char *file)
{
	char path[256];
	FILE *f;

	for (size_t i = 0; i < ARRAY_SIZE(tracefs_roots); i++) {
		snprintf(path, sizeof(path), "%s/%s", tracefs_roots[i], file);
		f = fopen(path, "re");
		if (f)
			return f;
	}
	return NULL;
}

static bool tracefs_has(const char *file)
{
	char path[256];

	for (size_t i = 0; i < ARRAY_SIZE(tracefs_roots); i++) {
		snprintf(path, sizeof(path), "%s/%s", tracefs_roots[i], file);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

/* The effective capability set (all bits for root) */
static unsigned long long effective_caps(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	if (geteuid() == 0)
		return ~0ULL;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff;
}

/* root, or the capabilities BPF tracing needs (CAP_SYS_ADMIN covers both) */
static bool privileged(unsigned long long eff)
{
	return (eff >> CAP_SYS_ADMIN_BIT & 1) ||
	       ((eff >> CAP_BPF_BIT & 1) && (eff >> CAP_PERFMON_BIT & 1));
}

/* "none [integrity] confidentiality": the bracketed one is in force */
static enum lockdown_mode lockdown(void)
{
	char buf[128] = "", *open;

	if (!read_first_line("/sys/kernel/security/lockdown", buf, sizeof(buf)))
		return LOCKDOWN_UNKNOWN;
	open = strchr(buf, '[');
	if (!open)
		return LOCKDOWN_UNKNOWN;
	if (!strncmp(open, "[none]", 6))
		return LOCKDOWN_NONE;
	if (!strncmp(open, "[integrity]", 11))
		return LOCKDOWN_INTEGRITY;
	if (!strncmp(open, "[confidentiality]", 17))
		return LOCKDOWN_CONFIDENTIALITY;
	return LOCKDOWN_UNKNOWN;
}

static bool module_btf(void)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = de->d_name[0] != '.' && strcmp(de->d_name, "vmlinux");
	closedir(d);
	return found;
}

static int kprobe_index(const char *sym)
{
	for (int t = 0; t < KP_TARGETS; t++)
		if (!strcmp(sym, plan_kprobe_name(t)))
			return t;
	return -1;
}

/*
 * How often each target is in available_filter_functions ("name" or
 * "name [module]"), else in kallsyms as a text symbol: a static function of the
 * same name in another module makes the name ambiguous for a kprobe. Also how
 * often dm's error-only function is there, for the fentry program.
 */
static void count_kprobe_targets(struct kernel_facts *f)
{
	char line[512], sym[256], type;
	unsigned long long addr;
	FILE *fp = tracefs_open("available_filter_functions");
	int t;

	if (fp) {
		while (fgets(line, sizeof(line), fp)) {
			if (sscanf(line, "%255s", sym) != 1)
				continue;
			if ((t = kprobe_index(sym)) >= 0)
				f->kprobe_count[t]++;
			else if (!strcmp(sym, PLAN_DM_ERROR_FN))
				f->dm_error_fn_count++;	/* fentry needs ftrace's hook: only here */
		}
		fclose(fp);
	}
	for (t = 0; t < KP_TARGETS; t++)
		if (f->kprobe_count[t])
			return;
	/* no tracefs, or the functions are not ftrace-able: kallsyms still knows */
	fp = fopen("/proc/kallsyms", "re");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 && (type == 't' || type == 'T') &&
		    (t = kprobe_index(sym)) >= 0)
			f->kprobe_count[t]++;
	fclose(fp);
}

/* kprobes/blacklist: "0xstart-0xend\tsymbol" per line */
static void read_kprobe_blacklist(struct kernel_facts *f)
{
	FILE *fp = fopen("/sys/kernel/debug/kprobes/blacklist", "re");
	char line[512], range[128], sym[256];
	int t;

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%127s %255s", range, sym) == 2 && (t = kprobe_index(sym)) >= 0)
			f->kprobe_blacklisted[t] = true;
	fclose(fp);
}

/* The type a BTF-typed tracepoint passes as argument `arg` (after the void *) */
static const struct btf_type *tp_arg_type(const struct btf *btf, const char *tp, int arg)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);	/* pointer */
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);				/* func proto */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) <= arg + 1)
		return NULL;
	return btf__type_by_id(btf, btf_params(t)[arg + 1].type);
}

int kfacts_empty_tp_btf(const struct btf *btf, const char *tp)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	char name[128];
	int id, fd;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "floor", "GPL", insns, ARRAY_SIZE(insns), &opts);
	return fd < 0 ? -errno : fd;
}

/*
 * Can this kernel load a BTF-typed tracepoint program? Load (not attach) the
 * smallest one against block_bio_complete.
 */
static bool tp_btf_loads(const struct btf *btf)
{
	int fd = kfacts_empty_tp_btf(btf, "block_bio_complete");

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Whether the module's own BTF (/sys/kernel/btf/MODULE) has function `func` */
static bool module_has_func(struct btf *vmlinux, const char *module, const char *func)
{
	struct btf *btf = btf__load_module_btf(module, vmlinux);
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}

static void btf_facts(struct kernel_facts *f)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;

	if (!btf)
		return;
	/* block_rq_complete(rq, int error, ...) before it passed a blk_status_t */
	t = tp_arg_type(btf, "block_rq_complete", 1);
	f->rq_error_is_errno = t && btf_is_int(t);
	/*
	 * block_rq_error(rq, blk_status_t error, nr_bytes), v5.18+: the BPF side reads
	 * `error` as a blk_status_t, so a kernel passing anything else (none known)
	 * keeps block_rq_complete.
	 */
	t = tp_arg_type(btf, "block_rq_error", 1);
	f->rq_error_tp = t && btf_is_typedef(t) &&
			 !strcmp(btf__name_by_offset(btf, t->name_off), "blk_status_t");
	f->tp_btf = f->privileged && tp_btf_loads(btf);
	f->dm_error_fn_btf = f->btf_modules && module_has_func(btf, "dm_mod", PLAN_DM_ERROR_FN);
	btf__free(btf);
}

void kfacts_gather(struct kernel_facts *f)
{
	unsigned long long caps = effective_caps();
	struct utsname u;
	struct rlimit rl;

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	plan_parse_release(f->release, &f->version, &f->patchlevel);
	f->btf_vmlinux = !access("/sys/kernel/btf/vmlinux", R_OK);
	f->btf_modules = module_btf();
	f->privileged = privileged(caps);
	f->lockdown = lockdown();
	f->memlock = UINT64_MAX;
	f->memlock_raisable = caps >> CAP_SYS_RESOURCE_BIT & 1;
	if (!getrlimit(RLIMIT_MEMLOCK, &rl)) {
		if (rl.rlim_cur != RLIM_INFINITY)
			f->memlock = rl.rlim_cur;
		f->memlock_raisable |= rl.rlim_max == RLIM_INFINITY ||
				       rl.rlim_max >= PLAN_MEMLOCK_NEEDED;
	}
	f->memcg_accounting = f->version > 5 || (f->version == 5 && f->patchlevel >= 11);
	f->dm_major = dm_read_major();
	f->kprobes = !access("/sys/bus/event_source/devices/kprobe", F_OK) ||
		     tracefs_has("kprobe_events");
	count_kprobe_targets(f);
	read_kprobe_blacklist(f);
	f->syscall_tracepoints = tracefs_has("events/syscalls/sys_enter_ioctl") &&
				 tracefs_has("events/syscalls/sys_exit_ioctl");
	/* raw tracepoints need no tracefs: only a tracefs without them says no */
	f->block_tracepoints = tracefs_has("events/block/block_bio_complete") ||
			       !tracefs_has("events/block");
	if (f->btf_vmlinux)
		btf_facts(f);
}
