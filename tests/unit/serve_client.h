/* SPDX-License-Identifier: GPL-2.0 */
/* A client for the serve tests (test_prom.c, test_serve.c): the server in a child, plain sockets to it. */
#ifndef DMWATCH_SERVE_CLIENT_H
#define DMWATCH_SERVE_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>

struct server {
	pid_t pid;
	int err_fd;		/* the child's stderr */
	int port;
	char log[4096];
};

/* Run cmd_serve(args) in a child with stderr on a pipe; 0 once it says "serving". */
int serve_start(struct server *sv, char **args);

/* Wait (bounded) for the child; its exit status, or -1 (then it is killed). */
int serve_wait(struct server *sv, int seconds);

/* A blocking TCP connection to 127.0.0.1:port (20 s receive timeout), or -1. */
int connect_port(int port);

/* Everything until EOF, at most 1 MiB (caller frees). */
char *read_all(int fd);

/* One request on a fresh connection; the whole response (caller frees). */
char *http(int port, const char *req);

/* The response's status line says code. */
bool status_is(const char *resp, int code);

#endif /* DMWATCH_SERVE_CLIENT_H */
