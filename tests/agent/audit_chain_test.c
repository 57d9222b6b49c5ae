// SPDX-License-Identifier: GPL-2.0
/*
 * audit_chain_test - the audit log's hash chain and checkpoints against
 * tampering (Documentation/audit.md): on a scratch database, each way of
 * rewriting history is done as someone with write access to the file would
 * do it, and the verifier must name the record where it shows.  Lane
 * event records are links like the others, and a database of schema
 * version 3 keeps its chain, and its checkpoint's signature, across the
 * upgrade that makes room for them.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "egate-store.h"
#include "test-files.h"
#include "test-sql.h"
#include "kselftest_harness.h"

#define DAY_US (86400LL * 1000000)
#define T0_US (2000000000LL * 1000000)
#define OPTIONS(f) (&(struct egate_store_options){ .flags = (f), .busy_timeout_ms = 1000 })

FIXTURE(chain) {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	char err[256];
	struct egate_store *store;
	uint8_t pk[32], sk[64];		/* the lane's key */
	uint8_t other_pk[32], other_sk[64];
	struct egate_audit_verify_options o;
	struct egate_audit_verify_result res;
};

FIXTURE_SETUP(chain)
{
	ASSERT_EQ(0, sodium_init() < 0);
	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/egate.db", self->dir);
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(EGATE_STORE_CREATE), &self->store,
				      self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	crypto_sign_keypair(self->pk, self->sk);
	crypto_sign_keypair(self->other_pk, self->other_sk);
	self->o = (struct egate_audit_verify_options){ .public_key = self->pk };
}

FIXTURE_TEARDOWN(chain)
{
	egate_store_close(self->store);
	test_dir_remove(self->dir);
}

/* n records, one a second from t_us: decisions, each with its passage. */
static int append_records(struct egate_store *store, int n, int64_t t_us)
{
	struct egate_audit_record decision = {
		.kind = EGATE_AUDIT_DECISION, .lane = "lane-1", .traveller_id = 3,
		.score = 0.31, .margin = 0.2, .quality = NAN, .decision = EGATE_DECISION_ADMIT,
	};
	struct egate_audit_record passage = {
		.kind = EGATE_AUDIT_PASSAGE, .lane = "lane-1", .traveller_id = 3,
		.outcome = EGATE_OUTCOME_PASSED,
	};
	int r = 0;

	for (int i = 0; r >= 0 && i < n; i++, t_us += 1000000) {
		if (i % 2 == 0) {
			decision.time_us = t_us;
			r = egate_store_audit_append(store, &decision, &passage.decision_id);
		} else {
			passage.time_us = t_us;
			r = egate_store_audit_append(store, &passage, NULL);
		}
	}
	return r;
}

/* Verifies what is in the file now, from a read-only connection of its own. */
static int verify_file(struct _test_data_chain *self)
{
	struct egate_store *ro = NULL;
	int r;

	r = egate_store_open(self->path, OPTIONS(EGATE_STORE_READ_ONLY), &ro, self->err,
			     sizeof(self->err));
	if (r >= 0)
		r = egate_store_audit_verify(ro, &self->o, &self->res);
	egate_store_close(ro);
	return r;
}

/* SQL as a tamperer runs it, with the store closed. */
static int tamper(struct _test_data_chain *self, const char *sql)
{
	egate_store_close(self->store);
	self->store = NULL;
	return raw_sql(self->path, sql, self->err, sizeof(self->err));
}

TEST_F(chain, intact_chain_verifies_with_its_checkpoints)
{
	struct egate_audit_checkpoint cp;

	ASSERT_EQ(0, append_records(self->store, 20, T0_US));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 30 * 1000000,
						  &cp));
	EXPECT_EQ(21, cp.id);
	EXPECT_EQ(20, cp.head_id);
	ASSERT_EQ(0, append_records(self->store, 5, T0_US + 40 * 1000000));
	ASSERT_EQ(0, verify_file(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(26, self->res.records);
	EXPECT_EQ(1, self->res.first_id);
	EXPECT_EQ(26, self->res.head_id);
	EXPECT_EQ(1, self->res.checkpoints);
	EXPECT_EQ(21, self->res.last_checkpoint_id);

	/* The published checkpoint is the record the chain holds. */
	self->o.published_id = cp.id;
	memcpy(self->o.published_hash, cp.hash, sizeof(cp.hash));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);

	/* From the checkpoint on, trusting its signature. */
	self->o.since_us = T0_US + 35 * 1000000;
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(21, self->res.first_id);
	EXPECT_EQ(6, self->res.records);
	self->o.public_key = NULL;	/* an unsigned start proves nothing */
	EXPECT_EQ(-EINVAL, verify_file(self));
}

