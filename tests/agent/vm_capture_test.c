// SPDX-License-Identifier: GPL-2.0
/*
 * vm_capture_test - the capture library against a real V4L2 driver: vivid
 * in HDMI loopback, fed a known YUYV (or RGB24) pattern that must come out
 * as RGB24;
 * latest-frame-wins and drop counting; formats; a POLLERR that is no unplug
 * (the driver's queue in error) diagnosed and repaired, by restarting the
 * stream or reopening the device, with frames flowing again; and the camera
 * unplugged while streaming (ENODEV, cleanly) and plugged back (found again
 * by the udev monitor, streaming again).  The simulated depth camera: a
 * second vivid instance carries 16-bit (Y16) frames, and a sequence played
 * on both instances (the simulated camera's player) comes out byte for
 * byte.  Runs in the VM as root: it loads and
 * unloads vivid itself, so it can run any number of times in one boot.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/videodev2.h>

#include "egate-capture.h"
#include "sim-seq.h"
#include "vivid.h"
#include "kselftest_harness.h"

#define UDEVD "/lib/systemd/systemd-udevd"
#define DEFAULT_BUFFERS 4	/* what egate_camera_config_new() asks for */
#define CELL_W 80	/* even: YUYV pairs never straddle two cells */
#define CELL_H 60
#define TOLERANCE 2	/* per channel: the loop is byte for byte */

/* Y, U, V of the pattern's colours: black, white, grey, primaries. */
static const uint8_t colours[][3] = {
	{ 16, 128, 128 }, { 235, 128, 128 }, { 126, 128, 128 }, { 81, 90, 240 },
	{ 145, 54, 34 }, { 41, 240, 110 }, { 210, 16, 146 }, { 170, 166, 16 },
};
#define N_COLOURS (sizeof(colours) / sizeof(colours[0]))

static int clip(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

/*
 * The RGB that libv4lconvert makes of a YUYV pixel: Y as is, BT.601
 * chroma in fixed point (R = Y + 1.5 V', G = Y - 0.375 U' - 0.75 V',
 * B = Y + 2.016 U').  The test pins this arithmetic down, so that a change
 * in conversion is seen, not just a change in the path frames take.
 */
static void expected_rgb(unsigned int c, int rgb[3])
{
	int y = colours[c][0], u = colours[c][1] - 128, v = colours[c][2] - 128;

	rgb[0] = clip(y + ((3 * v) >> 1));
	rgb[1] = clip(y - ((3 * u + 6 * v) >> 3));
	rgb[2] = clip(y + ((129 * u) >> 6));
}

/* A diagonal pattern of cells, so that flips and shifts show. */
static unsigned int colour_at(unsigned int x, unsigned int y)
{
	return (x / CELL_W + 3 * (y / CELL_H)) % N_COLOURS;
}

static void make_pattern(uint32_t fourcc, uint8_t *image)
{
	for (unsigned int y = 0; y < VIVID_HEIGHT; y++)
		for (unsigned int x = 0; x < VIVID_WIDTH; x += 2) {
			unsigned int c = colour_at(x, y);
			uint8_t *p = image + (y * VIVID_WIDTH + x) * vivid_bytes_per_pixel(fourcc);
			int rgb[3];

			if (fourcc == V4L2_PIX_FMT_RGB24) {
				expected_rgb(c, rgb);
				for (int i = 0; i < 6; i++)
					p[i] = (uint8_t)rgb[i % 3];
				continue;
			}
			p[0] = p[2] = colours[c][0];
			p[1] = colours[c][1];
			p[3] = colours[c][2];
		}
}

static int channel_off(int got, int want)
{
	return abs(got - want) > TOLERANCE;
}

/* How many pixels are off the pattern by more than the tolerance. */
static unsigned int pattern_mismatches(const struct egate_frame *frame)
{
	int want[N_COLOURS][3];
	unsigned int bad = 0;

	for (unsigned int c = 0; c < N_COLOURS; c++)
		expected_rgb(c, want[c]);
	for (unsigned int y = 0; y < egate_frame_height(frame); y++)
		for (unsigned int x = 0; x < egate_frame_width(frame); x++) {
			const uint8_t *p = egate_frame_data(frame) + y * egate_frame_stride(frame) + x * 3;
			const int *rgb = want[colour_at(x, y)];

			bad += channel_off(p[0], rgb[0]) || channel_off(p[1], rgb[1]) ||
			       channel_off(p[2], rgb[2]);
		}
	return bad;
}

/* Waits for the camera's fd, then reads; -ETIMEDOUT after timeout_ms. */
static int wait_frame(struct egate_camera *camera, struct egate_frame *frame, int timeout_ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = egate_camera_fd(camera), .events = POLLIN };
		int r, elapsed;

		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (int)((now.tv_sec - start.tv_sec) * 1000 +
				(now.tv_nsec - start.tv_nsec) / 1000000);
		if (elapsed >= timeout_ms)
			return -ETIMEDOUT;
		if (poll(&p, 1, timeout_ms - elapsed) < 0)
			return -errno;
		r = egate_camera_read_latest(camera, frame);
		if (r != -EAGAIN)
			return r;
	}
}

