/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * egate - automated border-control lane driver, userspace API.
 *
 * A lane appears as /dev/egateN.  Reads return whole struct egate_event
 * records; a read whose buffer faults returns the records copied before
 * the fault (or EFAULT) and loses none: the rest stay queued.  Writes take
 * exactly one struct egate_cmd record; ioctls return lane information and
 * state.  A lane serves at most 64 open files besides the one holding
 * control; a further open() fails with EBUSY, unless it takes control.  All records are fixed-size; every reserved
 * field must be zero on input and is zero on output.  The ABI is versioned
 * by EGATE_ABI_VERSION, reported by EGATE_IOC_GET_INFO.
 */
#ifndef _UAPI_LINUX_EGATE_H
#define _UAPI_LINUX_EGATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define EGATE_ABI_VERSION	1
#define EGATE_MAX_BEAMS		32
#define EGATE_MIN_BEAMS		4

/* Lane topologies. */
enum egate_topology {
	EGATE_TOPO_SINGLE	= 1,	/* one barrier (entry door) */
	EGATE_TOPO_MANTRAP	= 2,	/* entry and exit door, interlocked */
};

/* Lane states (struct egate_event.state, EGATE_IOC_GET_STATE). */
enum egate_state {
	EGATE_ST_OUT_OF_SERVICE	= 0,	/* no controller, mode, heartbeat lost */
	EGATE_ST_IDLE		= 1,	/* in service, doors closed, waiting */
	EGATE_ST_AUTHORISED	= 2,	/* one passage authorised, not entered */
	EGATE_ST_PASSAGE	= 3,	/* the authorised traveller is inside */
	EGATE_ST_EXITING	= 4,	/* mantrap: entry closed, exit open */
	EGATE_ST_CLOSING	= 5,	/* passage over, doors closing */
	EGATE_ST_ALARM		= 6,	/* alarm latched until reset */
	EGATE_ST_OBSTRUCTED	= 7,	/* a door cannot close: beam broken */
	EGATE_ST_EMERGENCY	= 8,	/* all doors open until input clear + reset */
	EGATE_ST_FAULT		= 9,	/* impossible input / jammed door */
	EGATE_ST_LOCKED		= 10,	/* locked down by command */
	EGATE_ST_HOLD_OPEN	= 11,	/* doors held open by an officer */
	EGATE_ST_COUNT
};

/* Lane modes (EGATE_CMD_SET_MODE). */
enum egate_mode {
	EGATE_MODE_NORMAL		= 0,	/* in service when controlled */
	EGATE_MODE_OUT_OF_SERVICE	= 1,	/* maintenance: out of service */
	EGATE_MODE_COUNT
};

/* Passage direction (EGATE_CMD_AUTHORISE arg). */
enum egate_direction {
	EGATE_DIR_FORWARD	= 0,	/* from beam 0 (entry) to beam N-1 */
	EGATE_DIR_REVERSE	= 1,	/* from beam N-1 to beam 0 */
};

/* Alarm kinds (EGATE_EV_ALARM arg). */
enum egate_alarm {
	EGATE_ALARM_NONE	= 0,
	EGATE_ALARM_TAILGATING	= 1,
	EGATE_ALARM_WRONG_WAY	= 2,
	EGATE_ALARM_INTRUSION	= 3,
	EGATE_ALARM_LOITERING	= 4,
	EGATE_ALARM_FORCED_DOOR	= 5,
	EGATE_ALARM_OBSTRUCTION	= 6,
	EGATE_ALARM_EMERGENCY	= 7,
	EGATE_ALARM_FAULT	= 8,
	EGATE_ALARM_COUNT
};

