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
 *
 * egate_uring_queue_init_restricted() makes a ring that runs only the
 * opcodes it is given: io_uring issues its requests past seccomp, so a
 * ring left open would let a compromised process open files or sockets
 * that its system call filter and RestrictAddressFamilies= deny.
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

/*
 * io_uring_queue_init() of a ring that accepts only the @n_ops opcodes in
 * @ops, no SQE flag (IOSQE_*) and no io_uring_register() operation:
 * created disabled (IORING_SETUP_R_DISABLED), restricted
 * (IORING_REGISTER_RESTRICTIONS), then enabled.  Any other request
 * completes with -EACCES; io_uring_register() on the ring fails with
 * -EACCES.  Returns 0 or -errno (the ring is not set up then).
 */
int egate_uring_queue_init_restricted(unsigned int entries, struct io_uring *ring,
				      const uint8_t *ops, size_t n_ops);

/*
 * The ring of egate-agent's event loop (agent/daemon/loop.c): restricted
 * to what it submits: READ (lane events, signalfd), POLL_ADD (camera,
 * udev monitor, worker eventfd), TIMEOUT (the tick) and URING_CMD (lane
 * commands).  A new kind of request in the loop needs its opcode here.
 */
int egate_uring_agent_queue_init(unsigned int entries, struct io_uring *ring);

/* Name of an enum egate_outcome ("completed", "expired", ...). */
const char *egate_outcome_name(int outcome);

#endif /* EGATE_URING_H */
