// SPDX-License-Identifier: GPL-2.0
/*
 * The "egate" generic netlink family: get one lane and dump all, set mode,
 * officer commands (open once, hold open, lock, reset) with operator and
 * reason, the events multicast group; permissions (an unprivileged user
 * reads and listens but cannot command); strict validation of malformed,
 * unknown, output-only and oversized attributes; operator ids and
 * reasons that could forge kernel log lines refused, and what reaches the
 * log escaped; the controller's pid as the asker's pid namespace sees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_genl.h"
#include "uapi/linux/egate_netlink.h"

static struct eg_nlmsg m, reply[4];

FIXTURE(genl) {
	struct eg_genl g;
	int ctl;
};

FIXTURE_SETUP(genl)
{
	ASSERT_EQ(0, eg_load("", "topology=mantrap"));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
	ASSERT_EQ(0, eg_genl_open(&self->g, EGATE_GENL_NAME));
	ASSERT_NE(0, self->g.mcgrp);
}

FIXTURE_TEARDOWN(genl)
{
	eg_genl_close(&self->g);
	close(self->ctl);
	eg_unload();
}

static int officer(struct eg_genl *g, uint32_t lane, uint32_t action,
		   const char *op, const char *reason)
{
	eg_genl_msg(g, &m, EGATE_NL_CMD_OFFICER, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, lane);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_ACTION, action);
	if (op)
		eg_genl_put_str(&m, EGATE_NL_ATTR_OPERATOR, op);
	if (reason)
		eg_genl_put_str(&m, EGATE_NL_ATTR_REASON, reason);
	return eg_genl_call(g, &m, NULL, 0);
}

static int set_mode(struct eg_genl *g, uint32_t lane, uint32_t mode)
{
	eg_genl_msg(g, &m, EGATE_NL_CMD_SET_MODE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, lane);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_MODE, mode);
	return eg_genl_call(g, &m, NULL, 0);
}

TEST_F(genl, get_and_dump)
{
	const struct nlattr *tb[EGATE_NL_ATTR_MAX + 1];
	const struct nlattr *cnt[EGATE_NL_CNT_MAX + 1];

	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	ASSERT_EQ(1, eg_genl_call(&self->g, &m, reply, 1));
	eg_genl_parse(&reply[0].nlh, tb, EGATE_NL_ATTR_MAX);
	ASSERT_NE(NULL, tb[EGATE_NL_ATTR_NAME]);
	EXPECT_STREQ("egate0", (const char *)tb[EGATE_NL_ATTR_NAME] + NLA_HDRLEN);
	EXPECT_EQ(EGATE_TOPO_MANTRAP, eg_nla_u32(tb[EGATE_NL_ATTR_TOPOLOGY]));
	EXPECT_EQ(EGATE_ST_IDLE, eg_nla_u32(tb[EGATE_NL_ATTR_STATE]));
	EXPECT_EQ(EGATE_MODE_NORMAL, eg_nla_u32(tb[EGATE_NL_ATTR_MODE]));
	EXPECT_EQ(0, eg_nla_u32(tb[EGATE_NL_ATTR_BEAMS]));
	EXPECT_TRUE(eg_nla_u32(tb[EGATE_NL_ATTR_FLAGS]) & EGATE_STATUS_CONTROLLED);
	EXPECT_EQ(getpid(), (pid_t)eg_nla_u32(tb[EGATE_NL_ATTR_CTL_PID]));
	EXPECT_EQ(EGATE_DOOR_CLOSED,
		  EGATE_DOORS_POS(eg_nla_u32(tb[EGATE_NL_ATTR_DOORS]), 1));
	ASSERT_NE(NULL, tb[EGATE_NL_ATTR_COUNTERS]);
	eg_nla_parse_nested(tb[EGATE_NL_ATTR_COUNTERS], cnt, EGATE_NL_CNT_MAX);
	ASSERT_NE(NULL, cnt[EGATE_NL_CNT_EVENTS]);
	EXPECT_LT(0, eg_nla_u64(cnt[EGATE_NL_CNT_EVENTS]));
	EXPECT_EQ(0, eg_nla_u64(cnt[EGATE_NL_CNT_PASSAGES]));

	/* A dump lists the one lane. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, NLM_F_DUMP);
	EXPECT_EQ(1, eg_genl_call(&self->g, &m, reply, 4));

	/* A lane that does not exist. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 3);
	EXPECT_EQ(-ENODEV, eg_genl_call(&self->g, &m, reply, 1));
	EXPECT_STREQ("no such lane", self->g.errmsg);
}

TEST_F(genl, mode_and_officer_commands)
{
	int mark = eg_mark();

	ASSERT_EQ(0, set_mode(&self->g, 0, EGATE_MODE_OUT_OF_SERVICE));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	ASSERT_EQ(0, set_mode(&self->g, 0, EGATE_MODE_NORMAL));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 2000));

	/* Lock, then reset. */
	ASSERT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, "officer7", "drill"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_LOCKED, 2000));
	ASSERT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_RESET, "officer7", "drill over"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, eg_mark(), EGATE_ST_IDLE, 5000));

	/* Open once: one passage, then back to idle. */
	mark = eg_mark();
	ASSERT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_OPEN_ONCE, "officer7", "manual check passed"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_AUTHORISED, EG_ANY, 2000));
	ASSERT_EQ(0, eg_sim("walk"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_AUTH_END, EGATE_OUT_COMPLETED, 20000));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 10000));

	/* Hold open: both doors open, stays so without a controller. */
	mark = eg_mark();
	ASSERT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_HOLD_OPEN, "officer7", "wheelchair"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_HOLD_OPEN, 2000));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 5000));
	ASSERT_EQ(0, eg_sysfs_wait("exit_door", "open", 5000));
	EXPECT_EQ(-EBUSY, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 0));
	ASSERT_EQ(0, eg_sim("walk"));
	eg_sleep_ms(3000);
	EXPECT_EQ(0, eg_count(mark, EGATE_EV_ALARM, EG_ANY));
	ASSERT_EQ(0, eg_wait_clear(10000));
	ASSERT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_RESET, "officer7", "done"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, eg_mark(), EGATE_ST_IDLE, 8000));

	/* Refused by the state: a lock during an emergency. */
	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_EMERGENCY, 2000));
	EXPECT_EQ(-EBUSY, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, "o", "r"));
	EXPECT_NE(0, strlen(self->g.errmsg));
	ASSERT_EQ(0, eg_sim("emergency 0"));
	eg_sleep_ms(500);
	EXPECT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_RESET, "o", "r"));
}

