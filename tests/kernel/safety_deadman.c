// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant 6, the dead-man covers everything the controller can start: a
 * hold-open started through /dev/egateN ends, out of service, when that
 * controller misses its heartbeat or closes the device, and is refused
 * while the heartbeat-lost latch is set.  An officer's hold-open is the
 * officer's.  Regression: a controller's hold-open used to outlive it.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_safety.h"
#include "uapi/linux/egate_netlink.h"

FIXTURE(deadman) {
	int ctl;
	int ro;
};

FIXTURE_SETUP(deadman)
{
	ASSERT_EQ(0, eg_load("", "topology=single"));
	self->ro = eg_open(O_RDONLY);
	ASSERT_LE(0, self->ro);
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ro, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(deadman)
{
	close(self->ro);
	eg_lane_down(&self->ctl);
}

static void hold_open(struct __test_metadata *_metadata, int ctl, int ro)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(ctl, EGATE_CMD_HOLD_OPEN, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(ro, mark, EGATE_ST_HOLD_OPEN, 2000));
	ASSERT_EQ(1, eg_sim_status("entry_drive"));
}

TEST_F(deadman, hold_open_ends_on_close)
{
	int mark;

	hold_open(_metadata, self->ctl, self->ro);
	mark = eg_mark();
	close(self->ctl);
	self->ctl = -1;
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_OUT_OF_SERVICE,
				     2000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 3000));
}

TEST_F(deadman, hold_open_ends_on_heartbeat_loss)
{
	int mark;

	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "400"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	hold_open(_metadata, self->ctl, self->ro);
	mark = eg_mark();
	ASSERT_NE(NULL, eg_expect(self->ro, mark, EGATE_EV_HEARTBEAT_LOST,
				  EG_ANY, 3000));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_OUT_OF_SERVICE,
				     2000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 3000));
	/* Refused while the latch is set, whatever the heartbeats do now. */
	EXPECT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_HOLD_OPEN, 0, 0, 0));
}

TEST_F(deadman, officer_hold_open_outlives_the_controller)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_officer(EGATE_NL_ACTION_HOLD_OPEN));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_HOLD_OPEN, 2000));
	EXPECT_EQ(-EPERM, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	EXPECT_EQ(-EPERM, eg_cmd(self->ctl, EGATE_CMD_LOCK, 0, 0, 0));
	close(self->ctl);
	self->ctl = -1;
	EXPECT_EQ(0, eg_hold_drives(self->ro, 1, -1, 1000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "hold_open", 100));
	mark = eg_mark();
	ASSERT_EQ(0, eg_officer(EGATE_NL_ACTION_RESET));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_OUT_OF_SERVICE,
				     5000));
}

TEST_HARNESS_MAIN
