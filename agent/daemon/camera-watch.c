// SPDX-License-Identifier: GPL-2.0
/*
 * camera-watch.c - the lane's cameras as the loop sees them: found through
 * libudev (the selector from the configuration), opened, read newest-frame-
 * first, dropped when unplugged and opened again when the monitor sees them
 * come back.  The colour camera's frames go to the idle worker; the time of
 * its last frame tells housekeeping.c whether the stream stalled.  The
 * depth camera (depth.camera, for presentation-attack detection) is
 * followed the same way; its frames go to pad-lane.c for pairing.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/videodev2.h>

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

/*
 * The depth camera: the udev property EGATE_DEPTH_CAMERA of the lane
 * device, else depth.camera of egate.conf ("none": no depth camera,
 * *configured false).
 */
static int choose_depth_selector(struct agent *a, const char *lane, bool *configured,
				 char *err, size_t err_size)
{
	struct camera_link *c = &a->depth.link;
	const char *source = "udev property " EGATE_DEPTH_CAMERA_UDEV_PROPERTY;
	int r;

	r = egate_camera_lane_property(lane, EGATE_DEPTH_CAMERA_UDEV_PROPERTY, c->selector,
				       sizeof(c->selector), err, err_size);
	if (r == -EINVAL)
		return r;
	if (r < 0) {
		snprintf(c->selector, sizeof(c->selector), "%s", a->settings->depth.camera);
		source = "depth.camera";
	}
	*configured = strcmp(c->selector, "none") != 0;
	if (*configured && !strcmp(c->selector, "auto")) {
		snprintf(err, err_size, "depth camera selector 'auto' (from %s): name the depth "
			 "camera's node (/dev/..., name:, path:)", source);
		return -EINVAL;
	}
	if (*configured)
		agent_log(a, "depth camera selector '%s' (from %s)", c->selector, source);
	return 0;
}

static int new_config(const struct egate_settings *s, uint32_t fourcc,
		      struct egate_camera_config **ret)
{
	int r = egate_camera_config_new(ret);

	if (r >= 0)
		r = egate_camera_config_set_size(*ret, s->camera.width, s->camera.height);
	if (r >= 0)
		r = egate_camera_config_set_fps(*ret, s->camera.fps);
	if (r >= 0)
		r = egate_camera_config_set_buffers(*ret, s->camera.buffers);
	if (r >= 0)
		r = egate_camera_config_set_pixel_format(*ret, fourcc);
	return r;
}

/* Without udevd (a test VM, an initramfs) follow the kernel's uevents. */
static int link_init(struct camera_link *c, const char *what, char *err, size_t err_size)
{
	enum egate_uevent_source source = access("/run/udev/control", F_OK) == 0 ?
		EGATE_UEVENT_UDEV : EGATE_UEVENT_KERNEL;

	c->what = what;
	return egate_camera_monitor_new(c->selector, source, &c->monitor, err, err_size);
}

/*
 * The depth camera is asked for the colour camera's size and rate, in Z16,
 * else Y16 (both 16-bit; what a depth camera's UVC node and vivid offer).
 */
int agent_camera_init(struct agent *a, const struct egate_conf *conf, const char *lane,
		      const char *camera_option, char *err, size_t err_size)
{
	const struct egate_settings *s = a->settings;
	struct camera_link *d = &a->depth.link;
	bool depth;
	int r;

	r = choose_selector(a, conf, lane, camera_option, err, err_size);
	if (r >= 0)
		r = choose_depth_selector(a, lane, &depth, err, err_size);
	if (r < 0)
		return r;
	r = new_config(s, s->camera.pixel_format, &a->camera.config);
	if (r >= 0 && depth)
		r = new_config(s, V4L2_PIX_FMT_Z16, &d->config);
	if (r >= 0 && depth)
		r = new_config(s, V4L2_PIX_FMT_Y16, &d->fallback);
	if (r < 0) {
		snprintf(err, err_size, "camera configuration: %s", strerror(-r));
		return r;
	}
	r = link_init(&a->camera, "camera", err, err_size);
	if (r >= 0 && depth)
		r = link_init(d, "depth camera", err, err_size);
	return r;
}

static void link_done(struct camera_link *c)
{
	egate_camera_free(c->camera);
	c->camera = NULL;
	egate_camera_monitor_free(c->monitor);
	c->monitor = NULL;
	egate_camera_config_free(c->config);
	c->config = NULL;
	egate_camera_config_free(c->fallback);
	c->fallback = NULL;
}

void agent_camera_done(struct agent *a)
{
	link_done(&a->camera);
	link_done(&a->depth.link);
}

static void camera_open(struct agent *a, struct camera_link *c, const char *devnode)
{
	char err[EGATE_ERRMSG_MAX];
	int r;

	r = egate_camera_open(devnode, c->config, &c->camera, err, sizeof(err));
	if (r == -ENOTSUP && c->fallback)
		r = egate_camera_open(devnode, c->fallback, &c->camera, err, sizeof(err));
	if (r < 0) {
		if (!c->open_failed)
			agent_logp(a, LOG_ERR, "%s %s: %s; trying again every %u s", c->what, devnode,
				   err, AGENT_CAMERA_LOOK_MS / 1000);
		c->open_failed = true;
		return;
	}
	c->open_failed = false;
	c->generation++;
	c->polling = false;
	c->last_frame_ns = monotonic_ns();	/* it has camera.stall_ms to send one */
	agent_log(a, "%s %s: %ux%u, streaming", c->what, devnode, egate_camera_width(c->camera),
		  egate_camera_height(c->camera));
}

