// SPDX-License-Identifier: GPL-2.0
/*
 * store_test - the gallery and the audit log: enrol, list, delete, expiry,
 * loading for the engine; the audit log holding to append-only against
 * plain SQL; the retention purge; corrupt, foreign and newer files refused
 * and left untouched; a writer killed mid-transaction.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "egate-store.h"
#include "test-files.h"
#include "test-sql.h"
#include "kselftest_harness.h"

#define DAY_US (86400LL * 1000000)
#define OPTIONS(f, ms) (&(struct egate_store_options){ .flags = (f), .busy_timeout_ms = (ms) })
/* Who changes the gallery in these tests, and why. */
#define ACTOR (&(struct egate_store_actor){ .uid = 1000, .lane = "lane-1", .reason = "test" })

FIXTURE(store) {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	char err[256];
	struct egate_store *store;
};

FIXTURE_SETUP(store)
{
	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/egate.db", self->dir);
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(EGATE_STORE_CREATE, 1000), &self->store,
				      self->err, sizeof(self->err))) TH_LOG("%s", self->err);
}

FIXTURE_TEARDOWN(store)
{
	egate_store_close(self->store);
	test_dir_remove(self->dir);
}

/* Distinct, recognisable templates: value = seed + index / 1000. */
static void make_templates(float *t, size_t n, float seed)
{
	for (size_t i = 0; i < n * EGATE_TEMPLATE_DIM; i++)
		t[i] = seed + (float)i / 1000.0f;
}

struct listed {
	int n;
	struct { long long id; char label[160]; char expires[16]; unsigned int n_templates; } t[8];
};

static int collect(const struct egate_traveller *t, void *userdata)
{
	struct listed *l = userdata;

	if (l->n == 8)
		return -E2BIG;
	l->t[l->n].id = t->id;
	snprintf(l->t[l->n].label, sizeof(l->t[0].label), "%s", t->label);
	snprintf(l->t[l->n].expires, sizeof(l->t[0].expires), "%s", t->expires ?: "never");
	l->t[l->n].n_templates = t->n_templates;
	l->n++;
	return 0;
}

TEST_F(store, new_database_is_wal_and_versioned)
{
	egate_store_close(self->store);
	self->store = NULL;
	EXPECT_EQ(egate_store_schema_version(), raw_count(self->path, "PRAGMA user_version"));
	EXPECT_EQ(0x45474154, raw_count(self->path, "PRAGMA application_id"));
	EXPECT_EQ(1, raw_count(self->path, "SELECT count(*) FROM pragma_journal_mode"
					   " WHERE journal_mode = 'wal'"));
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(0, 1000), &self->store, NULL, 0));
}

TEST_F(store, missing_file_without_create)
{
	struct egate_store *s = NULL;
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/none.db", self->dir);
	EXPECT_EQ(-ENOENT, egate_store_open(path, OPTIONS(0, 0), &s, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "none.db: No such file or directory"));
	EXPECT_EQ(-EINVAL, egate_store_open(self->dir, OPTIONS(0, 0), &s, NULL, 0));
}

TEST_F(store, enrol_list_delete)
{
	float t[3 * EGATE_TEMPLATE_DIM];
	struct listed l = {};
	int64_t alice, bob;

	make_templates(t, 3, 1);
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "Alice", NULL, t, 3, &alice));
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "Bob", "2031-12-31", t, 2, &bob));
	EXPECT_LT(alice, bob);
	ASSERT_EQ(0, egate_store_add_templates(self->store, ACTOR, bob, t, 1));

	ASSERT_EQ(0, egate_store_list_travellers(self->store, collect, &l));
	ASSERT_EQ(2, l.n);
	EXPECT_STREQ("Alice", l.t[0].label);
	EXPECT_STREQ("never", l.t[0].expires);
	EXPECT_EQ(3, l.t[0].n_templates);
	EXPECT_STREQ("Bob", l.t[1].label);
	EXPECT_STREQ("2031-12-31", l.t[1].expires);
	EXPECT_EQ(3, l.t[1].n_templates);

	ASSERT_EQ(0, egate_store_delete_traveller(self->store, ACTOR, alice));
	EXPECT_EQ(-ENOENT, egate_store_delete_traveller(self->store, ACTOR, alice));
	EXPECT_EQ(-ENOENT, egate_store_add_templates(self->store, ACTOR, alice, t, 1));
	l.n = 0;
	ASSERT_EQ(0, egate_store_list_travellers(self->store, collect, &l));
	ASSERT_EQ(1, l.n);
	EXPECT_STREQ("Bob", l.t[0].label);
	/* Every template of theirs went with them. */
	EXPECT_EQ(3, raw_count(self->path, "SELECT count(*) FROM templates"));
	EXPECT_EQ(0, raw_count(self->path, "SELECT count(*) FROM templates WHERE traveller_id = 1"));
}