#define OFFICER_UID 4242

/*
 * An officer with an account of their own: uid OFFICER_UID, with
 * CAP_NET_ADMIN kept (as egatectl with file capabilities would run).
 * Sends a lock: 0 on success.
 */
static int officer_as_uid(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	struct eg_genl g;
	int r;

	d[0].permitted = d[0].effective = 1u << CAP_NET_ADMIN;
	if (prctl(PR_SET_KEEPCAPS, 1) ||
	    setresuid(OFFICER_UID, OFFICER_UID, OFFICER_UID) ||
	    syscall(SYS_capset, &h, d) || eg_genl_open(&g, EGATE_GENL_NAME))
		return 1;
	r = officer(&g, 0, EGATE_NL_ACTION_LOCK, "officer9", "test");
	eg_genl_close(&g);
	return r ? 2 : 0;
}

TEST_F(genl, events_group)
{
	const struct nlattr *tb[EGATE_NL_ATTR_MAX + 1];
	struct eg_genl mon;
	int got_lock = 0, got_officer = 0, i, status;
	struct eg_nlmsg ev;
	pid_t pid;

	ASSERT_EQ(0, eg_genl_open(&mon, EGATE_GENL_NAME));
	ASSERT_EQ(0, eg_genl_join(&mon));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(officer_as_uid());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	for (i = 0; i < 50 && !(got_lock && got_officer); i++) {
		struct genlmsghdr *gh;

		if (eg_genl_recv(&mon, &ev, 2000) != 1)
			break;
		gh = NLMSG_DATA(&ev.nlh);
		eg_genl_parse(&ev.nlh, tb, EGATE_NL_ATTR_MAX);
		if (gh->cmd == EGATE_NL_CMD_EVENT &&
		    eg_nla_u32(tb[EGATE_NL_ATTR_EV_TYPE]) == EGATE_EV_STATE &&
		    eg_nla_u32(tb[EGATE_NL_ATTR_STATE]) == EGATE_ST_LOCKED) {
			EXPECT_EQ(0, eg_nla_u32(tb[EGATE_NL_ATTR_LANE]));
			EXPECT_NE(0, eg_nla_u64(tb[EGATE_NL_ATTR_SEQ]));
			got_lock = 1;
		}
		if (gh->cmd == EGATE_NL_CMD_OFFICER_NOTIFY) {
			EXPECT_STREQ("officer9", (const char *)
				     tb[EGATE_NL_ATTR_OPERATOR] + NLA_HDRLEN);
			EXPECT_EQ(EGATE_NL_ACTION_LOCK,
				  eg_nla_u32(tb[EGATE_NL_ATTR_ACTION]));
			/* who sent it, as the kernel knows: not typed */
			ASSERT_NE(NULL, tb[EGATE_NL_ATTR_UID]);
			EXPECT_EQ(OFFICER_UID, eg_nla_u32(tb[EGATE_NL_ATTR_UID]));
			got_officer = 1;
		}
	}
	EXPECT_TRUE(got_lock);
	EXPECT_TRUE(got_officer);
	eg_genl_close(&mon);
}

