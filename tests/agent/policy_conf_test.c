// SPDX-License-Identifier: GPL-2.0
/*
 * policy_conf_test - the settings of the decision policy in a real queue:
 * the capture zone, the session bound and the authorisation window, their
 * defaults (the whole frame, 20 s, 8 s), their ranges and the messages
 * that refuse a value out of them.  A zone always holds the frame's centre,
 * so no pair of edges can cross.
 */
#include <errno.h>
#include <string.h>

#include "egate-conf.h"
#include "kselftest_harness.h"

FIXTURE(conf) {
	char err[256];
	struct egate_conf *conf;
};

FIXTURE_SETUP(conf)
{
	ASSERT_EQ(0, egate_conf_new(&self->conf));
}

FIXTURE_TEARDOWN(conf)
{
	egate_conf_free(self->conf);
}

static int set(FIXTURE_DATA(conf) *self, const char *assignment)
{
	self->err[0] = '\0';
	return egate_conf_set(self->conf, assignment, self->err, sizeof(self->err));
}

struct zone_settings {
	double left, right, top, bottom;
	unsigned int session_max_s, auth_window_s;
};

static void expect_settings(struct __test_metadata *_metadata, const struct egate_settings *s,
			    const struct zone_settings *want)
{
	EXPECT_EQ(want->left, s->decision.zone_left);
	EXPECT_EQ(want->right, s->decision.zone_right);
	EXPECT_EQ(want->top, s->decision.zone_top);
	EXPECT_EQ(want->bottom, s->decision.zone_bottom);
	EXPECT_EQ(want->session_max_s, s->decision.session_max_s);
	EXPECT_EQ(want->auth_window_s, s->lane.auth_window_s);
}

/* The whole frame, 20 s, 8 s. */
static const struct zone_settings defaults = { 0, 1, 0, 1, 20, 8 };

TEST_F(conf, defaults)
{
	expect_settings(_metadata, egate_conf_settings(self->conf), &defaults);
}

TEST_F(conf, values_in_range)
{
	ASSERT_EQ(0, set(self, "decision.zone_left=0.45"));
	ASSERT_EQ(0, set(self, "decision.zone_right=0.55"));
	ASSERT_EQ(0, set(self, "decision.zone_top=0.1"));
	ASSERT_EQ(0, set(self, "decision.zone_bottom=0.9"));
	ASSERT_EQ(0, set(self, "decision.session_max_s=3600"));
	ASSERT_EQ(0, set(self, "lane.auth_window_s=1"));
	expect_settings(_metadata, egate_conf_settings(self->conf),
			&(struct zone_settings) { 0.45, 0.55, 0.1, 0.9, 3600, 1 });
}

TEST_F(conf, values_out_of_range)
{
	static const struct { const char *set, *err; } bad[] = {
		{ "decision.zone_left=0.5",
		  "invalid value '0.5' for decision.zone_left: expected a number from 0 to 0.45" },
		{ "decision.zone_right=0.5",
		  "invalid value '0.5' for decision.zone_right: expected a number from 0.55 to 1" },
		{ "decision.zone_top=-0.1",
		  "invalid value '-0.1' for decision.zone_top: expected a number from 0 to 0.45" },
		{ "decision.zone_bottom=1.5",
		  "invalid value '1.5' for decision.zone_bottom: expected a number from 0.55 to 1" },
		{ "decision.session_max_s=0",
		  "invalid value '0' for decision.session_max_s: expected an integer from 1 to 3600" },
		{ "lane.auth_window_s=601",
		  "invalid value '601' for lane.auth_window_s: expected an integer from 1 to 600" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, set(self, bad[i].set));
		EXPECT_STREQ(bad[i].err, strstr(self->err, "invalid") ?: self->err);
	}
	/* nothing was taken */
	expect_settings(_metadata, egate_conf_settings(self->conf), &defaults);
}

TEST_HARNESS_MAIN
