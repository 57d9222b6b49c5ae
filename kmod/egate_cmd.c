// SPDX-License-Identifier: GPL-2.0
/*
 * egate - commands to the lane: validated on their own first (the same
 * errno whoever sends them), then run by the state machine under the lane
 * lock.  A command with no controlling file is an officer's (generic
 * netlink, CAP_NET_ADMIN checked there): only an officer lifts an
 * officer's LOCK or HOLD_OPEN (invariant 5).
 */
#include <linux/mutex.h>

#include "egate_sm.h"

/* Only an idle lane in service with every beam clear: one traveller. */
static int egate_cmd_authorise(struct egate_lane *lane,
			       const struct egate_cmd *cmd)
{
	if (lane->phase != EGATE_ST_IDLE || lane->obstructed || lane->in.beams)
		return -EBUSY;
	lane->dir = cmd->arg;
	lane->tag = cmd->tag;
	lane->auth_active = true;
	lane->reached = 0;
	lane->entry_cleared = false;
	lane->phase = EGATE_ST_AUTHORISED;
	egate_emit(lane, EGATE_EV_AUTHORISED, cmd->arg);
	egate_dl_set(lane, EGATE_DL_STATE,
		     cmd->timeout_ms ?: lane->t.auth_expiry_ms);
	return 0;
}

/*
 * Clears every latch, with the lane clear and the emergency input off;
 * an officer's lock or hold-open only for an officer.  A door that is
 * still not where it is driven gets a new travel deadline, so a door
 * still jammed faults again instead of leaving the lane closing for ever.
 */
static int egate_cmd_reset(struct egate_lane *lane, bool officer)
{
	struct egate_door *door;
	int d;

	if (lane->officer && !officer)
		return -EPERM;
	if (lane->in.emergency || lane->in.beams)
		return -EBUSY;
	for (d = 0; d < EGATE_NDOORS; d++)
		if (lane->door[d].present &&
		    lane->in.door_pos[d] == EGATE_DOOR_INVALID)
			return -EBUSY;
	lane->emergency_latched = false;
	lane->hb_lost = false;
	lane->fault = false;
	lane->officer = false;
	lane->alarm = EGATE_ALARM_NONE;
	egate_emit(lane, EGATE_EV_RESET, lane->phase);
	egate_auth_end(lane, EGATE_OUT_RESET);
	for (d = 0; d < EGATE_NDOORS; d++) {
		door = &lane->door[d];
		door->stuck = false;
		if (door->present && lane->in.door_pos[d] !=
		    (door->cmd_open ? EGATE_DOOR_OPEN : EGATE_DOOR_CLOSED))
			egate_dl_set(lane, EGATE_DL_TRAVEL0 + d,
				     lane->t.door_travel_ms);
		else
			egate_dl_clear(lane, EGATE_DL_TRAVEL0 + d);
	}
	lane->phase = EGATE_ST_CLOSING;
	if (lane->ctl)
		egate_dl_set(lane, EGATE_DL_HEARTBEAT, lane->t.heartbeat_ms);
	return 0;
}

static int egate_cmd_set_mode(struct egate_lane *lane, u32 mode)
{
	if (lane->phase == EGATE_ST_PASSAGE || lane->phase == EGATE_ST_EXITING)
		return -EBUSY;
	if (mode != lane->mode) {
		lane->mode = mode;
		egate_emit(lane, EGATE_EV_MODE, mode);
	}
	if (mode == EGATE_MODE_OUT_OF_SERVICE &&
	    (lane->phase == EGATE_ST_IDLE ||
	     lane->phase == EGATE_ST_AUTHORISED)) {
		egate_auth_end(lane, EGATE_OUT_OUT_OF_SERVICE);
		lane->phase = EGATE_ST_OUT_OF_SERVICE;
	} else if (mode == EGATE_MODE_NORMAL &&
		   lane->phase == EGATE_ST_OUT_OF_SERVICE) {
		lane->phase = egate_rest_phase(lane);
	}
	return 0;
}

