// SPDX-License-Identifier: GPL-2.0
/*
 * camera-watch.c - the lane's camera as the loop sees it: found through libudev
 * (the selector from the configuration), opened, read newest-frame-first
 * into the idle worker, dropped when unplugged and opened again when the
 * monitor sees it come back.  The loop polls the camera that is open; the
 * time of its last frame tells housekeeping.c whether the stream stalled.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"

/*
 * Which camera is the lane's, first found of: the command line (--camera,
 * then --set cameras.LANE=...), the udev property EGATE_CAMERA of the lane
 * device (an administrator's rule), the lane's entry in [cameras] of
 * egate.conf, "auto".  Logs the choice and where it came from.
 */
static int choose_selector(struct agent *a, const struct egate_conf *conf, const char *lane,
			   const char *camera_option, char *err, size_t err_size)
{
	struct camera_link *c = &a->camera;
	enum egate_conf_origin origin = egate_conf_camera_origin(conf, lane);
	char source[64];
	int r;

	if (camera_option) {
		snprintf(c->selector, sizeof(c->selector), "%s", camera_option);
		snprintf(source, sizeof(source), "--camera");
	} else if (origin == EGATE_CONF_COMMAND_LINE) {
		snprintf(c->selector, sizeof(c->selector), "%s", egate_conf_camera_for_lane(conf, lane));
		snprintf(source, sizeof(source), "--set cameras.%s", lane);
	} else {
		r = egate_camera_lane_selector(lane, c->selector, sizeof(c->selector),
					       err, err_size);
		if (r == -EINVAL)
			return r;	/* a broken rule: refuse, as for a broken file */
		if (r == 0) {
			snprintf(source, sizeof(source), "udev property %s of %s",
				 EGATE_CAMERA_UDEV_PROPERTY, lane);
		} else {
			/* -ENOENT: no such property; anything else: no udev database */
			snprintf(c->selector, sizeof(c->selector), "%s",
				 egate_conf_camera_for_lane(conf, lane));
			snprintf(source, sizeof(source), "%s", origin == EGATE_CONF_FILE ?
				 "[cameras] in the configuration" : "the default");
		}
	}
	agent_log(a, "camera selector '%s' (from %s)", c->selector, source);
	return 0;
}

int agent_camera_init(struct agent *a, const struct egate_conf *conf, const char *lane,
		      const char *camera_option, char *err, size_t err_size)
{
	const struct egate_settings *s = a->settings;
	struct camera_link *c = &a->camera;
	/* Without udevd (a test VM, an initramfs) follow the kernel's uevents. */
	enum egate_uevent_source source = access("/run/udev/control", F_OK) == 0 ?
		EGATE_UEVENT_UDEV : EGATE_UEVENT_KERNEL;
	int r;

	r = choose_selector(a, conf, lane, camera_option, err, err_size);
	if (r < 0)
		return r;
	r = egate_camera_config_new(&c->config);
	if (r >= 0)
		r = egate_camera_config_set_size(c->config, s->camera.width, s->camera.height);
	if (r >= 0)
		r = egate_camera_config_set_fps(c->config, s->camera.fps);
	if (r >= 0)
		r = egate_camera_config_set_buffers(c->config, s->camera.buffers);
	if (r >= 0)
		r = egate_camera_config_set_pixel_format(c->config, s->camera.pixel_format);
	if (r < 0) {
		snprintf(err, err_size, "camera configuration: %s", strerror(-r));
		return r;
	}
	return egate_camera_monitor_new(c->selector, source, &c->monitor, err, err_size);
}

void agent_camera_done(struct agent *a)
{
	egate_camera_free(a->camera.camera);
	a->camera.camera = NULL;
	egate_camera_monitor_free(a->camera.monitor);
	a->camera.monitor = NULL;
	egate_camera_config_free(a->camera.config);
	a->camera.config = NULL;
}

static void camera_open(struct agent *a, const char *devnode)
{
	struct camera_link *c = &a->camera;
	char err[EGATE_ERRMSG_MAX];
	int r;

	r = egate_camera_open(devnode, c->config, &c->camera, err, sizeof(err));
	if (r < 0) {
		if (!c->open_failed)
			agent_logp(a, LOG_ERR, "camera %s: %s; trying again every %u s", devnode, err,
				  AGENT_CAMERA_LOOK_MS / 1000);
		c->open_failed = true;
		return;
	}
	c->open_failed = false;
	c->generation++;
	c->polling = false;
	c->last_frame_ns = agent_now_ns();	/* it has camera.stall_ms to send one */
	agent_log(a, "camera %s: %ux%u, streaming", devnode, egate_camera_width(c->camera),
		  egate_camera_height(c->camera));
}