/* Run as nobody: reading and listening work, commands are refused. */
static int nobody_checks(void *arg)
{
	struct eg_genl g;
	struct eg_nlmsg ev;
	(void)arg;

	if (eg_genl_open(&g, EGATE_GENL_NAME))
		return 10;
	eg_genl_msg(&g, &m, EGATE_NL_CMD_GET_LANE, NLM_F_DUMP);
	if (eg_genl_call(&g, &m, reply, 4) != 1)
		return 11;
	if (set_mode(&g, 0, EGATE_MODE_OUT_OF_SERVICE) != -EPERM)
		return 12;
	if (officer(&g, 0, EGATE_NL_ACTION_LOCK, "mallory", "x") != -EPERM)
		return 13;
	if (officer(&g, 0, EGATE_NL_ACTION_HOLD_OPEN, "mallory", "x") != -EPERM)
		return 14;
	if (eg_genl_join(&g))
		return 15;
	/* The lane emits while we listen (the parent heartbeats at most). */
	(void)ev;
	eg_genl_close(&g);
	return 0;
}

TEST_F(genl, unprivileged)
{
	struct egate_status st;

	EXPECT_EQ(0, eg_as_nobody(nobody_checks, NULL));
	ASSERT_EQ(0, eg_status(self->ctl, &st));
	EXPECT_EQ(EGATE_ST_IDLE, st.state);
	EXPECT_EQ(EGATE_MODE_NORMAL, st.mode);
}

TEST_F(genl, strict_validation)
{
	static const char big[300] = { [0 ... 298] = 'x' };
	uint64_t u64 = 0;
	uint16_t u16 = 0;

	/* Missing required attributes. */
	EXPECT_EQ(-EINVAL, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, NULL, "r"));
	EXPECT_EQ(-EINVAL, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, "o", NULL));
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_SET_MODE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	EXPECT_EQ(-EINVAL, eg_genl_call(&self->g, &m, NULL, 0));
	/* Empty strings. */
	EXPECT_EQ(-EINVAL, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, "", "r"));
	/* Out of range values. */
	EXPECT_EQ(-ERANGE, officer(&self->g, 0, 0, "o", "r"));
	EXPECT_EQ(-ERANGE, officer(&self->g, 0, EGATE_NL_ACTION_MAX + 1, "o", "r"));
	EXPECT_EQ(-ERANGE, officer(&self->g, EGATE_MAX_BEAMS, EGATE_NL_ACTION_LOCK, "o", "r"));
	EXPECT_EQ(-ERANGE, set_mode(&self->g, 0, EGATE_MODE_COUNT));
	/* Oversized strings: one over each bound. */
	EXPECT_EQ(-EINVAL, officer(&self->g, 0, EGATE_NL_ACTION_LOCK,
				   big + sizeof(big) - 2 - EGATE_NL_OPERATOR_MAX, "r"));
	EXPECT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_LOCK,
			     big + sizeof(big) - 1 - EGATE_NL_OPERATOR_MAX,
			     big + sizeof(big) - 1 - EGATE_NL_REASON_MAX));
	EXPECT_EQ(-EINVAL, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, "o",
				   big + sizeof(big) - 2 - EGATE_NL_REASON_MAX));
	/* A string without its NUL. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_OFFICER, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_ACTION, EGATE_NL_ACTION_LOCK);
	eg_genl_put(&m, EGATE_NL_ATTR_OPERATOR, "abc", 3);
	eg_genl_put_str(&m, EGATE_NL_ATTR_REASON, "r");
	EXPECT_EQ(-EINVAL, eg_genl_call(&self->g, &m, NULL, 0));
	/* Wrong sizes. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put(&m, EGATE_NL_ATTR_LANE, &u16, sizeof(u16));
	EXPECT_EQ(-EINVAL, eg_genl_call(&self->g, &m, NULL, 0));
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put(&m, EGATE_NL_ATTR_LANE, &u64, sizeof(u64));
	EXPECT_EQ(-EINVAL, eg_genl_call(&self->g, &m, NULL, 0));
	/* Output-only and unknown attributes. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_STATE, 0);
	EXPECT_EQ(-EINVAL, eg_genl_call(&self->g, &m, NULL, 0));
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_MAX + 1, 0);
	EXPECT_EQ(-EINVAL, eg_genl_call(&self->g, &m, NULL, 0));
	/* Unknown command. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_EVENT, 0);
	EXPECT_EQ(-EOPNOTSUPP, eg_genl_call(&self->g, &m, NULL, 0));
	/* The lane is still there and answering. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_GET_LANE, NLM_F_DUMP);
	EXPECT_EQ(1, eg_genl_call(&self->g, &m, reply, 4));
}

/* The lane is idle and raised no event since @seq (nothing was carried out). */
static int lane_untouched(int ctl, uint64_t seq)
{
	struct egate_status st;

	return !eg_status(ctl, &st) && st.state == EGATE_ST_IDLE &&
	       st.last_seq == seq;
}

