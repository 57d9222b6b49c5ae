// SPDX-License-Identifier: GPL-2.0
/*
 * pad_conf_test - the configuration of presentation-attack detection and
 * of the depth camera: defaults (auto, no depth camera, registration the
 * identity, focal from the frame), a file setting them all, overrides, and
 * every bad value refused with its message, leaving the values as they were.
 */
#include <errno.h>
#include <string.h>

#include "egate-conf.h"
#include "test-files.h"
#include "kselftest_harness.h"

FIXTURE(conf) {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char err[256];
	struct egate_conf *conf;
};

FIXTURE_SETUP(conf)
{
	ASSERT_EQ(0, test_dir_new(self->dir));
	ASSERT_EQ(0, egate_conf_new(&self->conf));
}

FIXTURE_TEARDOWN(conf)
{
	egate_conf_free(self->conf);
	test_dir_remove(self->dir);
}

static int load_text(FIXTURE_DATA(conf) *self, const char *text)
{
	int r = test_file_write(self->dir, "egate.conf", text, self->path);

	if (r < 0)
		return r;
	self->err[0] = '\0';
	return egate_conf_load_file(self->conf, self->path, self->err, sizeof(self->err));
}

static const char *message(FIXTURE_DATA(conf) *self)
{
	size_t len = strlen(self->dir);

	return strncmp(self->err, self->dir, len) ? self->err : self->err + len + 1;
}

TEST_F(conf, defaults)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	EXPECT_EQ(EGATE_PAD_SETTING_AUTO, s->pad.mode);
	EXPECT_STREQ("none", s->depth.camera);
	EXPECT_EQ(0.0, s->depth.offset_x);
	EXPECT_EQ(0.0, s->depth.offset_y);
	EXPECT_EQ(1.0, s->depth.scale);
	EXPECT_EQ(0.0, s->camera.focal_px);
}

TEST_F(conf, a_file_sets_them_all)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	ASSERT_EQ(0, load_text(self,
		"[camera]\n"
		"focal_px = 615.5\n"
		"[pad]\n"
		"mode = depth\n"
		"[depth]\n"
		"camera = name:vivid-001-vid-cap\n"
		"offset_x = -12.5\n"
		"offset_y = 4\n"
		"scale = 1.5\n")) TH_LOG("%s", self->err);
	EXPECT_EQ(615.5, s->camera.focal_px);
	EXPECT_EQ(EGATE_PAD_SETTING_DEPTH, s->pad.mode);
	EXPECT_STREQ("name:vivid-001-vid-cap", s->depth.camera);
	EXPECT_EQ(-12.5, s->depth.offset_x);
	EXPECT_EQ(4.0, s->depth.offset_y);
	EXPECT_EQ(1.5, s->depth.scale);
	EXPECT_EQ(0, egate_conf_set(self->conf, "pad.mode=off", NULL, 0));
	EXPECT_EQ(EGATE_PAD_SETTING_OFF, s->pad.mode);
	EXPECT_EQ(0, egate_conf_set(self->conf, "pad.mode=colour", NULL, 0));
	EXPECT_EQ(EGATE_PAD_SETTING_COLOUR, s->pad.mode);
	EXPECT_EQ(0, egate_conf_set(self->conf, "depth.camera=/dev/video7", NULL, 0));
	EXPECT_STREQ("/dev/video7", s->depth.camera);
}

static const struct {
	const char *text;
	const char *message;
} bad_files[] = {
	{ "[pad]\nmode = on\n",
	  "egate.conf:2: invalid value 'on' for pad.mode: expected one of auto, depth, colour, off" },
	{ "[pad]\nmode = color\n",
	  "egate.conf:2: invalid value 'color' for pad.mode: expected one of auto, depth, colour, off" },
	{ "[pad]\nmode =\n", "egate.conf:2: empty value for pad.mode" },
	{ "[pad]\nmod = off\n", "egate.conf:2: unknown key 'mod' in [pad] (did you mean 'mode'?)" },
	{ "[depth]\nscale = 0\n",
	  "egate.conf:2: invalid value '0' for depth.scale: expected a number from 0.1 to 10" },
	{ "[depth]\nscale = inf\n",
	  "egate.conf:2: invalid value 'inf' for depth.scale: expected a number from 0.1 to 10" },
	{ "[depth]\noffset_x = 5000\n",
	  "egate.conf:2: invalid value '5000' for depth.offset_x: expected a number from -2000 to 2000" },
	{ "[depth]\noffset_y = 3px\n",
	  "egate.conf:2: invalid value '3px' for depth.offset_y: expected a number from -2000 to 2000" },
	{ "[depth]\ncamera = \n", "egate.conf:2: empty value for depth.camera" },
	{ "[depth]\ncamera = a\tb\n", "egate.conf:2: value for depth.camera contains a control character" },
	{ "[camera]\nfocal_px = -600\n",
	  "egate.conf:2: invalid value '-600' for camera.focal_px: expected a number from 0 to 20000" },
};

TEST_F(conf, bad_values_have_their_message_and_change_nothing)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		EXPECT_EQ(-EINVAL, load_text(self, bad_files[i].text)) TH_LOG("case %zu", i);
		EXPECT_STREQ(bad_files[i].message, message(self));
	}
	EXPECT_EQ(EGATE_PAD_SETTING_AUTO, s->pad.mode);
	EXPECT_EQ(1.0, s->depth.scale);
	EXPECT_STREQ("none", s->depth.camera);
	EXPECT_EQ(-EINVAL, egate_conf_set(self->conf, "pad.mode=strong", self->err,
					  sizeof(self->err)));
	EXPECT_EQ(EGATE_PAD_SETTING_AUTO, s->pad.mode);
}

TEST_HARNESS_MAIN
