// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/videodev2.h>

#include "vivid.h"

#define FEEDER_BUFFERS 4

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int vivid_load(unsigned int n_devs)
{
	char cmd[256];

	/* node_types 0x101: video capture and output; input/output type HDMI. */
	snprintf(cmd, sizeof(cmd),
		 "modprobe vivid n_devs=%u node_types=0x101,0x101 num_inputs=1,1"
		 " input_types=0x3,0x3 num_outputs=1,1 output_types=0x1,0x1", n_devs);
	return run(cmd);
}

int vivid_unload(void)
{
	for (int i = 0; i < 50; i++) {
		if (access("/sys/module/vivid", F_OK) < 0)
			return 0;
		if (run("rmmod vivid 2>/dev/null") == 0)
			return 0;
		usleep(100000);
	}
	return -EBUSY;
}

int vivid_find_node(const char *name, char devnode[64])
{
	char path[512], text[64];
	struct dirent *e;
	DIR *d = opendir("/sys/class/video4linux");
	int r = -ENODEV;

	while (d && r < 0 && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(text, sizeof(text), f) && !strncmp(text, name, strlen(name)) &&
		    text[strlen(name)] == '\n') {
			snprintf(devnode, 64, "/dev/%.58s", e->d_name);
			r = 0;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return r;
}

static int write_sysfs(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		r = -errno;
	close(fd);
	return r;
}

int vivid_unbind(void)
{
	return write_sysfs("/sys/bus/platform/drivers/vivid/unbind", "vivid.0");
}

int vivid_bind(void)
{
	return write_sysfs("/sys/bus/platform/drivers/vivid/bind", "vivid.0");
}

static int set_first_dv_timings(const char *devnode, bool output)
{
	struct v4l2_enum_dv_timings e = { .index = 0 };
	int fd = open(devnode, O_RDWR | O_CLOEXEC), r = 0;
	int route = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, output ? VIDIOC_S_OUTPUT : VIDIOC_S_INPUT, &route) < 0 ||
	    ioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &e) < 0 ||
	    ioctl(fd, VIDIOC_S_DV_TIMINGS, &e.timings) < 0)
		r = -errno;
	else if (e.timings.bt.width != VIVID_WIDTH || e.timings.bt.height != VIVID_HEIGHT)
		r = -ERANGE;
	close(fd);
	return r;
}

/* the vivid instance a node belongs to: its name is "vivid-NNN-..." */
static int instance_of(const char *devnode, unsigned int *instance)
{
	const char *base = strrchr(devnode, '/');
	char path[512], name[64];
	FILE *f;
	int r = -ENODEV;

	snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name", base ? base + 1 : devnode);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fgets(name, sizeof(name), f) && sscanf(name, "vivid-%u-", instance) == 1)
		r = 0;
	fclose(f);
	return r;
}

int vivid_connect(const char *capture, const char *output)
{
	unsigned int instance;
	char cmd[320];
	int r;

	r = instance_of(capture, &instance);
	if (r >= 0)
		r = set_first_dv_timings(capture, false);
	if (r >= 0)
		r = set_first_dv_timings(output, true);
	if (r < 0)
		return r;
	/*
	 * No text drawn over the picture (osd_text_mode 2); the loopback
	 * control was renamed between 6.1 and 6.12, where an input is
	 * connected to an output of any instance: the menu lists every
	 * instance's HDMI outputs after "Test Pattern Generator" and "None",
	 * one each here.
	 */
	snprintf(cmd, sizeof(cmd), "v4l2-ctl -d %s -c osd_text_mode=2 && "
		 "(v4l2-ctl -d %s -c loop_video=1 2>/dev/null ||"
		 " v4l2-ctl -d %s -c hdmi_%03u_0_is_connected_to=%u)", capture, capture, capture,
		 instance, 2 + instance);
	return run(cmd);
}

int vivid_inject(const char *devnode, const char *button)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "v4l2-ctl -d %s -c %s=1", devnode, button);
	return run(cmd);
}

struct vivid_feeder {
	int fd;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock;
	uint8_t *image;				/* under lock: what to show */
	unsigned int generation;		/* under lock: +1 per image */
	unsigned int shown[FEEDER_BUFFERS];	/* generation in each buffer */
	void *buffers[FEEDER_BUFFERS];
	size_t lengths[FEEDER_BUFFERS];
	unsigned int n_buffers;
	unsigned int frame_bytes;
	bool thread_started;
};

/* After an injected streaming error: every buffer back, streaming again. */
static int feed_restart(struct vivid_feeder *f)
{
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;

	if (ioctl(f->fd, VIDIOC_STREAMOFF, &type) < 0)
		return -errno;
	for (unsigned int i = 0; i < f->n_buffers; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
			.bytesused = f->frame_bytes,
		};

		if (ioctl(f->fd, VIDIOC_QBUF, &buf) < 0)
			return -errno;
	}
	return ioctl(f->fd, VIDIOC_STREAMON, &type) < 0 ? -errno : 0;
}