FIXTURE(vivid) {
	char capture[64], output[64], err[256];
	uint8_t *pattern;
	struct egate_camera_config *config;
	struct egate_camera *camera;
	struct egate_frame *frame;
	struct vivid_feeder *feeder;
	struct egate_camera_monitor *monitor;
	pid_t udevd;
	/* the depth camera's test */
	struct sim_seq *seq;
	struct sim_seq_player *player;
	struct vivid_feeder *depth;
};

FIXTURE_SETUP(vivid)
{
	/*
	 * Leave the CPUs to vivid's threads.  6.1's vivid computes its frame
	 * wait after might_sleep(), and when a busy guest reschedules it there
	 * the timeout is negative: "schedule_timeout: wrong timeout value"
	 * with a call trace, which fails the VM run.
	 */
	ASSERT_EQ(19, nice(19));
	ASSERT_EQ(0, vivid_unload());	/* a leftover from an earlier run */
	ASSERT_EQ(0, vivid_load(1));
	ASSERT_EQ(0, vivid_find_node(VIVID_CAPTURE_NAME, self->capture));
	ASSERT_EQ(0, vivid_find_node(VIVID_OUTPUT_NAME, self->output));
	ASSERT_EQ(0, egate_camera_config_new(&self->config));
	ASSERT_EQ(0, egate_frame_new(&self->frame));
	self->pattern = malloc(VIVID_WIDTH * VIVID_HEIGHT * 3);
	ASSERT_NE(NULL, self->pattern);
}

FIXTURE_TEARDOWN(vivid)
{
	sim_seq_stop(self->player);
	vivid_feeder_stop(self->depth);
	sim_seq_free(self->seq);
	vivid_feeder_stop(self->feeder);
	egate_camera_free(self->camera);
	egate_camera_monitor_free(self->monitor);
	egate_frame_free(self->frame);
	egate_camera_config_free(self->config);
	free(self->pattern);
	if (self->udevd > 0) {
		kill(self->udevd, SIGTERM);
		waitpid(self->udevd, NULL, 0);
	}
	EXPECT_EQ(0, vivid_unload());
}

/* Opens the capture node in fourcc and feeds the pattern through the loop. */
static int start_loopback(FIXTURE_DATA(vivid) *self, uint32_t fourcc)
{
	int r;

	make_pattern(fourcc, self->pattern);
	r = egate_camera_config_set_pixel_format(self->config, fourcc);
	if (r >= 0)
		r = vivid_connect(self->capture, self->output);
	if (r >= 0)
		r = egate_camera_open(self->capture, self->config, &self->camera,
				      self->err, sizeof(self->err));
	if (r >= 0)
		r = vivid_feeder_start(self->output, fourcc, self->pattern, &self->feeder);
	return r;
}

static void log_colours(struct __test_metadata *_metadata, const struct egate_frame *frame)
{
	for (unsigned int c = 0; c < N_COLOURS; c++) {
		const uint8_t *p = egate_frame_data(frame) + 30 * egate_frame_stride(frame) +
				   (c * CELL_W + CELL_W / 2) * 3;
		int want[3];

		expected_rgb(c, want);
		TH_LOG("colour %u: want %d,%d,%d got %u,%u,%u", c, want[0], want[1], want[2],
		       p[0], p[1], p[2]);
	}
}

