/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recorder's on-disk format: an append-only, segmented log of zlib-compressed
 * blocks of compactly encoded records, and the code that writes it (rotation, lock,
 * syncing) and reads it back (corrupt and torn blocks are skipped with a warning).
 *
 * The code, one job a file: encode.c (records into a block), summary.c (a
 * block's I/O error summary), decode.c (a block's records back), segread.c (the
 * blocks of one segment, read as a stream), segdir.c (a directory of segments),
 * writer.c (the segmented writer); wire.h holds the byte-level pieces they share.
 *
 * A directory holds `lock` and segments `seg-<10-digit seq>.dmw`. A segment is a
 * 64-byte header followed by blocks. Every block stands alone: its header (magic,
 * version, lengths, CRC32 of the payload, its own CRC32) lets a reader validate it
 * and, after damage, find the next good one by its magic; its string table and
 * delta bases restart with it. All integers on disk are little-endian.
 *
 *	segment header (64 bytes)
 *	  0 "DMWSEGMT"  8 u32 version  12 u32 header_len  16 u64 seq
 *	 24 u64 created (unix ns)  32 char host[24]  56 u32 0  60 u32 crc32(0..59)
 *	block header (40 bytes, payload follows)
 *	  0 "DMWB"  4 u8 version  5 u8 codec (1 zlib)  6 u16 header_len
 *	  8 u32 payload length  12 u32 raw length  16 u32 records  20 u32 crc32(payload)
 *	 24 u64 first timestamp (unix ns)  32 u32 span (ms, last - first, rounded up)
 *	 36 u32 crc32(0..35)
 *	 40 optional I/O error summary, up to header_len (see below)
 *	record (inside the inflated payload)
 *	  u8 kind, varint body length, body: zigzag varint time delta in microseconds
 *	  from the previous record of the block, then the kind's fields (encode.c).
 *
 * A block's payload length and raw (inflated) length are at most
 * REC_BLOCK_RAW_MAX. The writer closes a block at 64 KiB of records; only one
 * record can make it bigger: a full device list, up to ~600 bytes a device, so
 * the cap leaves room for ~28,000 devices with names, uuids and tables of the
 * longest kind (far more in practice). The encoder refuses to make a bigger
 * block, and a reader takes a header that claims more as damage: no reader
 * holds or inflates more than this (and a header) for one block.
 *
 * A block whose records are all named I/O errors carries a summary in its header:
 * the errors grouped by device, process, op, error, lower device and name, with
 * counts, sector range, first and last time. `report`, `whois` and `explain`
 * take it instead of inflating the block, so an error storm costs them a few
 * bytes per 64 KiB block. It is `u8 1, varint groups`, per group varints (dev,
 * zigzag named dev - dev, pid, zigzag error << 3 | op, lower, removed, count,
 * first and last record number, first and last time in us after the block's
 * first timestamp, sector min, max - min) and strings (varint length, bytes:
 * comm, name, uuid), then u32 crc32 of the summary. Older readers skip it
 * (they start the payload at header_len).
 *
 * Timestamps are kept to the microsecond (what the JSON shows); COW percentages,
 * rates and ETAs to 1/100 (what the JSON prints).
 */
#ifndef DMWATCH_RECFMT_H
#define DMWATCH_RECFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace/events.h"

#define RECFMT_VERSION		1
#define REC_SEG_HEADER_LEN	64
#define REC_BLOCK_HEADER_LEN	40
#define REC_PARAMS_MAX		256	/* table params kept per device in a device list */
#define REC_BLOCK_RAW_MAX	(16u << 20)	/* a block's payload, stored or inflated (above) */

enum rec_kind {
	REC_KERNEL = 1,		/* a BPF event (lifecycle, io_error), its name resolved */
	REC_COW,		/* snapshot / thin-pool sample */
	REC_STATE,		/* snapshot_invalid, pool_mode */
	REC_LOST,		/* ring buffer drops */
	REC_DEVLIST,		/* dm devices: full list, or what changed since the last one */
	REC_SESSION,		/* recorder start / stop */
	REC_KIND_MAX,
};

/* one device of a REC_DEVLIST */
struct rec_devent {
	uint32_t dev;		/* kernel dev_t */
	bool gone;		/* delta list: the device no longer exists */
	int32_t open_count;
	const char *name;
	const char *uuid;
	const char *target;	/* type of the first table line ("" when no table) */
	const char *params;	/* its params, cut at REC_PARAMS_MAX */
};

enum rec_session_what {
	REC_SESSION_START = 1,
	REC_SESSION_STOP,	/* clean end: absent after kill -9 or power loss */
	REC_SESSION_SEGMENT,	/* a new segment of a running recorder */
};

struct rec_session {
	uint32_t what;		/* enum rec_session_what */
	uint32_t pid;
	uint32_t dm_major;
	uint32_t interval_ms;
	int64_t boot_offset_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME: maps "[ 12.3]" dmesg times */
	const char *host;
	const char *version;
	const char *mode;	/* how the tracer sees lifecycle */
	const char *boot_id;
};

struct rec {
	enum rec_kind kind;
	uint64_t unix_ns;
	union {
		struct {
			const struct dmw_event *ev;
			const struct name_entry *named;	/* NULL when not resolved */
		} k;
		struct cow_sample cow;
		struct {
			const char *event;	/* snapshot_invalid | pool_mode */
			const char *name;
			const char *state;
			uint32_t dev;
		} st;
		uint64_t lost;
		struct {
			bool full;
			const struct rec_devent *devs;
			size_t n;
		} dl;
		struct rec_session ses;
	};
};

