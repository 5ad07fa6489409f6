// SPDX-License-Identifier: GPL-2.0
/*
 * The fullreport JSON parsed with yajl's event parser, piece by piece as LVM
 * writes it: on a node with 1,000 LVs the report is ~0.5 MB, and parsing it
 * whole after LVM exits was most of what the scan added to LVM's own time
 * under emulation. Only what lvm.c reads is kept (lvmreport.h: the shape);
 * everything else, however deep, is skipped without being stored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include "collect/lvmreport.h"
#include "lib/util.h"

static const char *const field_names[LF_COUNT] = {
	[LF_VG_NAME] = "vg_name",		[LF_VG_UUID] = "vg_uuid",
	[LF_LV_NAME] = "lv_name",		[LF_LV_UUID] = "lv_uuid",
	[LF_LV_ATTR] = "lv_attr",		[LF_LV_SIZE] = "lv_size",
	[LF_POOL_LV] = "pool_lv",		[LF_ORIGIN] = "origin",
	[LF_DATA_PERCENT] = "data_percent",	[LF_METADATA_PERCENT] = "metadata_percent",
	[LF_THIN_ID] = "thin_id",		[LF_SEG_PE_RANGES] = "seg_pe_ranges",
	[LF_VG_EXTENT_SIZE] = "vg_extent_size",	[LF_PV_NAME] = "pv_name",
	[LF_PE_START] = "pe_start",		[LF_LOG_TYPE] = "log_type",
	[LF_LOG_RET_CODE] = "log_ret_code",
};

/* what an open container is to the report */
enum kind { K_ROOT, K_REPORT, K_VG, K_SEG, K_PV, K_LOG, K_ROW, K_OTHER };

/* the key a map value belongs to, as far as it matters */
enum { KEY_NONE = -1, KEY_REPORT = LF_COUNT, KEY_SEG, KEY_PV, KEY_LOG };

#define TRACKED_DEPTH 6		/* root, report, VG, section, row, one more */

struct lvm_report_parser {
	yajl_handle yajl;
	bool failed;
	struct lvm_report *report;
	bool report_seen;	/* the root's first "report" member was met */
	bool log_seen;		/* the root's first "log" member was met */
	bool complete;		/* the root value has closed */
	enum kind stack[TRACKED_DEPTH];
	size_t depth;		/* containers open and tracked in stack */
	size_t other_depth;	/* containers open inside a K_OTHER one */
	int key;		/* the key of the value that comes next in a map */
};

static enum kind top(const struct lvm_report_parser *p)
{
	return p->depth ? p->stack[p->depth - 1] : K_OTHER;
}

static struct lvm_vg_rows *cur_vg(struct lvm_report_parser *p)
{
	return &p->report->vgs[p->report->n_vgs - 1];
}

static struct lvm_row *new_row(struct lvm_report_parser *p, enum kind section)
{
	struct lvm_report *r = p->report;

	if (section == K_LOG)
		return array_push(&r->log, &r->n_log, sizeof(struct lvm_row));
	return section == K_SEG ? array_push(&cur_vg(p)->seg, &cur_vg(p)->n_seg, sizeof(struct lvm_row))
				: array_push(&cur_vg(p)->pv, &cur_vg(p)->n_pv, sizeof(struct lvm_row));
}

static struct lvm_row *cur_row(struct lvm_report_parser *p)
{
	enum kind section = p->stack[p->depth - 2];
	struct lvm_vg_rows *vg;

	if (section == K_LOG)
		return &p->report->log[p->report->n_log - 1];
	vg = cur_vg(p);
	return section == K_SEG ? &vg->seg[vg->n_seg - 1] : &vg->pv[vg->n_pv - 1];
}

/*
 * A value (a container when is_container, a string when s) arrives where the
 * top container says: returns what the value is to the report when it is a
 * container.
 */
static enum kind place_value(struct lvm_report_parser *p, bool is_container, bool is_map,
			     const unsigned char *s, size_t len)
{
	enum kind parent = top(p);
	struct lvm_vg_rows *vg;
	struct lvm_row *row;

	if (!p->depth)		/* the root itself */
		return is_map ? K_ROOT : K_OTHER;
	switch (parent) {
	case K_ROOT:
		if (p->key == KEY_LOG && !p->log_seen) {
			p->log_seen = true;
			p->report->has_log = is_container && !is_map;
			return p->report->has_log ? K_LOG : K_OTHER;
		}
		if (p->key != KEY_REPORT || p->report_seen)
			break;
		p->report_seen = true;
		if (is_container && !is_map) {
			p->report->has_report = true;
			return K_REPORT;
		}
		break;
	case K_REPORT:
		vg = array_push(&p->report->vgs, &p->report->n_vgs, sizeof(*vg));
		vg->is_object = is_container && is_map;
		return vg->is_object ? K_VG : K_OTHER;
	case K_VG:
		vg = cur_vg(p);
		if (p->key == KEY_SEG && !vg->seen_seg) {
			vg->seen_seg = true;
			vg->has_seg = is_container && !is_map;
			return vg->has_seg ? K_SEG : K_OTHER;
		}
		if (p->key == KEY_PV && !vg->seen_pv) {
			vg->seen_pv = true;
			vg->has_pv = is_container && !is_map;
			return vg->has_pv ? K_PV : K_OTHER;
		}
		break;
	case K_SEG:
	case K_PV:
	case K_LOG:
		new_row(p, parent);
		return is_container && is_map ? K_ROW : K_OTHER;
	case K_ROW:
		if (p->key < 0 || p->key >= LF_COUNT)
			break;
		row = cur_row(p);
		if (row->seen & (1u << p->key))
			break;
		row->seen |= 1u << p->key;
		if (s)
			row->v[p->key] = xstrndup((const char *)s, len);
		break;
	case K_OTHER:
		break;
	}
	return K_OTHER;
}