TEST_F(store, enrol_bounds)
{
	float t[(EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX + 1) * EGATE_TEMPLATE_DIM];
	char label[EGATE_STORE_LABEL_MAX + 2];
	int64_t id;

	make_templates(t, EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX + 1, 0);
	memset(label, 'x', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, label, NULL, t, 1, &id));
	label[EGATE_STORE_LABEL_MAX] = '\0';
	EXPECT_EQ(0, egate_store_enrol(self->store, ACTOR, label, NULL, t, 1, &id));
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "", NULL, t, 1, &id));
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "tab\there", NULL, t, 1, &id));
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "x", "2026-02-29", t, 1, &id));
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "x", "2026-1-01", t, 1, &id));
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "x", "2026-01-01x", t, 1, &id));
	EXPECT_EQ(0, egate_store_enrol(self->store, ACTOR, "x", "2028-02-29", t, 1, &id));
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "x", NULL, t, 0, &id));
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "x", NULL, t,
					     EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX + 1, &id));
	EXPECT_EQ(0, egate_store_enrol(self->store, ACTOR, "full", NULL, t,
				       EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX, &id));
	EXPECT_EQ(-E2BIG, egate_store_add_templates(self->store, ACTOR, id, t, 1));
	t[5] = NAN;
	EXPECT_EQ(-EINVAL, egate_store_enrol(self->store, ACTOR, "x", NULL, t, 1, &id));
	EXPECT_EQ(3, raw_count(self->path, "SELECT count(*) FROM travellers"));
}

/* The gallery as read in batches, put back together (up to 4 templates). */
struct gathered {
	size_t n;
	int64_t ids[4];
	float t[4 * EGATE_TEMPLATE_DIM];
};

static int gather(const struct egate_gallery_batch *b, void *userdata)
{
	struct gathered *g = userdata;

	if (b->first != g->n || !b->n)
		return -EPROTO;
	for (size_t i = 0; i < b->n; i++, g->n++)
		if (g->n < 4) {
			g->ids[g->n] = b->traveller_ids[i];
			memcpy(g->t + g->n * EGATE_TEMPLATE_DIM, b->templates + i * EGATE_TEMPLATE_DIM,
			       EGATE_TEMPLATE_DIM * sizeof(float));
		}
	return 0;
}

TEST_F(store, load_skips_expired_travellers)
{
	float t[2 * EGATE_TEMPLATE_DIM], u[EGATE_TEMPLATE_DIM];
	struct gathered g = { 0 };
	int64_t never, today, gone;
	/* 2030-06-15 12:00 UTC */
	time_t now = 1907755200;

	make_templates(t, 2, 10);
	make_templates(u, 1, 20);
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "never", NULL, t, 2, &never));
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "gone", "2030-06-14", u, 1, &gone));
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "today", "2030-06-15", u, 1, &today));

	ASSERT_EQ(0, egate_store_read_gallery(self->store, now, gather, &g));
	ASSERT_EQ(3, g.n);
	EXPECT_EQ(never, g.ids[0]);
	EXPECT_EQ(never, g.ids[1]);
	EXPECT_EQ(today, g.ids[2]);
	EXPECT_EQ(0, memcmp(t, g.t, sizeof(t)));
	EXPECT_EQ(0, memcmp(u, g.t + 2 * EGATE_TEMPLATE_DIM, sizeof(u)));

	g.n = 0;
	ASSERT_EQ(0, egate_store_read_gallery(self->store, now - 86400, gather, &g));
	EXPECT_EQ(4, g.n);
	ASSERT_EQ(0, egate_store_delete_traveller(self->store, ACTOR, never));
	ASSERT_EQ(0, egate_store_delete_traveller(self->store, ACTOR, today));
	g.n = 0;
	ASSERT_EQ(0, egate_store_read_gallery(self->store, now, gather, &g));
	EXPECT_EQ(0, g.n);
}

