// SPDX-License-Identifier: GPL-2.0
/*
 * vm_agent_test - egate-agent end to end, in the VM: the simulated lane
 * (egate + egate_sim), a vivid loopback camera fed frames cut from the face
 * models' demo photos, a gallery enrolled with egate-gallery, and the agent
 * as a separate process.  Checks what a border agency would: the enrolled
 * traveller is authorised and passes (audit records, driver counters), an
 * unknown face is denied and the enrolled traveller who steps in after it,
 * in continuous view, is admitted, two faces are not guessed at, a killed agent
 * leaves the lane safe, the camera can be unplugged and plugged back, a
 * camera stream in error is restarted without a restart of the agent, and
 * broken configuration, gallery or models stop the agent with a clear
 * error and the lane out of service.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "agent-run.h"
#include "egate-face.h"
#include "egate-reference.h"
#include "egate-store.h"
#include "egate_test.h"
#include "face-frame.h"
#include "vivid.h"
#include "kselftest_harness.h"

/* Emulated CPUs run the face engine some 10-30x slower than the host. */
#define DECISION_MS 120000
#define LANE_MS 15000
#define TEST_TIMEOUT_S 300

#define ENROLLED_PHOTO "sample2.jpg"	/* one face: the enrolled traveller */
#define UNKNOWN_PHOTO "sample3.jpg"	/* face 0: nobody enrolled */

struct audit_summary {
	int admit, deny, crowd, passed, other_passage;
	int64_t admit_traveller, admit_id, passage_decision;
	int64_t deny_traveller, deny_candidate;
	double deny_candidate_distance, admit_distance, deny_distance;
	char document[64];	/* of the last decision that named one */
};

static int summarise(const struct egate_audit_record *r, void *userdata)
{
	struct audit_summary *s = userdata;

	if (r->kind == EGATE_AUDIT_DECISION && r->document_id)
		snprintf(s->document, sizeof(s->document), "%s", r->document_id);
	if (r->kind == EGATE_AUDIT_DECISION && r->decision == EGATE_DECISION_ADMIT) {
		s->admit++;
		s->admit_distance = r->score;
		s->admit_traveller = r->traveller_id;
		s->admit_id = r->id;
	} else if (r->kind == EGATE_AUDIT_DECISION && r->decision == EGATE_DECISION_DENY) {
		s->deny++;
		s->deny_traveller = r->traveller_id;
		s->deny_candidate = r->candidate_id;
		s->deny_candidate_distance = r->candidate_distance;
		s->deny_distance = r->score;
	} else if (r->kind == EGATE_AUDIT_DECISION) {
		s->crowd++;
	} else if (r->kind == EGATE_AUDIT_PASSAGE && r->outcome == EGATE_OUTCOME_PASSED) {
		s->passed++;
		s->passage_decision = r->decision_id;
	} else if (r->kind == EGATE_AUDIT_PASSAGE) {
		s->other_passage++;
	}
	return 0;
}

/* The audit records summed up; -EBADMSG when their chain does not verify. */
static int audit_read(const struct agent_env *env, struct audit_summary *s)
{
	struct egate_audit_verify_result chain;
	struct egate_store *store;
	char err[256];
	int r;

	memset(s, 0, sizeof(*s));
	r = egate_store_open(env->db, &(struct egate_store_options){ .busy_timeout_ms = 5000 },
			     &store, err, sizeof(err));
	if (r < 0)
		return r;
	r = egate_store_audit_foreach(store, 0, summarise, s);
	if (r >= 0)
		r = egate_store_audit_verify(store, &(struct egate_audit_verify_options){ 0 },
					     &chain);
	if (r >= 0 && chain.problem != EGATE_AUDIT_OK) {
		fprintf(stderr, "# audit chain: %s\n", chain.message);
		r = -EBADMSG;
	}
	egate_store_close(store);
	return r;
}

static int wait_counter(const char *counter, long long value, int timeout_ms)
{
	long long end = eg_now_ms() + timeout_ms;

	do {
		if (eg_sysfs_num(counter) == value)
			return 0;
		eg_sleep_ms(50);
	} while (eg_now_ms() < end);
	return -ETIMEDOUT;
}

FIXTURE(agent) {
	struct agent_env env;
	struct egate_face_engine *engine;
	struct vivid_feeder *feeder;
	char capture[64], output[64];
	uint8_t frame[FACE_FRAME_BYTES];
	int64_t enrolled_id;
	pid_t agent;
	char reader_key[PATH_MAX];	/* the document reader's secret key */
	char keys_set[EGATE_REFERENCE_KEY_HEX + 32];	/* decision.reference_keys=... */
};

