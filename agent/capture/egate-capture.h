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

#include <stdbool.h>
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
/*
 * What the camera sends: V4L2_PIX_FMT_YUYV, _MJPEG, _RGB24, or 0 (auto):
 * frames are converted to RGB24.  Or a depth camera's V4L2_PIX_FMT_Z16 or
 * _Y16 (16 bits a pixel, little-endian; Z16: millimetres): frames keep
 * those 16 bits unconverted (egate_frame_depth()).
 */
int egate_camera_config_set_pixel_format(struct egate_camera_config *config,
					 uint32_t fourcc);

/* --- a frame, owned by the caller ----------------------------------------- */

struct egate_frame;

int egate_frame_new(struct egate_frame **ret);
void egate_frame_free(struct egate_frame *frame);
/* RGB24: 3 bytes per pixel, rows stride bytes apart (a 16-bit frame: 2 bytes). */
const uint8_t *egate_frame_data(const struct egate_frame *frame);
/*
 * A Z16 or Y16 camera's frame: its 16-bit pixels as sent, rows stride bytes
 * apart (stride / 2 elements); NULL for an RGB24 frame.
 */
const uint16_t *egate_frame_depth(const struct egate_frame *frame);
unsigned int egate_frame_width(const struct egate_frame *frame);
unsigned int egate_frame_height(const struct egate_frame *frame);
unsigned int egate_frame_stride(const struct egate_frame *frame);
/*
 * The capture time, CLOCK_MONOTONIC nanoseconds, never before the previous
 * frame's: the driver's timestamp (UVC cameras, vivid), or the time the
 * frame was read when the driver's is not monotonic, zero or going back.
 * And the driver's frame counter.
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

/*
 * Readable (POLLIN) when a frame is ready.  POLLERR means "ask": the camera
 * may be gone, or its stream in trouble, or nothing at all may be wrong
 * (see egate_camera_poll_error()).  The descriptor changes when the camera
 * is reopened: take it again before every poll.
 */
int egate_camera_fd(const struct egate_camera *camera);
const char *egate_camera_devnode(const struct egate_camera *camera);
unsigned int egate_camera_width(const struct egate_camera *camera);
unsigned int egate_camera_height(const struct egate_camera *camera);
/* The V4L2 fourcc the camera sends, before conversion to RGB24 (Z16, Y16: none). */
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

/*
 * A poll of the camera ended in POLLERR or POLLHUP (or failed).  That alone
 * is no unplug: V4L2 drivers answer POLLERR when their queue is flagged in
 * error, when the stream stopped or has no buffer queued, and videobuf2's
 * poll helper also answers it when a signal (or io_uring's task-work
 * notification) interrupts its wait for the device's lock, with nothing
 * wrong at all.  egate_camera_poll_error() works out which, from the
 * driver's answers to QUERYBUF and DQBUF, and repairs it: queues lost
 * buffers again, restarts the stream, or closes and reopens the device.
 *
 * Bounded: the first error after a frame is handled at once; while errors
 * follow one another without a frame in between, repairs back off (100 ms
 * doubling to 5 s, escalating from restart to reopen) and the caller is
 * told to poll again only from a timer (poll_later), never at once.
 *
 * Returns 0 (poll again; read first unless poll_later: a frame may be
 * ready), -ENODEV (the camera is gone: free it), or another negative errno
 * (it was reopened and that failed: free it; fault->reason says why).
 */
enum egate_camera_repair {
	EGATE_CAMERA_NOTHING_WRONG,	/* the stream is fine: a spurious POLLERR */
	EGATE_CAMERA_REQUEUED,		/* buffers missing from the driver's queue: queued */
	EGATE_CAMERA_RESTARTED,		/* stream stopped or in error: STREAMOFF/STREAMON */
	EGATE_CAMERA_REOPENED,		/* the stream would not restart: device reopened */
	EGATE_CAMERA_WAITING,		/* too soon to try again (backing off) */
};

struct egate_camera_fault {
	enum egate_camera_repair repair;
	bool poll_later;	/* several errors in a row: poll again from a timer */
	bool log;		/* worth a log line (the first of a run, or rarely) */
	unsigned int errors;	/* poll errors in a row, without a frame between */
	uint64_t total;		/* poll errors since the camera was opened */
	char reason[128];	/* what the driver said was wrong, for the log */
};

int egate_camera_poll_error(struct egate_camera *camera, struct egate_camera_fault *fault);
const char *egate_camera_repair_name(enum egate_camera_repair repair);

/* --- finding the camera --------------------------------------------------- */

/*
 * A selector names the lane's camera among the V4L2 streaming capture
 * devices:
 *   auto          the only one there is (-ENOTUNIQ if there are several)
 *   /dev/...      a device node or a symlink to one (/dev/v4l/by-path/...)
 *   name:NAME     the V4L2 device name (/sys/class/video4linux/videoN/name)
 *   path:ID_PATH  udev's ID_PATH, as in /dev/v4l/by-path (needs udevd)
 */
/*
 * Which camera serves a lane can also come from udev: an administrator's
 * rule sets the property EGATE_CAMERA, a selector, on the lane device
 * (subsystem "egate", /dev/egateN); udevd keeps it in its database, which
 * libudev reads (without udevd there is none).  For example:
 *   SUBSYSTEM=="egate", KERNEL=="egate0", ENV{EGATE_CAMERA}="path:pci-0000:00:14.0-usb-0:1:1.0"
 * 0 with the selector, -ENOENT when the lane has no such property, -EINVAL
 * (err says why) when it is no valid selector; the first takes the lane's
 * name ("egate0": -ENODEV if there is no such device).
 */
#define EGATE_CAMERA_UDEV_PROPERTY "EGATE_CAMERA"
struct udev_device;
int egate_camera_lane_selector(const char *lane_device, char *selector, size_t size,
			       char *err, size_t err_size);
int egate_camera_selector_from_udev(struct udev_device *lane, char *selector, size_t size,
				    char *err, size_t err_size);
/* The lane's depth camera (a second V4L2 node sending Z16 or Y16), likewise. */
#define EGATE_DEPTH_CAMERA_UDEV_PROPERTY "EGATE_DEPTH_CAMERA"
/* The same for any property naming a camera selector. */
int egate_camera_lane_property(const char *lane_device, const char *property, char *selector,
			       size_t size, char *err, size_t err_size);
int egate_camera_property_from_udev(struct udev_device *lane, const char *property,
				    char *selector, size_t size, char *err, size_t err_size);

enum egate_uevent_source {
	EGATE_UEVENT_UDEV,	/* events after udevd processed them */
	EGATE_UEVENT_KERNEL,	/* the kernel's own events: no udevd needed */
};

enum egate_camera_event {
	EGATE_CAMERA_ADDED,	/* a camera the selector matches appeared */
	EGATE_CAMERA_REMOVED,	/* a video4linux device went (any) */
	/*
	 * Another video4linux device appeared, or a matching one that would
	 * not open yet: the kernel announces a V4L2 node a moment before it
	 * can be opened, so a caller still without a camera should _find()
	 * again now (a camera's nodes come one after the other).
	 */
	EGATE_CAMERA_OTHER,
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