TEST_F(store, gallery_version_follows_changes)
{
	float t[EGATE_TEMPLATE_DIM];
	uint64_t v0, v1, v2, v3;
	int64_t id;

	make_templates(t, 1, 0);
	ASSERT_EQ(0, egate_store_gallery_version(self->store, &v0));
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "a", NULL, t, 1, &id));
	ASSERT_EQ(0, egate_store_gallery_version(self->store, &v1));
	EXPECT_NE(v0, v1);
	ASSERT_EQ(0, egate_store_add_templates(self->store, ACTOR, id, t, 1));
	ASSERT_EQ(0, egate_store_gallery_version(self->store, &v2));
	EXPECT_NE(v1, v2);
	ASSERT_EQ(0, egate_store_delete_traveller(self->store, ACTOR, id));
	ASSERT_EQ(0, egate_store_gallery_version(self->store, &v3));
	EXPECT_NE(v2, v3);
}

struct audit_seen {
	int n;
	struct egate_audit_record r[8];
	char detail[8][128];
};

static int collect_audit(const struct egate_audit_record *r, void *userdata)
{
	struct audit_seen *s = userdata;

	if (s->n == 8)
		return -E2BIG;
	s->r[s->n] = *r;
	snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", r->detail ?: r->document_id ?: "");
	/* not valid after the callback */
	s->r[s->n].lane = s->r[s->n].detail = s->r[s->n].document_id = NULL;
	s->n++;
	return 0;
}

TEST_F(store, audit_append_and_read)
{
	struct egate_audit_record d = {
		.kind = EGATE_AUDIT_DECISION, .time_us = 1000, .lane = "lane-1",
		.traveller_id = 7, .score = 0.31, .margin = 0.12, .quality = NAN,
		.decision = EGATE_DECISION_ADMIT,
	};
	struct egate_audit_record p = {
		.kind = EGATE_AUDIT_PASSAGE, .lane = "lane-1", .traveller_id = 7,
		.outcome = EGATE_OUTCOME_TAILGATING,
	};
	struct audit_seen seen = {};
	int64_t id_d, id_p;

	ASSERT_EQ(0, egate_store_audit_append(self->store, &d, &id_d));
	p.decision_id = id_d;
	ASSERT_EQ(0, egate_store_audit_append(self->store, &p, &id_p));
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, collect_audit, &seen));
	ASSERT_EQ(2, seen.n);
	EXPECT_EQ(id_d, seen.r[0].id);
	EXPECT_EQ(EGATE_AUDIT_DECISION, seen.r[0].kind);
	EXPECT_EQ(1000, seen.r[0].time_us);
	EXPECT_EQ(7, seen.r[0].traveller_id);
	EXPECT_EQ(0.31, seen.r[0].score);
	EXPECT_TRUE(isnan(seen.r[0].quality));
	EXPECT_EQ(EGATE_DECISION_ADMIT, seen.r[0].decision);
	EXPECT_EQ(EGATE_AUDIT_PASSAGE, seen.r[1].kind);
	EXPECT_EQ(EGATE_OUTCOME_TAILGATING, seen.r[1].outcome);
	EXPECT_EQ(id_d, seen.r[1].decision_id);
	EXPECT_LT(0, seen.r[1].time_us);

	seen.n = 0;
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, id_d, collect_audit, &seen));
	EXPECT_EQ(1, seen.n);

	/* Unknown traveller: stored as NULL, read back as 0; no candidate: NULL too. */
	d.traveller_id = 0;
	d.decision = EGATE_DECISION_DENY;
	ASSERT_EQ(0, egate_store_audit_append(self->store, &d, NULL));
	EXPECT_EQ(1, raw_count(self->path, "SELECT count(*) FROM audit WHERE traveller_id IS NULL"
					   " AND candidate_id IS NULL AND candidate_distance IS NULL"));

	/* A denied stranger with the nearest enrolled traveller as candidate. */
	d.candidate_id = 7;
	d.candidate_distance = 0.61;
	d.score = NAN;
	ASSERT_EQ(0, egate_store_audit_append(self->store, &d, &id_d));
	seen.n = 0;
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, id_d - 1, collect_audit, &seen));
	ASSERT_EQ(1, seen.n);
	EXPECT_EQ(0, seen.r[0].traveller_id);
	EXPECT_EQ(7, seen.r[0].candidate_id);
	EXPECT_EQ(0.61, seen.r[0].candidate_distance);
	EXPECT_TRUE(isnan(seen.r[0].score));
	EXPECT_EQ(1, raw_count(self->path, "SELECT count(*) FROM audit WHERE candidate_id = 7"
					   " AND traveller_id IS NULL"));

	/* 1:1: the document compared with, and no candidate from the gallery */
	d.candidate_id = 0;
	d.score = 0.44;
	d.decision = EGATE_DECISION_ADMIT;
	d.document_id = "P1234567";
	ASSERT_EQ(0, egate_store_audit_append(self->store, &d, &id_d));
	seen.n = 0;
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, id_d - 1, collect_audit, &seen));
	ASSERT_EQ(1, seen.n);
	EXPECT_STREQ("P1234567", seen.detail[0]);	/* collect_audit keeps it there */
	EXPECT_EQ(0, seen.r[0].traveller_id);
	EXPECT_EQ(1, raw_count(self->path, "SELECT count(*) FROM audit WHERE document_id = 'P1234567'"));
}