TEST_F(chain, delete_through_a_purge_window_is_a_missing_range)
{
	ASSERT_EQ(0, append_records(self->store, 20, T0_US));
	/* The trick the triggers let through: open a window, delete, close it. */
	ASSERT_EQ(SQLITE_OK, tamper(self, "BEGIN;"
				    " INSERT INTO audit_purge_window VALUES (9223372036854775807);"
				    " DELETE FROM audit WHERE id = 10;"
				    " DELETE FROM audit_purge_window; COMMIT")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_MISSING_RANGE, self->res.problem);
	EXPECT_EQ(11, self->res.record_id);
	EXPECT_EQ(10, self->res.missing_first);
	EXPECT_EQ(10, self->res.missing_last);
}

TEST_F(chain, raw_delete_of_middle_records_is_a_missing_range)
{
	ASSERT_EQ(0, append_records(self->store, 20, T0_US));
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_delete;"
				    " DELETE FROM audit WHERE id BETWEEN 5 AND 7;"
				    " UPDATE sqlite_sequence SET seq = 17 WHERE name = 'audit'"))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_MISSING_RANGE, self->res.problem);
	EXPECT_EQ(8, self->res.record_id);
	EXPECT_EQ(5, self->res.missing_first);
	EXPECT_EQ(7, self->res.missing_last);
}

TEST_F(chain, modified_field_is_a_broken_link)
{
	ASSERT_EQ(0, append_records(self->store, 20, T0_US));
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_update;"
				    " UPDATE audit SET decision = 'deny' WHERE id = 7"))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_BROKEN_LINK, self->res.problem);
	EXPECT_EQ(7, self->res.record_id);
}

TEST_F(chain, modified_record_rehashed_breaks_the_next_link)
{
	ASSERT_EQ(0, append_records(self->store, 20, T0_US));
	/* A new hash for record 7 does not make record 8 follow from it. */
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_update;"
				    " UPDATE audit SET score = 0.9, hash = randomblob(32) WHERE id = 7"))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_BROKEN_LINK, self->res.problem);
	EXPECT_EQ(7, self->res.record_id);
}

TEST_F(chain, reordered_records_are_a_broken_link)
{
	ASSERT_EQ(0, append_records(self->store, 20, T0_US));
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_update;"
				    " UPDATE audit SET id = -1 WHERE id = 12;"
				    " UPDATE audit SET id = 12 WHERE id = 13;"
				    " UPDATE audit SET id = 13 WHERE id = -1"))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_BROKEN_LINK, self->res.problem);
	EXPECT_EQ(12, self->res.record_id);
}

TEST_F(chain, tail_truncated_past_a_checkpoint)
{
	struct egate_audit_checkpoint cp;

	ASSERT_EQ(0, append_records(self->store, 20, T0_US));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 30 * 1000000,
						  &cp));
	ASSERT_EQ(0, append_records(self->store, 4, T0_US + 40 * 1000000));
	self->o.published_id = cp.id;
	memcpy(self->o.published_hash, cp.hash, sizeof(cp.hash));

	/* Cut off: the chain head the store keeps says where it ended. */
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_delete;"
				    " DELETE FROM audit WHERE id >= 18"))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_TRUNCATED, self->res.problem);
	EXPECT_EQ(17, self->res.record_id);

	/* The head moved back too: the published checkpoint still says. */
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path, "UPDATE audit_chain SET head_id = 17,"
				     " head_hash = (SELECT hash FROM audit WHERE id = 17)",
				     self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_TRUNCATED, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(17, self->res.record_id);
	self->o.published_id = 0;	/* what the database alone cannot show */
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem);
}

TEST_F(chain, rollback_to_an_older_copy)
{
	struct egate_audit_checkpoint cp;
	char copy[PATH_MAX + 32], cmd[3 * PATH_MAX];

	ASSERT_EQ(0, append_records(self->store, 10, T0_US));
	egate_store_close(self->store);	/* the last close folds the WAL in */
	snprintf(copy, sizeof(copy), "%s/old.db", self->dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", self->path, copy);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(0), &self->store, self->err,
				      sizeof(self->err)));
	ASSERT_EQ(0, append_records(self->store, 6, T0_US + 20 * 1000000));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 30 * 1000000,
						  &cp));
	egate_store_close(self->store);
	self->store = NULL;
	ASSERT_EQ(0, rename(copy, self->path));

	self->o.published_id = cp.id;
	memcpy(self->o.published_hash, cp.hash, sizeof(cp.hash));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_TRUNCATED, self->res.problem);
	EXPECT_EQ(10, self->res.record_id);

	/* Rolled back, then written on: the published id is another record now. */
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(0), &self->store, self->err,
				      sizeof(self->err)));
	ASSERT_EQ(0, append_records(self->store, 10, T0_US + 50 * 1000000));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_TRUNCATED, self->res.problem);
	EXPECT_EQ(cp.id, self->res.record_id);
}