/* The first frames may predate the loop: wait for one showing the pattern. */
static void assert_pattern_arrives(struct __test_metadata *_metadata,
				   FIXTURE_DATA(vivid) *self)
{
	unsigned int bad = 0;
	int r = 0;

	for (int i = 0; i < 100 && r >= 0; i++) {
		r = wait_frame(self->camera, self->frame, 5000);
		if (r >= 0 && (bad = pattern_mismatches(self->frame)) == 0)
			return;
	}
	ASSERT_EQ(0, r);
	log_colours(_metadata, self->frame);
	ASSERT_EQ(0, bad) TH_LOG("pixels off the pattern");
}

TEST_F(vivid, loopback_frame_arrives_as_rgb)
{
	struct timespec now;
	uint64_t now_ns;
	uint32_t first;

	ASSERT_EQ(0, start_loopback(self, V4L2_PIX_FMT_YUYV)) TH_LOG("%s", self->err);
	EXPECT_EQ(V4L2_PIX_FMT_YUYV, egate_camera_pixel_format(self->camera));
	EXPECT_EQ(VIVID_WIDTH, egate_camera_width(self->camera));
	EXPECT_EQ(VIVID_HEIGHT, egate_camera_height(self->camera));

	assert_pattern_arrives(_metadata, self);
	EXPECT_EQ(VIVID_WIDTH, egate_frame_width(self->frame));
	EXPECT_EQ(VIVID_HEIGHT, egate_frame_height(self->frame));
	EXPECT_EQ(VIVID_WIDTH * 3, egate_frame_stride(self->frame));

	/* The driver's timestamp is CLOCK_MONOTONIC, and recent. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	EXPECT_LT(egate_frame_timestamp_ns(self->frame), now_ns);
	EXPECT_GT(egate_frame_timestamp_ns(self->frame) + 5000000000u, now_ns);

	first = egate_frame_sequence(self->frame);
	ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));
	EXPECT_LT(first, egate_frame_sequence(self->frame));
	EXPECT_EQ(0, pattern_mismatches(self->frame));
}

/* An RGB24 camera: no conversion, the bytes come through as they are. */
TEST_F(vivid, loopback_rgb24_camera)
{
	ASSERT_EQ(0, start_loopback(self, V4L2_PIX_FMT_RGB24)) TH_LOG("%s", self->err);
	EXPECT_EQ(V4L2_PIX_FMT_RGB24, egate_camera_pixel_format(self->camera));
	assert_pattern_arrives(_metadata, self);
}

TEST_F(vivid, latest_frame_wins)
{
	uint32_t before, after;
	uint64_t dropped;
	int discarded;

	ASSERT_EQ(0, start_loopback(self, V4L2_PIX_FMT_YUYV)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));
	before = egate_frame_sequence(self->frame);
	dropped = egate_camera_frames_dropped(self->camera);

	/* The "engine" is busy for a second: 60 frames, or fewer under TCG. */
	sleep(1);
	ASSERT_EQ(0, egate_camera_read_latest(self->camera, self->frame));
	after = egate_frame_sequence(self->frame);
	EXPECT_LT(before + 3, after);	/* newer than the 4 buffers' worth */
	/*
	 * Everything between the two frames is counted.  6.1's vivid, behind
	 * under emulation, may fill a second buffer with the same sequence
	 * number: those count too, at most a queue's worth.
	 */
	EXPECT_LE(after - before - 1, egate_camera_frames_dropped(self->camera) - dropped);
	EXPECT_GE(after - before - 1 + DEFAULT_BUFFERS,
		  egate_camera_frames_dropped(self->camera) - dropped);

	sleep(1);
	discarded = egate_camera_discard(self->camera);
	EXPECT_LT(3, discarded);
	EXPECT_EQ(0, wait_frame(self->camera, self->frame, 5000));
}