TEST_F(store, audit_bounds)
{
	struct egate_audit_record r = {
		.kind = EGATE_AUDIT_DECISION, .lane = "0123456789012345678901234567890123456789"
		"012345678901234567890123", .decision = EGATE_DECISION_DENY,
	};
	char msg[256];

	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));	/* 64 bytes */
	r.lane = "";
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.lane = "lane";
	r.decision = EGATE_DECISION_COUNT;
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.decision = EGATE_DECISION_DENY;
	r.score = INFINITY;
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.score = 0;
	r.kind = EGATE_AUDIT_PURGE;
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.kind = EGATE_AUDIT_DECISION;
	r.candidate_id = -1;
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.candidate_id = 3;
	r.candidate_distance = NAN;		/* a candidate has a distance */
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.candidate_distance = 0.7;
	r.document_id = "";			/* 1..63 bytes, or NULL */
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.document_id = "0123456789012345678901234567890123456789012345678901234567890123";
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.document_id = NULL;
	r.kind = EGATE_AUDIT_PASSAGE;		/* only decisions have candidates */
	r.outcome = EGATE_OUTCOME_PASSED;
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	r.candidate_id = 0;
	r.outcome = EGATE_OUTCOME_COUNT;
	EXPECT_EQ(-EINVAL, egate_store_audit_append(self->store, &r, NULL));
	EXPECT_EQ(0, raw_count(self->path, "SELECT count(*) FROM audit"));
	/* and the schema holds plain SQL to the same */
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "INSERT INTO audit (kind, time_us, lane, outcome,"
				     " candidate_id) VALUES ('passage', 1, 'l', 'passed', 3)",
				     msg, sizeof(msg)));
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "INSERT INTO audit (kind, time_us, lane, decision,"
				     " candidate_distance) VALUES ('decision', 1, 'l', 'deny', 0.5)",
				     msg, sizeof(msg)));
}

/* Every name the program writes is one the schema's CHECKs accept. */
TEST_F(store, audit_every_decision_and_outcome)
{
	struct egate_audit_record r = { .lane = "lane" };

	r.kind = EGATE_AUDIT_DECISION;
	for (r.decision = 0; r.decision < EGATE_DECISION_COUNT; r.decision++)
		EXPECT_EQ(0, egate_store_audit_append(self->store, &r, NULL))
			TH_LOG("%s", egate_decision_name(r.decision));
	r.kind = EGATE_AUDIT_PASSAGE;
	for (r.outcome = 0; r.outcome < EGATE_OUTCOME_COUNT; r.outcome++)
		EXPECT_EQ(0, egate_store_audit_append(self->store, &r, NULL))
			TH_LOG("%s", egate_passage_outcome_name(r.outcome));
}

TEST_F(store, audit_is_append_only)
{
	struct egate_audit_record r = {
		.kind = EGATE_AUDIT_DECISION, .time_us = 1, .lane = "lane",
		.decision = EGATE_DECISION_ADMIT,
	};
	char msg[256];

	ASSERT_EQ(0, egate_store_audit_append(self->store, &r, NULL));
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "UPDATE audit SET decision = 'deny'", msg,
				     sizeof(msg)));
	EXPECT_STREQ("the audit log is append-only", msg);
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "DELETE FROM audit", msg, sizeof(msg)));
	EXPECT_STREQ("the audit log is append-only (records leave it only through the retention purge)",
		     msg);
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "DELETE FROM audit WHERE time_us < 1000", msg,
				     sizeof(msg)));
	EXPECT_EQ(1, raw_count(self->path, "SELECT count(*) FROM audit WHERE decision = 'admit'"));
}

