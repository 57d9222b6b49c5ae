// SPDX-License-Identifier: GPL-2.0
/*
 * policy_test - the decision policy on made-up face results: admission
 * needs several agreeing good frames with a margin, one bad frame, a frame
 * the engine failed on or a change of identity starts again, crowds are
 * told "one at a time", unknown faces are denied after the timeout (in the
 * frames' time, however late the frames are looked at) and not before, a
 * decided session stays decided while the same traveller stays, and the
 * next traveller in continuous view gets a verdict of their own.
 */
#include <math.h>

#include "policy.h"
#include "kselftest_harness.h"

#define MS 1000000ull
#define FRAME_NS (100 * MS)

static const struct policy_config config = {
	.threshold = 0.5, .margin = 0.05, .min_quality = 0.5, .min_face_px = 80,
	.frames = 3, .unknown_timeout_ns = 2000 * MS, .session_max_ns = 5000 * MS,
};

#define STRANGER 100	/* a face that is nobody's in the gallery */

/*
 * Person who's face, seen at time t: a descriptor of their own, 0.7 from
 * everyone else's (threshold 0.5), and jitter (0..1) of up to 0.35 from
 * one frame to the next, as a real camera gives; best enrolled match id.
 */
static struct policy_frame seen(uint64_t t, int who, double jitter, int64_t id,
				double distance)
{
	struct policy_frame f = {
		.time_ns = t, .n_faces = 1, .face_px = 150, .quality = 0.9, .described = true,
		.best_id = id, .best_distance = distance, .second_distance = 0.9,
	};

	f.descriptor[who % EGATE_FACE_DESCRIPTOR_DIM] = 0.5f;
	f.descriptor[(who + 1 + (t / FRAME_NS) % 7) % EGATE_FACE_DESCRIPTOR_DIM] =
		(float)(0.35 * jitter);
	return f;
}

/* Enrolled traveller id, recognised at that distance. */
static struct policy_frame face(uint64_t t, int64_t id, double distance)
{
	return seen(t, (int)id, 0, id, distance);
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
	uint64_t start = self->t;

	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 7, 0.40)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 7, 0.30)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 7, 0.35)));
	EXPECT_EQ(7, self->d.traveller_id);
	EXPECT_EQ(0, self->d.candidate_id);
	EXPECT_LT(fabs(self->d.distance - 0.35), 1e-9);
	EXPECT_LT(fabs(self->d.margin - 0.55), 1e-9);
	/* decided: the same face in view decides nothing more for a while */
	while (self->t < start + config.session_max_ns)
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
	self->t = none.time_ns;
	/* the next traveller starts afresh: three frames again */
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 9, 0.3)));
	EXPECT_EQ(9, self->d.traveller_id);
}

/* Frames of person who, one every FRAME_NS for how long: the verdicts seen. */
static unsigned int count(FIXTURE_DATA(policy) *self, int who, int64_t id, double distance,
			  uint64_t how_long, enum policy_verdict verdict)
{
	uint64_t end = self->t + how_long;
	unsigned int n = 0;

	while (self->t < end)
		n += feed(self, seen(self->t, who, 1, id, distance)) == verdict;
	return n;
}

TEST_F(policy, enrolled_after_a_denied_stranger_in_continuous_view)
{
	/* the stranger is denied once, however long they stay */
	ASSERT_EQ(1, count(self, STRANGER, 7, 0.7, 3000 * MS, POLICY_DENY));
	/* the next traveller steps in: no frame without a face in between */
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 9, 0.3)));
	EXPECT_EQ(9, self->d.traveller_id);
	EXPECT_EQ(3, self->d.frames);		/* in their own session */
}

TEST_F(policy, enrolled_after_a_stranger_gets_a_session_of_their_own)
{
	struct policy_frame blink;

	/* the stranger leaves just before being denied */
	ASSERT_EQ(0, count(self, STRANGER, 7, 0.7, config.unknown_timeout_ns - FRAME_NS,
			   POLICY_DENY));
	/* the stranger's time is not theirs: a blink does not deny them */
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	blink = face(self->t, 9, 0.3);
	blink.quality = 0.2;
	ASSERT_EQ(POLICY_NONE, feed(self, blink));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 9, 0.3)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 9, 0.3)));
	EXPECT_EQ(9, self->d.traveller_id);
}

TEST_F(policy, the_next_enrolled_traveller_after_an_admission)
{
	ASSERT_EQ(1, count(self, 7, 7, 0.3, 1000 * MS, POLICY_ADMIT));
	/* someone the gallery knows, as near to the first as the gallery allows */
	ASSERT_EQ(POLICY_NONE, feed(self, seen(self->t, 7, 0, 9, 0.3)));
	ASSERT_EQ(POLICY_NONE, feed(self, seen(self->t, 7, 0, 9, 0.3)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, seen(self->t, 7, 0, 9, 0.3)));
	EXPECT_EQ(9, self->d.traveller_id);
}

TEST_F(policy, the_same_traveller_is_one_session)
{
	/* a jittery camera, a lingering traveller: one admission, one denial */
	ASSERT_EQ(1, count(self, 7, 7, 0.3, config.session_max_ns - FRAME_NS, POLICY_ADMIT));
	policy_reset(&self->p);
	ASSERT_EQ(1, count(self, STRANGER, 7, 0.7, config.session_max_ns - FRAME_NS,
			   POLICY_DENY));
}

TEST_F(policy, a_decided_session_ends_after_session_max)
{
	uint64_t start = self->t;

	ASSERT_EQ(1, count(self, STRANGER, 0, INFINITY, config.session_max_ns, POLICY_DENY));
	/* a new session starts with the face in view, and decides again */
	ASSERT_EQ(0, count(self, STRANGER, 0, INFINITY, config.unknown_timeout_ns,
			   POLICY_DENY));
	ASSERT_EQ(POLICY_DENY, feed(self, seen(self->t, STRANGER, 1, 0, INFINITY)));
	EXPECT_EQ(start + config.session_max_ns + config.unknown_timeout_ns, self->t - FRAME_NS);
	/* the admitted who stay are admitted again (their passage timed out) */
	policy_reset(&self->p);
	ASSERT_EQ(2, count(self, 7, 7, 0.3, config.session_max_ns + 3 * FRAME_NS, POLICY_ADMIT));
}

TEST_F(policy, engine_failure_breaks_the_streak)
{
	struct policy_frame f;

	feed(self, face(self->t, 7, 0.3));
	feed(self, face(self->t, 7, 0.3));
	f = face(self->t + FRAME_NS, 7, 0.3);	/* the frame before it failed */
	f.failed_before = 1;
	ASSERT_EQ(POLICY_NONE, feed(self, f));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t, 7, 0.3)));
	ASSERT_EQ(POLICY_ADMIT, feed(self, face(self->t, 7, 0.3)));
}

TEST_F(policy, undescribed_faces_are_not_usable)
{
	struct policy_frame f;

	/* a face cut by the frame's edge: no descriptor, whatever else says */
	for (int i = 0; i < 5; i++) {
		f = face(self->t, 7, 0.3);
		f.described = false;
		ASSERT_EQ(POLICY_NONE, feed(self, f));
	}
}

TEST_F(policy, time_going_back_is_no_time)
{
	/* a driver's clock that jumps back denies nobody early */
	feed(self, face(self->t, 0, INFINITY));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t - 500 * MS, 0, INFINITY)));
	ASSERT_EQ(POLICY_NONE, feed(self, face(self->t + 100 * MS, 0, INFINITY)));
}

TEST_HARNESS_MAIN