TEST_F(genl, text_with_control_characters_refused)
{
	static const char *const bad[] = {
		"drill\negate egate0: officer chief: action 4: all clear",
		"\x1b[2J\x1b[Hscreen wiped",
		"tab\there",
		"carriage\rreturn",
		"del\x7f",
	};
	struct egate_status st;
	uint64_t seq;
	size_t i;

	ASSERT_EQ(0, eg_status(self->ctl, &st));
	seq = st.last_seq;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, officer(&self->g, 0, EGATE_NL_ACTION_LOCK,
					   "officer7", bad[i])) TH_LOG("reason %zu", i);
		EXPECT_STREQ("control character in string", self->g.errmsg);
		EXPECT_EQ(-EINVAL, officer(&self->g, 0, EGATE_NL_ACTION_LOCK,
					   bad[i], "drill")) TH_LOG("operator %zu", i);
	}
	/* Bytes hidden after the NUL, within the attribute. */
	eg_genl_msg(&self->g, &m, EGATE_NL_CMD_OFFICER, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_ACTION, EGATE_NL_ACTION_LOCK);
	eg_genl_put_str(&m, EGATE_NL_ATTR_OPERATOR, "officer7");
	eg_genl_put(&m, EGATE_NL_ATTR_REASON, "ok\0\n\x1b[2J", 8);
	EXPECT_EQ(-EINVAL, eg_genl_call(&self->g, &m, NULL, 0));
	EXPECT_STREQ("bytes after the string's NUL", self->g.errmsg);
	EXPECT_TRUE(lane_untouched(self->ctl, seq));

	/* Ordinary text, punctuation and UTF-8 included, is carried out. */
	EXPECT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, "o.m\xc3\xbcller-7",
			     "bag left in lane 3 (see CCTV); \"urgent\"!"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_LOCKED, 2000));
	EXPECT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_RESET, "officer7", "cleared"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, eg_mark(), EGATE_ST_IDLE, 5000));
}

/*
 * What is accepted but not printable (a C1 byte, 0x9b, a CSI on some
 * terminals) reaches the kernel log escaped by the driver.  /dev/kmsg
 * shows a raw 0x9b as "\x9b" and a backslash as "\x5c", so the driver's
 * escape shows as "\x5c" followed by its digits.
 */
TEST_F(genl, log_line_escaped)
{
	char rec[2048], *hit = NULL;
	int kmsg, i;
	ssize_t n;

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0)
		SKIP(return, "no /dev/kmsg");
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	ASSERT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_LOCK, "officer7",
			     "kmsg-marker-51 \x9b" "31m"));
	for (i = 0; i < 200 && !hit; i++) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EAGAIN) {
			eg_sleep_ms(10);
			continue;
		}
		if (n < 0 && errno == EPIPE)
			continue;
		ASSERT_LT(0, n);
		rec[n] = '\0';
		hit = strstr(rec, "kmsg-marker-51 ");
	}
	ASSERT_NE(NULL, hit);
	TH_LOG("logged: %s", hit);
	EXPECT_EQ(0, strncmp(hit, "kmsg-marker-51 \\x5c", 19));
	EXPECT_EQ(NULL, strstr(hit, "\\x9b"));
	close(kmsg);
	EXPECT_EQ(0, officer(&self->g, 0, EGATE_NL_ACTION_RESET, "officer7", "done"));
}

