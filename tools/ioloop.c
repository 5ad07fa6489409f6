// SPDX-License-Identifier: GPL-2.0
/*
 * ioloop DEV IOS BLOCKS: BLOCKS blocks of IOS 4 KiB O_DIRECT reads at random
 * offsets of DEV, one at a time; after each block one line "cpu wall": the
 * thread's own CPU time and the wall time per read, in ns.
 *
 * The native benchmark (tools/bench-native.sh) runs it on a zram device, whose
 * reads complete in the caller's own system call: the thread's CPU time then
 * holds all the kernel does for a read, block_bio_complete and whatever program
 * is attached to it included. A block of 10,000 reads lasts ~40 ms, so the
 * benchmark can keep the lowest blocks of each tracer's run: what the host's
 * other tenants add to a block (preemption, cold caches) only ever adds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench-common.h"

#define IO_SIZE 4096

int main(int argc, char **argv)
{
	uint64_t state = 0x9e3779b97f4a7c15ull;
	long ios, blocks;
	off_t pages;
	void *buf = NULL;
	int fd, rc = 3;

	if (argc != 4 || (ios = atol(argv[2])) < 1 || ios > 100000000 ||
	    (blocks = atol(argv[3])) < 1 || blocks > 1000000) {
		fprintf(stderr, "usage: ioloop DEV IOS BLOCKS (IOS 1 to 1e8, BLOCKS 1 to 1e6)\n");
		return 3;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "ioloop: %s: %s\n", argv[1], strerror(errno));
		return 3;
	}
	pages = lseek(fd, 0, SEEK_END) / IO_SIZE;
	if (pages < 1 || posix_memalign(&buf, IO_SIZE, IO_SIZE)) {
		fprintf(stderr, "ioloop: %s: empty, or no memory\n", argv[1]);
		goto cleanup;
	}
	for (long b = 0; b < blocks; b++) {
		uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), wall0 = clock_ns(CLOCK_MONOTONIC);

		for (long i = 0; i < ios; i++) {
			off_t off = (off_t)(bench_random(&state) % (uint64_t)pages) * IO_SIZE;

			if (pread(fd, buf, IO_SIZE, off) != IO_SIZE) {
				fprintf(stderr, "ioloop: read %s at %lld: %s\n", argv[1],
					(long long)off, strerror(errno));
				goto cleanup;
			}
		}
		printf("%.1f %.1f\n", (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / ios,
		       (double)(clock_ns(CLOCK_MONOTONIC) - wall0) / ios);
	}
	rc = 0;
cleanup:
	free(buf);
	close(fd);
	return rc;
}
