// SPDX-License-Identifier: GPL-2.0
/*
 * vm_agent_test - egate-agent end to end, in the VM: the simulated lane
 * (egate + egate_sim), a vivid loopback camera fed frames cut from the face
 * models' demo photos, a gallery enrolled with egate-gallery, and the agent
 * as a separate process.  Checks what a border agency would: the enrolled
 * traveller is authorised and passes (audit records, driver counters), an
 * unknown face is denied and the enrolled traveller who steps in after it,
 * in continuous view, is admitted, two faces are not guessed at, a killed
 * agent leaves the lane safe, the camera can be unplugged and plugged back
 * (the lane out of service meanwhile), a camera stream in error is restarted
 * without a restart of the agent, and broken configuration, gallery or
 * models stop the agent with a clear error and the lane out of service.
 * It fails closed: no audit record (a full disk), no open door; a database
 * locked past the heartbeat period holds decisions, not the heartbeat; a
 * stalled camera stream or a stuck face worker takes the lane out of
 * service until it recovers.  Two lanes on one kiosk keep their names apart.
 * The audit chain the agent signs names every actor (officers by uid,
 * enrolment staff) and every alarm, verifies, and shows an edit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/videodev2.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

#define AGENT_RUN_DIR "/run/egate"	/* as egate-agent's */
#define ENROLLED_PHOTO "sample2.jpg"	/* one face: the enrolled traveller */
#define UNKNOWN_PHOTO "sample3.jpg"	/* face 0: nobody enrolled */

struct audit_summary {
	int admit, deny, crowd, passed, other_passage, lane_events;
	int64_t admit_traveller, admit_id, passage_decision;
	int64_t deny_traveller, deny_candidate;
	double deny_candidate_distance, admit_distance, deny_distance;
	char document[64];	/* of the last decision that named one */
};

static int summarise(const struct egate_audit_record *r, void *userdata)
{
	struct audit_summary *s = userdata;

	s->lane_events += r->kind == EGATE_AUDIT_LANE_EVENT;
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
	unsigned int starts;	/* agents started: their lines share one log */
	char reader_key[PATH_MAX];	/* the document reader's secret key */
	char keys_set[EGATE_REFERENCE_KEY_HEX + 32];	/* decision.reference_keys=... */
};

FIXTURE_SETUP(agent)
{
	char photo[PATH_MAX], public_hex[EGATE_REFERENCE_KEY_HEX + 1], err[256];

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
	self->enrolled_id = agent_enrol_first(&self->env, "alice",
					      agent_photo(&self->env, ENROLLED_PHOTO, photo));
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

static void read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f) {
		buf[fread(buf, 1, size - 1, f)] = '\0';
		fclose(f);
	}
}

/* Waits until the textfile has text. */
static bool metrics_wait(FIXTURE_DATA(agent) *self, const char *text, int timeout_ms)
{
	char buf[8192];

	for (int waited = 0; waited <= timeout_ms; waited += 200) {
		read_text(self->env.metrics, buf, sizeof(buf));
		if (strstr(buf, text))
			return true;
		eg_sleep_ms(200);
	}
	return false;
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
	/* this agent's lines, not a killed one's before it in the same log */
	self->starts++;
	ASSERT_TRUE(agent_log_wait(&self->env, "controlling /dev/egate0", self->starts, 60000));
	ASSERT_TRUE(agent_log_wait(&self->env, "streaming", self->starts, 30000));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 30000));
}

static void start_agent(FIXTURE_DATA(agent) *self, struct __test_metadata *_metadata)
{
	start_agent_with(self, _metadata, NULL);
}

