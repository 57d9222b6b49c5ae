/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal raw io_uring (no liburing needed): one ring, READ and
 * URING_CMD requests, completion wait.  Enough to check that reads of /dev/egateN complete
 * through io_uring without kernel worker threads.
 */
#ifndef EG_URING_H
#define EG_URING_H

#include <stddef.h>
#include <stdint.h>

struct eg_uring;

struct eg_uring *eg_uring_new(unsigned int entries);
void eg_uring_free(struct eg_uring *r);
int eg_uring_read(struct eg_uring *r, int fd, void *buf, size_t len,
		  uint64_t user_data);
/* IORING_OP_URING_CMD: @cmd_op, @payload (16 bytes) in the SQE's cmd area. */
int eg_uring_cmd(struct eg_uring *r, int fd, uint32_t cmd_op,
		 const void *payload, uint64_t user_data);
int eg_uring_fd(struct eg_uring *r);
/* Wait up to @timeout_ms for a completion: 1 (filled in), 0, -errno. */
int eg_uring_wait(struct eg_uring *r, int timeout_ms, int *res,
		  uint64_t *user_data);
/* Threads of this process named iou-wrk* (io_uring's workers). */
int eg_uring_workers(void);

#endif /* EG_URING_H */
