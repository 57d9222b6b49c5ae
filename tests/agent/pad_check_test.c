// SPDX-License-Identifier: GPL-2.0
/*
 * pad_check_test - presentation-attack detection in the agent's decision
 * (pad-check.c beside policy.c), on synthetic presentations of one
 * enrolled traveller (agent/pad/sim): every frame of every sequence is
 * recognised as that traveller, as a photo of them would be.  A flat print,
 * held still or moved, is denied with reason presentation_attack and never
 * admitted; the live head of the same traveller is admitted, once PAD says
 * so; with PAD off the print is admitted after the policy's frames, as
 * before PAD.  In depth mode a lane whose depth frames stop denies (fails
 * closed); a new session starts PAD afresh; the attack's audit record, with
 * its PAD scores, is accepted by the real store and reads back whole.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egate-store.h"
#include "macro.h"
#include "pad-check.h"
#include "sim.h"
#include "test-files.h"
#include "thresholds.h"
#include "kselftest_harness.h"
#include "pad_test.h"

#define MS 1000000ull
#define TRAVELLER 7
/* the depth camera's image in the registration tests */
#define DEPTH_W 400
#define DEPTH_H 300

DEFINE_POINTER_CLEANUP(struct pad_sim_seq, seq_freep, pad_sim_seq_free)

static const struct policy_config config = {
	.threshold = 0.5, .margin = 0.05, .min_quality = 0.5, .min_face_px = 80,
	.frames = 3, .unknown_timeout_ns = 10000 * MS, .session_max_ns = 20000 * MS,
};

/* What a run of a sequence through policy and PAD gave. */
struct run {
	int admit_at, deny_at;		/* frame index, -1: never */
	unsigned int admits, denies;
	struct policy_decision d;	/* the last verdict's */
	char detail[EGATE_AUDIT_TEXT_MAX + 1];
};

FIXTURE(pad) {
	struct pad_sim_face *face;
	struct policy policy;
	struct pad_check pc;
	uint64_t t;
};

/* the generic face as the enrolment photo (pad_test.h) */
FIXTURE_SETUP(pad)
{
	struct egate_face_landmarks photo;

	pad_test_photo(&photo);
	ASSERT_EQ(0, pad_sim_face_new(&photo, &self->face));
	policy_init(&self->policy, &config);
	self->t = 1000 * MS;
}

FIXTURE_TEARDOWN(pad)
{
	pad_check_done(&self->pc);
	pad_sim_face_free(self->face);
}

static void pad_on(struct _test_data_pad *self, enum egate_pad_mode mode)
{
	const struct egate_pad_params p = { .focal = pad_sim_defaults.focal };

	pad_check_done(&self->pc);
	if (pad_check_init(&self->pc, mode, &p) < 0)
		abort();
}

/* The enrolled traveller, well recognised, at time t. */
static struct policy_frame recognised(uint64_t t)
{
	struct policy_frame f = {
		.time_ns = t, .n_faces = 1, .face_px = 150, .quality = 0.9, .described = true,
		.best_id = TRAVELLER, .best_distance = 0.3, .second_distance = 0.9,
	};

	f.descriptor[TRAVELLER] = 0.5f;
	return f;
}

/*
 * The image a depth camera registered by REG would send of CROP (the
 * depth in the colour grid): depth pixel (u, v) is colour pixel
 * (offset_x + scale u, offset_y + scale v), nearest.
 */
static void depth_camera_image(const struct pad_registration *reg,
			       const struct egate_pad_depth *crop, uint16_t *img)
{
	for (uint32_t v = 0; v < DEPTH_H; v++)
		for (uint32_t u = 0; u < DEPTH_W; u++) {
			long x = lround(reg->offset_x + reg->scale * u) - crop->x0;
			long y = lround(reg->offset_y + reg->scale * v) - crop->y0;

			img[v * DEPTH_W + u] = x >= 0 && y >= 0 && x < crop->width &&
					       y < crop->height ? crop->z[y * crop->stride + x] : 0;
		}
}

