// SPDX-License-Identifier: GPL-2.0
/* pg-cluster.c - a private PostgreSQL cluster on a Unix socket, for tests. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

/* A fresh folder for a cluster (the server's if we are root); data: its data/. */
static int cluster_dir(struct pg_cluster *c, char data[128])
{
	strcpy(c->dir, "/tmp/egate-pg-test.XXXXXX");
	if (!mkdtemp(c->dir))
		return -errno;
	if (geteuid() == 0 && (chown(c->dir, NOBODY, NOBODY) < 0 || chmod(c->dir, 0755) < 0))
		return -errno;
	snprintf(data, 128, "%s/data", c->dir);
	c->port = 5432;
	snprintf(c->admin, sizeof(c->admin), "host=%s user=postgres dbname=postgres", c->dir);
	return 0;
}

int pg_cluster_init(struct pg_cluster *c)
{
	char data[128];
	int r;

	memset(c, 0, sizeof(*c));
	if (access(PG_BIN "/initdb", X_OK) < 0)
		return -ENOENT;
	r = cluster_dir(c, data);
	if (r >= 0)
		r = run_pg(c, (const char *[]){ "initdb", "-D", data, "-U", "postgres",
						 "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync", NULL });
	return r < 0 ? r : pg_cluster_start(c);
}

int pg_cluster_standby(const struct pg_cluster *primary, struct pg_cluster *c)
{
	char data[128], port[16];
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(port, sizeof(port), "%d", primary->port);
	r = cluster_dir(c, data);
	/* -R: standby.signal and primary_conninfo, streaming from the primary. */
	if (r >= 0)
		r = run_pg(c, (const char *[]){ "pg_basebackup", "-D", data, "-h", primary->dir,
						 "-p", port, "-U", "postgres", "-R", "-X", "stream",
						 "--no-sync", NULL });
	return r < 0 ? r : pg_cluster_start(c);
}

int pg_cluster_promote(struct pg_cluster *c)
{
	char data[128];

	snprintf(data, sizeof(data), "%s/data", c->dir);
	return run_pg(c, (const char *[]){ "pg_ctl", "-D", data, "-w", "promote", NULL });
}

int pg_cluster_start(struct pg_cluster *c)
{
	char data[128], log[128], opts[256];

	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(log, sizeof(log), "%s/server.log", c->dir);
	/* A socket in the folder, TCP if asked; durability does not matter here. */
	snprintf(opts, sizeof(opts), "-k %s -p %d -c listen_addresses='%s' -c fsync=off"
		 " -c full_page_writes=off -c max_connections=%u", c->dir, c->port,
		 c->tcp ? "127.0.0.1" : "", c->max_connections ?: 30);
	return run_pg(c, (const char *[]){ "pg_ctl", "-D", data, "-l", log, "-o", opts, "-w",
					    "start", NULL });
}

int pg_cluster_stop(struct pg_cluster *c)
{
	return pg_cluster_stop_mode(c, "fast");
}

int pg_cluster_stop_mode(struct pg_cluster *c, const char *mode)
{
	char data[128];

	snprintf(data, sizeof(data), "%s/data", c->dir);
	return run_pg(c, (const char *[]){ "pg_ctl", "-D", data, "-m", mode, "-w", "stop",
					    NULL });
}

/* A TCP port nobody listens on now. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -EADDRNOTAVAIL;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Copies certs/name to the data folder, the server's and mode mode. */
static int copy_in(const struct pg_cluster *c, const char *certs, const char *name,
		   mode_t mode)
{
	char cmd[512], to[128];

	snprintf(to, sizeof(to), "%s/data/%s", c->dir, name);
	snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s'", certs, name, to);
	if (system(cmd) || chmod(to, mode) < 0)
		return -EIO;
	return geteuid() == 0 && chown(to, NOBODY, NOBODY) < 0 ? -errno : 0;
}

int pg_cluster_tls(struct pg_cluster *c, const char *certs)
{
	static const char hba[] =
		"local all all trust\n"
		"hostssl all +egate_lane 127.0.0.1/32 cert\n"
		"host all all 127.0.0.1/32 reject\n";
	static const char conf[] =
		"ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
		"ssl_ca_file = 'ca.crt'\n";
	char path[128];
	FILE *f;
	int r;

	r = pg_cluster_stop(c);
	if (r >= 0)
		r = copy_in(c, certs, "server.crt", 0644);
	if (r >= 0)
		r = copy_in(c, certs, "server.key", 0600);
	if (r >= 0)
		r = copy_in(c, certs, "ca.crt", 0644);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/data/pg_hba.conf", c->dir);
	f = fopen(path, "we");
	if (!f || fputs(hba, f) < 0 || fclose(f))
		return -EIO;
	snprintf(path, sizeof(path), "%s/data/postgresql.conf", c->dir);
	f = fopen(path, "ae");
	if (!f || fputs(conf, f) < 0 || fclose(f))
		return -EIO;
	c->port = free_port();
	if (c->port < 0)
		return c->port;
	c->tcp = true;
	snprintf(c->admin, sizeof(c->admin), "host=%s port=%d user=postgres dbname=postgres",
		 c->dir, c->port);
	return pg_cluster_start(c);
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
	snprintf(buf, 256, "host=%s port=%d user=%s dbname=%s", c->dir, c->port, user, db);
	return buf;
}
