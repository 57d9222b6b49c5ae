/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-uring.h - IORING_OP_URING_CMD for liburing users.
 *
 * liburing 2.3 (Debian 12) has no helper to prepare a URING_CMD SQE; these
 * fill one in for any driver (egate_uring_prep_cmd()) and for the egate
 * lane device in particular.  Plain liburing otherwise: the caller owns
 * the ring, submits and reaps as usual.
 *
 * An AUTHORISE prepared here completes when the authorisation it started
 * ends: cqe->res is an enum egate_outcome (> 0), or -errno if the lane
 * refused it, or -ECANCELED when io_uring cancelled it (6.12, ring torn
 * down or task exiting).  Every other egate command completes at once with
 * 0 or -errno.  See Documentation/egate-uring.md.
 */
#ifndef EGATE_URING_H
#define EGATE_URING_H

#include <liburing.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/egate.h"

/*
 * A URING_CMD SQE for @fd: @cmd_op, then @len bytes of @cmd copied into
 * the SQE's command area (at most 16 bytes, or 80 on an SQE128 ring).
 * Returns 0, or -EINVAL when @len does not fit.
 */
int egate_uring_prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t cmd_op,
			 const void *cmd, size_t len, int sqe128);

/* An egate command (enum egate_cmd_op) with its arguments. */
int egate_uring_prep_lane_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
			      uint32_t arg, uint32_t timeout_ms, uint64_t tag);

/* EGATE_URING_CMD_GET_STATE: fills in *@st when it completes with 0. */
int egate_uring_prep_get_state(struct io_uring_sqe *sqe, int fd,
			       struct egate_status *st);

/* Name of an enum egate_outcome ("completed", "expired", ...). */
const char *egate_outcome_name(int outcome);

#endif /* EGATE_URING_H */
