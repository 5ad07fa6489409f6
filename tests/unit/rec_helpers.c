// SPDX-License-Identifier: GPL-2.0
/* What the recorder format's unit tests share (rec_helpers.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rec_helpers.h"
#include "lib/fileio.h"
#include "lib/util.h"

char *rt_tmpdir(void)
{
	char *d = xstrdup("/tmp/dmwatch-test-rec.XXXXXX");

	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

void rt_rmdir_all(char *d)
{
	char *cmd;

	if (!d)
		return;
	cmd = xasprintf("rm -rf '%s'", d);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", d);
	free(cmd);
	free(d);
}

/* every field of a record in one line: what went in must come out */
char *rt_describe(const struct rec *r)
{
	char *s = NULL, *more;

	switch (r->kind) {
	case REC_KERNEL: {
		const struct dmw_event *e = r->k.ev;
		const struct name_entry *n = r->k.named;

		s = xasprintf("K %llu t%u s%u p%u r%d d%x l%x sec%llu b%u op%u e%d f%x c=%s n=%s u=%s nn=%s",
			      (unsigned long long)r->unix_ns, e->type, e->source, e->pid, e->ret,
			      e->dev, e->lower_dev, (unsigned long long)e->sector, e->bytes, e->op,
			      e->error, e->flags, e->comm, e->name, e->uuid, e->new_name);
		if (n) {
			more = xasprintf("%s | %x %s %s %d", s, n->dev, n->name, n->uuid, n->removed);
			free(s);
			s = more;
		}
		break;
	}
	case REC_COW:
		s = xasprintf("C %llu %s %x %s %.2f %.2f %.2f %.2f %d",
			      (unsigned long long)r->unix_ns, r->cow.name, r->cow.dev, r->cow.kind,
			      r->cow.used_percent, r->cow.rate, r->cow.eta_s, r->cow.reader_eta_s,
			      r->cow.overflow_before_reader);
		break;
	case REC_STATE:
		s = xasprintf("S %llu %s %s %x %s", (unsigned long long)r->unix_ns, r->st.event,
			      r->st.name, r->st.dev, r->st.state);
		break;
	case REC_LOST:
		s = xasprintf("L %llu %llu", (unsigned long long)r->unix_ns,
			      (unsigned long long)r->lost);
		break;
	case REC_DEVLIST:
		s = xasprintf("D %llu full=%d n=%zu", (unsigned long long)r->unix_ns, r->dl.full,
			      r->dl.n);
		for (size_t i = 0; i < r->dl.n; i++) {
			const struct rec_devent *d = &r->dl.devs[i];

			more = xasprintf("%s [%x %d %s %s %s %s %d]", s, d->dev, d->gone, d->name,
					 d->gone ? "" : d->uuid, d->gone ? "" : d->target,
					 d->gone ? "" : d->params, d->gone ? 0 : d->open_count);
			free(s);
			s = more;
		}
		break;
	case REC_SESSION:
		s = xasprintf("X %llu %u %u %u %u %lld %s %s %s %s", (unsigned long long)r->unix_ns,
			      r->ses.what, r->ses.pid, r->ses.dm_major, r->ses.interval_ms,
			      (long long)r->ses.boot_offset_ns, r->ses.host, r->ses.version,
			      r->ses.mode, r->ses.boot_id);
		break;
	default:
		s = xasprintf("? %d", r->kind);
	}
	return s;
}

static int collect(void *ctx, const struct rec *r)
{
	struct got *g = ctx;
	char **slot = array_push(&g->lines, &g->n, sizeof(*slot));

	*slot = rt_describe(r);
	if (r->kind > 0 && r->kind < REC_KIND_MAX)
		g->kinds[r->kind]++;
	return 0;
}

static void warned(void *ctx, const char *msg)
{
	struct got *g = ctx;

	size_t n = g->warnings;

	*(char **)array_push(&g->warns, &n, sizeof(char *)) = xstrdup(msg);
	g->warnings++;
	snprintf(g->last_warning, sizeof(g->last_warning), "%s", msg);
}

void rt_got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->lines[i]);
	free(g->lines);
	for (size_t i = 0; i < g->warnings; i++)
		free(g->warns[i]);
	free(g->warns);
	memset(g, 0, sizeof(*g));
}

void rt_reader_init(struct rec_reader *rd, struct got *g)
{
	memset(rd, 0, sizeof(*rd));
	memset(g, 0, sizeof(*g));
	rd->cb = collect;
	rd->warn = warned;
	rd->ctx = g;
}

int rt_read_whole(const char *path, uint8_t **buf, size_t *len)
{
	char *b;
	int e = read_file(path, &b, len, 1 << 26);

	*buf = (uint8_t *)b;
	return e;
}
