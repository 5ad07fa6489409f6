// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-floor TRACEPOINT...: attach the emptiest BTF-typed tracepoint program
 * there is ("return 0", named "floor") to each block tracepoint named, print
 * "ready", and hold them until SIGINT or SIGTERM. The native benchmark
 * (tools/bench-native.sh) times it with bpf_stats beside dmwatch's own program
 * on the same tracepoint: what any attached program pays, whatever it does.
 * The same program kfacts.c loads (never attaches) to probe tp_btf.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "trace/kfacts.h"

#define MAX_TP 8

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* an empty tp_btf program attached to `tp`: its link fd, or -errno */
static int attach_floor(const struct btf *btf, const char *tp)
{
	int fd = kfacts_empty_tp_btf(btf, tp), link;

	if (fd < 0)
		return fd;
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0)
		link = -errno;
	close(fd);	/* the link holds the program */
	return link;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int links[MAX_TP], n = 0, rc = 3;
	struct btf *btf;

	if (argc < 2 || argc - 1 > MAX_TP) {
		fprintf(stderr, "usage: bpf-floor TRACEPOINT... (at most %d)\n", MAX_TP);
		return 3;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		fprintf(stderr, "bpf-floor: no vmlinux BTF: %s\n", strerror(errno));
		return 3;
	}
	for (n = 0; n < argc - 1; n++) {
		links[n] = attach_floor(btf, argv[n + 1]);
		if (links[n] < 0) {
			fprintf(stderr, "bpf-floor: %s: %s\n", argv[n + 1], strerror(-links[n]));
			goto cleanup;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	rc = 0;
cleanup:
	while (n-- > 0)
		if (links[n] >= 0)
			close(links[n]);
	btf__free(btf);
	return rc;
}
