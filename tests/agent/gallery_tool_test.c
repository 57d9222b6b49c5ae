// SPDX-License-Identifier: GPL-2.0
/*
 * gallery_tool_test - egate-gallery as the enrolment officer, the auditor
 * and an integrator run it: no database is made unless --create asks
 * (a mistyped --db makes nothing); the auditor reads a read-only copy as
 * another user, leaving it byte for byte; keygen makes a reader's key
 * pair and reference signs with it what the agent's key list accepts.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "agent-run.h"
#include "egate-reference.h"
#include "test-files.h"
#include "kselftest_harness.h"

#define PHOTO "sample2.jpg"	/* one face */

FIXTURE(tool) {
	struct agent_env env;
	char photo[PATH_MAX];
	char out[PATH_MAX];	/* the tool's standard output */
};

FIXTURE_SETUP(tool)
{
	if (agent_env_init(&self->env) < 0)
		SKIP(return, "no face models (make deps)");
	agent_photo(&self->env, PHOTO, self->photo);
	snprintf(self->out, sizeof(self->out), "%s/stdout", self->env.dir);
}

FIXTURE_TEARDOWN(tool)
{
	agent_env_cleanup(&self->env);
}

/* Runs bin/egate-gallery args (as nobody if asked and root), stdout into self->out. */
static int run(FIXTURE_DATA(tool) *self, bool as_nobody, const char *const *args)
{
	return agent_tool_output(&self->env, "egate-gallery", as_nobody, args, self->out);
}