static void camera_drop(struct agent *a, struct camera_link *c)
{
	c->dropped_before += egate_camera_frames_dropped(c->camera);
	egate_camera_free(c->camera);
	c->camera = NULL;
	if (c == &a->camera)
		policy_reset(&a->policy);
}

void agent_camera_lost(struct agent *a, struct camera_link *c)
{
	agent_logp(a, LOG_WARNING, "%s %s gone; waiting for it to come back%s", c->what,
		   egate_camera_devnode(c->camera), c == &a->camera ? "" :
		   " (presentation-attack detection in depth mode cannot pass: the lane denies)");
	camera_drop(a, c);
}

/*
 * What is there now: after start, a lost uevent, a hint from the monitor,
 * and from the tick every AGENT_CAMERA_LOOK_MS while there is no camera
 * (a node announced before it could be opened, a camera that failed to
 * open: no uevent may follow).
 */
static void link_look(struct agent *a, struct camera_link *c)
{
	char devnode[PATH_MAX];

	if (!c->monitor || c->camera)
		return;
	c->next_look_ns = monotonic_ns() + AGENT_CAMERA_LOOK_MS * 1000000ull;
	if (egate_camera_monitor_find(c->monitor, devnode, sizeof(devnode)) == 0)
		camera_open(a, c, devnode);
}

void agent_camera_look(struct agent *a)
{
	link_look(a, &a->camera);
	link_look(a, &a->depth.link);
}

void agent_camera_monitor_ready(struct agent *a, struct camera_link *c)
{
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
			agent_camera_lost(a, c);
		else if (event == EGATE_CAMERA_ADDED && !c->camera)
			camera_open(a, c, devnode);
		else if (event == EGATE_CAMERA_OTHER && !c->camera)
			look = true;	/* its node may have become usable since */
	}
	if (look)
		link_look(a, c);
}

/*
 * POLLERR (or a failed poll) is not an unplug by itself: the unplug is
 * known from the monitor (REMOVED) and from ENODEV.  The capture library
 * asks the driver what is wrong and repairs it.  True: go on and read
 * (a frame may be ready).  False: the camera was dropped, or it keeps
 * failing and is polled again after the next tick, not now.
 */
static bool camera_poll_failed(struct agent *a, struct camera_link *c, int poll_res)
{
	struct egate_camera_fault f;
	int r;

	r = egate_camera_poll_error(c->camera, &f);
	if (r == -ENODEV) {
		agent_camera_lost(a, c);
		return false;
	}
	if (r < 0) {
		agent_logp(a, LOG_ERR, "%s %s cannot stream (%s); waiting for it to come back",
			   c->what, egate_camera_devnode(c->camera), f.reason);
		camera_drop(a, c);
		return false;
	}
	if (f.log)
		agent_logp(a, LOG_WARNING,
			   "%s %s: poll %s (%u in a row, %" PRIu64 " since open): %s; %s",
			   c->what, egate_camera_devnode(c->camera),
			   poll_res < 0 ? strerror(-poll_res) : "error", f.errors, f.total,
			   f.reason, egate_camera_repair_name(f.repair));
	return !f.poll_later;
}

/* The colour camera's frame to the idle worker, with its depth frame. */
static void colour_ready(struct agent *a)
{
	struct camera_link *c = &a->camera;
	struct egate_frame *frame;
	int r;

	frame = worker_idle_frame(a->worker);
	if (!frame || a->auth_tag) {
		/* busy, or the lane is already serving someone: not now */
		if (egate_camera_discard(c->camera) > 0)
			c->last_frame_ns = a->now_ns;
		return;
	}
	r = egate_camera_read_latest(c->camera, frame);
	if (r == -ENODEV) {
		agent_camera_lost(a, c);
		return;
	}
	if (r == 0) {
		c->last_frame_ns = a->now_ns;
		a->worker_started_ns = a->now_ns;
		agent_depth_pair(a, egate_frame_timestamp_ns(frame));
		worker_start(a->worker, a->gallery);
	}
}

void agent_camera_ready(struct agent *a, struct camera_link *c, uint32_t generation,
			int poll_res)
{
	if (!c->camera || generation != c->generation)
		return;	/* the poll of a camera that was unplugged since */
	c->polling = false;
	if ((poll_res < 0 || (poll_res & (POLLERR | POLLHUP))) &&
	    !camera_poll_failed(a, c, poll_res))
		return;
	if (c == &a->camera)
		colour_ready(a);
	else
		agent_depth_read(a);
}

uint64_t agent_camera_dropped(const struct agent *a)
{
	return a->camera.dropped_before +
	       (a->camera.camera ? egate_camera_frames_dropped(a->camera.camera) : 0);
}
