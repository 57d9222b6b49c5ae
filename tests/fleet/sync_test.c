// SPDX-License-Identifier: GPL-2.0
/*
 * sync_test - lanes connected to a central store (Documentation/fleet.md),
 * all real: a private PostgreSQL cluster (one for the program), the schema
 * made by egate-central migrate, lanes' SQLite databases, and egate-sync
 * and egate-central run as programs.  Each test has a database of its own
 * and lane roles of its own.
 *
 *   - a traveller enrolled centrally reaches every lane; revoked, they are
 *     gone from every lane, templates wiped from the files;
 *   - every audit record is archived once, even when a push is repeated
 *     after a lost acknowledgement, and the archive verifies;
 *   - a lane whose audit log was edited is refused at ingest, at that
 *     record, with an alarm; a rewrite of an archived record too;
 *   - a lane role can read no table and call no administrator's function;
 *     a revoked lane cannot log in;
 *   - centre down: egate-sync says offline, the gallery stays, the records
 *     wait; back: everything archived once; the daemon logs each change
 *     of state once;
 *   - a traveller flagged "refer to officer" centrally is flagged on every
 *     lane after its sync, and the agent's decision path (the daemon's own
 *     code on the lane's database) denies them with reason "referred" and
 *     records an officer event, both archived centrally; cleared, lanes
 *     follow; a flag needs a reason, and no lane may set one.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <sys/wait.h>
#include <libpq-fe.h>

#include "agent-decide.h"
#include "agent-run.h"
#include "egate-store-sync.h"
#include "fleet-run.h"
#include "macro.h"
#include "pg-cluster.h"
#include "test-files.h"
#include "test-sql.h"
#include "kselftest_harness.h"

#define PHOTO "sample2.jpg"	/* one face */

static struct pg_cluster cluster;
static int cluster_status = -ENOENT;

/* One cluster for the program: started before the tests, removed after. */
__attribute__((constructor)) static void cluster_up(void)
{
	cluster_status = pg_cluster_init(&cluster);
}

__attribute__((destructor)) static void cluster_down(void)
{
	pg_cluster_destroy(&cluster);
}

struct test_lane {
	char name[32];
	char conf[PATH_MAX];
	char db[PATH_MAX];
	char conninfo[256];
};

FIXTURE(fleet) {
	struct agent_env env;
	char dbname[32];
	char central[256];	/* the administrator's conninfo of this test's database */
	char out[PATH_MAX];	/* the last program's output */
	char photo[PATH_MAX];
	PGconn *admin;
};

/* Runs bin/name args, stdout and stderr into self->out: exit status, 128 + signal. */
static int tool(FIXTURE_DATA(fleet) *self, const char *name, const char *const *args)
{
	return fleet_tool(self->env.bin, self->out, name, args);
}

#define slurp fleet_slurp

static int central(FIXTURE_DATA(fleet) *self, const char *const *args)
{
	const char *argv[24] = { "--config", "/dev/null", "--central", self->central,
				 "--models", self->env.models };
	int n = 6;

	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	return tool(self, "egate-central", argv);
}

/* A lane: its configuration, its database, its role at the centre. */
static int lane_add(FIXTURE_DATA(fleet) *self, struct test_lane *l, const char *name)
{
	char text[PATH_MAX + 128];

	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->db, sizeof(l->db), "%s/%s.db", self->env.dir, name);
	snprintf(text, sizeof(text), "[lane]\nname = %s\n[store]\npath = %s\n", name, l->db);
	snprintf(l->conf, sizeof(l->conf), "%s/%s.conf", self->env.dir, name);
	if (test_file_write(self->env.dir, strrchr(l->conf, '/') + 1, text, l->conf) < 0)
		return -EIO;
	pg_cluster_conninfo(&cluster, name, self->dbname, l->conninfo);
	return central(self, (const char *[]){ "lane-add", name, NULL });
}

static int lane_sync(FIXTURE_DATA(fleet) *self, const struct test_lane *l)
{
	return tool(self, "egate-sync", (const char *[]){ "--config", l->conf, "--central",
							  l->conninfo, "--once", NULL });
}

/* One number from the centre (as the administrator); -1 on error. */
static long long central_count(FIXTURE_DATA(fleet) *self, const char *sql)
{
	PGresult *res = PQexec(self->admin, sql);
	long long v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		fprintf(stderr, "# %s: %s", sql, PQerrorMessage(self->admin));
	PQclear(res);
	return v;
}

