// SPDX-License-Identifier: GPL-2.0
/*
 * egate - generic netlink family "egate" (include/uapi/linux/egate_netlink.h).
 *
 * Status of one lane or all lanes for anyone; mode and officer commands
 * for CAP_NET_ADMIN in the caller's user namespace owner of the network
 * namespace (GENL_UNS_ADMIN_PERM: lanes are hardware, so in practice the
 * initial namespace's root or a delegate of it); a multicast group with
 * every lane event, which anyone may join: it carries exactly what the
 * world-readable sysfs attributes and the event records already show (no
 * traveller data ever reaches the driver; the tag is an opaque number).
 *
 * Lanes are found through the egate class, so no registry of our own: a
 * lane found holds a reference on its device, and everything read from it
 * is read under its lock, after checking it is not dead.
 */
#include <linux/capability.h>
#include <linux/device.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>
#include <uapi/linux/egate_netlink.h>

#include "egate_priv.h"

static const struct nla_policy egate_nl_policy[EGATE_NL_ATTR_MAX + 1] = {
	[EGATE_NL_ATTR_LANE]	 = NLA_POLICY_MAX(NLA_U32, EGATE_MAX_LANES - 1),
	[EGATE_NL_ATTR_MODE]	 = NLA_POLICY_MAX(NLA_U32, EGATE_MODE_COUNT - 1),
	[EGATE_NL_ATTR_ACTION]	 = NLA_POLICY_RANGE(NLA_U32, 1,
						    EGATE_NL_ACTION_MAX),
	[EGATE_NL_ATTR_OPERATOR] = { .type = NLA_NUL_STRING,
				     .len = EGATE_NL_OPERATOR_MAX },
	[EGATE_NL_ATTR_REASON]	 = { .type = NLA_NUL_STRING,
				     .len = EGATE_NL_REASON_MAX },
	/* Every other attribute is output only: NLA_UNSPEC, refused. */
};

/* EGATE_NL_CNT_* -> enum egate_counter */
static const u8 egate_nl_counters[EGATE_NL_CNT_MAX + 1] = {
	[EGATE_NL_CNT_PASSAGES]		= EGATE_CNT_PASSAGES,
	[EGATE_NL_CNT_EXPIRED]		= EGATE_CNT_EXPIRED,
	[EGATE_NL_CNT_DENIED]		= EGATE_CNT_DENIED,
	[EGATE_NL_CNT_OVERFLOWS]	= EGATE_CNT_OVERFLOWS,
	[EGATE_NL_CNT_EVENTS]		= EGATE_CNT_EVENTS,
	[EGATE_NL_CNT_BEAM_EDGES]	= EGATE_CNT_BEAM_EDGES,
	[EGATE_NL_CNT_OBSTRUCT_RETRIES]	= EGATE_CNT_OBSTRUCT_RETRIES,
	[EGATE_NL_CNT_TAILGATING]	= EGATE_CNT_ALARM_BASE + EGATE_ALARM_TAILGATING,
	[EGATE_NL_CNT_WRONG_WAY]	= EGATE_CNT_ALARM_BASE + EGATE_ALARM_WRONG_WAY,
	[EGATE_NL_CNT_INTRUSION]	= EGATE_CNT_ALARM_BASE + EGATE_ALARM_INTRUSION,
	[EGATE_NL_CNT_LOITERING]	= EGATE_CNT_ALARM_BASE + EGATE_ALARM_LOITERING,
	[EGATE_NL_CNT_FORCED_DOOR]	= EGATE_CNT_ALARM_BASE + EGATE_ALARM_FORCED_DOOR,
	[EGATE_NL_CNT_OBSTRUCTION]	= EGATE_CNT_ALARM_BASE + EGATE_ALARM_OBSTRUCTION,
	[EGATE_NL_CNT_EMERGENCY]	= EGATE_CNT_ALARM_BASE + EGATE_ALARM_EMERGENCY,
	[EGATE_NL_CNT_FAULT]		= EGATE_CNT_ALARM_BASE + EGATE_ALARM_FAULT,
};

/**
 * struct egate_nl_snap - a lane's status, copied under its lock
 * @state: visible state
 * @mode: mode
 * @alarm: latched alarm
 * @beams: broken beams
 * @doors: door summary
 * @flags: EGATE_STATUS_* bits
 * @ctl_pid: controller's pid in the caller's pid namespace, or 0
 * @seq: last event sequence number
 * @cnt: counters
 */