static void *feed(void *data)
{
	struct vivid_feeder *f = data;

	while (!atomic_load(&f->stop)) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
			.memory = V4L2_MEMORY_MMAP,
		};
		struct pollfd p = { .fd = f->fd, .events = POLLOUT };

		if (poll(&p, 1, 100) < 0 || (p.revents & POLLHUP))
			break;	/* unplugged */
		if (!(p.revents & (POLLOUT | POLLERR)))
			continue;
		if (ioctl(f->fd, VIDIOC_DQBUF, &buf) < 0) {
			if (errno == EAGAIN)
				continue;
			/* an injected streaming error (vivid_inject) */
			if (errno == EIO && feed_restart(f) == 0)
				continue;
			break;	/* ENODEV: unplugged */
		}
		pthread_mutex_lock(&f->lock);
		if (buf.index < FEEDER_BUFFERS && f->shown[buf.index] != f->generation) {
			memcpy(f->buffers[buf.index], f->image, f->frame_bytes);
			f->shown[buf.index] = f->generation;
		}
		pthread_mutex_unlock(&f->lock);
		buf.bytesused = f->frame_bytes;
		if (ioctl(f->fd, VIDIOC_QBUF, &buf) < 0)
			break;
	}
	return NULL;
}

void vivid_feeder_stop(struct vivid_feeder *f)
{
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;

	if (!f)
		return;
	atomic_store(&f->stop, true);
	if (f->thread_started)
		pthread_join(f->thread, NULL);
	if (f->fd >= 0)
		ioctl(f->fd, VIDIOC_STREAMOFF, &type);
	for (unsigned int i = 0; i < f->n_buffers; i++)
		munmap(f->buffers[i], f->lengths[i]);
	if (f->fd >= 0)
		close(f->fd);
	pthread_mutex_destroy(&f->lock);
	free(f->image);
	free(f);
}

void vivid_feeder_show(struct vivid_feeder *f, const uint8_t *image)
{
	pthread_mutex_lock(&f->lock);
	memcpy(f->image, image, f->frame_bytes);
	f->generation++;
	pthread_mutex_unlock(&f->lock);
}

static int feeder_setup(struct vivid_feeder *f, uint32_t fourcc, const uint8_t *image)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };
	struct v4l2_requestbuffers req = {
		.count = FEEDER_BUFFERS,
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;

	fmt.fmt.pix.width = VIVID_WIDTH;
	fmt.fmt.pix.height = VIVID_HEIGHT;
	fmt.fmt.pix.pixelformat = fourcc;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (ioctl(f->fd, VIDIOC_S_FMT, &fmt) < 0)
		return -errno;
	f->frame_bytes = VIVID_WIDTH * VIVID_HEIGHT * vivid_bytes_per_pixel(fourcc);
	f->image = malloc(f->frame_bytes);
	if (!f->image)
		return -ENOMEM;
	memcpy(f->image, image, f->frame_bytes);
	if (fmt.fmt.pix.pixelformat != fourcc ||
	    fmt.fmt.pix.bytesperline * VIVID_HEIGHT != f->frame_bytes)
		return -ERANGE;
	if (ioctl(f->fd, VIDIOC_REQBUFS, &req) < 0)
		return -errno;
	for (unsigned int i = 0; i < req.count && i < FEEDER_BUFFERS; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		if (ioctl(f->fd, VIDIOC_QUERYBUF, &buf) < 0)
			return -errno;
		f->buffers[i] = mmap(NULL, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED,
				     f->fd, buf.m.offset);
		if (f->buffers[i] == MAP_FAILED)
			return -errno;
		f->lengths[i] = buf.length;
		f->n_buffers++;
		memcpy(f->buffers[i], image, f->frame_bytes);
		buf.bytesused = f->frame_bytes;
		if (ioctl(f->fd, VIDIOC_QBUF, &buf) < 0)
			return -errno;
	}
	if (ioctl(f->fd, VIDIOC_STREAMON, &type) < 0)
		return -errno;
	return 0;
}

unsigned int vivid_bytes_per_pixel(uint32_t fourcc)
{
	return fourcc == V4L2_PIX_FMT_RGB24 ? 3 : 2;
}

int vivid_feeder_start(const char *output, uint32_t fourcc, const uint8_t *image,
		       struct vivid_feeder **ret)
{
	struct vivid_feeder *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->fd = open(output, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	r = f->fd < 0 ? -errno : feeder_setup(f, fourcc, image);
	if (r >= 0) {
		r = -pthread_create(&f->thread, NULL, feed, f);
		f->thread_started = r == 0;
	}
	if (r < 0) {
		vivid_feeder_stop(f);
		return r;
	}
	*ret = f;
	return 0;
}