TEST_F(vivid, automatic_format_and_bounds)
{
	ASSERT_EQ(0, vivid_connect(self->capture, self->output));
	ASSERT_EQ(0, egate_camera_config_set_buffers(self->config, 3));
	ASSERT_EQ(0, egate_camera_open(self->capture, self->config, &self->camera,
				       self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	EXPECT_NE(0, egate_camera_pixel_format(self->camera));
	ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));
	EXPECT_EQ(VIVID_WIDTH, egate_frame_width(self->frame));
	egate_camera_free(self->camera);
	self->camera = NULL;

	/* vivid sends no MJPEG: refused, with the reason. */
	ASSERT_EQ(0, egate_camera_config_set_pixel_format(self->config, V4L2_PIX_FMT_MJPEG));
	EXPECT_EQ(-ENOTSUP, egate_camera_open(self->capture, self->config, &self->camera,
					      self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "the camera does not send MJPG")) TH_LOG("%s", self->err);

	/* The output node is no camera. */
	EXPECT_EQ(-ENOTSUP, egate_camera_open(self->output, self->config, &self->camera,
					      self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "not a V4L2 streaming video capture device"));
}

TEST_F(vivid, monitor_finds_by_selector)
{
	char node[64];

	ASSERT_EQ(0, egate_camera_monitor_new("auto", EGATE_UEVENT_KERNEL, &self->monitor,
					      NULL, 0));
	ASSERT_EQ(0, egate_camera_monitor_find(self->monitor, node, sizeof(node)));
	EXPECT_STREQ(self->capture, node);	/* the output node is not a camera */
	egate_camera_monitor_free(self->monitor);

	ASSERT_EQ(0, egate_camera_monitor_new("name:" VIVID_CAPTURE_NAME, EGATE_UEVENT_KERNEL,
					      &self->monitor, NULL, 0));
	ASSERT_EQ(0, egate_camera_monitor_find(self->monitor, node, sizeof(node)));
	EXPECT_STREQ(self->capture, node);
	egate_camera_monitor_free(self->monitor);

	ASSERT_EQ(0, egate_camera_monitor_new(self->capture, EGATE_UEVENT_KERNEL,
					      &self->monitor, NULL, 0));
	ASSERT_EQ(0, egate_camera_monitor_find(self->monitor, node, sizeof(node)));
	EXPECT_STREQ(self->capture, node);
	egate_camera_monitor_free(self->monitor);

	ASSERT_EQ(0, egate_camera_monitor_new("name:no-such-camera", EGATE_UEVENT_KERNEL,
					      &self->monitor, NULL, 0));
	EXPECT_EQ(-ENODEV, egate_camera_monitor_find(self->monitor, node, sizeof(node)));
	egate_camera_monitor_free(self->monitor);
	self->monitor = NULL;

	/* Two cameras: "auto" cannot choose. */
	ASSERT_EQ(0, vivid_unload());
	ASSERT_EQ(0, vivid_load(2));
	ASSERT_EQ(0, egate_camera_monitor_new("auto", EGATE_UEVENT_KERNEL, &self->monitor,
					      NULL, 0));
	EXPECT_EQ(-ENOTUNIQ, egate_camera_monitor_find(self->monitor, node, sizeof(node)));
}

/*
 * POLLERR with the camera still there is a question, not an unplug.  The
 * driver's own answer for a broken stream: vivid flags the queue in error
 * (vb2_queue_error(), as a driver does on a fatal streaming error), so poll
 * says POLLERR and DQBUF says EIO until the stream is restarted.  The
 * library must find that out, restart, and frames must flow again.  The
 * feeder starts only afterwards: the injected error hits every streaming
 * queue of the instance, its output too.
 */
static void open_and_break(struct __test_metadata *_metadata, FIXTURE_DATA(vivid) *self,
			   const char *extra_button)
{
	struct pollfd p;

	make_pattern(V4L2_PIX_FMT_YUYV, self->pattern);
	ASSERT_EQ(0, egate_camera_config_set_pixel_format(self->config, V4L2_PIX_FMT_YUYV));
	ASSERT_EQ(0, vivid_connect(self->capture, self->output));
	ASSERT_EQ(0, egate_camera_open(self->capture, self->config, &self->camera,
				       self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));

	if (extra_button)
		ASSERT_EQ(0, vivid_inject(self->capture, extra_button));
	ASSERT_EQ(0, vivid_inject(self->capture, "inject_fatal_streaming_error"));
	p = (struct pollfd){ .fd = egate_camera_fd(self->camera), .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 5000));
	ASSERT_TRUE(p.revents & POLLERR);
	EXPECT_FALSE(p.revents & POLLHUP);
	EXPECT_EQ(-EIO, egate_camera_read_latest(self->camera, self->frame));
	/* still in error: nothing has cleared it */
	ASSERT_EQ(1, poll(&p, 1, 5000));
	ASSERT_TRUE(p.revents & POLLERR);
}

