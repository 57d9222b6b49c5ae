// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant 4, one authorisation, at most one traveller: AUTHORISE only on
 * an idle lane in service with every beam clear; tailgating is the same in
 * both directions; a passage under way cannot be denied.  Regressions: a
 * lane put in service with someone inside accepted AUTHORISE; a second
 * person right behind a reverse passage was "wrong way"; DENY during a
 * passage returned 0 and did nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_safety.h"

FIXTURE(auth) {
	int ctl;
};

FIXTURE_VARIANT(auth) {
	const char *sim;
};

FIXTURE_VARIANT_ADD(auth, single) {
	.sim = "topology=single nbeams=8 door_ms=2000",
};

FIXTURE_VARIANT_ADD(auth, mantrap) {
	.sim = "topology=mantrap nbeams=8 door_ms=2000",
};

FIXTURE_SETUP(auth)
{
	ASSERT_EQ(0, eg_load("", variant->sim));
	ASSERT_EQ(0, eg_sysfs_write("timings/door_travel_ms", "10000"));
	self->ctl = -1;
}

FIXTURE_TEARDOWN(auth)
{
	eg_lane_down(&self->ctl);
}

static void take_lane(struct __test_metadata *_metadata, int *ctl)
{
	*ctl = eg_open_ctl();
	ASSERT_LE(0, *ctl);
	ASSERT_EQ(0, eg_expect_state(*ctl, 0, EGATE_ST_IDLE, 2000));
}

TEST_F(auth, refused_with_someone_inside)
{
	/* Someone is inside before the lane goes into service. */
	ASSERT_EQ(0, eg_sim("beam 3 1"));
	ASSERT_EQ(0, eg_sysfs_wait("beams", "0x00000008", 2000));
	take_lane(_metadata, &self->ctl);
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 1));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE,
				 EGATE_DIR_REVERSE, 0, 1));
	EXPECT_EQ(0, eg_sysfs_wait("state", "idle", 100));
	ASSERT_EQ(0, eg_sim("beam 3 -"));
	ASSERT_EQ(0, eg_wait_clear(2000));
	EXPECT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 1));
}

/*
 * Someone breaks the entry beam of the last passage's direction while the
 * doors close behind it (doors take 2 s here): tailgating, either way.
 */
static void tailgate(struct __test_metadata *_metadata, int ctl, int dir)
{
	int rev = dir == EGATE_DIR_REVERSE;
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sysfs_write("timings/tailgate_gap_ms", "10000"));
	ASSERT_EQ(0, eg_cmd(ctl, EGATE_CMD_AUTHORISE, dir, 0, 1));
	ASSERT_EQ(0, eg_sim(rev ? "walk dir=rev speed=1500" : "walk speed=1500"));
	ASSERT_NE(NULL, eg_expect(ctl, mark, EGATE_EV_PASSAGE_DONE, EG_ANY,
				  30000));
	ASSERT_EQ(0, eg_sim(rev ? "beam 7 1" : "beam 0 1"));
	ASSERT_NE(NULL, eg_expect(ctl, mark, EGATE_EV_ALARM, EG_ANY, 3000));
	EXPECT_EQ(1, eg_count(mark, EGATE_EV_ALARM, EGATE_ALARM_TAILGATING));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_ALARM, EGATE_ALARM_WRONG_WAY));
}

TEST_F(auth, tailgating_forward)
{
	take_lane(_metadata, &self->ctl);
	tailgate(_metadata, self->ctl, EGATE_DIR_FORWARD);
}

TEST_F(auth, tailgating_reverse)
{
	take_lane(_metadata, &self->ctl);
	tailgate(_metadata, self->ctl, EGATE_DIR_REVERSE);
}

TEST_F(auth, deny_during_passage)
{
	int mark = eg_mark();

	take_lane(_metadata, &self->ctl);
	ASSERT_EQ(0, eg_sysfs_write("timings/passage_timeout_ms", "60000"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 1));
	ASSERT_EQ(0, eg_sim("walk stop=3,3000"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START,
				  EG_ANY, 5000));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_DENIED, EG_ANY));
	/* Outside a passage DENY is still accepted (a deny decision). */
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_DONE,
				  EG_ANY, 15000));
	EXPECT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
}

TEST_HARNESS_MAIN
