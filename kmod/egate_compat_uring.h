/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate - io_uring command differences between 6.1 and 6.12.
 *
 * 6.1: struct io_uring_cmd in <linux/io_uring.h>, the SQE's command area
 *	as cmd->cmd; no way to cancel a parked command (ring teardown and
 *	task exit wait for it: the lane's timers bound that wait).
 * 6.7+: <linux/io_uring/cmd.h>, cmd->sqe and io_uring_sqe_cmd(); parked
 *	commands can be marked cancelable and are then handed back to
 *	->uring_cmd with IO_URING_F_CANCEL at ring teardown and task exit.
 * io_uring_cmd_done() takes issue_flags on both (Debian's 6.1 has the
 * backport), io_uring_cmd_complete_in_task() has the same shape on both.
 */
#ifndef EGATE_COMPAT_URING_H
#define EGATE_COMPAT_URING_H

#include <linux/version.h>
#include <uapi/linux/egate.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>
#define EGATE_URING_CANCEL	1

static inline const struct egate_uring_cmd *
egate_uring_payload(const struct io_uring_cmd *ucmd)
{
	return io_uring_sqe_cmd(ucmd->sqe);
}
#else
#include <linux/io_uring.h>

static inline const struct egate_uring_cmd *
egate_uring_payload(const struct io_uring_cmd *ucmd)
{
	return ucmd->cmd;
}
#endif

#endif /* EGATE_COMPAT_URING_H */
