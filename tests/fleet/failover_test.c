// SPDX-License-Identifier: GPL-2.0
/*
 * failover_test - the centre as a primary and a streaming-replication
 * standby (Documentation/fleet.md): a lane names both hosts with
 * target_session_attrs=read-write and libpq finds the primary.  The
 * primary is killed (immediate stop: no goodbye, WAL not yet streamed may
 * be lost) while egate-sync runs and the lane keeps recording; the standby
 * is promoted.  Afterwards the new primary has every record of the lane
 * exactly once, the chain verifies, and the gallery goes on from it.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <libpq-fe.h>

#include "agent-run.h"
#include "egate-store.h"
#include "fleet-run.h"
#include "pg-cluster.h"
#include "test-sql.h"
#include "kselftest_harness.h"

static struct pg_cluster primary, standby;
static int cluster_status = -ENOENT;

__attribute__((constructor)) static void clusters_up(void)
{
	cluster_status = pg_cluster_init(&primary);
	if (cluster_status >= 0)
		cluster_status = pg_cluster_standby(&primary, &standby);
}

__attribute__((destructor)) static void clusters_down(void)
{
	pg_cluster_destroy(&standby);
	pg_cluster_destroy(&primary);
}

/* One number from SQL at conninfo; -1 on error. */
static long long count_at(const char *conninfo, const char *sql)
{
	PGconn *pg = PQconnectdb(conninfo);
	PGresult *res = PQexec(pg, sql);
	long long v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(pg);
	return v;
}

static int decisions(const char *db, int n)
{
	struct egate_store *store;
	char err[256];
	int r;

	r = egate_store_open(db, &(struct egate_store_options){ .flags = EGATE_STORE_CREATE,
		.busy_timeout_ms = 10000 }, &store, err, sizeof(err));
	for (int i = 0; r >= 0 && i < n; i++) {
		r = egate_store_audit_append(store, &(struct egate_audit_record){
			.kind = EGATE_AUDIT_DECISION, .lane = "fo-a", .score = 0.4, .margin = NAN,
			.quality = 0.9, .decision = EGATE_DECISION_DENY }, NULL);
		usleep(20 * 1000);
	}
	egate_store_close(store);
	return r;
}

TEST(primary_lost_mid_sync)
{
	char at_primary[256], at_standby[256], lane[512], out[PATH_MAX], db[PATH_MAX];
	const char *const central_args[] = { "--config", "/dev/null", "--central", at_primary };
	struct agent_env env;
	long long records = -1;
	pid_t daemon;
	int status, r;

	if (cluster_status == -ENOENT)
		SKIP(return, "no PostgreSQL 15 (postgresql-15: make deps)");
	ASSERT_EQ(0, cluster_status);
	r = agent_env_init(&env);	/* bin/ and a scratch folder; no models needed */
	ASSERT_TRUE(r == 0 || r == -ENOENT);
	snprintf(out, sizeof(out), "%s/out", env.dir);
	snprintf(db, sizeof(db), "%s/lane.db", env.dir);
	ASSERT_EQ(-1, count_at(primary.admin, "CREATE DATABASE fo"));	/* no rows: -1 */
	pg_cluster_conninfo(&primary, "postgres", "fo", at_primary);
	pg_cluster_conninfo(&standby, "postgres", "fo", at_standby);
	ASSERT_EQ(0, fleet_tool(env.bin, out, "egate-central", (const char *[]){
		central_args[0], central_args[1], central_args[2], central_args[3], "migrate",
		NULL })) TH_LOG("%s", fleet_slurp(out));
	ASSERT_EQ(0, fleet_tool(env.bin, out, "egate-central", (const char *[]){
		central_args[0], central_args[1], central_args[2], central_args[3], "lane-add",
		"fo-a", NULL }));
	ASSERT_EQ(1, count_at(at_primary, "SELECT egate.enrol_traveller('alice', NULL,"
			      " ARRAY[decode(repeat('0000803f', 128), 'hex')])"));
	/* Both hosts; libpq takes the one that accepts writes. */
	snprintf(lane, sizeof(lane), "host=%s,%s port=%d,%d user=fo-a dbname=fo"
		 " target_session_attrs=read-write connect_timeout=2", primary.dir, standby.dir,
		 primary.port, standby.port);
	ASSERT_EQ(0, decisions(db, 30));
	ASSERT_EQ(0, fleet_tool(env.bin, out, "egate-sync", (const char *[]){ "--config",
		"/dev/null", "--db", db, "--central", lane, "--once", NULL }))
		TH_LOG("%s", fleet_slurp(out));
	EXPECT_EQ(31, count_at(at_primary, "SELECT count(*) FROM egate.audit_archive"));

	/* The primary dies while the daemon syncs and the lane records. */
	daemon = fleet_spawn(env.bin, out, "egate-sync", (const char *[]){ "--config", "/dev/null",
		"--db", db, "--central", lane, "--period", "1", "--batch", "5", "run", NULL });
	ASSERT_LT(0, daemon);
	ASSERT_EQ(0, decisions(db, 60));
	ASSERT_EQ(0, pg_cluster_stop_mode(&primary, "immediate"));
	ASSERT_EQ(0, decisions(db, 20));
	ASSERT_EQ(0, pg_cluster_promote(&standby));
	/* (Sequences are logged ahead: the new primary's ids jump.) */
	ASSERT_LT(1, count_at(at_standby, "SELECT egate.enrol_traveller('bob', NULL,"
			      " ARRAY[decode(repeat('00000040', 128), 'hex')])"));

	/* The lane finds the new primary: bob arrives, every record gets there. */
	for (int i = 0; i < 300; i++) {
		records = raw_count(db, "SELECT count(*) FROM audit");
		if (raw_count(db, "SELECT count(*) FROM travellers WHERE label = 'bob'") == 1 &&
		    count_at(at_standby, "SELECT archived_seq FROM egate.lanes") == records)
			break;
		usleep(100 * 1000);
	}
	kill(daemon, SIGTERM);
	ASSERT_EQ(daemon, waitpid(daemon, &status, 0));
	EXPECT_EQ(112, records);	/* 111 decisions and gallery records, bob's enrolment */
	EXPECT_EQ(records, count_at(at_standby, "SELECT count(*) FROM egate.audit_archive"));
	EXPECT_EQ(records, count_at(at_standby, "SELECT count(DISTINCT seq) FROM egate.audit_archive"));
	EXPECT_EQ(0, count_at(at_standby, "SELECT count(*) FROM egate.audit_alarms"));
	EXPECT_EQ(2, raw_count(db, "SELECT count(*) FROM travellers"));
	EXPECT_EQ(0, fleet_tool(env.bin, out, "egate-central", (const char *[]){ "--config",
		"/dev/null", "--central", at_standby, "verify", NULL })) TH_LOG("%s", fleet_slurp(out));
	agent_env_cleanup(&env);
}

TEST_HARNESS_MAIN