TEST_F_TIMEOUT(agent, enrolled_traveller_passes, TEST_TIMEOUT_S)
{
	struct audit_summary s;
	char metrics[8192];
	struct stat st;

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

	/* the journal names the traveller by id, never by name */
	EXPECT_FALSE(agent_log_wait(&self->env, "alice", 1, 0));

	/* the textfile is written on stop at the latest, for the metrics group */
	EXPECT_EQ(0, agent_stop(self->agent, SIGTERM));
	self->agent = -1;
	ASSERT_EQ(0, stat(self->env.metrics, &st));
	EXPECT_EQ(0640, st.st_mode & 07777);
	read_text(self->env.metrics, metrics, sizeof(metrics));
	EXPECT_NE(NULL, strstr(metrics, "egate_decisions_total{lane=\"test-lane\",decision=\"admit\"} 1"));
	EXPECT_NE(NULL, strstr(metrics, "egate_passages_total{lane=\"test-lane\",outcome=\"completed\"} 1"));
	/* a 30 fps camera and a worker that takes far longer per frame: drops */
	EXPECT_EQ(NULL, strstr(metrics, "egate_frames_dropped_total{lane=\"test-lane\"} 0\n"));
	EXPECT_NE(NULL, strstr(metrics, "egate_camera_up{lane=\"test-lane\"} 1"));
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
	/* blind: out of service, by the agent's mode command */
	EXPECT_EQ(0, eg_sysfs_wait("mode", "out_of_service", 5000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "out_of_service", 1000));
	ASSERT_EQ(0, vivid_bind());
	/* found again and streaming, without a restart: back in service */
	ASSERT_TRUE(agent_log_wait(&self->env, "streaming", 2, 20000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 5000));
	EXPECT_EQ(0, eg_sysfs_wait("mode", "normal", 1000));
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
	ASSERT_TRUE(agent_log_wait(&self->env, ": consumed", 1, 1000));
	EXPECT_FALSE(agent_log_wait(&self->env, "P-ALICE-1", 1, 0));	/* not in the journal */
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
	EXPECT_TRUE(agent_log_wait(&self->env, ": consumed", 1, 0));
	EXPECT_FALSE(agent_log_wait(&self->env, "P-OTHER-2", 1, 0));
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

/* ---- failing closed ------------------------------------------------------ */

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	ssize_t n;

	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			r = -EIO;
	if (in < 0 || out < 0)
		r = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

/* Writes to path until its file system is full: 0 when it is. */
static int fill(const char *path)
{
	static const char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), e;

	if (fd < 0)
		return -errno;
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	e = errno;
	close(fd);
	return e == ENOSPC ? 0 : -e;
}

/*
 * The database on a file system that fills up: the enrolled traveller is
 * not let through without a record, the lane goes out of service; with
 * room again the record is written (the admission that was not carried out
 * gets an aborted passage), the lane comes back and admits them.
 */
TEST_F_TIMEOUT(agent, full_disk_no_audit_no_door, TEST_TIMEOUT_S)
{
	char small[100], filler[PATH_MAX], set[PATH_MAX];
	struct agent_env env = self->env;
	struct audit_summary s;

	snprintf(small, sizeof(small), "%s/small", self->env.dir);
	ASSERT_EQ(0, mkdir(small, 0700));
	ASSERT_EQ(0, mount("tmpfs", small, "tmpfs", 0, "size=2m,mode=0700"));
	snprintf(env.db, sizeof(env.db), "%s/egate.db", small);
	ASSERT_EQ(0, copy_file(self->env.db, env.db));
	snprintf(set, sizeof(set), "store.path=%s", env.db);
	start_agent_with(self, _metadata, set);
	/* its lane coming into service is on record before the disk fills */
	for (int i = 0; i < 150 && (audit_read(&env, &s) < 0 || !s.lane_events); i++)
		eg_sleep_ms(200);
	ASSERT_LT(0, s.lane_events);
	snprintf(filler, sizeof(filler), "%s/filler", small);
	ASSERT_EQ(0, fill(filler));

	show(self, ENROLLED_PHOTO, 0);
	ASSERT_TRUE(agent_log_wait(&self->env, "error: audit: writing a decision record failed",
				   1, DECISION_MS));
	EXPECT_EQ(0, eg_sysfs_wait("mode", "out_of_service", 5000));
	EXPECT_TRUE(metrics_wait(self, "egate_audit_failures_total{lane=\"test-lane\"} 1", 10000));
	EXPECT_EQ(-ETIMEDOUT, eg_sysfs_wait("state", "authorised", 3000));
	EXPECT_EQ(0, eg_sysfs_num("counters/passages"));

	ASSERT_EQ(0, unlink(filler));
	ASSERT_TRUE(agent_log_wait(&self->env, "records are written again", 1, 20000));
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	EXPECT_EQ(0, eg_sysfs_wait("mode", "normal", 1000));
	EXPECT_EQ(0, agent_stop(self->agent, SIGTERM));
	self->agent = -1;
	ASSERT_EQ(0, audit_read(&env, &s));
	EXPECT_EQ(2, s.admit);		/* the refused one, written late, and the one let in */
	EXPECT_EQ(1, s.other_passage);	/* the refused one: aborted, no passage */
	umount2(small, MNT_DETACH);
}

