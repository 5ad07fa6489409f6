/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers for the params of dm table and status lines, one per target format.
 * Each takes the params string of one line (what follows "<start> <len> <type> ")
 * and returns 0, or -EINVAL for a line it cannot read (never crashes on any input).
 */
#ifndef DMWATCH_DMSTATUS_H
#define DMWATCH_DMSTATUS_H

#include <stdbool.h>
#include <stdint.h>

/* ---- status lines ---- */

enum snapshot_state {
	SNAP_ACTIVE = 0,
	SNAP_INVALID,		/* "Invalid": COW overflowed or I/O error on COW */
	SNAP_OVERFLOW,		/* "Overflow": snapshot-merge ran out */
	SNAP_MERGE_FAILED,	/* "Merge failed" */
	SNAP_UNKNOWN,		/* "Unknown" (old kernels) */
};

/* snapshot / snapshot-merge: "<alloc>/<total> <metadata>" or "Invalid" ... (sectors) */
struct snapshot_status {
	enum snapshot_state state;
	uint64_t allocated;
	uint64_t total;
	uint64_t metadata;	/* 0 on old kernels' short form "<alloc>/<total>" */
};
int parse_snapshot_status(const char *params, struct snapshot_status *out);
const char *snapshot_state_str(enum snapshot_state s);

enum pool_mode {
	POOL_RW = 0,
	POOL_RO,
	POOL_OUT_OF_DATA_SPACE,
	POOL_FAIL,		/* "Fail" */
	POOL_ERROR,		/* "Error" */
};

/*
 * thin-pool: "<txid> <used_meta>/<total_meta> <used_data>/<total_data> <held_root>
 * rw|ro|out_of_data_space [no_]discard_passdown|ignore_discard error|queue_if_no_space
 * needs_check|- [metadata_low_watermark]" (metadata in metadata blocks, data in
 * data blocks); or "Fail" / "Error". Old kernels stop after the mode.
 */
struct thin_pool_status {
	enum pool_mode mode;
	uint64_t transaction_id;
	uint64_t used_meta, total_meta;
	uint64_t used_data, total_data;
	bool needs_check;
	bool error_if_no_space;		/* "error_if_no_space" rather than "queue_if_no_space" */
};
int parse_thin_pool_status(const char *params, struct thin_pool_status *out);
const char *pool_mode_str(enum pool_mode m);

/* thin: "<nr mapped sectors> <highest mapped sector>" or "-" or "Fail" */
struct thin_status {
	bool fail;
	uint64_t mapped_sectors;
	uint64_t highest_sector;
};
int parse_thin_status(const char *params, struct thin_status *out);

/*
 * multipath: "<#feature args> <features...> <#handler args> <handler args...>
 * <#groups> <active group> [<group state> <#group args> <#paths> <#path args>
 * [<dev> <A|F> <fail count> ...]...]". Only path counts are kept.
 */
struct multipath_status {
	int n_paths;
	int n_failed;		/* paths in state F */
	char failed_paths[256];	/* "8:16 8:32" */
};
int parse_multipath_status(const char *params, struct multipath_status *out);

/* ---- table lines ---- */

/* A piece of lower device a table line maps to (linear, striped) */
struct dm_extent {
	uint32_t major, minor;
	uint64_t offset;	/* sectors on the lower device */
	uint64_t length;	/* sectors */
};

/*
 * Lower extents of one table line of type linear ("<maj:min> <offset>") or striped
 * ("<#stripes> <chunk sectors> <maj:min> <offset> ..."), given the line's length.
 * Fills up to max extents, returns how many, or -EINVAL. Other types: 0.
 */
int table_lower_extents(const char *type, const char *params, uint64_t length,
			struct dm_extent *out, int max);

/* thin: "<pool maj:min> <dev id> [<external origin maj:min>]" */
int parse_thin_table(const char *params, uint32_t *pool_major, uint32_t *pool_minor,
		     uint64_t *dev_id);

/* thin-pool: "<metadata maj:min> <data maj:min> <data block sectors> <low water mark> ..." */
int parse_thin_pool_table(const char *params, uint64_t *data_block_sectors);

/* snapshot: "<origin maj:min> <cow maj:min> P|N|PO <chunk sectors>" */
int parse_snapshot_table(const char *params, uint32_t *origin_major, uint32_t *origin_minor,
			 uint32_t *cow_major, uint32_t *cow_minor);

/* "maj:min" -> numbers; -EINVAL otherwise */
int parse_majmin(const char *s, uint32_t *major, uint32_t *minor);

#endif /* DMWATCH_DMSTATUS_H */
