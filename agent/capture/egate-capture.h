/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-capture.h - the lane camera: finding it with libudev (and finding
 * it again after it was unplugged), and capturing RGB24 frames from it with
 * libv4l2 mmap streaming and libv4lconvert.
 *
 * Objects are opaque, made by _new()/_open() and released by _free().
 * Functions return 0 (or a count) or a negative errno.  Nothing here
 * blocks: every object exposes a file descriptor to poll (or to watch with
 * io_uring POLL_ADD) and is then read without waiting.
 */
#ifndef EGATE_CAPTURE_H
#define EGATE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* Limits on what a configuration may ask of a camera. */
#define EGATE_CAMERA_WIDTH_MIN 64
#define EGATE_CAMERA_WIDTH_MAX 1920
#define EGATE_CAMERA_HEIGHT_MIN 48
#define EGATE_CAMERA_HEIGHT_MAX 1080
#define EGATE_CAMERA_FPS_MAX 120
#define EGATE_CAMERA_BUFFERS_MIN 3
#define EGATE_CAMERA_BUFFERS_MAX 16

/* --- what to ask of the camera -------------------------------------------- */

struct egate_camera_config;

/* Defaults: 640x480, 30 fps, 4 buffers, pixel format chosen automatically. */
int egate_camera_config_new(struct egate_camera_config **ret);
void egate_camera_config_free(struct egate_camera_config *config);
int egate_camera_config_set_size(struct egate_camera_config *config,
				 unsigned int width, unsigned int height);
int egate_camera_config_set_fps(struct egate_camera_config *config, unsigned int fps);
int egate_camera_config_set_buffers(struct egate_camera_config *config,
				    unsigned int buffers);
/* What the camera sends: V4L2_PIX_FMT_YUYV, _MJPEG, _RGB24, or 0 (auto). */
int egate_camera_config_set_pixel_format(struct egate_camera_config *config,
					 uint32_t fourcc);

/* --- a frame, owned by the caller ----------------------------------------- */

struct egate_frame;

int egate_frame_new(struct egate_frame **ret);
void egate_frame_free(struct egate_frame *frame);
/* RGB24: 3 bytes per pixel, rows stride bytes apart. */
const uint8_t *egate_frame_data(const struct egate_frame *frame);
unsigned int egate_frame_width(const struct egate_frame *frame);
unsigned int egate_frame_height(const struct egate_frame *frame);
unsigned int egate_frame_stride(const struct egate_frame *frame);
/*
 * The driver's capture time in nanoseconds, as the driver stamps it
 * (CLOCK_MONOTONIC for UVC cameras and vivid), and its frame counter.
 */
uint64_t egate_frame_timestamp_ns(const struct egate_frame *frame);
uint32_t egate_frame_sequence(const struct egate_frame *frame);

/* --- a streaming camera --------------------------------------------------- */

struct egate_camera;

/*
 * Opens a V4L2 capture device, negotiates the format, maps the buffers and
 * starts streaming.  -ENOTSUP (with err saying why) for a device that is not
 * a streaming capture device or cannot give the format asked for.
 */
int egate_camera_open(const char *devnode, const struct egate_camera_config *config,
		      struct egate_camera **ret, char *err, size_t err_size);
void egate_camera_free(struct egate_camera *camera);

/* Readable (POLLIN) when a frame is ready; POLLERR once the camera is gone. */
int egate_camera_fd(const struct egate_camera *camera);
const char *egate_camera_devnode(const struct egate_camera *camera);
unsigned int egate_camera_width(const struct egate_camera *camera);
unsigned int egate_camera_height(const struct egate_camera *camera);
/* The V4L2 fourcc the camera sends, before conversion to RGB24. */
uint32_t egate_camera_pixel_format(const struct egate_camera *camera);

/*
 * Latest frame wins: takes every frame the driver has ready, converts the
 * newest into frame and hands the others straight back (counted as
 * dropped).  -EAGAIN: no frame ready (or the only one was damaged);
 * -ENODEV: the camera was unplugged, free it and wait for it to return.
 */
int egate_camera_read_latest(struct egate_camera *camera, struct egate_frame *frame);
/* Drops every ready frame unread (the engine is busy): returns how many. */
int egate_camera_discard(struct egate_camera *camera);
/* Frames lost since open: dropped here, or by the driver (sequence gaps). */
uint64_t egate_camera_frames_dropped(const struct egate_camera *camera);

/* --- finding the camera --------------------------------------------------- */

/*
 * A selector names the lane's camera among the V4L2 streaming capture
 * devices:
 *   auto          the only one there is (-ENOTUNIQ if there are several)
 *   /dev/...      a device node or a symlink to one (/dev/v4l/by-path/...)
 *   name:NAME     the V4L2 device name (/sys/class/video4linux/videoN/name)
 *   path:ID_PATH  udev's ID_PATH, as in /dev/v4l/by-path (needs udevd)
 */
enum egate_uevent_source {
	EGATE_UEVENT_UDEV,	/* events after udevd processed them */
	EGATE_UEVENT_KERNEL,	/* the kernel's own events: no udevd needed */
};

enum egate_camera_event {
	EGATE_CAMERA_ADDED,	/* a camera the selector matches appeared */
	EGATE_CAMERA_REMOVED,	/* a video4linux device went (any) */
};

struct egate_camera_monitor;

int egate_camera_monitor_new(const char *selector, enum egate_uevent_source source,
			     struct egate_camera_monitor **ret, char *err, size_t err_size);
void egate_camera_monitor_free(struct egate_camera_monitor *monitor);
/* Readable when udev has events; then call _receive until -EAGAIN. */
int egate_camera_monitor_fd(const struct egate_camera_monitor *monitor);
/* The device node of the matching camera present now: -ENODEV if none. */
int egate_camera_monitor_find(struct egate_camera_monitor *monitor,
			      char *devnode, size_t size);
/*
 * One event for the lane: -EAGAIN when none is pending; another error
 * (-ENOBUFS: the socket overflowed) means events may be lost, so ask
 * _find() what is there now.
 */
int egate_camera_monitor_receive(struct egate_camera_monitor *monitor,
				 enum egate_camera_event *event,
				 char *devnode, size_t size);

#endif