TEST_F(store, retention_purge_is_logged)
{
	int64_t now = 2000000000LL * 1000000;
	struct egate_audit_record r = {
		.kind = EGATE_AUDIT_PASSAGE, .lane = "lane", .outcome = EGATE_OUTCOME_PASSED,
	};
	struct audit_seen seen = {};
	uint64_t deleted;
	char msg[256];

	for (int age_days = 100; age_days >= 0; age_days -= 20) {	/* 100, 80 .. 0 */
		r.time_us = now - age_days * DAY_US;
		ASSERT_EQ(0, egate_store_audit_append(self->store, &r, NULL));
	}
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 50, now, &deleted, NULL));
	EXPECT_EQ(3, deleted);	/* 100, 80 and 60 days old */
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, collect_audit, &seen));
	ASSERT_EQ(4, seen.n);
	EXPECT_EQ(now - 40 * DAY_US, seen.r[0].time_us);
	EXPECT_EQ(EGATE_AUDIT_PURGE, seen.r[3].kind);
	EXPECT_EQ(now, seen.r[3].time_us);
	EXPECT_NE(NULL, strstr(seen.detail[3], "retention 50 days: deleted 3 records"));

	/* The window closed with the purge; purge records stay for good. */
	EXPECT_EQ(0, raw_count(self->path, "SELECT count(*) FROM audit_purge_window"));
	EXPECT_NE(SQLITE_OK, raw_sql(self->path, "DELETE FROM audit", msg, sizeof(msg)));
	/*
	 * A clock 400 days ahead: the newest record (0 days old) is the
	 * latest time to be trusted, so only those older than it by the
	 * retention go (40 and 20 days old), and it stays.
	 */
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 1, now + 400 * DAY_US, &deleted, NULL));
	EXPECT_EQ(2, deleted);
	EXPECT_EQ(2, raw_count(self->path, "SELECT count(*) FROM audit WHERE kind = 'purge'"));
	EXPECT_EQ(1, raw_count(self->path, "SELECT count(*) FROM audit WHERE kind = 'passage'"));
	/* the agent purges hourly: a purge with nothing to delete leaves no record */
	ASSERT_EQ(0, egate_store_audit_purge(self->store, 1, now + 400 * DAY_US, &deleted, NULL));
	EXPECT_EQ(0, deleted);
	EXPECT_EQ(3, raw_count(self->path, "SELECT count(*) FROM audit"));
	EXPECT_EQ(-EINVAL, egate_store_audit_purge(self->store, 0, now, &deleted, NULL));
}

/* Open must refuse path and leave it byte for byte as it was. */
static void expect_refused(struct __test_metadata *_metadata, const char *path,
			   int expected, const char *message)
{
	unsigned long long before = test_file_hash(path);
	struct egate_store *s = NULL;
	char err[256] = "";

	EXPECT_EQ(expected, egate_store_open(path, OPTIONS(EGATE_STORE_CREATE, 100), &s, err, sizeof(err)));
	EXPECT_EQ(NULL, s);
	EXPECT_NE(NULL, strstr(err, message)) TH_LOG("message: %s", err);
	EXPECT_EQ(before, test_file_hash(path));
}

TEST_F(store, garbage_file_is_refused_untouched)
{
	char path[PATH_MAX], text[8192];

	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)('a' + (i * 7919) % 26);
	text[sizeof(text) - 1] = '\0';
	ASSERT_EQ(0, test_file_write(self->dir, "garbage.db", text, path));
	expect_refused(_metadata, path, -EBADMSG, "garbage.db: cannot read the database: file is not a database");
}

TEST_F(store, damaged_pages_are_refused_untouched)
{
	float t[4 * EGATE_TEMPLATE_DIM];
	char junk[1024];
	FILE *f;

	make_templates(t, 4, 0);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "traveller", NULL, t, 4, NULL));
	egate_store_close(self->store);	/* checkpoints: all in the main file */
	self->store = NULL;

	memset(junk, 0x5a, sizeof(junk));
	f = fopen(self->path, "r+e");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fseek(f, 40 * 4096 + 100, SEEK_SET));
	ASSERT_EQ(1, fwrite(junk, sizeof(junk), 1, f));
	ASSERT_EQ(0, fclose(f));
	expect_refused(_metadata, self->path, -EBADMSG, "egate.db: the database is corrupt:");
}