/* n decision records on the lane, as the agent writes them. */
static int lane_decisions(const struct test_lane *l, int n)
{
	struct egate_store *store;
	char err[256];
	int r;

	r = egate_store_open(l->db, &(struct egate_store_options){ .flags = EGATE_STORE_CREATE,
		.busy_timeout_ms = 5000 }, &store, err, sizeof(err));
	for (int i = 0; r >= 0 && i < n; i++)
		r = egate_store_audit_append(store, &(struct egate_audit_record){
			.kind = EGATE_AUDIT_DECISION, .lane = l->name, .score = 0.3 + i / 100.0,
			.margin = NAN, .quality = 0.9, .decision = EGATE_DECISION_DENY }, NULL);
	egate_store_close(store);
	return r;
}

FIXTURE_SETUP(fleet)
{
	char sql[128], db[256];
	PGresult *res;

	if (cluster_status == -ENOENT)
		SKIP(return, "no PostgreSQL 15 (postgresql-15: make deps)");
	ASSERT_EQ(0, cluster_status);
	if (agent_env_init(&self->env) < 0)
		SKIP(return, "no face models (make deps)");
	agent_photo(&self->env, PHOTO, self->photo);
	snprintf(self->out, sizeof(self->out), "%s/out", self->env.dir);
	snprintf(self->dbname, sizeof(self->dbname), "t_%s", _metadata->name);
	self->admin = PQconnectdb(cluster.admin);
	ASSERT_EQ(CONNECTION_OK, PQstatus(self->admin));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", self->dbname);
	res = PQexec(self->admin, sql);
	ASSERT_EQ(PGRES_COMMAND_OK, PQresultStatus(res));
	PQclear(res);
	PQfinish(self->admin);
	pg_cluster_conninfo(&cluster, "postgres", self->dbname, self->central);
	self->admin = PQconnectdb(pg_cluster_conninfo(&cluster, "postgres", self->dbname, db));
	ASSERT_EQ(CONNECTION_OK, PQstatus(self->admin));
	ASSERT_EQ(0, central(self, (const char *[]){ "migrate", NULL })) TH_LOG("%s", slurp(self->out));
	ASSERT_EQ(0, central(self, (const char *[]){ "migrate", NULL }));	/* a no-op */
	EXPECT_NE(NULL, strstr(slurp(self->out), "0 migrations applied"));
	EXPECT_EQ(5, central_count(self, "SELECT max(version) FROM egate_migrations"));
}

FIXTURE_TEARDOWN(fleet)
{
	PQfinish(self->admin);
	agent_env_cleanup(&self->env);
}

/* The templates of a traveller at the centre, 512 bytes each. */
static size_t central_templates(FIXTURE_DATA(fleet) *self, long long id, uint8_t *buf,
				size_t max)
{
	char sql[128];
	PGresult *res;
	size_t n = 0;

	snprintf(sql, sizeof(sql), "SELECT descriptor FROM egate.templates WHERE traveller_id ="
		 " %lld ORDER BY id", id);
	res = PQexecParams(self->admin, sql, 0, NULL, NULL, NULL, NULL, 1);
	for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++)
		if (n + 512 <= max && PQgetlength(res, i, 0) == 512) {
			memcpy(buf + n, PQgetvalue(res, i, 0), 512);
			n += 512;
		}
	PQclear(res);
	return n;
}

