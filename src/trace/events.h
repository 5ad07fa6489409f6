/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoded trace events: what the BPF side saw plus the names userspace resolved at
 * that moment. The name map (name_map.c), the event names and the one JSON line
 * format (docs/events.md) used by trace, record and report (event_json.c; always
 * valid UTF-8), and the fill-rate maths (fill_rate.c).
 */
#ifndef DMWATCH_EVENTS_H
#define DMWATCH_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "dmwatch_event.h"

/* Names of devices as they are at the moment events happen (updated by lifecycle events). */
struct name_map;

struct name_entry {
	uint32_t dev;		/* kernel dev_t */
	char name[DMW_NAME_LEN];
	char uuid[DMW_UUID_LEN];
	bool removed;
};

struct name_map *name_map_new(void);
void name_map_free(struct name_map *m);
void name_map_set(struct name_map *m, uint32_t dev, const char *name, const char *uuid);
const struct name_entry *name_map_get(const struct name_map *m, uint32_t dev);
const struct name_entry *name_map_by_name(const struct name_map *m, const char *name);
/* Apply a lifecycle event (create, rename, remove; only when it succeeded). */
void name_map_apply(struct name_map *m, const struct dmw_event *e);

const char *event_type_str(uint32_t type);	/* "dm_create" ... */
const char *op_str(uint32_t op);		/* "read" "write" ... */
const char *errno_name(long long err);	/* 16 -> "EBUSY"; positive errno */

/* Formats a wall-clock timestamp "2026-11-21T10:00:00.123456Z" */
void format_ts(char *buf, size_t len, uint64_t unix_ns);

/*
 * One event as a JSON line (no newline) into buf. The dm name and uuid of an
 * io_error come from `named` (resolved when the event arrived). Returns the
 * line's length like snprintf (>= len: cut short).
 */
int event_to_json(char *buf, size_t len, const struct dmw_event *e, uint64_t unix_ns,
		  const struct name_entry *named, uint32_t lower_dev);

/* One periodic snapshot/pool sample (event cow_usage) */
struct cow_sample {
	const char *name;
	uint32_t dev;
	const char *kind;		/* lvm-snapshot, thin-pool */
	double used_percent;
	double rate;			/* allocation per second: bytes (snapshot), blocks (pool) */
	double eta_s;			/* < 0: not filling */
	double reader_eta_s;		/* < 0: no reader seen */
	bool overflow_before_reader;
};

int cow_sample_to_json(char *buf, size_t len, const struct cow_sample *cs, uint64_t unix_ns);

/* snapshot_invalid (field state) or pool_mode (field mode) */
int state_change_to_json(char *buf, size_t len, const char *event, const char *name,
			 uint32_t dev, const char *state, uint64_t unix_ns);

/* {"event":"lost","count":N} */
int lost_to_json(char *buf, size_t len, uint64_t count, uint64_t unix_ns);

/* COW / pool fill-rate estimate from consecutive samples */
struct fill_rate {
	uint64_t last_ns;
	uint64_t last_used;	/* bytes */
	double rate;		/* bytes per second, smoothed */
	bool have_sample;
	bool have_rate;
};

/* Add a sample; returns the seconds until `total` is reached, or -1 if not filling. */
double fill_rate_update(struct fill_rate *fr, uint64_t now_ns, uint64_t used, uint64_t total);

#endif /* DMWATCH_EVENTS_H */