/* Event types (struct egate_event.type). */
enum egate_event_type {
	EGATE_EV_STATE		= 1,	/* state changed; arg = previous state */
	EGATE_EV_BEAMS		= 2,	/* beam bitmap changed; arg = prev bitmap */
	EGATE_EV_DOOR		= 3,	/* door moved; arg = EGATE_DOOR_ARG() */
	EGATE_EV_AUTHORISED	= 4,	/* authorisation accepted; arg = dir */
	EGATE_EV_PASSAGE_START	= 5,	/* authorised traveller entered */
	EGATE_EV_PASSAGE_DONE	= 6,	/* passage completed; arg = total */
	EGATE_EV_EXPIRED	= 7,	/* authorisation expired unused */
	EGATE_EV_DENIED		= 8,	/* deny command / authorisation cancelled */
	EGATE_EV_ALARM		= 9,	/* alarm raised; arg = enum egate_alarm */
	EGATE_EV_RESET		= 10,	/* reset accepted */
	EGATE_EV_EMERGENCY	= 11,	/* emergency input; arg = 1 active/0 clear */
	EGATE_EV_CONTROLLER	= 12,	/* arg = 1 claimed, 0 released/lost */
	EGATE_EV_HEARTBEAT_LOST	= 13,	/* controller heartbeat missed */
	EGATE_EV_MODE		= 14,	/* mode changed; arg = new mode */
	EGATE_EV_OBSTRUCTED	= 15,	/* close refused; arg = door | retry << 8 */
	EGATE_EV_AUTH_END	= 16,	/* authorisation over; arg = egate_outcome */
	EGATE_EV_COUNT
};

/*
 * How an authorisation ended (EGATE_EV_AUTH_END arg).  Every accepted
 * EGATE_CMD_AUTHORISE ends exactly once, with the authorisation's tag.
 */
enum egate_outcome {
	EGATE_OUT_COMPLETED	= 1,	/* one traveller passed */
	EGATE_OUT_EXPIRED	= 2,	/* nobody entered in time */
	EGATE_OUT_DENIED	= 3,	/* EGATE_CMD_DENY */
	EGATE_OUT_TAILGATING	= 4,	/* a second person */
	EGATE_OUT_WRONG_WAY	= 5,	/* wrong way or turned back */
	EGATE_OUT_ALARM		= 6,	/* another alarm (intrusion, loitering...) */
	EGATE_OUT_EMERGENCY	= 7,	/* emergency input */
	EGATE_OUT_LOCKED	= 8,	/* EGATE_CMD_LOCK */
	EGATE_OUT_OUT_OF_SERVICE = 9,	/* controller lost, mode changed */
	EGATE_OUT_FAULT		= 10,	/* door fault */
	EGATE_OUT_RESET		= 11,	/* EGATE_CMD_RESET */
	EGATE_OUT_REMOVED	= 12,	/* the lane was removed */
	EGATE_OUT_COUNT
};

/* Door positions, as read from the open/closed switches. */
enum egate_door_pos {
	EGATE_DOOR_MOVING	= 0,	/* neither switch active */
	EGATE_DOOR_CLOSED	= 1,
	EGATE_DOOR_OPEN		= 2,
	EGATE_DOOR_INVALID	= 3,	/* both switches active: fault */
};

/*
 * Door summary (struct egate_event.doors, struct egate_status.doors):
 * bits 0-1 entry position, bit 2 entry commanded open, bits 8-9 exit
 * position, bit 10 exit commanded open.  Exit bits are zero on single lanes.
 */
#define EGATE_DOOR_ENTRY	0
#define EGATE_DOOR_EXIT		1
#define EGATE_DOORS_SHIFT(door)	((door) * 8)
#define EGATE_DOORS_POS(doors, door) \
	(((doors) >> EGATE_DOORS_SHIFT(door)) & 0x3)
#define EGATE_DOORS_CMD_OPEN(doors, door) \
	(((doors) >> (EGATE_DOORS_SHIFT(door) + 2)) & 0x1)
/* EGATE_EV_DOOR arg: door index in bits 8-15, position in bits 0-7. */
#define EGATE_DOOR_ARG(door, pos)	(((door) << 8) | (pos))

