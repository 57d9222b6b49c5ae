/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vivid.h - the VM's camera for the capture tests: the in-tree vivid
 * driver in HDMI loopback mode.  Frames streamed into its output node come
 * out of its capture node (Documentation/testing.md says why not
 * v4l2loopback).  Root only; the VM runs tests as root.
 */
#ifndef EGATE_TEST_VIVID_H
#define EGATE_TEST_VIVID_H

#include <stddef.h>
#include <stdint.h>
#include <linux/videodev2.h>

#define VIVID_WIDTH 640
#define VIVID_HEIGHT 480
#define VIVID_CAPTURE_NAME "vivid-000-vid-cap"
#define VIVID_OUTPUT_NAME "vivid-000-vid-out"
/*
 * The simulated depth camera: a second instance (vivid_load(2)), its
 * frames 16-bit.  vivid has no Z16; Y16 (16-bit little-endian) is in its
 * format table for capture and output alike on 6.1 and 6.12, and its
 * loopback copies the output's bytes when both sides have the same format.
 */
#define VIVID_DEPTH_CAPTURE_NAME "vivid-001-vid-cap"
#define VIVID_DEPTH_OUTPUT_NAME "vivid-001-vid-out"
#define VIVID_DEPTH_FOURCC V4L2_PIX_FMT_Y16

/* modprobe vivid with n_devs instances of one HDMI input and output each. */
int vivid_load(unsigned int n_devs);
/* rmmod vivid (retried while a straggler still holds it). */
int vivid_unload(void);
/* The device node of the video4linux device called name, e.g. /dev/video0. */
int vivid_find_node(const char *name, char devnode[64]);
/* Unplug and replug instance 0, as a USB camera would (unbind/bind). */
int vivid_unbind(void);
int vivid_bind(void);

/*
 * Sets 640x480p60 DV timings on both nodes and connects the output to the
 * capture input of the same instance (6.1: loop_video, 6.12:
 * hdmi_NNN_0_is_connected_to).
 */
int vivid_connect(const char *capture, const char *output);

/*
 * Presses one of vivid's error-injection buttons on a node (any open file
 * of it will do), e.g. "inject_fatal_streaming_error" (vb2_queue_error() on
 * every streaming queue: poll answers POLLERR, DQBUF EIO, until STREAMOFF)
 * or "inject_vidioc_streamon_error" (the next STREAMON fails).
 */
int vivid_inject(const char *devnode, const char *button);

/*
 * A thread that streams one 640x480 image into the output, again and again;
 * fourcc V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_RGB24 or a 16-bit one (Y16).
 */
struct vivid_feeder;
unsigned int vivid_bytes_per_pixel(uint32_t fourcc);
int vivid_feeder_start(const char *output, uint32_t fourcc, const uint8_t *image,
		       struct vivid_feeder **ret);
void vivid_feeder_stop(struct vivid_feeder *feeder);
/* From now on stream this image (same format and size) instead. */
void vivid_feeder_show(struct vivid_feeder *feeder, const uint8_t *image);

#endif
