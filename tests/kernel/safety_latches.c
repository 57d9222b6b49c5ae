// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant 5, latches survive the controller: an alarm, a lock, a lost
 * heartbeat and a fault stay set when the controller closes and reopens
 * the device; only RESET clears them, and an officer's lock only an
 * officer's RESET.  Regressions: closing and reopening the device used to
 * clear every one of them, the officer's lock included.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_safety.h"
#include "uapi/linux/egate_netlink.h"

FIXTURE(latch) {
	int ctl;
};

FIXTURE_VARIANT(latch) {
	const char *sim;
};

FIXTURE_VARIANT_ADD(latch, single) {
	.sim = "topology=single",
};

FIXTURE_VARIANT_ADD(latch, mantrap) {
	.sim = "topology=mantrap",
};

FIXTURE_SETUP(latch)
{
	self->ctl = eg_lane_up(variant->sim, NULL);
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(latch)
{
	eg_lane_down(&self->ctl);
}

/* Close the controller, reopen it, and read what the lane says. */
static void reopen(struct __test_metadata *_metadata, int *ctl,
		   struct egate_status *st)
{
	close(*ctl);
	*ctl = eg_open_ctl();
	ASSERT_LE(0, *ctl);
	eg_log_for(*ctl, 500);
	ASSERT_EQ(0, eg_status(*ctl, st));
}

TEST_F(latch, alarm)
{
	struct egate_status st;
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("beam 3 1"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_ALARM, 2000));
	ASSERT_EQ(0, eg_sim("beam 3 -"));
	ASSERT_EQ(0, eg_wait_clear(2000));
	reopen(_metadata, &self->ctl, &st);
	EXPECT_EQ(EGATE_ST_ALARM, st.state);
	EXPECT_EQ(EGATE_ALARM_INTRUSION, st.alarm);
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 1));
	mark = eg_mark();
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(latch, lock)
{
	struct egate_status st;

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_LOCK, 0, 0, 0));
	reopen(_metadata, &self->ctl, &st);
	EXPECT_EQ(EGATE_ST_LOCKED, st.state);
	/* The controller's own lock is the controller's to lift. */
	EXPECT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
}

TEST_F(latch, heartbeat_lost)
{
	struct egate_status st;
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "300"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_HEARTBEAT_LOST,
				  EG_ANY, 3000));
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "60000"));
	reopen(_metadata, &self->ctl, &st);
	EXPECT_EQ(EGATE_ST_OUT_OF_SERVICE, st.state);
	EXPECT_TRUE(st.flags & EGATE_STATUS_HB_LOST);
	mark = eg_mark();
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(latch, fault)
{
	struct egate_status st;
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("fault entry 1"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 2000));
	ASSERT_EQ(0, eg_sim("fault entry 0"));
	reopen(_metadata, &self->ctl, &st);
	EXPECT_EQ(EGATE_ST_FAULT, st.state);
	EXPECT_EQ(EGATE_ALARM_FAULT, st.alarm);
}

TEST_F(latch, officer_lock_needs_an_officer)
{
	struct egate_status st;
	int mark;

	ASSERT_EQ(0, eg_officer(EGATE_NL_ACTION_LOCK));
	EXPECT_EQ(-EPERM, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	EXPECT_EQ(-EPERM, eg_cmd(self->ctl, EGATE_CMD_HOLD_OPEN, 0, 0, 0));
	reopen(_metadata, &self->ctl, &st);
	EXPECT_EQ(EGATE_ST_LOCKED, st.state);
	EXPECT_EQ(-EPERM, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	mark = eg_mark();
	ASSERT_EQ(0, eg_officer(EGATE_NL_ACTION_RESET));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_HARNESS_MAIN
