// SPDX-License-Identifier: GPL-2.0
/*
 * dmwatch doctor: will `trace` and `record` work on this machine, and how? The
 * kernel facts (trace/kfacts.c), the plan they give (trace/plan.c), and, when it
 * can, a real load and attach of the BPF programs, so what doctor says is what
 * trace will do. Exit 0 all good, 1 degraded, 3 cannot trace.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "trace/kfacts.h"
#include "trace/plan.h"
#include "trace/tracer.h"
#include "dmwatch_event.h"
#include "lib/escape.h"
#include "lib/util.h"

static struct doctor_env {
	bool json;
	bool no_load;
} env;

static error_t doctor_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j': env.json = true; break;
	case 'n': env.no_load = true; break;
	case 'v': verbose = 1; break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option doctor_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object", 0 },
	{ "no-load", 'n', NULL, 0, "Judge from the kernel's facts only; do not load the BPF programs", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{},
};

static const struct argp doctor_argp = {
	.options = doctor_options,
	.parser = doctor_parse,
	.doc = "Say whether `trace` and `record` will work on this machine and how: kernel, BTF, "
	       "kprobes, lockdown, memlock, privileges, device-mapper, the lifecycle tier and I/O "
	       "hooks that will be used, and what each missing piece costs.\v"
	       "Unless --no-load, the BPF programs are loaded and attached once (and released), "
	       "so the answer is what trace will do.\n"
	       "Exit: 0 all good, 1 degraded, 3 cannot trace.",
};

static void noop_cb(void *ctx, const struct tracer_event *ev)
{
}

static const char *verdict_str(int verdict)
{
	return verdict == EXIT_OK ? "ok" : verdict == EXIT_WARNING ? "degraded" : "cannot trace";
}

static void print_memlock(FILE *f, uint64_t memlock)
{
	if (memlock == UINT64_MAX)
		fprintf(f, "unlimited");
	else
		fprintf(f, "%llu KiB", (unsigned long long)(memlock / 1024));
}

static void print_kprobe_targets(const struct kernel_facts *k)
{
	for (int t = 0; t < KP_TARGETS; t++) {
		printf(" %s", plan_kprobe_name(t));
		if (k->kprobe_blacklisted[t])
			printf(" (blacklisted)");
		else if (k->kprobe_count[t] != 1)
			printf(" (%s)", k->kprobe_count[t] ? "ambiguous" : "missing");
	}
	printf("\n");
}

static const char *rq_hook_text(const struct trace_plan *p)
{
	const char *hook = plan_rq_hook(p);

	if (!strcmp(hook, "block_rq_error"))
		return "block_rq_error (runs only for a failed request; not for passthrough, "
		       "quiet or dead-disk ones)";
	if (!strcmp(hook, "block_rq_complete"))
		return "block_rq_complete (runs on every request, filters in BPF)";
	return hook;
}

static const char *bio_hook_text(const struct trace_plan *p)
{
	const char *hook = plan_bio_hook(p);

	if (!strcmp(hook, PLAN_DM_ERROR_FN))
		return "fentry on dm core's " PLAN_DM_ERROR_FN " (runs only for a failed bio; "
		       "a bio-based disk below dm failing is seen on the dm device above)";
	if (!strcmp(hook, "block_bio_complete"))
		return "block_bio_complete (runs on every bio of every bio-based device, filters in BPF)";
	return hook;
}

static void print_text(const struct kernel_facts *k, const struct trace_plan *p)
{
	printf("%-14s ", "kernel");
	term_escape(stdout, k->release);
	printf("\n%-14s vmlinux %s, modules %s\n", "BTF", k->btf_vmlinux ? "yes" : "NO",
	       k->btf_modules ? "yes" : "no (bio errors then come from block_bio_complete, not dm core's error-only function)");
	printf("%-14s %s;", "kprobes", k->kprobes ? "yes" : "no");
	print_kprobe_targets(k);
	printf("%-14s %s\n", "lockdown", plan_lockdown_str(k->lockdown));
	printf("%-14s ", "memlock");
	print_memlock(stdout, k->memlock);
	printf("%s\n", k->memcg_accounting ? " (not used: BPF memory is charged to the cgroup)" :
	       " (dmwatch raises it when it may)");
	printf("%-14s %s\n", "privileges", k->privileged ? "yes (root or CAP_BPF+CAP_PERFMON)" : "NO");
	if (k->dm_major)
		printf("%-14s major %u\n", "device-mapper", k->dm_major);
	else
		printf("%-14s not loaded\n", "device-mapper");
	if (p->verdict != EXIT_UNUSABLE) {
		printf("%-14s %s\n", "lifecycle", plan_tier_str(p->tier));
		printf("%-14s %s\n", "I/O hooks", plan_io_str(p->io));
		printf("%-14s %s\n", "bio errors", bio_hook_text(p));
		printf("%-14s %s\n", "request errors", rq_hook_text(p));
		printf("%-14s %s\n", "table events", p->table_events ?
		       "kprobe on dm_table_event (snapshot invalid at once)" : "no (seen at the next sample)");
		printf("%-14s block_rq_complete passes %s; blk_status_t numbered as since %s\n",
		       "block layer", p->rq_error_is_errno ? "an errno" : "a blk_status_t",
		       p->blk_sts_layout == DMW_BLK_STS_V6_10 ? "6.10" : "4.13");
	}
	for (int i = 0; i < p->n_notes; i++)
		printf("%s %s\n", p->notes[i].loss ? "lost:" : "note:", p->notes[i].text);
	printf("verdict: %s", verdict_str(p->verdict));
	if (p->verdict == EXIT_UNUSABLE)
		printf(": %s", p->reason);
	printf("\n");
}

static void json_str(const char *key, const char *val, bool comma)
{
	printf("\"%s\":\"", key);
	json_escape(stdout, val, strlen(val));
	printf("\"%s", comma ? "," : "");
}

static void print_json(const struct kernel_facts *k, const struct trace_plan *p)
{
	printf("{");
	json_str("kernel", k->release, true);
	printf("\"btf\":{\"vmlinux\":%s,\"modules\":%s},", k->btf_vmlinux ? "true" : "false",
	       k->btf_modules ? "true" : "false");
	printf("\"kprobes\":{\"available\":%s,\"targets\":{", k->kprobes ? "true" : "false");
	for (int t = 0; t < KP_TARGETS; t++)
		printf("%s\"%s\":{\"count\":%d,\"blacklisted\":%s}", t ? "," : "", plan_kprobe_name(t),
		       k->kprobe_count[t], k->kprobe_blacklisted[t] ? "true" : "false");
	printf("}},");
	json_str("lockdown", plan_lockdown_str(k->lockdown), true);
	if (k->memlock == UINT64_MAX)
		printf("\"memlock\":null,");
	else
		printf("\"memlock\":%llu,", (unsigned long long)k->memlock);
	printf("\"privileged\":%s,", k->privileged ? "true" : "false");
	printf("\"dm_major\":%u,", k->dm_major);
	json_str("lifecycle", p->verdict == EXIT_UNUSABLE ? "none" : plan_tier_str(p->tier), true);
	json_str("io_hooks", p->verdict == EXIT_UNUSABLE ? "none" : plan_io_str(p->io), true);
	printf("\"table_events\":%s,", p->table_events ? "true" : "false");
	json_str("bio_hook", p->verdict == EXIT_UNUSABLE ? "none" : plan_bio_hook(p), true);
	json_str("rq_hook", p->verdict == EXIT_UNUSABLE ? "none" : plan_rq_hook(p), true);
	json_str("rq_complete_error", p->rq_error_is_errno ? "errno" : "blk_status_t", true);
	json_str("blk_status_numbering", p->blk_sts_layout == DMW_BLK_STS_V6_10 ? "6.10" : "4.13", true);
	printf("\"notes\":[");
	for (int i = 0; i < p->n_notes; i++) {
		printf("%s{", i ? "," : "");
		json_str("text", p->notes[i].text, true);
		printf("\"loss\":%s}", p->notes[i].loss ? "true" : "false");
	}
	printf("],");
	json_str("verdict", verdict_str(p->verdict), p->reason[0]);
	if (p->reason[0])
		json_str("reason", p->reason, false);
	printf("}\n");
}

int cmd_doctor(int argc, char **argv)
{
	struct tracer_opts opts = { .interval = 1.0, .quiet = true };
	struct kernel_facts facts;
	struct trace_plan plan;
	struct tracer *t = NULL;
	char *err = NULL;

	memset(&env, 0, sizeof(env));
	argp_err_exit_status = EXIT_UNUSABLE;
	if (argp_parse(&doctor_argp, argc, argv, 0, NULL, NULL))
		return EXIT_UNUSABLE;

	kfacts_gather(&facts);
	plan_choose(&facts, false, false, true, &plan);
	if (!env.no_load && plan.verdict != EXIT_UNUSABLE) {
		/* the real thing: what the kernel accepts, refusals included */
		t = tracer_new(&opts, noop_cb, NULL, &err);
		if (t) {
			plan = *tracer_plan(t);
		} else {
			plan.verdict = EXIT_UNUSABLE;
			snprintf(plan.reason, sizeof(plan.reason), "%s", err);
		}
	}
	if (env.json)
		print_json(&facts, &plan);
	else
		print_text(&facts, &plan);
	tracer_free(t);
	free(err);
	return plan.verdict;
}