TEST_F(fleet, gallery_reaches_every_lane)
{
	struct test_lane a, b;
	uint8_t alice[512];
	char wal[PATH_MAX + 8];

	ASSERT_EQ(0, lane_add(self, &a, "gallery-a")) TH_LOG("%s", slurp(self->out));
	ASSERT_EQ(0, lane_add(self, &b, "gallery-b"));
	ASSERT_EQ(0, central(self, (const char *[]){ "enrol", "alice", self->photo, NULL }))
		TH_LOG("%s", slurp(self->out));
	EXPECT_STREQ("1\n", slurp(self->out));
	/* The demo has one photo of one face: bob's two templates are made up. */
	EXPECT_EQ(2, central_count(self, "SELECT egate.enrol_traveller('bob', '2099-12-31',"
				   " ARRAY[decode(repeat('0000803f', 128), 'hex'),"
				   " decode(repeat('00000040', 128), 'hex')])"));
	/* Bad input: a clear error, nothing enrolled. */
	EXPECT_EQ(1, central(self, (const char *[]){ "enrol", "carol", "/nonexistent.jpg", NULL }));
	EXPECT_EQ(2, central_count(self, "SELECT count(*) FROM egate.travellers"));
	ASSERT_EQ(512, central_templates(self, 1, alice, sizeof(alice)));

	ASSERT_EQ(0, lane_sync(self, &a)) TH_LOG("%s", slurp(self->out));
	EXPECT_NE(NULL, strstr(slurp(self->out), "gallery: 2 changes, at version 2"));
	ASSERT_EQ(0, lane_sync(self, &b)) TH_LOG("%s", slurp(self->out));
	for (const struct test_lane *l = &a; l; l = l == &a ? &b : NULL) {
		EXPECT_EQ(1, raw_count(l->db, "SELECT count(*) FROM travellers WHERE id = 1 AND"
				       " label = 'alice' AND expires IS NULL"));
		EXPECT_EQ(1, raw_count(l->db, "SELECT count(*) FROM travellers WHERE id = 2 AND"
				       " label = 'bob' AND expires = '2099-12-31'"));
		EXPECT_EQ(3, raw_count(l->db, "SELECT count(*) FROM templates"));
		/* The lane's template is the centre's, byte for byte. */
		EXPECT_EQ(1, test_file_contains(l->db, alice, sizeof(alice)));
		EXPECT_EQ(2, raw_count(l->db, "SELECT gallery_version FROM sync_state"));
		/* Each change is a gallery record on the lane, archived centrally. */
		EXPECT_EQ(2, raw_count(l->db, "SELECT count(*) FROM audit WHERE kind = 'gallery'"
				       " AND action = 'enrol'"));
	}
	EXPECT_EQ(4, central_count(self, "SELECT count(*) FROM egate.audit_archive"
				   " WHERE kind = 'gallery'"));
	EXPECT_EQ(2, central_count(self, "SELECT count(*) FROM egate.lanes WHERE gallery_version = 2"));

	/* A sync with nothing new changes nothing. */
	ASSERT_EQ(0, lane_sync(self, &a));
	EXPECT_NE(NULL, strstr(slurp(self->out), "gallery: 0 changes, at version 2"));

	ASSERT_EQ(0, central(self, (const char *[]){ "revoke", "1", NULL }));
	EXPECT_EQ(1, central(self, (const char *[]){ "revoke", "1", NULL }));	/* gone already */
	EXPECT_NE(NULL, strstr(slurp(self->out), "no such traveller"));
	EXPECT_EQ(0, central_count(self, "SELECT count(*) FROM egate.templates WHERE traveller_id = 1"));
	ASSERT_EQ(0, lane_sync(self, &a));
	ASSERT_EQ(0, lane_sync(self, &b));
	for (const struct test_lane *l = &a; l; l = l == &a ? &b : NULL) {
		EXPECT_EQ(0, raw_count(l->db, "SELECT count(*) FROM travellers WHERE id = 1"));
		EXPECT_EQ(2, raw_count(l->db, "SELECT count(*) FROM templates"));
		EXPECT_EQ(3, raw_count(l->db, "SELECT gallery_version FROM sync_state"));
		EXPECT_EQ(1, raw_count(l->db, "SELECT count(*) FROM audit WHERE kind = 'gallery'"
				       " AND action = 'delete' AND traveller_id = 1"));
		/* No byte of alice's template left in the lane's files. */
		EXPECT_EQ(0, test_file_contains(l->db, alice, sizeof(alice)));
		snprintf(wal, sizeof(wal), "%s-wal", l->db);
		EXPECT_NE(1, test_file_contains(wal, alice, sizeof(alice)));
	}
}

