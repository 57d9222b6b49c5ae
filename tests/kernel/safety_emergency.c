// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant 1, emergency always opens: while the emergency input is active
 * every door stays commanded open, whatever faults, jams, read errors,
 * locks, mode changes or controller losses happen meanwhile.  A fault
 * raised during the emergency is latched and reported, never acted on by
 * closing.  Regressions: a door missing its travel deadline, or both
 * switches of a door reading active, used to drive the doors closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_safety.h"
#include "uapi/linux/egate_netlink.h"

FIXTURE(emerg) {
	int ctl;
	int mantrap;
};

FIXTURE_VARIANT(emerg) {
	const char *sim;
	int mantrap;
};

FIXTURE_VARIANT_ADD(emerg, single) {
	.sim = "topology=single",
	.mantrap = 0,
};

FIXTURE_VARIANT_ADD(emerg, mantrap) {
	.sim = "topology=mantrap",
	.mantrap = 1,
};

FIXTURE_SETUP(emerg)
{
	static const char *const t[] = { "door_travel_ms", "600", NULL };

	self->mantrap = variant->mantrap;
	self->ctl = eg_lane_up(variant->sim, t);
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(emerg)
{
	eg_lane_down(&self->ctl);
}

static int all_open(int fd, int mantrap, int ms)
{
	return eg_hold_drives(fd, 1, mantrap ? 1 : -1, ms);
}

static void raise_emergency(struct __test_metadata *_metadata, int fd)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_EQ(0, eg_expect_state(fd, mark, EGATE_ST_EMERGENCY, 2000));
}

/* A door that cannot open (jammed shut) misses its deadline: still open. */
TEST_F(emerg, travel_deadline_missed)
{
	ASSERT_EQ(0, eg_sim("jam entry 1"));
	raise_emergency(_metadata, self->ctl);
	/* Three travel times: the deadline fires, the fault is latched. */
	EXPECT_EQ(0, all_open(self->ctl, self->mantrap, 2000));
	EXPECT_EQ(1, eg_sysfs_num("counters/fault"));
	EXPECT_EQ(0, eg_sysfs_wait("state", "emergency", 100));
}

/* Both switches of a door active: a fault, latched, doors stay open. */
TEST_F(emerg, impossible_switches)
{
	raise_emergency(_metadata, self->ctl);
	ASSERT_EQ(0, eg_sim("fault entry 1"));
	EXPECT_EQ(0, all_open(self->ctl, self->mantrap, 1500));
	EXPECT_EQ(1, eg_sysfs_num("counters/fault"));
	EXPECT_EQ(0, eg_sysfs_wait("state", "emergency", 100));
	/* Reset is refused while the switches are impossible. */
	ASSERT_EQ(0, eg_sim("emergency 0"));
	eg_log_for(self->ctl, 300);
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	EXPECT_EQ(0, all_open(self->ctl, self->mantrap, 300));
}

/* The beams cannot be read: a fault, doors stay open. */
TEST_F(emerg, read_error)
{
	raise_emergency(_metadata, self->ctl);
	ASSERT_EQ(0, eg_sim("readerr beams 1"));
	EXPECT_EQ(0, all_open(self->ctl, self->mantrap, 1000));
	EXPECT_EQ(1, eg_sysfs_num("counters/fault"));
	ASSERT_EQ(0, eg_sim("readerr beams 0"));
}

/* Lock, mode changes and losing the controller change nothing. */
TEST_F(emerg, lock_mode_and_controller_loss)
{
	raise_emergency(_metadata, self->ctl);
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_LOCK, 0, 0, 0));
	EXPECT_EQ(-EBUSY, eg_officer(EGATE_NL_ACTION_LOCK));
	EXPECT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_SET_MODE,
			    EGATE_MODE_OUT_OF_SERVICE, 0, 0));
	EXPECT_EQ(0, all_open(self->ctl, self->mantrap, 300));
	close(self->ctl);
	self->ctl = eg_open(O_RDONLY);
	ASSERT_LE(0, self->ctl);
	EXPECT_EQ(0, all_open(self->ctl, self->mantrap, 1000));
	EXPECT_EQ(0, eg_sysfs_wait("state", "emergency", 100));
}

/* An emergency over a fault opens the doors the fault had closed. */
TEST_F(emerg, over_fault)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("fault entry 1"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_FAULT, 2000));
	ASSERT_EQ(0, eg_sim("fault entry 0"));
	raise_emergency(_metadata, self->ctl);
	EXPECT_EQ(0, all_open(self->ctl, self->mantrap, 1500));
}

TEST_HARNESS_MAIN
