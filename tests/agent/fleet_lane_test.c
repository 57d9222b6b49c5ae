// SPDX-License-Identifier: GPL-2.0
/*
 * fleet_lane_test - what a lane fed by a centre (Documentation/fleet.md)
 * does on the agent's side, with a real SQLite database and the agent's
 * own store worker:
 *   - a database of schema version 3, with the sync state egate-sync made
 *     before the schema had it, is upgraded: the state kept, no traveller
 *     referred, a flag set afterwards changes the gallery version;
 *   - a traveller flagged "refer to officer" whom the policy admits is
 *     denied: a deny record with reason "referred" naming them as the
 *     candidate, a lane event "referred", a DENY to the lane; one who is
 *     not flagged is admitted;
 *   - the retention purge of a fleet lane keeps the records the centre
 *     has not archived, and says how many; a lane without a fleet purges
 *     as before; the chain verifies after either;
 *   - the lag (versions behind, records unsent, last contact) is in the
 *     metrics textfile of a fleet lane, and absent from another's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "agent-decide.h"
#include "egate-store-sync.h"
#include "test-files.h"
#include "test-sql.h"
#include "kselftest_harness.h"

#define MS 1000000ull
#define DAY_US (86400LL * 1000000)

#define FLAGGED 7		/* the centre's traveller ids */
#define CLEAR 8

FIXTURE(lane) {
	char dir[PATH_MAX];
	char db[PATH_MAX + 16];
	struct egate_conf *conf;
	struct egate_store *store;
	struct agent a;
	float templates[2][EGATE_TEMPLATE_DIM];
};

