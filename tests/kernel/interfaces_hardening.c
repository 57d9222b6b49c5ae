// SPDX-License-Identifier: GPL-2.0
/*
 * Limits of the lane's interfaces: a timing written through sysfs applies
 * to the deadline already running (lowering heartbeat_ms on a controller
 * that stopped sending heartbeats loses it within the new time); the
 * number of open files per lane is bounded, never at the controller's
 * expense; large per-file queues need no contiguous memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

/* Open files per lane besides the controlling one (egate_cdev.c). */
#define EG_MAX_FILES	64

FIXTURE(hard) {
	int ctl;
};

FIXTURE_SETUP(hard)
{
	ASSERT_EQ(0, eg_load("", ""));
	self->ctl = eg_open_ctl();	/* heartbeat_ms 60000 */
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(hard)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_unload();
}

TEST_F(hard, heartbeat_ms_lowered_applies_now)
{
	struct egate_status st;
	int mark = eg_mark();
	long long t0;

	ASSERT_EQ(60000, eg_sysfs_num("timings/heartbeat_ms"));
	/* The controller falls silent; the administrator lowers the bound. */
	t0 = eg_now_ms();
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "300"));
	/* 300 ms plus a generous margin for an emulated guest, not 60 s. */
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_HEARTBEAT_LOST,
				  EG_ANY, 3000));
	TH_LOG("heartbeat lost %lld ms after the write", eg_now_ms() - t0);
	EXPECT_LE(250, eg_now_ms() - t0);
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	ASSERT_EQ(0, eg_status(self->ctl, &st));
	EXPECT_TRUE(st.flags & EGATE_STATUS_HB_LOST);
}

TEST_F(hard, heartbeat_ms_raised_applies_now)
{
	int mark;

	/* A heartbeat under a 1 s bound, then the bound is raised. */
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "1000"));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	mark = eg_mark();
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "60000"));
	/* Well past the old deadline, the controller still holds the lane. */
	eg_sleep_ms(2500);
	eg_drain(self->ctl);
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_HEARTBEAT_LOST, EG_ANY));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_CONTROLLER, EG_ANY));
}

TEST_F(hard, open_files_bounded)
{
	struct egate_status st;
	int fd[EG_MAX_FILES + 2], n = 0, i, extra;

	/* The controller is one of the EG_MAX_FILES. */
	for (i = 0; i < EG_MAX_FILES - 1; i++) {
		fd[n] = eg_open(O_RDONLY);
		ASSERT_LE(0, fd[n]) TH_LOG("open %d: %s", i, strerror(-fd[n]));
		n++;
	}
	EXPECT_EQ(-EBUSY, eg_open(O_RDONLY));
	/* A writable open that would not take control counts as well. */
	EXPECT_EQ(-EBUSY, eg_open(O_RDWR));

	/* Closing one lets another in. */
	close(fd[--n]);
	fd[n] = eg_open(O_RDONLY);
	ASSERT_LE(0, fd[n]);
	n++;
	EXPECT_EQ(-EBUSY, eg_open(O_RDONLY));

	/*
	 * Readers cannot lock the controller out: with the lane full and
	 * nobody in control, the open that takes control is let in.
	 */
	close(self->ctl);
	self->ctl = -1;
	fd[n] = eg_open(O_RDONLY);
	ASSERT_LE(0, fd[n]);
	n++;
	extra = eg_open(O_RDWR);
	ASSERT_LE(0, extra);
	ASSERT_EQ(0, eg_status(extra, &st));
	EXPECT_TRUE(st.flags & EGATE_STATUS_CONTROLLER);
	EXPECT_EQ(-EBUSY, eg_open(O_RDONLY));
	EXPECT_EQ(-EBUSY, eg_open(O_RDWR));
	/* Every file still gets the events. */
	ASSERT_EQ(0, eg_cmd(extra, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	ASSERT_EQ(0, eg_cmd(extra, EGATE_CMD_DENY, 0, 0, 0));
	for (i = 0; i < n; i++) {
		struct egate_event ev;
		int got;

		do
			got = eg_read_event(fd[i], &ev, 2000);
		while (got == 1 && ev.type != EGATE_EV_DENIED);
		EXPECT_EQ(1, got) TH_LOG("file %d", i);
	}
	for (i = 0; i < n; i++)
		close(fd[i]);
	self->ctl = extra;
}

/* The largest queues: 3 MiB a file, from memory that need not be contiguous. */
TEST(largest_queues)
{
	struct egate_event ev[4];
	struct egate_info info;
	int fd[16], ctl, i;

	ASSERT_EQ(0, eg_load("fifo_size=65536", ""));
	ctl = eg_open_ctl();
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, ioctl(ctl, EGATE_IOC_GET_INFO, &info));
	EXPECT_EQ(65536, info.fifo_size);
	for (i = 0; i < 16; i++) {
		fd[i] = eg_open(O_RDONLY | O_NONBLOCK);
		ASSERT_LE(0, fd[i]) TH_LOG("open %d: %s", i, strerror(-fd[i]));
	}
	ASSERT_EQ(0, eg_cmd(ctl, EGATE_CMD_DENY, 0, 0, 0));
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(sizeof(ev[0]), read(fd[i], ev, sizeof(ev)));
		EXPECT_EQ(EGATE_EV_DENIED, ev[0].type);
		close(fd[i]);
	}
	close(ctl);
	eg_unload();
}

TEST_HARNESS_MAIN
