// SPDX-License-Identifier: GPL-2.0
/*
 * The lane as it appears: info ioctl, sysfs, controller claim and release.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(lane) {
	int unused;
};

FIXTURE_SETUP(lane)
{
	ASSERT_EQ(0, eg_load("", ""));
}

FIXTURE_TEARDOWN(lane)
{
	eg_unload();
}

TEST_F(lane, info)
{
	struct egate_info info;
	int fd = eg_open(O_RDONLY);

	ASSERT_LE(0, fd);
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, ioctl(fd, EGATE_IOC_GET_INFO, &info));
	EXPECT_EQ(EGATE_ABI_VERSION, info.abi_version);
	EXPECT_EQ(0, info.lane_id);
	EXPECT_EQ(EGATE_TOPO_SINGLE, info.topology);
	EXPECT_EQ(8, info.nbeams);
	EXPECT_EQ(EGATE_CAP_IRQ | EGATE_CAP_LAMPS | EGATE_CAP_BUZZER, info.caps);
	EXPECT_EQ(sizeof(struct egate_event), info.event_size);
	EXPECT_EQ(48, info.event_size);
	EXPECT_EQ(32, info.cmd_size);
	EXPECT_EQ(256, info.fifo_size);
	EXPECT_EQ(2, info.swing_beams);
	for (int i = 0; i < 7; i++)
		EXPECT_EQ(0, info.reserved[i]);
	EXPECT_EQ(-1, ioctl(fd, _IOR(EGATE_IOC_MAGIC, 0x7f, int), &info));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST_F(lane, sysfs_at_rest)
{
	char buf[128];

	ASSERT_EQ(0, eg_sysfs_read("state", buf, sizeof(buf)));
	EXPECT_STREQ("out_of_service", buf);
	ASSERT_EQ(0, eg_sysfs_read("topology", buf, sizeof(buf)));
	EXPECT_STREQ("single", buf);
	ASSERT_EQ(0, eg_sysfs_read("mode", buf, sizeof(buf)));
	EXPECT_STREQ("normal", buf);
	ASSERT_EQ(0, eg_sysfs_read("entry_door", buf, sizeof(buf)));
	EXPECT_STREQ("closed", buf);
	ASSERT_EQ(0, eg_sysfs_read("exit_door", buf, sizeof(buf)));
	EXPECT_STREQ("absent", buf);
	ASSERT_EQ(0, eg_sysfs_read("input_mode", buf, sizeof(buf)));
	EXPECT_STREQ("irq", buf);
	ASSERT_EQ(0, eg_sysfs_read("alarm", buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
	EXPECT_EQ(8, eg_sysfs_num("nbeams"));
	EXPECT_EQ(0, eg_sysfs_num("beams"));
	EXPECT_EQ(0, eg_sysfs_num("controller_pid"));
	EXPECT_EQ(0, eg_sysfs_num("counters/passages"));
	EXPECT_EQ(5000, eg_sysfs_num("timings/auth_expiry_ms"));
	/* Out of service: red lamp on, green off. */
	EXPECT_EQ(1, eg_sim_status("red"));
	EXPECT_EQ(0, eg_sim_status("green"));
}

TEST_F(lane, controller_claim_release)
{
	struct egate_status st;
	int ctl, other, ro, mark;

	ro = eg_open(O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(0, eg_sysfs_num("controller_pid"));

	mark = eg_mark();
	ctl = eg_open(O_RDWR);
	ASSERT_LE(0, ctl);
	ASSERT_NE(NULL, eg_expect(ro, mark, EGATE_EV_CONTROLLER, 1, 2000));
	ASSERT_EQ(0, eg_expect_state(ro, mark, EGATE_ST_IDLE, 2000));
	EXPECT_EQ(getpid(), eg_sysfs_num("controller_pid"));
	ASSERT_EQ(0, eg_status(ctl, &st));
	EXPECT_EQ(EGATE_ST_IDLE, st.state);
	EXPECT_EQ(EGATE_STATUS_CONTROLLED | EGATE_STATUS_CONTROLLER, st.flags);
	EXPECT_EQ(0, eg_sim_status("red"));

	/* A second writer opens, but may not command. */
	other = eg_open(O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, eg_status(other, &st));
	EXPECT_EQ(EGATE_STATUS_CONTROLLED, st.flags);
	EXPECT_EQ(-EPERM, eg_cmd(other, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	EXPECT_EQ(-EBADF, eg_cmd(ro, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	EXPECT_EQ(0, eg_cmd(ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));

	/* Control is not handed over: the lane goes out of service. */
	mark = eg_mark();
	close(ctl);
	ASSERT_NE(NULL, eg_expect(ro, mark, EGATE_EV_CONTROLLER, 0, 2000));
	ASSERT_EQ(0, eg_expect_state(ro, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	EXPECT_EQ(0, eg_sysfs_num("controller_pid"));
	EXPECT_EQ(-EPERM, eg_cmd(other, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	close(other);

	/* The next writable opener takes control. */
	ctl = eg_open(O_WRONLY);
	ASSERT_LE(0, ctl);
	EXPECT_EQ(0, eg_cmd(ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	close(ctl);
	close(ro);
}

TEST_F(lane, last_event_and_counters)
{
	char buf[128];
	int ctl = eg_open(O_RDWR);
	struct egate_status st;

	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, eg_status(ctl, &st));
	ASSERT_EQ(0, eg_sysfs_read("last_event", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "state"));
	EXPECT_EQ(st.last_seq, (unsigned long long)eg_sysfs_num("counters/events"));
	close(ctl);
}

TEST_F(lane, state_attribute_notifies)
{
	struct pollfd pfd;
	char buf[64];
	ssize_t n;
	int sfd, ctl;

	sfd = open(EG_LANE "/state", O_RDONLY);
	ASSERT_LE(0, sfd);
	ASSERT_LT(0, read(sfd, buf, sizeof(buf)));
	pfd.fd = sfd;
	pfd.events = POLLPRI | POLLERR;
	EXPECT_EQ(0, poll(&pfd, 1, 100));
	ctl = eg_open(O_RDWR);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	ASSERT_EQ(0, lseek(sfd, 0, SEEK_SET));
	n = read(sfd, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_STREQ("idle\n", buf);
	close(ctl);
	close(sfd);
}

TEST_HARNESS_MAIN
