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
