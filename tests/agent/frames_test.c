// SPDX-License-Identifier: GPL-2.0
/*
 * frames_test - the traveller frames of the VM tests and the demo, checked
 * on the host with the agent's own face worker: each cast member's frame
 * shows one usable face that matches their enrolment photo under the
 * default threshold with a margin; the stranger matches nobody; two people
 * are two faces.  If a photo or the crop changes, this fails here rather
 * than as a slow timeout in the VM.  And the capture zone on such frames:
 * the queue behind the traveller is not a crowd, two travellers in the
 * zone are; the policy's verdicts on them; and the worker thread telling
 * the policy about frames the engine failed on.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture-internal.h"
#include "face-frame.h"
#include "worker.h"
#include "kselftest_harness.h"

#define THRESHOLD 0.5	/* decision.threshold's default */
#define MIN_QUALITY 0.5
#define INPUT_SIZE 320
#define MIN_FACE_PX 80	/* decision.min_face_px's default */
#define QUEUE_SIDE 170	/* someone a few steps behind: a face box of some 70 px */

/* The cast: scripts/demo and vm_agent_test use these. */
static const struct { const char *photo; int face; } cast[] = {
	{ "sample2.jpg", 0 }, { "sample5.jpg", 0 }, { "sample6.jpg", 2 },
};
#define STRANGER_PHOTO "sample3.jpg"

FIXTURE(frames) {
	struct egate_face_engine *engine;
	struct egate_face_gallery *gallery;
	struct worker *worker;
	char photos[3072];
};

static void photo(FIXTURE_DATA(frames) *self, const char *name, char path[4096])
{
	snprintf(path, 4096, "%s/%s", self->photos, name);
}

FIXTURE_SETUP(frames)
{
	const char *models = getenv("EGATE_MODELS");
	char path[4096];

	if (!models)
		SKIP(return, "EGATE_MODELS not set");
	snprintf(self->photos, sizeof(self->photos), "%s/../demo", models);
	ASSERT_EQ(0, egate_face_engine_new(models, &self->engine, NULL, 0));
	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_F32, 8, &self->gallery));
	ASSERT_EQ(0, worker_new(self->engine, INPUT_SIZE, 2, &self->worker));
	/* enrol as egate-gallery does: the face in the photo itself */
	for (size_t i = 0; i < sizeof(cast) / sizeof(cast[0]); i++) {
		struct egate_face_picture *pic;
		struct egate_face_image img;
		struct egate_face_detection d[16];
		struct egate_face_landmarks lm;
		struct egate_face_detect_opts opts = { .input_size = 416 };
		float desc[EGATE_FACE_DESCRIPTOR_DIM];
		int n, pick = -1;

		photo(self, cast[i].photo, path);
		ASSERT_EQ(0, egate_face_picture_load(path, &pic, NULL, 0));
		img = egate_face_picture_image(pic);
		n = egate_face_detect(self->engine, &img, &opts, d, 16);
		for (int k = 0; k < n; k++) {
			int left = 0;

			for (int j = 0; j < n; j++)
				left += d[j].box.x < d[k].box.x;
			if (left == cast[i].face)
				pick = k;
		}
		ASSERT_LE(0, pick);
		ASSERT_EQ(0, egate_face_landmarks(self->engine, &img, &d[pick].box, &lm));
		ASSERT_EQ(0, egate_face_descriptor(self->engine, &img, &lm, desc));
		ASSERT_LE(0, egate_face_gallery_add(self->gallery, i + 1, desc));
		egate_face_picture_free(pic);
	}
}

FIXTURE_TEARDOWN(frames)
{
	worker_free(self->worker);
	egate_face_gallery_free(self->gallery);
	egate_face_engine_free(self->engine);
}

/* Runs the worker's pipeline on a frame as the agent would. */
static void look_in(FIXTURE_DATA(frames) *self, const struct worker_zone *zone,
		    const uint8_t *rgb, struct worker_result *r)
{
	struct egate_face_image img = {
		.rgb = rgb, .width = FACE_FRAME_WIDTH, .height = FACE_FRAME_HEIGHT,
		.stride = FACE_FRAME_WIDTH * 3,
	};

	worker_look(self->engine, INPUT_SIZE, zone, &img, self->gallery, 0, r);
}

