// SPDX-License-Identifier: GPL-2.0
/*
 * Passages on a single-barrier lane, driven through the simulated lane:
 * one authorisation lets one traveller through; expiry, denial,
 * tailgating, wrong way, intrusion and loitering raise what they should;
 * with interrupts and with polled, sleeping lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(single) {
	int ctl;
};

FIXTURE_VARIANT(single) {
	const char *egate;
	const char *sim;
};

FIXTURE_VARIANT_ADD(single, irq) {
	.egate = "",
	.sim = "nbeams=8 topology=single",
};

FIXTURE_VARIANT_ADD(single, polled) {
	.egate = "poll_ms=10 debounce=2",
	.sim = "nbeams=8 topology=single irq=0 can_sleep=1",
};

FIXTURE_SETUP(single)
{
	ASSERT_EQ(0, eg_load(variant->egate, variant->sim));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(single)
{
	close(self->ctl);
	eg_unload();
}

TEST_F(single, normal_passage)
{
	const struct egate_event *ev;
	int mark = eg_mark();
	char buf[64];

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD,
			    0, 42));
	ev = eg_expect(self->ctl, mark, EGATE_EV_AUTHORISED, EGATE_DIR_FORWARD, 1000);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(42, ev->tag);
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_AUTHORISED, 1000));
	EXPECT_EQ(1, eg_sim_status("green"));
	EXPECT_EQ(0, eg_sim_status("red"));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));

	ASSERT_EQ(0, eg_sim("walk"));
	ev = eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START, EG_ANY, 5000);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(42, ev->tag);
	EXPECT_EQ(1, ev->beams & 1);
	ev = eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_DONE, 1, 8000);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(42, ev->tag);
	EXPECT_EQ(0, ev->beams);
	ev = eg_expect(self->ctl, mark, EGATE_EV_AUTH_END, EGATE_OUT_COMPLETED, 1000);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(42, ev->tag);
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	ASSERT_EQ(0, eg_sysfs_read("entry_door", buf, sizeof(buf)));
	EXPECT_STREQ("closed", buf);
	EXPECT_EQ(1, eg_sysfs_num("counters/passages"));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_ALARM, EG_ANY));
	EXPECT_EQ(1, eg_count(mark, EGATE_EV_AUTH_END, EG_ANY));
	EXPECT_EQ(0, eg_sim_status("green"));

	/* The same authorisation does not let a second traveller in. */
	mark = eg_mark();
	ASSERT_EQ(0, eg_sim("walk"));
	EXPECT_EQ(0, eg_sim_wait("entry_pos", 0, 100));
	eg_sleep_ms(1500);
	EXPECT_EQ(0, eg_sim_status("entry_pos"));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_PASSAGE_START, EG_ANY));
}

TEST_F(single, expiry)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD,
			    400, 7));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_EXPIRED, EG_ANY, 3000));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_AUTH_END,
				  EGATE_OUT_EXPIRED, 1000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(1, eg_sysfs_num("counters/expired"));
	EXPECT_EQ(0, eg_sysfs_num("counters/passages"));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 3000));
}

TEST_F(single, deny_cancels)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_AUTHORISED, 1000));
	/* A second authorisation while one is pending is refused. */
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE,
				 EGATE_DIR_FORWARD, 0, 0));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_DENIED, EG_ANY, 1000));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_AUTH_END,
				  EGATE_OUT_DENIED, 1000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(1, eg_sysfs_num("counters/denied"));
}

TEST_F(single, tailgating)
{
	int mark = eg_mark();
	char buf[64];

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("pair gap=200"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_TAILGATING, 8000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_ALARM, 2000));
	ASSERT_EQ(0, eg_sysfs_read("alarm", buf, sizeof(buf)));
	EXPECT_STREQ("tailgating", buf);
	EXPECT_EQ(1, eg_count(mark, EGATE_EV_AUTH_END, EGATE_OUT_TAILGATING));
	EXPECT_EQ(1, eg_sysfs_num("counters/tailgating"));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_PASSAGE_DONE, EG_ANY));
	EXPECT_EQ(1, eg_sim_status("red"));

	/* Reset needs an empty lane. */
	ASSERT_EQ(0, eg_sim_wait("travellers", 0, 10000));
	ASSERT_EQ(0, eg_wait_clear(2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(single, wrong_way)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD, 0, 0));
	ASSERT_EQ(0, eg_sim("walk dir=rev"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_WRONG_WAY, 8000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_ALARM, 2000));
	EXPECT_EQ(1, eg_sysfs_num("counters/wrong_way"));
	EXPECT_EQ(1, eg_count(mark, EGATE_EV_AUTH_END, EGATE_OUT_WRONG_WAY));
	/* Fraud: the buzzer sounds intermittently. */
	EXPECT_EQ(0, eg_sim_wait("buzzer", 1, 2000));
	EXPECT_EQ(0, eg_sim_wait("buzzer", 0, 2000));

	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_sim("clear"));
	ASSERT_EQ(0, eg_wait_clear(2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(single, intrusion)
{
	int mark = eg_mark();

	/* Someone climbs over the closed barrier. */
	ASSERT_EQ(0, eg_sim("beam 3 1"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_INTRUSION, 2000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_ALARM, 2000));
	EXPECT_EQ(1, eg_sysfs_num("counters/intrusion"));
	/* Intrusion: continuous buzzer. */
	EXPECT_EQ(0, eg_sim_wait("buzzer", 1, 1000));
	eg_sleep_ms(600);
	EXPECT_EQ(1, eg_sim_status("buzzer"));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE,
				 EGATE_DIR_FORWARD, 0, 0));
	ASSERT_EQ(0, eg_sim("beam 3 -"));
	ASSERT_EQ(0, eg_wait_clear(2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(0, eg_sim_status("buzzer"));
}

TEST_F(single, loitering)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sysfs_write("timings/passage_timeout_ms", "1000"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD, 0, 0));
	ASSERT_EQ(0, eg_sim("walk stop=4,4000"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_START, EG_ANY, 5000));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_LOITERING, 5000));
	EXPECT_EQ(1, eg_sysfs_num("counters/loitering"));
	ASSERT_EQ(0, eg_sim("clear"));
}

TEST_F(single, reverse_direction)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_REVERSE, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("walk dir=rev"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_DONE, 1, 10000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_ALARM, EG_ANY));
}

TEST_HARNESS_MAIN