/**
 * struct egate_event - one record read from /dev/egateN (48 bytes)
 * @timestamp_ns: CLOCK_MONOTONIC time the event was raised
 * @seq: lane-wide sequence number, +1 per event; a gap means this reader
 *	lost records to a full queue (the oldest are dropped)
 * @tag: tag of the authorisation the event belongs to, or 0
 * @type: enum egate_event_type
 * @state: enum egate_state after the event
 * @beams: bitmap of broken beams (bit 0 = entry end) after the event
 * @arg: type-specific argument
 * @doors: door summary, see EGATE_DOORS_POS()
 * @reserved: zero
 */
struct egate_event {
	__u64 timestamp_ns;
	__u64 seq;
	__u64 tag;
	__u32 type;
	__u32 state;
	__u32 beams;
	__u32 arg;
	__u32 doors;
	__u32 reserved;
};

/* Commands (struct egate_cmd.op). */
enum egate_cmd_op {
	EGATE_CMD_AUTHORISE	= 1,	/* arg = direction, timeout_ms = expiry */
	EGATE_CMD_DENY		= 2,	/* cancel a pending authorisation */
	EGATE_CMD_LOCK		= 3,	/* lock down: doors closed, no passage */
	EGATE_CMD_SET_MODE	= 4,	/* arg = enum egate_mode */
	EGATE_CMD_HEARTBEAT	= 5,	/* controller is alive */
	EGATE_CMD_RESET		= 6,	/* clear alarm/emergency/lock/fault */
	EGATE_CMD_HOLD_OPEN	= 7,	/* hold every door open until reset/lock */
	EGATE_CMD_COUNT
};

/* No command flags are defined yet: flags must be zero. */
#define EGATE_CMD_FLAGS_ALL	0u

/**
 * struct egate_cmd - one command written to /dev/egateN (32 bytes)
 * @op: enum egate_cmd_op
 * @flags: zero (EGATE_CMD_FLAGS_ALL)
 * @arg: op-specific argument; zero where unused
 * @timeout_ms: AUTHORISE: expiry in ms (0 = lane default), else zero
 * @tag: AUTHORISE: opaque tag echoed in the passage's events, else zero
 * @reserved: zero
 *
 * Only the controlling file (the first writable opener) may command;
 * others get EPERM.  A write must be exactly one record.
 */
struct egate_cmd {
	__u32 op;
	__u32 flags;
	__u32 arg;
	__u32 timeout_ms;
	__u64 tag;
	__u32 reserved[2];
};

/* Capabilities (struct egate_info.caps). */
#define EGATE_CAP_IRQ		(1u << 0)	/* inputs are interrupt-driven */
#define EGATE_CAP_EXIT_DOOR	(1u << 1)	/* lane has an exit door */
#define EGATE_CAP_LAMPS		(1u << 2)	/* green and red lamps wired */
#define EGATE_CAP_BUZZER	(1u << 3)	/* buzzer wired */

/**
 * struct egate_info - EGATE_IOC_GET_INFO (64 bytes)
 * @abi_version: EGATE_ABI_VERSION
 * @lane_id: N of /dev/egateN
 * @topology: enum egate_topology
 * @nbeams: number of beams (EGATE_MIN_BEAMS..EGATE_MAX_BEAMS)
 * @caps: EGATE_CAP_* bits
 * @event_size: sizeof(struct egate_event)
 * @cmd_size: sizeof(struct egate_cmd)
 * @fifo_size: per-reader queue length in records
 * @swing_beams: beams in each door's swing zone
 * @reserved: zero
 */
struct egate_info {
	__u32 abi_version;
	__u32 lane_id;
	__u32 topology;
	__u32 nbeams;
	__u32 caps;
	__u32 event_size;
	__u32 cmd_size;
	__u32 fifo_size;
	__u32 swing_beams;
	__u32 reserved[7];
};

/* struct egate_status.flags */
#define EGATE_STATUS_CONTROLLED	(1u << 0)	/* a controller holds the lane */
#define EGATE_STATUS_CONTROLLER	(1u << 1)	/* ... and it is this file */
#define EGATE_STATUS_EMERGENCY_IN (1u << 2)	/* emergency input active now */
#define EGATE_STATUS_HB_LOST	(1u << 3)	/* heartbeat lost, reset needed */
#define EGATE_STATUS_FAULT	(1u << 4)	/* a fault is latched, reset needed */
#define EGATE_STATUS_OFFICER	(1u << 5)	/* officer's lock/hold-open in force */