/*
 * KIND presented, at 15 frames/s; depth crops with the first DEPTH frames
 * (the depth camera sends none after), REG (NULL: none) as a depth camera
 * so registered would send them and the agent registers them.
 */
static struct run present(struct _test_data_pad *self, enum pad_sim_kind kind, uint64_t seed,
			  uint32_t depth, const struct pad_registration *reg)
{
	_cleanup_(seq_freep) struct pad_sim_seq *s = NULL;
	_cleanup_free_ uint16_t *img = malloc(sizeof(*img) * DEPTH_W * DEPTH_H);
	_cleanup_free_ uint16_t *buf = NULL;
	struct run run = { .admit_at = -1, .deny_at = -1 };
	size_t buf_size = 0;

	if (!img || pad_sim_sequence(self->face, kind, seed, NULL, depth, &s) < 0)
		abort();
	for (uint32_t i = 0; i < s->n; i++) {
		const struct pad_sim_frame *sf = &s->frames[i];
		struct policy_frame f = recognised(self->t);
		struct pad_input in = {
			.lm = &sf->lm, .width = s->p.width, .height = s->p.height,
			.depth = sf->depth.z ? &sf->depth : NULL, .time_ns = self->t,
		};
		struct pad_depth_image cam = { img, DEPTH_W, DEPTH_H, DEPTH_W };
		struct egate_pad_depth registered;
		struct policy_decision d;
		enum policy_verdict v;

		if (reg && in.depth) {
			depth_camera_image(reg, in.depth, img);
			if (pad_register_depth(reg, &cam, &sf->lm, s->p.width, s->p.height, &buf,
					       &buf_size, &registered) < 0)
				abort();
			in.depth = &registered;
		}
		self->t += 66 * MS;
		v = policy_feed(&self->policy, &f, &d);
		v = pad_check_decide(&self->pc, &self->policy, &in, v, &d);
		if (v == POLICY_NONE)
			continue;
		run.d = d;
		if (d.detail)
			snprintf(run.detail, sizeof(run.detail), "%s", d.detail);
		if (v == POLICY_ADMIT && !run.admits++)
			run.admit_at = (int)i;
		if (v == POLICY_DENY && !run.denies++)
			run.deny_at = (int)i;
	}
	return run;
}

/* Nobody in view for 2 s: the policy's session ends. */
static void walk_away(struct _test_data_pad *self)
{
	struct policy_frame empty = { .time_ns = self->t + 2000 * MS };
	struct policy_decision d;

	policy_feed(&self->policy, &empty, &d);
	self->t += 2100 * MS;
}

static int is_attack(const struct run *r)
{
	return r->d.reason && !strcmp(r->d.reason, PAD_CHECK_REASON);
}

TEST_F(pad, colour_denies_a_print_and_never_admits_it)
{
	static const enum pad_sim_kind prints[] = { PAD_SIM_PRINT_STILL, PAD_SIM_PRINT };

	pad_on(self, EGATE_PAD_COLOUR);
	for (size_t k = 0; k < 2; k++)
		for (uint64_t seed = 0; seed < 3; seed++) {
			struct run r = present(self, prints[k], seed, 0, NULL);

			EXPECT_EQ(0, r.admits) TH_LOG("%s seed %llu", pad_sim_kind_name(prints[k]),
						      (unsigned long long)seed);
			EXPECT_EQ(1, r.denies);
			EXPECT_TRUE(is_attack(&r));
			EXPECT_EQ(0, r.d.traveller_id);
			/* a DENY names the nearest traveller seen, as any DENY does */
			EXPECT_EQ(TRAVELLER, r.d.candidate_id);
			EXPECT_NE(NULL, strstr(r.detail, "pad=colour verdict=presentation_attack"));
			EXPECT_LE(r.deny_at, PAD_MAX_FRAMES - 1);	/* bounded */
			walk_away(self);
		}
}

