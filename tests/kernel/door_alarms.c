// SPDX-License-Identifier: GPL-2.0
/*
 * Doors: never closed on a broken beam in the swing zone (re-open, retry,
 * OBSTRUCTED after the bound), forced open, jammed, switches that read
 * impossible values.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(door) {
	int ctl;
};

FIXTURE_SETUP(door)
{
	ASSERT_EQ(0, eg_load("", ""));
	ASSERT_EQ(0, eg_sysfs_write("timings/obstruct_retry_ms", "200"));
	ASSERT_EQ(0, eg_sysfs_write("timings/obstruct_retries", "2"));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(door)
{
	close(self->ctl);
	eg_unload();
}

/* The entry door reported shut while a beam of its swing zone was broken. */
static int eg_closed_on_someone(int mark)
{
	const struct egate_event *ev;
	int n = 0, i;

	for (i = mark; (ev = eg_log_get(i)); i++)
		if (ev->type == EGATE_EV_DOOR && (ev->beams & 0x3) &&
		    ev->arg == EGATE_DOOR_ARG(EGATE_DOOR_ENTRY, EGATE_DOOR_CLOSED))
			n++;
	return n;
}

TEST_F(door, traveller_stops_in_swing_zone)
{
	int mark = eg_mark(), obstructed;

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("walk stop=1,2500"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START, EG_ANY, 5000));
	/* Lock down with them standing in the door's way. */
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_LOCK, 0, 0, 0));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_OBSTRUCTED,
				  EGATE_DOOR_ENTRY | 1 << 8, 2000));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_OBSTRUCTION, 3000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_OBSTRUCTED, 1000));
	obstructed = eg_mark();
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_EQ(1000, eg_sim_status("entry_pos"));
	EXPECT_EQ(1, eg_sysfs_num("counters/obstruction"));
	EXPECT_LE(3, eg_sysfs_num("counters/obstruct_retries"));
	/* They walk on; the door closes behind them; the lock holds. */
	ASSERT_EQ(0, eg_expect_state(self->ctl, obstructed, EGATE_ST_LOCKED, 8000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 3000));
	EXPECT_EQ(0, eg_closed_on_someone(mark));
	ASSERT_EQ(0, eg_sim_wait("travellers", 0, 10000));
	ASSERT_EQ(0, eg_wait_clear(2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 3000));
}

TEST_F(door, reopens_when_beam_breaks_while_closing)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("jam entry 0"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	/* The door is on its way shut when someone steps into it. */
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "moving", 2000));
	ASSERT_EQ(0, eg_sim("beam 0 1"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_OBSTRUCTED,
				  EGATE_DOOR_ENTRY | 1 << 8, 2000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "open", 2000));
	EXPECT_EQ(0, eg_closed_on_someone(mark));
	ASSERT_EQ(0, eg_sim("beam 0 -"));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "closed", 5000));
}

TEST_F(door, forced_open)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("force entry 1"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_FORCED_DOOR, 2000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_ALARM, 1000));
	EXPECT_EQ(1, eg_sysfs_num("counters/forced_door"));
	EXPECT_EQ(0, eg_sim_wait("buzzer", 1, 1000));
	ASSERT_EQ(0, eg_sim("force entry 0"));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "closed", 3000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 3000));
}

TEST_F(door, jammed)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sysfs_write("timings/door_travel_ms", "400"));
	ASSERT_EQ(0, eg_sim("jam entry 1"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_FAULT, 3000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 1000));
	EXPECT_EQ(1, eg_sysfs_num("counters/fault"));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sim("jam entry 0"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 3000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 100));
}

TEST_F(door, impossible_switches)
{
	int mark = eg_mark();
	char buf[32];

	ASSERT_EQ(0, eg_sim("fault entry 1"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_FAULT, 2000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 1000));
	ASSERT_EQ(0, eg_sysfs_read("entry_door", buf, sizeof(buf)));
	EXPECT_STREQ("invalid", buf);
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_sim("fault entry 0"));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "closed", 2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 3000));
}

TEST_HARNESS_MAIN
