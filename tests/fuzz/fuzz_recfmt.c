// SPDX-License-Identifier: GPL-2.0
/*
 * The recorder's segments as `report`, `whois` and `explain` read them back:
 * rec_read_buf() on damaged, torn and hostile segments, and every decoded record
 * rendered the way report prints it (event_to_json ...).
 *
 * Blocks carry CRCs, which no mutation gets right by chance: a fuzzer feeding raw
 * files would only ever test the "corrupt block, skipped" path. So the first byte
 * picks how the rest of the input is used:
 *
 *   bits 0-1  0: the rest is a segment file as it is on disk
 *             1: the rest is the payload of one stored block (codec 0), wrapped in
 *                a valid segment header and block header with correct CRCs
 *             2: the same, zlib-compressed (codec 1)
 *             3: like 1, then the file cut short by 1..64 bytes (a torn tail)
 *   bit 2     header record count 1 instead of UINT32_MAX ("more records than
 *             the header says")
 *   bit 3     quiet_torn_tail
 *   bit 4     the callback asks to stop after the first record
 *   bit 5     (with 2) the block's header carries an I/O error summary: the next
 *             byte is its length, the two after it (little-endian) the header's
 *             record count, then the summary (its CRC is added)
 *   bit 6     summaries offered are taken (the block is then not decoded)
 *   bit 7     (with 1-3) the next 4 bytes (little-endian) are the raw length the
 *             block header claims, whatever the payload holds: a lie, small or
 *             beyond REC_BLOCK_RAW_MAX (refused unread)
 *
 * Besides "no crash": records decoded are sound strings, a summary offered keeps
 * its promises, an intact block is readable to its end, and reading costs what
 * is there: never more inflated than claimed, a claim beyond the cap refused.
 */
#include <errno.h>
#include "trace/events.h"
#include "fuzz.h"
#include "fuzz_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct name_map *names;
	bool stop_early;
	int take_summaries;
	size_t records, warnings;
	char first_warning[512];
};

static void check_str(const char *s)
{
	FUZZ_CHECK(s != NULL);
	/* strlen under ASan: the string is terminated inside its allocation */
	(void)strlen(s);
}

static int on_record(void *vctx, const struct rec *r)
{
	struct ctx *c = vctx;
	char buf[4096];
	const struct dmw_event *e;

	c->records++;
	switch (r->kind) {
	case REC_KERNEL:
		e = r->k.ev;
		FUZZ_CHECK(e != NULL);
		FUZZ_CHECK(fuzz_terminated(e->comm, sizeof(e->comm)));
		FUZZ_CHECK(fuzz_terminated(e->name, sizeof(e->name)));
		FUZZ_CHECK(fuzz_terminated(e->uuid, sizeof(e->uuid)));
		FUZZ_CHECK(fuzz_terminated(e->new_name, sizeof(e->new_name)));
		if (r->k.named) {
			FUZZ_CHECK(fuzz_terminated(r->k.named->name, sizeof(r->k.named->name)));
			FUZZ_CHECK(fuzz_terminated(r->k.named->uuid, sizeof(r->k.named->uuid)));
		}
		/* what report does with it: print, and keep the name map current */
		event_to_json(buf, sizeof(buf), e, r->unix_ns, r->k.named, e->lower_dev);
		name_map_apply(c->names, e);
		name_map_get(c->names, e->dev);
		break;
	case REC_COW:
		check_str(r->cow.name);
		check_str(r->cow.kind);
		cow_sample_to_json(buf, sizeof(buf), &r->cow, r->unix_ns);
		break;
	case REC_STATE:
		check_str(r->st.event);
		check_str(r->st.name);
		check_str(r->st.state);
		state_change_to_json(buf, sizeof(buf), r->st.event, r->st.name, r->st.dev,
				     r->st.state, r->unix_ns);
		break;
	case REC_LOST:
		lost_to_json(buf, sizeof(buf), r->lost, r->unix_ns);
		break;
	case REC_DEVLIST:
		FUZZ_CHECK(!r->dl.n || r->dl.devs);
		for (size_t i = 0; i < r->dl.n; i++) {
			const struct rec_devent *d = &r->dl.devs[i];

			check_str(d->name);
			check_str(d->uuid);
			check_str(d->target);
			check_str(d->params);
			if (!d->gone)
				name_map_set(c->names, d->dev, d->name, d->uuid);
		}
		break;
	case REC_SESSION:
		check_str(r->ses.host);
		check_str(r->ses.version);
		check_str(r->ses.mode);
		check_str(r->ses.boot_id);
		break;
	default:
		FUZZ_CHECK(!"reader delivered a record kind it does not know");
	}
	return c->stop_early;
}