/*
 * Another process holds the database's write lock for longer than the
 * lane's 5 s heartbeat deadline, with store.busy_timeout_ms above it: the
 * lane stays in service and shut (the admission waits for its record, then
 * is refused), nothing is lost, and the traveller is admitted afterwards.
 */
TEST_F_TIMEOUT(agent, locked_database_holds_decisions_not_heartbeat, TEST_TIMEOUT_S)
{
	struct audit_summary s;
	char state[32] = "", mode[32] = "";
	sqlite3 *db = NULL;
	int i;

	start_agent_with(self, _metadata, "store.busy_timeout_ms=10000");
	ASSERT_EQ(SQLITE_OK, sqlite3_open(self->env.db, &db));
	/* The agent's own first records (its lane events) go in before the lock. */
	ASSERT_EQ(SQLITE_OK, sqlite3_busy_timeout(db, 10000));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
	show(self, ENROLLED_PHOTO, 0);
	ASSERT_TRUE(agent_log_wait(&self->env, "decision admit", 1, DECISION_MS));
	for (i = 0; i < 80; i++) {	/* 8 s */
		if (eg_sysfs_read("state", state, sizeof(state)) ||
		    eg_sysfs_read("mode", mode, sizeof(mode)) ||
		    strcmp(state, "idle") || strcmp(mode, "normal"))
			break;
		eg_sleep_ms(100);
	}
	EXPECT_EQ(80, i) TH_LOG("lane %s, mode %s while the database was locked", state, mode);
	EXPECT_TRUE(agent_log_wait(&self->env, "not carried out", 1, 0));
	EXPECT_EQ(SQLITE_OK, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
	sqlite3_close(db);

	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(2, s.admit);
	EXPECT_EQ(1, s.other_passage);
}

static int vivid_control(const char *devnode, const char *control, int value)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "v4l2-ctl -d %s -c %s=%d", devnode, control, value);
	return system(cmd) == 0 ? 0 : -EIO;
}

/*
 * A stream that stops without an error (vivid drops every buffer): the
 * lane leaves service.  The agent is killed meanwhile; the stream resumes;
 * the next agent knows the mode for its predecessor's (the mark in the
 * unit's RuntimeDirectory) and brings the lane back.  It stalls and
 * resumes again under the same agent.
 */
TEST_F_TIMEOUT(agent, stalled_camera_takes_lane_out_of_service, TEST_TIMEOUT_S)
{
	if (mkdir(AGENT_RUN_DIR, 0755) < 0)	/* the unit's RuntimeDirectory= */
		ASSERT_EQ(EEXIST, errno);
	start_agent_with(self, _metadata, "camera.stall_ms=2000");
	ASSERT_EQ(0, vivid_control(self->capture, "percentage_of_dropped_buffers", 100));
	ASSERT_EQ(0, eg_sysfs_wait("mode", "out_of_service", 20000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "out_of_service", 1000));
	EXPECT_TRUE(agent_log_wait(&self->env, "error: out of service: no frames from the camera",
				   1, 0));
	EXPECT_TRUE(metrics_wait(self, "egate_camera_up{lane=\"test-lane\"} 0", 10000));

	EXPECT_EQ(128 + SIGKILL, agent_stop(self->agent, SIGKILL));
	self->agent = -1;
	ASSERT_EQ(0, vivid_control(self->capture, "percentage_of_dropped_buffers", 0));
	self->agent = agent_start(&self->env, (const char *[]) { "camera.stall_ms=2000", NULL });
	ASSERT_LT(0, self->agent);
	ASSERT_TRUE(agent_log_wait(&self->env, "out of service by a previous agent", 1, 60000));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 30000));
	EXPECT_EQ(0, eg_sysfs_wait("mode", "normal", 1000));

	ASSERT_EQ(0, vivid_control(self->capture, "percentage_of_dropped_buffers", 100));
	ASSERT_EQ(0, eg_sysfs_wait("mode", "out_of_service", 20000));
	ASSERT_EQ(0, vivid_control(self->capture, "percentage_of_dropped_buffers", 0));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 20000));
	EXPECT_EQ(0, eg_sysfs_wait("mode", "normal", 1000));
	EXPECT_TRUE(agent_log_wait(&self->env, "back in service", 1, 0));
	EXPECT_TRUE(metrics_wait(self, "egate_camera_up{lane=\"test-lane\"} 1", 10000));
	EXPECT_EQ((long long)self->agent, eg_sysfs_num("controller_pid"));
}