TEST_F(pad, colour_admits_the_live_traveller_once_pad_says_so)
{
	pad_on(self, EGATE_PAD_COLOUR);
	for (uint64_t seed = 0; seed < 3; seed++) {
		struct run r = present(self, PAD_SIM_BONA_FIDE, seed, 0, NULL);

		EXPECT_EQ(1, r.admits) TH_LOG("seed %llu: %s", (unsigned long long)seed, r.detail);
		EXPECT_EQ(0, r.denies);
		EXPECT_EQ(TRAVELLER, r.d.traveller_id);
		EXPECT_EQ(NULL, r.d.reason);
		/* the policy agreed after 3 frames; PAD needs PAD_MIN_FRAMES */
		EXPECT_GE(r.admit_at, PAD_MIN_FRAMES - 1);
		EXPECT_NE(NULL, strstr(r.detail, "verdict=bona_fide"));
		walk_away(self);
	}
}

TEST_F(pad, depth_tells_the_print_from_the_head)
{
	pad_on(self, EGATE_PAD_DEPTH);
	for (int k = 0; k < PAD_SIM_KINDS; k++) {
		struct run r = present(self, k, 1, pad_sim_defaults.frames, NULL);

		if (k == PAD_SIM_BONA_FIDE) {
			EXPECT_EQ(1, r.admits) TH_LOG("%s", r.detail);
			EXPECT_EQ(0, r.denies);
			/* the policy's 3 frames and PAD's 3 depth frames run side by side */
			EXPECT_EQ((int)config.frames - 1, r.admit_at);
		} else {
			EXPECT_EQ(0, r.admits) TH_LOG("%s", pad_sim_kind_name(k));
			EXPECT_TRUE(is_attack(&r)) TH_LOG("%s", pad_sim_kind_name(k));
			EXPECT_NE(NULL, strstr(r.detail, "pad=depth verdict=presentation_attack"));
		}
		walk_away(self);
	}
}

TEST_F(pad, depth_without_depth_frames_fails_closed)
{
	struct run r;

	pad_on(self, EGATE_PAD_DEPTH);
	r = present(self, PAD_SIM_BONA_FIDE, 1, 0, NULL);	/* the depth camera is gone */
	EXPECT_EQ(0, r.admits);
	EXPECT_TRUE(is_attack(&r));
	EXPECT_EQ(PAD_MAX_FRAMES - 1, r.deny_at);
	EXPECT_NE(NULL, strstr(r.detail, "depth_frames=0"));
}

TEST_F(pad, off_admits_a_print_as_before)
{
	struct run r;

	pad_on(self, 0);
	r = present(self, PAD_SIM_PRINT_STILL, 0, 0, NULL);
	EXPECT_EQ(1, r.admits);
	EXPECT_EQ((int)config.frames - 1, r.admit_at);
	EXPECT_EQ(NULL, r.d.detail);
}

TEST_F(pad, a_new_session_starts_pad_afresh)
{
	struct run r;

	pad_on(self, EGATE_PAD_DEPTH);
	r = present(self, PAD_SIM_PRINT, 2, pad_sim_defaults.frames, NULL);
	EXPECT_TRUE(is_attack(&r));
	walk_away(self);
	r = present(self, PAD_SIM_BONA_FIDE, 2, pad_sim_defaults.frames, NULL);
	EXPECT_EQ(1, r.admits);
	EXPECT_EQ(0, r.denies);
	/* and the other way round: a bona fide verdict does not carry over */
	walk_away(self);
	r = present(self, PAD_SIM_PRINT, 3, pad_sim_defaults.frames, NULL);
	EXPECT_EQ(0, r.admits);
	EXPECT_TRUE(is_attack(&r));
}

