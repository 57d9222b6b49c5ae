// SPDX-License-Identifier: GPL-2.0
/*
 * egate-uring.c - IORING_OP_URING_CMD helpers; see egate-uring.h.
 */
#include <errno.h>
#include <string.h>

#include "egate-uring.h"

int egate_uring_prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t cmd_op,
			 const void *cmd, size_t len, int sqe128)
{
	size_t room = sqe128 ? 80 : 16;

	if (len > room)
		return -EINVAL;
	/* Sets fd, opcode and zeroes what URING_CMD does not use. */
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	memset(sqe->cmd, 0, room);
	if (len)
		memcpy(sqe->cmd, cmd, len);
	return 0;
}

int egate_uring_prep_lane_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
			      uint32_t arg, uint32_t timeout_ms, uint64_t tag)
{
	struct egate_uring_cmd c = {
		.arg = arg,
		.timeout_ms = timeout_ms,
		.tag = tag,
	};

	if (op < 1 || op >= EGATE_CMD_COUNT)
		return -EINVAL;
	return egate_uring_prep_cmd(sqe, fd, EGATE_URING_CMD(op), &c,
				    sizeof(c), 0);
}

int egate_uring_prep_get_state(struct io_uring_sqe *sqe, int fd,
			       struct egate_status *st)
{
	struct egate_uring_cmd c = { .tag = (uintptr_t)st };

	return egate_uring_prep_cmd(sqe, fd, EGATE_URING_CMD_GET_STATE, &c,
				    sizeof(c), 0);
}

int egate_uring_queue_init_restricted(unsigned int entries, struct io_uring *ring,
				      const uint8_t *ops, size_t n_ops)
{
	/* One per opcode, and one that allows no SQE flag. */
	struct io_uring_restriction res[IORING_OP_LAST + 1] = {
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = 0 },
	};
	int r;

	if (!n_ops || n_ops > IORING_OP_LAST)
		return -EINVAL;
	for (size_t i = 0; i < n_ops; i++) {
		if (ops[i] >= IORING_OP_LAST)
			return -EINVAL;
		res[i + 1] = (struct io_uring_restriction) {
			.opcode = IORING_RESTRICTION_SQE_OP,
			.sqe_op = ops[i],
		};
	}
	r = io_uring_queue_init(entries, ring, IORING_SETUP_R_DISABLED);
	if (r < 0)
		return r;
	/*
	 * Debian 12's liburing 2.3 declares io_uring_register_restrictions()
	 * and io_uring_enable_rings() but does not export them: the plain
	 * system call wrapper does the same.
	 */
	r = io_uring_register(ring->ring_fd, IORING_REGISTER_RESTRICTIONS, res, n_ops + 1);
	if (r >= 0)
		r = io_uring_register(ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (r < 0) {
		io_uring_queue_exit(ring);
		return r;
	}
	return 0;
}

int egate_uring_agent_queue_init(unsigned int entries, struct io_uring *ring)
{
	static const uint8_t ops[] = {
		IORING_OP_READ, IORING_OP_POLL_ADD, IORING_OP_TIMEOUT,
		IORING_OP_URING_CMD,
	};

	return egate_uring_queue_init_restricted(entries, ring, ops, sizeof(ops));
}

const char *egate_outcome_name(int outcome)
{
	static const char *const names[EGATE_OUT_COUNT] = {
		[EGATE_OUT_COMPLETED]		= "completed",
		[EGATE_OUT_EXPIRED]		= "expired",
		[EGATE_OUT_DENIED]		= "denied",
		[EGATE_OUT_TAILGATING]		= "tailgating",
		[EGATE_OUT_WRONG_WAY]		= "wrong_way",
		[EGATE_OUT_ALARM]		= "alarm",
		[EGATE_OUT_EMERGENCY]		= "emergency",
		[EGATE_OUT_LOCKED]		= "locked",
		[EGATE_OUT_OUT_OF_SERVICE]	= "out_of_service",
		[EGATE_OUT_FAULT]		= "fault",
		[EGATE_OUT_RESET]		= "reset",
		[EGATE_OUT_REMOVED]		= "removed",
	};

	if (outcome > 0 && outcome < EGATE_OUT_COUNT && names[outcome])
		return names[outcome];
	return "unknown";
}