FIXTURE_SETUP(agent)
{
	char photo[PATH_MAX], id[32], public_hex[EGATE_REFERENCE_KEY_HEX + 1], err[256];
	FILE *f;

	self->agent = -1;
	ASSERT_EQ(0, agent_env_init(&self->env));
	/* 1:1 takes references signed by the document reader's key only */
	snprintf(self->reader_key, sizeof(self->reader_key), "%s/reader.key", self->env.dir);
	ASSERT_EQ(0, egate_reference_keygen(self->reader_key, public_hex, err, sizeof(err)))
		TH_LOG("%s", err);
	snprintf(self->keys_set, sizeof(self->keys_set), "decision.reference_keys=%s", public_hex);
	ASSERT_EQ(0, egate_face_engine_new(self->env.models, &self->engine, NULL, 0));
	ASSERT_EQ(0, eg_load("", ""));
	ASSERT_EQ(0, vivid_load(1));
	ASSERT_EQ(0, vivid_find_node(VIVID_CAPTURE_NAME, self->capture));
	ASSERT_EQ(0, vivid_find_node(VIVID_OUTPUT_NAME, self->output));
	ASSERT_EQ(0, vivid_connect(self->capture, self->output));
	face_frame_blank(self->frame);
	ASSERT_EQ(0, vivid_feeder_start(self->output, V4L2_PIX_FMT_RGB24, self->frame,
					&self->feeder));
	ASSERT_EQ(0, agent_tool(&self->env, "egate-gallery", (const char *[]) {
		"--db", self->env.db, "--create", "--models", self->env.models, "enrol", "alice",
		agent_photo(&self->env, ENROLLED_PHOTO, photo), NULL }));
	/* the tool printed the id into the log: the only enrolment */
	f = fopen(self->env.log, "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(id, sizeof(id), f));
	fclose(f);
	self->enrolled_id = strtoll(id, NULL, 10);
	ASSERT_LT(0, self->enrolled_id);
}

FIXTURE_TEARDOWN(agent)
{
	if (self->agent > 0)
		agent_stop(self->agent, SIGTERM);
	if (!_metadata->passed)
		agent_log_dump(&self->env);
	vivid_feeder_stop(self->feeder);
	vivid_unload();
	eg_unload();
	egate_face_engine_free(self->engine);
	agent_env_cleanup(&self->env);
}

static void show(FIXTURE_DATA(agent) *self, const char *photo, int face)
{
	char path[PATH_MAX];

	if (!photo)
		face_frame_blank(self->frame);
	else if (face_frame_one(self->engine, agent_photo(&self->env, photo, path), face,
				self->frame) < 0)
		abort();
	vivid_feeder_show(self->feeder, self->frame);
}

/* extra: one more --set (NULL: none); verify mode takes its references from env.dir */
static void start_agent_with(FIXTURE_DATA(agent) *self, struct __test_metadata *_metadata,
			     const char *extra)
{
	char refdir[PATH_MAX];

	/*
	 * Two agreeing frames, not three: a frame takes seconds under
	 * emulation, and policy_test checks the count itself.
	 */
	snprintf(refdir, sizeof(refdir), "decision.reference_dir=%s", self->env.dir);
	self->agent = agent_start(&self->env, (const char *[]) {
		"decision.unknown_timeout_s=4", "decision.frames=2", refdir, self->keys_set, extra,
		NULL });
	ASSERT_LT(0, self->agent);
	ASSERT_TRUE(agent_log_wait(&self->env, "controlling /dev/egate0", 1, 60000));
	ASSERT_TRUE(agent_log_wait(&self->env, "streaming", 1, 30000));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 5000));
}

static void start_agent(FIXTURE_DATA(agent) *self, struct __test_metadata *_metadata)
{
	start_agent_with(self, _metadata, NULL);
}

