/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `lvm fullreport --reportformat json` text -> rows (lvmreport.c), parsed as it
 * arrives: the scan feeds LVM's output while LVM is still writing it.
 *
 * The shape read: {"report": [ {"seg": [ROW...], "pv": [ROW...], ...}, ... ],
 * "log": [ROW...]}, one object per VG, each ROW an object of strings; "log" is
 * LVM's command log (log/report_command_log=1): what failed, in the report itself.
 * Only the first occurrence
 * of a key counts, as with a lookup in a parsed tree; a value that is not a
 * string (or a key not listed below) is skipped.
 */
#ifndef DMWATCH_LVMREPORT_H
#define DMWATCH_LVMREPORT_H

#include <stdbool.h>
#include <stddef.h>

enum lvm_field {
	LF_VG_NAME, LF_VG_UUID, LF_LV_NAME, LF_LV_UUID, LF_LV_ATTR, LF_LV_SIZE,
	LF_POOL_LV, LF_ORIGIN, LF_DATA_PERCENT, LF_METADATA_PERCENT, LF_THIN_ID,
	LF_SEG_PE_RANGES, LF_VG_EXTENT_SIZE, LF_PV_NAME, LF_PE_START,
	LF_LOG_TYPE, LF_LOG_RET_CODE,
	LF_COUNT
};

struct lvm_row {
	char *v[LF_COUNT];	/* NULL: absent, or not a string */
	unsigned int seen;	/* bit per field: its first occurrence was met */
};

struct lvm_vg_rows {
	bool is_object;		/* the report array's element is an object */
	bool has_seg, has_pv;	/* its "seg" / "pv" member is an array */
	bool seen_seg, seen_pv;	/* the member was met (first occurrence counts) */
	struct lvm_row *seg, *pv;
	size_t n_seg, n_pv;
};

struct lvm_report {
	bool has_report;	/* the root's first "report" member is an array */
	struct lvm_vg_rows *vgs;
	size_t n_vgs;
	bool has_log;		/* the root's first "log" member is an array */
	struct lvm_row *log;
	size_t n_log;
};

struct lvm_report_parser;

struct lvm_report_parser *lvm_report_parser_new(void);
/* the next piece of the text; false once the text is not JSON (later pieces are ignored) */
bool lvm_report_parser_feed(struct lvm_report_parser *p, const char *buf, size_t len);
/*
 * true once the root value has closed: the rows are final (what may follow is only
 * blanks, or text that makes the whole not JSON)
 */
bool lvm_report_parser_complete(const struct lvm_report_parser *p);
/*
 * The rows of a complete report, handed over before the text's end (the parser
 * stores nothing more; what follows is not checked). NULL when not complete, or
 * taken already.
 */
struct lvm_report *lvm_report_parser_take(struct lvm_report_parser *p);
/* the rows, NULL when the whole text was not one JSON value or they were taken; frees the parser */
struct lvm_report *lvm_report_parser_finish(struct lvm_report_parser *p);
void lvm_report_free(struct lvm_report *r);

#endif /* DMWATCH_LVMREPORT_H */
