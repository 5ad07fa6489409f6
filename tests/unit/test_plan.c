// SPDX-License-Identifier: GPL-2.0
/*
 * The program choice (src/trace/plan.c) over the facts of real kernels. Facts are
 * data: one line of words per kernel, so a new kernel's quirk is one more line.
 *
 * Words: a release ("5.10.0-32-amd64") first, then any of
 *   nobtf modbtf unprivileged nokprobes nosyscalls noblock notpbtf rqerrno rqerror nodm
 *   dmerrfn (dm_io_set_error once in ftrace's functions and in dm_mod's BTF)
 *   dmerrfn=N (N times in ftrace's functions, in dm_mod's BTF)
 *   memlock=KIB (RLIMIT_MEMLOCK, not raisable)
 *   lockdown=none|integrity|confidentiality
 *   missing:SYM  dup:SYM (twice in the symbols)  blacklist:SYM  refuse:PROGRAM
 * Everything not said is the healthy default: vmlinux BTF, root, kprobes, every
 * dm-ioctl handler once, tracepoints, tp_btf, dm loaded.
 */
#include <stdlib.h>
#include "test.h"
#include "trace/plan.h"
#include "dmwatch_event.h"
#include "lib/util.h"

static int kp_by_name(const char *name)
{
	for (int t = 0; t < KP_TARGETS; t++)
		if (!strcmp(plan_kprobe_name(t), name))
			return t;
	return -1;
}

/* Build facts from words; returns false (and says which) on a word it does not know */
static bool facts_from(const char *words, struct kernel_facts *f)
{
	char buf[512], *save = NULL, *w;
	int t;

	memset(f, 0, sizeof(*f));
	f->btf_vmlinux = f->privileged = f->kprobes = f->syscall_tracepoints = true;
	f->block_tracepoints = f->tp_btf = true;
	f->lockdown = LOCKDOWN_NONE;
	f->memlock = UINT64_MAX;
	f->memlock_raisable = true;
	f->dm_major = 254;
	for (t = 0; t < KP_TARGETS; t++)
		f->kprobe_count[t] = 1;
	snprintf(buf, sizeof(buf), "%s", words);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!f->release[0]) {
			snprintf(f->release, sizeof(f->release), "%s", w);
			plan_parse_release(w, &f->version, &f->patchlevel);
			f->memcg_accounting = f->version > 5 || (f->version == 5 && f->patchlevel >= 11);
		} else if (!strcmp(w, "nobtf")) {
			f->btf_vmlinux = false;
		} else if (!strcmp(w, "modbtf")) {
			f->btf_modules = true;
		} else if (!strcmp(w, "unprivileged")) {
			f->privileged = false;
		} else if (!strcmp(w, "nokprobes")) {
			f->kprobes = false;
		} else if (!strcmp(w, "nosyscalls")) {
			f->syscall_tracepoints = false;
		} else if (!strcmp(w, "noblock")) {
			f->block_tracepoints = false;
		} else if (!strcmp(w, "notpbtf")) {
			f->tp_btf = false;
		} else if (!strcmp(w, "rqerrno")) {
			f->rq_error_is_errno = true;
		} else if (!strcmp(w, "rqerror")) {
			f->rq_error_tp = true;
		} else if (!strcmp(w, "dmerrfn")) {
			f->dm_error_fn_count = 1;
			f->dm_error_fn_btf = true;
		} else if (!strncmp(w, "dmerrfn=", 8)) {
			f->dm_error_fn_count = atoi(w + 8);
			f->dm_error_fn_btf = true;
		} else if (!strncmp(w, "memlock=", 8)) {
			f->memlock = strtoull(w + 8, NULL, 10) * 1024;
			f->memlock_raisable = false;
		} else if (!strcmp(w, "nodm")) {
			f->dm_major = 0;
		} else if (!strcmp(w, "lockdown=integrity")) {
			f->lockdown = LOCKDOWN_INTEGRITY;
		} else if (!strcmp(w, "lockdown=confidentiality")) {
			f->lockdown = LOCKDOWN_CONFIDENTIALITY;
		} else if (!strncmp(w, "missing:", 8) && (t = kp_by_name(w + 8)) >= 0) {
			f->kprobe_count[t] = 0;
		} else if (!strncmp(w, "dup:", 4) && (t = kp_by_name(w + 4)) >= 0) {
			f->kprobe_count[t] = 2;
		} else if (!strncmp(w, "blacklist:", 10) && (t = kp_by_name(w + 10)) >= 0) {
			f->kprobe_blacklisted[t] = true;
		} else if (!strncmp(w, "refuse:", 7) && (t = plan_prog_by_name(w + 7)) >= 0) {
			f->refused[t] = true;
		} else {
			fprintf(stderr, "  test_plan: unknown fact word '%s'\n", w);
			return false;
		}
	}
	return true;
}