/* Bad input loses nothing: a change the lane cannot take leaves it at its version. */
TEST_F(fleet, bad_input_refused_cleanly)
{
	struct test_lane a;

	ASSERT_EQ(0, lane_add(self, &a, "bad-a"));
	EXPECT_EQ(0, tool(self, "egate-sync", (const char *[]){ "--help", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "--central CONN"));
	EXPECT_EQ(1, tool(self, "egate-sync", (const char *[]){ "--batch", "0", "--once", NULL }));
	EXPECT_EQ(1, tool(self, "egate-sync", (const char *[]){ "--period", "-5", "run", NULL }));
	EXPECT_EQ(1, tool(self, "egate-sync", (const char *[]){ "sideways", NULL }));
	EXPECT_EQ(1, central(self, (const char *[]){ "lane-add", "Not A Lane", NULL }));
	EXPECT_EQ(1, central(self, (const char *[]){ "frobnicate", NULL }));

	ASSERT_EQ(1, central_count(self, "SELECT egate.enrol_traveller('alice', NULL,"
				   " ARRAY[decode(repeat('0000803f', 128), 'hex')])"));
	ASSERT_EQ(0, lane_sync(self, &a));
	/* A template of NaNs (0x7fc00000) or infinities: the centre refuses it. */
	EXPECT_EQ(-1, central_count(self, "SELECT egate.enrol_traveller('nan', NULL,"
				    " ARRAY[decode(repeat('0000c07f', 128), 'hex')])"));
	EXPECT_EQ(-1, central_count(self, "SELECT egate.enrol_traveller('inf', NULL,"
				    " ARRAY[decode(repeat('0000803f', 127) || '000080ff', 'hex')])"));
	EXPECT_EQ(1, central_count(self, "SELECT count(*) FROM egate.travellers"));
	/* A centre without that check (004 undone): the lane refuses the batch, keeps alice. */
	EXPECT_EQ(-1, central_count(self, "ALTER TABLE egate.templates DROP CONSTRAINT"
				    " templates_finite"));
	ASSERT_LT(1, central_count(self, "SELECT egate.enrol_traveller('nan', NULL,"
				   " ARRAY[decode(repeat('0000c07f', 128), 'hex')])"));
	EXPECT_EQ(1, lane_sync(self, &a));
	EXPECT_NE(NULL, strstr(slurp(self->out), "the centre sent a change the lane's database"
			       " refuses")) TH_LOG("%s", slurp(self->out));
	EXPECT_EQ(1, raw_count(a.db, "SELECT gallery_version FROM sync_state"));
	EXPECT_EQ(1, raw_count(a.db, "SELECT count(*) FROM travellers"));
	EXPECT_EQ(1, raw_count(a.db, "SELECT count(*) FROM travellers WHERE label = 'alice'"));
}

static int check_link(const struct egate_audit_encoded *e, void *userdata)
{
	uint8_t *prev = userdata, out[32];
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, prev, 32);
	crypto_hash_sha256_update(&st, e->canonical, e->size);
	crypto_hash_sha256_final(&st, out);
	if (memcmp(out, e->hash, 32))
		return -EBADMSG;
	memcpy(prev, e->hash, 32);
	return 0;
}

