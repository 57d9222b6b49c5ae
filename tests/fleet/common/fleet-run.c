// SPDX-License-Identifier: GPL-2.0
/* fleet-run.c - running the fleet's programs from tests, their output in a file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

#include "fleet-run.h"

#define ARGS_MAX 32

pid_t fleet_spawn(const char *bin, const char *out, const char *name, const char *const *args)
{
	const char *argv[ARGS_MAX];
	char path[PATH_MAX];
	int n = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", bin, name);
	argv[n++] = path;
	while (*args && n < ARGS_MAX - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

int fleet_tool(const char *bin, const char *out, const char *name, const char *const *args)
{
	pid_t pid = fleet_spawn(bin, out, name, args);
	int status;

	if (pid < 0)
		return pid;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *fleet_slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}