struct egate_nl_snap {
	u32 state;
	u32 mode;
	u32 alarm;
	u32 beams;
	u32 doors;
	u32 flags;
	u32 ctl_pid;
	u64 seq;
	u64 cnt[EGATE_CNT_COUNT];
};

static struct genl_family egate_genl_family;

static int egate_nl_match(struct device *dev, const void *data)
{
	return MINOR(dev->devt) == *(const u32 *)data;
}

/* The lane with id @id, with a reference on its device; or NULL. */
static struct egate_lane *egate_nl_get_lane(u32 id)
{
	struct device *dev;

	dev = class_find_device(&egate_class, NULL, &id, egate_nl_match);
	return dev ? container_of(dev, struct egate_lane, dev) : NULL;
}

static void egate_nl_put_lane(struct egate_lane *lane)
{
	put_device(&lane->dev);
}

static int egate_nl_snapshot(struct egate_lane *lane, struct egate_nl_snap *s)
{
	mutex_lock(&lane->lock);
	if (lane->dead) {
		mutex_unlock(&lane->lock);
		return -ENODEV;
	}
	s->state = lane->state;
	s->mode = lane->mode;
	s->alarm = lane->alarm;
	s->beams = lane->in.beams;
	s->doors = egate_doors_summary(lane);
	s->flags = egate_sm_status_flags(lane);
	/*
	 * In the pid namespace of the task asking: the sender of a request,
	 * or the reader of a dump (netlink dumps run in the sendmsg() and
	 * recvmsg() calls of the socket's user).  0 when the controller is
	 * not visible there, as sysfs controller_pid does.
	 */
	s->ctl_pid = lane->ctl_pid ? pid_vnr(lane->ctl_pid) : 0;
	s->seq = lane->seq;
	memcpy(s->cnt, lane->cnt, sizeof(s->cnt));
	mutex_unlock(&lane->lock);
	return 0;
}

static int egate_nl_fill_lane(struct sk_buff *skb, struct egate_lane *lane,
			      u32 portid, u32 seq, int flags)
{
	struct egate_nl_snap s;
	struct nlattr *nest;
	void *hdr;
	int i, ret;

	ret = egate_nl_snapshot(lane, &s);
	if (ret)
		return ret;
	hdr = genlmsg_put(skb, portid, seq, &egate_genl_family, flags,
			  EGATE_NL_CMD_GET_LANE);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, EGATE_NL_ATTR_LANE, lane->id) ||
	    nla_put_string(skb, EGATE_NL_ATTR_NAME, dev_name(&lane->dev)) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_TOPOLOGY, lane->topology) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_NBEAMS, lane->nbeams) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_STATE, s.state) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_MODE, s.mode) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_ALARM, s.alarm) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_BEAMS, s.beams) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_DOORS, s.doors) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_FLAGS, s.flags) ||
	    nla_put_u32(skb, EGATE_NL_ATTR_CTL_PID, s.ctl_pid) ||
	    nla_put_u64_64bit(skb, EGATE_NL_ATTR_SEQ, s.seq, EGATE_NL_ATTR_PAD))
		goto cancel;
	nest = nla_nest_start(skb, EGATE_NL_ATTR_COUNTERS);
	if (!nest)
		goto cancel;
	for (i = 1; i <= EGATE_NL_CNT_MAX; i++)
		if (nla_put_u64_64bit(skb, i, s.cnt[egate_nl_counters[i]],
				      EGATE_NL_CNT_UNSPEC))
			goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* The lane named by the request's LANE attribute, or an error with a message. */
static struct egate_lane *egate_nl_lane_of(struct genl_info *info)
{
	struct egate_lane *lane;

	if (GENL_REQ_ATTR_CHECK(info, EGATE_NL_ATTR_LANE))
		return ERR_PTR(-EINVAL);
	lane = egate_nl_get_lane(nla_get_u32(info->attrs[EGATE_NL_ATTR_LANE]));
	if (!lane) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[EGATE_NL_ATTR_LANE],
				    "no such lane");
		return ERR_PTR(-ENODEV);
	}
	return lane;
}

static int egate_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct egate_lane *lane;
	struct sk_buff *msg;
	int ret;

	lane = egate_nl_lane_of(info);
	if (IS_ERR(lane))
		return PTR_ERR(lane);
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto put_lane;
	}
	ret = egate_nl_fill_lane(msg, lane, info->snd_portid, info->snd_seq, 0);
	if (ret)
		goto free_msg;
	egate_nl_put_lane(lane);
	return genlmsg_reply(msg, info);

