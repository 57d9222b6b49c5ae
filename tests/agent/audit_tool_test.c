// SPDX-License-Identifier: GPL-2.0
/*
 * audit_tool_test - egate-audit as an auditor and a script run it: keygen
 * makes the lane key the store signs checkpoints with, verify says "ok"
 * (or the first problem and its record id) with the exit status scripts
 * test, in text and JSON, export gives every record with the hash the
 * chain holds, in JSON lines and CSV.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <sodium.h>

#include "agent-run.h"
#include "egate-reference.h"
#include "egate-store.h"
#include "test-sql.h"
#include "kselftest_harness.h"

#define T0_US (2000000000LL * 1000000)

FIXTURE(tool) {
	struct agent_env env;
	char out[PATH_MAX];
	char key[PATH_MAX];
	char pub[EGATE_REFERENCE_KEY_HEX + 1];
	char text[65536];
	struct egate_audit_checkpoint cp;
};

/* The public key, in a file of its own: its path into path. */
static int test_write_key(FIXTURE_DATA(tool) *self, char path[PATH_MAX])
{
	FILE *f;

	snprintf(path, PATH_MAX, "%s/audit.pub", self->env.dir);
	f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "%s\n", self->pub);
	return fclose(f) ? -errno : 0;
}

static int run(FIXTURE_DATA(tool) *self, const char *const *args)
{
	FILE *f;
	size_t n = 0;
	int r = agent_tool_output(&self->env, "egate-audit", false, args, self->out);

	f = fopen(self->out, "re");
	if (f) {
		n = fread(self->text, 1, sizeof(self->text) - 1, f);
		fclose(f);
	}
	self->text[n] = '\0';
	return r;
}

FIXTURE_SETUP(tool)
{
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_DECISION, .lane = "lane-1", .score = 0.3, .margin = NAN,
		.quality = NAN, .decision = EGATE_DECISION_ADMIT, .traveller_id = 2,
	};
	uint8_t sk[EGATE_REFERENCE_SECRET_SIZE];
	struct egate_store *s = NULL;
	char err[256];

	if (agent_env_init(&self->env) < 0)
		SKIP(return, "no face models (make deps)");
	snprintf(self->out, sizeof(self->out), "%s/stdout", self->env.dir);
	snprintf(self->key, sizeof(self->key), "%s/audit.key", self->env.dir);
	ASSERT_EQ(0, run(self, (const char *[]) { "--key", self->key, "keygen", NULL }));
	ASSERT_EQ(EGATE_REFERENCE_KEY_HEX + 1, strlen(self->text));
	snprintf(self->pub, sizeof(self->pub), "%.*s", EGATE_REFERENCE_KEY_HEX, self->text);
	ASSERT_EQ(0, egate_reference_secret_load(self->key, sk, err, sizeof(err))) TH_LOG("%s", err);

	ASSERT_EQ(0, egate_store_open(self->env.db, &(struct egate_store_options){
		.flags = EGATE_STORE_CREATE, .busy_timeout_ms = 1000 }, &s, err, sizeof(err)));
	for (int i = 0; i < 6; i++) {
		rec.time_us = T0_US + i;
		ASSERT_EQ(0, egate_store_audit_append(s, &rec, NULL));
	}
	ASSERT_EQ(1, egate_store_audit_checkpoint(s, sk, 0, 0, T0_US + 100, &self->cp));
	ASSERT_EQ(0, egate_store_audit_append(s, &(struct egate_audit_record){
		.kind = EGATE_AUDIT_GALLERY, .lane = "lane-1", .time_us = T0_US + 200,
		.actor_uid = 1000, .action = "delete", .traveller_id = 2,
		.reason = "asked, \"in writing\"" }, NULL));
	egate_store_close(s);
}

FIXTURE_TEARDOWN(tool)
{
	agent_env_cleanup(&self->env);
}

