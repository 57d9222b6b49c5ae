// SPDX-License-Identifier: GPL-2.0
/*
 * conf_test - egate.conf: defaults, a valid file, every kind of error with
 * its message (file:line first), overrides, the lane -> camera mapping, the
 * keys of presentation-attack detection and the depth camera, and the
 * shipped example file.
 */
#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <linux/videodev2.h>

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

/* The message, without the directory of the scratch file. */
static const char *message(FIXTURE_DATA(conf) *self)
{
	size_t len = strlen(self->dir);

	return strncmp(self->err, self->dir, len) ? self->err : self->err + len + 1;
}

TEST_F(conf, defaults)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	EXPECT_STREQ("lane-1", s->lane.name);
	EXPECT_EQ(640, s->camera.width);
	EXPECT_EQ(480, s->camera.height);
	EXPECT_EQ(30, s->camera.fps);
	EXPECT_EQ(4, s->camera.buffers);
	EXPECT_EQ(0, s->camera.pixel_format);
	EXPECT_EQ(EGATE_MATCH_IDENTIFY, s->decision.mode);
	EXPECT_EQ(3, s->decision.frames);
	EXPECT_STREQ("/var/lib/egate/egate.db", s->store.path);
	EXPECT_EQ(365, s->store.audit_retention_days);
	EXPECT_STREQ("auto", egate_conf_camera_for_lane(self->conf, "egate0"));
}

/* A tool's configuration: a missing default file is the defaults, a named one an error. */
TEST_F(conf, missing_file_is_the_defaults_unless_named)
{
	_cleanup_(egate_conf_freep) struct egate_conf *c = NULL;
	char missing[PATH_MAX + 16];

	snprintf(missing, sizeof(missing), "%s/none.conf", self->dir);
	ASSERT_EQ(0, egate_conf_new_from(missing, false, &c, self->err, sizeof(self->err)));
	EXPECT_STREQ("lane-1", egate_conf_settings(c)->lane.name);
	egate_conf_freep(&c);
	c = NULL;
	EXPECT_EQ(-ENOENT, egate_conf_new_from(missing, true, &c, self->err, sizeof(self->err)));
	EXPECT_EQ(NULL, c);
	EXPECT_NE(NULL, strstr(self->err, "cannot open")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, test_file_write(self->dir, "egate.conf", "[lane]\nname = west-3\n", self->path));
	ASSERT_EQ(0, egate_conf_new_from(self->path, true, &c, self->err, sizeof(self->err)));
	EXPECT_STREQ("west-3", egate_conf_settings(c)->lane.name);
}

TEST_F(conf, valid_file)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	ASSERT_EQ(0, load_text(self,
		"# egate.conf\n"
		"\n"
		"[lane]\n"
		"name = Terminal 2 arrivals, lane 4\n"
		"  [camera]  \n"
		"width=1280\n"
		"\theight = 720\n"
		"pixel_format = mjpeg\n"
		"; another comment\n"
		"[decision]\n"
		"mode = verify\n"
		"threshold = 0.42\n"
		"min_quality = 1\n"
		"[store]\n"
		"path = /srv/egate/db#1.sqlite\n"
		"[cameras]\n"
		"egate0 = name:vivid-000-vid-cap\n"
		"egate12 = path:pci-0000:00:14.0-usb-0:1:1.0\n")) TH_LOG("%s", self->err);
	EXPECT_STREQ("Terminal 2 arrivals, lane 4", s->lane.name);
	EXPECT_EQ(1280, s->camera.width);
	EXPECT_EQ(720, s->camera.height);
	EXPECT_EQ(V4L2_PIX_FMT_MJPEG, s->camera.pixel_format);
	EXPECT_EQ(EGATE_MATCH_VERIFY, s->decision.mode);
	EXPECT_EQ(0.42, s->decision.threshold);
	EXPECT_EQ(1.0, s->decision.min_quality);
	EXPECT_STREQ("/srv/egate/db#1.sqlite", s->store.path);
	EXPECT_EQ(30, s->camera.fps);	/* untouched keys keep defaults */
	EXPECT_STREQ("name:vivid-000-vid-cap", egate_conf_camera_for_lane(self->conf, "egate0"));
	EXPECT_STREQ("path:pci-0000:00:14.0-usb-0:1:1.0",
		     egate_conf_camera_for_lane(self->conf, "egate12"));
	EXPECT_STREQ("auto", egate_conf_camera_for_lane(self->conf, "egate1"));
}