free_msg:
	nlmsg_free(msg);
put_lane:
	egate_nl_put_lane(lane);
	return ret;
}

/* cb->args[0]: next lane id to look at. */
static int egate_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct egate_lane *lane;
	u32 id;
	int ret;

	for (id = cb->args[0]; id < EGATE_MAX_LANES; id++) {
		lane = egate_nl_get_lane(id);
		if (!lane)
			continue;
		ret = egate_nl_fill_lane(skb, lane, NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI);
		egate_nl_put_lane(lane);
		if (ret == -EMSGSIZE)
			break;
		/* A lane removed meanwhile (-ENODEV) is simply not listed. */
	}
	cb->args[0] = id;
	return skb->len;
}

static int egate_nl_set_mode_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct egate_cmd cmd = { .op = EGATE_CMD_SET_MODE };
	struct egate_lane *lane;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, EGATE_NL_ATTR_MODE))
		return -EINVAL;
	cmd.arg = nla_get_u32(info->attrs[EGATE_NL_ATTR_MODE]);
	lane = egate_nl_lane_of(info);
	if (IS_ERR(lane))
		return PTR_ERR(lane);
	ret = egate_sm_command(lane, NULL, &cmd);
	if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "lane busy: a passage is in progress");
	egate_nl_put_lane(lane);
	return ret;
}

static void egate_nl_officer_notify(struct egate_lane *lane, u32 action,
				    const char *operator, const char *reason,
				    u32 uid)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&egate_genl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &egate_genl_family, 0,
			  EGATE_NL_CMD_OFFICER_NOTIFY);
	if (!hdr)
		goto free_msg;
	if (nla_put_u32(msg, EGATE_NL_ATTR_LANE, lane->id) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_ACTION, action) ||
	    nla_put_string(msg, EGATE_NL_ATTR_OPERATOR, operator) ||
	    nla_put_string(msg, EGATE_NL_ATTR_REASON, reason) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_UID, uid))
		goto free_msg;
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&egate_genl_family, msg, 0, 0, GFP_KERNEL);
	return;

free_msg:
	nlmsg_free(msg);
}

/*
 * An operator id or reason goes into the kernel log, which is the audit
 * trail of officer actions, and to every listener of the events group.  A
 * newline in it would let a caller with CAP_NET_ADMIN forge audit lines
 * ("...: drill\negate egate0: officer chief: action 4: ..."), an escape
 * sequence would drive the terminal of whoever reads the log.  So C0
 * control characters (newline, tab, ESC...) and DEL are refused, and so
 * is anything after the terminating NUL (the policy only checks that a
 * NUL comes within the bound).  Other bytes, UTF-8 included, are accepted;
 * the log line escapes what is not printable as a second line of defence.
 */
static int egate_nl_text_check(const struct nlattr *attr,
			       struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);
	int len = nla_len(attr), n, i;

	n = strnlen(s, len);
	if (!n) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "empty string");
		return -EINVAL;
	}
	if (n != len - 1) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "bytes after the string's NUL");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if ((u8)s[i] < 0x20 || s[i] == 0x7f) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "control character in string");
			return -EINVAL;
		}
	}
	return 0;
}