TEST_F(tool, no_database_without_create)
{
	struct stat st;

	EXPECT_EQ(1, run(self, false, (const char *[]) { "--db", self->env.db, "list", NULL }));
	EXPECT_EQ(1, run(self, false, (const char *[]) { "--db", self->env.db, "audit", NULL }));
	EXPECT_EQ(1, run(self, false, (const char *[]) {
		"--db", self->env.db, "--models", self->env.models, "enrol", "alice", self->photo,
		NULL }));
	EXPECT_NE(0, access(self->env.db, F_OK));
	ASSERT_EQ(0, run(self, false, (const char *[]) {
		"--db", self->env.db, "--create", "--models", self->env.models, "enrol", "alice",
		self->photo, NULL }));
	ASSERT_EQ(0, stat(self->env.db, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	/* --create on a database that is there: enrolled into it */
	ASSERT_EQ(0, run(self, false, (const char *[]) {
		"--db", self->env.db, "--create", "--models", self->env.models, "enrol", "bob",
		self->photo, NULL }));
	EXPECT_EQ(0, run(self, false, (const char *[]) { "--db", self->env.db, "list", NULL }));
}

TEST_F(tool, auditor_reads_a_read_only_copy)
{
	char dir[128], copy[160], cmd[1024];
	unsigned long long before;

	ASSERT_EQ(0, run(self, false, (const char *[]) {
		"--db", self->env.db, "--create", "--models", self->env.models, "enrol", "alice",
		self->photo, NULL }));
	snprintf(dir, sizeof(dir), "%s/media", self->env.dir);
	snprintf(copy, sizeof(copy), "%s/egate.db", dir);
	snprintf(cmd, sizeof(cmd), "mkdir '%s' && cp '%s' '%s' && chmod 0444 '%s' && chmod 0555"
		 " '%s' && chmod 0755 '%s'", dir, self->env.db, copy, copy, dir, self->env.dir);
	ASSERT_EQ(0, system(cmd));
	before = test_file_hash(copy);
	chmod(self->out, 0666);
	EXPECT_EQ(0, run(self, true, (const char *[]) { "--db", copy, "list", NULL }));
	EXPECT_EQ(1, test_file_contains(self->out, "alice", 5));
	EXPECT_EQ(0, run(self, true, (const char *[]) { "--db", copy, "audit", NULL }));
	EXPECT_EQ(before, test_file_hash(copy));
	/* a change needs write access: refused, nothing lost */
	EXPECT_EQ(1, run(self, true, (const char *[]) { "--db", copy, "--reason", "test", "delete",
							"1", NULL }));
	EXPECT_EQ(before, test_file_hash(copy));
	snprintf(cmd, sizeof(cmd), "chmod 0755 '%s'", dir);
	ASSERT_EQ(0, system(cmd));
}

/* Each change names the Unix user who made it and why, in the audit chain. */
TEST_F(tool, changes_are_recorded_with_who_and_why)
{
	char uid[32];

	ASSERT_EQ(0, run(self, false, (const char *[]) {
		"--db", self->env.db, "--create", "--models", self->env.models,
		"--reason", "enrolment desk 3", "enrol", "alice", self->photo, NULL }));
	/* A delete without a reason is refused, and deletes nothing. */
	EXPECT_EQ(1, run(self, false, (const char *[]) { "--db", self->env.db, "delete", "1",
							NULL }));
	EXPECT_EQ(0, run(self, false, (const char *[]) { "--db", self->env.db, "list", NULL }));
	EXPECT_EQ(1, test_file_contains(self->out, "alice", 5));
	ASSERT_EQ(0, run(self, false, (const char *[]) { "--db", self->env.db, "--reason",
							"withdrew consent", "delete", "1", NULL }));
	EXPECT_EQ(0, run(self, false, (const char *[]) { "--db", self->env.db, "audit", NULL }));
	snprintf(uid, sizeof(uid), "uid %u", (unsigned int)getuid());
	EXPECT_EQ(1, test_file_contains(self->out, "gallery enrol", 13));
	EXPECT_EQ(1, test_file_contains(self->out, "reason \"enrolment desk 3\"", 25));
	EXPECT_EQ(1, test_file_contains(self->out, "gallery delete", 14));
	EXPECT_EQ(1, test_file_contains(self->out, "reason \"withdrew consent\"", 25));
	EXPECT_EQ(1, test_file_contains(self->out, uid, strlen(uid)));
}

/* The agent's lane events are in the auditor's listing, with what the lane said. */
TEST_F(tool, audit_lists_lane_events)
{
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_LANE_EVENT, .lane = "egate0",
		.action = EGATE_AUDIT_LANE_OUT_OF_SERVICE, .detail = "camera gone",
		.score = NAN, .margin = NAN, .quality = NAN, .candidate_distance = NAN,
	};
	struct egate_store_options o = { .flags = EGATE_STORE_CREATE };
	struct egate_store *store = NULL;
	char err[256];

	ASSERT_EQ(0, egate_store_open(self->env.db, &o, &store, err, sizeof(err)));
	EXPECT_EQ(0, egate_store_audit_append(store, &rec, NULL));
	egate_store_close(store);
	EXPECT_EQ(0, run(self, false, (const char *[]) { "--db", self->env.db, "audit", NULL }));
	EXPECT_EQ(1, test_file_contains(self->out, "egate0 lane_event out_of_service (camera gone)",
					46));
}

TEST_F(tool, keygen_and_signed_reference)
{
	char key[PATH_MAX + 16], ref_path[PATH_MAX + 16], public_hex[EGATE_REFERENCE_KEY_HEX + 2];
	struct egate_reference_keys keys;
	struct egate_reference ref;
	char err[256];
	FILE *f;

	snprintf(key, sizeof(key), "%s/reader.key", self->env.dir);
	snprintf(ref_path, sizeof(ref_path), "%s/egate0.ref", self->env.dir);
	ASSERT_EQ(0, run(self, false, (const char *[]) { "keygen", "--out", key, NULL }));
	f = fopen(self->out, "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(public_hex, sizeof(public_hex), f));
	fclose(f);
	public_hex[strcspn(public_hex, "\n")] = '\0';
	ASSERT_EQ(0, egate_reference_keys_parse(public_hex, &keys, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(1, run(self, false, (const char *[]) { "keygen", "--out", key, NULL }));

	/* no key, no lane: no reference */
	EXPECT_EQ(1, run(self, false, (const char *[]) {
		"--models", self->env.models, "reference", self->photo, "--out", ref_path,
		"--lane", "egate0", NULL }));
	EXPECT_EQ(1, run(self, false, (const char *[]) {
		"--models", self->env.models, "reference", self->photo, "--out", ref_path,
		"--key", key, NULL }));
	EXPECT_NE(0, access(ref_path, F_OK));
	ASSERT_EQ(0, run(self, false, (const char *[]) {
		"--models", self->env.models, "reference", self->photo, "--out", ref_path,
		"--key", key, "--lane", "egate0", "--id", "P-123", "--valid", "30", NULL }));
	ASSERT_EQ(0, egate_reference_read(ref_path, &keys, &ref, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_STREQ("egate0", ref.lane);
	EXPECT_STREQ("P-123", ref.document_id);
	EXPECT_EQ(30 * 1000000LL, ref.not_after_us - ref.not_before_us);
}

TEST_HARNESS_MAIN
