// SPDX-License-Identifier: GPL-2.0
/*
 * capture_test - what the capture library decides without a camera: limits
 * on the configuration, selectors, and clear refusals of device nodes that
 * are missing or are no camera; where a lane's selector comes from.  The
 * camera itself is tested in the VM (vm_capture_test), the udev property
 * on a real lane device too (vm_udev_test).
 */
#include <errno.h>
#include <string.h>
#include <linux/videodev2.h>

#include "egate-capture.h"
#include "egate-conf.h"
#include "test-files.h"
#include "kselftest_harness.h"

TEST(config_limits)
{
	struct egate_camera_config *c;

	ASSERT_EQ(0, egate_camera_config_new(&c));
	EXPECT_EQ(0, egate_camera_config_set_size(c, EGATE_CAMERA_WIDTH_MIN, EGATE_CAMERA_HEIGHT_MIN));
	EXPECT_EQ(0, egate_camera_config_set_size(c, EGATE_CAMERA_WIDTH_MAX, EGATE_CAMERA_HEIGHT_MAX));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_size(c, EGATE_CAMERA_WIDTH_MAX + 1, 480));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_size(c, 640, EGATE_CAMERA_HEIGHT_MIN - 1));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_size(c, 0, 0));
	EXPECT_EQ(0, egate_camera_config_set_fps(c, EGATE_CAMERA_FPS_MAX));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_fps(c, 0));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_fps(c, EGATE_CAMERA_FPS_MAX + 1));
	EXPECT_EQ(0, egate_camera_config_set_buffers(c, EGATE_CAMERA_BUFFERS_MIN));
	EXPECT_EQ(0, egate_camera_config_set_buffers(c, EGATE_CAMERA_BUFFERS_MAX));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_buffers(c, EGATE_CAMERA_BUFFERS_MIN - 1));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_buffers(c, EGATE_CAMERA_BUFFERS_MAX + 1));
	EXPECT_EQ(0, egate_camera_config_set_pixel_format(c, V4L2_PIX_FMT_MJPEG));
	EXPECT_EQ(0, egate_camera_config_set_pixel_format(c, 0));
	EXPECT_EQ(-EINVAL, egate_camera_config_set_pixel_format(c, V4L2_PIX_FMT_H264));
	egate_camera_config_free(c);
}

TEST(selectors)
{
	static const char *const valid[] = {
		"auto", "/dev/video0", "/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0",
		"name:HD Webcam C525", "path:pci-0000:00:14.0-usb-0:1:1.0",
	};
	static const char *const invalid[] = { "", "video0", "name:", "path:", "/dev/", "serial:x" };
	struct egate_camera_monitor *m;
	char err[256], long_selector[300];

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		EXPECT_EQ(0, egate_camera_monitor_new(valid[i], EGATE_UEVENT_KERNEL, &m, err,
						      sizeof(err))) TH_LOG("%s: %s", valid[i], err);
		egate_camera_monitor_free(m);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		EXPECT_EQ(-EINVAL, egate_camera_monitor_new(invalid[i], EGATE_UEVENT_KERNEL, &m,
							    err, sizeof(err))) TH_LOG("%s", invalid[i]);
	}
	EXPECT_STREQ("invalid camera selector 'serial:x': expected auto, /dev/..., name:NAME"
		     " or path:ID_PATH", err);
	memset(long_selector, 'x', sizeof(long_selector) - 1);
	long_selector[sizeof(long_selector) - 1] = '\0';
	memcpy(long_selector, "name:", 5);
	EXPECT_EQ(-EINVAL, egate_camera_monitor_new(long_selector, EGATE_UEVENT_KERNEL, &m,
						    err, sizeof(err)));
	EXPECT_STREQ("camera selector too long (at most 255 bytes)", err);
}

TEST(no_such_camera)
{
	struct egate_camera_monitor *m;
	char node[64];

	ASSERT_EQ(0, egate_camera_monitor_new("name:no camera is called this", EGATE_UEVENT_KERNEL,
					      &m, NULL, 0));
	EXPECT_LE(0, egate_camera_monitor_fd(m));
	EXPECT_EQ(-ENODEV, egate_camera_monitor_find(m, node, sizeof(node)));
	egate_camera_monitor_free(m);
}

TEST(open_refuses_what_is_no_camera)
{
	struct egate_camera_config *c;
	struct egate_camera *camera = NULL;
	char err[256];

	ASSERT_EQ(0, egate_camera_config_new(&c));
	EXPECT_EQ(-ENOENT, egate_camera_open("/dev/video-none", c, &camera, err, sizeof(err)));
	EXPECT_STREQ("/dev/video-none: No such file or directory", err);
	EXPECT_EQ(-ENOTSUP, egate_camera_open("/dev/null", c, &camera, err, sizeof(err)));
	EXPECT_STREQ("/dev/null: not a V4L2 streaming video capture device", err);
	EXPECT_EQ(NULL, camera);
	egate_camera_config_free(c);
}

TEST(frame_starts_empty)
{
	struct egate_frame *f;

	ASSERT_EQ(0, egate_frame_new(&f));
	EXPECT_EQ(NULL, egate_frame_data(f));
	EXPECT_EQ(0, egate_frame_width(f));
	EXPECT_EQ(0, egate_frame_sequence(f));
	egate_frame_free(f);
}

/* The host has no lane device: the udev property cannot come from it. */
TEST(lane_selector_needs_the_lane)
{
	char selector[256] = "", err[256] = "";

	EXPECT_EQ(-ENODEV, egate_camera_lane_selector("egate4095", selector, sizeof(selector),
						      err, sizeof(err)));
	EXPECT_STREQ("", selector);
	EXPECT_STREQ("", err);
}

/* The agent ranks --set cameras.LANE (command line) above udev, a file below. */
TEST(camera_mapping_origin)
{
	struct egate_conf *conf;
	char dir[PATH_MAX], path[PATH_MAX], err[256];

	ASSERT_EQ(0, test_dir_new(dir));
	ASSERT_EQ(0, test_file_write(dir, "egate.conf",
				     "[cameras]\negate0 = name:Front\negate1 = name:Side\n", path));
	ASSERT_EQ(0, egate_conf_new(&conf));
	EXPECT_EQ(EGATE_CONF_DEFAULT, egate_conf_camera_origin(conf, "egate0"));
	ASSERT_EQ(0, egate_conf_load_file(conf, path, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(EGATE_CONF_FILE, egate_conf_camera_origin(conf, "egate0"));
	ASSERT_EQ(0, egate_conf_set(conf, "cameras.egate1=/dev/video7", err, sizeof(err)));
	EXPECT_EQ(EGATE_CONF_FILE, egate_conf_camera_origin(conf, "egate0"));
	EXPECT_EQ(EGATE_CONF_COMMAND_LINE, egate_conf_camera_origin(conf, "egate1"));
	EXPECT_STREQ("/dev/video7", egate_conf_camera_for_lane(conf, "egate1"));
	EXPECT_EQ(EGATE_CONF_DEFAULT, egate_conf_camera_origin(conf, "egate2"));
	/* a file read after an override takes the entry back */
	ASSERT_EQ(0, egate_conf_load_file(conf, path, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(EGATE_CONF_FILE, egate_conf_camera_origin(conf, "egate1"));
	egate_conf_free(conf);
	test_dir_remove(dir);
}

TEST_HARNESS_MAIN
