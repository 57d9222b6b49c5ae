// SPDX-License-Identifier: GPL-2.0
/*
 * egate - IORING_OP_URING_CMD on /dev/egateN.
 *
 * sqe->cmd_op is one of EGATE_URING_CMD_*, the 16-byte payload in the SQE's
 * command area is struct egate_uring_cmd (so a ring needs no SQE128).
 *
 * Every command but AUTHORISE completes at once with 0 or -errno, exactly
 * as the same record written to the device would.  AUTHORISE that the lane
 * accepts is parked in egate_lane.auth_ucmd and completes when that
 * authorisation ends, from egate_uring_auth_end(), with the enum
 * egate_outcome as its result (and, on CQE32 rings, the AUTH_END event's
 * sequence number in the big CQE's extra word).  A refused AUTHORISE
 * completes at once with -errno.
 *
 * Exactly once: the command is reachable only through lane->auth_ucmd,
 * which is set and cleared under the lane lock.  Whoever clears it (the
 * authorisation ending, or, on 6.12, io_uring cancelling the command)
 * completes it; nobody else can see it any more.
 *
 * Bounded: an authorisation always ends, by the lane's own timers
 * (expiry while nobody entered, passage timeout while someone is inside),
 * by the controller's heartbeat deadline, by the lane's removal, or by any
 * command that ends it.  That is what lets a 6.1 ring, which has no way to
 * cancel a parked command, always be torn down: its exit waits at most
 * that long.  6.12 cancels parked commands at ring teardown and task exit
 * (IO_URING_F_CANCEL), completing them with -ECANCELED; the authorisation
 * itself then goes on under the lane's timers and is reported as usual
 * through the event stream.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "egate_compat_uring.h"
#include "egate_priv.h"

/**
 * struct egate_uring_pdu - what a parked AUTHORISE carries to its completion
 * @outcome: enum egate_outcome (written under the lane lock, read in task
 *	work after the command left the lane)
 * @seq: sequence number of the AUTH_END event
 */
struct egate_uring_pdu {
	u32 outcome;
	u64 seq;
};

static struct egate_uring_pdu *egate_uring_pdu(struct io_uring_cmd *ucmd)
{
	BUILD_BUG_ON(sizeof(struct egate_uring_pdu) > sizeof(ucmd->pdu));
	return (struct egate_uring_pdu *)ucmd->pdu;
}

/* Task work in the submitter's context (or io_uring's fallback work). */
static void egate_uring_tw(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	struct egate_uring_pdu *pdu = egate_uring_pdu(ucmd);

	io_uring_cmd_done(ucmd, pdu->outcome, pdu->seq, issue_flags);
}

/**
 * egate_uring_auth_end() - complete the parked AUTHORISE, if any
 * @lane: the lane, its lock held
 * @outcome: how the authorisation ended
 *
 * Called from the one place an authorisation ends, right after its
 * AUTH_END event, in whatever context ended it (IRQ thread, timer work,
 * another file's command, the lane's removal): io_uring_cmd_done() must
 * run in the submitter's task, so the completion goes through task work.
 * Once the pointer is cleared here, a 6.12 cancel finds nothing to do.
 */
void egate_uring_auth_end(struct egate_lane *lane, u32 outcome)
{
	struct io_uring_cmd *ucmd = lane->auth_ucmd;
	struct egate_uring_pdu *pdu;

	lockdep_assert_held(&lane->lock);
	if (!ucmd)
		return;
	lane->auth_ucmd = NULL;
	pdu = egate_uring_pdu(ucmd);
	pdu->outcome = outcome;
	pdu->seq = lane->seq;
	io_uring_cmd_complete_in_task(ucmd, egate_uring_tw);
}

#ifdef EGATE_URING_CANCEL
/*
 * 6.12: io_uring tears down the ring or the submitter exits.  Races with
 * egate_uring_auth_end() are settled by the lane lock: if the authorisation
 * ended first, the completion is already queued as task work and the
 * pointer no longer names this command.
 */
static int egate_uring_cancel(struct io_uring_cmd *ucmd,
			      unsigned int issue_flags)
{
	struct egate_reader *r = ucmd->file->private_data;
	struct egate_lane *lane = r->lane;
	bool mine;

	mutex_lock(&lane->lock);
	mine = lane->auth_ucmd == ucmd;
	if (mine)
		lane->auth_ucmd = NULL;
	mutex_unlock(&lane->lock);
	if (mine)
		io_uring_cmd_done(ucmd, -ECANCELED, 0, issue_flags);
	return 0;
}
#endif