FIXTURE_SETUP(lane)
{
	char err[256];

	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/egate.db", self->dir);
	ASSERT_EQ(0, egate_store_open(self->db, &(struct egate_store_options){
					.flags = EGATE_STORE_CREATE, .busy_timeout_ms = 1000 },
				      &self->store, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, egate_conf_new(&self->conf));
	for (int i = 0; i < 2; i++)
		self->templates[i][i] = 1.0f;
}

FIXTURE_TEARDOWN(lane)
{
	agent_decide_done(&self->a);
	egate_store_close(self->store);
	egate_conf_free(self->conf);
	test_dir_remove(self->dir);
}

/* The centre's gallery as egate-sync applies it: FLAGGED referred, CLEAR not. */
static int apply_central_gallery(FIXTURE_DATA(lane) *self, uint64_t version)
{
	const struct egate_sync_change changes[] = {
		{ .traveller_id = FLAGGED, .label = "R-7", .templates = self->templates[0],
		  .n_templates = 1, .referred = true },
		{ .traveller_id = CLEAR, .label = "R-8", .templates = self->templates[1],
		  .n_templates = 1 },
	};

	return egate_store_sync_apply(self->store, &(struct egate_store_actor){
		.uid = 0, .lane = "lane-a" }, changes, ELEMENTSOF(changes), version);
}

TEST_F(lane, old_store_upgrades)
{
	char path[PATH_MAX + 16], msg[256], err[256];
	struct egate_referrals *referrals = NULL;
	struct egate_sync_state state;
	struct egate_store *s = NULL;
	long long version;

	/* version 3, and the sync state as egate-sync made it itself */
	snprintf(path, sizeof(path), "%s/v3.db", self->dir);
	ASSERT_EQ(SQLITE_OK, raw_sql_file(path, TEST_DATA_DIR "/store-v3.sql", msg, sizeof(msg)))
		TH_LOG("%s", msg);
	ASSERT_EQ(SQLITE_OK, raw_sql(path, "CREATE TABLE IF NOT EXISTS sync_state ("
		"  one INTEGER PRIMARY KEY CHECK (one = 1),"
		"  gallery_version INTEGER NOT NULL CHECK (gallery_version >= 0),"
		"  audit_acked_id INTEGER NOT NULL CHECK (audit_acked_id >= 0),"
		"  last_contact_us INTEGER NOT NULL);"
		"INSERT OR IGNORE INTO sync_state VALUES (1, 12, 3, 1700000000000000);"
		"INSERT INTO travellers VALUES (5, 'R-5', NULL, 1);", msg, sizeof(msg)))
		TH_LOG("%s", msg);

	ASSERT_EQ(0, egate_store_open(path, &(struct egate_store_options){ .busy_timeout_ms = 100 },
				      &s, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(5, egate_store_schema_version());
	EXPECT_EQ(5, raw_count(path, "PRAGMA user_version"));
	ASSERT_EQ(0, egate_store_sync_state(s, &state));
	EXPECT_TRUE(state.fleet);
	EXPECT_EQ(12, state.gallery_version);
	EXPECT_EQ(3, state.audit_acked_id);
	EXPECT_EQ(1700000000000000, state.last_contact_us);
	EXPECT_EQ(0, state.central_version);
	EXPECT_EQ(raw_count(path, "SELECT count(*) FROM audit WHERE id > 3"),
		  (long long)state.records_unsent);
	ASSERT_EQ(0, egate_store_load_referrals(s, &referrals));
	EXPECT_EQ(0, egate_referrals_count(referrals));
	egate_referrals_free(referrals);

	/* the flag, set in place, is a gallery change the agent reloads on */
	EXPECT_EQ(0, raw_count(path, "SELECT referred FROM travellers WHERE id = 5"));
	version = raw_count(path, "SELECT version FROM gallery_version");
	ASSERT_EQ(SQLITE_OK, raw_sql(path, "UPDATE travellers SET referred = 1 WHERE id = 5", msg,
				     sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_EQ(version + 1, raw_count(path, "SELECT version FROM gallery_version"));
	ASSERT_EQ(0, egate_store_load_referrals(s, &referrals));
	EXPECT_EQ(1, egate_referrals_count(referrals));
	EXPECT_TRUE(egate_referrals_contains(referrals, 5));
	EXPECT_FALSE(egate_referrals_contains(referrals, 6));
	egate_referrals_free(referrals);
	egate_store_close(s);

	/* a lane that never synced has no state: no fleet */
	ASSERT_EQ(0, egate_store_sync_state(self->store, &state));
	EXPECT_FALSE(state.fleet);
}

TEST_F(lane, referred_traveller_denied_officer_called)
{
	ASSERT_EQ(0, apply_central_gallery(self, 2));
	ASSERT_EQ(0, agent_decide_init(&self->a, egate_conf_settings(self->conf), "lane-a",
				       self->store));
	EXPECT_EQ(1, egate_referrals_count(self->a.referrals));

	EXPECT_EQ(EGATE_CMD_DENY, agent_decide(&self->a, FLAGGED));
	EXPECT_EQ(0, self->a.auth_tag);
	EXPECT_EQ(1, self->a.metrics.referrals);
	EXPECT_EQ(1, raw_count(self->db, "SELECT count(*) FROM audit WHERE kind = 'decision'"
			       " AND decision = 'deny' AND reason = 'referred' AND candidate_id = 7"
			       " AND candidate_distance BETWEEN 0.29 AND 0.31"
			       " AND traveller_id IS NULL"));
	EXPECT_EQ(1, raw_count(self->db, "SELECT count(*) FROM audit WHERE kind = 'lane_event'"
			       " AND action = 'referred' AND detail LIKE 'traveller id 7 %'"));
	/* the officer's event comes first, then the decision */
	EXPECT_EQ(1, raw_count(self->db, "SELECT (SELECT id FROM audit WHERE kind = 'lane_event')"
			       " < (SELECT id FROM audit WHERE kind = 'decision')"));

	/* the next traveller, not flagged, is admitted as ever */
	EXPECT_EQ(EGATE_CMD_AUTHORISE, agent_decide(&self->a, CLEAR));
	EXPECT_EQ(1, raw_count(self->db, "SELECT count(*) FROM audit WHERE kind = 'decision'"
			       " AND decision = 'admit' AND traveller_id = 8 AND reason IS NULL"));
	EXPECT_EQ(1, self->a.metrics.referrals);
}

/* Passage records 100, 80 .. 0 days old (ids 1..6), after the gallery's records. */
static int64_t old_records(FIXTURE_DATA(lane) *self, int64_t now_us)
{
	struct egate_audit_record r = {
		.kind = EGATE_AUDIT_PASSAGE, .lane = "lane-a", .outcome = EGATE_OUTCOME_PASSED,
		.score = NAN, .margin = NAN, .quality = NAN, .candidate_distance = NAN,
	};
	int64_t first = 0, id;

	for (int age_days = 100; age_days >= 0; age_days -= 20) {
		r.time_us = now_us - age_days * DAY_US;
		if (egate_store_audit_append(self->store, &r, &id) < 0)
			return -1;
		first = first ?: id;
	}
	return first;
}

static int verify(struct egate_store *store)
{
	struct egate_audit_verify_result res;
	int r = egate_store_audit_verify(store, &(struct egate_audit_verify_options){ 0 }, &res);

	return r < 0 ? r : (int)res.problem;
}

TEST_F(lane, purge_keeps_what_the_centre_has_not_archived)
{
	int64_t now = 2000000000LL * 1000000, first;
	uint64_t deleted = 99, held = 99;
	char err[256];

	/* no fleet: the 100, 80 and 60 days old records go */
	first = old_records(self, now);
	ASSERT_LT(0, first);
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 50, now, &deleted, &held));
	EXPECT_EQ(3, deleted);
	EXPECT_EQ(0, held);
	EXPECT_EQ(0, verify(self->store));

	/* a fleet lane, anew: first nothing archived, then up to the 80 days old record */
	egate_store_close(self->store);
	self->store = NULL;
	test_dir_remove(self->dir);
	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/egate.db", self->dir);
	ASSERT_EQ(0, egate_store_open(self->db, &(struct egate_store_options){
					.flags = EGATE_STORE_CREATE }, &self->store, err,
				      sizeof(err))) TH_LOG("%s", err);
	first = old_records(self, now);
	ASSERT_LT(0, first);
	/* synced, nothing archived yet */
	ASSERT_EQ(0, egate_store_sync_ack(self->store, 0, now));
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 50, now, &deleted, &held));
	EXPECT_EQ(0, deleted);
	EXPECT_EQ(3, held);
	EXPECT_EQ(6, raw_count(self->db, "SELECT count(*) FROM audit WHERE kind = 'passage'"));

	ASSERT_EQ(0, egate_store_sync_ack(self->store, first + 1, now));	/* 100, 80 days */
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 50, now, &deleted, &held));
	EXPECT_EQ(2, deleted);
	EXPECT_EQ(1, held);
	EXPECT_EQ(first + 2, raw_count(self->db, "SELECT min(id) FROM audit"));
	EXPECT_EQ(1, raw_count(self->db, "SELECT count(*) FROM audit WHERE kind = 'purge' AND"
			       " detail LIKE '%deleted 2 records%kept the records the centre has"
			       " not archived'"));
	EXPECT_EQ(0, verify(self->store));

	/* archived past the cutoff: the window as ever, nothing held */
	ASSERT_EQ(0, egate_store_sync_ack(self->store, first + 5, now));
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 50, now, &deleted, &held));
	EXPECT_EQ(1, deleted);
	EXPECT_EQ(0, held);
	EXPECT_EQ(0, verify(self->store));
}

