// SPDX-License-Identifier: GPL-2.0
/*
 * Mantrap lanes: the exit opens only with the entry closed and exactly one
 * occupant; a second person keeps the exit shut; nobody is ever trapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(mantrap) {
	int ctl;
};

FIXTURE_SETUP(mantrap)
{
	ASSERT_EQ(0, eg_load("", "topology=mantrap nbeams=8"));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(mantrap)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_unload();
}

/* Events since @mark where the exit was driven open with the entry not shut. */
static int eg_interlock_violations(int mark)
{
	const struct egate_event *ev;
	int n = 0, i;

	for (i = mark; (ev = eg_log_get(i)); i++)
		if (EGATE_DOORS_CMD_OPEN(ev->doors, EGATE_DOOR_EXIT) &&
		    (EGATE_DOORS_CMD_OPEN(ev->doors, EGATE_DOOR_ENTRY) ||
		     EGATE_DOORS_POS(ev->doors, EGATE_DOOR_ENTRY) !=
		     EGATE_DOOR_CLOSED))
			n++;
	return n;
}

TEST_F(mantrap, passage)
{
	const struct egate_event *ev;
	int mark = eg_mark();
	char buf[32];

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 11));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sysfs_read("exit_door", buf, sizeof(buf)));
	EXPECT_STREQ("closed", buf);
	ASSERT_EQ(0, eg_sim("walk"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START, EG_ANY, 5000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_EXITING, 8000));
	ASSERT_EQ(0, eg_sysfs_read("entry_door", buf, sizeof(buf)));
	EXPECT_STREQ("closed", buf);
	ev = eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_DONE, 1, 10000);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(11, ev->tag);
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(0, eg_sysfs_wait("exit_door", "closed", 100));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 100));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_ALARM, EG_ANY));
	EXPECT_EQ(0, eg_interlock_violations(mark));
	EXPECT_LT(0, eg_count(mark, EGATE_EV_DOOR, EGATE_DOOR_ARG(EGATE_DOOR_EXIT,
								 EGATE_DOOR_OPEN)));
}

TEST_F(mantrap, reverse_passage)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_REVERSE, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("exit_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("walk dir=rev"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_DONE, 1, 15000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_ALARM, EG_ANY));
}

TEST_F(mantrap, tailgater_keeps_exit_shut)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("pair gap=200"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_TAILGATING, 8000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_ALARM, 2000));
	/* They are sent back the way they came; the exit never opens. */
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	eg_sleep_ms(1500);
	EXPECT_EQ(0, eg_sim_status("exit_pos"));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_PASSAGE_DONE, EG_ANY));
	EXPECT_EQ(0, eg_interlock_violations(mark));
	ASSERT_EQ(0, eg_sim("clear"));
	ASSERT_EQ(0, eg_wait_clear(2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(mantrap, controller_lost_lets_occupant_out)
{
	int ro = eg_open(O_RDONLY), mark = eg_mark();

	ASSERT_LE(0, ro);
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("walk stop=4,1500"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START, EG_ANY, 5000));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "closed", 5000));
	close(self->ctl);
	self->ctl = -1;
	ASSERT_EQ(0, eg_expect_state(ro, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	/* Out of service with someone inside: the exit opens for them. */
	ASSERT_EQ(0, eg_sim_wait("travellers", 0, 10000));
	EXPECT_EQ(0, eg_sysfs_wait("exit_door", "closed", 5000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 100));
	close(ro);
}

TEST_HARNESS_MAIN
