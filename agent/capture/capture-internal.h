/* SPDX-License-Identifier: GPL-2.0 */
/* capture-internal.h - what the capture library's files share. */
#ifndef EGATE_CAPTURE_INTERNAL_H
#define EGATE_CAPTURE_INTERNAL_H

#include <stdbool.h>
#include <linux/videodev2.h>

#include "egate-capture.h"
#include "macro.h"

struct libv4l_dev_ops;
struct udev_device;
struct v4lconvert_data;

struct egate_camera_config {
	unsigned int width, height, fps, buffers;
	uint32_t pixel_format;
};

struct egate_frame {
	uint8_t *data;
	size_t capacity;
	unsigned int width, height, stride;
	uint64_t timestamp_ns;
	uint32_t sequence;
	bool depth;		/* 16 bits a pixel, unconverted */
};

struct camera_buffer {
	void *start;
	size_t length;
};

struct egate_camera {
	int fd;
	char devnode[256];
	struct egate_camera_config config;	/* what was asked: to reopen */
	struct v4lconvert_data *convert;
	struct v4l2_format source;	/* what the camera sends */
	struct v4l2_format rgb;		/* what the caller gets: RGB24, or the 16-bit source */
	struct camera_buffer buffers[EGATE_CAMERA_BUFFERS_MAX];
	unsigned int n_buffers;
	bool streaming;
	bool sequence_known;
	uint32_t next_sequence;
	uint64_t dropped;
	uint64_t last_timestamp_ns;	/* of the last frame read */

	/* A frame dequeued while looking into a poll error: the next read's. */
	struct v4l2_buffer held;
	bool holding;
	/* Poll errors (recover.c): in a row, since open, and the backoff. */
	unsigned int errors;
	uint64_t poll_errors, spurious;
	uint64_t next_repair_ns;
};

/* v4l2_ioctl, restarted on EINTR: 0 or a negative errno. */
int camera_ioctl(const struct egate_camera *camera, unsigned long request, void *arg);

/*
 * v4l2-device.c: closes the device and opens it again with the same settings,
 * keeping the counters; on failure the camera is left closed (fd -1).
 */
int camera_reopen(struct egate_camera *camera, char *msg, size_t msg_size);

/* Z16 or Y16: 16-bit frames, kept as they come. */
static inline bool pixel_format_is_depth(uint32_t fourcc)
{
	return fourcc == V4L2_PIX_FMT_Z16 || fourcc == V4L2_PIX_FMT_Y16;
}

/* frame.c: make room for an RGB24 (or 16-bit) image of the camera's size. */
int frame_reserve(struct egate_frame *frame, const struct v4l2_format *rgb);
/*
 * frame.c: a frame's CLOCK_MONOTONIC capture time, never before *last_ns
 * (updated); arrival_ns: CLOCK_MONOTONIC when it was dequeued.
 */
uint64_t frame_time_ns(const struct v4l2_buffer *buf, uint64_t arrival_ns, uint64_t *last_ns);

/* A V4L2 streaming video capture device? (QUERYCAP on the node) */
bool v4l2_node_is_capture(const char *devnode);

/* selector.c */
struct camera_selector;
int camera_selector_parse(const char *text, struct camera_selector **ret,
			  char *err, size_t err_size);
void camera_selector_free(struct camera_selector *selector);
/* Does this (present, video4linux) device match? */
bool camera_selector_matches(const struct camera_selector *selector,
			     struct udev_device *device);

#endif
