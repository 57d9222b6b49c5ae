/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lane.h - the lane device /dev/egateN as the agent holds it: opened as its
 * controller, commands and events as io_uring requests.  The agent queues
 * a command in a slot (lane_command_slot) and the loop submits what is
 * queued (lane_next_queued) after each batch of completions.  Commands go as
 * IORING_OP_URING_CMD passthrough (agent/uring/egate-uring.h): every one
 * completes at once with 0 or -errno, except an accepted AUTHORISE, which
 * stays in flight, holding its slot, until the authorisation ends and then
 * completes with the outcome (enum egate_outcome > 0).  That completion is
 * the agent's record of the passage; the EGATE_EV_AUTH_END event that the
 * driver emits in the same critical section is not (decide.c says why).
 * Events are READ as struct egate_event records.
 */
#ifndef EGATE_AGENT_LANE_H
#define EGATE_AGENT_LANE_H

#include <liburing.h>
#include <stdint.h>

#include "egate-store.h"
#include "uapi/linux/egate.h"

#define LANE_EVENTS_PER_READ 16
#define LANE_COMMANDS_MAX 8	/* commands in flight at once */

/* A command in flight: what its completion is about. */
struct lane_command {
	uint32_t op;		/* enum egate_cmd_op */
	uint32_t arg, timeout_ms;
	uint64_t tag;
};

struct lane {
	int fd;
	char device[32];		/* "egate0" */
	struct egate_info info;
	unsigned int heartbeat_ms;	/* the driver's timeout */
	struct egate_event events[LANE_EVENTS_PER_READ];	/* READ target */
	struct lane_command commands[LANE_COMMANDS_MAX];
	uint32_t commands_busy;		/* bit i: commands[i] queued or in flight */
	uint32_t commands_queued;	/* bit i: commands[i] not submitted yet */
	uint32_t state;			/* from the last event */
	uint32_t mode;			/* enum egate_mode, from the events */
	uint32_t beams;
	uint64_t last_seq;
	uint64_t lost_events;		/* sequence gaps */
};

/* Opens /dev/DEVICE as its controller and checks the ABI: err says why not. */
int lane_open(struct lane *lane, const char *device, char *err, size_t err_size);
void lane_close(struct lane *lane);
/* A command written now, outside the loop (at stop): 0 or -errno. */
int lane_command_now(struct lane *lane, uint32_t op, uint32_t arg);
int lane_status(const struct lane *lane, struct egate_status *ret);

/* A free command slot, filled with op/arg/timeout/tag and queued: -EBUSY if none. */
int lane_command_slot(struct lane *lane, uint32_t op, uint32_t arg, uint32_t timeout_ms,
		      uint64_t tag);
/* The oldest queued slot, no longer queued (submit it now): -1 when none. */
int lane_next_queued(struct lane *lane);
/* Prepares the URING_CMD that sends command slot i. */
void lane_prep_command(struct lane *lane, struct io_uring_sqe *sqe, unsigned int slot);
/*
 * The request for slot i completed with res and frees the slot: res is 0
 * or an AUTHORISE's outcome (> 0), or the command's error (-errno;
 * -ECANCELED: io_uring cancelled a parked AUTHORISE, 6.12).
 */
int lane_command_done(struct lane *lane, unsigned int slot, int res);
void lane_prep_read(struct lane *lane, struct io_uring_sqe *sqe);
/* Accounts a read of res bytes: the number of whole events now in events[]. */
int lane_read_done(struct lane *lane, int res);

const char *lane_state_name(uint32_t state);
const char *lane_event_name(uint32_t type);
const char *lane_outcome_name(uint32_t outcome);
const char *lane_alarm_name(uint32_t alarm);
const char *lane_command_name(uint32_t op);
/* The audit log's outcome for the driver's EGATE_EV_AUTH_END argument. */
enum egate_passage_outcome lane_outcome_to_audit(uint32_t outcome);

#endif