/* The agent's thread called name (its whole comm), 0 if none. */
static pid_t thread_named(pid_t pid, const char *name)
{
	char path[320], comm[32];
	struct dirent *d;
	pid_t tid = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && !tid && (d = readdir(dir))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, d->d_name);
		f = fopen(path, "re");
		if (f && fgets(comm, sizeof(comm), f) &&
		    !strcmp(strtok(comm, "\n") ?: "", name))
			tid = atoi(d->d_name);
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	return tid;
}

/*
 * The face worker hangs: its thread is stopped where it is (ptrace, as a
 * debugger would; the rest of the agent runs on).  No test hook: the real
 * worker, really stuck.  The lane leaves service; when the thread runs
 * again and finishes its frame, the lane comes back.
 */
TEST_F_TIMEOUT(agent, stuck_worker_takes_lane_out_of_service, TEST_TIMEOUT_S)
{
	int status;
	pid_t tid;

	start_agent_with(self, _metadata, "face.worker_stall_ms=20000");
	tid = thread_named(self->agent, "egate-face");
	ASSERT_LT(0, tid);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, tid, 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, tid, 0, 0));
	ASSERT_EQ(tid, waitpid(tid, &status, __WALL));

	ASSERT_EQ(0, eg_sysfs_wait("mode", "out_of_service", 60000));
	EXPECT_TRUE(agent_log_wait(&self->env, "error: out of service: the face worker is stuck",
				   1, 0));
	EXPECT_TRUE(metrics_wait(self, "egate_worker_stalled{lane=\"test-lane\"} 1", 10000));
	EXPECT_EQ((long long)self->agent, eg_sysfs_num("controller_pid"));

	ASSERT_EQ(0, ptrace(PTRACE_DETACH, tid, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 60000));
	EXPECT_EQ(0, eg_sysfs_wait("mode", "normal", 1000));
	EXPECT_TRUE(agent_log_wait(&self->env, "back in service", 1, 0));
	EXPECT_TRUE(metrics_wait(self, "egate_worker_stalled{lane=\"test-lane\"} 0", 10000));
}

/* ---- the audit trail, end to end ------------------------------------------ */

#define OFFICER_UID 1001	/* an officer's own account: no name needed */

