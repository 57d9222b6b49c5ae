// SPDX-License-Identifier: GPL-2.0
/*
 * lane-camera.c - the cameras a udev rule names for a lane: the properties
 * EGATE_CAMERA (colour) and EGATE_DEPTH_CAMERA of the lane device, read
 * from udevd's database with libudev.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libudev.h>

#include "capture-internal.h"

#define LANE_SUBSYSTEM "egate"

DEFINE_POINTER_CLEANUP(struct udev, udev_unrefp, udev_unref)
DEFINE_POINTER_CLEANUP(struct udev_device, udev_device_unrefp, udev_device_unref)

int egate_camera_property_from_udev(struct udev_device *lane, const char *property,
				    char *selector, size_t size, char *err, size_t err_size)
{
	struct camera_selector *parsed = NULL;
	char msg[EGATE_ERRMSG_MAX] = "";
	const char *value;
	int r;

	assert(lane);
	assert(selector);
	value = udev_device_get_property_value(lane, property);
	if (!value)
		return -ENOENT;
	/* Checked here, so that a bad rule is reported as the rule's fault. */
	r = camera_selector_parse(value, &parsed, msg, sizeof(msg));
	camera_selector_free(parsed);
	if (r >= 0 && strlen(value) >= size) {
		snprintf(msg, sizeof(msg), "camera selector too long (%zu bytes)", strlen(value));
		r = -EINVAL;
	}
	if (r < 0) {
		if (err && err_size)
			snprintf(err, err_size, "udev property %s of %s: %s", property,
				 udev_device_get_sysname(lane) ?: "?", msg);
		return r;
	}
	strcpy(selector, value);
	return 0;
}

int egate_camera_selector_from_udev(struct udev_device *lane, char *selector, size_t size,
				    char *err, size_t err_size)
{
	return egate_camera_property_from_udev(lane, EGATE_CAMERA_UDEV_PROPERTY, selector, size,
					       err, err_size);
}

int egate_camera_lane_property(const char *lane_device, const char *property, char *selector,
			       size_t size, char *err, size_t err_size)
{
	_cleanup_(udev_unrefp) struct udev *udev = NULL;
	_cleanup_(udev_device_unrefp) struct udev_device *lane = NULL;

	assert(lane_device);
	udev = udev_new();
	if (!udev)
		return -ENOMEM;
	errno = 0;
	lane = udev_device_new_from_subsystem_sysname(udev, LANE_SUBSYSTEM, lane_device);
	if (!lane)
		return errno && errno != ENOENT ? -errno : -ENODEV;
	return egate_camera_property_from_udev(lane, property, selector, size, err, err_size);
}

int egate_camera_lane_selector(const char *lane_device, char *selector, size_t size,
			       char *err, size_t err_size)
{
	return egate_camera_lane_property(lane_device, EGATE_CAMERA_UDEV_PROPERTY, selector, size,
					  err, err_size);
}
