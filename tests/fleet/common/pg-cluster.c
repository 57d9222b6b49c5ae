// SPDX-License-Identifier: GPL-2.0
/* pg-cluster.c - a private PostgreSQL cluster on a Unix socket, for tests. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pg-cluster.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"
#define NOBODY 65534

/* Runs PG_BIN/prog args as nobody if we are root, output to dir/log. */
static int run_pg(const struct pg_cluster *c, const char *const *argv)
{
	char prog[PATH_MAX], log[128];
	int status;
	pid_t pid;

	snprintf(prog, sizeof(prog), PG_BIN "/%s", argv[0]);
	snprintf(log, sizeof(log), "%s/log", c->dir);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
				       setuid(NOBODY) < 0))
			_exit(125);
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

int pg_cluster_init(struct pg_cluster *c)
{
	char data[128];
	int r;

	memset(c, 0, sizeof(*c));
	if (access(PG_BIN "/initdb", X_OK) < 0)
		return -ENOENT;
	strcpy(c->dir, "/tmp/egate-pg-test.XXXXXX");
	if (!mkdtemp(c->dir))
		return -errno;
	if (geteuid() == 0 && (chown(c->dir, NOBODY, NOBODY) < 0 || chmod(c->dir, 0755) < 0))
		return -errno;
	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(c->admin, sizeof(c->admin), "host=%s user=postgres dbname=postgres", c->dir);
	r = run_pg(c, (const char *[]){ "initdb", "-D", data, "-U", "postgres", "--auth=trust",
					 "-E", "UTF8", "--no-sync", NULL });
	return r < 0 ? r : pg_cluster_start(c);
}

int pg_cluster_start(struct pg_cluster *c)
{
	char data[128], log[128], opts[256];

	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(log, sizeof(log), "%s/server.log", c->dir);
	/* A socket in the folder, no TCP; durability does not matter here. */
	snprintf(opts, sizeof(opts), "-k %s -c listen_addresses='' -c fsync=off"
		 " -c full_page_writes=off -c max_connections=30", c->dir);
	return run_pg(c, (const char *[]){ "pg_ctl", "-D", data, "-l", log, "-o", opts, "-w",
					    "start", NULL });
}

int pg_cluster_stop(struct pg_cluster *c)
{
	char data[128];

	snprintf(data, sizeof(data), "%s/data", c->dir);
	return run_pg(c, (const char *[]){ "pg_ctl", "-D", data, "-m", "fast", "-w", "stop",
					    NULL });
}

void pg_cluster_destroy(struct pg_cluster *c)
{
	char cmd[128];

	if (strncmp(c->dir, "/tmp/egate-pg-test.", 19))
		return;
	pg_cluster_stop(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", c->dir);
}

const char *pg_cluster_conninfo(const struct pg_cluster *c, const char *user, const char *db,
				char buf[256])
{
	snprintf(buf, 256, "host=%s user=%s dbname=%s", c->dir, user, db);
	return buf;
}