/* Starts argv (argv[0] a path), stdout and stderr into the file out. */
static pid_t spawn_into(const char *const *argv, const char *out)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Runs argv to its end: the exit status, or 128 + signal, or -1. */
static int run_into(const char *const *argv, const char *out)
{
	pid_t pid = spawn_into(argv, out);
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct audit_trail {
	int officer, officer_uid_ok, enrol, delete, alarm, in_service, out_of_service;
	int64_t officer_id;		/* the reset's record: the one tampered with */
	int64_t bob;
	char officer_text[256];
};

static int trail(const struct egate_audit_record *r, void *userdata)
{
	struct audit_trail *t = userdata;

	if (r->kind == EGATE_AUDIT_OFFICER && !strcmp(r->action, "reset")) {
		t->officer++;
		t->officer_id = r->id;
		t->officer_uid_ok = r->actor_uid == OFFICER_UID;
		snprintf(t->officer_text, sizeof(t->officer_text), "%s|%s",
			 r->actor ?: "-", r->reason ?: "-");
	} else if (r->kind == EGATE_AUDIT_GALLERY && r->actor_uid == getuid()) {
		t->enrol += !strcmp(r->action, "enrol") && r->traveller_id == t->bob;
		t->delete += !strcmp(r->action, "delete") && r->traveller_id == t->bob &&
			     r->reason && !strcmp(r->reason, "withdrew consent");
	} else if (r->kind == EGATE_AUDIT_LANE_EVENT) {
		t->alarm += !strcmp(r->action, EGATE_AUDIT_LANE_ALARM) && r->detail &&
			    !strncmp(r->detail, "forced_door", 11);
		t->in_service += !strcmp(r->action, EGATE_AUDIT_LANE_IN_SERVICE);
		t->out_of_service += !strcmp(r->action, EGATE_AUDIT_LANE_OUT_OF_SERVICE) &&
				     r->detail && !strcmp(r->detail, "the agent stopped");
	}
	return 0;
}

/*
 * What a border agency answers for after the fact, from the database the
 * agent wrote with its key: a traveller admitted and through, an officer
 * resetting an alarm with egatectl from their own account (uid OFFICER_UID,
 * as the kernel saw it, and as egatectl watch shows it), an enrolment and
 * a deletion with egate-gallery, the alarm itself, and the lane's service
 * periods.  egate-audit verify passes with the lane's public key; one
 * record edited afterwards, and it fails naming that record.
 */
/* Two gallery tools and a decision under emulation: twice the others' time. */
TEST_F_TIMEOUT(agent, audit_trail_verifies_and_names_every_actor, 2 * TEST_TIMEOUT_S)
{
	char key[PATH_MAX], keyout[PATH_MAX], pub[80] = "", keyset[PATH_MAX + 32];
	char watch_out[PATH_MAX], out[PATH_MAX], ctl[PATH_MAX], text[8192], sql[256];
	char audit[PATH_MAX], gallery[PATH_MAX], photo[PATH_MAX], bob[32] = "";
	struct audit_summary s;
	struct audit_trail t = { 0 };
	struct egate_store *store;
	pid_t watch;
	sqlite3 *db;
	int status;

	snprintf(key, sizeof(key), "%s/audit.key", self->env.dir);
	snprintf(keyout, sizeof(keyout), "%s/audit.pub", self->env.dir);
	snprintf(watch_out, sizeof(watch_out), "%s/watch.json", self->env.dir);
	snprintf(out, sizeof(out), "%s/out.txt", self->env.dir);
	snprintf(ctl, sizeof(ctl), "%s/egatectl", self->env.bin);
	snprintf(audit, sizeof(audit), "%s/egate-audit", self->env.bin);
	snprintf(gallery, sizeof(gallery), "%s/egate-gallery", self->env.bin);
	ASSERT_EQ(0, run_into((const char *[]){ audit, "keygen", "--key", key, NULL }, keyout));
	read_text(keyout, pub, sizeof(pub));
	pub[strcspn(pub, "\n")] = '\0';
	ASSERT_EQ(64, strlen(pub));
	snprintf(keyset, sizeof(keyset), "store.audit_key=%s", key);
	start_agent_with(self, _metadata, keyset);
	/* someone watching the lane, as a supervisor's screen would */
	watch = spawn_into((const char *[]){ ctl, "watch", "0", "--json", NULL }, watch_out);
	ASSERT_LT(0, watch);

	/* a decision and a passage */
	show(self, ENROLLED_PHOTO, 0);
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS));
	show(self, NULL, 0);
	ASSERT_EQ(0, eg_sim("walk speed=1500"));
	ASSERT_EQ(0, wait_counter("counters/passages", 1, LANE_MS));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", LANE_MS));

	/* an alarm, and the officer on duty resets the lane from their own account */
	ASSERT_EQ(0, eg_sim("force entry 1"));
	ASSERT_EQ(0, eg_sysfs_wait("state", "alarm", LANE_MS));
	ASSERT_EQ(0, eg_sim("force entry 0"));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "closed", LANE_MS));
	EXPECT_EQ(0, run_into((const char *[]){ "/usr/bin/setpriv", "--reuid=1001",
		"--regid=1001", "--clear-groups", "--inh-caps=+net_admin",
		"--ambient-caps=+net_admin", ctl, "reset", "0", "--operator", "officer7",
		"--reason", "door checked, nobody in the lane", NULL }, out)) {
		read_text(out, text, sizeof(text));
		TH_LOG("egatectl: %s", text);
	}
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", LANE_MS));
	ASSERT_TRUE(agent_log_wait(&self->env, "officer officer7 (uid 1001): reset", 1, 5000));

	/* enrolment staff add a traveller and take them out again */
	status = run_into((const char *[]){ gallery, "--config", "/dev/null", "--db",
		self->env.db, "--models", self->env.models, "--reason", "new traveller",
		"--face", "0", "enrol", "bob", agent_photo(&self->env, UNKNOWN_PHOTO, photo),
		NULL }, out);
	read_text(out, bob, sizeof(bob));
	ASSERT_EQ(0, status) TH_LOG("egate-gallery enrol: %s", bob);
	t.bob = strtoll(bob, NULL, 10);
	ASSERT_LT(self->enrolled_id, t.bob);
	snprintf(bob, sizeof(bob), "%lld", (long long)t.bob);
	status = run_into((const char *[]){ gallery, "--config", "/dev/null", "--db",
		self->env.db, "--reason", "withdrew consent", "delete", bob, NULL }, out);
	read_text(out, text, sizeof(text));
	ASSERT_EQ(0, status) TH_LOG("egate-gallery delete: %s", text);

	EXPECT_EQ(0, agent_stop(self->agent, SIGTERM));	/* signs the chain at stop */
	self->agent = -1;
	/* ^C ends the watch, even on a quiet lane */
	kill(watch, SIGTERM);
	for (int waited = 0; waitpid(watch, &status, WNOHANG) == 0; waited += 50) {
		if (waited == 5000) {
			kill(watch, SIGKILL);
			waitpid(watch, &status, 0);
		}
		eg_sleep_ms(50);
	}
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("status %#x", status);

	/* egatectl showed who acted */
	read_text(watch_out, text, sizeof(text));
	EXPECT_NE(NULL, strstr(text, "\"officer\":\"reset\",\"uid\":1001,\"operator\":\"officer7\""))
		TH_LOG("%s", text);

	/* the records, from the database the agent wrote */
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(1, s.admit);
	EXPECT_EQ(1, s.passed);
	ASSERT_EQ(0, egate_store_open(self->env.db, &(struct egate_store_options){
			.flags = EGATE_STORE_READ_ONLY }, &store, text, sizeof(text)));
	ASSERT_EQ(0, egate_store_audit_foreach(store, 0, trail, &t));
	egate_store_close(store);
	EXPECT_EQ(1, t.officer);
	EXPECT_TRUE(t.officer_uid_ok);
	EXPECT_STREQ("officer7|door checked, nobody in the lane", t.officer_text);
	EXPECT_EQ(1, t.enrol);
	EXPECT_EQ(1, t.delete);
	EXPECT_EQ(1, t.alarm);
	EXPECT_LE(1, t.in_service);	/* the claim at start */
	EXPECT_EQ(1, t.out_of_service);

	/* the chain verifies with the lane's key, checkpoints and all */
	EXPECT_EQ(0, run_into((const char *[]){ audit, "--config", "/dev/null", "--db",
		self->env.db, "--key", pub, "verify", NULL }, out));
	read_text(out, text, sizeof(text));
	EXPECT_EQ(0, strncmp(text, "ok: ", 4)) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "records after it are not signed yet"));

	/* someone with write access rewrites the officer's reason */
	ASSERT_EQ(SQLITE_OK, sqlite3_open(self->env.db, &db));
	snprintf(sql, sizeof(sql), "DROP TRIGGER audit_no_update; UPDATE audit SET reason ="
		 " 'routine reset' WHERE id = %lld", (long long)t.officer_id);
	EXPECT_EQ(SQLITE_OK, sqlite3_exec(db, sql, NULL, NULL, NULL));
	sqlite3_close(db);
	EXPECT_EQ(1, run_into((const char *[]){ audit, "--config", "/dev/null", "--db",
		self->env.db, "--key", pub, "verify", NULL }, out));
	read_text(out, text, sizeof(text));
	snprintf(sql, sizeof(sql), "broken-link at record %lld:", (long long)t.officer_id);
	EXPECT_NE(NULL, strstr(text, sql)) TH_LOG("%s", text);
}