static const struct plan_case {
	const char *facts;
	const char *opts;		/* "", "syscalls", "uevents", "nouevents" */
	enum lifecycle_tier tier;
	enum io_hooks io;
	bool table_events;
	int verdict;
	unsigned int layout;
} cases[] = {
	/* Debian 11 (PVE 7's 5.15 is alike): no module BTF, block_rq_complete passes an errno */
	{ "5.10.0-32-amd64 rqerrno", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "5.15.158-2-pve rqerrno", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	/* Debian 12, PVE 8 */
	{ "6.1.0-57-amd64 modbtf rqerror dmerrfn", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.8.12-4-pve modbtf rqerror", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	/* Debian 13, PVE 9, sid: BLK_STS renumbered in 6.10 */
	{ "6.12.117+deb13-amd64 modbtf rqerror dmerrfn", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK,
	  DMW_BLK_STS_V6_10 },
	{ "7.2.13+deb14-amd64 modbtf rqerror", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V6_10 },
	/* the user's choice */
	{ "6.1.0-57-amd64", "syscalls", TIER_SYSCALLS, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64", "uevents", TIER_UEVENTS, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	/* kprobes missing or unusable: the syscall tracepoints give the same events */
	{ "6.1.0-57-amd64 nokprobes", "", TIER_SYSCALLS, IO_TP_BTF, false, EXIT_WARNING, DMW_BLK_STS_V4_13 },
	{ "6.8.0-1-amd64 dup:dev_remove", "", TIER_SYSCALLS, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 blacklist:table_load", "", TIER_SYSCALLS, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 missing:dev_rename", "", TIER_SYSCALLS, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 refuse:dev_create_exit", "", TIER_SYSCALLS, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 dup:dm_table_event", "", TIER_KPROBES, IO_TP_BTF, false, EXIT_WARNING, DMW_BLK_STS_V4_13 },
	/* neither: uevents (no pid, no EBUSY), or nothing at all */
	{ "6.1.0-57-amd64 nokprobes nosyscalls", "", TIER_UEVENTS, IO_TP_BTF, false, EXIT_WARNING, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 nokprobes nosyscalls", "nouevents", TIER_NONE, IO_TP_BTF, false, EXIT_WARNING, DMW_BLK_STS_V4_13 },
	/* BTF-typed tracepoints refused: raw ones, nothing lost */
	{ "5.10.0-32-amd64 notpbtf rqerrno", "", TIER_KPROBES, IO_RAW_TP, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 refuse:block_rq_complete", "", TIER_KPROBES, IO_RAW_TP, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 refuse:block_rq_complete refuse:block_rq_complete_raw", "", TIER_KPROBES,
	  IO_NONE, true, EXIT_WARNING, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 noblock", "", TIER_KPROBES, IO_NONE, true, EXIT_WARNING, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 nodm missing:dev_create missing:dev_remove missing:dev_rename missing:dev_suspend "
	  "missing:table_load missing:remove_all missing:dm_table_event", "", TIER_SYSCALLS, IO_TP_BTF, false,
	  EXIT_WARNING, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 lockdown=integrity", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	/* memlock matters only before 5.11 (memcg accounting since), and only when it cannot be raised */
	{ "6.1.0-57-amd64 memlock=64", "", TIER_KPROBES, IO_TP_BTF, true, EXIT_OK, DMW_BLK_STS_V4_13 },
	{ "5.10.0-32-amd64 rqerrno memlock=64", "", TIER_NONE, IO_NONE, false, EXIT_UNUSABLE, DMW_BLK_STS_V4_13 },
	/* cannot trace */
	{ "6.1.0-57-amd64 unprivileged", "", TIER_NONE, IO_NONE, false, EXIT_UNUSABLE, DMW_BLK_STS_V4_13 },
	{ "4.19.0-27-amd64 nobtf", "", TIER_NONE, IO_NONE, false, EXIT_UNUSABLE, DMW_BLK_STS_V4_13 },
	{ "6.1.0-57-amd64 lockdown=confidentiality", "", TIER_NONE, IO_NONE, false, EXIT_UNUSABLE,
	  DMW_BLK_STS_V4_13 },
};

TEST(plan_kernel_matrix)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct plan_case *c = &cases[i];
		struct kernel_facts f;
		struct trace_plan p;

		if (!facts_from(c->facts, &f)) {
			FAIL_AT("case %zu: bad facts", i);
			continue;
		}
		plan_choose(&f, !strcmp(c->opts, "syscalls"), !strcmp(c->opts, "uevents"),
			    strcmp(c->opts, "nouevents"), &p);
		if (p.tier != c->tier || p.io != c->io || p.table_events != c->table_events ||
		    p.verdict != c->verdict || p.blk_sts_layout != c->layout)
			FAIL_AT("[%s] %s: got tier %s, io %s, table events %d, verdict %d, layout %u; "
				"expected %s, %s, %d, %d, %u", c->facts, c->opts, plan_tier_str(p.tier),
				plan_io_str(p.io), p.table_events, p.verdict, p.blk_sts_layout,
				plan_tier_str(c->tier), plan_io_str(c->io), c->table_events, c->verdict,
				c->layout);
		/* a plan never loads both flavours of one hook, nor a lifecycle it did not pick */
		CHECK(!(p.load[PROG_BIO_COMPLETE] && p.load[PROG_BIO_COMPLETE_RAW]));
		CHECK(!(p.load[PROG_DM_IO_ERROR] && (p.load[PROG_BIO_COMPLETE] ||
						      p.load[PROG_BIO_COMPLETE_RAW])));
		CHECK(p.dm_error_hook == p.load[PROG_DM_IO_ERROR]);
		CHECK(!(p.load[PROG_RQ_COMPLETE] && p.load[PROG_RQ_COMPLETE_RAW]));
		CHECK(!(p.load[PROG_RQ_ERROR] && p.load[PROG_RQ_ERROR_RAW]));
		CHECK(p.load[PROG_DEV_CREATE_ENTRY] == (p.tier == TIER_KPROBES));
		CHECK(p.load[PROG_SYS_ENTER_IOCTL] == (p.tier == TIER_SYSCALLS));
		CHECK(p.load[PROG_DM_TABLE_EVENT] == p.table_events);
		CHECK(p.rq_error_is_errno == f.rq_error_is_errno);
		if (p.verdict == EXIT_UNUSABLE)
			CHECK(p.reason[0]);
		for (int n = 0; n < p.n_notes; n++)
			CHECK(p.notes[n].text[0]);
	}
}

/* The names of those of `progs` the plan loads, space-separated, into buf */
static void loaded_names(const struct trace_plan *p, const enum plan_prog *progs, size_t n,
			 char *buf, size_t len)
{
	buf[0] = 0;
	for (size_t j = 0; j < n; j++)
		if (p->load[progs[j]])
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 plan_prog_name(progs[j]));
}

/*
 * Request errors: block_rq_error where the kernel has it (5.18+: bookworm's 6.1 and
 * later), never together with block_rq_complete; block_rq_complete before (bullseye's
 * 5.10, PVE 7's 5.15), and when the kernel refuses both block_rq_error programs.
 */
static const struct rq_case {
	const char *facts;
	const char *loads;		/* the one request program loaded, or "" */
	const char *hook;		/* plan_rq_hook() */
	bool note;			/* a note says block_rq_error was refused */
} rq_cases[] = {
	{ "5.10.0-32-amd64 rqerrno", "block_rq_complete", "block_rq_complete", false },
	{ "5.15.158-2-pve rqerrno notpbtf", "block_rq_complete_raw", "block_rq_complete", false },
	{ "6.1.0-57-amd64 modbtf rqerror", "block_rq_error", "block_rq_error", false },
	{ "7.2.13+deb14-amd64 modbtf rqerror", "block_rq_error", "block_rq_error", false },
	{ "6.18.44-fc-v1045 rqerror notpbtf", "block_rq_error_raw", "block_rq_error", false },
	{ "6.1.0-57-amd64 rqerror refuse:block_rq_error", "block_rq_error_raw", "block_rq_error", false },
	{ "6.1.0-57-amd64 rqerror refuse:block_rq_error refuse:block_rq_error_raw", "block_rq_complete",
	  "block_rq_complete", true },
	{ "6.1.0-57-amd64 rqerror noblock", "", "none", false },
};

TEST(plan_rq_error_hook)
{
	static const enum plan_prog rq_progs[] = {
		PROG_RQ_COMPLETE, PROG_RQ_COMPLETE_RAW, PROG_RQ_ERROR, PROG_RQ_ERROR_RAW,
	};

	for (size_t i = 0; i < ARRAY_SIZE(rq_cases); i++) {
		const struct rq_case *c = &rq_cases[i];
		struct kernel_facts f;
		struct trace_plan p;
		char loaded[128] = "";
		bool note = false;

		if (!facts_from(c->facts, &f)) {
			FAIL_AT("rq case %zu: bad facts", i);
			continue;
		}
		plan_choose(&f, false, false, true, &p);
		loaded_names(&p, rq_progs, ARRAY_SIZE(rq_progs), loaded, sizeof(loaded));
		for (int n = 0; n < p.n_notes; n++)
			note |= strstr(p.notes[n].text, "refused the block_rq_error") != NULL;
		if (strcmp(loaded, c->loads) || strcmp(plan_rq_hook(&p), c->hook) || note != c->note)
			FAIL_AT("[%s]: loads '%s', hook %s, note %d; expected '%s', %s, %d", c->facts,
				loaded, plan_rq_hook(&p), note, c->loads, c->hook, c->note);
	}
	CHECK(strstr(plan_prog_cost(PROG_RQ_ERROR), "request-based") != NULL);
}

/*
 * Bio errors: dm core's dm_io_set_error() where the kernel has it as a function
 * (Debian's 6.1 and 6.12: dm_mod's BTF and ftrace list it once), never together
 * with block_bio_complete; block_bio_complete where it is inlined (7.2), absent
 * (5.10 has dec_pending), without module BTF (fentry needs it), ambiguous, or
 * refused by the kernel.
 */
static const struct bio_case {
	const char *facts;
	const char *loads;		/* the one bio program loaded, or "" */
	const char *hook;		/* plan_bio_hook() */
} bio_cases[] = {
	{ "5.10.0-32-amd64 rqerrno", "block_bio_complete", "block_bio_complete" },
	{ "6.1.0-57-amd64 modbtf rqerror dmerrfn", "dm_io_set_error", "dm_io_set_error" },
	{ "6.12.117+deb13-amd64 modbtf rqerror dmerrfn", "dm_io_set_error", "dm_io_set_error" },
	{ "7.2.13+deb14-amd64 modbtf rqerror", "block_bio_complete", "block_bio_complete" },
	{ "6.1.0-57-amd64 rqerror dmerrfn", "block_bio_complete", "block_bio_complete" },
	{ "6.1.0-57-amd64 modbtf rqerror dmerrfn=2", "block_bio_complete", "block_bio_complete" },
	{ "6.1.0-57-amd64 modbtf rqerror dmerrfn refuse:dm_io_set_error", "block_bio_complete",
	  "block_bio_complete" },
	{ "6.1.0-57-amd64 modbtf rqerror dmerrfn refuse:dm_io_set_error notpbtf",
	  "block_bio_complete_raw", "block_bio_complete" },
	{ "6.1.0-57-amd64 modbtf rqerror dmerrfn notpbtf", "dm_io_set_error", "dm_io_set_error" },
	{ "6.1.0-57-amd64 modbtf rqerror noblock", "", "none" },
};

TEST(plan_bio_error_hook)
{
	static const enum plan_prog bio_progs[] = {
		PROG_BIO_COMPLETE, PROG_BIO_COMPLETE_RAW, PROG_DM_IO_ERROR,
	};

	for (size_t i = 0; i < ARRAY_SIZE(bio_cases); i++) {
		const struct bio_case *c = &bio_cases[i];
		struct kernel_facts f;
		struct trace_plan p;
		char loaded[128] = "";

		if (!facts_from(c->facts, &f)) {
			FAIL_AT("bio case %zu: bad facts", i);
			continue;
		}
		plan_choose(&f, false, false, true, &p);
		loaded_names(&p, bio_progs, ARRAY_SIZE(bio_progs), loaded, sizeof(loaded));
		if (strcmp(loaded, c->loads) || strcmp(plan_bio_hook(&p), c->hook))
			FAIL_AT("[%s]: loads '%s', hook %s; expected '%s', %s", c->facts, loaded,
				plan_bio_hook(&p), c->loads, c->hook);
		/* a choice, not a loss: nothing degrades the verdict */
		if (f.block_tracepoints)
			CHECK_INT(p.verdict, EXIT_OK);
	}
	CHECK(strstr(plan_prog_cost(PROG_DM_IO_ERROR), "block_bio_complete takes over") != NULL);
	/* every run of it is a failed bio: a run the kernel skipped is a lost error */
	CHECK(plan_prog_runs_are_events(PROG_DM_IO_ERROR));
}

/* each refused program is named with what it costs; a degrading note says why */
TEST(plan_notes_name_the_cause)
{
	struct kernel_facts f;
	struct trace_plan p;
	bool found = false;

	CHECK(facts_from("6.8.0-1-amd64 dup:dev_remove", &f));
	plan_choose(&f, false, false, true, &p);
	for (int n = 0; n < p.n_notes; n++)
		found |= strstr(p.notes[n].text, "dev_remove") && strstr(p.notes[n].text, "2 times");
	CHECK(found);

	CHECK(facts_from("6.1.0-57-amd64 nokprobes nosyscalls", &f));
	plan_choose(&f, false, false, true, &p);
	found = false;
	for (int n = 0; n < p.n_notes; n++)
		found |= p.notes[n].loss && strstr(p.notes[n].text, "no pid") != NULL;
	CHECK(found);
	CHECK(strstr(plan_prog_cost(PROG_RQ_COMPLETE), "request-based") != NULL);
}

TEST(plan_program_names)
{
	for (int i = 0; i < PROG_COUNT; i++)
		CHECK_INT(plan_prog_by_name(plan_prog_name(i)), i);
	CHECK_INT(plan_prog_by_name("no_such_prog"), -1);
}

/* Which skipped runs count as lost: the dm-only and error-only programs */
TEST(plan_runs_that_are_events)
{
	CHECK(plan_prog_runs_are_events(PROG_TABLE_LOAD_ENTRY));
	CHECK(plan_prog_runs_are_events(PROG_TABLE_LOAD_EXIT));
	CHECK(plan_prog_runs_are_events(PROG_DM_TABLE_EVENT));
	CHECK(plan_prog_runs_are_events(PROG_RQ_ERROR));
	CHECK(plan_prog_runs_are_events(PROG_RQ_ERROR_RAW));
	/* every ioctl(2), every I/O of the machine */
	CHECK(!plan_prog_runs_are_events(PROG_SYS_ENTER_IOCTL));
	CHECK(!plan_prog_runs_are_events(PROG_SYS_EXIT_IOCTL));
	CHECK(!plan_prog_runs_are_events(PROG_BIO_COMPLETE));
	CHECK(!plan_prog_runs_are_events(PROG_RQ_COMPLETE_RAW));
	CHECK(!plan_prog_runs_are_events(PROG_COUNT));
}

/* blk_status_t numbers of both layouts, from include/linux/blk_types.h of each era */
TEST(blk_status_errno_layouts)
{
	/* stable since 4.13 */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V4_13, 10), 5);	/* IOERR */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V6_10, 10), 5);
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V4_13, 7), 61);	/* MEDIUM: ENODATA */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V6_10, 3), 28);	/* NOSPC */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V4_13, 13), 16);	/* DEV_RESOURCE */
	/* before 6.10: 14 ZONE_RESOURCE, 17 OFFLINE; since: 14 ZONE_OPEN, 16 OFFLINE */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V4_13, 14), 16);
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V6_10, 14), 109);
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V4_13, 17), 19);
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V6_10, 16), 19);
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V6_10, 17), 62);	/* DURATION_LIMIT */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V6_10, 19), 22);	/* INVAL */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V4_13, 200), 5);	/* unknown: EIO */
	CHECK_INT(dmw_blk_status_errno(DMW_BLK_STS_V6_10, 0), 0);
}

TEST(plan_parse_release)
{
	int v = 0, p = 0;

	CHECK(plan_parse_release("5.10.0-32-amd64", &v, &p));
	CHECK_INT(v, 5);
	CHECK_INT(p, 10);
	CHECK(plan_parse_release("7.2.13+deb14-amd64", &v, &p));
	CHECK_INT(v, 7);
	CHECK_INT(p, 2);
	CHECK(!plan_parse_release("", &v, &p));
}
