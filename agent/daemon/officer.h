/* SPDX-License-Identifier: GPL-2.0 */
/*
 * officer.h - the officers' commands as the kernel tells every listener:
 * the egate generic netlink family's "events" group, whose
 * EGATE_NL_CMD_OFFICER_NOTIFY messages name the lane, the action, the
 * operator name the officer typed, the reason, and the uid of the process
 * that sent the command (include/uapi/linux/egate_netlink.h).  The socket
 * never blocks: the agent's loop polls its fd and reads what is there.
 */
#ifndef EGATE_AGENT_OFFICER_H
#define EGATE_AGENT_OFFICER_H

#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/egate_netlink.h"

/* Messages read per call at most: the loop goes on to its other work. */
#define OFFICER_READ_MAX 64
/* The socket's receive buffer asked for (the kernel caps it at rmem_max). */
#define OFFICER_RCVBUF (1024 * 1024)

struct officer_event {
	uint32_t lane;				/* N of /dev/egateN */
	uint32_t action;			/* enum egate_nl_action */
	uint32_t uid;				/* the sender's, from the kernel */
	char operator[EGATE_NL_OPERATOR_MAX + 1];	/* as typed */
	char reason[EGATE_NL_REASON_MAX + 1];
};

struct officer_watch;

/* Joins the events group: err says why not (no egate family: driver not loaded). */
int officer_watch_new(struct officer_watch **ret, char *err, size_t err_size);
void officer_watch_free(struct officer_watch *w);
int officer_watch_fd(const struct officer_watch *w);

typedef void (*officer_cb)(const struct officer_event *ev, void *userdata);
/*
 * Reads up to OFFICER_READ_MAX messages that are there now, calling cb
 * for each officer event the kernel sent (lane events and messages from
 * anyone but the kernel are skipped): how many messages it read, or
 * -ENOBUFS when the socket overran and messages were lost (reading goes
 * on at the next call), or another -errno.
 */
int officer_watch_read(struct officer_watch *w, officer_cb cb, void *userdata);

/* egatectl's names: "open", "hold", "lock", "reset"; NULL for another. */
const char *officer_action_name(uint32_t action);

#endif