/* The policy's own DENY (nobody enrolled) is not PAD's: no reason. */
TEST_F(pad, the_policy_deny_keeps_its_own_reason)
{
	struct policy_decision d;
	enum policy_verdict v = POLICY_NONE;

	pad_on(self, EGATE_PAD_COLOUR);
	for (int i = 0; i < 200 && v == POLICY_NONE; i++) {
		struct policy_frame f = recognised(self->t);
		struct pad_input in = { .time_ns = self->t };	/* no landmarks: PAD waits */

		f.best_distance = 0.8;	/* nobody's */
		self->t += 66 * MS;
		v = policy_feed(&self->policy, &f, &d);
		v = pad_check_decide(&self->pc, &self->policy, &in, v, &d);
	}
	EXPECT_EQ(POLICY_DENY, v);
	EXPECT_EQ(NULL, d.reason);
	EXPECT_EQ(EGATE_PAD_UNDECIDED, pad_check_verdict(&self->pc, NULL));
}

/*
 * A depth camera at half the colour resolution, its image shifted: what
 * the agent registers with depth.offset_x/offset_y/scale gives the same
 * verdicts as the depth in the colour grid; and the identity registration
 * gives back the image's own pixels.
 */
TEST_F(pad, registered_depth_decides_as_the_aligned_one)
{
	static const struct pad_registration half = {
		.offset_x = 24, .offset_y = -10, .scale = 2, .focal = 600,
	};
	struct run r;

	pad_on(self, EGATE_PAD_DEPTH);
	r = present(self, PAD_SIM_BONA_FIDE, 1, pad_sim_defaults.frames, &half);
	EXPECT_EQ(1, r.admits) TH_LOG("%s", r.detail);
	EXPECT_EQ((int)config.frames - 1, r.admit_at);
	walk_away(self);
	r = present(self, PAD_SIM_PRINT, 1, pad_sim_defaults.frames, &half);
	EXPECT_EQ(0, r.admits);
	EXPECT_TRUE(is_attack(&r)) TH_LOG("%s", r.detail);
	walk_away(self);
	r = present(self, PAD_SIM_BENT, 1, pad_sim_defaults.frames, &half);
	EXPECT_EQ(0, r.admits);
	EXPECT_TRUE(is_attack(&r)) TH_LOG("%s", r.detail);
}

TEST_F(pad, registration_maps_depth_pixels_to_colour_pixels)
{
	static const struct pad_registration identity = { .scale = 1 };
	static const struct pad_registration half = { .offset_x = 24, .offset_y = -10, .scale = 2 };
	_cleanup_(seq_freep) struct pad_sim_seq *s = NULL;
	_cleanup_free_ uint16_t *img = malloc(sizeof(*img) * DEPTH_W * DEPTH_H), *buf = NULL;
	struct pad_depth_image cam = { img, DEPTH_W, DEPTH_H, DEPTH_W };
	struct egate_face_landmarks nowhere;
	struct egate_pad_depth out;
	size_t size = 0;

	ASSERT_NE(NULL, img);
	for (uint32_t i = 0; i < DEPTH_W * DEPTH_H; i++)
		img[i] = (uint16_t)(i % 65521);
	ASSERT_EQ(0, pad_sim_sequence(self->face, PAD_SIM_BONA_FIDE, 1, NULL, 0, &s));
	ASSERT_EQ(0, pad_register_depth(&identity, &cam, &s->frames[0].lm, 640, 480, &buf, &size,
					 &out));
	EXPECT_EQ(320.0, out.cx);
	EXPECT_EQ(240.0, out.cy);
	EXPECT_EQ(640.0, out.fx);	/* focal 0: the longer side */
	for (uint32_t v = 0; v < out.height; v++)
		for (uint32_t u = 0; u < out.width; u++) {
			uint32_t x = out.x0 + u, y = out.y0 + v;
			uint16_t want = x < DEPTH_W && y < DEPTH_H ? img[y * DEPTH_W + x] : 0;

			ASSERT_EQ(want, out.z[v * out.stride + u]) TH_LOG("(%u, %u)", x, y);
		}
	ASSERT_EQ(0, pad_register_depth(&half, &cam, &s->frames[0].lm, 640, 480, &buf, &size,
					 &out));
	/* colour pixel (24 + 2u, -10 + 2v) is depth pixel (u, v) */
	for (uint32_t v = 0; v < DEPTH_H; v++)
		for (uint32_t u = 0; u < DEPTH_W; u++) {
			int64_t x = 24 + 2 * (int64_t)u - out.x0, y = -10 + 2 * (int64_t)v - out.y0;

			if (x >= 0 && y >= 0 && x < out.width && y < out.height)
				ASSERT_EQ(img[v * DEPTH_W + u], out.z[y * out.stride + x]);
		}
	EXPECT_EQ(-EINVAL, pad_register_depth(&(struct pad_registration){ .scale = 0 }, &cam,
					      &s->frames[0].lm, 640, 480, &buf, &size, &out));
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++)
		nowhere.x[i] = nowhere.y[i] = 2000;	/* off the frame */
	EXPECT_EQ(-EINVAL, pad_register_depth(&identity, &cam, &nowhere, 640, 480, &buf, &size,
					      &out));
	nowhere.x[3] = NAN;
	EXPECT_EQ(-EINVAL, pad_register_depth(&identity, &cam, &nowhere, 640, 480, &buf, &size,
					      &out));
}

