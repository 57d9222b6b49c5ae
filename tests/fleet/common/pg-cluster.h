/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pg-cluster.h - a private PostgreSQL cluster for the fleet tests: initdb in
 * a fresh directory, the server on a Unix socket in it (no TCP port), run
 * as nobody when the test runs as root (PostgreSQL refuses root).
 */
#ifndef EGATE_TEST_PG_CLUSTER_H
#define EGATE_TEST_PG_CLUSTER_H

#include <limits.h>
#include <stdbool.h>

struct pg_cluster {
	char dir[64];		/* the cluster's folder: data/, the socket, log */
	char admin[256];	/* conninfo of the superuser "postgres" */
	int port;		/* the socket's number; on 127.0.0.1 too after pg_cluster_tls() */
	bool tcp;
	unsigned int max_connections;	/* 0: 30; set before pg_cluster_start() */
};

/* initdb and start: 0, -ENOENT when postgresql-15 is not installed, -errno. */
int pg_cluster_init(struct pg_cluster *c);
/* Starts (again) and waits until it accepts connections. */
int pg_cluster_start(struct pg_cluster *c);
/* Stops (fast: sessions are ended). */
int pg_cluster_stop(struct pg_cluster *c);
/* Stops in mode "fast" or "immediate" (a crash: nothing flushed, no goodbye). */
int pg_cluster_stop_mode(struct pg_cluster *c, const char *mode);
/*
 * A streaming-replication standby of primary in a folder of its own
 * (pg_basebackup -R), started; pg_cluster_promote() makes it the primary.
 */
int pg_cluster_standby(const struct pg_cluster *primary, struct pg_cluster *c);
int pg_cluster_promote(struct pg_cluster *c);
/*
 * Restarts it listening on 127.0.0.1 too (a free port) with TLS: the
 * server's certificate and key and the CA of the folder certs (egate-ca's
 * server.crt, server.key, ca.crt), and lane roles (egate_lane) allowed
 * only over TLS with a client certificate naming them (pg_hba "cert").
 */
int pg_cluster_tls(struct pg_cluster *c, const char *certs);
/* Stops it and removes its folder. */
void pg_cluster_destroy(struct pg_cluster *c);

/* conninfo of role user on database db (over the socket), into buf. */
const char *pg_cluster_conninfo(const struct pg_cluster *c, const char *user, const char *db,
				char buf[256]);

#endif
