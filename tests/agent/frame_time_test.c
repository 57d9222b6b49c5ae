// SPDX-License-Identifier: GPL-2.0
/*
 * frame_time_test - the capture time of a frame, from the buffers a V4L2
 * driver hands back: its own CLOCK_MONOTONIC timestamp when the buffer
 * says so and it makes sense, the arrival time when the driver gives
 * zeros, copies an output's timestamps, stamps another clock or goes back;
 * never before the previous frame's.  And what the policy makes of a
 * camera that gives zero timestamps: an unknown face is still denied, and
 * a traveller who walks away still ends the session.
 */
#include <math.h>
#include <linux/videodev2.h>

#include "capture-internal.h"
#include "policy.h"
#include "kselftest_harness.h"

#define MS 1000000ull
#define S 1000000000ull

static struct v4l2_buffer buffer(uint32_t flags, uint64_t t_ns)
{
	return (struct v4l2_buffer) {
		.flags = flags,
		.timestamp = { .tv_sec = t_ns / S, .tv_usec = t_ns % S / 1000 },
	};
}

#define MONOTONIC V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC

TEST(driver_time_when_monotonic)
{
	struct v4l2_buffer b = buffer(MONOTONIC | V4L2_BUF_FLAG_MAPPED, 5 * S + 3 * MS);
	uint64_t last = 0;

	/* captured 30 ms before it was read: the capture time counts */
	EXPECT_EQ(5 * S + 3 * MS, frame_time_ns(&b, 5 * S + 33 * MS, &last));
	EXPECT_EQ(5 * S + 3 * MS, last);
	b = buffer(MONOTONIC, 5 * S + 36 * MS);
	EXPECT_EQ(5 * S + 36 * MS, frame_time_ns(&b, 5 * S + 70 * MS, &last));
}

TEST(arrival_time_otherwise)
{
	struct v4l2_buffer b;
	uint64_t last = 0;

	/* zeros, flagged monotonic or not */
	b = buffer(MONOTONIC, 0);
	EXPECT_EQ(7 * S, frame_time_ns(&b, 7 * S, &last));
	b = buffer(V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN, 0);
	EXPECT_EQ(7 * S + 33 * MS, frame_time_ns(&b, 7 * S + 33 * MS, &last));
	/* an output's timestamps copied through (a loopback, a codec) */
	b = buffer(V4L2_BUF_FLAG_TIMESTAMP_COPY, 42 * MS);
	EXPECT_EQ(7 * S + 66 * MS, frame_time_ns(&b, 7 * S + 66 * MS, &last));
	/* a monotonic stamp older than the last frame's: a clock gone back */
	b = buffer(MONOTONIC, 6 * S);
	EXPECT_EQ(7 * S + 100 * MS, frame_time_ns(&b, 7 * S + 100 * MS, &last));
	/* one from the future: another clock (realtime) flagged monotonic */
	b = buffer(MONOTONIC, 1700000000 * S);
	EXPECT_EQ(7 * S + 133 * MS, frame_time_ns(&b, 7 * S + 133 * MS, &last));
	EXPECT_EQ(7 * S + 133 * MS, last);
}

TEST(never_before_the_last_frame)
{
	struct v4l2_buffer b = buffer(MONOTONIC, 9 * S);
	uint64_t last = 0;

	ASSERT_EQ(9 * S, frame_time_ns(&b, 9 * S + 40 * MS, &last));
	/* the driver's next is zero, and it is read "before" the last capture */
	b = buffer(MONOTONIC, 0);
	EXPECT_EQ(9 * S, frame_time_ns(&b, 8 * S, &last));
	EXPECT_EQ(9 * S, last);
}

/*
 * A camera whose driver stamps every frame zero, 10 frames a second: the
 * policy sees time pass, so the unknown face is denied at the timeout
 * and the session ends when they leave (with the driver's zeros, the
 * policy never denied and sessions never ended).
 */
TEST(zero_timestamps_still_deny_and_end_sessions)
{
	const struct policy_config config = {
		.threshold = 0.5, .margin = 0.05, .min_quality = 0.5, .min_face_px = 80,
		.frames = 3, .unknown_timeout_ns = 2 * S, .session_max_ns = 20 * S,
	};
	struct v4l2_buffer b = buffer(MONOTONIC, 0);
	struct policy_frame none = { .n_faces = 0 };
	struct policy_decision d;
	struct policy p;
	uint64_t last = 0, arrival = 100 * S, t;
	unsigned int denials = 0;

	policy_init(&p, &config);
	for (int i = 0; i < 30; i++, arrival += 100 * MS) {
		struct policy_frame f = {
			.n_faces = 1, .face_px = 150, .quality = 0.9, .described = true,
			.best_distance = INFINITY, .second_distance = INFINITY,
		};

		f.time_ns = t = frame_time_ns(&b, arrival, &last);
		if (policy_feed(&p, &f, &d) == POLICY_DENY) {
			EXPECT_EQ(102 * S, t);
			denials++;
		}
	}
	EXPECT_EQ(1, denials);
	/* gone: an empty frame a second later ends the session */
	none.time_ns = frame_time_ns(&b, arrival + 1 * S, &last);
	ASSERT_TRUE(p.in_session);
	policy_feed(&p, &none, &d);
	EXPECT_FALSE(p.in_session);
}

TEST_HARNESS_MAIN
