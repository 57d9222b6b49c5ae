// SPDX-License-Identifier: GPL-2.0
/*
 * policy_test - the decision policy on made-up face results: admission
 * needs several agreeing good frames with a margin, one bad frame or a
 * change of identity starts again, crowds are told "one at a time",
 * unknown faces are denied after the timeout (in the frames' time, however
 * late the frames are looked at) and not before, and a
 * decided session stays decided until the traveller leaves.
 */
#include <math.h>

#include "policy.h"
#include "kselftest_harness.h"

#define MS 1000000ull
#define FRAME_NS (100 * MS)

static const struct policy_config config = {
	.threshold = 0.5, .margin = 0.05, .min_quality = 0.5, .min_face_px = 80,
	.frames = 3, .unknown_timeout_ns = 2000 * MS,
};

static struct policy_frame face(uint64_t t, int64_t id, double distance)
{
	return (struct policy_frame) {
		.time_ns = t, .n_faces = 1, .face_px = 150, .quality = 0.9,
		.best_id = id, .best_distance = distance, .second_distance = 0.9,
	};
}

FIXTURE(policy) {
	struct policy p;
	struct policy_decision d;
	uint64_t t;
};

FIXTURE_SETUP(policy)
{
	policy_init(&self->p, &config);
	self->t = 1000 * MS;
}

FIXTURE_TEARDOWN(policy)
{
}

static enum policy_verdict feed(FIXTURE_DATA(policy) *self, struct policy_frame f)
{
	self->t = f.time_ns + FRAME_NS;
	return policy_feed(&self->p, &f, &self->d);
}

TEST_F(policy, admits_after_consecutive_frames)
{
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 7, 0.40)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 7, 0.30)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 7, 0.35)));
	EXPECT_EQ(7, self->d.traveller_id);
	EXPECT_EQ(0, self->d.candidate_id);
	EXPECT_LT(fabs(self->d.distance - 0.35), 1e-9);
	EXPECT_LT(fabs(self->d.margin - 0.55), 1e-9);
	/* decided: the same face in view decides nothing more */
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 7, 0.3)));
}

TEST_F(policy, bad_frames_break_the_streak)
{
	struct policy_frame f;

	feed(self, face(self->t, 7, 0.4));
	feed(self, face(self->t, 7, 0.4));
	f = face(self->t, 7, 0.4);
	f.quality = 0.2;			/* blurred, turned away */
	ASSERT_EQ(POLICY_NONE, feed(self, f));
	feed(self, face(self->t, 7, 0.4));
	feed(self, face(self->t, 7, 0.4));
	f = face(self->t, 7, 0.4);
	f.face_px = 40;				/* too far */
	ASSERT_EQ(POLICY_NONE, feed(self, f));
	feed(self, face(self->t, 7, 0.4));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 8, 0.4)));	/* someone else wins */
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 8, 0.4)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 8, 0.4)));
	EXPECT_EQ(8, self->d.traveller_id);
}

TEST_F(policy, no_match_without_threshold_and_margin)
{
	struct policy_frame f;

	for (int i = 0; i < 10; i++) {
		f = face(self->t, 7, 0.55);		/* over the threshold */
		ASSERT_EQ(POLICY_NONE, feed(self, f));
		f = face(self->t, 7, 0.40);
		f.second_distance = 0.42;		/* between two people */
		ASSERT_EQ(POLICY_NONE, feed(self, f));
	}
	ASSERT_EQ(POLICY_DENY, feed(self, face(self->t, 7, 0.6)));
	/* nobody was recognised; the nearest seen is only the candidate */
	EXPECT_EQ(0, self->d.traveller_id);
	EXPECT_TRUE(isnan(self->d.distance));
	EXPECT_EQ(7, self->d.candidate_id);
	EXPECT_LT(fabs(self->d.candidate_distance - 0.40), 1e-9);
	EXPECT_LT(fabs(self->d.margin - 0.02), 1e-9);	/* of that frame */
}

TEST_F(policy, unknown_denied_after_timeout_only)
{
	uint64_t start = self->t;

	while (self->t - start < config.unknown_timeout_ns - FRAME_NS)
		ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 0, INFINITY)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(start + config.unknown_timeout_ns - 1, 0,
					       INFINITY)));
	ASSERT_EQ(POLICY_DENY, feed(self, face(start + config.unknown_timeout_ns, 0, INFINITY)));
	EXPECT_EQ(0, self->d.traveller_id);
	EXPECT_EQ(0, self->d.candidate_id);		/* empty gallery: no candidate */
	EXPECT_TRUE(isnan(self->d.candidate_distance));
	EXPECT_EQ(config.unknown_timeout_ns / FRAME_NS + 1, self->d.frames);
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t + 10 * FRAME_NS, 0, INFINITY)));
}

TEST_F(policy, slow_frames_still_agree)
{
	/* each result comes 30 s after the last: still two agreeing frames */
	struct policy_config slow = config;

	slow.frames = 2;
	slow.unknown_timeout_ns = 4000 * MS;
	policy_init(&self->p, &slow);
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 7, 0.3)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t + 30000 * MS, 7, 0.3)));
}

TEST_F(policy, crowd_is_told_once_and_never_admitted)
{
	struct policy_frame two = face(self->t, 7, 0.3);

	two.n_faces = 2;
	ASSERT_EQ(POLICY_ONE_AT_A_TIME, feed(self, two));
	for (int i = 0; i < 5; i++) {
		two.time_ns = self->t;
		ASSERT_EQ(POLICY_NONE, feed(self, two));
	}
	feed(self, face(self->t, 7, 0.3));
	feed(self, face(self->t, 7, 0.3));
	two.time_ns = self->t;
	ASSERT_EQ(POLICY_ONE_AT_A_TIME, feed(self, two));	/* again after one face */
	feed(self, face(self->t, 7, 0.3));
	feed(self, face(self->t, 7, 0.3));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 7, 0.3)));
}

TEST_F(policy, leaving_ends_the_session)
{
	struct policy_frame none = { .n_faces = 0 };

	feed(self, face(self->t, 7, 0.3));
	feed(self, face(self->t, 7, 0.3));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 7, 0.3)));
	none.time_ns = self->t + POLICY_ABSENT_NS;
	ASSERT_EQ(POLICY_NONE, feed(self, none));
	/* the next traveller starts afresh: three frames again */
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 9, 0.3)));
	EXPECT_EQ(9, self->d.traveller_id);
}

TEST_HARNESS_MAIN