static int egate_nl_officer_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const u32 ops[EGATE_NL_ACTION_MAX + 1] = {
		[EGATE_NL_ACTION_OPEN_ONCE]	= EGATE_CMD_AUTHORISE,
		[EGATE_NL_ACTION_HOLD_OPEN]	= EGATE_CMD_HOLD_OPEN,
		[EGATE_NL_ACTION_LOCK]		= EGATE_CMD_LOCK,
		[EGATE_NL_ACTION_RESET]		= EGATE_CMD_RESET,
	};
	struct egate_cmd cmd = { 0 };
	const char *operator, *reason;
	struct egate_lane *lane;
	u32 action, uid;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, EGATE_NL_ATTR_ACTION) ||
	    GENL_REQ_ATTR_CHECK(info, EGATE_NL_ATTR_OPERATOR) ||
	    GENL_REQ_ATTR_CHECK(info, EGATE_NL_ATTR_REASON))
		return -EINVAL;
	ret = egate_nl_text_check(info->attrs[EGATE_NL_ATTR_OPERATOR],
				  info->extack);
	if (ret)
		return ret;
	ret = egate_nl_text_check(info->attrs[EGATE_NL_ATTR_REASON],
				  info->extack);
	if (ret)
		return ret;
	action = nla_get_u32(info->attrs[EGATE_NL_ATTR_ACTION]);
	operator = nla_data(info->attrs[EGATE_NL_ATTR_OPERATOR]);
	reason = nla_data(info->attrs[EGATE_NL_ATTR_REASON]);
	cmd.op = ops[action];
	lane = egate_nl_lane_of(info);
	if (IS_ERR(lane))
		return PTR_ERR(lane);

	ret = egate_sm_command(lane, NULL, &cmd);
	if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "the lane's state refuses this command now");
	if (!ret) {
		/*
		 * Who sent it, as the kernel knows it: a doit runs in the
		 * sender's sendmsg(), so current is the caller.  The
		 * operator name is only what they typed.
		 */
		uid = from_kuid_munged(&init_user_ns, current_uid());
		/*
		 * The audit trail of officer actions is the kernel log.
		 * Checked above, and escaped here all the same (%pE: what is
		 * not printable as \ooo), should a check ever be loosened.
		 */
		dev_notice(&lane->dev, "officer %*pE (uid %u): action %u: %*pE\n",
			   (int)strlen(operator), operator, uid, action,
			   (int)strlen(reason), reason);
		egate_nl_officer_notify(lane, action, operator, reason, uid);
	}
	egate_nl_put_lane(lane);
	return ret;
}

static const struct genl_ops egate_nl_ops[] = {
	{
		.cmd	= EGATE_NL_CMD_GET_LANE,
		.doit	= egate_nl_get_doit,
		.dumpit	= egate_nl_get_dumpit,
	},
	{
		.cmd	= EGATE_NL_CMD_SET_MODE,
		.doit	= egate_nl_set_mode_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= EGATE_NL_CMD_OFFICER,
		.doit	= egate_nl_officer_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group egate_nl_mcgrps[] = {
	{ .name = EGATE_GENL_MCGRP_EVENTS },
};

static struct genl_family egate_genl_family __ro_after_init = {
	.name		= EGATE_GENL_NAME,
	.version	= EGATE_GENL_VERSION,
	.maxattr	= EGATE_NL_ATTR_MAX,
	.policy		= egate_nl_policy,
	.module		= THIS_MODULE,
	.ops		= egate_nl_ops,
	.n_ops		= ARRAY_SIZE(egate_nl_ops),
	/* Strict validation from the first command on: a new family. */
	.resv_start_op	= EGATE_NL_CMD_GET_LANE,
	.mcgrps		= egate_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(egate_nl_mcgrps),
};

/**
 * egate_genl_event() - multicast one lane event
 * @lane: the lane, its lock held (process context: IRQ thread, work, task)
 * @ev: the event record just raised
 *
 * Costs one check when nobody listens.  A listener too slow to keep up
 * loses messages (ENOBUFS on its socket), never the lane.
 */
void egate_genl_event(struct egate_lane *lane, const struct egate_event *ev)
{
	struct sk_buff *msg;
	void *hdr;

	lockdep_assert_held(&lane->lock);
	if (!genl_has_listeners(&egate_genl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &egate_genl_family, 0, EGATE_NL_CMD_EVENT);
	if (!hdr)
		goto free_msg;
	if (nla_put_u32(msg, EGATE_NL_ATTR_LANE, lane->id) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_EV_TYPE, ev->type) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_EV_ARG, ev->arg) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_STATE, ev->state) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_BEAMS, ev->beams) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_DOORS, ev->doors) ||
	    nla_put_u64_64bit(msg, EGATE_NL_ATTR_SEQ, ev->seq,
			      EGATE_NL_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, EGATE_NL_ATTR_EV_TAG, ev->tag,
			      EGATE_NL_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, EGATE_NL_ATTR_EV_TIME, ev->timestamp_ns,
			      EGATE_NL_ATTR_PAD))
		goto free_msg;
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&egate_genl_family, msg, 0, 0, GFP_KERNEL);
	return;

free_msg:
	nlmsg_free(msg);
}

int __init egate_genl_init(void)
{
	return genl_register_family(&egate_genl_family);
}

void egate_genl_exit(void)
{
	genl_unregister_family(&egate_genl_family);
}