/* ---- two lanes on one kiosk -------------------------------------------- */

/*
 * Two lanes wired on the simulator's chip (new_device), two vivid loopback
 * cameras, one database and two agents, started as the unit starts them
 * (the lane device as the argument, lane.name left at its default).  Each
 * lane is named after its device: its audit records, its log lines and its
 * own metrics textfile, whose samples carry its own lane label
 * (node_exporter's textfile collector refuses the same series twice).
 */
#define LANES 2
#define LANES_DECISION_MS 180000	/* two agents share the emulated CPUs */
#define LANES_TIMEOUT_S 400
#define DRV "/sys/bus/platform/drivers/egate-lane/"

/* egate_sim as a mantrap (both doors simulated) with 10 beams: doors 0-5,
 * beams 10-19; each lane gets a door and half of them. */
static const char *const wiring[LANES] = {
	"chip=egate_sim topology=single entry=0,1,2 beams=10-13 emergency=18",
	"chip=egate_sim topology=single entry=3,4,5 beams=14-17 emergency=19",
};

/* The loopback of vivid instance i: 6.1's control, or 6.12's menu entry. */
static int connect_instance(int i, const char *capture)
{
	char cmd[256];

	/* 6.12's menu: test pattern, none, then each instance's HDMI output */
	snprintf(cmd, sizeof(cmd), "v4l2-ctl -d %s -c loop_video=1 2>/dev/null || "
		 "v4l2-ctl -d %s -c hdmi_%03d_0_is_connected_to=%d", capture, capture, i, 2 + i);
	return system(cmd) == 0 ? 0 : -EIO;
}

