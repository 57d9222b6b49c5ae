// SPDX-License-Identifier: GPL-2.0
/*
 * frame.c - frames, and reading them by "latest frame wins": the driver's
 * queue is drained on every read, the newest frame is converted to RGB24
 * (a depth camera's Z16/Y16 frame is copied as it is) and every older one
 * goes straight back to the driver.  Nothing queues in
 * between, so a busy engine costs frames (counted), never memory or lag.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libv4l2.h>
#include <libv4lconvert.h>

#include "capture-internal.h"

int egate_frame_new(struct egate_frame **ret)
{
	assert(ret);
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void egate_frame_free(struct egate_frame *frame)
{
	if (!frame)
		return;
	free(frame->data);
	free(frame);
}

int frame_reserve(struct egate_frame *frame, const struct v4l2_format *rgb)
{
	size_t size = rgb->fmt.pix.sizeimage;
	uint8_t *data;

	if (frame->capacity >= size)
		return 0;
	data = realloc(frame->data, size);
	if (!data)
		return -ENOMEM;
	frame->data = data;
	frame->capacity = size;
	return 0;
}

const uint8_t *egate_frame_data(const struct egate_frame *frame)
{
	assert(frame);
	return frame->data;
}

const uint16_t *egate_frame_depth(const struct egate_frame *frame)
{
	assert(frame);
	return frame->depth ? (const uint16_t *)frame->data : NULL;
}

unsigned int egate_frame_width(const struct egate_frame *frame)
{
	assert(frame);
	return frame->width;
}

unsigned int egate_frame_height(const struct egate_frame *frame)
{
	assert(frame);
	return frame->height;
}

unsigned int egate_frame_stride(const struct egate_frame *frame)
{
	assert(frame);
	return frame->stride;
}

uint64_t egate_frame_timestamp_ns(const struct egate_frame *frame)
{
	assert(frame);
	return frame->timestamp_ns;
}

uint32_t egate_frame_sequence(const struct egate_frame *frame)
{
	assert(frame);
	return frame->sequence;
}

static int requeue(struct egate_camera *camera, const struct v4l2_buffer *buf)
{
	struct v4l2_buffer again = {
		.type = buf->type,
		.memory = buf->memory,
		.index = buf->index,
	};

	return camera_ioctl(camera, VIDIOC_QBUF, &again);
}

/* Frames the driver had no buffer for show up as gaps in its sequence. */
static void count_sequence_gap(struct egate_camera *camera, uint32_t sequence)
{
	if (camera->sequence_known && sequence > camera->next_sequence)
		camera->dropped += sequence - camera->next_sequence;
	camera->next_sequence = sequence + 1;
	camera->sequence_known = true;
}

/* A failed drain gives back the frame it was holding. */
static int drain_failed(struct egate_camera *camera, struct v4l2_buffer *newest,
			bool *have, int r)
{
	if (*have)
		(void)requeue(camera, newest);
	*have = false;
	return r;
}

/*
 * Dequeues every ready buffer; the newest good one stays dequeued in
 * *newest (*have set), all others are queued again and counted as dropped.
 * Bounded: a driver refilling as fast as we drain cannot keep us here.
 */
static int drain(struct egate_camera *camera, struct v4l2_buffer *newest, bool *have)
{
	*have = camera->holding;	/* dequeued by egate_camera_poll_error() */
	if (camera->holding)
		*newest = camera->held;
	camera->holding = false;
	for (unsigned int i = 0; i < 4 * camera->n_buffers; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};
		struct v4l2_buffer back;
		int r;

		r = camera_ioctl(camera, VIDIOC_DQBUF, &buf);
		if (r == -EAGAIN)
			break;
		if (r < 0 || buf.index >= camera->n_buffers)
			return drain_failed(camera, newest, have, r < 0 ? r : -EIO);
		camera->errors = 0;	/* the stream works: a run of poll errors ends */
		count_sequence_gap(camera, buf.sequence);
		if ((buf.flags & V4L2_BUF_FLAG_ERROR) || !buf.bytesused ||
		    buf.bytesused > camera->buffers[buf.index].length) {
			back = buf;		/* damaged: straight back */
		} else if (*have) {
			back = *newest;		/* superseded by a newer frame */
			*newest = buf;
		} else {
			*newest = buf;
			*have = true;
			continue;
		}
		camera->dropped++;
		r = requeue(camera, &back);
		if (r < 0)
			return drain_failed(camera, newest, have, r);
	}
	return 0;
}

