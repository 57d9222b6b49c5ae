// SPDX-License-Identifier: GPL-2.0
/*
 * monitor.c - finding the lane's camera with libudev now (enumeration) and
 * as it comes and goes (a netlink monitor, from udevd or from the kernel).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libudev.h>

#include "capture-internal.h"

#define SUBSYSTEM "video4linux"

struct egate_camera_monitor {
	struct udev *udev;
	struct udev_monitor *monitor;
	struct camera_selector *selector;
};

DEFINE_POINTER_CLEANUP(struct udev_device, udev_device_unrefp, udev_device_unref)
DEFINE_POINTER_CLEANUP(struct udev_enumerate, udev_enumerate_unrefp, udev_enumerate_unref)
DEFINE_POINTER_CLEANUP(struct egate_camera_monitor, egate_camera_monitor_freep,
		       egate_camera_monitor_free)

int egate_camera_monitor_new(const char *selector, enum egate_uevent_source source,
			     struct egate_camera_monitor **ret, char *err, size_t err_size)
{
	_cleanup_(egate_camera_monitor_freep) struct egate_camera_monitor *m = NULL;
	char msg[EGATE_ERRMSG_MAX] = "";
	int r;

	assert(selector);
	assert(ret);
	if (source != EGATE_UEVENT_UDEV && source != EGATE_UEVENT_KERNEL)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = camera_selector_parse(selector, &m->selector, msg, sizeof(msg));
	if (r < 0) {
		if (err && err_size)
			snprintf(err, err_size, "%s", msg);
		return r;
	}
	m->udev = udev_new();
	if (!m->udev)
		return -ENOMEM;
	errno = 0;
	m->monitor = udev_monitor_new_from_netlink(m->udev, source == EGATE_UEVENT_KERNEL ?
						   "kernel" : "udev");
	if (!m->monitor)
		return errno ? -errno : -ENOMEM;
	r = udev_monitor_filter_add_match_subsystem_devtype(m->monitor, SUBSYSTEM, NULL);
	if (r >= 0)
		r = udev_monitor_enable_receiving(m->monitor);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}

void egate_camera_monitor_free(struct egate_camera_monitor *m)
{
	if (!m)
		return;
	udev_monitor_unref(m->monitor);
	udev_unref(m->udev);
	camera_selector_free(m->selector);
	free(m);
}

int egate_camera_monitor_fd(const struct egate_camera_monitor *m)
{
	assert(m);
	return udev_monitor_get_fd(m->monitor);
}

static bool is_lane_camera(const struct egate_camera_monitor *m, struct udev_device *device)
{
	const char *devnode = udev_device_get_devnode(device);

	return devnode && camera_selector_matches(m->selector, device) &&
	       v4l2_node_is_capture(devnode);
}

static int copy_devnode(struct udev_device *device, char *devnode, size_t size)
{
	const char *node = udev_device_get_devnode(device);

	if (!node)
		return -ENODEV;
	if (strlen(node) >= size)
		return -ENAMETOOLONG;
	strcpy(devnode, node);
	return 0;
}

int egate_camera_monitor_find(struct egate_camera_monitor *m, char *devnode, size_t size)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	_cleanup_(udev_device_unrefp) struct udev_device *found = NULL;
	struct udev_list_entry *entry;
	int r;

	assert(m);
	assert(devnode);
	e = udev_enumerate_new(m->udev);
	if (!e)
		return -ENOMEM;
	r = udev_enumerate_add_match_subsystem(e, SUBSYSTEM);
	if (r >= 0)
		r = udev_enumerate_scan_devices(e);
	if (r < 0)
		return r;
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		struct udev_device *device =
			udev_device_new_from_syspath(m->udev, udev_list_entry_get_name(entry));

		if (!device)
			continue;	/* gone since the scan */
		if (!is_lane_camera(m, device)) {
			udev_device_unref(device);
			continue;
		}
		if (found) {
			udev_device_unref(device);
			return -ENOTUNIQ;	/* the selector must name one */
		}
		found = device;
	}
	return found ? copy_devnode(found, devnode, size) : -ENODEV;
}

int egate_camera_monitor_receive(struct egate_camera_monitor *m,
				 enum egate_camera_event *event,
				 char *devnode, size_t size)
{
	assert(m);
	assert(event);
	assert(devnode);
	for (;;) {
		_cleanup_(udev_device_unrefp) struct udev_device *device = NULL;
		const char *action;

		errno = 0;
		device = udev_monitor_receive_device(m->monitor);
		if (!device)
			return errno && errno != EAGAIN ? -errno : -EAGAIN;
		action = udev_device_get_action(device);
		if (!action || strcmp(udev_device_get_subsystem(device) ?: "", SUBSYSTEM))
			continue;
		if (!strcmp(action, "remove")) {
			*event = EGATE_CAMERA_REMOVED;
			return copy_devnode(device, devnode, size);
		}
		if (!strcmp(action, "add")) {
			*event = is_lane_camera(m, device) ? EGATE_CAMERA_ADDED : EGATE_CAMERA_OTHER;
			return copy_devnode(device, devnode, size);
		}
	}
}