struct found {
	int n;
	char reason[64], detail[EGATE_AUDIT_TEXT_MAX + 1];
	enum egate_decision decision;
};

static int collect(const struct egate_audit_record *r, void *data)
{
	struct found *f = data;

	if (r->kind != EGATE_AUDIT_DECISION)
		return 0;
	f->n++;
	f->decision = r->decision;
	snprintf(f->reason, sizeof(f->reason), "%s", r->reason ?: "");
	snprintf(f->detail, sizeof(f->detail), "%s", r->detail ?: "");
	return 0;
}

TEST_F(pad, the_attack_record_carries_its_scores)
{
	struct egate_pad_scores scores;
	struct found found = { 0 };
	char dir[PATH_MAX], path[PATH_MAX + 16], want[64];
	struct egate_store *store;
	struct run r;

	pad_on(self, EGATE_PAD_DEPTH);
	r = present(self, PAD_SIM_PRINT, 4, pad_sim_defaults.frames, NULL);
	ASSERT_TRUE(is_attack(&r));
	ASSERT_EQ(EGATE_PAD_ATTACK, pad_check_verdict(&self->pc, &scores));
	snprintf(want, sizeof(want), "relief_mm=%.3g ", scores.relief_mm);
	EXPECT_NE(NULL, strstr(r.detail, want)) TH_LOG("%s", r.detail);
	snprintf(want, sizeof(want), "quadric_mm=%.3g ", scores.quadric_mm);
	EXPECT_NE(NULL, strstr(r.detail, want));
	EXPECT_NE(NULL, strstr(r.detail, "wait_ms="));
	EXPECT_NE(NULL, strstr(r.detail, "feed_ms="));

	/* what record.c hands the store for this verdict */
	ASSERT_EQ(0, test_dir_new(dir));
	snprintf(path, sizeof(path), "%s/egate.db", dir);
	ASSERT_EQ(0, egate_store_open(path, &(struct egate_store_options){
				.flags = EGATE_STORE_CREATE, .busy_timeout_ms = 1000 },
				&store, NULL, 0));
	EXPECT_EQ(0, egate_store_audit_append(store, &(struct egate_audit_record){
			.kind = EGATE_AUDIT_DECISION, .lane = "lane-1",
			.decision = EGATE_DECISION_DENY, .score = r.d.distance,
			.margin = r.d.margin, .quality = r.d.quality,
			.candidate_id = r.d.candidate_id,
			.candidate_distance = r.d.candidate_distance,
			.reason = r.d.reason, .detail = r.d.detail }, NULL));
	EXPECT_EQ(0, egate_store_audit_foreach(store, 0, collect, &found));
	egate_store_close(store);
	test_dir_remove(dir);
	EXPECT_EQ(1, found.n);
	EXPECT_EQ(EGATE_DECISION_DENY, found.decision);
	EXPECT_STREQ(PAD_CHECK_REASON, found.reason);
	EXPECT_STREQ(r.detail, found.detail);
}

TEST_HARNESS_MAIN