/*
 * The driver's timestamp where it is CLOCK_MONOTONIC (the buffer says so),
 * set, not older than the last frame's and not in the future; the arrival
 * time otherwise: a driver that gives zeros, copies an output's timestamps
 * or stamps with another clock must not stop time for the policy.
 */
uint64_t frame_time_ns(const struct v4l2_buffer *buf, uint64_t arrival_ns, uint64_t *last_ns)
{
	uint64_t t = (uint64_t)buf->timestamp.tv_sec * 1000000000u +
		     (uint64_t)buf->timestamp.tv_usec * 1000u;

	if ((buf->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC ||
	    !t || t < *last_ns || t > arrival_ns)
		t = arrival_ns > *last_ns ? arrival_ns : *last_ns;
	*last_ns = t;
	return t;
}

/* Z16/Y16: the rows as they are, without the driver's padding; -EIO if short. */
static int copy_depth(const struct egate_camera *camera, const struct v4l2_buffer *buf,
		      struct egate_frame *frame)
{
	const struct v4l2_pix_format *src = &camera->source.fmt.pix;
	size_t row = (size_t)src->width * 2;
	const uint8_t *from = camera->buffers[buf->index].start;

	if ((size_t)src->bytesperline * (src->height - 1) + row > buf->bytesused)
		return -EIO;
	for (unsigned int y = 0; y < src->height; y++)
		memcpy(frame->data + y * row, from + (size_t)y * src->bytesperline, row);
	return 0;
}

int egate_camera_read_latest(struct egate_camera *camera, struct egate_frame *frame)
{
	const struct v4l2_pix_format *rgb = &camera->rgb.fmt.pix;
	struct v4l2_buffer buf;
	bool have;
	int r;

	assert(camera);
	assert(frame);
	r = frame_reserve(frame, &camera->rgb);
	if (r < 0)
		return r;
	r = drain(camera, &buf, &have);
	if (r < 0)
		return r;
	if (!have)
		return -EAGAIN;

	frame->depth = pixel_format_is_depth(camera->source.fmt.pix.pixelformat);
	if (frame->depth)
		r = copy_depth(camera, &buf, frame);
	else
		r = v4lconvert_convert(camera->convert, &camera->source, &camera->rgb,
				       camera->buffers[buf.index].start, (int)buf.bytesused,
				       frame->data, (int)frame->capacity);
	if (r < 0) {
		/* A damaged frame (a torn MJPEG, say): lose it, not the stream. */
		camera->dropped++;
		r = requeue(camera, &buf);
		return r < 0 ? r : -EAGAIN;
	}
	frame->width = rgb->width;
	frame->height = rgb->height;
	frame->stride = rgb->bytesperline;
	frame->timestamp_ns = frame_time_ns(&buf, monotonic_ns(), &camera->last_timestamp_ns);
	frame->sequence = buf.sequence;
	return requeue(camera, &buf);
}

int egate_camera_discard(struct egate_camera *camera)
{
	uint64_t before;
	struct v4l2_buffer buf;
	bool have;
	int r;

	assert(camera);
	before = camera->dropped;
	r = drain(camera, &buf, &have);
	if (r < 0)
		return r;
	if (have) {
		camera->dropped++;
		r = requeue(camera, &buf);
		if (r < 0)
			return r;
	}
	return (int)(camera->dropped - before);
}
