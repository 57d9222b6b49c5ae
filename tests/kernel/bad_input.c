// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input gets a specific errno and leaves the lane as it was: malformed
 * command records, commands from a non-controller, bad sysfs timings,
 * unprivileged users, reads too small for a record.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

FIXTURE(bad) {
	int ctl;
	struct egate_status before;
};

FIXTURE_SETUP(bad)
{
	ASSERT_EQ(0, eg_load("", ""));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
	eg_drain(self->ctl);
	ASSERT_EQ(0, eg_status(self->ctl, &self->before));
}

FIXTURE_TEARDOWN(bad)
{
	close(self->ctl);
	eg_unload();
}

/* The lane did not move and raised no event. */
static int eg_unchanged(int fd, const struct egate_status *before)
{
	struct egate_status st;

	if (eg_status(fd, &st))
		return 0;
	return st.state == before->state && st.mode == before->mode &&
	       st.last_seq == before->last_seq && st.doors == before->doors;
}

static void *volatile eg_bad_ptr = (void *)8;

static int eg_write_raw(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) < 0 ? -errno : 0;
}

TEST_F(bad, command_records)
{
	struct egate_cmd cmd = { .op = EGATE_CMD_HEARTBEAT };
	char big[sizeof(cmd) * 2] = { 0 };

	EXPECT_EQ(-EINVAL, eg_write_raw(self->ctl, &cmd, sizeof(cmd) - 1));
	EXPECT_EQ(-EINVAL, eg_write_raw(self->ctl, &cmd, 4));
	memcpy(big, &cmd, sizeof(cmd));
	EXPECT_EQ(-EINVAL, eg_write_raw(self->ctl, big, sizeof(big)));
	EXPECT_EQ(-EINVAL, eg_write_raw(self->ctl, &cmd, 0));
	EXPECT_EQ(-EFAULT, eg_write_raw(self->ctl, eg_bad_ptr, sizeof(cmd)));

	EXPECT_EQ(-EOPNOTSUPP, eg_cmd(self->ctl, 0, 0, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, eg_cmd(self->ctl, EGATE_CMD_COUNT, 0, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, eg_cmd(self->ctl, 0xffffffff, 0, 0, 0));

	cmd.flags = 1;
	EXPECT_EQ(-EINVAL, eg_write_raw(self->ctl, &cmd, sizeof(cmd)));
	cmd.flags = 0;
	cmd.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, eg_write_raw(self->ctl, &cmd, sizeof(cmd)));

	/* Arguments a command does not take, or out of range. */
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 1, 0, 0));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 10, 0));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 1));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_LOCK, 3, 0, 0));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 2, 0, 0));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 99, 0));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 600001, 0));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_SET_MODE, EGATE_MODE_COUNT, 0, 0));
	EXPECT_EQ(-EINVAL, eg_cmd(self->ctl, EGATE_CMD_SET_MODE, 0, 5, 0));

	EXPECT_TRUE(eg_unchanged(self->ctl, &self->before));
}

TEST_F(bad, non_controller)
{
	int other = eg_open(O_RDWR);

	ASSERT_LE(0, other);
	EXPECT_EQ(-EPERM, eg_cmd(other, EGATE_CMD_AUTHORISE, 0, 0, 0));
	EXPECT_EQ(-EPERM, eg_cmd(other, EGATE_CMD_LOCK, 0, 0, 0));
	EXPECT_EQ(-EPERM, eg_cmd(other, EGATE_CMD_SET_MODE, 1, 0, 0));
	/* A malformed record is EINVAL whoever sends it. */
	EXPECT_EQ(-EINVAL, eg_cmd(other, EGATE_CMD_AUTHORISE, 9, 0, 0));
	EXPECT_TRUE(eg_unchanged(self->ctl, &self->before));
	close(other);
}

TEST_F(bad, reads_and_ioctls)
{
	char small[sizeof(struct egate_event) - 1];
	int fd = eg_open(O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, EGATE_IOC_GET_STATE, eg_bad_ptr));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(EGATE_IOC_MAGIC, 0x02)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);
	EXPECT_TRUE(eg_unchanged(self->ctl, &self->before));
}

TEST_F(bad, timings)
{
	long long v = eg_sysfs_num("timings/heartbeat_ms");

	EXPECT_EQ(-EINVAL, eg_sysfs_write("timings/heartbeat_ms", "abc"));
	EXPECT_EQ(-EINVAL, eg_sysfs_write("timings/heartbeat_ms", "-5"));
	EXPECT_EQ(-ERANGE, eg_sysfs_write("timings/heartbeat_ms", "0"));
	EXPECT_EQ(-ERANGE, eg_sysfs_write("timings/heartbeat_ms", "60001"));
	EXPECT_EQ(-ERANGE, eg_sysfs_write("timings/heartbeat_ms", "99999999999"));
	EXPECT_EQ(-ERANGE, eg_sysfs_write("timings/obstruct_retries", "0"));
	EXPECT_EQ(-ERANGE, eg_sysfs_write("timings/door_travel_ms", "50"));
	/* No tailgating window at all is not a setting: at least 100 ms. */
	EXPECT_EQ(-ERANGE, eg_sysfs_write("timings/tailgate_gap_ms", "0"));
	EXPECT_EQ(-ERANGE, eg_sysfs_write("timings/tailgate_gap_ms", "99"));
	EXPECT_EQ(1000, eg_sysfs_num("timings/tailgate_gap_ms"));
	EXPECT_EQ(0, eg_sysfs_write("timings/tailgate_gap_ms", "100"));
	EXPECT_EQ(100, eg_sysfs_num("timings/tailgate_gap_ms"));
	EXPECT_EQ(-EACCES, eg_sysfs_write("state", "idle"));
	EXPECT_EQ(v, eg_sysfs_num("timings/heartbeat_ms"));
	EXPECT_EQ(0, eg_sysfs_write("timings/auth_expiry_ms", "7000"));
	EXPECT_EQ(7000, eg_sysfs_num("timings/auth_expiry_ms"));
	EXPECT_TRUE(eg_unchanged(self->ctl, &self->before));
}

static int nobody_checks(void *arg)
{
	int fd;

	(void)arg;
	fd = eg_open(O_RDWR);
	if (fd != -EACCES)
		return 1;
	if (eg_open(O_RDONLY) != -EACCES)
		return 2;
	if (eg_sysfs_write("timings/heartbeat_ms", "1000") != -EACCES)
		return 3;
	if (eg_sysfs_num("timings/heartbeat_ms") < 0)
		return 4;
	if (eg_sysfs_num("counters/passages") != 0)
		return 5;
	fd = open("/sys/bus/platform/drivers/egate-lane/new_device", O_WRONLY);
	if (fd >= 0 || errno != EACCES)
		return 6;
	return 0;
}

TEST_F(bad, unprivileged)
{
	long long v = eg_sysfs_num("timings/heartbeat_ms");

	EXPECT_EQ(0, eg_as_nobody(nobody_checks, NULL));
	EXPECT_EQ(v, eg_sysfs_num("timings/heartbeat_ms"));
	EXPECT_TRUE(eg_unchanged(self->ctl, &self->before));
}

TEST_HARNESS_MAIN