static void camera_drop(struct agent *a)
{
	struct camera_link *c = &a->camera;

	c->dropped_before += egate_camera_frames_dropped(c->camera);
	egate_camera_free(c->camera);
	c->camera = NULL;
	policy_reset(&a->policy);
}

static void camera_lost(struct agent *a)
{
	agent_logp(a, LOG_WARNING, "camera %s gone; waiting for it to come back",
		  egate_camera_devnode(a->camera.camera));
	camera_drop(a);
}

/*
 * What is there now: after start, a lost uevent, a hint from the monitor,
 * and from the tick every AGENT_CAMERA_LOOK_MS while there is no camera
 * (a node announced before it could be opened, a camera that failed to
 * open: no uevent may follow).
 */
void agent_camera_look(struct agent *a)
{
	char devnode[PATH_MAX];

	if (a->camera.camera)
		return;
	a->camera.next_look_ns = agent_now_ns() + AGENT_CAMERA_LOOK_MS * 1000000ull;
	if (egate_camera_monitor_find(a->camera.monitor, devnode, sizeof(devnode)) == 0)
		camera_open(a, devnode);
}

void agent_camera_monitor_ready(struct agent *a)
{
	struct camera_link *c = &a->camera;
	enum egate_camera_event event;
	char devnode[PATH_MAX];
	bool look = false;
	int r;

	while ((r = egate_camera_monitor_receive(c->monitor, &event, devnode,
						 sizeof(devnode))) != -EAGAIN) {
		if (r < 0)
			look = true;	/* events lost: ask what is there */
		else if (event == EGATE_CAMERA_REMOVED && c->camera &&
			 !strcmp(devnode, egate_camera_devnode(c->camera)))
			camera_lost(a);
		else if (event == EGATE_CAMERA_ADDED && !c->camera)
			camera_open(a, devnode);
		else if (event == EGATE_CAMERA_OTHER && !c->camera)
			look = true;	/* its node may have become usable since */
	}
	if (look)
		agent_camera_look(a);
}

/*
 * POLLERR (or a failed poll) is not an unplug by itself: the unplug is
 * known from the monitor (REMOVED) and from ENODEV.  The capture library
 * asks the driver what is wrong and repairs it.  True: go on and read
 * (a frame may be ready).  False: the camera was dropped, or it keeps
 * failing and is polled again after the next tick, not now.
 */
static bool camera_poll_failed(struct agent *a, int poll_res)
{
	struct camera_link *c = &a->camera;
	struct egate_camera_fault f;
	int r;

	r = egate_camera_poll_error(c->camera, &f);
	if (r == -ENODEV) {
		camera_lost(a);
		return false;
	}
	if (r < 0) {
		agent_logp(a, LOG_ERR, "camera %s cannot stream (%s); waiting for it to come back",
			  egate_camera_devnode(c->camera), f.reason);
		camera_drop(a);
		return false;
	}
	if (f.log)
		agent_logp(a, LOG_WARNING,
			   "camera %s: poll %s (%u in a row, %" PRIu64 " since open): %s; %s",
			  egate_camera_devnode(c->camera),
			  poll_res < 0 ? strerror(-poll_res) : "error", f.errors, f.total,
			  f.reason, egate_camera_repair_name(f.repair));
	return !f.poll_later;
}

void agent_camera_ready(struct agent *a, uint32_t generation, int poll_res)
{
	struct camera_link *c = &a->camera;
	struct egate_frame *frame;
	int r;

	if (!c->camera || generation != c->generation)
		return;	/* the poll of a camera that was unplugged since */
	c->polling = false;
	if ((poll_res < 0 || (poll_res & (POLLERR | POLLHUP))) && !camera_poll_failed(a, poll_res))
		return;
	frame = worker_idle_frame(a->worker);
	if (!frame || a->auth_tag) {
		/* busy, or the lane is already serving someone: not now */
		if (egate_camera_discard(c->camera) > 0)
			c->last_frame_ns = a->now_ns;
		return;
	}
	r = egate_camera_read_latest(c->camera, frame);
	if (r == -ENODEV) {
		camera_lost(a);
		return;
	}
	if (r == 0) {
		c->last_frame_ns = a->now_ns;
		a->worker_started_ns = a->now_ns;
		worker_start(a->worker, a->gallery);
	}
}

uint64_t agent_camera_dropped(const struct agent *a)
{
	return a->camera.dropped_before +
	       (a->camera.camera ? egate_camera_frames_dropped(a->camera.camera) : 0);
}