TEST_F(chain, checkpoint_forged_with_another_key)
{
	struct egate_audit_checkpoint cp;

	ASSERT_EQ(0, append_records(self->store, 8, T0_US));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 10 * 1000000,
						  &cp));
	ASSERT_EQ(0, append_records(self->store, 3, T0_US + 20 * 1000000));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->other_sk, 0, 0,
						  T0_US + 30 * 1000000, &cp));
	EXPECT_EQ(13, cp.id);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_BAD_SIGNATURE, self->res.problem);
	EXPECT_EQ(13, self->res.record_id);
	/* Without the key, signatures are not checked: the links still hold. */
	self->o.public_key = NULL;
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem);
	EXPECT_EQ(2, self->res.checkpoints);
}

TEST_F(chain, checkpoint_altered_is_a_broken_link)
{
	struct egate_audit_checkpoint cp;

	ASSERT_EQ(0, append_records(self->store, 8, T0_US));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 10 * 1000000,
						  &cp));
	/* Its time moved: the link breaks before the signature is even looked at. */
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_update;"
				    " UPDATE audit SET time_us = time_us + 1 WHERE id = 9"));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_BROKEN_LINK, self->res.problem);
	EXPECT_EQ(9, self->res.record_id);
}

TEST_F(chain, purge_is_a_link_and_cannot_hide_more)
{
	uint64_t deleted;

	/* 10 records 100 days old, then 10 recent ones. */
	ASSERT_EQ(0, append_records(self->store, 10, T0_US - 100 * DAY_US));
	ASSERT_EQ(0, append_records(self->store, 10, T0_US));
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 50, T0_US + 60 * 1000000, &deleted,
					     NULL));
	EXPECT_EQ(10, deleted);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(11, self->res.first_id);
	EXPECT_EQ(11, self->res.records);
	EXPECT_EQ(21, self->res.head_id);

	/* Records 11 and 12 gone as well, the purge's word unchanged. */
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_delete;"
				    " DELETE FROM audit WHERE id IN (11, 12)"));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_MISSING_RANGE, self->res.problem);
	EXPECT_EQ(13, self->res.record_id);
	EXPECT_EQ(11, self->res.missing_first);
	EXPECT_EQ(12, self->res.missing_last);

	/* ... or the purge's word changed to cover them: its own link breaks. */
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path, "DROP TRIGGER audit_no_update;"
				     " UPDATE audit SET last_id = 12, last_hash = (SELECT hash"
				     " FROM audit WHERE id = 12) WHERE kind = 'purge'",
				     self->err, sizeof(self->err)));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_NE(EGATE_AUDIT_OK, self->res.problem);
	EXPECT_EQ(13, self->res.record_id);
}

TEST_F(chain, crash_between_a_record_and_its_checkpoint_verifies)
{
	struct egate_audit_checkpoint cp;
	int status;
	pid_t pid;

	ASSERT_EQ(0, append_records(self->store, 4, T0_US));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 5 * 1000000,
						  &cp));
	egate_store_close(self->store);
	self->store = NULL;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct egate_store *s = NULL;

		if (egate_store_open(self->path, OPTIONS(0), &s, NULL, 0) < 0 ||
		    append_records(s, 3, T0_US + 10 * 1000000) < 0)
			_exit(1);
		raise(SIGKILL);	/* before the checkpoint, without closing */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, verify_file(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(8, self->res.records);
	EXPECT_EQ(5, self->res.last_checkpoint_id);	/* 6..8 are not signed yet */
	/* The agent, back, signs them. */
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(0), &self->store, self->err,
				      sizeof(self->err)));
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 20 * 1000000,
						  &cp));
	EXPECT_EQ(8, cp.head_id);
}

