// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant 2, the mantrap interlock: a door is driven open only while the
 * other reads closed (the emergency input and an officer's hold-open
 * excepted), and an occupant is let out without ever opening both.
 * Regressions: LOCK during an intrusion alarm, the controller restarting
 * during an alarm, an entry door held open during a passage, and a
 * tailgater behind a reverse passage each used to give both doors open;
 * someone walking in through the exit open for a departing traveller used
 * to be let out through the entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_safety.h"

FIXTURE(interlock) {
	int ctl;
};

FIXTURE_SETUP(interlock)
{
	/* Doors well inside the travel deadline, on a slow guest too. */
	static const char *const t[] = { "door_travel_ms", "800", NULL };

	self->ctl = eg_lane_up("topology=mantrap nbeams=8 door_ms=150", t);
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(interlock)
{
	eg_lane_down(&self->ctl);
}

/* Someone climbs in mid-lane: the alarm sends them back out the entry. */
static void intrude(struct __test_metadata *_metadata, int fd)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("beam 4 1"));
	ASSERT_EQ(0, eg_expect_state(fd, mark, EGATE_ST_ALARM, 2000));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
}

TEST_F(interlock, lock_during_intrusion)
{
	int mark = eg_mark();

	intrude(_metadata, self->ctl);
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_LOCK, 0, 0, 0));
	EXPECT_EQ(0, eg_hold_drives(self->ctl, 1, 0, 2000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "locked", 100));
	EXPECT_EQ(0, eg_interlock_breaches(mark));
}

TEST_F(interlock, controller_restart_during_alarm)
{
	int mark = eg_mark();
	int ro = eg_open(O_RDONLY);

	ASSERT_LE(0, ro);
	intrude(_metadata, self->ctl);
	close(self->ctl);
	self->ctl = -1;
	EXPECT_EQ(0, eg_hold_drives(ro, 1, 0, 1000));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	EXPECT_EQ(0, eg_hold_drives(ro, 1, 0, 1000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "alarm", 100));
	EXPECT_EQ(0, eg_interlock_breaches(mark));
	close(ro);
}

/* The entry cannot close behind the traveller: back out, exit shut. */
TEST_F(interlock, entry_held_open_during_passage)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 1));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("force entry 1"));
	ASSERT_EQ(0, eg_sim("walk stop=4,6000"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START,
				  EG_ANY, 5000));
	/* Past the travel deadline of the entry driven closed: a fault. */
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 5000));
	EXPECT_EQ(0, eg_hold_drives(self->ctl, -1, 0, 2000));
	EXPECT_EQ(0, eg_interlock_breaches(mark));
}

/* A tailgater behind a reverse passage: nobody out of the far end. */
TEST_F(interlock, reverse_tailgater)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sysfs_write("timings/passage_timeout_ms", "60000"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_REVERSE,
			    0, 2));
	ASSERT_EQ(0, eg_sysfs_wait("exit_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("pair dir=rev gap=150 speed=800"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_TAILGATING, 10000));
	EXPECT_EQ(0, eg_hold_drives(self->ctl, 0, -1, 3000));
	EXPECT_EQ(0, eg_interlock_breaches(mark));
	if (_metadata->passed == 0)
		eg_dump(mark);
}

/*
 * Someone walks in through the exit, open for a traveller leaving: they
 * came in by the exit and go back out of it (the traveller leaves by it
 * too); the entry stays shut, so nobody crosses the lane in reverse.
 */
TEST_F(interlock, intruder_through_open_exit)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sysfs_write("timings/passage_timeout_ms", "60000"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 3));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("walk stop=4,5000"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_EXITING, 5000));
	ASSERT_EQ(0, eg_sysfs_wait("exit_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("walk dir=rev"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_TAILGATING, 5000));
	EXPECT_EQ(0, eg_hold_drives(self->ctl, 0, -1, 4000));
	EXPECT_EQ(0, eg_interlock_breaches(mark));
	if (_metadata->passed == 0)
		eg_dump(mark);
}

TEST_HARNESS_MAIN