TEST_F_TIMEOUT(agent, enrolled_traveller_passes, TEST_TIMEOUT_S)
{
	struct audit_summary s;
	char metrics[4096] = "";
	FILE *f;

	start_agent(self, _metadata);
	show(self, ENROLLED_PHOTO, 0);
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	show(self, NULL, 0);	/* they step into the lane */
	ASSERT_EQ(0, eg_sim("walk speed=1500"));
	ASSERT_EQ(0, wait_counter("counters/passages", 1, LANE_MS));
	ASSERT_TRUE(agent_log_wait(&self->env, "completed", 1, LANE_MS));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", LANE_MS));
	/* its AUTH_END, before or after the completion, is known as its own */
	EXPECT_FALSE(agent_log_wait(&self->env, "not ours", 1, 0));
	EXPECT_EQ(0, eg_sysfs_num("counters/denied"));
	EXPECT_EQ(0, eg_sysfs_num("counters/tailgating"));

	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(1, s.admit);
	EXPECT_EQ(self->enrolled_id, s.admit_traveller);
	EXPECT_EQ(1, s.passed);
	EXPECT_EQ(s.admit_id, s.passage_decision);
	EXPECT_EQ(0, s.deny);

	/* the textfile is written on stop at the latest */
	EXPECT_EQ(0, agent_stop(self->agent, SIGTERM));
	self->agent = -1;
	f = fopen(self->env.metrics, "re");
	ASSERT_NE(NULL, f);
	metrics[fread(metrics, 1, sizeof(metrics) - 1, f)] = '\0';
	fclose(f);
	EXPECT_NE(NULL, strstr(metrics, "egate_decisions_total{lane=\"test-lane\",decision=\"admit\"} 1"));
	EXPECT_NE(NULL, strstr(metrics, "egate_passages_total{lane=\"test-lane\",outcome=\"completed\"} 1"));
	EXPECT_EQ(0, eg_sysfs_wait("state", "out_of_service", 5000));
}

/* The face shown is denied: once, no passage, the lane idle again. */
static void expect_denied_once(FIXTURE_DATA(agent) *self, struct __test_metadata *_metadata,
			       struct audit_summary *s)
{
	ASSERT_EQ(0, wait_counter("counters/denied", 1, DECISION_MS));
	EXPECT_EQ(0, eg_sysfs_num("counters/passages"));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 1000));
	ASSERT_EQ(0, audit_read(&self->env, s));
	EXPECT_EQ(1, s->deny);
	EXPECT_EQ(0, s->admit);
}

TEST_F_TIMEOUT(agent, unknown_face_denied, TEST_TIMEOUT_S)
{
	struct audit_summary s;

	start_agent(self, _metadata);
	show(self, UNKNOWN_PHOTO, 0);
	expect_denied_once(self, _metadata, &s);
	/* nobody recognised; the only enrolled traveller is the nearest, not admitted */
	EXPECT_EQ(0, s.deny_traveller);
	EXPECT_EQ(self->enrolled_id, s.deny_candidate);
	EXPECT_LT(0.0, s.deny_candidate_distance);
}

/* No frame without a face between them: the next traveller is not the denied one. */
TEST_F_TIMEOUT(agent, enrolled_after_a_denied_face_in_continuous_view, TEST_TIMEOUT_S)
{
	struct audit_summary s;

	start_agent(self, _metadata);
	show(self, UNKNOWN_PHOTO, 0);
	expect_denied_once(self, _metadata, &s);
	show(self, ENROLLED_PHOTO, 0);
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(1, s.deny);
	EXPECT_EQ(1, s.admit);
	EXPECT_EQ(self->enrolled_id, s.admit_traveller);
}

TEST_F_TIMEOUT(agent, two_faces_one_at_a_time, TEST_TIMEOUT_S)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	struct audit_summary s;

	start_agent(self, _metadata);
	ASSERT_EQ(0, face_frame_two(self->engine, agent_photo(&self->env, ENROLLED_PHOTO, p1), 0,
				    agent_photo(&self->env, UNKNOWN_PHOTO, p2), 0, self->frame));
	vivid_feeder_show(self->feeder, self->frame);
	ASSERT_TRUE(agent_log_wait(&self->env, "one at a time", 1, DECISION_MS));
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(1, s.crowd);
	EXPECT_EQ(0, s.admit);
	EXPECT_EQ(0, eg_sysfs_num("counters/passages"));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 1000));
}

TEST_F_TIMEOUT(agent, killed_mid_passage_lane_safe, TEST_TIMEOUT_S)
{
	struct audit_summary s;

	start_agent(self, _metadata);
	show(self, ENROLLED_PHOTO, 0);
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	show(self, NULL, 0);
	ASSERT_EQ(0, eg_sim("walk speed=300"));
	ASSERT_EQ(0, eg_sysfs_wait("state", "passage", LANE_MS));
	EXPECT_EQ(128 + SIGKILL, agent_stop(self->agent, SIGKILL));
	self->agent = -1;
	/* the driver takes the lane out of service; the traveller gets out */
	ASSERT_EQ(0, eg_sysfs_wait("state", "out_of_service", 5000));
	ASSERT_EQ(0, eg_sim_wait("travellers", 0, LANE_MS));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "closed", LANE_MS));
	/* a new agent takes over with the audit log intact */
	start_agent(self, _metadata);
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(1, s.admit);
	EXPECT_EQ(self->enrolled_id, s.admit_traveller);
}

