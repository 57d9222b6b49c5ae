// SPDX-License-Identifier: GPL-2.0
/*
 * tls_test - lanes log in to the central store with TLS client
 * certificates (Documentation/fleet.md): certificates made with
 * central/egate-ca, a private PostgreSQL cluster on 127.0.0.1 with
 * pg_hba "cert" for lane roles, egate-sync with sslmode=verify-full.
 * A lane with its own certificate syncs; another lane's certificate, a
 * certificate of another CA, no certificate, or a server that is not the
 * one named are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "agent-run.h"
#include "fleet-run.h"
#include "pg-cluster.h"
#include "test-sql.h"
#include "kselftest_harness.h"

static struct pg_cluster cluster;
static int cluster_status = -ENOENT;
static char certs[64] = "/tmp/egate-ca-test.XXXXXX";

/* egate-ca args... in certs (and certs/other, another CA): 0 on success. */
static int egate_ca(const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), TEST_CENTRAL_DIR "/egate-ca %s >/dev/null 2>&1", args);
	return system(cmd) ? -EIO : 0;
}

/* Our CA, the server's and two lanes' certificates; another CA's for tls-a. */
static int make_certs(void)
{
	char args[256];
	int r;

	if (!mkdtemp(certs))
		return -errno;
	snprintf(args, sizeof(args), "init %s", certs);
	r = egate_ca(args);
	snprintf(args, sizeof(args), "server %s 127.0.0.1", certs);
	if (r >= 0)
		r = egate_ca(args);
	snprintf(args, sizeof(args), "lane %s tls-a", certs);
	if (r >= 0)
		r = egate_ca(args);
	snprintf(args, sizeof(args), "lane %s tls-b", certs);
	if (r >= 0)
		r = egate_ca(args);
	snprintf(args, sizeof(args), "init %s/other", certs);
	if (r >= 0)
		r = egate_ca(args);
	snprintf(args, sizeof(args), "lane %s/other tls-a", certs);
	return r >= 0 ? egate_ca(args) : r;
}

__attribute__((constructor)) static void cluster_up(void)
{
	cluster_status = pg_cluster_init(&cluster);
	if (cluster_status >= 0)
		cluster_status = make_certs();
	if (cluster_status >= 0)
		cluster_status = pg_cluster_tls(&cluster, certs);
}

__attribute__((destructor)) static void cluster_down(void)
{
	char cmd[128];

	pg_cluster_destroy(&cluster);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certs);
	if (!strncmp(certs, "/tmp/egate-ca-test.", 19) && system(cmd))
		fprintf(stderr, "# could not remove %s\n", certs);
}

/* A lane's TLS conninfo: user, its certificate in dir, the server named host. */
static const char *tls_conninfo(const char *user, const char *dir, const char *host,
				char buf[1024])
{
	snprintf(buf, 1024, "host=%s hostaddr=127.0.0.1 port=%d user=%s dbname=tls"
		 " sslmode=verify-full sslrootcert=%s/ca.crt sslcert=%s/%s.crt sslkey=%s/%s.key",
		 host, cluster.port, user, certs, dir, user, dir, user);
	return buf;
}

/* Connects: "" on success, else libpq's message. */
static const char *try_connect(const char *conninfo)
{
	static char msg[512];
	PGconn *pg = PQconnectdb(conninfo);

	snprintf(msg, sizeof(msg), "%s", PQstatus(pg) == CONNECTION_OK ? "" :
		 PQerrorMessage(pg));
	PQfinish(pg);
	return msg;
}

