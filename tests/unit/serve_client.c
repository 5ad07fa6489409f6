// SPDX-License-Identifier: GPL-2.0
/* A client for the serve tests: dmwatch serve in a child, plain sockets to it (serve_client.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cmd/commands.h"
#include "serve_client.h"
#include "lib/util.h"

/* Run cmd_serve in a child with stderr on a pipe; wait for its "serving" line. */
int serve_start(struct server *sv, char **args)
{
	char *argv[16] = { "dmwatch serve" };
	int p[2], argc = 1;
	size_t used = 0;
	struct timespec t0, now;

	memset(sv, 0, sizeof(*sv));
	while (*args && argc < 15)
		argv[argc++] = *args++;
	if (pipe(p))
		return -1;
	fflush(NULL);
	sv->pid = fork();
	if (sv->pid < 0)
		return -1;
	if (sv->pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		_exit(cmd_serve(argc, argv));
	}
	close(p[1]);
	sv->err_fd = p[0];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pf = { .fd = sv->err_fd, .events = POLLIN };
		char *at;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 20 || poll(&pf, 1, 1000) < 0)
			return -1;
		if (!pf.revents)
			continue;
		n = read(sv->err_fd, sv->log + used, sizeof(sv->log) - 1 - used);
		if (n <= 0)
			return -1;	/* exited: the caller looks at sv->log */
		used += n;
		sv->log[used] = 0;
		at = strstr(sv->log, "serving metrics on http://127.0.0.1:");
		if (at && strchr(at, '\n')) {
			sv->port = atoi(at + strlen("serving metrics on http://127.0.0.1:"));
			return sv->port > 0 ? 0 : -1;
		}
	}
}

/* Wait (bounded) for the child; its exit status, or -1. */
int serve_wait(struct server *sv, int seconds)
{
	int status;

	for (int i = 0; i < seconds * 20; i++) {
		pid_t r = waitpid(sv->pid, &status, WNOHANG);

		if (r == sv->pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(50000);
	}
	kill(sv->pid, SIGKILL);
	waitpid(sv->pid, &status, 0);
	return -1;
}

int connect_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

char *read_all(int fd)
{
	char *buf = xmalloc(1 << 20);
	size_t n = 0;
	ssize_t r;

	while (n < (1 << 20) - 1 && (r = recv(fd, buf + n, (1 << 20) - 1 - n, 0)) > 0)
		n += r;
	buf[n] = 0;
	return buf;
}

/* One request on a fresh connection; the whole response (caller frees). */
char *http(int port, const char *req)
{
	int fd = connect_port(port);
	char *resp;

	if (fd < 0)
		return xstrdup("(connect failed)");
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		close(fd);
		return xstrdup("(send failed)");
	}
	resp = read_all(fd);
	close(fd);
	return resp;
}

bool status_is(const char *resp, int code)
{
	char want[32];

	snprintf(want, sizeof(want), "HTTP/1.1 %d ", code);
	return !strncmp(resp, want, strlen(want));
}