TEST_F(vivid, poll_error_queue_error_restarts_stream)
{
	struct egate_camera_fault fault;

	open_and_break(_metadata, self, NULL);
	ASSERT_EQ(0, egate_camera_poll_error(self->camera, &fault)) TH_LOG("%s", fault.reason);
	EXPECT_EQ(EGATE_CAMERA_RESTARTED, fault.repair);
	EXPECT_NE(NULL, strstr(fault.reason, "queue in error")) TH_LOG("%s", fault.reason);
	EXPECT_FALSE(fault.poll_later);	/* the first error is handled at once */
	EXPECT_TRUE(fault.log);
	EXPECT_EQ(1, fault.errors);

	ASSERT_EQ(0, vivid_feeder_start(self->output, V4L2_PIX_FMT_YUYV, self->pattern,
					&self->feeder));
	assert_pattern_arrives(_metadata, self);
}

/*
 * Errors in a row, without a frame between them, are not handled at once:
 * the caller is told to poll again from its timer, and repairs back off.
 * The stream is broken again before every call, so none can see a frame.
 */
TEST_F(vivid, poll_errors_in_a_row_back_off)
{
	struct egate_camera_fault fault;
	uint64_t total;

	open_and_break(_metadata, self, NULL);
	ASSERT_EQ(0, egate_camera_poll_error(self->camera, &fault)) TH_LOG("%s", fault.reason);
	EXPECT_FALSE(fault.poll_later);
	for (unsigned int i = 2; i <= 4; i++) {
		ASSERT_EQ(0, vivid_inject(self->capture, "inject_fatal_streaming_error"));
		ASSERT_EQ(0, egate_camera_poll_error(self->camera, &fault))
			TH_LOG("%s", fault.reason);
		EXPECT_TRUE(fault.poll_later);
		EXPECT_EQ(i, fault.errors);
		EXPECT_NE(EGATE_CAMERA_NOTHING_WRONG, fault.repair) TH_LOG("%s", fault.reason);
	}
	/* As the agent's tick would: until the backoff lets a repair through. */
	for (int tick = 0; tick < 600 && fault.repair == EGATE_CAMERA_WAITING; tick++) {
		usleep(100000);
		ASSERT_EQ(0, egate_camera_poll_error(self->camera, &fault))
			TH_LOG("%s", fault.reason);
		EXPECT_TRUE(fault.poll_later);
	}
	ASSERT_NE(EGATE_CAMERA_WAITING, fault.repair);
	ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));

	/* a frame ended the run: the next error is a first one again */
	total = fault.total;
	ASSERT_EQ(0, vivid_inject(self->capture, "inject_fatal_streaming_error"));
	ASSERT_EQ(0, egate_camera_poll_error(self->camera, &fault)) TH_LOG("%s", fault.reason);
	EXPECT_EQ(EGATE_CAMERA_RESTARTED, fault.repair);
	EXPECT_FALSE(fault.poll_later);
	EXPECT_EQ(1, fault.errors);
	EXPECT_EQ(total + 1, fault.total);
	ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));
}

/* A stream that will not restart: the device is closed and opened again. */
TEST_F(vivid, poll_error_stream_wont_restart_reopens)
{
	struct egate_camera_fault fault;

	open_and_break(_metadata, self, "inject_vidioc_streamon_error");
	ASSERT_EQ(0, egate_camera_poll_error(self->camera, &fault)) TH_LOG("%s", fault.reason);
	EXPECT_EQ(EGATE_CAMERA_REOPENED, fault.repair);
	EXPECT_LE(0, egate_camera_fd(self->camera));
	EXPECT_STREQ(self->capture, egate_camera_devnode(self->camera));
	EXPECT_EQ(V4L2_PIX_FMT_YUYV, egate_camera_pixel_format(self->camera));

	ASSERT_EQ(0, vivid_feeder_start(self->output, V4L2_PIX_FMT_YUYV, self->pattern,
					&self->feeder));
	assert_pattern_arrives(_metadata, self);
}