TEST_F(fleet, audit_archived_exactly_once)
{
	struct egate_store *store;
	uint8_t genesis[EGATE_AUDIT_CANONICAL_MAX], prev[32];
	char err[256];
	struct test_lane a;
	int n;

	ASSERT_EQ(0, lane_add(self, &a, "audit-a"));
	ASSERT_EQ(0, lane_decisions(&a, 25));
	/* The export is what the chain hashed: every record links from the genesis. */
	ASSERT_EQ(0, egate_store_open(a.db, &(struct egate_store_options){ 0 }, &store, err,
				      sizeof(err)));
	n = egate_store_audit_genesis_encoding(store, genesis);
	ASSERT_LT(0, n);
	crypto_hash_sha256(prev, genesis, (size_t)n);
	EXPECT_EQ(0, egate_store_audit_export(store, 0, 1000, check_link, prev));
	egate_store_close(store);

	/* Small batches: several calls, each acknowledged. */
	ASSERT_EQ(0, tool(self, "egate-sync", (const char *[]){ "--config", a.conf, "--central",
		a.conninfo, "--batch", "7", "--once", NULL })) TH_LOG("%s", slurp(self->out));
	EXPECT_NE(NULL, strstr(slurp(self->out), "audit: 25 records sent, archived up to 25"));
	EXPECT_EQ(25, central_count(self, "SELECT count(*) FROM egate.audit_archive"));
	EXPECT_EQ(25, central_count(self, "SELECT count(*) FROM egate.audit_archive"
				    " WHERE kind = 'decision' AND time_us > 0"));
	EXPECT_EQ(25, raw_count(a.db, "SELECT audit_acked_id FROM sync_state"));

	/* The acknowledgement lost: the lane sends it all again; nothing doubles. */
	ASSERT_EQ(0, raw_sql(a.db, "UPDATE sync_state SET audit_acked_id = 0", err, sizeof(err)));
	ASSERT_EQ(0, lane_decisions(&a, 5));
	ASSERT_EQ(0, tool(self, "egate-sync", (const char *[]){ "--config", a.conf, "--central",
		a.conninfo, "--batch", "7", "--once", NULL })) TH_LOG("%s", slurp(self->out));
	EXPECT_NE(NULL, strstr(slurp(self->out), "archived up to 30"));
	EXPECT_EQ(30, central_count(self, "SELECT count(*) FROM egate.audit_archive"));
	EXPECT_EQ(0, central_count(self, "SELECT count(*) FROM egate.audit_alarms"));
	EXPECT_EQ(30, central_count(self, "SELECT archived_seq FROM egate.lanes"));
	EXPECT_EQ(0, central(self, (const char *[]){ "--json", "verify", NULL }))
		TH_LOG("%s", slurp(self->out));
	EXPECT_STREQ("[{\"lane\":\"audit-a\",\"records\":30,\"head_seq\":30,\"problem\":null,"
		     "\"seq\":null}]\n", slurp(self->out));

	/* The centre lost what it had acknowledged (restored from a backup): resent. */
	EXPECT_EQ(-1, central_count(self, "DELETE FROM egate.audit_archive WHERE seq > 20;"
				    " UPDATE egate.lanes SET archived_seq = 20, archived_hash ="
				    " (SELECT hash FROM egate.audit_archive WHERE seq = 20)"));
	ASSERT_EQ(0, lane_sync(self, &a)) TH_LOG("%s", slurp(self->out));
	EXPECT_NE(NULL, strstr(slurp(self->out), "audit: 10 records sent, archived up to 30"));
	EXPECT_EQ(30, central_count(self, "SELECT count(*) FROM egate.audit_archive"));
	EXPECT_EQ(0, central(self, (const char *[]){ "verify", NULL }));
}