static int count_old(const struct egate_audit_record *r, void *userdata)
{
	int *counts = userdata;	/* [0] records of the test's old time, [1] purge records */

	counts[0] += r->time_us == 1000000;
	counts[1] += r->kind == EGATE_AUDIT_PURGE;
	return 0;
}

/* A record past store.audit_retention_days is gone once the agent has started. */
TEST_F_TIMEOUT(agent, old_audit_purged_at_start, TEST_TIMEOUT_S)
{
	struct egate_audit_record old = {
		.kind = EGATE_AUDIT_PASSAGE, .time_us = 1000000, .lane = "test-lane",
		.outcome = EGATE_OUTCOME_PASSED,
	};
	static const char *const db_files[] = { "", "-wal", "-shm" };
	char err[256], path[PATH_MAX + 8];
	struct egate_store *store;
	int counts[2] = { 0 };

	/*
	 * The purge removes the oldest records of the chain, up to the first
	 * one not old enough (Documentation/audit.md): the fixture's
	 * enrolment, recorded now, would keep a record appended after it.
	 * So a database whose first record is the old one, then one of now.
	 */
	for (size_t i = 0; i < sizeof(db_files) / sizeof(db_files[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", self->env.db, db_files[i]);
		unlink(path);
	}
	ASSERT_EQ(0, egate_store_open(self->env.db, &(struct egate_store_options){
			.flags = EGATE_STORE_CREATE, .busy_timeout_ms = 5000 }, &store, err, sizeof(err)));
	ASSERT_EQ(0, egate_store_audit_append(store, &old, NULL));
	/* and a record of now after it: the newest time the purge trusts */
	old.time_us = 0;
	ASSERT_EQ(0, egate_store_audit_append(store, &old, NULL));
	ASSERT_EQ(0, egate_store_audit_foreach(store, 0, count_old, counts));
	ASSERT_EQ(1, counts[0]);
	start_agent(self, _metadata);
	EXPECT_TRUE(agent_log_wait(&self->env, "retention purge deleted 1 records", 1, 0));
	counts[0] = counts[1] = 0;
	ASSERT_EQ(0, egate_store_audit_foreach(store, 0, count_old, counts));
	egate_store_close(store);
	EXPECT_EQ(0, counts[0]);
	EXPECT_EQ(1, counts[1]);
}

TEST_F_TIMEOUT(agent, camera_unplugged_and_back, TEST_TIMEOUT_S)
{
	start_agent(self, _metadata);
	vivid_feeder_stop(self->feeder);
	self->feeder = NULL;
	ASSERT_EQ(0, vivid_unbind());
	ASSERT_TRUE(agent_log_wait(&self->env, "gone; waiting", 1, 20000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 1000));	/* the lane stays in service */
	ASSERT_EQ(0, vivid_bind());
	/* found again and streaming, without a restart */
	ASSERT_TRUE(agent_log_wait(&self->env, "streaming", 2, 20000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 1000));
	EXPECT_EQ((long long)self->agent, eg_sysfs_num("controller_pid"));
}

/* The document reader's file for egate0: the reference of face in photo. */
static int write_reference(FIXTURE_DATA(agent) *self, const char *photo, const char *face,
			   const char *document)
{
	char path[PATH_MAX], out[PATH_MAX];

	snprintf(out, sizeof(out), "%s/egate0.ref", self->env.dir);
	return agent_tool(&self->env, "egate-gallery", (const char *[]) {
		"--models", self->env.models, "--face", face, "reference",
		agent_photo(&self->env, photo, path), "--out", out, "--id", document,
		"--key", self->reader_key, "--lane", "egate0", "--valid", "120", NULL });
}

static bool reference_gone(FIXTURE_DATA(agent) *self)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/egate0.ref", self->env.dir);
	if (!access(path, F_OK))
		return false;
	strcat(path, ".inuse");
	return access(path, F_OK) != 0;
}

/*
 * 1:1: nobody is admitted without a document; with the reference of the
 * face shown, the traveller (enrolled or not: the gallery is not used) is
 * admitted, the audit names the document, and the reference is consumed.
 */
TEST_F_TIMEOUT(agent, verify_document_holder_admitted, TEST_TIMEOUT_S)
{
	struct audit_summary s;

	start_agent_with(self, _metadata, "decision.mode=verify");
	show(self, ENROLLED_PHOTO, 0);
	ASSERT_TRUE(agent_log_wait(&self->env, "waiting for a document", 1, DECISION_MS));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 1000));
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(0, s.admit + s.deny);

	ASSERT_EQ(0, write_reference(self, ENROLLED_PHOTO, "0", "P-ALICE-1"));
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	ASSERT_TRUE(agent_log_wait(&self->env, "document P-ALICE-1: reference consumed", 1, 1000));
	EXPECT_TRUE(reference_gone(self));
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(1, s.admit);
	EXPECT_EQ(0, s.deny);
	EXPECT_EQ(0, s.admit_traveller);	/* compared with the document, not the gallery */
	EXPECT_STREQ("P-ALICE-1", s.document);
	EXPECT_GT(0.5, s.admit_distance);
}