/* Validate a record on its own: the same errno whoever sends it. */
static int egate_cmd_check(const struct egate_cmd *cmd)
{
	if (cmd->flags & ~EGATE_CMD_FLAGS_ALL)
		return -EINVAL;
	if (cmd->reserved[0] || cmd->reserved[1])
		return -EINVAL;
	switch (cmd->op) {
	case EGATE_CMD_AUTHORISE:
		if (cmd->arg != EGATE_DIR_FORWARD &&
		    cmd->arg != EGATE_DIR_REVERSE)
			return -EINVAL;
		if (cmd->timeout_ms && (cmd->timeout_ms < 100 ||
					cmd->timeout_ms > 600000))
			return -EINVAL;
		return 0;
	case EGATE_CMD_SET_MODE:
		if (cmd->arg >= EGATE_MODE_COUNT)
			return -EINVAL;
		return cmd->timeout_ms || cmd->tag ? -EINVAL : 0;
	case EGATE_CMD_DENY:
	case EGATE_CMD_LOCK:
	case EGATE_CMD_HOLD_OPEN:
	case EGATE_CMD_HEARTBEAT:
	case EGATE_CMD_RESET:
		return cmd->arg || cmd->timeout_ms || cmd->tag ? -EINVAL : 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* A passage under way is not the controller's to cancel: the lane ends it. */
static int egate_cmd_deny(struct egate_lane *lane)
{
	if (lane->phase == EGATE_ST_PASSAGE || lane->phase == EGATE_ST_EXITING)
		return -EBUSY;
	lane->cnt[EGATE_CNT_DENIED]++;
	egate_emit(lane, EGATE_EV_DENIED, 0);
	if (lane->phase == EGATE_ST_AUTHORISED) {
		egate_auth_end(lane, EGATE_OUT_DENIED);
		lane->phase = EGATE_ST_CLOSING;
	}
	return 0;
}

/* An officer's hold-open is the officer's to end; a lock is anyone's. */
static int egate_cmd_lock(struct egate_lane *lane, bool officer)
{
	if (egate_emergency(lane) || lane->phase == EGATE_ST_FAULT)
		return -EBUSY;
	if (!officer && lane->officer && lane->phase == EGATE_ST_HOLD_OPEN)
		return -EPERM;
	egate_auth_end(lane, EGATE_OUT_LOCKED);
	lane->phase = EGATE_ST_LOCKED;
	lane->officer |= officer;
	return 0;
}

/*
 * Not over a passage, an alarm, an emergency or a fault.  The controller's
 * hold-open is under its dead-man (egate_lose_control()), so it is refused
 * while the heartbeat-lost latch is set; it does not lift a lock (a latch)
 * and cannot override an officer's lock or hold-open.
 */
static int egate_cmd_hold_open(struct egate_lane *lane, bool officer)
{
	if (lane->phase != EGATE_ST_IDLE &&
	    lane->phase != EGATE_ST_OUT_OF_SERVICE &&
	    lane->phase != EGATE_ST_CLOSING &&
	    lane->phase != EGATE_ST_LOCKED &&
	    lane->phase != EGATE_ST_HOLD_OPEN)
		return -EBUSY;
	if (!officer && lane->officer)
		return -EPERM;
	/* A lock is a latch: only RESET (or an officer's decision) ends it. */
	if (!officer && (lane->hb_lost || lane->phase == EGATE_ST_LOCKED))
		return -EBUSY;
	lane->phase = EGATE_ST_HOLD_OPEN;
	lane->officer = officer;
	return 0;
}

static int egate_cmd_exec(struct egate_lane *lane, const struct egate_cmd *cmd,
			  bool officer)
{
	switch (cmd->op) {
	case EGATE_CMD_AUTHORISE:
		return egate_cmd_authorise(lane, cmd);
	case EGATE_CMD_DENY:
		return egate_cmd_deny(lane);
	case EGATE_CMD_LOCK:
		return egate_cmd_lock(lane, officer);
	case EGATE_CMD_HOLD_OPEN:
		return egate_cmd_hold_open(lane, officer);
	case EGATE_CMD_SET_MODE:
		return egate_cmd_set_mode(lane, cmd->arg);
	case EGATE_CMD_HEARTBEAT:
		if (!lane->hb_lost)
			egate_dl_set(lane, EGATE_DL_HEARTBEAT,
				     lane->t.heartbeat_ms);
		return 0;
	case EGATE_CMD_RESET:
		return egate_cmd_reset(lane, officer);
	}
	return -EOPNOTSUPP;
}

/**
 * egate_sm_command_park() - validate and run one command, parking @ucmd
 * @lane: the lane
 * @r: as for egate_sm_command()
 * @cmd: the command record
 * @ucmd: io_uring command to complete when the authorisation @cmd starts
 *	ends (EGATE_CMD_AUTHORISE only), or NULL
 * @nowait: do not sleep on the lane lock (io_uring's IO_URING_F_NONBLOCK):
 *	-EAGAIN when it is contended
 *
 * @ucmd is parked in the same critical section that accepts the
 * authorisation, so no end of it can slip in between.
 *
 * Return: as egate_sm_command(), or -EAGAIN (@nowait); on error @ucmd was
 * not parked.
 */
int egate_sm_command_park(struct egate_lane *lane, struct egate_reader *r,
			  const struct egate_cmd *cmd,
			  struct io_uring_cmd *ucmd, bool nowait)
{
	int ret;

	ret = egate_cmd_check(cmd);
	if (ret)
		return ret;
	if (!nowait)
		mutex_lock(&lane->lock);
	else if (!mutex_trylock(&lane->lock))
		return -EAGAIN;
	if (lane->dead) {
		ret = -ENODEV;
		goto unlock;
	}
	if (r && lane->ctl != r) {
		ret = -EPERM;
		goto unlock;
	}
	ret = egate_cmd_exec(lane, cmd, !r);
	if (!ret && ucmd && cmd->op == EGATE_CMD_AUTHORISE)
		lane->auth_ucmd = ucmd;
	egate_settle(lane);
unlock:
	mutex_unlock(&lane->lock);
	return ret;
}

/**
 * egate_sm_command() - validate and run one command
 * @lane: the lane
 * @r: the open file it comes from, which must hold control; or NULL for a
 *	source the caller has already authorised (an officer command from a
 *	privileged interface), which needs no control
 * @cmd: the command record
 *
 * Return: 0, or -EINVAL/-EOPNOTSUPP for a malformed record (checked
 * first), -ENODEV for a removed lane, -EPERM when @r does not hold
 * control or the command would override an officer's LOCK or HOLD_OPEN,
 * -EBUSY when the lane's state refuses the command.  A refused command
 * changes nothing.
 */
int egate_sm_command(struct egate_lane *lane, struct egate_reader *r,
		     const struct egate_cmd *cmd)
{
	return egate_sm_command_park(lane, r, cmd, NULL, false);
}
