// SPDX-License-Identifier: GPL-2.0
/*
 * lanes.c - egatectl's list of lanes; see lanes.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include "lanes.h"

static struct lane *lanes_new_lane(struct lanes *ls)
{
	struct lane *v;
	size_t cap;

	if (ls->n == ls->cap) {
		if (ls->cap >= LANES_MAX) {
			ls->err = -E2BIG;
			return NULL;
		}
		cap = ls->cap ? ls->cap * 2 : 16;
		if (cap > LANES_MAX)
			cap = LANES_MAX;
		v = reallocarray(ls->v, cap, sizeof(*v));
		if (!v) {
			ls->err = -ENOMEM;
			return NULL;
		}
		ls->v = v;
		ls->cap = cap;
	}
	memset(&ls->v[ls->n], 0, sizeof(ls->v[ls->n]));
	return &ls->v[ls->n++];
}

int lanes_add_msg(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[EGATE_NL_ATTR_MAX + 1], *cnt[EGATE_NL_CNT_MAX + 1];
	struct lanes *ls = arg;
	struct lane *l;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, EGATE_NL_ATTR_MAX, NULL) ||
	    !tb[EGATE_NL_ATTR_LANE])
		return NL_SKIP;
	l = lanes_new_lane(ls);
	if (!l)		/* the rest is read, up to the dump's end, and dropped */
		return NL_SKIP;
#define U32(field, attr) \
	if (tb[attr]) l->field = nla_get_u32(tb[attr])
	U32(id, EGATE_NL_ATTR_LANE);
	U32(topology, EGATE_NL_ATTR_TOPOLOGY);
	U32(nbeams, EGATE_NL_ATTR_NBEAMS);
	U32(state, EGATE_NL_ATTR_STATE);
	U32(mode, EGATE_NL_ATTR_MODE);
	U32(alarm, EGATE_NL_ATTR_ALARM);
	U32(beams, EGATE_NL_ATTR_BEAMS);
	U32(doors, EGATE_NL_ATTR_DOORS);
	U32(flags, EGATE_NL_ATTR_FLAGS);
	U32(ctl_pid, EGATE_NL_ATTR_CTL_PID);
#undef U32
	if (tb[EGATE_NL_ATTR_SEQ])
		l->seq = nla_get_u64(tb[EGATE_NL_ATTR_SEQ]);
	if (tb[EGATE_NL_ATTR_NAME])
		snprintf(l->name, sizeof(l->name), "%s",
			 nla_get_string(tb[EGATE_NL_ATTR_NAME]));
	if (tb[EGATE_NL_ATTR_COUNTERS] &&
	    !nla_parse_nested(cnt, EGATE_NL_CNT_MAX, tb[EGATE_NL_ATTR_COUNTERS],
			      NULL))
		for (int i = 1; i <= EGATE_NL_CNT_MAX; i++)
			if (cnt[i])
				l->cnt[i] = nla_get_u64(cnt[i]);
	return NL_OK;
}

void lanes_clear(struct lanes *ls)
{
	free(ls->v);
	*ls = (struct lanes) { 0 };
}
