// SPDX-License-Identifier: GPL-2.0
/*
 * frames_test - the traveller frames of the VM tests and the demo, checked
 * on the host with the agent's own face worker: each cast member's frame
 * shows one usable face that matches their enrolment photo under the
 * default threshold with a margin; the stranger matches nobody; two people
 * are two faces.  If a photo or the crop changes, this fails here rather
 * than as a slow timeout in the VM.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "face-frame.h"
#include "worker.h"
#include "kselftest_harness.h"

#define THRESHOLD 0.5	/* decision.threshold's default */
#define MIN_QUALITY 0.5
#define INPUT_SIZE 320

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
	ASSERT_EQ(0, worker_new(self->engine, INPUT_SIZE, &self->worker));
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
static void look(FIXTURE_DATA(frames) *self, const uint8_t *rgb, struct worker_result *r)
{
	struct egate_face_image img = {
		.rgb = rgb, .width = FACE_FRAME_WIDTH, .height = FACE_FRAME_HEIGHT,
		.stride = FACE_FRAME_WIDTH * 3,
	};

	worker_look(self->engine, INPUT_SIZE, &img, self->gallery, 0, r);
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

TEST_HARNESS_MAIN
