// SPDX-License-Identifier: GPL-2.0
/*
 * Losing the controller: the controlling process closes the device, is
 * killed mid-passage, or stops sending heartbeats.  The lane goes out of
 * service within the heartbeat timeout and never traps anyone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(ctl) {
	int ro;
};

FIXTURE_SETUP(ctl)
{
	ASSERT_EQ(0, eg_load("", ""));
	self->ro = eg_open(O_RDONLY);
	ASSERT_LE(0, self->ro);
}

FIXTURE_TEARDOWN(ctl)
{
	close(self->ro);
	eg_unload();
}

TEST_F(ctl, killed_mid_passage)
{
	int pipefd[2], mark = eg_mark();
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = eg_open_ctl();

		if (fd < 0 || eg_cmd(fd, EGATE_CMD_AUTHORISE, 0, 0, 5))
			_exit(1);
		c = 1;
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ(pid, eg_sysfs_num("controller_pid"));
	ASSERT_EQ(0, eg_sim("walk speed=500"));
	ASSERT_NE(NULL, eg_expect(self->ro, mark, EGATE_EV_PASSAGE_START, EG_ANY, 5000));

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_NE(NULL, eg_expect(self->ro, mark, EGATE_EV_CONTROLLER, 0, 2000));
	ASSERT_NE(NULL, eg_expect(self->ro, mark, EGATE_EV_AUTH_END,
				  EGATE_OUT_OUT_OF_SERVICE, 2000));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	EXPECT_EQ(0, eg_sysfs_num("controller_pid"));
	/* The traveller is let out, then the barrier closes behind them. */
	ASSERT_EQ(0, eg_sim_wait("travellers", 0, 10000));
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 5000));
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_PASSAGE_DONE, EG_ANY));
	EXPECT_EQ(1, eg_sim_status("red"));
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(ctl, heartbeat_lost)
{
	struct egate_status st;
	int fd, mark = eg_mark();
	long long t0;

	/*
	 * The timeout is long beside the beat period: under emulation on a
	 * busy host a 150 ms sleep can take several times that, and a missed
	 * beat here would be the test's fault, not the driver's.
	 */
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "1500"));
	fd = eg_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_IDLE, 2000));

	/* Heartbeats in time keep the lane in service, well past the timeout. */
	for (int i = 0; i < 16; i++) {
		eg_sleep_ms(150);
		ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	}
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_HEARTBEAT_LOST, EG_ANY));
	ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_AUTHORISE, 0, 0, 0));

	/* Then silence: out of service within the timeout (and some slack). */
	t0 = eg_now_ms();
	ASSERT_NE(NULL, eg_expect(self->ro, mark, EGATE_EV_HEARTBEAT_LOST, EG_ANY, 6000));
	EXPECT_LT(eg_now_ms() - t0, 3500);
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_OUT_OF_SERVICE, 1000));
	ASSERT_EQ(0, eg_status(fd, &st));
	EXPECT_TRUE(st.flags & EGATE_STATUS_HB_LOST);
	EXPECT_EQ(0, eg_sysfs_wait("entry_door", "closed", 3000));

	/* A late heartbeat does not bring it back; a reset does. */
	ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	eg_sleep_ms(100);
	ASSERT_EQ(0, eg_status(fd, &st));
	EXPECT_EQ(EGATE_ST_OUT_OF_SERVICE, st.state);
	mark = eg_mark();
	ASSERT_EQ(0, eg_sysfs_write("timings/heartbeat_ms", "60000"));
	ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_IDLE, 3000));
	close(fd);
}

TEST_F(ctl, mode_out_of_service)
{
	int fd = eg_open_ctl(), mark = eg_mark();
	char buf[64];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_SET_MODE, EGATE_MODE_OUT_OF_SERVICE, 0, 0));
	ASSERT_NE(NULL, eg_expect(self->ro, mark, EGATE_EV_MODE,
				  EGATE_MODE_OUT_OF_SERVICE, 1000));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_OUT_OF_SERVICE, 1000));
	ASSERT_EQ(0, eg_sysfs_read("mode", buf, sizeof(buf)));
	EXPECT_STREQ("out_of_service", buf);
	EXPECT_EQ(-EBUSY, eg_cmd(fd, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_SET_MODE, EGATE_MODE_NORMAL, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_IDLE, 1000));
	close(fd);
}

TEST_F(ctl, lock_and_reset)
{
	int fd = eg_open_ctl(), mark = eg_mark();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_LOCK, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_LOCKED, 1000));
	EXPECT_EQ(-EBUSY, eg_cmd(fd, EGATE_CMD_AUTHORISE, 0, 0, 0));
	EXPECT_EQ(1, eg_sim_status("red"));
	ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_RESET, 0, 0, 0));
	ASSERT_EQ(0, eg_expect_state(self->ro, mark, EGATE_ST_IDLE, 1000));
	close(fd);
}

TEST_HARNESS_MAIN