TEST_F(chain, checkpoints_every_n_records_or_t_seconds)
{
	struct egate_audit_checkpoint cp;
	int64_t t = T0_US + 10 * 1000000;

	/* Nothing to sign yet. */
	EXPECT_EQ(0, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, t, &cp));
	ASSERT_EQ(0, append_records(self->store, 4, T0_US));
	EXPECT_EQ(0, egate_store_audit_checkpoint(self->store, self->sk, 5, 0, t, &cp));
	ASSERT_EQ(0, append_records(self->store, 1, T0_US + 5 * 1000000));
	EXPECT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 5, 0, t, &cp));
	EXPECT_EQ(5, cp.head_id);
	/* A checkpoint is not signed again: nothing new. */
	EXPECT_EQ(0, egate_store_audit_checkpoint(self->store, self->sk, 0, 60, t + 3600LL * 1000000, &cp));
	ASSERT_EQ(0, append_records(self->store, 1, T0_US + 20 * 1000000));
	EXPECT_EQ(0, egate_store_audit_checkpoint(self->store, self->sk, 100, 60, t + 59 * 1000000, &cp));
	EXPECT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 100, 60, t + 60 * 1000000, &cp));
	EXPECT_EQ(7, cp.head_id);
}

struct seen_gallery {
	int n;
	struct { char action[16]; int64_t traveller_id; uint32_t uid; char reason[64]; } r[8];
};

static int collect_gallery(const struct egate_audit_record *r, void *userdata)
{
	struct seen_gallery *s = userdata;

	if (r->kind != EGATE_AUDIT_GALLERY || s->n == 8)
		return 0;
	snprintf(s->r[s->n].action, sizeof(s->r[0].action), "%s", r->action);
	snprintf(s->r[s->n].reason, sizeof(s->r[0].reason), "%s", r->reason ?: "");
	s->r[s->n].traveller_id = r->traveller_id;
	s->r[s->n++].uid = r->actor_uid;
	return 0;
}

TEST_F(chain, gallery_changes_are_links_with_who_and_why)
{
	struct egate_store_actor officer = { .uid = 1234, .lane = "lane-1", .reason = "desk 3" };
	float t[EGATE_TEMPLATE_DIM] = { 0.5f };
	struct seen_gallery seen = { 0 };
	int64_t alice, bob;
	uint64_t deleted;

	ASSERT_EQ(0, egate_store_enrol(self->store, &officer, "alice", NULL, t, 1, &alice));
	ASSERT_EQ(0, egate_store_enrol(self->store, &officer, "bob", "2001-01-01", t, 1, &bob));
	ASSERT_EQ(0, egate_store_add_templates(self->store, &officer, alice, t, 1));
	officer.reason = NULL;	/* a delete says why */
	EXPECT_EQ(-EINVAL, egate_store_delete_traveller(self->store, &officer, alice));
	officer.reason = "withdrew consent";
	ASSERT_EQ(0, egate_store_delete_traveller(self->store, &officer, alice));
	/* The purge erases bob, expired, under the uid of the process purging. */
	ASSERT_EQ(0, append_records(self->store, 1, T0_US));
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 3650, T0_US, &deleted, NULL));
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, collect_gallery, &seen));
	ASSERT_EQ(5, seen.n);
	EXPECT_STREQ("enrol", seen.r[0].action);
	EXPECT_EQ(alice, seen.r[0].traveller_id);
	EXPECT_EQ(1234, seen.r[0].uid);
	EXPECT_STREQ("desk 3", seen.r[0].reason);
	EXPECT_STREQ("update", seen.r[2].action);
	EXPECT_STREQ("delete", seen.r[3].action);
	EXPECT_STREQ("withdrew consent", seen.r[3].reason);
	EXPECT_STREQ("expire", seen.r[4].action);
	EXPECT_EQ(bob, seen.r[4].traveller_id);
	EXPECT_EQ(getuid(), seen.r[4].uid);
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
}

TEST_F(chain, genesis_altered)
{
	ASSERT_EQ(0, append_records(self->store, 3, T0_US));
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_chain_genesis;"
				    " UPDATE audit_chain SET lane = 'lane-2'"));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_BAD_GENESIS, self->res.problem);
}

struct seen_lane {
	int n;
	char text[8][128];
};

static int collect_lane_events(const struct egate_audit_record *r, void *userdata)
{
	struct seen_lane *s = userdata;

	if (r->kind == EGATE_AUDIT_LANE_EVENT && s->n < 8)
		snprintf(s->text[s->n++], sizeof(s->text[0]), "%s|%s|%lld",
			 r->action, r->detail ?: "-", (long long)r->decision_id);
	return 0;
}

