// SPDX-License-Identifier: GPL-2.0
/*
 * Emergency input: every door opens at once and stays open until the
 * input clears and the controller resets, whatever else is going on.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(emergency) {
	int ctl;
};

FIXTURE_VARIANT(emergency) {
	const char *sim;
};

FIXTURE_VARIANT_ADD(emergency, single) {
	.sim = "topology=single",
};

FIXTURE_VARIANT_ADD(emergency, mantrap) {
	.sim = "topology=mantrap",
};

FIXTURE_SETUP(emergency)
{
	ASSERT_EQ(0, eg_load("", variant->sim));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(emergency)
{
	close(self->ctl);
	eg_unload();
}

static int eg_doors_open(int mantrap)
{
	char e[32], x[32];

	if (eg_sysfs_wait("entry_door", "open", 3000))
		return 0;
	if (!mantrap)
		return 1;
	if (eg_sysfs_wait("exit_door", "open", 3000))
		return 0;
	eg_sysfs_read("entry_door", e, sizeof(e));
	eg_sysfs_read("exit_door", x, sizeof(x));
	return !strcmp(e, "open") && !strcmp(x, "open");
}

TEST_F(emergency, opens_holds_and_needs_reset)
{
	int mantrap = !strcmp(variant->sim, "topology=mantrap");
	int mark = eg_mark();
	struct egate_status st;

	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_EMERGENCY, 1, 2000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_EMERGENCY, 2000));
	ASSERT_TRUE(eg_doors_open(mantrap));
	ASSERT_EQ(0, eg_status(self->ctl, &st));
	EXPECT_TRUE(st.flags & EGATE_STATUS_EMERGENCY_IN);
	EXPECT_EQ(EGATE_ALARM_EMERGENCY, st.alarm);
	EXPECT_EQ(1, eg_sysfs_num("counters/emergency"));

	/* Nothing but a reset after the input clears ends it. */
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_LOCK, 0, 0, 0));
	ASSERT_EQ(0, eg_sim("emergency 0"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_EMERGENCY, 0, 2000));
	eg_sleep_ms(700);
	ASSERT_EQ(0, eg_status(self->ctl, &st));
	EXPECT_EQ(EGATE_ST_EMERGENCY, st.state);
	ASSERT_TRUE(eg_doors_open(mantrap));

	mark = eg_mark();
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_RESET, EG_ANY, 1000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 3000));
}

TEST_F(emergency, during_passage)
{
	int mantrap = !strcmp(variant->sim, "topology=mantrap");
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 9));
	ASSERT_EQ(0, eg_sim("walk speed=600"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START, EG_ANY, 5000));
	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_AUTH_END,
				  EGATE_OUT_EMERGENCY, 2000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_EMERGENCY, 2000));
	ASSERT_TRUE(eg_doors_open(mantrap));
	/* The traveller walks out through the open lane. */
	ASSERT_EQ(0, eg_sim_wait("travellers", 0, 10000));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_PASSAGE_DONE, EG_ANY));
	ASSERT_EQ(0, eg_sim("emergency 0"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_EMERGENCY, 0, 2000));
	ASSERT_EQ(0, eg_wait_clear(2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(emergency, without_controller)
{
	int mantrap = !strcmp(variant->sim, "topology=mantrap");
	int ro = eg_open(O_RDONLY);
	int mark;

	ASSERT_LE(0, ro);
	close(self->ctl);
	self->ctl = -1;
	mark = eg_mark();
	ASSERT_EQ(0, eg_expect_state(ro, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_EQ(0, eg_expect_state(ro, mark, EGATE_ST_EMERGENCY, 2000));
	ASSERT_TRUE(eg_doors_open(mantrap));
	close(ro);
}

TEST_HARNESS_MAIN
