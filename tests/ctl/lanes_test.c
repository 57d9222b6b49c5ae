// SPDX-License-Identifier: GPL-2.0
/*
 * lanes_test - egatectl's list of lanes takes every lane of a dump, many
 * more than the 64 it used to keep (the rest went unsaid), and says so
 * when a dump holds more than it may keep (LANES_MAX) instead of
 * listing fewer.  The messages are real generic netlink messages, built
 * with libnl the way the driver's dump (kmod/egate_genl.c) lays them out;
 * the driver itself makes at most 16 lanes, so it cannot show this.
 */
#include <errno.h>
#include <stdio.h>

#include <netlink/genl/genl.h>

#include "lanes.h"
#include "kselftest_harness.h"

/* Feed @ls one GET_LANE message for lane @id, as a dump carries it. */
static int feed_lane(struct lanes *ls, uint32_t id)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;
	char name[32];
	int r = -ENOMEM;

	snprintf(name, sizeof(name), "egate%u", id);
	if (msg && genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, NLM_F_MULTI,
			       EGATE_NL_CMD_GET_LANE, EGATE_GENL_VERSION) &&
	    !nla_put_u32(msg, EGATE_NL_ATTR_LANE, id) &&
	    !nla_put_string(msg, EGATE_NL_ATTR_NAME, name) &&
	    !nla_put_u32(msg, EGATE_NL_ATTR_STATE, 1) &&
	    !nla_put_u64(msg, EGATE_NL_ATTR_SEQ, 1000 + id) &&
	    (nest = nla_nest_start(msg, EGATE_NL_ATTR_COUNTERS)) &&
	    !nla_put_u64(msg, EGATE_NL_CNT_PASSAGES, id * 2)) {
		nla_nest_end(msg, nest);
		r = lanes_add_msg(msg, ls);
	}
	nlmsg_free(msg);
	return r;
}

TEST(more_than_64_lanes)
{
	struct lanes ls = {};
	char name[32];

	for (uint32_t id = 0; id < 100; id++)
		ASSERT_EQ(NL_OK, feed_lane(&ls, id));
	ASSERT_EQ(100, ls.n);
	EXPECT_EQ(0, ls.err);
	for (uint32_t id = 0; id < 100; id++) {
		snprintf(name, sizeof(name), "egate%u", id);
		EXPECT_EQ(id, ls.v[id].id);
		EXPECT_STREQ(name, ls.v[id].name);
		EXPECT_EQ(1000 + id, ls.v[id].seq);
		EXPECT_EQ(id * 2, ls.v[id].cnt[EGATE_NL_CNT_PASSAGES]);
	}
	lanes_clear(&ls);
	EXPECT_EQ(0, ls.n);
	EXPECT_EQ(NULL, ls.v);
}

TEST(more_than_lanes_max_is_an_error)
{
	struct lanes ls = {};

	for (uint32_t id = 0; id < LANES_MAX; id++)
		ASSERT_EQ(NL_OK, feed_lane(&ls, id));
	EXPECT_EQ(0, ls.err);
	EXPECT_EQ(NL_SKIP, feed_lane(&ls, LANES_MAX));
	EXPECT_EQ(-E2BIG, ls.err);
	EXPECT_EQ(LANES_MAX, ls.n);
	lanes_clear(&ls);
}

TEST(message_without_a_lane_is_skipped)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct lanes ls = {};

	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0,
				    EGATE_NL_CMD_GET_LANE, EGATE_GENL_VERSION));
	ASSERT_EQ(0, nla_put_string(msg, EGATE_NL_ATTR_NAME, "egate0"));
	EXPECT_EQ(NL_SKIP, lanes_add_msg(msg, &ls));
	EXPECT_EQ(0, ls.n);
	EXPECT_EQ(0, ls.err);
	nlmsg_free(msg);
	lanes_clear(&ls);
}

TEST_HARNESS_MAIN
