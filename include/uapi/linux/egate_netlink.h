/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * egate - generic netlink family "egate": lane status, mode, officer
 * commands and a multicast group carrying every lane event.
 *
 * Documentation/egate-netlink.md describes it.  Every request is validated
 * strictly: unknown attributes, attributes of the wrong type or length,
 * output-only attributes in a request and strings longer than their bound
 * are refused with EINVAL and an extended ACK message.
 */
#ifndef _UAPI_LINUX_EGATE_NETLINK_H
#define _UAPI_LINUX_EGATE_NETLINK_H

#define EGATE_GENL_NAME		"egate"
#define EGATE_GENL_VERSION	1
/* Multicast group: every event of every lane (EGATE_NL_CMD_EVENT). */
#define EGATE_GENL_MCGRP_EVENTS	"events"

/* Longest operator id and reason, not counting the terminating NUL. */
#define EGATE_NL_OPERATOR_MAX	32
#define EGATE_NL_REASON_MAX	200

enum egate_nl_cmd {
	EGATE_NL_CMD_UNSPEC,
	/* LANE -> one lane's status; dump (no LANE) -> every lane.  Anyone. */
	EGATE_NL_CMD_GET_LANE,
	/* LANE, MODE.  CAP_NET_ADMIN. */
	EGATE_NL_CMD_SET_MODE,
	/* LANE, ACTION, OPERATOR, REASON.  CAP_NET_ADMIN. */
	EGATE_NL_CMD_OFFICER,
	/* Multicast only: one lane event (LANE, EV_* attributes). */
	EGATE_NL_CMD_EVENT,
	/*
	 * Multicast only: an officer command was carried out (LANE, ACTION,
	 * OPERATOR, REASON, UID).
	 */
	EGATE_NL_CMD_OFFICER_NOTIFY,
	__EGATE_NL_CMD_MAX,
	EGATE_NL_CMD_MAX = __EGATE_NL_CMD_MAX - 1
};

/* EGATE_NL_ATTR_ACTION values. */
enum egate_nl_action {
	EGATE_NL_ACTION_OPEN_ONCE	= 1,	/* one passage, entry to exit */
	EGATE_NL_ACTION_HOLD_OPEN	= 2,	/* doors open until reset/lock */
	EGATE_NL_ACTION_LOCK		= 3,	/* lock down */
	EGATE_NL_ACTION_RESET		= 4,	/* clear alarm/lock/hold */
	__EGATE_NL_ACTION_MAX,
	EGATE_NL_ACTION_MAX = __EGATE_NL_ACTION_MAX - 1
};

enum egate_nl_attr {
	EGATE_NL_ATTR_UNSPEC,
	EGATE_NL_ATTR_PAD,
	EGATE_NL_ATTR_LANE,		/* u32: N of egateN (in, out) */
	EGATE_NL_ATTR_MODE,		/* u32: enum egate_mode (in, out) */
	EGATE_NL_ATTR_ACTION,		/* u32: enum egate_nl_action (in, out) */
	EGATE_NL_ATTR_OPERATOR,		/* string: officer id (in, out) */
	EGATE_NL_ATTR_REASON,		/* string: why (in, out) */
	/* Output only: */
	EGATE_NL_ATTR_NAME,		/* string: "egateN" */
	EGATE_NL_ATTR_TOPOLOGY,		/* u32: enum egate_topology */
	EGATE_NL_ATTR_NBEAMS,		/* u32 */
	EGATE_NL_ATTR_STATE,		/* u32: enum egate_state */
	EGATE_NL_ATTR_ALARM,		/* u32: latched enum egate_alarm */
	EGATE_NL_ATTR_BEAMS,		/* u32: broken-beam bitmap */
	EGATE_NL_ATTR_DOORS,		/* u32: door summary, EGATE_DOORS_POS() */
	EGATE_NL_ATTR_FLAGS,		/* u32: EGATE_STATUS_* (not CONTROLLER) */
	EGATE_NL_ATTR_CTL_PID,		/* u32: controller's pid, if any */
	EGATE_NL_ATTR_SEQ,		/* u64: last event sequence number */
	EGATE_NL_ATTR_COUNTERS,		/* nested: EGATE_NL_CNT_* u64 */
	EGATE_NL_ATTR_EV_TYPE,		/* u32: enum egate_event_type */
	EGATE_NL_ATTR_EV_ARG,		/* u32: the event's argument */
	EGATE_NL_ATTR_EV_TAG,		/* u64: authorisation tag or 0 */
	EGATE_NL_ATTR_EV_TIME,		/* u64: CLOCK_MONOTONIC ns */
	/*
	 * u32: OFFICER_NOTIFY: the real uid of the process that sent the
	 * command, in the initial user namespace, as the kernel knows it:
	 * unlike OPERATOR, which the caller types, it cannot be chosen.
	 */
	EGATE_NL_ATTR_UID,
	__EGATE_NL_ATTR_MAX,
	EGATE_NL_ATTR_MAX = __EGATE_NL_ATTR_MAX - 1
};

/* Attributes nested in EGATE_NL_ATTR_COUNTERS, each a u64. */
enum egate_nl_counter {
	EGATE_NL_CNT_UNSPEC,
	EGATE_NL_CNT_PASSAGES,
	EGATE_NL_CNT_EXPIRED,
	EGATE_NL_CNT_DENIED,
	EGATE_NL_CNT_OVERFLOWS,
	EGATE_NL_CNT_EVENTS,
	EGATE_NL_CNT_BEAM_EDGES,
	EGATE_NL_CNT_OBSTRUCT_RETRIES,
	EGATE_NL_CNT_TAILGATING,
	EGATE_NL_CNT_WRONG_WAY,
	EGATE_NL_CNT_INTRUSION,
	EGATE_NL_CNT_LOITERING,
	EGATE_NL_CNT_FORCED_DOOR,
	EGATE_NL_CNT_OBSTRUCTION,
	EGATE_NL_CNT_EMERGENCY,
	EGATE_NL_CNT_FAULT,
	__EGATE_NL_CNT_MAX,
	EGATE_NL_CNT_MAX = __EGATE_NL_CNT_MAX - 1
};

#endif /* _UAPI_LINUX_EGATE_NETLINK_H */
