// SPDX-License-Identifier: GPL-2.0
/*
 * ioerr-storm DEV SECONDS [THREADS]: read 512 bytes with O_DIRECT from DEV (a dm
 * "error" target) as fast as possible for SECONDS; every read fails. Prints
 * "errors N rate R/s". The tracer benchmark uses it to make an I/O error storm.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *dev;
static double seconds;
static atomic_ullong errors;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *storm(void *arg)
{
	void *buf;
	double end = now() + seconds;
	unsigned long long n = 0;
	int fd = open(dev, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, 4096, 4096)) {
		perror(dev);
		exit(3);
	}
	while (now() < end)
		for (int i = 0; i < 256; i++)
			if (pread(fd, buf, 512, 0) < 0)
				n++;
	atomic_fetch_add(&errors, n);
	close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	pthread_t tid[64];
	double t0;

	if (argc < 3 || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: ioerr-storm DEV SECONDS [THREADS]\n");
		return 3;
	}
	dev = argv[1];
	seconds = atof(argv[2]);
	t0 = now();
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, storm, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	printf("errors %llu rate %.0f/s\n", (unsigned long long)errors, errors / (now() - t0));
	return 0;
}