FIXTURE(lanes) {
	struct agent_env env;
	struct egate_face_engine *engine;
	struct vivid_feeder *feeder[LANES];
	char metrics[LANES][160];
	uint8_t frame[FACE_FRAME_BYTES];
	pid_t agent[LANES];
};

FIXTURE_SETUP(lanes)
{
	char photo[PATH_MAX];

	for (int i = 0; i < LANES; i++)
		self->agent[i] = -1;
	ASSERT_EQ(0, agent_env_init(&self->env));
	ASSERT_EQ(0, egate_face_engine_new(self->env.models, &self->engine, NULL, 0));
	ASSERT_EQ(0, face_frame_one(self->engine, agent_photo(&self->env, UNKNOWN_PHOTO, photo),
				    0, self->frame));
	ASSERT_EQ(0, eg_load("", "lane=0 topology=mantrap nbeams=10"));
	ASSERT_EQ(0, vivid_load(LANES));
	for (int i = 0; i < LANES; i++) {
		char name[64], capture[64], output[64];

		ASSERT_EQ(0, eg_write_file(DRV "new_device", wiring[i]));
		snprintf(name, sizeof(name), "vivid-%03d-vid-cap", i);
		ASSERT_EQ(0, vivid_find_node(name, capture));
		snprintf(name, sizeof(name), "vivid-%03d-vid-out", i);
		ASSERT_EQ(0, vivid_find_node(name, output));
		/* vivid_connect knows instance 0's loopback control only */
		if (vivid_connect(capture, output) < 0)
			ASSERT_EQ(0, connect_instance(i, capture));
		ASSERT_EQ(0, vivid_feeder_start(output, V4L2_PIX_FMT_RGB24, self->frame,
						&self->feeder[i]));
		snprintf(self->metrics[i], sizeof(self->metrics[i]), "%s/egate%d.prom",
			 self->env.dir, i);
	}
}