TEST_F(fleet, tampered_lane_refused)
{
	struct test_lane a;
	char err[256];

	ASSERT_EQ(0, lane_add(self, &a, "tamper-a"));
	ASSERT_EQ(0, lane_decisions(&a, 5));
	ASSERT_EQ(0, lane_sync(self, &a)) TH_LOG("%s", slurp(self->out));
	ASSERT_EQ(0, lane_decisions(&a, 5));
	/* Someone with the file edits record 8, past the store's triggers. */
	ASSERT_EQ(0, raw_sql(a.db, "DROP TRIGGER audit_no_update;"
			     " UPDATE audit SET decision = 'admit' WHERE id = 8", err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(1, lane_sync(self, &a));
	EXPECT_NE(NULL, strstr(slurp(self->out), "the centre refused audit record 8: broken-link"))
		TH_LOG("%s", slurp(self->out));
	/* The records before it are archived; the alarm names the record. */
	EXPECT_EQ(7, central_count(self, "SELECT archived_seq FROM egate.lanes"));
	EXPECT_EQ(1, central_count(self, "SELECT count(*) FROM egate.audit_alarms"
				   " WHERE seq = 8 AND problem = 'broken-link'"));
	EXPECT_EQ(0, central(self, (const char *[]){ "alarms", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "lane=tamper-a seq=8 problem=broken-link"));
	/* Refused again at every try: nothing after it goes in. */
	EXPECT_EQ(1, lane_sync(self, &a));
	EXPECT_EQ(7, central_count(self, "SELECT count(*) FROM egate.audit_archive"));

	/* An archived record rewritten and sent again is a rewrite, not a duplicate. */
	ASSERT_EQ(0, raw_sql(a.db, "UPDATE audit SET decision = 'deny' WHERE id = 8;"
			     " UPDATE audit SET decision = 'admit' WHERE id = 3;"
			     " UPDATE sync_state SET audit_acked_id = 0", err, sizeof(err)));
	EXPECT_EQ(1, lane_sync(self, &a));
	EXPECT_NE(NULL, strstr(slurp(self->out), "refused audit record 3: rewrite"))
		TH_LOG("%s", slurp(self->out));
	EXPECT_EQ(7, central_count(self, "SELECT count(*) FROM egate.audit_archive"));
	/* The archive itself is intact. */
	EXPECT_EQ(0, central(self, (const char *[]){ "verify", NULL }));
}

/* Runs sql as the lane's role: the server's error, "" for success. */
static const char *as_lane(const struct test_lane *l, const char *sql)
{
	static char msg[256];
	PGconn *pg = PQconnectdb(l->conninfo);
	PGresult *res = NULL;

	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(msg, sizeof(msg), "connect: %s", PQerrorMessage(pg));
	} else {
		res = PQexec(pg, sql);
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
	}
	PQclear(res);
	PQfinish(pg);
	return msg;
}

TEST_F(fleet, lane_role_least_privilege)
{
	static const char *const forbidden[] = {
		"SELECT * FROM egate.travellers",
		"SELECT * FROM egate.templates",
		"SELECT * FROM egate.audit_archive",
		"SELECT * FROM egate.lanes",
		"SELECT * FROM egate.audit_alarms",
		"DELETE FROM egate.audit_archive",
		"SELECT egate.enrol_traveller('eve', NULL, ARRAY[''::bytea])",
		"SELECT egate.revoke_traveller(1)",
		"SELECT egate.revoke_lane('least-b')",
		"SELECT egate.raise_alarm(1, 1, 'x', NULL)",
		"SELECT * FROM egate.verify_archive()",
		"SELECT * FROM egate_migrations",
	};
	struct test_lane a, b;

	ASSERT_EQ(0, lane_add(self, &a, "least-a"));
	ASSERT_EQ(0, lane_add(self, &b, "least-b"));
	ASSERT_EQ(0, lane_decisions(&b, 3));
	ASSERT_EQ(0, lane_sync(self, &b));
	for (size_t i = 0; i < ELEMENTSOF(forbidden); i++) {
		EXPECT_NE(NULL, strstr(as_lane(&a, forbidden[i]), "permission denied"))
			TH_LOG("%s: %s", forbidden[i], as_lane(&a, forbidden[i]));
	}
	/* What it may do, it does as itself: its hello names it, not the other lane. */
	EXPECT_STREQ("", as_lane(&a, "SELECT * FROM egate.lane_hello(0)"));
	EXPECT_EQ(0, central_count(self, "SELECT archived_seq FROM egate.lanes WHERE name = 'least-a'"));
	EXPECT_EQ(3, central_count(self, "SELECT archived_seq FROM egate.lanes WHERE name = 'least-b'"));

	/* Revoked: it cannot log in, its archive stays. */
	ASSERT_EQ(0, central(self, (const char *[]){ "lane-revoke", "least-b", NULL }));
	EXPECT_EQ(1, lane_sync(self, &b));
	EXPECT_NE(NULL, strstr(slurp(self->out), "central store unreachable"));
	EXPECT_NE(NULL, strstr(as_lane(&b, "SELECT 1"), "not permitted to log in"));
	EXPECT_EQ(3, central_count(self, "SELECT count(*) FROM egate.audit_archive"));
	EXPECT_EQ(1, central(self, (const char *[]){ "lane-revoke", "least-b", NULL }));
}

static bool wait_archived(FIXTURE_DATA(fleet) *self, long long n)
{
	for (int i = 0; i < 300; i++) {
		if (central_count(self, "SELECT count(*) FROM egate.audit_archive") == n)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

TEST_F(fleet, centre_down_then_back)
{
	const char *out;
	struct test_lane a;
	pid_t daemon;
	int status;

	ASSERT_EQ(0, lane_add(self, &a, "offline-a"));
	ASSERT_EQ(0, central(self, (const char *[]){ "--expires", "2099-12-31", "--json", "enrol",
						     "alice", self->photo, NULL }));
	EXPECT_STREQ("{\"id\":1}\n", slurp(self->out));
	ASSERT_EQ(0, lane_decisions(&a, 4));
	ASSERT_EQ(0, lane_sync(self, &a));
	EXPECT_EQ(5, central_count(self, "SELECT count(*) FROM egate.audit_archive"));
	PQfinish(self->admin);
	self->admin = NULL;

	ASSERT_EQ(0, pg_cluster_stop(&cluster));
	ASSERT_EQ(0, lane_decisions(&a, 6));	/* the lane keeps deciding */
	EXPECT_EQ(1, lane_sync(self, &a));
	EXPECT_NE(NULL, strstr(slurp(self->out), "central store unreachable"));
	EXPECT_EQ(0, tool(self, "egate-sync", (const char *[]){ "--config", a.conf, "--central",
		a.conninfo, "status", "--json", NULL }));
	out = slurp(self->out);
	EXPECT_NE(NULL, strstr(out, "\"online\":false,\"gallery_version\":1,"));
	EXPECT_NE(NULL, strstr(out, "\"records_unsent\":6,\"audit_acked_id\":5,")) TH_LOG("%s", out);
	/* The gallery is as it was. */
	EXPECT_EQ(1, raw_count(a.db, "SELECT count(*) FROM travellers WHERE label = 'alice'"
			       " AND expires = '2099-12-31'"));
	EXPECT_EQ(1, raw_count(a.db, "SELECT count(*) FROM templates"));

	/* The daemon through the outage: one line when it starts, one when it ends. */
	daemon = fleet_spawn(self->env.bin, self->out, "egate-sync", (const char *[]){
		"--config", a.conf, "--central", a.conninfo, "--period", "1", "run", NULL });
	ASSERT_LT(0, daemon);
	sleep(3);
	ASSERT_EQ(0, pg_cluster_start(&cluster));
	self->admin = PQconnectdb(self->central);
	ASSERT_EQ(CONNECTION_OK, PQstatus(self->admin));
	EXPECT_TRUE(wait_archived(self, 11));
	sleep(2);	/* more rounds, nothing more to say */
	kill(daemon, SIGTERM);
	ASSERT_EQ(daemon, waitpid(daemon, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	out = slurp(self->out);
	EXPECT_NE(NULL, strstr(out, "central store unreachable")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(strstr(out, "unreachable") + 1, "unreachable")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "central store reachable: gallery at version 1, audit"
			       " archived up to 11")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(strstr(out, " reachable") + 1, " reachable")) TH_LOG("%s", out);
	/* Everything once, and the chain whole. */
	EXPECT_EQ(11, central_count(self, "SELECT count(DISTINCT seq) FROM egate.audit_archive"));
	EXPECT_EQ(0, central_count(self, "SELECT count(*) FROM egate.audit_alarms"));
	EXPECT_EQ(0, central(self, (const char *[]){ "verify", NULL })) TH_LOG("%s", slurp(self->out));
	EXPECT_EQ(0, tool(self, "egate-sync", (const char *[]){ "--config", a.conf, "--central",
		a.conninfo, "status", "--json", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "\"online\":true,\"gallery_version\":1,"
			       "\"central_version\":1,\"versions_behind\":0,\"records_unsent\":0,"));
}

/* The agent on lane l's database: the verdict on traveller id's face (EGATE_CMD_*). */
static int lane_decide(const struct test_lane *l, int64_t id)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	struct egate_store *store;
	struct agent a = { 0 };
	char err[256];
	int r;

	r = egate_store_open(l->db, &(struct egate_store_options){ .busy_timeout_ms = 5000 },
			     &store, err, sizeof(err));
	if (r < 0)
		return r;
	r = egate_conf_new(&conf);
	if (r >= 0)
		r = agent_decide_init(&a, egate_conf_settings(conf), l->name, store);
	if (r >= 0)
		r = agent_decide(&a, id);
	agent_decide_done(&a);
	egate_store_close(store);
	return r;
}

TEST_F(fleet, flag_refers_to_an_officer_on_every_lane)
{
	struct test_lane a, b;

	ASSERT_EQ(0, lane_add(self, &a, "refer-a"));
	ASSERT_EQ(0, lane_add(self, &b, "refer-b"));
	EXPECT_EQ(1, central_count(self, "SELECT egate.enrol_traveller('R-1', NULL,"
				   " ARRAY[decode(repeat('0000803f', 128), 'hex')])"));
	EXPECT_EQ(2, central_count(self, "SELECT egate.enrol_traveller('R-2', NULL,"
				   " ARRAY[decode(repeat('00000040', 128), 'hex')])"));
	ASSERT_EQ(0, lane_sync(self, &a));
	ASSERT_EQ(0, lane_sync(self, &b));
	EXPECT_EQ(EGATE_CMD_AUTHORISE, lane_decide(&a, 1));	/* not flagged yet */

	/* Bad input: a clear error, nothing flagged. */
	EXPECT_EQ(1, central(self, (const char *[]){ "flag", "1", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "--reason is required"));
	EXPECT_EQ(1, central(self, (const char *[]){ "flag", "99", "--reason", "x", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "no such traveller: 99"));
	EXPECT_EQ(1, central(self, (const char *[]){ "flag", "1", "--reason", "a\nb", NULL }));
	EXPECT_EQ(0, central_count(self, "SELECT count(*) FROM egate.travellers WHERE referred"));
	/* A lane cannot flag nor clear anyone. */
	EXPECT_NE(NULL, strstr(as_lane(&a, "SELECT egate.refer_traveller(1, false, 'x')"),
			       "permission denied"));

	ASSERT_EQ(0, central(self, (const char *[]){ "--json", "flag", "1", "--reason",
						     "watch list 2026-114", NULL }))
		TH_LOG("%s", slurp(self->out));
	EXPECT_STREQ("{\"id\":1,\"referred\":true,\"version\":3}\n", slurp(self->out));
	/* Until it syncs, a lane is behind by the flag (its status says so). */
	EXPECT_EQ(0, tool(self, "egate-sync", (const char *[]){ "--config", b.conf, "--central",
		b.conninfo, "status", "--json", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "\"online\":true,\"gallery_version\":2,"
			       "\"central_version\":3,\"versions_behind\":1,\"records_unsent\":0,"))
		TH_LOG("%s", slurp(self->out));
	EXPECT_EQ(0, central(self, (const char *[]){ "--json", "lanes", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "\"name\":\"refer-b\",\"revoked\":false,"))
		TH_LOG("%s", slurp(self->out));
	EXPECT_NE(NULL, strstr(slurp(self->out), "\"gallery_version\":2,\"versions_behind\":1,"))
		TH_LOG("%s", slurp(self->out));
	ASSERT_EQ(0, lane_sync(self, &a));
	EXPECT_NE(NULL, strstr(slurp(self->out), "gallery: 1 changes, at version 3"));
	ASSERT_EQ(0, lane_sync(self, &b));
	for (const struct test_lane *l = &a; l; l = l == &a ? &b : NULL) {
		EXPECT_EQ(1, raw_count(l->db, "SELECT count(*) FROM travellers WHERE referred"));
		EXPECT_EQ(1, raw_count(l->db, "SELECT referred FROM travellers WHERE id = 1"));
		/* the reason stays at the centre */
		EXPECT_EQ(0, test_file_contains(l->db, "watch list", 10));
	}

	/* The lane's agent denies them and calls an officer; the centre archives both. */
	EXPECT_EQ(EGATE_CMD_DENY, lane_decide(&a, 1));
	EXPECT_EQ(EGATE_CMD_AUTHORISE, lane_decide(&a, 2));
	EXPECT_EQ(1, raw_count(a.db, "SELECT count(*) FROM audit WHERE kind = 'decision' AND"
			       " decision = 'deny' AND reason = 'referred' AND candidate_id = 1"));
	ASSERT_EQ(0, lane_sync(self, &a));
	EXPECT_EQ(1, central_count(self, "SELECT count(*) FROM egate.audit_archive WHERE kind ="
				   " 'decision' AND position('referred'::bytea IN canonical) > 0"));
	EXPECT_EQ(1, central_count(self, "SELECT count(*) FROM egate.audit_archive WHERE kind ="
				   " 'lane_event' AND position('referred'::bytea IN canonical)"
				   " > 0"));
	EXPECT_EQ(0, central(self, (const char *[]){ "verify", NULL }))
		TH_LOG("%s", slurp(self->out));

	/* Cleared: lanes follow; both changes kept at the centre, with why and by whom. */
	ASSERT_EQ(0, central(self, (const char *[]){ "flag", "1", "--clear", "--reason",
						     "cleared by the duty officer", NULL }));
	EXPECT_NE(NULL, strstr(slurp(self->out), "traveller 1 no longer referred"));
	ASSERT_EQ(0, lane_sync(self, &b));
	EXPECT_EQ(0, raw_count(b.db, "SELECT count(*) FROM travellers WHERE referred"));
	EXPECT_EQ(EGATE_CMD_AUTHORISE, lane_decide(&b, 1));
	EXPECT_EQ(2, central_count(self, "SELECT count(*) FROM egate.referrals WHERE"
				   " traveller_id = 1 AND changed_by = current_user"));
}

TEST_HARNESS_MAIN