static void look(FIXTURE_DATA(frames) *self, const uint8_t *rgb, struct worker_result *r)
{
	look_in(self, &WORKER_ZONE_ALL, rgb, r);
}

/* The policy's verdicts on the same frame seen n times, 100 ms apart. */
static enum policy_verdict verdict(const struct worker_result *r, unsigned int n)
{
	const struct policy_config config = {
		.threshold = THRESHOLD, .margin = 0.05, .min_quality = MIN_QUALITY,
		.min_face_px = MIN_FACE_PX, .frames = n,
		.unknown_timeout_ns = 10000000000ull, .session_max_ns = 20000000000ull,
	};
	enum policy_verdict v = POLICY_NONE;
	struct policy_decision d;
	struct policy p;

	policy_init(&p, &config);
	for (unsigned int i = 0; i < n && v == POLICY_NONE; i++) {
		struct policy_frame f = r->frame;

		f.time_ns = (i + 1) * 100000000ull;
		v = policy_feed(&p, &f, &d);
	}
	return v;
}

TEST_F(frames, cast_members_match_themselves)
{
	static uint8_t frame[FACE_FRAME_BYTES];
	struct worker_result r;
	char path[4096];

	for (size_t i = 0; i < sizeof(cast) / sizeof(cast[0]); i++) {
		photo(self, cast[i].photo, path);
		ASSERT_EQ(0, face_frame_one(self->engine, path, cast[i].face, frame));
		look(self, frame, &r);
		ASSERT_EQ(0, r.error);
		ASSERT_EQ(1, r.frame.n_faces);
		TH_LOG("%s face %d: distance %.3f, runner-up %.3f, quality %.2f, %.0f px",
		       cast[i].photo, cast[i].face, r.frame.best_distance,
		       r.frame.second_distance, r.frame.quality, r.frame.face_px);
		EXPECT_EQ((int64_t)i + 1, r.frame.best_id);
		EXPECT_GT(THRESHOLD, r.frame.best_distance);
		EXPECT_LT(0.1, r.frame.second_distance - r.frame.best_distance);
		EXPECT_LE(MIN_QUALITY, r.frame.quality);
		EXPECT_LE(80, r.frame.face_px);
	}
}

TEST_F(frames, stranger_matches_nobody)
{
	static uint8_t frame[FACE_FRAME_BYTES];
	struct worker_result r;
	char path[4096];

	photo(self, STRANGER_PHOTO, path);
	ASSERT_EQ(0, face_frame_one(self->engine, path, 0, frame));
	look(self, frame, &r);
	ASSERT_EQ(1, r.frame.n_faces);
	TH_LOG("stranger: nearest %.3f", r.frame.best_distance);
	EXPECT_LT(THRESHOLD + 0.05, r.frame.best_distance);
}

TEST_F(frames, two_people_are_two_faces)
{
	static uint8_t frame[FACE_FRAME_BYTES];
	struct worker_result r;
	char p1[4096], p2[4096];

	photo(self, cast[0].photo, p1);
	photo(self, STRANGER_PHOTO, p2);
	ASSERT_EQ(0, face_frame_two(self->engine, p1, cast[0].face, p2, 0, frame));
	look(self, frame, &r);
	EXPECT_EQ(2, r.frame.n_faces);
	face_frame_blank(frame);
	look(self, frame, &r);
	EXPECT_EQ(0, r.frame.n_faces);
}

/*
 * The lane's zone: the middle of the frame, faces of the capture point's
 * size (the traveller's box is some 160 px wide, the queue's 100-120).
 */
static const struct worker_zone lane_zone = {
	.left = 0.2, .right = 0.8, .top = 0, .bottom = 1, .min_face_px = 140,
};