/* Receives monitor events until one of type want arrives, or timeout. */
static int wait_event(struct egate_camera_monitor *monitor, enum egate_camera_event want,
		      char node[64], int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 100) {
		struct pollfd p = { .fd = egate_camera_monitor_fd(monitor), .events = POLLIN };
		enum egate_camera_event event;
		int r;

		if (poll(&p, 1, 100) < 0)
			return -errno;
		while ((r = egate_camera_monitor_receive(monitor, &event, node, 64)) == 0)
			if (event == want)
				return 0;
		if (r != -EAGAIN)
			return r;
	}
	return -ETIMEDOUT;
}

/*
 * Unplug while streaming: poll reports an error, the read says ENODEV, and
 * freeing the dead camera is clean; replug: the monitor reports the new
 * node and capture resumes from it.
 */
static void unplug_and_replug(struct __test_metadata *_metadata,
			      FIXTURE_DATA(vivid) *self, enum egate_uevent_source source)
{
	struct egate_camera_fault fault;
	struct pollfd p;
	char node[64];

	ASSERT_EQ(0, egate_camera_monitor_new("name:" VIVID_CAPTURE_NAME, source,
					      &self->monitor, self->err, sizeof(self->err)));
	ASSERT_EQ(0, start_loopback(self, V4L2_PIX_FMT_YUYV)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));

	ASSERT_EQ(0, vivid_unbind());
	p = (struct pollfd){ .fd = egate_camera_fd(self->camera), .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(p.revents & (POLLERR | POLLHUP));
	EXPECT_EQ(-ENODEV, egate_camera_read_latest(self->camera, self->frame));
	EXPECT_EQ(-ENODEV, egate_camera_discard(self->camera));
	EXPECT_EQ(-ENODEV, egate_camera_poll_error(self->camera, &fault));
	ASSERT_EQ(0, wait_event(self->monitor, EGATE_CAMERA_REMOVED, node, 5000));
	egate_camera_free(self->camera);
	self->camera = NULL;
	vivid_feeder_stop(self->feeder);
	self->feeder = NULL;
	EXPECT_EQ(-ENODEV, egate_camera_monitor_find(self->monitor, node, sizeof(node)));

	ASSERT_EQ(0, vivid_bind());
	ASSERT_EQ(0, wait_event(self->monitor, EGATE_CAMERA_ADDED, node, 10000));
	ASSERT_EQ(0, vivid_find_node(VIVID_CAPTURE_NAME, self->capture));
	ASSERT_EQ(0, vivid_find_node(VIVID_OUTPUT_NAME, self->output));
	EXPECT_STREQ(self->capture, node);
	ASSERT_EQ(0, start_loopback(self, V4L2_PIX_FMT_YUYV)) TH_LOG("%s", self->err);
	assert_pattern_arrives(_metadata, self);
}

TEST_F(vivid, unplug_and_replug_kernel_events)
{
	unplug_and_replug(_metadata, self, EGATE_UEVENT_KERNEL);
}

/* Ready once it answers on its control socket (udevadm balks in a chroot). */
static int wait_udevd_ready(void)
{
	for (int i = 0; i < 100; i++) {
		if (system("SYSTEMD_IGNORE_CHROOT=1 udevadm control --ping -t 1 2>/dev/null") == 0)
			return 0;
		usleep(100000);
	}
	return -ETIMEDOUT;
}

