// SPDX-License-Identifier: GPL-2.0
/*
 * vm_pad_test - presentation-attack detection end to end, in the VM: the
 * simulated lane, the simulated camera (vivid instance 0 in RGB24, instance
 * 1 the depth camera in Y16, both looping a sequence at 15 frames/s), a
 * gallery with one enrolled traveller, and egate-agent in depth mode
 * (pad.mode = depth, depth.camera, camera.focal_px = 600, the simulator's
 * focal length).  The traveller's bona fide presentation is admitted and
 * passes; a still photo of them and a print of them moved by hand are
 * denied with reason presentation_attack, audited, logged and counted, and
 * nobody passes.  The sequences are rendered on the host by the build
 * (egate-sim-camera render-seq into $BUILD/vmtests/pad-seq/KIND, from the
 * photo the traveller is enrolled from): the emulated VM would take
 * minutes over them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-run.h"
#include "egate-store.h"
#include "egate_test.h"
#include "face-frame.h"
#include "sim-seq.h"
#include "sim.h"
#include "vivid.h"
#include "kselftest_harness.h"

/* Emulated CPUs run the face engine some 10-30x slower than the host. */
#define DECISION_MS 120000
#define LANE_MS 15000
#define TEST_TIMEOUT_S 600

#define ENROLLED_PHOTO "sample2.jpg"	/* one face; the sequences are made from it */
#define PAD_REASON "presentation_attack"

struct audit_summary {
	int admit, deny, attacks, passed;
	int64_t admit_traveller;
	char detail[256];	/* of the last presentation attack */
};

static int summarise(const struct egate_audit_record *r, void *userdata)
{
	struct audit_summary *s = userdata;

	if (r->kind == EGATE_AUDIT_DECISION && r->decision == EGATE_DECISION_ADMIT) {
		s->admit++;
		s->admit_traveller = r->traveller_id;
	} else if (r->kind == EGATE_AUDIT_DECISION && r->decision == EGATE_DECISION_DENY) {
		s->deny++;
		if (r->reason && !strcmp(r->reason, PAD_REASON)) {
			s->attacks++;
			snprintf(s->detail, sizeof(s->detail), "%s", r->detail ? r->detail : "");
		}
	} else if (r->kind == EGATE_AUDIT_PASSAGE && r->outcome == EGATE_OUTCOME_PASSED) {
		s->passed++;
	}
	return 0;
}

static int audit_read(const struct agent_env *env, struct audit_summary *s)
{
	struct egate_store *store;
	int r;

	memset(s, 0, sizeof(*s));
	r = egate_store_open(env->db, &(struct egate_store_options){ .busy_timeout_ms = 5000,
			     .flags = EGATE_STORE_READ_ONLY }, &store, NULL, 0);
	if (r < 0)
		return r;
	r = egate_store_audit_foreach(store, 0, summarise, s);
	egate_store_close(store);
	return r;
}

/* Until the audit has a decision after BEFORE's, an admit or a deny, or the timeout. */
static int wait_decision(const struct agent_env *env, struct audit_summary *s,
			 const struct audit_summary *before, int timeout_ms)
{
	long long end = eg_now_ms() + timeout_ms;

	do {
		if (audit_read(env, s) == 0 && s->deny + s->admit > before->deny + before->admit)
			return 0;
		eg_sleep_ms(500);
	} while (eg_now_ms() < end);
	return -ETIMEDOUT;
}

FIXTURE(pad) {
	struct agent_env env;
	char capture[64], output[64], depth_capture[64], depth_output[64];
	uint8_t frame[FACE_FRAME_BYTES], wall[SIM_SEQ_Z16_BYTES];
	struct vivid_feeder *colour, *depth;
	struct sim_seq *seq;
	struct sim_seq_player *player;
	int64_t enrolled_id;
	pid_t agent;
};

