// SPDX-License-Identifier: GPL-2.0
/*
 * Raw generic netlink for the tests; see eg_genl.h.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <poll.h>
#include <sys/time.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eg_genl.h"

#define EG_NLA_DATA(a)	((const char *)(a) + NLA_HDRLEN)

void eg_genl_msg(struct eg_genl *g, struct eg_nlmsg *m, uint8_t cmd,
		 uint16_t flags)
{
	struct genlmsghdr *gh;

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = g->family;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->nlh.nlmsg_seq = ++g->seq;
	gh = NLMSG_DATA(&m->nlh);
	gh->cmd = cmd;
	gh->version = 1;
}

void eg_genl_put(struct eg_nlmsg *m, uint16_t type, const void *data,
		 size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf +
					     NLMSG_ALIGN(m->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

void eg_genl_put_u32(struct eg_nlmsg *m, uint16_t type, uint32_t v)
{
	eg_genl_put(m, type, &v, sizeof(v));
}

void eg_genl_put_str(struct eg_nlmsg *m, uint16_t type, const char *s)
{
	eg_genl_put(m, type, s, strlen(s) + 1);
}

static void eg_genl_ack_msg(struct eg_genl *g, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const char *p = (const char *)nlh;
	size_t off;

	g->errmsg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + NLA_HDRLEN <= nlh->nlmsg_len) {
		const struct nlattr *a = (const void *)(p + off);

		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(g->errmsg, sizeof(g->errmsg), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), EG_NLA_DATA(a));
		off += NLA_ALIGN(a->nla_len);
	}
}

int eg_genl_call(struct eg_genl *g, struct eg_nlmsg *m,
		 struct eg_nlmsg *reply, int max_replies)
{
	static __thread char buf[65536];	/* per thread: the fuzzer calls from many */
	uint32_t seq = m->nlh.nlmsg_seq;
	int n = 0;

	if (send(g->fd, m->buf, m->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(g->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh;

		if (len < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				eg_genl_ack_msg(g, nlh);
				return e->error ? e->error : n;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return n;
			if (reply && n < max_replies &&
			    nlh->nlmsg_len <= sizeof(reply[n].buf))
				memcpy(reply[n].buf, nlh, nlh->nlmsg_len);
			n++;
		}
	}
}

int eg_genl_recv(struct eg_genl *g, struct eg_nlmsg *m, int timeout_ms)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	ssize_t len;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret < 0 ? -errno : 0;
	len = recv(g->fd, m->buf, sizeof(m->buf), 0);
	if (len < 0)
		return -errno;
	return NLMSG_OK(&m->nlh, len) ? 1 : -EBADMSG;
}

static void eg_nla_parse(const char *p, size_t len, const struct nlattr **tb,
			 int max)
{
	size_t step;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		if (type <= max)
			tb[type] = a;
		step = NLA_ALIGN(a->nla_len);
		if (step > len)
			step = len;
		len -= step;
		p += step;
	}
}

void eg_genl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		   int max)
{
	const char *p = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;

	eg_nla_parse(p, nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), tb, max);
}

void eg_nla_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			 int max)
{
	eg_nla_parse(EG_NLA_DATA(nest), nest->nla_len - NLA_HDRLEN, tb, max);
}

uint32_t eg_nla_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, EG_NLA_DATA(a), sizeof(v));
	return v;
}

uint64_t eg_nla_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, EG_NLA_DATA(a), sizeof(v));
	return v;
}

/* CTRL_CMD_GETFAMILY: the family's id and its "events" group. */
static int eg_genl_resolve(struct eg_genl *g, const char *family)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1], *grp[CTRL_ATTR_MCAST_GRP_MAX + 1];
	static __thread struct eg_nlmsg m, reply;
	const struct nlattr *a;
	size_t off;
	int ret;

	g->family = GENL_ID_CTRL;
	eg_genl_msg(g, &m, CTRL_CMD_GETFAMILY, 0);
	eg_genl_put_str(&m, CTRL_ATTR_FAMILY_NAME, family);
	ret = eg_genl_call(g, &m, &reply, 1);
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -ENOENT;
	eg_genl_parse(&reply.nlh, tb, CTRL_ATTR_MAX);
	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -ENOENT;
	memcpy(&g->family, EG_NLA_DATA(tb[CTRL_ATTR_FAMILY_ID]), 2);
	g->mcgrp = 0;
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	a = tb[CTRL_ATTR_MCAST_GROUPS];
	for (off = NLA_HDRLEN; off + NLA_HDRLEN <= a->nla_len;) {
		const struct nlattr *one = (const void *)((const char *)a + off);

		eg_nla_parse_nested(one, grp, CTRL_ATTR_MCAST_GRP_MAX);
		if (grp[CTRL_ATTR_MCAST_GRP_NAME] && grp[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(EG_NLA_DATA(grp[CTRL_ATTR_MCAST_GRP_NAME]), "events"))
			g->mcgrp = eg_nla_u32(grp[CTRL_ATTR_MCAST_GRP_ID]);
		off += NLA_ALIGN(one->nla_len);
	}
	return 0;
}

int eg_genl_open(struct eg_genl *g, const char *family)
{
	struct timeval tmo = { .tv_sec = 5 };
	int one = 1, ret;

	memset(g, 0, sizeof(*g));
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	setsockopt(g->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(g->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/*
	 * An answer that never comes (a request lost while the family goes
	 * away, say) fails the call with EAGAIN after 5 s instead of hanging
	 * the test for ever.
	 */
	setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	ret = eg_genl_resolve(g, family);
	if (ret) {
		close(g->fd);
		g->fd = -1;
	}
	return ret;
}

void eg_genl_close(struct eg_genl *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

int eg_genl_join(struct eg_genl *g)
{
	if (!g->mcgrp)
		return -ENOENT;
	if (setsockopt(g->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g->mcgrp,
		       sizeof(g->mcgrp)))
		return -errno;
	return 0;
}
