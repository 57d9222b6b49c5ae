// SPDX-License-Identifier: GPL-2.0
/*
 * v4l2-device.c - opening a V4L2 camera: capabilities, format negotiation,
 * mmap buffers, streaming; and closing it, also after it was unplugged.
 *
 * libv4l2 opens the device with conversion disabled and libv4lconvert
 * converts explicitly.  libv4l2's own conversion would convert every frame
 * it dequeues, including those "latest frame wins" then drops, and it
 * prefers a camera's native RGB24 over what was configured; converting
 * here touches only the frame that is used, from the format chosen.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <libv4l2.h>
#include <libv4lconvert.h>

#include "capture-internal.h"

int camera_ioctl(const struct egate_camera *camera, unsigned long request, void *arg)
{
	int r;

	do
		r = v4l2_ioctl(camera->fd, request, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* Asked of the driver directly: libv4l2 refuses what is not V4L2 at all. */
static bool fd_is_capture(int fd)
{
	struct v4l2_capability cap = {};
	uint32_t caps;

	if (ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return false;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	return (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING);
}

bool v4l2_node_is_capture(const char *devnode)
{
	_cleanup_close_ int fd = open(devnode, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	return fd >= 0 && fd_is_capture(fd);
}

static const char *fourcc_text(uint32_t fourcc, char text[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)(fourcc >> (8 * i));

		text[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	text[4] = '\0';
	return text;
}

/* Sets the format the camera sends and the RGB24 (or 16-bit) one the caller gets. */
static int negotiate(struct egate_camera *camera, const struct egate_camera_config *config,
		     char *msg, size_t msg_size)
{
	struct v4l2_format want = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_pix_format *pix = &want.fmt.pix;
	char a[5], b[5];
	uint32_t chosen;
	int r;

	pix->width = config->width;
	pix->height = config->height;
	pix->field = V4L2_FIELD_NONE;
	pix->pixelformat = config->pixel_format;
	if (!config->pixel_format) {
		/* Let libv4lconvert pick the camera format it converts best. */
		struct v4l2_format rgb = want;

		rgb.fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
		if (v4lconvert_try_format(camera->convert, &rgb, &want) < 0) {
			snprintf(msg, msg_size, "no camera format converts to RGB24: %s",
				 v4lconvert_get_error_message(camera->convert));
			return -ENOTSUP;
		}
	}
	chosen = pix->pixelformat;
	r = camera_ioctl(camera, VIDIOC_S_FMT, &want);
	if (r < 0) {
		snprintf(msg, msg_size, "cannot set the format: %s", strerror(-r));
		return r;
	}
	if (pix->pixelformat != chosen) {
		snprintf(msg, msg_size, "the camera does not send %s (it offers %s)",
			 fourcc_text(chosen, a), fourcc_text(pix->pixelformat, b));
		return -ENOTSUP;
	}
	if (pix->field != V4L2_FIELD_NONE ||
	    pix->width < EGATE_CAMERA_WIDTH_MIN || pix->width > EGATE_CAMERA_WIDTH_MAX ||
	    pix->height < EGATE_CAMERA_HEIGHT_MIN || pix->height > EGATE_CAMERA_HEIGHT_MAX) {
		snprintf(msg, msg_size, "the camera offers %ux%u%s, outside what the lane can use",
			 pix->width, pix->height, pix->field == V4L2_FIELD_NONE ? "" : " interlaced");
		return -ENOTSUP;
	}
	if (pixel_format_is_depth(chosen) && pix->bytesperline < pix->width * 2) {
		snprintf(msg, msg_size, "the camera's %s rows are %u bytes for %u pixels",
			 fourcc_text(chosen, a), pix->bytesperline, pix->width);
		return -ENOTSUP;
	}
	camera->source = want;
	camera->rgb = want;
	if (pixel_format_is_depth(chosen)) {	/* kept as it comes, rows packed */
		camera->rgb.fmt.pix.bytesperline = pix->width * 2;
		camera->rgb.fmt.pix.sizeimage = pix->width * 2 * pix->height;
		return 0;
	}
	camera->rgb.fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
	camera->rgb.fmt.pix.bytesperline = pix->width * 3;
	camera->rgb.fmt.pix.sizeimage = pix->width * 3 * pix->height;
	return 0;
}

/* Best effort: many cameras (and HDMI inputs) have a fixed rate. */
static void set_frame_rate(struct egate_camera *camera, unsigned int fps)
{
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

	if (camera_ioctl(camera, VIDIOC_G_PARM, &parm) < 0 ||
	    !(parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME))
		return;
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = fps;
	(void)camera_ioctl(camera, VIDIOC_S_PARM, &parm);
}

static int map_buffers(struct egate_camera *camera, unsigned int count,
		       char *msg, size_t msg_size)
{
	struct v4l2_requestbuffers req = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int r;

	r = camera_ioctl(camera, VIDIOC_REQBUFS, &req);
	if (r < 0 || req.count < 2 || req.count > EGATE_CAMERA_BUFFERS_MAX) {
		snprintf(msg, msg_size, "cannot get %u capture buffers (%s, got %u)", count,
			 strerror(r < 0 ? -r : ENOMEM), req.count);
		return r < 0 ? r : -ENOMEM;
	}
	for (unsigned int i = 0; i < req.count; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};
		void *start;

		r = camera_ioctl(camera, VIDIOC_QUERYBUF, &buf);
		if (r < 0)
			return r;
		start = v4l2_mmap(NULL, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED,
				  camera->fd, buf.m.offset);
		if (start == MAP_FAILED) {
			r = -errno;
			snprintf(msg, msg_size, "cannot map capture buffers: %s", strerror(-r));
			return r;
		}
		camera->buffers[i] = (struct camera_buffer){ start, buf.length };
		camera->n_buffers++;
		r = camera_ioctl(camera, VIDIOC_QBUF, &buf);
		if (r < 0)
			return r;
	}
	return 0;
}

DEFINE_POINTER_CLEANUP(struct egate_camera, egate_camera_freep, egate_camera_free)

static int camera_start(const char *devnode, const struct egate_camera_config *config,
			struct egate_camera *camera, char *msg, size_t msg_size)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	_cleanup_close_ int fd = -1;
	int r;

	fd = open(devnode, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(msg, msg_size, "%s", strerror(-r));
		return r;
	}
	if (!fd_is_capture(fd)) {
		snprintf(msg, msg_size, "not a V4L2 streaming video capture device");
		return -ENOTSUP;
	}
	if (v4l2_fd_open(fd, V4L2_DISABLE_CONVERSION) < 0) {
		r = -errno;
		snprintf(msg, msg_size, "libv4l2 cannot use the device: %s", strerror(-r));
		return r;
	}
	camera->fd = TAKE_FD(fd);
	camera->convert = v4lconvert_create(camera->fd);
	if (!camera->convert)
		return -ENOMEM;
	r = negotiate(camera, config, msg, msg_size);
	if (r < 0)
		return r;
	set_frame_rate(camera, config->fps);
	r = map_buffers(camera, config->buffers, msg, msg_size);
	if (r < 0)
		return r;
	r = camera_ioctl(camera, VIDIOC_STREAMON, &type);
	if (r < 0) {
		snprintf(msg, msg_size, "cannot start streaming: %s", strerror(-r));
		return r;
	}
	camera->streaming = true;
	return 0;
}

int egate_camera_open(const char *devnode, const struct egate_camera_config *config,
		      struct egate_camera **ret, char *err, size_t err_size)
{
	_cleanup_(egate_camera_freep) struct egate_camera *camera = NULL;
	char msg[EGATE_ERRMSG_MAX] = "";
	int r;

	assert(devnode);
	assert(config);
	assert(ret);
	camera = calloc(1, sizeof(*camera));
	if (!camera)
		return -ENOMEM;
	camera->fd = -1;
	if (strlen(devnode) >= sizeof(camera->devnode))
		return -EINVAL;
	strcpy(camera->devnode, devnode);
	camera->config = *config;

	r = camera_start(devnode, config, camera, msg, sizeof(msg));
	if (r < 0) {
		if (err && err_size)
			snprintf(err, err_size, "%s: %s", devnode, *msg ? msg : strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(camera);
	return 0;
}

/*
 * Stops streaming, unmaps, closes: what camera_start() set up, all or part.
 * Works on a camera that is gone too: the calls fail with ENODEV, harmlessly.
 */
static void camera_stop(struct egate_camera *camera)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (camera->streaming)
		(void)camera_ioctl(camera, VIDIOC_STREAMOFF, &type);
	camera->streaming = false;
	camera->holding = false;
	camera->sequence_known = false;
	for (unsigned int i = 0; i < camera->n_buffers; i++)
		v4l2_munmap(camera->buffers[i].start, camera->buffers[i].length);
	camera->n_buffers = 0;
	if (camera->convert)
		v4lconvert_destroy(camera->convert);
	camera->convert = NULL;
	if (camera->fd >= 0)
		v4l2_close(camera->fd);
	camera->fd = -1;
}

int camera_reopen(struct egate_camera *camera, char *msg, size_t msg_size)
{
	int r;

	/* Closing gives the driver's queue up, so the new descriptor can take it. */
	camera_stop(camera);
	r = camera_start(camera->devnode, &camera->config, camera, msg, msg_size);
	if (r < 0)
		camera_stop(camera);
	return r;
}

void egate_camera_free(struct egate_camera *camera)
{
	if (!camera)
		return;
	camera_stop(camera);
	free(camera);
}

int egate_camera_fd(const struct egate_camera *camera)
{
	assert(camera);
	return camera->fd;
}

const char *egate_camera_devnode(const struct egate_camera *camera)
{
	assert(camera);
	return camera->devnode;
}

unsigned int egate_camera_width(const struct egate_camera *camera)
{
	assert(camera);
	return camera->rgb.fmt.pix.width;
}

unsigned int egate_camera_height(const struct egate_camera *camera)
{
	assert(camera);
	return camera->rgb.fmt.pix.height;
}

uint32_t egate_camera_pixel_format(const struct egate_camera *camera)
{
	assert(camera);
	return camera->source.fmt.pix.pixelformat;
}

uint64_t egate_camera_frames_dropped(const struct egate_camera *camera)
{
	assert(camera);
	return camera->dropped;
}