/* The I/O errors of one block that share everything but sector and time */
struct rec_io_group {
	uint32_t dev, pid, lower;
	uint32_t op;			/* enum dmw_op */
	int32_t error;
	char comm[DMW_COMM_LEN];
	struct name_entry named;	/* how the tracer named dev at the time */
	uint64_t n, smin, smax;
	int64_t first_ns, last_ns;	/* unix ns, to the microsecond */
	uint32_t first_idx, last_idx;	/* record numbers in the block: the event order */
};

#define REC_SUMMARY_GROUPS_MAX	16

struct rec_block_summary {
	int64_t first_ns, last_ns;	/* of all its records */
	uint32_t n_records;
	const struct rec_io_group *groups;
	size_t n_groups;
};

/* ---- one block: encoder and decoder (pure, in memory) ---- */

struct rec_enc;

struct rec_enc *rec_enc_new(void);
void rec_enc_free(struct rec_enc *e);
/* Append a record to the open block. -EINVAL for a record that cannot be encoded. */
int rec_enc_add(struct rec_enc *e, const struct rec *r);
size_t rec_enc_records(const struct rec_enc *e);
size_t rec_enc_raw_len(const struct rec_enc *e);
/*
 * Compress the open block into header + payload (valid until the next call) and
 * start a new block. level: zlib level 1..9. Returns 0 or -errno.
 */
int rec_enc_finish(struct rec_enc *e, int level, const uint8_t **out, size_t *out_len);

/* Called for every record read; the record and its strings live until it returns. */
typedef int (*rec_cb)(void *ctx, const struct rec *r);
/* Called once per problem: a one-line description (file and offset included). */
typedef void (*rec_warn_cb)(void *ctx, const char *msg);

struct rec_read_stats {
	uint64_t blocks, records, bad_blocks, skipped_bytes, segments, bad_segments;
	uint64_t summarized_blocks;	/* taken from their summary, not inflated */
	uint64_t inflated_bytes;	/* what zlib produced: the cost of reading */
	bool torn_tail;		/* the last segment read ended in an incomplete block */
	uint64_t first_ns, last_ns;
};

/*
 * Offered a block's I/O error summary before the block is inflated; returns
 * non-zero when it has taken the block's records from it (they are then not
 * decoded and cb does not see them).
 */
typedef int (*rec_summary_cb)(void *ctx, const struct rec_block_summary *s);

struct rec_reader {
	rec_cb cb;
	rec_summary_cb summary;		/* optional */
	rec_warn_cb warn;
	void *ctx;
	struct rec_read_stats stats;
	bool quiet_torn_tail;	/* segment being written: an incomplete tail is expected */
	bool stop;		/* set when cb returned non-zero */
};

/*
 * Read the blocks of one segment held in memory. A damaged block is skipped with
 * a warning and reading goes on at the next good block; an incomplete last block
 * (kill -9, power loss) is a warning too. A block is inflated only as far as its
 * records are read, so a block that lies about its contents costs little. After
 * 20 warnings about one segment the rest are counted in one last line. Returns
 * the length of the readable prefix that ends with the last complete block (what
 * a writer may keep).
 */
size_t rec_read_buf(struct rec_reader *rd, const uint8_t *buf, size_t len, const char *label);

/*
 * Read one segment file, as rec_read_buf() does, as a stream: memory stays at
 * one block, whatever the file's size. -errno when it cannot be opened, -EINVAL
 * when it is not a regular file.
 */
int rec_read_file(struct rec_reader *rd, const char *path);

/*
 * Read every segment of a recorder directory, oldest first, each as a stream
 * (rec_read_file). -ENOENT when there is no such directory or no segment in it,
 * with a one-line reason in *err.
 */
int rec_read_dir(struct rec_reader *rd, const char *dir, char **err);

/* ---- the segmented log on disk (writer) ---- */

struct rec_log;

struct rec_log_opts {
	const char *dir;
	uint64_t max_size;		/* bytes of all segments together */
	uint64_t seg_size;		/* rotate at this size; 0: max_size / 8 */
	size_t block_raw;		/* close a block at this many raw bytes (default 64 KiB) */
	int level;			/* zlib level (default 6) */
	/* a new segment was opened: write what makes it self-contained (device list) */
	void (*on_segment)(void *ctx, struct rec_log *log, bool first);
	void *ctx;
};

struct rec_log_stats {
	uint64_t records, blocks, raw_bytes, disk_bytes, segments, deleted, write_errors;
	uint64_t dropped;		/* records lost to write errors */
};

/*
 * Create the directory if needed, take its lock (a second recorder fails with a
 * one-line reason), cut a torn tail left by a killed recorder, start a new segment.
 */
int rec_log_open(struct rec_log **out, const struct rec_log_opts *opts, char **err);
/* Add a record to the open block; a full block is written (not synced). */
int rec_log_add(struct rec_log *l, const struct rec *r);
/* Write the open block if any; sync: fdatasync what was written since the last sync. */
int rec_log_flush(struct rec_log *l, bool sync);
/* SIGHUP: reopen the current segment file (recreated with a header if it vanished). */
int rec_log_reopen(struct rec_log *l);
/* Flush, sync, unlock. */
void rec_log_close(struct rec_log *l);
const struct rec_log_stats *rec_log_stats(const struct rec_log *l);
uint64_t rec_log_disk_usage(const struct rec_log *l);
const char *rec_log_segment_path(const struct rec_log *l);

#endif /* DMWATCH_RECFMT_H */
