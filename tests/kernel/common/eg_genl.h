/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink for the tests (no libnl): resolve a family, build a
 * request attribute by attribute, send it, read the answer or the error
 * and its extended-ACK message.  Enough to poke at the "egate" family with
 * well-formed and deliberately malformed messages.
 */
#ifndef EG_GENL_H
#define EG_GENL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#define EG_NL_BUF	8192

struct eg_nlmsg {
	union {
		struct nlmsghdr nlh;
		char buf[EG_NL_BUF];
	};
};

struct eg_genl {
	int fd;
	uint16_t family;
	uint32_t mcgrp;		/* "events" group id */
	uint32_t seq;
	char errmsg[256];	/* extended ACK message of the last error */
};

/* Open a socket and resolve @family (and its "events" group). */
int eg_genl_open(struct eg_genl *g, const char *family);
void eg_genl_close(struct eg_genl *g);
int eg_genl_join(struct eg_genl *g);

void eg_genl_msg(struct eg_genl *g, struct eg_nlmsg *m, uint8_t cmd,
		 uint16_t flags);
void eg_genl_put(struct eg_nlmsg *m, uint16_t type, const void *data,
		 size_t len);
void eg_genl_put_u32(struct eg_nlmsg *m, uint16_t type, uint32_t v);
void eg_genl_put_str(struct eg_nlmsg *m, uint16_t type, const char *s);

/*
 * Send @m; collect replies into @reply (NULL: ignore them; dumps: the
 * replies' count is returned).  Return: number of replies >= 0, or the
 * -errno of the ACK (g->errmsg holds its message).
 */
int eg_genl_call(struct eg_genl *g, struct eg_nlmsg *m,
		 struct eg_nlmsg *reply, int max_replies);

/* Receive one message (multicast) within @timeout_ms: 1, 0, -errno. */
int eg_genl_recv(struct eg_genl *g, struct eg_nlmsg *m, int timeout_ms);

/* Attributes of a genl message, tb[type] or NULL, @max included. */
void eg_genl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		   int max);
uint32_t eg_nla_u32(const struct nlattr *a);
uint64_t eg_nla_u64(const struct nlattr *a);
void eg_nla_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			 int max);

#endif /* EG_GENL_H */
