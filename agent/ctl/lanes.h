/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lanes.h - egatectl's list of lanes, filled from the driver's
 * EGATE_NL_CMD_GET_LANE replies (one message per lane, a dump for all).
 * The list grows as lanes come, up to LANES_MAX: a kiosk with more lanes
 * than egatectl expected is an error, never a shorter list.
 */
#ifndef EGATECTL_LANES_H
#define EGATECTL_LANES_H

#include <stddef.h>
#include <stdint.h>

#include <netlink/msg.h>

#include "uapi/linux/egate_netlink.h"

/* Lane ids are below 4096 (egatectl's LANE argument): no more lanes. */
#define LANES_MAX 4096

struct lane {
	uint32_t id, topology, nbeams, state, mode, alarm, beams, doors;
	uint32_t flags, ctl_pid;
	uint64_t seq, cnt[EGATE_NL_CNT_MAX + 1];
	char name[32];
};

struct lanes {
	struct lane *v;
	size_t n, cap;
	int err;	/* -ENOMEM or -E2BIG once a lane could not be kept */
};

/*
 * libnl NL_CB_VALID callback (@arg: struct lanes): appends the lane that
 * @msg describes.  A message without a lane is skipped; so is a lane that
 * cannot be kept, and ->err says so.
 */
int lanes_add_msg(struct nl_msg *msg, void *arg);

/* Frees the lanes and empties the list. */
void lanes_clear(struct lanes *ls);

#endif /* EGATECTL_LANES_H */