TEST_F(store, foreign_database_is_refused)
{
	char path[PATH_MAX + 16], msg[128];

	snprintf(path, sizeof(path), "%s/other.db", self->dir);
	ASSERT_EQ(SQLITE_OK, raw_sql(path, "CREATE TABLE photos (x)", msg, sizeof(msg)));
	expect_refused(_metadata, path, -EMEDIUMTYPE, "other.db: not an egate database");
}

TEST_F(store, newer_schema_is_refused)
{
	char msg[128];

	egate_store_close(self->store);
	self->store = NULL;
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path, "PRAGMA user_version = 99", msg, sizeof(msg)));
	expect_refused(_metadata, self->path, -EPROTONOSUPPORT,
		       "schema version 99 is newer than this program's");
}

TEST_F(store, empty_file_is_migrated)
{
	struct egate_store *s = NULL;
	char path[PATH_MAX];

	ASSERT_EQ(0, test_file_write(self->dir, "empty.db", "", path));
	ASSERT_EQ(0, egate_store_open(path, OPTIONS(0, 100), &s, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
	egate_store_close(s);
	EXPECT_EQ(egate_store_schema_version(), raw_count(path, "PRAGMA user_version"));
}

/*
 * A database as version 1 left it (tests/agent/data/store-v1.sql) is brought
 * up to date on open: its records intact, the new columns empty, the
 * triggers still holding, and the new fields written and read.
 */
TEST_F(store, version_1_is_migrated)
{
	struct egate_audit_record deny = {
		.kind = EGATE_AUDIT_DECISION, .lane = "lane-1", .score = NAN, .margin = NAN,
		.quality = NAN, .decision = EGATE_DECISION_DENY, .candidate_id = 1,
		.candidate_distance = 0.66,
	};
	struct egate_audit_verify_result result;
	char path[PATH_MAX + 16], msg[256];
	struct audit_seen seen = {};
	struct egate_store *s = NULL;

	snprintf(path, sizeof(path), "%s/v1.db", self->dir);
	ASSERT_EQ(SQLITE_OK, raw_sql_file(path, TEST_DATA_DIR "/store-v1.sql", msg, sizeof(msg)))
		TH_LOG("%s", msg);
	ASSERT_EQ(1, raw_count(path, "PRAGMA user_version"));

	ASSERT_EQ(0, egate_store_open(path, OPTIONS(0, 100), &s, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
	EXPECT_EQ(egate_store_schema_version(), raw_count(path, "PRAGMA user_version"));
	EXPECT_EQ(5, egate_store_schema_version());
	ASSERT_EQ(0, egate_store_audit_foreach(s, 0, collect_audit, &seen));
	ASSERT_EQ(3, seen.n);
	EXPECT_EQ(EGATE_DECISION_ADMIT, seen.r[0].decision);
	EXPECT_EQ(1, seen.r[0].traveller_id);
	EXPECT_EQ(0.42, seen.r[0].score);
	EXPECT_EQ(EGATE_OUTCOME_PASSED, seen.r[1].outcome);
	EXPECT_EQ(1, seen.r[1].decision_id);
	/* an old deny keeps what it said: history is not rewritten */
	EXPECT_EQ(EGATE_DECISION_DENY, seen.r[2].decision);
	EXPECT_EQ(1, seen.r[2].traveller_id);
	EXPECT_EQ(0, seen.r[2].candidate_id);
	EXPECT_TRUE(isnan(seen.r[2].candidate_distance));

	ASSERT_EQ(0, egate_store_audit_append(s, &deny, NULL));
	seen.n = 0;
	ASSERT_EQ(0, egate_store_audit_foreach(s, 3, collect_audit, &seen));
	ASSERT_EQ(1, seen.n);
	EXPECT_EQ(4, seen.r[0].id);	/* AUTOINCREMENT carried on */
	EXPECT_EQ(0, seen.r[0].traveller_id);
	EXPECT_EQ(1, seen.r[0].candidate_id);
	EXPECT_EQ(0.66, seen.r[0].candidate_distance);
	/* Version 3 chained the old records, in order, and the new one after them. */
	ASSERT_EQ(0, egate_store_audit_verify(s, &(struct egate_audit_verify_options){ 0 },
					      &result));
	EXPECT_EQ(EGATE_AUDIT_OK, result.problem) TH_LOG("%s", result.message);
	EXPECT_EQ(4, result.records);
	EXPECT_EQ(4, result.head_id);
	egate_store_close(s);

	EXPECT_NE(SQLITE_OK, raw_sql(path, "UPDATE audit SET candidate_id = 2", msg, sizeof(msg)));
	EXPECT_STREQ("the audit log is append-only", msg);
	EXPECT_NE(SQLITE_OK, raw_sql(path, "DELETE FROM audit", msg, sizeof(msg)));
	EXPECT_EQ(4, raw_count(path, "SELECT count(*) FROM audit"));
	EXPECT_EQ(1, raw_count(path, "SELECT count(*) FROM travellers WHERE label = 'alice'"));
}

/* Another process holding the write lock: waited for, then -EBUSY. */
TEST_F(store, busy_timeout)
{
	float t[EGATE_TEMPLATE_DIM];
	struct egate_store *impatient;
	struct timespec start, end;
	sqlite3 *other;
	long waited_ms;

	make_templates(t, 1, 0);
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(0, 200), &impatient, NULL, 0));
	ASSERT_EQ(SQLITE_OK, sqlite3_open(self->path, &other));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL));
	clock_gettime(CLOCK_MONOTONIC, &start);
	EXPECT_EQ(-EBUSY, egate_store_enrol(impatient, ACTOR, "x", NULL, t, 1, NULL));
	clock_gettime(CLOCK_MONOTONIC, &end);
	waited_ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
	EXPECT_LE(150, waited_ms);
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(other, "COMMIT", NULL, NULL, NULL));
	EXPECT_EQ(0, egate_store_enrol(impatient, ACTOR, "x", NULL, t, 1, NULL));
	sqlite3_close(other);
	egate_store_close(impatient);
}