/* EGATE_NL_ATTR_CTL_PID of lane 0 as the caller sees it, or -1. */
static long long get_ctl_pid(struct eg_genl *g)
{
	const struct nlattr *tb[EGATE_NL_ATTR_MAX + 1];

	eg_genl_msg(g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	if (eg_genl_call(g, &m, reply, 1) != 1)
		return -1;
	eg_genl_parse(&reply[0].nlh, tb, EGATE_NL_ATTR_MAX);
	if (!tb[EGATE_NL_ATTR_CTL_PID])
		return -1;
	return eg_nla_u32(tb[EGATE_NL_ATTR_CTL_PID]);
}

/*
 * Start @fn(@go) as pid 1 of a new pid namespace (same network namespace,
 * so the family is there), through a middle process that stays in ours:
 * it writes @fn's pid as our namespace sees it to @pid_w, then exits with
 * @fn's status.  Returns the middle process's pid.
 */
static pid_t start_in_new_pidns(int (*fn)(int), int go, int pid_w)
{
	pid_t mid, inner;
	int status;

	mid = fork();
	if (mid != 0)
		return mid;
	if (unshare(CLONE_NEWPID))
		_exit(120);
	inner = fork();
	if (inner < 0)
		_exit(121);
	if (inner == 0)
		_exit(fn(go));
	if (write(pid_w, &inner, sizeof(inner)) != sizeof(inner))
		_exit(122);
	if (waitpid(inner, &status, 0) != inner)
		_exit(123);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 124);
}

static int wait_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

/* In a pid namespace that cannot see the controller: 0, here and in sysfs. */
static int ns_reader(int go)
{
	struct eg_genl g;
	long long pid;

	(void)go;
	if (getpid() != 1)
		return 10;
	if (eg_genl_open(&g, EGATE_GENL_NAME))
		return 11;
	pid = get_ctl_pid(&g);
	eg_genl_close(&g);
	if (pid != 0) {
		fprintf(stderr, "# CTL_PID in the child namespace: %lld\n", pid);
		return 12;
	}
	if (eg_sysfs_num("controller_pid") != 0)
		return 13;
	return 0;
}

/* The controller itself in a new pid namespace: it sees itself as 1. */
static int ns_controller(int go)
{
	struct eg_genl g;
	long long pid;
	char c;
	int fd;

	fd = eg_open(O_RDWR);
	if (fd < 0)
		return 20;
	if (eg_genl_open(&g, EGATE_GENL_NAME))
		return 21;
	pid = get_ctl_pid(&g);
	eg_genl_close(&g);
	if (pid != 1) {
		fprintf(stderr, "# CTL_PID seen by the controller: %lld\n", pid);
		return 22;
	}
	/* Stay the controller until the parent has looked (or gave up). */
	struct pollfd pfd = { .fd = go, .events = POLLIN };

	if (poll(&pfd, 1, 20000) != 1 || read(go, &c, 1) != 1)
		return 23;
	close(fd);
	return 0;
}

TEST_F(genl, ctl_pid_in_pid_namespaces)
{
	int pidfd[2], go[2], i;
	pid_t outer, mid;

	ASSERT_EQ(0, pipe(pidfd));
	ASSERT_EQ(0, pipe(go));
	/* We control the lane; a reader in a child namespace cannot see us. */
	EXPECT_EQ(getpid(), get_ctl_pid(&self->g));
	mid = start_in_new_pidns(ns_reader, -1, pidfd[1]);
	ASSERT_LT(0, mid);
	ASSERT_EQ(sizeof(outer), read(pidfd[0], &outer, sizeof(outer)));
	EXPECT_EQ(0, wait_status(mid));

	/* Control handed to a process in a child namespace. */
	close(self->ctl);
	self->ctl = eg_open(O_RDONLY);
	ASSERT_LE(0, self->ctl);
	mid = start_in_new_pidns(ns_controller, go[0], pidfd[1]);
	ASSERT_LT(0, mid);
	ASSERT_EQ(sizeof(outer), read(pidfd[0], &outer, sizeof(outer)));
	for (i = 0; i < 500 && eg_sysfs_num("controller_pid") != outer; i++)
		eg_sleep_ms(10);
	/* We see it under its pid in our namespace, in sysfs and here. */
	EXPECT_EQ(outer, eg_sysfs_num("controller_pid"));
	EXPECT_EQ(outer, get_ctl_pid(&self->g));
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, wait_status(mid));
	close(pidfd[0]);
	close(pidfd[1]);
	close(go[0]);
	close(go[1]);
}

TEST_HARNESS_MAIN
