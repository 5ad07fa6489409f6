/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Facts about the machine that runs the scan (kernel, OS, Proxmox VE version,
 * uptime, load, memory, CPUs), read from /proc and friends for the report's
 * "Host" section. Only meaningful for a live scan: a saved state is another
 * machine's.
 */
#ifndef DMWATCH_HOSTFACTS_H
#define DMWATCH_HOSTFACTS_H

#include <stdint.h>

struct host_facts {
	char kernel[160];		/* uname -r and machine, "" unknown */
	char os[128];			/* PRETTY_NAME of /etc/os-release, "" unknown */
	char pve[128];			/* Proxmox VE version, "" when not a PVE host */
	double uptime_s;		/* < 0 unknown */
	double load[3];			/* < 0 unknown */
	uint64_t mem_total, mem_avail;	/* bytes, 0 unknown */
	int cpus;			/* 0 unknown */
};

/* Read /proc and friends; never fails, unknown facts stay unknown. */
void host_facts_collect(struct host_facts *h);

#endif /* DMWATCH_HOSTFACTS_H */