static const struct {
	const char *text;
	const char *message;
} bad_files[] = {
	{ "[decision]\nframes = 3\n\n\ntreshold = 0.5\n",
	  "egate.conf:5: unknown key 'treshold' in [decision] (did you mean 'threshold'?)" },
	{ "[decision]\ncolour = blue\n",
	  "egate.conf:2: unknown key 'colour' in [decision]" },
	{ "[lanes]\n", "egate.conf:1: unknown section [lanes]" },
	{ "[Lane]\n", "egate.conf:1: invalid section name 'Lane'" },
	{ "[lane\n", "egate.conf:1: syntax error: a section header is '[name]'" },
	{ "name = x\n", "egate.conf:1: key 'name' outside any section" },
	{ "[lane]\nname\n", "egate.conf:2: syntax error: expected 'key = value' or '[section]'" },
	{ "[lane]\nthe name = x\n", "egate.conf:2: invalid key name 'the name'" },
	{ "[camera]\nwidth = 640\nwidth = 800\n",
	  "egate.conf:3: duplicate key 'width' in [camera]" },
	{ "[camera]\nwidth = 4000\n",
	  "egate.conf:2: invalid value '4000' for camera.width: expected an integer from 64 to 1920" },
	{ "[camera]\nbuffers = -1\n",
	  "egate.conf:2: invalid value '-1' for camera.buffers: expected an integer from 3 to 16" },
	{ "[camera]\nfps = 30fps\n",
	  "egate.conf:2: invalid value '30fps' for camera.fps: expected an integer from 1 to 120" },
	{ "[camera]\npixel_format = h264\n",
	  "egate.conf:2: invalid value 'h264' for camera.pixel_format: expected one of auto, yuyv, mjpeg, rgb24" },
	{ "[decision]\nthreshold = nan\n",
	  "egate.conf:2: invalid value 'nan' for decision.threshold: expected a number from 0.05 to 2" },
	{ "[decision]\nmargin =\n", "egate.conf:2: empty value for decision.margin" },
	{ "[store]\npath = egate.db\n",
	  "egate.conf:2: invalid value 'egate.db' for store.path: expected an absolute path" },
	{ "[lane]\nname = 0123456789012345678901234567890123456789012345678901234567890123\n",
	  "egate.conf:2: value for lane.name is too long (64 bytes, at most 63)" },
	{ "[lane]\nname = a\tb\n", "egate.conf:2: value for lane.name contains a control character" },
	{ "[cameras]\nlane0 = auto\n",
	  "egate.conf:2: invalid key 'lane0' in [cameras]: expected a lane device such as egate0" },
	{ "[cameras]\negate0 = auto\negate0 = /dev/video0\n",
	  "egate.conf:3: duplicate key 'egate0' in [cameras]" },
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

TEST_F(conf, each_error_has_its_message)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		EXPECT_EQ(-EINVAL, load_text(self, bad_files[i].text)) TH_LOG("case %zu", i);
		EXPECT_STREQ(bad_files[i].message, message(self));
	}
}

TEST_F(conf, long_line)
{
	char text[1100 + 16] = "[lane]\nname = ";

	memset(text + strlen(text), 'x', 1100);
	EXPECT_EQ(-EINVAL, load_text(self, text));
	EXPECT_STREQ("egate.conf:2: line too long (at most 1024 bytes)", message(self));
}

TEST_F(conf, error_leaves_values_unchanged)
{
	EXPECT_EQ(-EINVAL, load_text(self, "[camera]\nwidth = 800\nheight = 0\n"));
	EXPECT_EQ(640, egate_conf_settings(self->conf)->camera.width);
}

TEST_F(conf, missing_file)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/none.conf", self->dir);
	EXPECT_EQ(-ENOENT, egate_conf_load_file(self->conf, path, self->err, sizeof(self->err)));
	EXPECT_STREQ("none.conf: cannot open: No such file or directory", message(self));
}

