// SPDX-License-Identifier: GPL-2.0
/*
 * uring_restrict_test - the agent's io_uring ring, as its event loop makes
 * it (egate_uring_agent_queue_init()), on the host's real io_uring: the
 * opcodes the loop submits run (READ, POLL_ADD, TIMEOUT, URING_CMD), any
 * other (SOCKET, OPENAT, WRITE), an SQE flag, and io_uring_register()
 * are refused with -EACCES and do nothing.  An unrestricted ring doing the
 * same first shows that the refusal comes from the restriction, not from
 * the machine.  URING_CMD on the lane device itself runs in the VM tests
 * (the agent sends every lane command through this ring).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "egate-uring.h"
#include "kselftest_harness.h"

/* Submit the one SQE prepared in @ring and return its CQE's res. */
static int run_one(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int r;

	r = io_uring_submit_and_wait(ring, 1);
	if (r < 0)
		return r;
	r = io_uring_wait_cqe(ring, &cqe);
	if (r < 0)
		return r;
	r = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return r;
}

static int socket_op(struct io_uring *ring)
{
	io_uring_prep_socket(io_uring_get_sqe(ring), AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0);
	return run_one(ring);
}

static int openat_op(struct io_uring *ring)
{
	io_uring_prep_openat(io_uring_get_sqe(ring), AT_FDCWD, "/", O_RDONLY | O_DIRECTORY |
			     O_CLOEXEC, 0);
	return run_one(ring);
}

FIXTURE(ring) {
	struct io_uring ring;
	int pipe[2];
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, pipe2(self->pipe, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, egate_uring_agent_queue_init(8, &self->ring));
}

FIXTURE_TEARDOWN(ring)
{
	io_uring_queue_exit(&self->ring);
	close(self->pipe[0]);
	close(self->pipe[1]);
}

/* The machine lets a ring open sockets and files: what the agent's refuses. */
TEST(unrestricted_ring_can)
{
	struct io_uring ring;
	int fd;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	fd = socket_op(&ring);
	EXPECT_LE(0, fd);
	close(fd);
	fd = openat_op(&ring);
	EXPECT_LE(0, fd);
	close(fd);
	io_uring_queue_exit(&ring);
}

TEST_F(ring, allowed_opcodes_run)
{
	struct __kernel_timespec ts = { .tv_nsec = 1000000 };
	struct io_uring_sqe *sqe;
	char buf[8] = "";

	/* POLL_ADD, then READ of what made it ready. */
	io_uring_prep_poll_add(io_uring_get_sqe(&self->ring), self->pipe[0], POLLIN);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(3, write(self->pipe[1], "abc", 3));
	EXPECT_EQ(POLLIN, run_one(&self->ring) & POLLIN);
	io_uring_prep_read(io_uring_get_sqe(&self->ring), self->pipe[0], buf, sizeof(buf), 0);
	EXPECT_EQ(3, run_one(&self->ring));
	EXPECT_STREQ("abc", buf);

	io_uring_prep_timeout(io_uring_get_sqe(&self->ring), &ts, 0, 0);
	EXPECT_EQ(-ETIME, run_one(&self->ring));

	/* URING_CMD passes the restriction: a pipe then says it has none. */
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_EQ(0, egate_uring_prep_lane_cmd(sqe, self->pipe[0], EGATE_CMD_HEARTBEAT, 0, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, run_one(&self->ring));
}

TEST_F(ring, other_opcodes_refused)
{
	char buf[8] = "";

	EXPECT_EQ(-EACCES, socket_op(&self->ring));
	EXPECT_EQ(-EACCES, openat_op(&self->ring));
	/* A refused WRITE writes nothing. */
	io_uring_prep_write(io_uring_get_sqe(&self->ring), self->pipe[1], "x", 1, 0);
	EXPECT_EQ(-EACCES, run_one(&self->ring));
	EXPECT_EQ(-1, read(self->pipe[0], buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(ring, sqe_flags_refused)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	char buf[8];

	io_uring_prep_read(sqe, self->pipe[0], buf, sizeof(buf), 0);
	io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
	EXPECT_EQ(-EACCES, run_one(&self->ring));
}

TEST_F(ring, register_refused)
{
	struct io_uring_restriction more = {
		.opcode = IORING_RESTRICTION_SQE_OP,
		.sqe_op = IORING_OP_SOCKET,
	};

	EXPECT_EQ(-EACCES, io_uring_register_files(&self->ring, self->pipe, 2));
	EXPECT_EQ(-EACCES, io_uring_register(self->ring.ring_fd, IORING_REGISTER_RESTRICTIONS,
					     &more, 1));
	EXPECT_EQ(-EACCES, socket_op(&self->ring));
}

TEST(bad_opcode_lists)
{
	static const uint8_t unknown[] = { IORING_OP_READ, 255 };
	struct io_uring ring;

	EXPECT_EQ(-EINVAL, egate_uring_queue_init_restricted(8, &ring, unknown, 0));
	EXPECT_EQ(-EINVAL, egate_uring_queue_init_restricted(8, &ring, unknown, 2));
}

TEST_HARNESS_MAIN
