// SPDX-License-Identifier: GPL-2.0
/*
 * A saved state (scan --state FILE): state_load_json() on the input, then what
 * scan does with a loaded state: classify() it and render the report in every
 * format (JSON, terminal table, HTML, Prometheus, the one-line brief, the mail).
 * So classification and the renderers' escaping run on arbitrary states and
 * names, not only on the ones our collectors would produce.
 *
 * Then the save/load contract: a state that loaded must save, load back, and save
 * again to the same bytes (docs/state.md: collected and loaded models are identical,
 * so nothing may change on the way through the file).
 *
 * state_load_json() wants a path: the input goes to a memfd, read back through
 * /proc/self/fd/N, so no file is written per input for the load itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analyze/classify.h"
#include "render/html.h"
#include "render/mail.h"
#include "render/output.h"
#include "render/prom.h"
#include <yajl/yajl_tree.h>
#include "model/state.h"
#include "lib/util.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char memfd_path[64];
static char *tmpdir, *save1, *save2;
static FILE *devnull;

static void cleanup(void)
{
	if (save1)
		unlink(save1);
	if (save2)
		unlink(save2);
	if (tmpdir)
		rmdir(tmpdir);
}

/*
 * A crash ends the process without atexit(): remove what dead runs left behind
 * (the directory is named after the pid that made it).
 */
static void remove_stale(const char *base)
{
	struct dirent *de;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *path;
		long pid;

		if (sscanf(de->d_name, "dmwatch-fuzz-%ld", &pid) != 1 || pid <= 0 ||
		    !kill(pid, 0) || errno != ESRCH)
			continue;
		path = xasprintf("rm -rf '%s/%s'", base, de->d_name);
		if (system(path))
			fprintf(stderr, "fuzz_state: could not clean %s/%s\n", base, de->d_name);
		free(path);
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";

	memfd = memfd_create("state.json", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	/* tmpfs if we have it: the round trip writes two files per input */
	remove_stale(base);
	tmpdir = xasprintf("%s/dmwatch-fuzz-%ld", base, (long)getpid());
	if (mkdir(tmpdir, 0700) && errno != EEXIST) {
		perror(tmpdir);
		exit(1);
	}
	save1 = xasprintf("%s/a.json", tmpdir);
	save2 = xasprintf("%s/b.json", tmpdir);
	atexit(cleanup);
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		exit(1);
	/* output_table colours only on a tty; make sure it takes the same path each run */
	setenv("NO_COLOR", "1", 1);
	return 0;
}

static void put_input(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
}

static void check_report(const struct state *st, const struct report *r)
{
	size_t n = 0;

	FUZZ_CHECK(r->n_devs == st->n_devs);
	for (size_t c = 0; c <= CLASS_UNMANAGED; c++)
		n += r->n_class[c];
	FUZZ_CHECK(n == st->n_devs);
	FUZZ_CHECK(r->grade && (r->exit_code >= 0 && r->exit_code <= 2));
	FUZZ_CHECK(!strcmp(r->grade, grade_for(r->warnings, r->criticals)));
	for (size_t i = 0; i < r->n_devs; i++) {
		const struct dev_finding *f = &r->devs[i];

		FUZZ_CHECK(f->cls <= CLASS_UNMANAGED && f->severity <= SEV_CRITICAL);
		FUZZ_CHECK(f->detail != NULL);
		FUZZ_CHECK(f->cls != CLASS_TOMBSTONE || f->reason);
		FUZZ_CHECK(f->cls != CLASS_DUPLICATE || f->n_dup_of);
		for (size_t k = 0; k < f->n_dup_of; k++)
			FUZZ_CHECK(f->dup_of[k] < r->n_devs && f->dup_of[k] != i);
	}
	for (size_t i = 0; i < r->n_spaces; i++)
		FUZZ_CHECK(r->spaces[i].kind && r->spaces[i].state && r->spaces[i].name);
}

static void render_more(const struct report *r)
{
	struct html_opts ho = { .source = "fuzz", .warn_percent = FILL_WARN_PERCENT_DEFAULT,
				.crit_percent = FILL_CRIT_PERCENT_DEFAULT };
	/* fixed boundary and date: the same input renders the same bytes */
	struct mail_opts mo = { .to = "root@localhost", .boundary = "b0undary",
				.date = 1795255200, .html = &ho };
	char *s;

	output_html(devnull, r, &ho);
	output_prom(devnull, r, 0.25);
	s = report_brief(r);
	FUZZ_CHECK(s && !strchr(s, '\n'));
	free(s);
	s = mail_subject(r);
	/* a header line: a newline in it would let a dm name inject mail headers */
	FUZZ_CHECK(s && !strchr(s, '\n') && !strchr(s, '\r'));
	free(s);
	mail_compose(devnull, r, r->st->host, NULL, &mo);
}

static char *slurp(const char *path)
{
	char *buf = NULL;

	FUZZ_CHECK(read_file(path, &buf, NULL, 1u << 30) == 0);
	return buf;
}

/* yajl's tree parser validates UTF-8: what we write must pass it */
static void check_strict_json(const char *text)
{
	char why[256];
	yajl_val v = yajl_tree_parse(text, why, sizeof(why));

	if (!v)
		fprintf(stderr, "not strict UTF-8 JSON (%s):\n%s\n", why, text);
	FUZZ_CHECK(v != NULL);
	yajl_tree_free(v);
}

static void check_scan_json(const struct report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	FUZZ_CHECK(f != NULL);
	output_json(f, r);
	FUZZ_CHECK(fclose(f) == 0);
	check_strict_json(text);
	free(text);
}

static void round_trip(const struct state *st)
{
	struct state st2;
	char *err = NULL, *a, *b;
	int r;

	FUZZ_CHECK(state_save_json(st, save1) == 0);
	r = state_load_json(&st2, save1, &err);
	if (r) {
		fprintf(stderr, "saved state does not load back: %s\n", err);
		FUZZ_CHECK(r == 0);
	}
	FUZZ_CHECK(state_save_json(&st2, save2) == 0);
	a = slurp(save1);
	b = slurp(save2);
	check_strict_json(a);
	/* names come back byte for byte, whatever bytes they hold */
	FUZZ_CHECK(st2.n_devs == st->n_devs);
	for (size_t i = 0; i < st->n_devs; i++)
		FUZZ_CHECK(!strcmp(st->devs[i].name, st2.devs[i].name) &&
			   !strcmp(st->devs[i].uuid, st2.devs[i].uuid));
	if (strcmp(a, b)) {
		fprintf(stderr, "state changed on save/load/save:\n--- first\n%s\n--- second\n%s\n",
			a, b);
		FUZZ_CHECK(!strcmp(a, b));
	}
	free(a);
	free(b);
	state_free(&st2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct classify_opts o;
	struct state st;
	struct report r;
	char *err = NULL;
	int ret;

	put_input(data, size);
	ret = state_load_json(&st, memfd_path, &err);
	if (ret) {
		/* a bad state is a one-line reason, nothing else */
		FUZZ_CHECK(ret < 0 && err && !strchr(err, '\n'));
		FUZZ_CHECK(st.n_devs == 0 && st.devs == NULL);
		free(err);
		return 0;
	}
	FUZZ_CHECK(err == NULL);

	classify_opts_default(&o);
	classify(&st, &o, &r);
	check_report(&st, &r);
	check_scan_json(&r);
	output_table(devnull, &r);
	render_more(&r);
	report_free(&r);

	round_trip(&st);
	state_free(&st);
	return 0;
}