TEST_F(tool, verify_says_ok_and_where_it_breaks)
{
	char published[128], hash[2 * EGATE_AUDIT_HASH_SIZE + 1], pub_file[PATH_MAX];
	struct json_object *j, *v;

	EXPECT_EQ(0, run(self, (const char *[]) { "--db", self->env.db, "--key", self->pub,
						 "verify", NULL }));
	EXPECT_NE(NULL, strstr(self->text, "ok: 8 records, 1..8")) TH_LOG("%s", self->text);
	/* The key from a file, the checkpoint as the journal published it. */
	sodium_bin2hex(hash, sizeof(hash), self->cp.hash, sizeof(self->cp.hash));
	snprintf(published, sizeof(published), "%lld:%s", (long long)self->cp.id, hash);
	ASSERT_EQ(0, test_write_key(self, pub_file));
	EXPECT_EQ(0, run(self, (const char *[]) { "--db", self->env.db, "--key", pub_file,
						 "--published", published, "verify", NULL }));

	ASSERT_EQ(0, raw_sql(self->env.db, "DROP TRIGGER audit_no_delete;"
			     " DELETE FROM audit WHERE id = 4", self->text, sizeof(self->text)));
	EXPECT_EQ(1, run(self, (const char *[]) { "--db", self->env.db, "verify", NULL }));
	EXPECT_NE(NULL, strstr(self->text, "missing-range at record 5")) TH_LOG("%s", self->text);
	EXPECT_EQ(1, run(self, (const char *[]) { "--db", self->env.db, "--json", "verify", NULL }));
	j = json_tokener_parse(self->text);
	ASSERT_NE(NULL, j) TH_LOG("%s", self->text);
	ASSERT_TRUE(json_object_object_get_ex(j, "status", &v));
	EXPECT_STREQ("missing-range", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(j, "record_id", &v));
	EXPECT_EQ(5, json_object_get_int64(v));
	ASSERT_TRUE(json_object_object_get_ex(j, "missing_first", &v));
	EXPECT_EQ(4, json_object_get_int64(v));
	json_object_put(j);
}

TEST_F(tool, bad_input_has_its_own_exit_status)
{
	EXPECT_EQ(2, run(self, (const char *[]) { "--db", self->env.db, "--since", "yesterday",
						 "verify", NULL }));
	EXPECT_EQ(2, run(self, (const char *[]) { "--db", self->env.db, "--since", "2030-01-01",
						 "verify", NULL }));	/* without --key */
	EXPECT_EQ(2, run(self, (const char *[]) { "--db", self->env.db, "--published", "7:zz",
						 "verify", NULL }));
	EXPECT_EQ(2, run(self, (const char *[]) { "--db", self->env.db, "frobnicate", NULL }));
	EXPECT_EQ(3, run(self, (const char *[]) { "--db", "/nonexistent/egate.db", "verify", NULL }));
	EXPECT_EQ(3, run(self, (const char *[]) { "--db", self->env.db, "--key", "/nonexistent",
						 "verify", NULL }));
}

/* Every exported line carries the hash the chain holds for its record. */
static int check_hash(const struct egate_audit_record *r, void *userdata)
{
	const char *text = userdata;
	char hash[2 * EGATE_AUDIT_HASH_SIZE + 1];

	sodium_bin2hex(hash, sizeof(hash), r->hash, EGATE_AUDIT_HASH_SIZE);
	return strstr(text, hash) ? 0 : -ENOENT;
}

TEST_F(tool, export_gives_each_record_its_hash)
{
	struct egate_store *s = NULL;
	struct json_object *j, *v;
	char err[256], *line;
	int lines = 0;

	ASSERT_EQ(0, run(self, (const char *[]) { "--db", self->env.db, "export", NULL }));
	ASSERT_EQ(0, egate_store_open(self->env.db, &(struct egate_store_options){
		.flags = EGATE_STORE_READ_ONLY }, &s, err, sizeof(err)));
	EXPECT_EQ(0, egate_store_audit_foreach(s, 0, check_hash, self->text));
	for (line = strtok(self->text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
		j = json_tokener_parse(line);
		ASSERT_NE(NULL, j) TH_LOG("%s", line);
		ASSERT_TRUE(json_object_object_get_ex(j, "hash", &v));
		EXPECT_EQ(64, strlen(json_object_get_string(v)));
		if (lines == 7) {
			ASSERT_TRUE(json_object_object_get_ex(j, "reason", &v));
			EXPECT_STREQ("asked, \"in writing\"", json_object_get_string(v));
			ASSERT_TRUE(json_object_object_get_ex(j, "actor_uid", &v));
			EXPECT_EQ(1000, json_object_get_int64(v));
		}
		json_object_put(j);
	}
	EXPECT_EQ(8, lines);

	ASSERT_EQ(0, run(self, (const char *[]) { "--db", self->env.db, "--format", "csv",
						 "--since", "@2000000000", "export", NULL }));
	EXPECT_EQ(0, egate_store_audit_foreach(s, 0, check_hash, self->text));
	EXPECT_EQ(0, strncmp(self->text, "id,kind,time_us,", 16));
	EXPECT_NE(NULL, strstr(self->text, ",\"asked, \"\"in writing\"\"\",")) TH_LOG("%s", self->text);
	/* --since: none of these records is from 2040 on */
	ASSERT_EQ(0, run(self, (const char *[]) { "--db", self->env.db, "--since", "2040-01-01",
						 "export", NULL }));
	EXPECT_STREQ("", self->text);
	egate_store_close(s);
}

TEST_HARNESS_MAIN
