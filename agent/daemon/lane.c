// SPDX-License-Identifier: GPL-2.0
/*
 * lane.c - the lane device: opening it as controller, command slots and
 * the io_uring requests that carry commands and events; names for the
 * driver's numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "egate-uring.h"
#include "lane.h"
#include "macro.h"

#define HEARTBEAT_MS_DEFAULT 5000	/* the driver's default, if sysfs says nothing */

static unsigned int read_heartbeat_ms(const char *device)
{
	char path[128];
	unsigned int ms;
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/sys/class/egate/%s/timings/heartbeat_ms", device);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%u", &ms) != 1 || ms == 0)
		return HEARTBEAT_MS_DEFAULT;
	return ms;
}

int lane_open(struct lane *lane, const char *device, char *err, size_t err_size)
{
	struct egate_status st;
	char path[64];
	int r;

	memset(lane, 0, sizeof(*lane));
	lane->fd = -1;
	if (strlen(device) >= sizeof(lane->device) || strchr(device, '/')) {
		snprintf(err, err_size, "invalid lane device name '%s'", device);
		return -EINVAL;
	}
	strcpy(lane->device, device);
	snprintf(path, sizeof(path), "/dev/%s", device);
	/* Blocking mode: io_uring then waits for events by polling, no threads. */
	lane->fd = open(path, O_RDWR | O_CLOEXEC);
	if (lane->fd < 0) {
		r = -errno;
		snprintf(err, err_size, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	if (ioctl(lane->fd, EGATE_IOC_GET_INFO, &lane->info) < 0) {
		r = -errno;
		snprintf(err, err_size, "%s is not an egate lane: %s", path, strerror(-r));
		goto fail;
	}
	if (lane->info.abi_version != EGATE_ABI_VERSION ||
	    lane->info.event_size != sizeof(struct egate_event) ||
	    lane->info.cmd_size != sizeof(struct egate_cmd)) {
		snprintf(err, err_size, "%s speaks egate ABI %u, this agent %u", path,
			 lane->info.abi_version, EGATE_ABI_VERSION);
		r = -EPROTO;
		goto fail;
	}
	r = lane_status(lane, &st);
	if (r >= 0 && !(st.flags & EGATE_STATUS_CONTROLLER)) {
		snprintf(err, err_size, "%s already has a controller", path);
		r = -EBUSY;
	}
	if (r < 0)
		goto fail;
	lane->state = st.state;
	lane->mode = st.mode;
	lane->beams = st.beams;
	lane->last_seq = st.last_seq;
	lane->heartbeat_ms = read_heartbeat_ms(device);
	return 0;
fail:
	lane_close(lane);
	return r;
}

void lane_close(struct lane *lane)
{
	if (lane->fd >= 0)
		close(lane->fd);
	lane->fd = -1;
}

int lane_command_now(struct lane *lane, uint32_t op, uint32_t arg)
{
	struct egate_cmd cmd = { .op = op, .arg = arg };

	if (write(lane->fd, &cmd, sizeof(cmd)) != (ssize_t)sizeof(cmd))
		return -errno;
	return 0;
}

int lane_status(const struct lane *lane, struct egate_status *ret)
{
	return ioctl(lane->fd, EGATE_IOC_GET_STATE, ret) < 0 ? -errno : 0;
}

int lane_command_slot(struct lane *lane, uint32_t op, uint32_t arg, uint32_t timeout_ms,
		      uint64_t tag)
{
	for (unsigned int i = 0; i < LANE_COMMANDS_MAX; i++) {
		if (lane->commands_busy & (1u << i))
			continue;
		lane->commands_busy |= 1u << i;
		lane->commands_queued |= 1u << i;
		lane->commands[i] = (struct lane_command) {
			.op = op, .arg = arg, .timeout_ms = timeout_ms, .tag = tag,
		};
		return (int)i;
	}
	return -EBUSY;
}

int lane_next_queued(struct lane *lane)
{
	int i;

	if (!lane->commands_queued)
		return -1;
	i = __builtin_ctz(lane->commands_queued);
	lane->commands_queued &= ~(1u << i);
	return i;
}

void lane_prep_command(struct lane *lane, struct io_uring_sqe *sqe, unsigned int slot)
{
	const struct lane_command *c = &lane->commands[slot];

	/* Cannot fail: ops come from enum egate_cmd_op, the payload fits. */
	egate_uring_prep_lane_cmd(sqe, lane->fd, c->op, c->arg, c->timeout_ms, c->tag);
}

int lane_command_done(struct lane *lane, unsigned int slot, int res)
{
	lane->commands_busy &= ~(1u << slot);
	return res;
}

void lane_prep_read(struct lane *lane, struct io_uring_sqe *sqe)
{
	io_uring_prep_read(sqe, lane->fd, lane->events, sizeof(lane->events), 0);
}

int lane_read_done(struct lane *lane, int res)
{
	int n;

	if (res < 0)
		return res;
	if (res % sizeof(struct egate_event))
		return -EIO;
	n = res / (int)sizeof(struct egate_event);
	for (int i = 0; i < n; i++) {
		const struct egate_event *ev = &lane->events[i];

		if (lane->last_seq && ev->seq > lane->last_seq + 1)
			lane->lost_events += ev->seq - lane->last_seq - 1;
		lane->last_seq = ev->seq;
		lane->state = ev->state;
		lane->beams = ev->beams;
		if (ev->type == EGATE_EV_MODE)
			lane->mode = ev->arg;
	}
	return n;
}

static const char *name_of(const char *const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

const char *lane_state_name(uint32_t state)
{
	static const char *const names[] = {
		[EGATE_ST_OUT_OF_SERVICE] = "out_of_service", [EGATE_ST_IDLE] = "idle",
		[EGATE_ST_AUTHORISED] = "authorised", [EGATE_ST_PASSAGE] = "passage",
		[EGATE_ST_EXITING] = "exiting", [EGATE_ST_CLOSING] = "closing",
		[EGATE_ST_ALARM] = "alarm", [EGATE_ST_OBSTRUCTED] = "obstructed",
		[EGATE_ST_EMERGENCY] = "emergency", [EGATE_ST_FAULT] = "fault",
		[EGATE_ST_LOCKED] = "locked",
	};

	return name_of(names, ELEMENTSOF(names), state);
}

const char *lane_event_name(uint32_t type)
{
	static const char *const names[] = {
		[EGATE_EV_STATE] = "state", [EGATE_EV_BEAMS] = "beams",
		[EGATE_EV_DOOR] = "door", [EGATE_EV_AUTHORISED] = "authorised",
		[EGATE_EV_PASSAGE_START] = "passage_start",
		[EGATE_EV_PASSAGE_DONE] = "passage_done", [EGATE_EV_EXPIRED] = "expired",
		[EGATE_EV_DENIED] = "denied", [EGATE_EV_ALARM] = "alarm",
		[EGATE_EV_RESET] = "reset", [EGATE_EV_EMERGENCY] = "emergency",
		[EGATE_EV_CONTROLLER] = "controller",
		[EGATE_EV_HEARTBEAT_LOST] = "heartbeat_lost", [EGATE_EV_MODE] = "mode",
		[EGATE_EV_OBSTRUCTED] = "obstructed", [EGATE_EV_AUTH_END] = "auth_end",
	};

	return name_of(names, ELEMENTSOF(names), type);
}

const char *lane_outcome_name(uint32_t outcome)
{
	static const char *const names[] = {
		[EGATE_OUT_COMPLETED] = "completed", [EGATE_OUT_EXPIRED] = "expired",
		[EGATE_OUT_DENIED] = "denied", [EGATE_OUT_TAILGATING] = "tailgating",
		[EGATE_OUT_WRONG_WAY] = "wrong_way", [EGATE_OUT_ALARM] = "alarm",
		[EGATE_OUT_EMERGENCY] = "emergency", [EGATE_OUT_LOCKED] = "locked",
		[EGATE_OUT_OUT_OF_SERVICE] = "out_of_service", [EGATE_OUT_FAULT] = "fault",
		[EGATE_OUT_RESET] = "reset", [EGATE_OUT_REMOVED] = "removed",
	};

	return name_of(names, ELEMENTSOF(names), outcome);
}

const char *lane_alarm_name(uint32_t alarm)
{
	static const char *const names[] = {
		[EGATE_ALARM_NONE] = "none", [EGATE_ALARM_TAILGATING] = "tailgating",
		[EGATE_ALARM_WRONG_WAY] = "wrong_way", [EGATE_ALARM_INTRUSION] = "intrusion",
		[EGATE_ALARM_LOITERING] = "loitering",
		[EGATE_ALARM_FORCED_DOOR] = "forced_door",
		[EGATE_ALARM_OBSTRUCTION] = "obstruction",
		[EGATE_ALARM_EMERGENCY] = "emergency", [EGATE_ALARM_FAULT] = "fault",
	};

	return name_of(names, ELEMENTSOF(names), alarm);
}

const char *lane_command_name(uint32_t op)
{
	static const char *const names[] = {
		[EGATE_CMD_AUTHORISE] = "authorise", [EGATE_CMD_DENY] = "deny",
		[EGATE_CMD_LOCK] = "lock", [EGATE_CMD_SET_MODE] = "set_mode",
		[EGATE_CMD_HEARTBEAT] = "heartbeat", [EGATE_CMD_RESET] = "reset",
	};

	return name_of(names, ELEMENTSOF(names), op);
}

enum egate_passage_outcome lane_outcome_to_audit(uint32_t outcome)
{
	switch (outcome) {
	case EGATE_OUT_COMPLETED:
		return EGATE_OUTCOME_PASSED;
	case EGATE_OUT_EXPIRED:
		return EGATE_OUTCOME_EXPIRED;
	case EGATE_OUT_DENIED:
	case EGATE_OUT_LOCKED:
	case EGATE_OUT_RESET:
		return EGATE_OUTCOME_CANCELLED;
	case EGATE_OUT_TAILGATING:
		return EGATE_OUTCOME_TAILGATING;
	case EGATE_OUT_WRONG_WAY:
		return EGATE_OUTCOME_WRONG_WAY;
	case EGATE_OUT_EMERGENCY:
		return EGATE_OUTCOME_EMERGENCY;
	case EGATE_OUT_FAULT:
		return EGATE_OUTCOME_FAULT;
	default:	/* another alarm, out of service, lane removed */
		return EGATE_OUTCOME_ABORTED;
	}
}
