// SPDX-License-Identifier: GPL-2.0
/*
 * ioerr-storm DEV SECONDS [THREADS [RATE]]: read 512 bytes with O_DIRECT from DEV
 * (a dm "error" target) for SECONDS, as fast as possible or at RATE reads per
 * second in all (0: as fast as possible); every read fails. Prints "errors N
 * rate R/s". The tracer benchmark uses it to make an I/O error storm.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"

static const char *dev;
static double seconds;
static double thread_rate;	/* reads per second per thread, 0 = no limit */
static atomic_ullong errors;

/* the program's one clock (lib/clock.c), in seconds */
static double now(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

static void *storm(void *arg)
{
	void *buf;
	double start = now(), end = start + seconds, t;
	unsigned long long n = 0, done = 0;
	int fd = open(dev, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, 4096, 4096)) {
		perror(dev);
		exit(3);
	}
	while ((t = now()) < end) {
		/* ahead of the rate: wait until the schedule catches up */
		if (thread_rate && done > (t - start) * thread_rate) {
			double ahead = done / thread_rate - (t - start);
			struct timespec ts = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };

			nanosleep(&ts, NULL);
			continue;
		}
		for (int i = 0; i < 256; i++)
			if (pread(fd, buf, 512, 0) < 0)
				n++;
		done += 256;
	}
	atomic_fetch_add(&errors, n);
	close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	double rate = argc > 4 ? atof(argv[4]) : 0;
	pthread_t tid[64];
	double t0;

	if (argc < 3 || threads < 1 || threads > 64 || rate < 0) {
		fprintf(stderr, "usage: ioerr-storm DEV SECONDS [THREADS [RATE]]\n");
		return 3;
	}
	dev = argv[1];
	seconds = atof(argv[2]);
	thread_rate = rate / threads;
	t0 = now();
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, storm, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	printf("errors %llu rate %.0f/s\n", (unsigned long long)errors, errors / (now() - t0));
	return 0;
}