/* 1:1 with another person's document: denied, audited with that document, consumed. */
TEST_F_TIMEOUT(agent, verify_someone_elses_document_denied, TEST_TIMEOUT_S)
{
	struct audit_summary s;

	ASSERT_EQ(0, write_reference(self, UNKNOWN_PHOTO, "0", "P-OTHER-2"));
	start_agent_with(self, _metadata, "decision.mode=verify");
	show(self, ENROLLED_PHOTO, 0);
	expect_denied_once(self, _metadata, &s);
	EXPECT_TRUE(agent_log_wait(&self->env, "document P-OTHER-2: reference consumed", 1, 0));
	EXPECT_TRUE(reference_gone(self));
	EXPECT_EQ(0, s.deny_traveller);
	EXPECT_EQ(0, s.deny_candidate);		/* 1:1 has no gallery candidate */
	EXPECT_STREQ("P-OTHER-2", s.document);
	EXPECT_LE(0.5, s.deny_distance);	/* the distance to that document's face */
}

/*
 * A POLLERR that is no unplug: the driver flags its queue in error, as on a
 * fatal streaming error.  The agent asks the driver, restarts the stream,
 * says so once, and goes on admitting travellers: no "gone", no restart.
 */
TEST_F_TIMEOUT(agent, camera_stream_error_recovered, TEST_TIMEOUT_S)
{
	start_agent(self, _metadata);
	ASSERT_EQ(0, vivid_inject(self->capture, "inject_fatal_streaming_error"));
	ASSERT_TRUE(agent_log_wait(&self->env, "streaming restarted", 1, 30000));
	show(self, ENROLLED_PHOTO, 0);
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	EXPECT_FALSE(agent_log_wait(&self->env, "gone; waiting", 1, 0));
	/* logged once, not once per poll */
	EXPECT_FALSE(agent_log_wait(&self->env, "queue in error", 2, 0));
	EXPECT_EQ((long long)self->agent, eg_sysfs_num("controller_pid"));
}

/* The agent refuses to start: non-zero exit, the reason logged, the lane out of service. */
static void expect_refusal(FIXTURE_DATA(agent) *self, struct __test_metadata *_metadata,
			   const char *set, const char *reason)
{
	pid_t pid = agent_start(&self->env, (const char *[]) { set, NULL });

	ASSERT_LT(0, pid);
	EXPECT_EQ(1, agent_stop(pid, 0));
	EXPECT_TRUE(agent_log_wait(&self->env, reason, 1, 0));
	EXPECT_EQ(0, eg_sysfs_wait("state", "out_of_service", 1000));
	EXPECT_EQ(0, eg_sysfs_num("controller_pid"));
}

TEST_F_TIMEOUT(agent, broken_setup_refused, TEST_TIMEOUT_S)
{
	char corrupt[PATH_MAX + 32];
	FILE *f;

	expect_refusal(self, _metadata, "decision.threshold=7", "decision.threshold");
	expect_refusal(self, _metadata, "face.models=/nonexistent", "face models:");
	snprintf(corrupt, sizeof(corrupt), "%s/corrupt.db", self->env.dir);
	f = fopen(corrupt, "we");
	ASSERT_NE(NULL, f);
	for (int i = 0; i < 4096; i++)
		fputc(i * 7, f);
	fclose(f);
	snprintf(corrupt, sizeof(corrupt), "store.path=%s/corrupt.db", self->env.dir);
	expect_refusal(self, _metadata, corrupt, "store ");
}

TEST_HARNESS_MAIN