/*
 * AUTHORISE.  The command must be on io_uring's cancelable list (6.12)
 * before the lane can see it, or after the last moment anything else can
 * complete it, whichever the issue context allows:
 *
 * - Issued from io-wq (blocking, IO_URING_F_NONBLOCK clear): once parked,
 *   the authorisation may end at any moment and its completion runs as
 *   task work in the submitter's task, concurrently with this worker, and
 *   frees the command.  So it is marked first, and a refusal completes it
 *   with io_uring_cmd_done(), the only way off the list.
 *
 * - Issued inline (IO_URING_F_NONBLOCK: io_uring_enter(), the SQPOLL
 *   thread or task work, always in the submitter's own task and under the
 *   ring's uring_lock): the lane lock may only be tried, and -EAGAIN hands
 *   the command to io-wq, which issues it again without
 *   IO_URING_F_NONBLOCK (URING_CMD has no poll to wait on).  A command
 *   must not go to io-wq while on the cancelable list: io-wq may fail it
 *   without ever calling us, leaving a freed request on the list.  So it
 *   is marked only once parked.  Nothing can complete it in between: the
 *   completion is task work of this very task, which cannot run before we
 *   return, and the cancel walk (io_uring_try_cancel_uring_cmd()) needs
 *   the uring_lock this issue holds.
 */
static int egate_uring_authorise(struct io_uring_cmd *ucmd,
				 struct egate_reader *r,
				 const struct egate_cmd *cmd,
				 unsigned int issue_flags)
{
	bool nowait = issue_flags & IO_URING_F_NONBLOCK;
	int ret;

#ifdef EGATE_URING_CANCEL
	if (!nowait)
		io_uring_cmd_mark_cancelable(ucmd, issue_flags);
#endif
	ret = egate_sm_command_park(r->lane, r, cmd, ucmd, nowait);
	if (!ret) {
#ifdef EGATE_URING_CANCEL
		if (nowait)
			io_uring_cmd_mark_cancelable(ucmd, issue_flags);
#endif
		return -EIOCBQUEUED;
	}
#ifdef EGATE_URING_CANCEL
	/* Refused from io-wq: it is on the list, only done() takes it off. */
	if (!nowait) {
		io_uring_cmd_done(ucmd, ret, 0, issue_flags);
		return -EIOCBQUEUED;
	}
#endif
	/* Refused at once, or -EAGAIN: io_uring retries from io-wq. */
	return ret;
}

/**
 * egate_uring_cmd() - file_operations.uring_cmd of /dev/egateN
 * @ucmd: the command
 * @issue_flags: io_uring's issue flags
 *
 * Under IO_URING_F_NONBLOCK (the inline issue in the submitter's task) the
 * lane lock is only tried: when it is contended the command returns
 * -EAGAIN and io_uring issues it again from an io-wq worker, which may
 * sleep on the lock.  That is right because the inline path must not
 * sleep: it holds the ring's uring_lock, so a lane lock held across a slow
 * GPIO expander access would stall every other submission and completion
 * of the ring; and a worker is needed only in the rare contended case.
 * An -EAGAIN changes nothing: the record is validated before the lock is
 * tried, and nothing is done without the lock.
 *
 * Return: 0 or -errno for a command completed at once, -EAGAIN to be
 * issued again from io-wq, -EIOCBQUEUED for a parked (or already
 * completed) one.
 */
int egate_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	struct egate_reader *r = ucmd->file->private_data;
	bool nowait = issue_flags & IO_URING_F_NONBLOCK;
	const struct egate_uring_cmd *sqe_cmd;
	struct egate_cmd cmd = { 0 };
	struct egate_status st;
	int op, ret;

#ifdef EGATE_URING_CANCEL
	/*
	 * First: a cancel is about a command issued long ago, whose SQE the
	 * ring has reused since (6.12 only copies it when the command goes
	 * async): its payload must not be read, and is not needed.
	 */
	if (issue_flags & IO_URING_F_CANCEL)
		return egate_uring_cancel(ucmd, issue_flags);
#endif
	/* The SQE is shared with userspace: read each field once. */
	sqe_cmd = egate_uring_payload(ucmd);
	cmd.arg = READ_ONCE(sqe_cmd->arg);
	cmd.timeout_ms = READ_ONCE(sqe_cmd->timeout_ms);
	cmd.tag = READ_ONCE(sqe_cmd->tag);

	if (ucmd->cmd_op == EGATE_URING_CMD_GET_STATE) {
		if (cmd.arg || cmd.timeout_ms)
			return -EINVAL;
		ret = egate_lane_status(r, &st, nowait);
		if (ret)
			return ret;
		if (copy_to_user(u64_to_user_ptr(cmd.tag), &st, sizeof(st)))
			return -EFAULT;
		return 0;
	}
	/* EGATE_URING_CMD(op) is the record op in the ioctl-style number. */
	op = _IOC_NR(ucmd->cmd_op) - EGATE_URING_NR_BASE;
	if (op < 1 || op >= EGATE_CMD_COUNT ||
	    ucmd->cmd_op != EGATE_URING_CMD(op))
		return -EOPNOTSUPP;
	cmd.op = op;
	if (cmd.op == EGATE_CMD_AUTHORISE)
		return egate_uring_authorise(ucmd, r, &cmd, issue_flags);
	return egate_sm_command_park(r->lane, r, &cmd, NULL, nowait);
}
