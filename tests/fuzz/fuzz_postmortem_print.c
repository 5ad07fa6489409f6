// SPDX-License-Identifier: GPL-2.0
/*
 * The text `report`, `whois` and `explain` print, and `report --json`, over a
 * fuzzed recorder log: the whole commands (pm_report, pm_whois, pm_explain) on
 * a directory holding one segment, not only the decoder. What they print must
 * be safe on a terminal whatever the log holds (valid UTF-8, no control byte but
 * the newline: names, process names, hosts, states and log text are escaped),
 * and every JSON line must be one whole JSON object, however long.
 *
 * Input: byte 0 picks
 *   bit 0  the payload is zlib-compressed into the block (else stored)
 *   bit 1  the block carries an I/O error summary: then come its length and
 *          the header's record count (2 bytes each, little-endian), then the
 *          summary (recfmt.h; real ones outgrow fuzz_recfmt's 1-byte length)
 *   bit 2  decode every block (pm_opts.decode_all) instead of taking summaries
 * and the rest is the block's payload (see fuzz_rec.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include "postmortem/postmortem.h"
#include "lib/escape.h"
#include "fuzz.h"
#include "fuzz_rec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/dmwatch-fuzz-print.XXXXXX";
static char *seg_path;
static FILE *devnull;

/* the kind of lines explain meets, and hostile ones */
static char log_text[] =
	"[Sun Nov 22 05:20:01 2026] Buffer I/O error on dev dm-54, logical block 5923136\n"
	"Nov 22 05:20:02 pve1 kernel: dm-5: detected capacity change \x1b]0;t\a\xff\n"
	"2026-11-22T06:20:03.5+01:00 pve1 kernel: EXT4-fs (dm-0): mounted filesystem\n"
	"no timestamp: dm-1 dm-2 dm-3\n";

/* by number and by name, with a time and without (each reads the log again) */
static const struct { const char *what, *at; } whois_q[] = {
	{ "dm-5", NULL }, { "253:54", "2026-11-22 05:20:01" },
	{ "pve-vm--101--disk--0", NULL }, { "pve/vm-101-disk-0", "Nov 22 05:20:02" },
};

static void remove_dir(void)
{
	unlink(seg_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("TZ", access("/usr/share/zoneinfo/Europe/Berlin", R_OK) ? "UTC" : "Europe/Berlin", 1);
	tzset();
	if (!mkdtemp(dir))
		abort();
	seg_path = xasprintf("%s/seg-0000000001.dmw", dir);
	atexit(remove_dir);
	devnull = fopen("/dev/null", "w");
	FUZZ_CHECK(devnull != NULL);
	return 0;
}

/* a terminal would show exactly this text: valid UTF-8, no C0 but \n, no DEL, no C1 */
static void check_terminal_safe(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	FUZZ_CHECK(strlen(s) == n);	/* no NUL either */
	FUZZ_CHECK(utf8_valid(s, n));
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(p[i] >= 0x20 || p[i] == '\n');
		FUZZ_CHECK(p[i] != 0x7f);
		FUZZ_CHECK(!(p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] < 0xa0));
	}
}

/* every line a whole JSON object */
static void check_json_lines(char *s, size_t n)
{
	char *line, *save = NULL;

	FUZZ_CHECK(strlen(s) == n);
	FUZZ_CHECK(!n || s[n - 1] == '\n');
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* yajl's tree parser refuses text that is not UTF-8: strict, as a consumer is */
		yajl_val j = yajl_tree_parse(line, NULL, 0);

		FUZZ_CHECK(j && YAJL_IS_OBJECT(j));
		yajl_tree_free(j);
	}
}

enum check { TERMINAL, JSON };

struct run {
	char *out;
	size_t len;
	FILE *f;
};

static FILE *run_start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->f = open_memstream(&r->out, &r->len);
	FUZZ_CHECK(r->f != NULL);
	return r->f;
}

static void run_end(struct run *r, int ret, enum check how)
{
	FUZZ_CHECK(!fclose(r->f));
	FUZZ_CHECK(ret == 0 || ret == 1 || ret == 3);
	if (how == JSON)
		check_json_lines(r->out, r->len);
	else
		check_terminal_safe(r->out, r->len);
	free(r->out);
}

static void write_segment(const uint8_t *data, size_t size)
{
	uint8_t mode = data[0], *seg, *z = NULL;
	const uint8_t *sum = NULL;
	size_t slen = 0, len, plen, raw_len;
	uint32_t n_records = UINT32_MAX;
	FILE *f;

	data++;
	size--;
	if (mode & 2 && size >= 4) {
		slen = data[0] | data[1] << 8;
		n_records = data[2] | data[3] << 8;
		if (slen > size - 4)
			slen = size - 4;
		sum = data + 4;
		data += 4 + slen;
		size -= 4 + slen;
	}
	plen = raw_len = size;
	if (mode & 1) {
		uLongf zlen = compressBound(size);

		z = xmalloc(zlen);
		FUZZ_CHECK(compress(z, &zlen, data, size) == Z_OK);
		data = z;
		plen = zlen;
	}
	seg = fuzz_wrap_block_sum(data, plen, raw_len, mode & 1, n_records, sum, slen, &len);
	f = fopen(seg_path, "w");
	FUZZ_CHECK(f && fwrite(seg, 1, len, f) == len && !fclose(f));
	free(seg);
	free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_opts o;
	struct run r;
	FILE *in;

	if (!size)
		return 0;
	write_segment(data, size);
	pm_opts_init(&o);
	o.dir = dir;
	o.err = devnull;
	o.now_ns = FUZZ_REC_T0 + 3600 * PM_NS_PER_S;
	o.decode_all = data[0] & 4;

	run_end(&r, pm_report(run_start(&r), &o), TERMINAL);
	/* at a terminal's width: names cut and prose wrapped inside characters never */
	o.width = 40 + data[0] % 64;
	run_end(&r, pm_report(run_start(&r), &o), TERMINAL);
	o.width = 0;
	o.json = true;
	run_end(&r, pm_report(run_start(&r), &o), JSON);
	o.json = false;
	for (size_t i = 0; i < ARRAY_SIZE(whois_q); i++)
		run_end(&r, pm_whois(run_start(&r), &o, whois_q[i].what, whois_q[i].at), TERMINAL);
	in = fmemopen(log_text, sizeof(log_text) - 1, "r");
	FUZZ_CHECK(in != NULL);
	run_end(&r, pm_explain(run_start(&r), in, &o), TERMINAL);
	fclose(in);
	return 0;
}