TEST_F(frames, queue_behind_is_not_a_crowd)
{
	static uint8_t frame[FACE_FRAME_BYTES];
	struct worker_result r;
	char p0[4096], p1[4096], p2[4096];

	photo(self, cast[0].photo, p0);
	photo(self, cast[1].photo, p1);
	photo(self, STRANGER_PHOTO, p2);
	face_frame_blank(frame);
	/* the traveller at the capture point, right of the middle */
	ASSERT_EQ(0, face_frame_add(self->engine, p0, cast[0].face, 260, 130, 340, frame));
	/* in the zone's columns, but small: behind them */
	ASSERT_EQ(0, face_frame_add(self->engine, p1, cast[1].face, 60, 0, 150, frame));
	/* out of the zone, bottom left */
	ASSERT_EQ(0, face_frame_add(self->engine, p2, 0, 0, 310, 160, frame));
	/* the detector sees all three */
	look(self, frame, &r);
	ASSERT_EQ(0, r.error);
	ASSERT_EQ(3, r.frame.n_faces);
	EXPECT_EQ(POLICY_ONE_AT_A_TIME, verdict(&r, 3));
	/* the lane looks at the traveller only */
	look_in(self, &lane_zone, frame, &r);
	ASSERT_EQ(0, r.error);
	ASSERT_EQ(1, r.frame.n_faces);
	ASSERT_TRUE(r.frame.described);
	EXPECT_EQ(1, r.frame.best_id);
	EXPECT_EQ(POLICY_ADMIT, verdict(&r, 3));
}

TEST_F(frames, two_in_the_zone_are_one_at_a_time)
{
	static uint8_t frame[FACE_FRAME_BYTES];
	struct worker_zone left_half = lane_zone;
	struct worker_result r;
	char p1[4096], p2[4096];

	photo(self, cast[0].photo, p1);
	photo(self, cast[1].photo, p2);
	ASSERT_EQ(0, face_frame_two(self->engine, p1, cast[0].face, p2, cast[1].face, frame));
	look_in(self, &lane_zone, frame, &r);
	ASSERT_EQ(0, r.error);
	ASSERT_EQ(2, r.frame.n_faces);
	EXPECT_FALSE(r.frame.described);
	EXPECT_EQ(POLICY_ONE_AT_A_TIME, verdict(&r, 3));
	/* the one on the right outside the zone: the other is the traveller */
	left_half.left = 0;
	left_half.right = 0.45;
	look_in(self, &left_half, frame, &r);
	ASSERT_EQ(1, r.frame.n_faces);
	EXPECT_EQ(1, r.frame.best_id);
	EXPECT_EQ(POLICY_ADMIT, verdict(&r, 3));
}

/* The worker thread's result for its frame, as the loop takes it: 0 or -errno. */
static int run(FIXTURE_DATA(frames) *self, struct worker_result *r)
{
	struct pollfd pfd = { .fd = worker_fd(self->worker), .events = POLLIN };
	int ret;

	worker_start(self->worker, self->gallery);
	while ((ret = worker_take_result(self->worker, r)) == -EAGAIN)
		if (poll(&pfd, 1, 60000) != 1)
			return -ETIMEDOUT;
	return ret;
}

TEST_F(frames, engine_failures_reach_the_policy)
{
	struct egate_frame *frame = worker_idle_frame(self->worker);
	struct worker_result r;
	char path[4096];

	/* a frame with no image (as egate_frame_new gives it): the engine fails */
	ASSERT_NE(NULL, frame);
	ASSERT_EQ(0, run(self, &r));
	ASSERT_GT(0, r.error);
	ASSERT_EQ(0, run(self, &r));
	ASSERT_GT(0, r.error);
	/* a traveller: the result says two frames failed before it */
	frame->data = malloc(FACE_FRAME_BYTES);
	ASSERT_NE(NULL, frame->data);
	frame->capacity = FACE_FRAME_BYTES;
	frame->width = FACE_FRAME_WIDTH;
	frame->height = FACE_FRAME_HEIGHT;
	frame->stride = FACE_FRAME_WIDTH * 3;
	photo(self, cast[0].photo, path);
	ASSERT_EQ(0, face_frame_one(self->engine, path, cast[0].face, frame->data));
	ASSERT_EQ(0, run(self, &r));
	ASSERT_EQ(0, r.error);
	EXPECT_EQ(1, r.frame.best_id);
	EXPECT_EQ(2, r.frame.failed_before);
	ASSERT_EQ(0, run(self, &r));
	EXPECT_EQ(0, r.frame.failed_before);
}

TEST_HARNESS_MAIN
