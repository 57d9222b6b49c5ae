// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant 3, anti-pinch fails safe: a door is never driven closed while
 * a beam of its swing zone is broken, and what cannot be read counts as
 * broken.  Regressions: a failed read of the beams used to read "all
 * clear"; a RESET with a door still jammed left the lane closing for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_safety.h"

FIXTURE(pinch) {
	int ctl;
};

FIXTURE_SETUP(pinch)
{
	/*
	 * Doors four times faster than the travel deadline: a slow guest (a
	 * debug kernel under emulation) slows the simulated doors down, and
	 * must not make them look jammed.
	 */
	static const char *const t[] = { "door_travel_ms", "600", NULL };

	self->ctl = eg_lane_up("topology=single nbeams=8 door_ms=150", t);
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(pinch)
{
	eg_lane_down(&self->ctl);
}

TEST_F(pinch, unreadable_beams_are_broken)
{
	int mark = eg_mark();
	char buf[32];

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 1));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("readerr beams 1"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 2000));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_AUTH_END,
				  EGATE_OUT_FAULT, 1000));
	/* Every beam reads broken, so the open door is not driven closed. */
	ASSERT_EQ(0, eg_sysfs_read("beams", buf, sizeof(buf)));
	EXPECT_STREQ("0x000000ff", buf);
	EXPECT_EQ(0, eg_hold_drives(self->ctl, 1, -1, 1500));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));

	/* Readable again and clear: the fault stays latched until RESET. */
	mark = eg_mark();
	ASSERT_EQ(0, eg_sim("readerr beams 0"));
	ASSERT_EQ(0, eg_wait_clear(2000));
	eg_log_for(self->ctl, 300);
	EXPECT_EQ(0, eg_sysfs_wait("state", "fault", 100));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(pinch, reset_keeps_jammed_door_deadline)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 1));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("jam entry 1"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 3000));

	/* Still jammed: RESET is accepted, and the deadline faults again. */
	mark = eg_mark();
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_CLOSING, 1000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 3000));

	/* Unjammed: RESET closes the door and the lane is idle again. */
	mark = eg_mark();
	ASSERT_EQ(0, eg_sim("jam entry 0"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 1000));
}

TEST_HARNESS_MAIN
