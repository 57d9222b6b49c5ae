// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the safety-invariant regression tests; see eg_safety.h.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "eg_genl.h"
#include "eg_safety.h"
#include "egate_test.h"
#include "uapi/linux/egate_netlink.h"

int eg_lane_up(const char *sim, const char *const *timings)
{
	char attr[64];
	int fd, ret;

	ret = eg_load("", sim);
	if (ret)
		return ret;
	for (; timings && timings[0]; timings += 2) {
		snprintf(attr, sizeof(attr), "timings/%s", timings[0]);
		ret = eg_sysfs_write(attr, timings[1]);
		if (ret)
			return ret;
	}
	fd = eg_open_ctl();
	if (fd < 0)
		return fd;
	ret = eg_expect_state(fd, 0, EGATE_ST_IDLE, 2000);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

void eg_lane_down(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	eg_unload();
}

int eg_officer(uint32_t action)
{
	static __thread struct eg_nlmsg m;
	struct eg_genl g;
	int ret;

	ret = eg_genl_open(&g, EGATE_GENL_NAME);
	if (ret)
		return ret;
	eg_genl_msg(&g, &m, EGATE_NL_CMD_OFFICER, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_ACTION, action);
	eg_genl_put_str(&m, EGATE_NL_ATTR_OPERATOR, "officer1");
	eg_genl_put_str(&m, EGATE_NL_ATTR_REASON, "safety test");
	ret = eg_genl_call(&g, &m, NULL, 0);
	eg_genl_close(&g);
	return ret < 0 ? ret : 0;
}

void eg_log_for(int fd, int ms)
{
	struct egate_event ev;
	long long end = eg_now_ms() + ms;

	while (eg_now_ms() < end)
		if (eg_read_event(fd, &ev, 10) < 0)
			break;
}

int eg_hold_drives(int fd, int drive_entry, int drive_exit, int ms)
{
	long long end = eg_now_ms() + ms;
	int bad = 0;

	do {
		if (drive_entry >= 0 &&
		    eg_sim_status("entry_drive") != drive_entry)
			bad++;
		if (drive_exit >= 0 &&
		    eg_sim_status("exit_drive") != drive_exit)
			bad++;
		eg_log_for(fd, 20);
	} while (eg_now_ms() < end);
	return bad;
}

static int eg_breach(uint32_t doors, int d)
{
	int o = !d;

	return EGATE_DOORS_CMD_OPEN(doors, d) &&
	       (EGATE_DOORS_CMD_OPEN(doors, o) ||
		EGATE_DOORS_POS(doors, o) != EGATE_DOOR_CLOSED);
}

int eg_interlock_breaches(int mark)
{
	const struct egate_event *ev;
	int n = 0, i;

	for (i = mark; (ev = eg_log_get(i)); i++)
		if (ev->state != EGATE_ST_EMERGENCY &&
		    (eg_breach(ev->doors, EGATE_DOOR_ENTRY) ||
		     eg_breach(ev->doors, EGATE_DOOR_EXIT)))
			n++;
	return n;
}