static void on_warn(void *vctx, const char *msg)
{
	struct ctx *c = vctx;

	check_str(msg);
	if (!c->warnings++)
		snprintf(c->first_warning, sizeof(c->first_warning), "%s", msg);
}

/* a summary the reader offers must be what it promises (recfmt.h) */
static int on_summary(void *vctx, const struct rec_block_summary *s)
{
	struct ctx *c = vctx;
	uint64_t total = 0;

	FUZZ_CHECK(s->n_groups >= 1 && s->n_groups <= REC_SUMMARY_GROUPS_MAX);
	for (size_t i = 0; i < s->n_groups; i++) {
		const struct rec_io_group *g = &s->groups[i];

		FUZZ_CHECK(g->n && g->first_idx <= g->last_idx && g->last_idx < s->n_records);
		FUZZ_CHECK(g->first_ns <= g->last_ns && g->smin <= g->smax && g->op <= 7);
		FUZZ_CHECK(g->first_ns >= s->first_ns && g->last_ns <= s->last_ns);
		check_str(g->comm);
		check_str(g->named.name);
		check_str(g->named.uuid);
		FUZZ_CHECK(g->named.name[0]);
		total += g->n;
	}
	FUZZ_CHECK(total == s->n_records);
	return c->take_summaries;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { 0 };
	struct rec_reader rd = { 0 };
	uint8_t *seg = NULL, *z = NULL;
	uint32_t n_records, claim = 0;
	size_t len, good;
	bool lie = false;
	uint8_t mode;

	if (!size)
		return 0;
	mode = data[0];
	data++;
	size--;
	n_records = mode & 4 ? 1 : UINT32_MAX;
	c.names = name_map_new();
	c.stop_early = mode & 16;
	rd.cb = on_record;
	rd.warn = on_warn;
	rd.ctx = &c;
	rd.quiet_torn_tail = mode & 8;
	rd.summary = on_summary;
	c.take_summaries = mode & 64;
	if (mode & 128 && mode & 3 && size >= 4) {
		lie = true;
		claim = data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
		data += 4;
		size -= 4;
	}

	switch (mode & 3) {
	case 0:
		/* exactly the input's bytes on the heap: reads past the end are caught */
		seg = xmalloc(size ? size : 1);
		memcpy(seg, data, size);
		len = size;
		break;
	case 1:
	case 3:
		seg = fuzz_wrap_block(data, size, lie ? claim : size, 0, n_records, &len);
		if ((mode & 3) == 3 && len > REC_SEG_HEADER_LEN)
			len -= 1 + (size ? data[0] % 64 : 0) % (len - REC_SEG_HEADER_LEN);
		break;
	case 2: {
		uLongf zlen;
		size_t slen = 0;

		/*
		 * mode bit 5: the input starts with the summary's length (1 byte), the
		 * header's record count (2 bytes) and the summary
		 */
		if (mode & 32 && size >= 3) {
			n_records = data[1] | data[2] << 8;
			slen = data[0] < size - 3 ? data[0] : size - 3;
			data += 3;
			size -= 3;
		}
		zlen = compressBound(size - slen);
		z = xmalloc(zlen);
		FUZZ_CHECK(compress(z, &zlen, data + slen, size - slen) == Z_OK);
		seg = fuzz_wrap_block_sum(z, zlen, lie ? claim : size - slen, 1, n_records, data, slen,
					  &len);
		break;
	}
	}

	good = rec_read_buf(&rd, seg, len, "fuzz.dmw");
	FUZZ_CHECK(good <= len);
	FUZZ_CHECK(rd.stats.records >= c.records);
	if (c.stop_early && c.records)
		FUZZ_CHECK(rd.stop && c.records == 1);
	if (((mode & 3) == 1 || (mode & 3) == 2) && (!lie || claim <= REC_BLOCK_RAW_MAX))
		/* one intact block with a valid header: all of it is readable */
		FUZZ_CHECK(good == len || rd.stop);
	if (lie && claim > REC_BLOCK_RAW_MAX && len >= REC_SEG_HEADER_LEN + REC_BLOCK_HEADER_LEN)
		/*
		 * a claim no writer makes: refused unread, first thing said (a block
		 * the fuzzer hid in its payload may be read after it)
		 */
		FUZZ_CHECK(strstr(c.first_warning, "claim up to") != NULL);
	else if (lie)
		/* the block is taken whole: nothing else is read, nothing past the claim */
		FUZZ_CHECK(rd.stats.inflated_bytes <= claim);

	name_map_free(c.names);
	free(z);
	free(seg);
	return 0;
}