TEST_F(chain, lane_events_are_links)
{
	struct egate_audit_record alarm = {
		.kind = EGATE_AUDIT_LANE_EVENT, .lane = "lane-1", .time_us = T0_US + 9000000,
		.action = EGATE_AUDIT_LANE_ALARM, .detail = "tailgating (beams 0x3)",
		.decision_id = 1,
	};
	struct egate_audit_record back = {
		.kind = EGATE_AUDIT_LANE_EVENT, .lane = "lane-1", .time_us = T0_US + 10000000,
		.action = EGATE_AUDIT_LANE_IN_SERVICE,
	};
	struct egate_audit_checkpoint cp;
	struct seen_lane seen = { 0 };
	int64_t id;

	ASSERT_EQ(0, append_records(self->store, 2, T0_US));
	ASSERT_EQ(0, egate_store_audit_append(self->store, &alarm, &id));
	EXPECT_EQ(3, id);
	ASSERT_EQ(0, egate_store_audit_append(self->store, &back, NULL));
	/* an actor belongs to officer and gallery records, not to the lane's */
	back.actor = "officer7";
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &back, NULL));
	back.actor = NULL;
	back.action = NULL;
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &back, NULL));
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, collect_lane_events, &seen));
	ASSERT_EQ(2, seen.n);
	EXPECT_STREQ("alarm|tailgating (beams 0x3)|1", seen.text[0]);
	EXPECT_STREQ("in_service|-|0", seen.text[1]);
	ASSERT_EQ(1, egate_store_audit_checkpoint(self->store, self->sk, 0, 0, T0_US + 11000000,
						  &cp));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(5, self->res.records);

	/* its detail edited: the chain breaks there */
	ASSERT_EQ(SQLITE_OK, tamper(self, "DROP TRIGGER audit_no_update;"
				    " UPDATE audit SET detail = 'wrong_way' WHERE id = 3"));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_BROKEN_LINK, self->res.problem);
	EXPECT_EQ(3, self->res.record_id);
}

/*
 * tests/agent/data/store-v3.sql: a chain written by schema version 3, with
 * a checkpoint signed by the key of seed 32 x 0x07.  Opened for writing it
 * becomes the current version; every record, hash and signature as it was.
 */
TEST_F(chain, version_3_chain_verifies_after_the_upgrade)
{
	struct egate_audit_record emergency = {
		.kind = EGATE_AUDIT_LANE_EVENT, .lane = "lane-1",
		.action = EGATE_AUDIT_LANE_EMERGENCY,
	};
	uint8_t seed[32], pk[32], sk[64];
	struct seen_lane seen = { 0 };
	char msg[256];

	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	self->o.public_key = pk;
	egate_store_close(self->store);
	self->store = NULL;
	ASSERT_EQ(0, unlink(self->path));
	ASSERT_EQ(SQLITE_OK, raw_sql_file(self->path, TEST_DATA_DIR "/store-v3.sql", msg,
					  sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_EQ(3, raw_count(self->path, "PRAGMA user_version"));

	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(0), &self->store, self->err,
				      sizeof(self->err))) TH_LOG("%s", self->err);
	EXPECT_EQ(5, egate_store_schema_version());
	EXPECT_EQ(5, raw_count(self->path, "PRAGMA user_version"));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(6, self->res.records);
	EXPECT_EQ(1, self->res.checkpoints);

	/* the new kind is taken, and links after the old records */
	ASSERT_EQ(0, egate_store_audit_append(self->store, &emergency, NULL));
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, collect_lane_events, &seen));
	ASSERT_EQ(1, seen.n);
	EXPECT_EQ(7, raw_count(self->path, "SELECT max(id) FROM audit"));
	ASSERT_EQ(0, verify_file(self));
	EXPECT_EQ(EGATE_AUDIT_OK, self->res.problem) TH_LOG("%s", self->res.message);
	EXPECT_EQ(7, self->res.records);

	/* and the table still holds everyone else to appending */
	egate_store_close(self->store);
	self->store = NULL;
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "UPDATE audit SET lane = 'x'", msg, sizeof(msg)));
	EXPECT_STREQ("the audit log is append-only", msg);
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "DELETE FROM audit WHERE id = 2", msg,
				     sizeof(msg)));
	EXPECT_EQ(7, raw_count(self->path, "SELECT count(*) FROM audit"));
	EXPECT_EQ(0, raw_count(self->path, "SELECT count(*) FROM sqlite_master"
					   " WHERE name = 'audit_v3'"));
}

TEST_HARNESS_MAIN