TEST_F(vivid, unplug_and_replug_udev_events)
{
	char node[64];

	if (access(UDEVD, X_OK) < 0)
		SKIP(return, "no " UDEVD);
	/* Our own child, not --daemon: the test stops exactly what it started. */
	self->udevd = fork();
	ASSERT_LE(0, self->udevd);
	if (self->udevd == 0) {
		execl(UDEVD, UDEVD, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(0, wait_udevd_ready());
	unplug_and_replug(_metadata, self, EGATE_UEVENT_UDEV);

	/* udevd sent the add event after writing its database: ID_PATH is there. */
	egate_camera_monitor_free(self->monitor);
	ASSERT_EQ(0, egate_camera_monitor_new("path:platform-vivid.0", EGATE_UEVENT_UDEV,
					      &self->monitor, NULL, 0));
	ASSERT_EQ(0, egate_camera_monitor_find(self->monitor, node, sizeof(node)));
	EXPECT_STREQ(self->capture, node);
}

/* --- the simulated depth camera ------------------------------------------ */

#define SEQ_FRAMES 3
#define DEPTH_READS 12

/* Whether NODE's format list (capture or output) has FOURCC. */
static bool has_format(const char *node, enum v4l2_buf_type type, uint32_t fourcc)
{
	struct v4l2_fmtdesc d = { .type = type };
	int fd = open(node, O_RDWR | O_CLOEXEC);
	bool found = false;

	for (; fd >= 0 && !found && ioctl(fd, VIDIOC_ENUM_FMT, &d) == 0; d.index++)
		found = d.pixelformat == fourcc;
	if (fd >= 0)
		close(fd);
	return found;
}

/* A 16-bit capture node, streaming by mmap, as a depth camera's. */
struct raw_capture {
	int fd;
	void *buffers[4];
	size_t lengths[4];
	unsigned int n;
};

static int raw_open(const char *node, struct raw_capture *c)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers req = {
		.count = 4, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	c->fd = open(node, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	fmt.fmt.pix.width = VIVID_WIDTH;
	fmt.fmt.pix.height = VIVID_HEIGHT;
	fmt.fmt.pix.pixelformat = VIVID_DEPTH_FOURCC;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (ioctl(c->fd, VIDIOC_S_FMT, &fmt) < 0)
		return -errno;
	if (fmt.fmt.pix.pixelformat != VIVID_DEPTH_FOURCC ||
	    fmt.fmt.pix.bytesperline != 2 * VIVID_WIDTH || fmt.fmt.pix.height != VIVID_HEIGHT)
		return -ERANGE;
	if (ioctl(c->fd, VIDIOC_REQBUFS, &req) < 0)
		return -errno;
	for (c->n = 0; c->n < req.count && c->n < 4; c->n++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP, .index = c->n,
		};

		if (ioctl(c->fd, VIDIOC_QUERYBUF, &buf) < 0)
			return -errno;
		c->buffers[c->n] = mmap(NULL, buf.length, PROT_READ, MAP_SHARED, c->fd,
					buf.m.offset);
		if (c->buffers[c->n] == MAP_FAILED)
			return -errno;
		c->lengths[c->n] = buf.length;
		if (ioctl(c->fd, VIDIOC_QBUF, &buf) < 0)
			return -errno;
	}
	return ioctl(c->fd, VIDIOC_STREAMON, &type) < 0 ? -errno : 0;
}

static void raw_close(struct raw_capture *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (c->fd < 0)
		return;
	ioctl(c->fd, VIDIOC_STREAMOFF, &type);
	for (unsigned int i = 0; i < c->n; i++)
		if (c->buffers[i] != MAP_FAILED)
			munmap(c->buffers[i], c->lengths[i]);
	close(c->fd);
	c->fd = -1;
}

/* The next frame: which of SEQ's depth frames it is byte for byte, -1 none. */
static int raw_next(struct raw_capture *c, const struct sim_seq *seq)
{
	struct v4l2_buffer buf = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP };
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int which = -1;

	if (poll(&p, 1, 5000) != 1 || ioctl(c->fd, VIDIOC_DQBUF, &buf) < 0)
		return -2;
	for (unsigned int i = 0; i < seq->n && buf.bytesused == SIM_SEQ_Z16_BYTES; i++)
		if (!memcmp(c->buffers[buf.index], seq->z16[i], SIM_SEQ_Z16_BYTES))
			which = i;
	return ioctl(c->fd, VIDIOC_QBUF, &buf) < 0 ? -2 : which;
}

/* SEQ_FRAMES frames, colour and depth, every depth value different, high
 * bytes too (an endianness or a byte swap shows) */
static struct sim_seq *make_seq(void)
{
	struct sim_seq *seq = calloc(1, sizeof(*seq));

	seq->rgb = calloc(SEQ_FRAMES, sizeof(*seq->rgb));
	seq->z16 = calloc(SEQ_FRAMES, sizeof(*seq->z16));
	for (unsigned int f = 0; f < SEQ_FRAMES; f++, seq->n++) {
		seq->rgb[f] = malloc(SIM_SEQ_RGB_BYTES);
		seq->z16[f] = malloc(SIM_SEQ_Z16_BYTES);
		for (unsigned int i = 0; i < SIM_SEQ_RGB_BYTES; i++)
			seq->rgb[f][i] = (uint8_t)(i * 7 + f * 50);
		for (unsigned int i = 0; i < VIVID_WIDTH * VIVID_HEIGHT; i++) {
			uint16_t z = (uint16_t)(400 + 1000 * f + (i % 977) * 61);

			seq->z16[f][2 * i] = z & 0xff;
			seq->z16[f][2 * i + 1] = z >> 8;
		}
	}
	return seq;
}

TEST_F(vivid, depth_node_y16_loops_a_sequence_byte_for_byte)
{
	char depth_capture[64], depth_output[64];
	struct raw_capture raw = { .fd = -1 };
	struct sim_seq *seq = self->seq = make_seq();
	unsigned int seen[SEQ_FRAMES] = { 0 }, matched = 0, distinct = 0;
	int which = -1;

	ASSERT_EQ(0, vivid_unload());
	ASSERT_EQ(0, vivid_load(2));
	ASSERT_EQ(0, vivid_find_node(VIVID_CAPTURE_NAME, self->capture));
	ASSERT_EQ(0, vivid_find_node(VIVID_OUTPUT_NAME, self->output));
	ASSERT_EQ(0, vivid_find_node(VIVID_DEPTH_CAPTURE_NAME, depth_capture));
	ASSERT_EQ(0, vivid_find_node(VIVID_DEPTH_OUTPUT_NAME, depth_output));
	/* vivid has no Z16; Y16 both ways */
	EXPECT_TRUE(has_format(depth_capture, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_PIX_FMT_Y16));
	EXPECT_TRUE(has_format(depth_output, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_PIX_FMT_Y16));
	TH_LOG("vivid offers Z16: %s",
	       has_format(depth_capture, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_PIX_FMT_Z16) ?
	       "yes" : "no");

	/* colour on instance 0 (RGB24), depth on instance 1 (Y16), one player */
	ASSERT_EQ(0, start_loopback(self, V4L2_PIX_FMT_RGB24)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, vivid_connect(depth_capture, depth_output));
	ASSERT_EQ(0, raw_open(depth_capture, &raw));
	ASSERT_EQ(0, vivid_feeder_start(depth_output, VIVID_DEPTH_FOURCC, seq->z16[0],
					&self->depth));
	ASSERT_EQ(0, sim_seq_play(seq, self->feeder, self->depth, &self->player));

	/* the first frames may predate the loop; from the first match on, every
	 * frame is one of the sequence's, byte for byte */
	for (int i = 0; i < 100 && which < 0; i++) {
		which = raw_next(&raw, seq);
		ASSERT_NE(-2, which);
	}
	ASSERT_LE(0, which) TH_LOG("no depth frame of the sequence came out");
	for (matched = 0; matched < DEPTH_READS; matched++) {
		which = raw_next(&raw, seq);
		ASSERT_LE(0, which) TH_LOG("depth frame %u is none of the sequence's", matched);
		distinct += !seen[which]++;
		usleep(1000000 / SIM_SEQ_FPS);
	}
	EXPECT_LE(2, distinct) TH_LOG("the sequence does not play");

	/* the colour node, through the capture library: the sequence's colours */
	for (int i = 0; i < 5; i++) {
		bool found = false;

		ASSERT_EQ(0, wait_frame(self->camera, self->frame, 5000));
		for (unsigned int f = 0; f < seq->n; f++)
			found |= !memcmp(egate_frame_data(self->frame), seq->rgb[f],
					 SIM_SEQ_RGB_BYTES);
		EXPECT_TRUE(found || i == 0);	/* the first may be a leftover */
	}
	raw_close(&raw);
}

TEST_HARNESS_MAIN