static int on_scalar(struct lvm_report_parser *p, const unsigned char *s, size_t len)
{
	if (!p->other_depth)
		place_value(p, false, false, s, len);
	p->complete = !p->depth && !p->other_depth;	/* a root that is a scalar */
	return 1;
}

static int on_null(void *ctx) { return on_scalar(ctx, NULL, 0); }
static int on_bool(void *ctx, int v) { (void)v; return on_scalar(ctx, NULL, 0); }
static int on_number(void *ctx, const char *s, size_t len)
{
	(void)s;
	(void)len;
	return on_scalar(ctx, NULL, 0);
}
static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	return on_scalar(ctx, s, len);
}

static int on_open(struct lvm_report_parser *p, bool is_map)
{
	enum kind k;

	if (p->other_depth) {
		p->other_depth++;
		return 1;
	}
	k = place_value(p, true, is_map, NULL, 0);
	if (k == K_OTHER || p->depth == TRACKED_DEPTH) {
		p->other_depth = 1;
		return 1;
	}
	p->stack[p->depth++] = k;
	p->key = KEY_NONE;
	return 1;
}

static int on_close(void *ctx)
{
	struct lvm_report_parser *p = ctx;

	if (p->other_depth)
		p->other_depth--;
	else if (p->depth)
		p->depth--;
	p->key = KEY_NONE;
	p->complete = !p->depth && !p->other_depth;
	return 1;
}

static int on_start_map(void *ctx) { return on_open(ctx, true); }
static int on_start_array(void *ctx) { return on_open(ctx, false); }

static int on_key(void *ctx, const unsigned char *key, size_t len)
{
	struct lvm_report_parser *p = ctx;
	enum kind k = top(p);

	p->key = KEY_NONE;
	if (p->other_depth)
		return 1;
	if (k == K_ROOT && len == 6 && !memcmp(key, "report", 6)) {
		p->key = KEY_REPORT;
	} else if (k == K_ROOT && len == 3 && !memcmp(key, "log", 3)) {
		p->key = KEY_LOG;
	} else if (k == K_VG && len == 3 && !memcmp(key, "seg", 3)) {
		p->key = KEY_SEG;
	} else if (k == K_VG && len == 2 && !memcmp(key, "pv", 2)) {
		p->key = KEY_PV;
	} else if (k == K_ROW) {
		for (int f = 0; f < LF_COUNT; f++)
			if (strlen(field_names[f]) == len && !memcmp(key, field_names[f], len))
				p->key = f;
	}
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_close,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_close,
};

struct lvm_report_parser *lvm_report_parser_new(void)
{
	struct lvm_report_parser *p = xcalloc(1, sizeof(*p));

	p->report = xcalloc(1, sizeof(*p->report));
	p->key = KEY_NONE;
	p->yajl = yajl_alloc(&callbacks, NULL, p);
	if (!p->yajl)
		oom();
	/* as yajl_tree_parse, which read this report before */
	yajl_config(p->yajl, yajl_allow_comments, 1);
	return p;
}

bool lvm_report_parser_feed(struct lvm_report_parser *p, const char *buf, size_t len)
{
	if (!p->failed && yajl_parse(p->yajl, (const unsigned char *)buf, len) != yajl_status_ok)
		p->failed = true;
	return !p->failed;
}

bool lvm_report_parser_complete(const struct lvm_report_parser *p)
{
	return p->complete && !p->failed;
}

/*
 * Once the root has closed yajl calls back no more (a second value is an error,
 * not allowed here), so the rows cannot change after they are handed over.
 */
struct lvm_report *lvm_report_parser_take(struct lvm_report_parser *p)
{
	struct lvm_report *r = lvm_report_parser_complete(p) ? p->report : NULL;

	if (r)
		p->report = NULL;
	return r;
}

struct lvm_report *lvm_report_parser_finish(struct lvm_report_parser *p)
{
	struct lvm_report *r = p->report;

	if (p->failed || yajl_complete_parse(p->yajl) != yajl_status_ok) {
		lvm_report_free(r);
		r = NULL;
	}
	yajl_free(p->yajl);
	free(p);
	return r;
}

static void free_rows(struct lvm_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int f = 0; f < LF_COUNT; f++)
			free(rows[i].v[f]);
	free(rows);
}

void lvm_report_free(struct lvm_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_vgs; i++) {
		free_rows(r->vgs[i].seg, r->vgs[i].n_seg);
		free_rows(r->vgs[i].pv, r->vgs[i].n_pv);
	}
	free(r->vgs);
	free_rows(r->log, r->n_log);
	free(r);
}
