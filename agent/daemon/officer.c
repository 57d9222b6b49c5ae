// SPDX-License-Identifier: GPL-2.0
/*
 * officer.c - the egate family's events group with libnl-genl: officer
 * commands, as the kernel reports them (officer.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "macro.h"
#include "officer.h"

struct officer_watch {
	struct nl_sock *sk;
	struct nl_cb *nl_cb;		/* the socket's, with on_message */
	int family;
	officer_cb cb;			/* during officer_watch_read */
	void *userdata;
};

const char *officer_action_name(uint32_t action)
{
	static const char *const names[] = {
		[EGATE_NL_ACTION_OPEN_ONCE] = "open", [EGATE_NL_ACTION_HOLD_OPEN] = "hold",
		[EGATE_NL_ACTION_LOCK] = "lock", [EGATE_NL_ACTION_RESET] = "reset",
	};

	return action < ELEMENTSOF(names) ? names[action] : NULL;
}

static int on_message(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[EGATE_NL_ATTR_MAX + 1] = {
		[EGATE_NL_ATTR_LANE] = { .type = NLA_U32 },
		[EGATE_NL_ATTR_ACTION] = { .type = NLA_U32 },
		[EGATE_NL_ATTR_UID] = { .type = NLA_U32 },
		[EGATE_NL_ATTR_OPERATOR] = { .type = NLA_STRING },
		[EGATE_NL_ATTR_REASON] = { .type = NLA_STRING },
	};
	struct officer_watch *w = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[EGATE_NL_ATTR_MAX + 1];
	struct officer_event ev = { 0 };

	/*
	 * Only the kernel's (port 0): a process with CAP_NET_ADMIN may send
	 * to a multicast group too, and must not write the audit log.
	 */
	if (nlmsg_get_src(msg)->nl_pid != 0 || nlh->nlmsg_type != w->family ||
	    !genlmsg_valid_hdr(nlh, 0) ||
	    ((struct genlmsghdr *)nlmsg_data(nlh))->cmd != EGATE_NL_CMD_OFFICER_NOTIFY ||
	    genlmsg_parse(nlh, 0, tb, EGATE_NL_ATTR_MAX, policy) < 0 ||
	    !tb[EGATE_NL_ATTR_LANE] || !tb[EGATE_NL_ATTR_ACTION] || !tb[EGATE_NL_ATTR_UID] ||
	    !tb[EGATE_NL_ATTR_OPERATOR] || !tb[EGATE_NL_ATTR_REASON])
		return NL_SKIP;
	ev.lane = nla_get_u32(tb[EGATE_NL_ATTR_LANE]);
	ev.action = nla_get_u32(tb[EGATE_NL_ATTR_ACTION]);
	ev.uid = nla_get_u32(tb[EGATE_NL_ATTR_UID]);
	nla_strlcpy(ev.operator, tb[EGATE_NL_ATTR_OPERATOR], sizeof(ev.operator));
	nla_strlcpy(ev.reason, tb[EGATE_NL_ATTR_REASON], sizeof(ev.reason));
	w->cb(&ev, w->userdata);
	return NL_OK;
}

DEFINE_POINTER_CLEANUP(struct officer_watch, officer_watch_freep, officer_watch_free)

int officer_watch_new(struct officer_watch **ret, char *err, size_t err_size)
{
	_cleanup_(officer_watch_freep) struct officer_watch *w = calloc(1, sizeof(*w));
	int grp, r;

	if (!w)
		return -ENOMEM;
	w->sk = nl_socket_alloc();
	if (!w->sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(w->sk);	/* multicast: nobody's sequence */
	r = genl_connect(w->sk);
	if (r < 0) {
		snprintf(err, err_size, "generic netlink: %s", nl_geterror(r));
		return -EIO;
	}
	w->family = genl_ctrl_resolve(w->sk, EGATE_GENL_NAME);
	grp = genl_ctrl_resolve_grp(w->sk, EGATE_GENL_NAME, EGATE_GENL_MCGRP_EVENTS);
	if (w->family < 0 || grp < 0) {
		snprintf(err, err_size, "no generic netlink family \"%s\" with a group \"%s\""
			 " (is the egate driver loaded?)", EGATE_GENL_NAME,
			 EGATE_GENL_MCGRP_EVENTS);
		return -ENOENT;
	}
	r = nl_socket_add_membership(w->sk, grp);
	if (r >= 0)
		r = nl_socket_set_nonblocking(w->sk);
	if (r < 0) {
		snprintf(err, err_size, "joining the events group: %s", nl_geterror(r));
		return -EIO;
	}
	/* Room for bursts of lane events, which come on the same group. */
	nl_socket_set_buffer_size(w->sk, OFFICER_RCVBUF, 0);
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, w);
	w->nl_cb = nl_socket_get_cb(w->sk);
	if (!w->nl_cb)
		return -ENOMEM;
	*ret = TAKE_PTR(w);
	return 0;
}

void officer_watch_free(struct officer_watch *w)
{
	if (!w)
		return;
	if (w->nl_cb)
		nl_cb_put(w->nl_cb);
	if (w->sk)
		nl_socket_free(w->sk);
	free(w);
}

int officer_watch_fd(const struct officer_watch *w)
{
	return nl_socket_get_fd(w->sk);
}

int officer_watch_read(struct officer_watch *w, officer_cb cb, void *userdata)
{
	int n, r = 0;

	w->cb = cb;
	w->userdata = userdata;
	for (n = 0; n < OFFICER_READ_MAX; n++) {
		r = nl_recvmsgs_report(w->sk, w->nl_cb);
		if (r <= 0)
			break;
	}
	if (r == -NLE_NOMEM)	/* ENOBUFS: the kernel dropped messages */
		return -ENOBUFS;
	if (r < 0 && r != -NLE_AGAIN)
		return -EIO;
	return n;
}