FIXTURE_SETUP(pad)
{
	char photo[PATH_MAX];

	self->agent = -1;
	ASSERT_EQ(0, agent_env_init(&self->env));
	ASSERT_EQ(0, eg_load("", ""));
	ASSERT_EQ(0, vivid_unload());	/* a leftover from an earlier program */
	ASSERT_EQ(0, vivid_load(2));
	ASSERT_EQ(0, vivid_find_node(VIVID_CAPTURE_NAME, self->capture));
	ASSERT_EQ(0, vivid_find_node(VIVID_OUTPUT_NAME, self->output));
	ASSERT_EQ(0, vivid_find_node(VIVID_DEPTH_CAPTURE_NAME, self->depth_capture));
	ASSERT_EQ(0, vivid_find_node(VIVID_DEPTH_OUTPUT_NAME, self->depth_output));
	ASSERT_EQ(0, vivid_connect(self->capture, self->output));
	ASSERT_EQ(0, vivid_connect(self->depth_capture, self->depth_output));
	face_frame_blank(self->frame);
	sim_seq_wall(self->wall, (uint16_t)pad_sim_defaults.background_mm);
	ASSERT_EQ(0, vivid_feeder_start(self->output, V4L2_PIX_FMT_RGB24, self->frame,
					&self->colour));
	ASSERT_EQ(0, vivid_feeder_start(self->depth_output, VIVID_DEPTH_FOURCC, self->wall,
					&self->depth));
	self->enrolled_id = agent_enrol_first(&self->env, "alice",
					      agent_photo(&self->env, ENROLLED_PHOTO, photo));
	ASSERT_LT(0, self->enrolled_id);
}

FIXTURE_TEARDOWN(pad)
{
	if (self->agent > 0)
		agent_stop(self->agent, SIGTERM);
	if (!_metadata->passed)
		agent_log_dump(&self->env);
	sim_seq_stop(self->player);
	sim_seq_free(self->seq);
	vivid_feeder_stop(self->depth);
	vivid_feeder_stop(self->colour);
	vivid_unload();
	eg_unload();
	agent_env_cleanup(&self->env);
}

/* How many lines of the agent's log have TEXT. */
static unsigned int log_count(const struct agent_env *env, const char *text)
{
	FILE *f = fopen(env->log, "re");
	unsigned int n = 0;
	char line[1024];

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* The agent in depth mode on the two cameras (the log has the runs before). */
static void start_agent(FIXTURE_DATA(pad) *self, struct __test_metadata *_metadata)
{
	unsigned int runs = log_count(&self->env, "controlling /dev/egate0");
	unsigned int streams = log_count(&self->env, "streaming");
	char depth_set[96];

	snprintf(depth_set, sizeof(depth_set), "depth.camera=%s", self->depth_capture);
	self->agent = agent_start(&self->env, (const char *[]) {
		"cameras.egate0=name:" VIVID_CAPTURE_NAME, "pad.mode=depth", depth_set,
		"camera.focal_px=600",
		/* two agreeing frames: a frame takes seconds under emulation */
		"decision.frames=2", "decision.unknown_timeout_s=30", "decision.session_max_s=90",
		NULL });
	ASSERT_LT(0, self->agent);
	ASSERT_TRUE(agent_log_wait(&self->env, "controlling /dev/egate0", runs + 1, 60000));
	ASSERT_TRUE(agent_log_wait(&self->env, "streaming", streams + 1, 30000));
	ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 5000));
}

/* The sequence KIND, rendered by the build beside this program, looping. */
static void play(struct __test_metadata *_metadata, FIXTURE_DATA(pad) *self, const char *kind)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/../vmtests/pad-seq/%s", self->env.bin, kind);
	ASSERT_EQ(0, sim_seq_load(dir, &self->seq)) TH_LOG("%s: render it with make agent", dir);
	ASSERT_NE(NULL, self->seq->z16);
	ASSERT_EQ(0, sim_seq_play(self->seq, self->colour, self->depth, &self->player));
}

/* The sum of the lines "NAME{...} VALUE" or "NAME VALUE" of the metrics textfile. */
static double metric(const struct agent_env *env, const char *name)
{
	FILE *f = fopen(env->metrics, "re");
	char line[512];
	double v = 0;

	while (f && fgets(line, sizeof(line), f)) {
		const char *end = strrchr(line, ' ');

		if (!strncmp(line, name, strlen(name)) && strchr("{ ", line[strlen(name)]) && end)
			v += strtod(end + 1, NULL);
	}
	if (f)
		fclose(f);
	return v;
}