/* The textfile, as written now: "" when it cannot be read. */
static const char *textfile(FIXTURE_DATA(lane) *self)
{
	static char buf[16384];
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (metrics_write(&self->a.metrics, self->a.metrics_path, self->a.lane_name) < 0)
		return "";
	f = fopen(self->a.metrics_path, "r");
	if (!f)
		return "";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* One STORE_SYNC job through the worker, as the tick asks for it. */
static int read_lag(FIXTURE_DATA(lane) *self)
{
	struct store_job job;

	self->a.now_ns += AGENT_FLEET_LAG_MS * MS;
	agent_fleet_lag_check(&self->a);
	if (!self->a.fleet_lag_reading || agent_decide_take(&self->a, &job) < 0 ||
	    job.kind != STORE_SYNC)
		return -1;
	agent_on_fleet_lag(&self->a, &job);
	return self->a.fleet_lag_reading ? -1 : 0;
}

TEST_F(lane, lag_in_the_metrics)
{
	int64_t contact_s = time(NULL) - 40;
	char line[128];
	const char *m;

	ASSERT_EQ(0, agent_decide_init(&self->a, egate_conf_settings(self->conf), "lane-a",
				       self->store));
	ASSERT_GT(sizeof(self->a.metrics_path), strlen(self->dir) + strlen("/egate.prom"));
	strcpy(stpcpy(self->a.metrics_path, self->dir), "/egate.prom");

	/* no fleet: no lag */
	ASSERT_EQ(0, read_lag(self));
	m = textfile(self);
	EXPECT_NE(NULL, strstr(m, "egate_referrals_total{lane=\"lane-a\"} 0\n")) TH_LOG("%s", m);
	EXPECT_EQ(NULL, strstr(m, "egate_sync_"));

	/* at version 2 of the centre's 9, 3 records archived, 40 s since */
	ASSERT_EQ(0, apply_central_gallery(self, 2));
	ASSERT_LT(0, old_records(self, 2000000000LL * 1000000));
	ASSERT_EQ(0, egate_store_sync_ack(self->store, 3, contact_s * 1000000));
	ASSERT_EQ(0, egate_store_sync_contact(self->store, 9, contact_s * 1000000));
	ASSERT_EQ(0, read_lag(self));
	m = textfile(self);
	EXPECT_NE(NULL, strstr(m, "egate_sync_versions_behind{lane=\"lane-a\"} 7\n"))
		TH_LOG("%s", m);
	snprintf(line, sizeof(line), "egate_sync_records_unsent{lane=\"lane-a\"} %lld\n",
		 raw_count(self->db, "SELECT count(*) FROM audit WHERE id > 3"));
	EXPECT_NE(NULL, strstr(m, line)) TH_LOG("%s", m);
	EXPECT_EQ(5, raw_count(self->db, "SELECT count(*) FROM audit WHERE id > 3"));
	snprintf(line, sizeof(line),
		 "egate_sync_last_contact_timestamp_seconds{lane=\"lane-a\"} %lld\n",
		 (long long)contact_s);
	EXPECT_NE(NULL, strstr(m, line)) TH_LOG("%s", m);
	EXPECT_NE(NULL, strstr(m, "egate_sync_last_contact_age_seconds{lane=\"lane-a\"} 4"))
		TH_LOG("%s", m);
}

TEST_HARNESS_MAIN
