// SPDX-License-Identifier: GPL-2.0
/*
 * Polled inputs: a chip without interrupts whose lines may sleep (like an
 * I2C or USB expander), polling forced on a chip that has them, and a chip
 * whose interrupts cannot trigger on both edges (probe falls back to
 * polling).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(polled) {
	int ctl;
};

FIXTURE_VARIANT(polled) {
	const char *egate;
	const char *sim;
};

FIXTURE_VARIANT_ADD(polled, sleeping_chip_without_irq) {
	.egate = "poll_ms=10 debounce=2",
	.sim = "irq=0 can_sleep=1",
};

FIXTURE_VARIANT_ADD(polled, forced_poll) {
	.egate = "poll=1 poll_ms=5 debounce=3",
	.sim = "",
};

/*
 * A chip with interrupts that refuses IRQ_TYPE_EDGE_BOTH, as single-edge
 * controllers do: probe falls back to polling instead of failing.  Needs
 * egate_sim's irq_both_edges parameter (simulator branch); an egate_sim
 * without it ignores the unknown parameter and this variant fails in
 * mode_reported.
 */
FIXTURE_VARIANT_ADD(polled, irq_without_both_edges) {
	.egate = "",
	.sim = "irq_both_edges=0",
};

FIXTURE_SETUP(polled)
{
	ASSERT_EQ(0, eg_load(variant->egate, variant->sim));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(polled)
{
	close(self->ctl);
	eg_unload();
}

TEST_F(polled, mode_reported)
{
	struct egate_info info;
	char buf[32];

	ASSERT_EQ(0, eg_sysfs_read("input_mode", buf, sizeof(buf)));
	EXPECT_STREQ("polled", buf);
	ASSERT_EQ(0, ioctl(self->ctl, EGATE_IOC_GET_INFO, &info));
	EXPECT_EQ(0, info.caps & EGATE_CAP_IRQ);
}

TEST_F(polled, passage)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 3));
	ASSERT_EQ(0, eg_sim("walk"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_PASSAGE_DONE, 1, 10000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_ALARM, EG_ANY));
	/* Every beam saw its own edges: none lost to polling at this speed. */
	EXPECT_EQ(16, eg_sysfs_num("counters/beam_edges"));
}

TEST_F(polled, tailgating)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("pair gap=200"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_ALARM,
				  EGATE_ALARM_TAILGATING, 8000));
}

TEST_F(polled, emergency)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_EMERGENCY, 2000));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 3000));
	ASSERT_EQ(0, eg_sim("emergency 0"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_EMERGENCY, 0, 2000));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 5000));
}

TEST_F(polled, debounce_ignores_glitch)
{
	int mark = eg_mark();

	/* A one-shot glitch shorter than a poll period is never seen. */
	ASSERT_EQ(0, eg_sim("burst 3 2"));
	eg_sleep_ms(300);
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_BEAMS, EG_ANY));
	EXPECT_EQ(0, eg_sysfs_num("counters/beam_edges"));
}

/* poll_ms * debounce bounds the polled reaction time: at most 200 ms. */
TEST(reaction_bound)
{
	EXPECT_EQ(-EINVAL, eg_load_egate("poll_ms=20 debounce=11"));
	EXPECT_EQ(-EINVAL, eg_load_egate("poll_ms=201 debounce=1"));
	EXPECT_EQ(-EINVAL, eg_load_egate("poll_ms=1000"));
	/* An overflowing product is no way round it. */
	EXPECT_EQ(-EINVAL, eg_load_egate("poll_ms=2147483648 debounce=2"));
	EXPECT_EQ(0, eg_load_egate("poll_ms=2 debounce=100"));
	eg_unload();
	EXPECT_EQ(0, eg_load_egate("poll_ms=200 debounce=1"));
	eg_unload();
}

TEST_HARNESS_MAIN
