// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime wiring by an administrator through the egate-lane driver's
 * new_device / delete_device attributes, over the simulated chip loaded
 * without a lane of its own; the wiring errors; and the chip going while a
 * lane is wired to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

#define DRV "/sys/bus/platform/drivers/egate-lane/"
/* egate_sim's line layout: doors 0-5, emergency 6, lamps 7-8, buzzer 9. */
#define GOOD "chip=egate_sim topology=single entry=0,1,2 beams=10-13 " \
	     "emergency=!6 green=7 red=8 buzzer=9"

static int eg_drv_write(const char *attr, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(attr, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

FIXTURE(wiring) {
	int unused;
};

FIXTURE_SETUP(wiring)
{
	ASSERT_EQ(0, eg_load("", "lane=0 nbeams=4"));
	ASSERT_NE(0, access(EG_LANE, F_OK));
}

FIXTURE_TEARDOWN(wiring)
{
	eg_drv_write(DRV "delete_device", "egate0");
	eg_unload();
}

TEST_F(wiring, admin_lane_works)
{
	char buf[64];
	int ctl, mark;

	ASSERT_EQ(0, eg_drv_write(DRV "new_device", GOOD));
	ASSERT_EQ(0, access(EG_LANE, F_OK));
	ASSERT_EQ(0, eg_sysfs_read("topology", buf, sizeof(buf)));
	EXPECT_STREQ("single", buf);
	EXPECT_EQ(4, eg_sysfs_num("nbeams"));

	ctl = eg_open_ctl();
	ASSERT_LE(0, ctl);
	mark = eg_mark();
	ASSERT_EQ(0, eg_expect_state(ctl, mark, EGATE_ST_IDLE, 2000));
	ASSERT_EQ(0, eg_cmd(ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sim("walk"));
	ASSERT_NE(NULL, eg_expect(ctl, mark, EGATE_EV_PASSAGE_DONE, 1, 10000));
	/* The emergency contact is active-low as wired. */
	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_EQ(0, eg_expect_state(ctl, mark, EGATE_ST_EMERGENCY, 2000));
	close(ctl);

	ASSERT_EQ(0, eg_drv_write(DRV "delete_device", "egate0"));
	EXPECT_NE(0, access(EG_LANE, F_OK));
	EXPECT_EQ(-ENOENT, eg_drv_write(DRV "delete_device", "egate0"));
}

TEST_F(wiring, errors)
{
	/* Malformed. */
	EXPECT_EQ(-EINVAL, eg_drv_write(DRV "new_device", "bogus"));
	EXPECT_EQ(-EINVAL, eg_drv_write(DRV "new_device", GOOD " colour=red"));
	EXPECT_EQ(-EINVAL, eg_drv_write(DRV "new_device",
		"chip=egate_sim topology=oval entry=0,1,2 beams=10-13 emergency=6"));
	EXPECT_EQ(-EINVAL, eg_drv_write(DRV "new_device",
		"chip=egate_sim topology=single entry=0,1 beams=10-13 emergency=6"));
	/* Too few beams, missing exit door on a mantrap. */
	EXPECT_EQ(-EINVAL, eg_drv_write(DRV "new_device",
		"chip=egate_sim topology=single entry=0,1,2 beams=10-12 emergency=6"));
	EXPECT_EQ(-EINVAL, eg_drv_write(DRV "new_device",
		"chip=egate_sim topology=mantrap entry=0,1,2 beams=10-13 emergency=6"));
	/* The same line twice. */
	EXPECT_EQ(-EEXIST, eg_drv_write(DRV "new_device",
		"chip=egate_sim topology=single entry=0,1,2 beams=10-13 emergency=2"));
	/* Lines that do not exist. */
	EXPECT_EQ(-ENODEV, eg_drv_write(DRV "new_device",
		"chip=no_such_chip topology=single entry=0,1,2 beams=10-13 emergency=6"));
	EXPECT_EQ(-ENODEV, eg_drv_write(DRV "new_device",
		"chip=egate_sim topology=single entry=0,1,2 beams=30-33 emergency=6"));
	EXPECT_NE(0, access(EG_LANE, F_OK));

	/* Lines another lane holds. */
	ASSERT_EQ(0, eg_drv_write(DRV "new_device", GOOD));
	EXPECT_EQ(-EBUSY, eg_drv_write(DRV "new_device", GOOD));
	EXPECT_NE(0, access("/sys/class/egate/egate1", F_OK));
	EXPECT_EQ(-EINVAL, eg_drv_write(DRV "delete_device", "lane"));
	EXPECT_EQ(-ENOENT, eg_drv_write(DRV "delete_device", "egate7"));
}

/*
 * The chip goes (rmmod egate_sim) with an administrator's lane on it: the
 * lane goes first, in each input mode, with its device open.  Before
 * egate_gpiochip_remove() the lane outlived its chip: 6.1 oopsed in the
 * next poll (gpiolib read a removed chip), and the interrupts it held were
 * disposed of under it.
 */
FIXTURE(chip_gone) {
	int ctl;
};

FIXTURE_VARIANT(chip_gone) {
	const char *sim;
};

FIXTURE_VARIANT_ADD(chip_gone, interrupts) {
	.sim = "lane=0",
};

FIXTURE_VARIANT_ADD(chip_gone, polled) {
	.sim = "lane=0 irq=0",
};

FIXTURE_VARIANT_ADD(chip_gone, sleeping) {
	.sim = "lane=0 irq=0 can_sleep=1",
};

FIXTURE_SETUP(chip_gone)
{
	int mark;

	self->ctl = -1;
	ASSERT_EQ(0, eg_load("", variant->sim));
	mark = eg_mark();
	ASSERT_EQ(0, eg_drv_write(DRV "new_device", GOOD));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 3000));
}

FIXTURE_TEARDOWN(chip_gone)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_drv_write(DRV "delete_device", "egate0");
	eg_unload();
}

TEST_F(chip_gone, lane_goes_first)
{
	struct egate_status st;
	char line[256];
	FILE *f;

	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_unload_module("egate_sim"));
	EXPECT_NE(0, access(EG_LANE, F_OK));
	EXPECT_EQ(-1, ioctl(self->ctl, EGATE_IOC_GET_STATE, &st));
	EXPECT_EQ(ENODEV, errno);
	/* Its interrupts went with it, not with the chip. */
	f = fopen("/proc/interrupts", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		EXPECT_EQ(NULL, strstr(line, "egate0")) TH_LOG("%s", line);
	fclose(f);
	/* Time for a poll of a lane that outlived its chip to oops. */
	eg_sleep_ms(300);
	EXPECT_EQ(-ENOENT, eg_drv_write(DRV "delete_device", "egate0"));
}

TEST(board_lane_not_deletable)
{
	ASSERT_EQ(0, eg_load("", ""));
	EXPECT_EQ(-EPERM, eg_drv_write(DRV "delete_device", "egate0"));
	EXPECT_EQ(0, access(EG_LANE, F_OK));
	eg_unload();
}

TEST_HARNESS_MAIN