/* The player stopped, nobody in front of the cameras. */
static void step_away(FIXTURE_DATA(pad) *self)
{
	sim_seq_stop(self->player);
	self->player = NULL;
	sim_seq_free(self->seq);
	self->seq = NULL;
	vivid_feeder_show(self->colour, self->frame);
	vivid_feeder_show(self->depth, self->wall);
}

static void stop_agent(struct __test_metadata *_metadata, FIXTURE_DATA(pad) *self)
{
	EXPECT_EQ(0, agent_stop(self->agent, SIGTERM));
	self->agent = -1;
}

/* The traveller walks up: admitted, passes; no attack seen. */
static void expect_admitted(struct __test_metadata *_metadata, FIXTURE_DATA(pad) *self)
{
	struct audit_summary s;

	start_agent(self, _metadata);
	play(_metadata, self, "bona-fide");
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", DECISION_MS))
		TH_LOG("bona fide: not authorised");
	step_away(self);	/* they step into the lane */
	ASSERT_EQ(0, eg_sim("walk speed=1500"));
	ASSERT_TRUE(agent_log_wait(&self->env, "completed", 1, LANE_MS));
	EXPECT_FALSE(agent_log_wait(&self->env, "presentation attack", 1, 0));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", LANE_MS));
	/* the passage's record is written by the agent's store worker: all
	 * are written when it has stopped */
	stop_agent(_metadata, self);
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(1, s.admit);
	EXPECT_EQ(self->enrolled_id, s.admit_traveller);
	EXPECT_EQ(1, s.passed);
	EXPECT_EQ(0, s.deny);
}

/* The presentation of KIND is denied as an attack: audited, logged,
 * counted; nobody passes.  BEFORE: the audit so far. */
static void expect_attack(struct __test_metadata *_metadata, FIXTURE_DATA(pad) *self,
			  const char *kind, const struct audit_summary *before)
{
	long long passages = eg_sysfs_num("counters/passages");
	unsigned int logged = log_count(&self->env, "presentation attack");
	struct audit_summary s;

	start_agent(self, _metadata);
	play(_metadata, self, kind);
	ASSERT_EQ(0, wait_decision(&self->env, &s, before, DECISION_MS))
		TH_LOG("%s: no decision", kind);
	ASSERT_EQ(before->admit, s.admit) TH_LOG("%s of the enrolled traveller admitted", kind);
	EXPECT_EQ(before->deny + 1, s.deny);
	EXPECT_EQ(before->attacks + 1, s.attacks)
		TH_LOG("%s: denied, but not as a presentation attack", kind);
	EXPECT_NE(NULL, strstr(s.detail, "relief")) TH_LOG("detail: %s", s.detail);
	EXPECT_TRUE(agent_log_wait(&self->env, "presentation attack", logged + 1, 5000));
	/* the lane stays shut: nothing authorised, nobody through */
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 5000));
	eg_sleep_ms(2000);
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 0));
	EXPECT_EQ(passages, eg_sysfs_num("counters/passages"));
	step_away(self);
	stop_agent(_metadata, self);
	ASSERT_EQ(0, audit_read(&self->env, &s));
	EXPECT_EQ(before->admit, s.admit);
	/* the textfile of this run of the agent, written on stop */
	EXPECT_EQ(1, metric(&self->env, "egate_pad_attacks_total"));
}

/*
 * One program, one boot of the lane and cameras, one enrolment (each takes
 * tens of seconds emulated); an agent of its own for each presentation, so
 * that none is the continuation of the one before.
 */
TEST_F_TIMEOUT(pad, bona_fide_admitted_still_photo_and_moving_print_denied, TEST_TIMEOUT_S)
{
	struct audit_summary s;

	expect_admitted(_metadata, self);
	ASSERT_EQ(0, audit_read(&self->env, &s));
	expect_attack(_metadata, self, "print-still", &s);
	ASSERT_EQ(0, audit_read(&self->env, &s));
	expect_attack(_metadata, self, "print", &s);
}

TEST_HARNESS_MAIN
