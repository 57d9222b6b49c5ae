// SPDX-License-Identifier: GPL-2.0
/*
 * Limits of the lane's interfaces: a timing written through sysfs applies
 * to the deadline already running (lowering heartbeat_ms on a controller
 * that stopped sending heartbeats loses it within the new time).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(hard) {
	int ctl;
};

FIXTURE_SETUP(hard)
{
	ASSERT_EQ(0, eg_load("", ""));
	self->ctl = eg_open_ctl();	/* heartbeat_ms 60000 */
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(hard)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_unload();
}

TEST_F(hard, heartbeat_ms_lowered_applies_now)
{
	struct egate_status st;
	int mark = eg_mark();
	long long t0;

	ASSERT_EQ(60000, eg_sysfs_num("timings/heartbeat_ms"));
	/* The controller falls silent; the administrator lowers the bound. */
	t0 = eg_now_ms();
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "300"));
	/* 300 ms plus a generous margin for an emulated guest, not 60 s. */
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_HEARTBEAT_LOST,
				  EG_ANY, 3000));
	TH_LOG("heartbeat lost %lld ms after the write", eg_now_ms() - t0);
	EXPECT_LE(250, eg_now_ms() - t0);
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	ASSERT_EQ(0, eg_status(self->ctl, &st));
	EXPECT_TRUE(st.flags & EGATE_STATUS_HB_LOST);
}

TEST_F(hard, heartbeat_ms_raised_applies_now)
{
	int mark;

	/* A heartbeat under a 1 s bound, then the bound is raised. */
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "1000"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	mark = eg_mark();
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "60000"));
	/* Well past the old deadline, the controller still holds the lane. */
	eg_sleep_ms(2500);
	eg_drain(self->ctl);
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_HEARTBEAT_LOST, EG_ANY));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_CONTROLLER, EG_ANY));
}

TEST_HARNESS_MAIN