FIXTURE_TEARDOWN(lanes)
{
	for (int i = 0; i < LANES; i++) {
		char lane[32];

		if (self->agent[i] > 0)
			agent_stop(self->agent[i], SIGTERM);
		vivid_feeder_stop(self->feeder[i]);
		snprintf(lane, sizeof(lane), "egate%d", i);
		eg_write_file(DRV "delete_device", lane);
	}
	if (!_metadata->passed)
		agent_log_dump(&self->env);
	vivid_unload();
	eg_unload();
	egate_face_engine_free(self->engine);
	agent_env_cleanup(&self->env);
}

static long long lane_counter(int lane, const char *counter)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/egate/egate%d/counters/%s", lane, counter);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoll(buf, NULL, 10);
}

static int wait_denied(int lane, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		if (lane_counter(lane, "denied") == 1)
			return 0;
		eg_sleep_ms(100);
	}
	return -ETIMEDOUT;
}

struct lane_denials {
	int egate0, egate1, other;
};

static int count_denials(const struct egate_audit_record *r, void *userdata)
{
	struct lane_denials *d = userdata;

	if (r->kind != EGATE_AUDIT_DECISION || r->decision != EGATE_DECISION_DENY)
		return 0;
	if (!strcmp(r->lane, "egate0"))
		d->egate0++;
	else if (!strcmp(r->lane, "egate1"))
		d->egate1++;
	else
		d->other++;
	return 0;
}

/* An unknown traveller at each lane: each lane denies, under its own name. */
TEST_F_TIMEOUT(lanes, two_agents_two_names, LANES_TIMEOUT_S)
{
	struct lane_denials d = { 0 };
	struct egate_store *store;
	char err[256], text[8192];

	for (int i = 0; i < LANES; i++) {
		char lane[32], camera[64], name[128], metrics[PATH_MAX], log_line[96];

		snprintf(lane, sizeof(lane), "egate%d", i);
		snprintf(name, sizeof(name), "vivid-%03d-vid-cap", i);
		ASSERT_EQ(0, vivid_find_node(name, camera));
		snprintf(name, sizeof(name), "cameras.%s=%s", lane, camera);
		snprintf(metrics, sizeof(metrics), "metrics.textfile=%s", self->metrics[i]);
		self->agent[i] = agent_start_on(&self->env, lane, (const char *[]) {
			name, metrics, "decision.unknown_timeout_s=4", NULL });
		ASSERT_LT(0, self->agent[i]);
		/* one at a time: the first creates the database */
		snprintf(log_line, sizeof(log_line), "%s: controlling /dev/%s", lane, lane);
		ASSERT_TRUE(agent_log_wait(&self->env, log_line, 1, 60000));
	}
	for (int i = 0; i < LANES; i++)
		ASSERT_EQ(0, wait_denied(i, LANES_DECISION_MS));

	/* the audit log says which lane denied */
	ASSERT_EQ(0, egate_store_open(self->env.db, &(struct egate_store_options){ .busy_timeout_ms = 5000 },
				      &store, err, sizeof(err)));
	ASSERT_EQ(0, egate_store_audit_foreach(store, 0, count_denials, &d));
	egate_store_close(store);
	EXPECT_EQ(1, d.egate0);
	EXPECT_EQ(1, d.egate1);
	EXPECT_EQ(0, d.other);
	/* and so does the log, line by line */
	EXPECT_TRUE(agent_log_wait(&self->env, "egate0: decision deny", 1, 0));
	EXPECT_TRUE(agent_log_wait(&self->env, "egate1: decision deny", 1, 0));

	/* each textfile has its own lane label, and only its own */
	for (int i = 0; i < LANES; i++) {
		EXPECT_EQ(0, agent_stop(self->agent[i], SIGTERM));
		self->agent[i] = -1;
	}
	read_text(self->metrics[0], text, sizeof(text));
	EXPECT_NE(NULL, strstr(text, "egate_decisions_total{lane=\"egate0\",decision=\"deny\"} 1"));
	EXPECT_EQ(NULL, strstr(text, "lane=\"egate1\""));
	read_text(self->metrics[1], text, sizeof(text));
	EXPECT_NE(NULL, strstr(text, "egate_decisions_total{lane=\"egate1\",decision=\"deny\"} 1"));
	EXPECT_EQ(NULL, strstr(text, "lane=\"egate0\""));
}

TEST_HARNESS_MAIN