TEST_F(conf, overrides)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	ASSERT_EQ(0, load_text(self, "[decision]\nframes = 5\n"));
	EXPECT_EQ(0, egate_conf_set(self->conf, "decision.frames=7", self->err, sizeof(self->err)));
	EXPECT_EQ(7, s->decision.frames);
	EXPECT_EQ(0, egate_conf_set(self->conf, " camera.pixel_format = yuyv ", NULL, 0));
	EXPECT_EQ(V4L2_PIX_FMT_YUYV, s->camera.pixel_format);
	EXPECT_EQ(0, egate_conf_set(self->conf, "cameras.egate0=/dev/video3", NULL, 0));
	EXPECT_STREQ("/dev/video3", egate_conf_camera_for_lane(self->conf, "egate0"));

	EXPECT_EQ(-EINVAL, egate_conf_set(self->conf, "decision.treshold=0.5",
					  self->err, sizeof(self->err)));
	EXPECT_STREQ("--set 'decision.treshold=0.5': unknown key 'treshold' in [decision] (did you mean 'threshold'?)",
		     self->err);
	EXPECT_EQ(-EINVAL, egate_conf_set(self->conf, "frames=2", self->err, sizeof(self->err)));
	EXPECT_STREQ("--set 'frames=2': expected section.key=value", self->err);
	EXPECT_EQ(-EINVAL, egate_conf_set(self->conf, "door.frames=2", self->err, sizeof(self->err)));
	EXPECT_STREQ("--set 'door.frames=2': unknown section [door]", self->err);
	EXPECT_EQ(-EINVAL, egate_conf_set(self->conf, "decision.frames=0", self->err, sizeof(self->err)));
	EXPECT_STREQ("--set 'decision.frames=0': invalid value '0' for decision.frames: expected an integer from 1 to 30",
		     self->err);
	EXPECT_EQ(7, s->decision.frames);
}

TEST_F(conf, too_many_camera_mappings)
{
	char text[2048] = "[cameras]\n";

	for (int i = 0; i <= 16; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "egate%d = auto\n", i);
	EXPECT_EQ(-E2BIG, load_text(self, text));
	EXPECT_STREQ("egate.conf:18: too many entries in [cameras] (at most 16)", message(self));
}

TEST_F(conf, shipped_example_is_valid)
{
	char source[PATH_MAX], example[PATH_MAX + 64];

	snprintf(source, sizeof(source), "%s", __FILE__);
	snprintf(example, sizeof(example), "%s/../../agent/conf/egate.conf.example",
		 dirname(source));
	EXPECT_EQ(0, egate_conf_load_file(self->conf, example, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
}

/* Presentation-attack detection and the depth camera (Documentation/pad.md). */
TEST_F(conf, pad_and_depth_defaults)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	EXPECT_EQ(EGATE_PAD_SETTING_AUTO, s->pad.mode);
	EXPECT_STREQ("none", s->depth.camera);
	EXPECT_EQ(0.0, s->depth.offset_x);
	EXPECT_EQ(0.0, s->depth.offset_y);
	EXPECT_EQ(1.0, s->depth.scale);
	EXPECT_EQ(0.0, s->camera.focal_px);
}

TEST_F(conf, pad_and_depth_keys)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	ASSERT_EQ(0, load_text(self, "[camera]\nfocal_px = 615.5\n[pad]\nmode = depth\n[depth]\n"
			       "camera = name:vivid-001-vid-cap\noffset_x = -12.5\n"
			       "offset_y = 4\nscale = 1.5\n")) TH_LOG("%s", self->err);
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


TEST_F(conf, bad_pad_and_depth_values_change_nothing)
{
	const struct egate_settings *s = egate_conf_settings(self->conf);

	EXPECT_EQ(-EINVAL, load_text(self, "[pad]\nmode = depth\n[depth]\nscale = 0\n"));
	EXPECT_EQ(-EINVAL, load_text(self, "[depth]\ncamera = /dev/video1\n[pad]\nmode = on\n"));
	EXPECT_EQ(EGATE_PAD_SETTING_AUTO, s->pad.mode);
	EXPECT_EQ(1.0, s->depth.scale);
	EXPECT_STREQ("none", s->depth.camera);
	EXPECT_EQ(-EINVAL, egate_conf_set(self->conf, "pad.mode=strong", self->err,
					  sizeof(self->err)));
	EXPECT_STREQ("--set 'pad.mode=strong': invalid value 'strong' for pad.mode: expected one of auto, depth, colour, off",
		     self->err);
	EXPECT_EQ(EGATE_PAD_SETTING_AUTO, s->pad.mode);
}

TEST_HARNESS_MAIN