/*
 * A writer enrolling and auditing in a loop is killed with SIGKILL at a
 * random moment, repeatedly; every reopen must find a sound database in
 * which each enrolment is whole (all its templates or none).
 */
TEST_F(store, writer_killed_mid_transaction)
{
	enum { TEMPLATES = 8, ROUNDS = 12 };
	float t[TEMPLATES * EGATE_TEMPLATE_DIM];
	struct egate_audit_record r = {
		.kind = EGATE_AUDIT_DECISION, .lane = "lane", .decision = EGATE_DECISION_ADMIT,
	};

	make_templates(t, TEMPLATES, 0);
	egate_store_close(self->store);
	self->store = NULL;
	srand((unsigned int)time(NULL));

	for (int round = 0; round < ROUNDS; round++) {
		int pipefd[2], status;
		char ready;
		pid_t pid;

		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct egate_store *s;

			close(pipefd[0]);
			if (egate_store_open(self->path, OPTIONS(0, 1000), &s, NULL, 0) < 0)
				_exit(1);
			for (int i = 0;; i++) {
				if (egate_store_enrol(s, ACTOR, "w", NULL, t, TEMPLATES, NULL) < 0 ||
				    egate_store_audit_append(s, &r, NULL) < 0)
					_exit(2);
				if (i == 0 && write(pipefd[1], "!", 1) != 1)
					_exit(3);
			}
		}
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &ready, 1));
		close(pipefd[0]);
		usleep((useconds_t)(rand() % 20000));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("writer exited with %d", WEXITSTATUS(status));

		ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(0, 1000), &self->store, self->err,
					      sizeof(self->err))) TH_LOG("%s", self->err);
		struct gathered g = { 0 };

		ASSERT_EQ(0, egate_store_read_gallery(self->store, time(NULL), gather, &g));
		EXPECT_EQ(0, g.n % TEMPLATES);
		EXPECT_EQ(0, raw_count(self->path, "SELECT count(*) FROM (SELECT traveller_id"
				       " FROM templates GROUP BY 1 HAVING count(*) != 8)"));
		egate_store_close(self->store);
		self->store = NULL;
	}
	EXPECT_LT(ROUNDS, raw_count(self->path, "SELECT count(*) FROM travellers"));
}

TEST_HARNESS_MAIN