TEST(lane_certificates)
{
	char central[256], conninfo[1024], out[PATH_MAX], db[PATH_MAX], other[128];
	struct agent_env env;
	PGconn *admin;
	PGresult *res;
	int r;

	if (cluster_status == -ENOENT)
		SKIP(return, "no PostgreSQL 15 (postgresql-15: make deps)");
	ASSERT_EQ(0, cluster_status);
	r = agent_env_init(&env);	/* bin/ and a scratch folder; no models needed */
	ASSERT_TRUE(r == 0 || r == -ENOENT);
	snprintf(out, sizeof(out), "%s/out", env.dir);
	snprintf(db, sizeof(db), "%s/lane.db", env.dir);
	snprintf(other, sizeof(other), "%s/other", certs);

	admin = PQconnectdb(cluster.admin);
	ASSERT_EQ(CONNECTION_OK, PQstatus(admin));
	PQclear(PQexec(admin, "CREATE DATABASE tls"));
	PQfinish(admin);
	pg_cluster_conninfo(&cluster, "postgres", "tls", central);
	ASSERT_EQ(0, fleet_tool(env.bin, out, "egate-central", (const char *[]){ "--config", "/dev/null",
		"--central", central, "migrate", NULL })) TH_LOG("%s", fleet_slurp(out));
	ASSERT_EQ(0, fleet_tool(env.bin, out, "egate-central", (const char *[]){ "--config", "/dev/null",
		"--central", central, "lane-add", "tls-a", NULL }));
	ASSERT_EQ(0, fleet_tool(env.bin, out, "egate-central", (const char *[]){ "--config", "/dev/null",
		"--central", central, "lane-add", "tls-b", NULL }));
	admin = PQconnectdb(central);
	res = PQexec(admin, "SELECT egate.enrol_traveller('alice', NULL,"
		     " ARRAY[decode(repeat('0000803f', 128), 'hex')])");
	EXPECT_EQ(PGRES_TUPLES_OK, PQresultStatus(res));
	PQclear(res);
	PQfinish(admin);

	/* Its own certificate, the server verified: the lane syncs. */
	tls_conninfo("tls-a", certs, "127.0.0.1", conninfo);
	EXPECT_STREQ("", try_connect(conninfo));
	ASSERT_EQ(0, fleet_tool(env.bin, out, "egate-sync", (const char *[]){ "--config", "/dev/null",
		"--db", db, "--central", conninfo, "--once", NULL })) TH_LOG("%s", fleet_slurp(out));
	EXPECT_EQ(1, raw_count(db, "SELECT count(*) FROM travellers WHERE label = 'alice'"));

	/* Lane b presenting lane a's certificate. */
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=tls-b dbname=tls"
		 " sslmode=verify-full sslrootcert=%s/ca.crt sslcert=%s/tls-a.crt"
		 " sslkey=%s/tls-a.key", cluster.port, certs, certs, certs);
	EXPECT_NE(NULL, strstr(try_connect(conninfo), "certificate authentication failed"))
		TH_LOG("%s", try_connect(conninfo));
	/* Lane a's name, from another CA. */
	tls_conninfo("tls-a", other, "127.0.0.1", conninfo);
	EXPECT_STRNE("", try_connect(conninfo));
	/* No certificate. */
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=tls-a dbname=tls"
		 " sslmode=verify-full sslrootcert=%s/ca.crt sslcert=/nonexistent"
		 " sslkey=/nonexistent", cluster.port, certs);
	EXPECT_NE(NULL, strstr(try_connect(conninfo), "certificate")) TH_LOG("%s", try_connect(conninfo));
	/* Not over TLS at all. */
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=tls-a dbname=tls"
		 " sslmode=disable", cluster.port);
	EXPECT_NE(NULL, strstr(try_connect(conninfo), "pg_hba.conf rejects"))
		TH_LOG("%s", try_connect(conninfo));
	/* A server that is not the one the lane names. */
	tls_conninfo("tls-a", certs, "central.example", conninfo);
	EXPECT_NE(NULL, strstr(try_connect(conninfo), "does not match host name"))
		TH_LOG("%s", try_connect(conninfo));
	/* The administrator's role cannot come in over the network. */
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=postgres dbname=tls"
		 " sslmode=require", cluster.port);
	EXPECT_NE(NULL, strstr(try_connect(conninfo), "pg_hba.conf rejects"));
	agent_env_cleanup(&env);
}

TEST_HARNESS_MAIN