/**
 * struct egate_status - EGATE_IOC_GET_STATE (64 bytes)
 * @state: enum egate_state
 * @mode: enum egate_mode
 * @beams: broken-beam bitmap
 * @doors: door summary
 * @alarm: latched enum egate_alarm, or EGATE_ALARM_NONE
 * @flags: EGATE_STATUS_* bits
 * @last_seq: sequence number of the last event raised on the lane
 * @passages: completed passages
 * @dropped: records this file lost to a full queue
 * @reserved: zero
 */
struct egate_status {
	__u32 state;
	__u32 mode;
	__u32 beams;
	__u32 doors;
	__u32 alarm;
	__u32 flags;
	__u64 last_seq;
	__u64 passages;
	__u64 dropped;
	__u32 reserved[4];
};

#define EGATE_IOC_MAGIC		0xE6
#define EGATE_IOC_GET_INFO	_IOR(EGATE_IOC_MAGIC, 0x01, struct egate_info)
#define EGATE_IOC_GET_STATE	_IOR(EGATE_IOC_MAGIC, 0x02, struct egate_status)

/*
 * IORING_OP_URING_CMD on /dev/egateN (Documentation/egate-uring.md).
 * sqe->cmd_op = EGATE_URING_CMD(op) for an enum egate_cmd_op, or
 * EGATE_URING_CMD_GET_STATE; the SQE's command area holds a struct
 * egate_uring_cmd (16 bytes: no SQE128 ring needed).
 *
 * AUTHORISE completes when the authorisation it started ends: cqe->res is
 * the enum egate_outcome (> 0), or -errno when refused at once, or
 * -ECANCELED when io_uring cancelled it (6.12: ring teardown, task exit;
 * the authorisation itself goes on).  On IORING_SETUP_CQE32 rings
 * big_cqe[0] is the AUTH_END event's sequence number.  Every other
 * command completes at once with 0 or -errno, as write() would.
 */
#define EGATE_URING_NR_BASE	0x40
#define EGATE_URING_CMD(op) \
	_IOW(EGATE_IOC_MAGIC, EGATE_URING_NR_BASE + (op), struct egate_uring_cmd)
#define EGATE_URING_CMD_AUTHORISE	EGATE_URING_CMD(EGATE_CMD_AUTHORISE)
#define EGATE_URING_CMD_DENY		EGATE_URING_CMD(EGATE_CMD_DENY)
#define EGATE_URING_CMD_LOCK		EGATE_URING_CMD(EGATE_CMD_LOCK)
#define EGATE_URING_CMD_SET_MODE	EGATE_URING_CMD(EGATE_CMD_SET_MODE)
#define EGATE_URING_CMD_HEARTBEAT	EGATE_URING_CMD(EGATE_CMD_HEARTBEAT)
#define EGATE_URING_CMD_RESET		EGATE_URING_CMD(EGATE_CMD_RESET)
#define EGATE_URING_CMD_HOLD_OPEN	EGATE_URING_CMD(EGATE_CMD_HOLD_OPEN)
/* tag = user address of a struct egate_status to fill in; arg, timeout 0 */
#define EGATE_URING_CMD_GET_STATE \
	_IOR(EGATE_IOC_MAGIC, 0x60, struct egate_uring_cmd)

/**
 * struct egate_uring_cmd - payload of an egate URING_CMD (16 bytes)
 * @arg: as struct egate_cmd.arg
 * @timeout_ms: as struct egate_cmd.timeout_ms
 * @tag: as struct egate_cmd.tag; GET_STATE: user address of the result
 */
struct egate_uring_cmd {
	__u32 arg;
	__u32 timeout_ms;
	__u64 tag;
};

#endif /* _UAPI_LINUX_EGATE_H */
