// SPDX-License-Identifier: GPL-2.0
/*
 * Removing the lane (unloading egate_sim) while it is open: readers wake
 * with ENODEV, every operation fails cleanly, nothing leaks, and the
 * modules unload afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(unload) {
	int ctl;
};

FIXTURE_SETUP(unload)
{
	ASSERT_EQ(0, eg_load("", ""));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(unload)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_unload();
}

struct eg_blocked {
	int fd;
	ssize_t ret;
	int err;
};

static void *eg_blocked_read(void *arg)
{
	struct eg_blocked *b = arg;
	struct egate_event ev;

	do {
		b->ret = read(b->fd, &ev, sizeof(ev));
	} while (b->ret > 0);
	b->err = errno;
	return NULL;
}

TEST_F(unload, lane_removed_while_open)
{
	struct eg_blocked b = { 0 };
	struct egate_status st;
	struct pollfd pfd;
	pthread_t th;

	b.fd = eg_open(O_RDONLY);
	ASSERT_LE(0, b.fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, eg_blocked_read, &b));
	eg_sleep_ms(200);
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));

	ASSERT_EQ(0, eg_unload_module("egate_sim"));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(-1, b.ret);
	EXPECT_EQ(ENODEV, b.err);

	pfd.fd = b.fd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_TRUE(pfd.revents & POLLERR);
	EXPECT_EQ(-ENODEV, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	EXPECT_EQ(-1, ioctl(self->ctl, EGATE_IOC_GET_STATE, &st));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_NE(0, access(EG_LANE, F_OK));

	/* The open files pin egate itself, not the lane. */
	EXPECT_NE(0, eg_unload_module("egate"));
	close(b.fd);
	close(self->ctl);
	self->ctl = -1;
	EXPECT_EQ(0, eg_unload_module("egate"));
}

TEST_F(unload, reload_cycles)
{
	for (int i = 0; i < 5; i++) {
		int fd = eg_open(O_RDONLY);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, eg_unload_module("egate_sim"));
		close(fd);
		close(self->ctl);
		self->ctl = -1;
		ASSERT_EQ(0, eg_load("", i & 1 ? "topology=mantrap" : "irq=0"));
		self->ctl = eg_open_ctl();
		ASSERT_LE(0, self->ctl);
	}
}

TEST_HARNESS_MAIN
