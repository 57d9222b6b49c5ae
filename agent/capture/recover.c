// SPDX-License-Identifier: GPL-2.0
/*
 * recover.c - what a POLLERR on the camera means, and putting it right.
 *
 * videobuf2, under nearly every V4L2 capture driver (UVC, vivid), answers
 * a poll with EPOLLERR when the queue is not streaming, when the driver
 * flagged it in error (vb2_queue_error()), when a capture queue has had no
 * buffer queued since STREAMON, and -- vb2_fop_poll() -- whenever its
 * mutex_lock_interruptible() on the device's lock is interrupted.  That
 * last one needs nothing to be wrong: a signal, or io_uring's task-work
 * notification (TIF_NOTIFY_SIGNAL, set when another of the ring's requests
 * completes), arriving while another thread holds the lock is enough.
 * vivid's frame thread holds that lock for every frame it makes, for
 * milliseconds under emulation.  An unplug answers EPOLLERR | EPOLLHUP and
 * ENODEV to every ioctl.
 *
 * So a POLLERR is a question, and the driver answers it here: QUERYBUF on
 * every buffer (who holds it), then one non-blocking DQBUF (EIO: queue in
 * error; EINVAL: not streaming; EPIPE: the last buffer; EAGAIN or a frame:
 * the stream is fine).  Repairs escalate while errors keep coming without
 * a frame between them: queue lost buffers, restart the stream, reopen the
 * device; each run backs off, so a camera that stays broken costs a few
 * ioctls per timer tick, never a busy loop.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capture-internal.h"

#define BACKOFF_MIN_NS 100000000ull	/* the agent's tick */
#define BACKOFF_MAX_NS 5000000000ull
/* Errors in a row that look like nothing: restart the stream anyway... */
#define RESTART_AFTER 3
/* ...and when restarting did not bring a frame back, reopen the device. */
#define REOPEN_AFTER 5

static bool power_of_two(uint64_t n)
{
	return n && !(n & (n - 1));
}

const char *egate_camera_repair_name(enum egate_camera_repair repair)
{
	switch (repair) {
	case EGATE_CAMERA_NOTHING_WRONG:
		return "the stream is fine";
	case EGATE_CAMERA_REQUEUED:
		return "buffers queued again";
	case EGATE_CAMERA_RESTARTED:
		return "streaming restarted";
	case EGATE_CAMERA_REOPENED:
		return "device reopened";
	case EGATE_CAMERA_WAITING:
		return "waiting to try again";
	}
	return "?";
}

/*
 * Buffers neither queued nor done are ours; between calls we hold none
 * (but the one kept in camera->held), so any such buffer was lost: queue
 * it again.  Returns how many, or a negative errno (-ENODEV: gone).
 */
static int requeue_lost(struct egate_camera *camera)
{
	int lost = 0;

	for (unsigned int i = 0; i < camera->n_buffers; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};
		int r;

		if (camera->holding && camera->held.index == i)
			continue;
		r = camera_ioctl(camera, VIDIOC_QUERYBUF, &buf);
		if (r < 0)
			return r;
		if (buf.flags & (V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE))
			continue;
		buf = (struct v4l2_buffer){
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};
		r = camera_ioctl(camera, VIDIOC_QBUF, &buf);
		if (r < 0)
			return r;
		lost++;
	}
	return lost;
}

/*
 * One DQBUF: 0 when the stream is fine (a good frame is kept for the next
 * read), or the driver's error, with what it means in reason.
 */
static int probe_stream(struct egate_camera *camera, char *reason, size_t size)
{
	struct v4l2_buffer buf = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int r;

	if (camera->holding)
		return 0;	/* a frame came out a moment ago */
	r = camera_ioctl(camera, VIDIOC_DQBUF, &buf);
	switch (r) {
	case 0:
		break;
	case -EAGAIN:
		return 0;	/* streaming, no error, no frame yet */
	case -EIO:
		snprintf(reason, size, "the driver flagged its queue in error");
		return r;
	case -EINVAL:
		snprintf(reason, size, "the stream has stopped");
		return r;
	case -EPIPE:
		snprintf(reason, size, "the stream has ended (last buffer)");
		return r;
	default:
		snprintf(reason, size, "dequeuing failed: %s", strerror(-r));
		return r;
	}
	if (buf.index >= camera->n_buffers) {
		snprintf(reason, size, "the driver returned buffer %u of %u", buf.index,
			 camera->n_buffers);
		return -EIO;
	}
	camera->errors = 0;
	if ((buf.flags & V4L2_BUF_FLAG_ERROR) || !buf.bytesused ||
	    buf.bytesused > camera->buffers[buf.index].length) {
		struct v4l2_buffer again = { .type = buf.type, .memory = buf.memory,
					     .index = buf.index };

		camera->dropped++;
		return camera_ioctl(camera, VIDIOC_QBUF, &again);
	}
	camera->held = buf;
	camera->holding = true;
	return 0;
}

/* STREAMOFF hands every buffer back and clears the queue's error. */
static int restart_stream(struct egate_camera *camera)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int r;

	camera->holding = false;
	r = camera_ioctl(camera, VIDIOC_STREAMOFF, &type);
	if (r < 0)
		return r;
	camera->streaming = false;
	camera->sequence_known = false;	/* the driver counts from 0 again */
	for (unsigned int i = 0; i < camera->n_buffers; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		r = camera_ioctl(camera, VIDIOC_QBUF, &buf);
		if (r < 0)
			return r;
	}
	r = camera_ioctl(camera, VIDIOC_STREAMON, &type);
	if (r < 0)
		return r;
	camera->streaming = true;
	return 0;
}

/* Restart, and when the stream will not restart, reopen the device. */
static int restart_or_reopen(struct egate_camera *camera, bool reopen,
			     struct egate_camera_fault *fault)
{
	char msg[EGATE_ERRMSG_MAX] = "";
	size_t len;
	int r;

	if (!reopen) {
		r = restart_stream(camera);
		if (r == 0) {
			fault->repair = EGATE_CAMERA_RESTARTED;
			return 0;
		}
		if (r == -ENODEV)
			return r;
	}
	r = camera_reopen(camera, msg, sizeof(msg));
	if (r == 0) {
		fault->repair = EGATE_CAMERA_REOPENED;
		return 0;
	}
	len = strlen(fault->reason);
	snprintf(fault->reason + len, sizeof(fault->reason) - len, "; reopening failed: %s",
		 *msg ? msg : strerror(-r));
	return r;
}

/* Looks, then repairs what it found; escalates with the run of errors. */
static int diagnose_and_repair(struct egate_camera *camera, struct egate_camera_fault *fault)
{
	/* Restarts that did not bring a frame back: reopen instead. */
	bool reopen = camera->errors >= REOPEN_AFTER;
	int lost, r;

	if (camera->fd < 0)
		return restart_or_reopen(camera, true, fault);
	lost = requeue_lost(camera);
	if (lost == -ENODEV)
		return lost;
	if (lost < 0) {
		snprintf(fault->reason, sizeof(fault->reason), "querying buffers failed: %s",
			 strerror(-lost));
		return restart_or_reopen(camera, reopen, fault);
	}
	r = probe_stream(camera, fault->reason, sizeof(fault->reason));
	if (r == -ENODEV)
		return r;
	if (r < 0)
		return restart_or_reopen(camera, reopen, fault);
	if (lost) {
		snprintf(fault->reason, sizeof(fault->reason),
			 "%d of %u buffers were not queued", lost, camera->n_buffers);
		fault->repair = EGATE_CAMERA_REQUEUED;
		return 0;
	}
	if (camera->errors >= RESTART_AFTER) {
		/* Nothing to see, yet no frame comes: try harder. */
		snprintf(fault->reason, sizeof(fault->reason),
			 "%u poll errors in a row without a frame", camera->errors);
		return restart_or_reopen(camera, reopen, fault);
	}
	snprintf(fault->reason, sizeof(fault->reason),
		 "nothing wrong (the driver's poll was interrupted, most likely)");
	camera->spurious++;
	fault->repair = EGATE_CAMERA_NOTHING_WRONG;
	return 0;
}

int egate_camera_poll_error(struct egate_camera *camera, struct egate_camera_fault *fault)
{
	uint64_t now = monotonic_ns(), backoff;
	int r;

	assert(camera);
	assert(fault);
	*fault = (struct egate_camera_fault){ .repair = EGATE_CAMERA_WAITING };
	camera->errors++;
	camera->poll_errors++;
	fault->errors = camera->errors;
	fault->total = camera->poll_errors;
	/* The first error after a frame is looked at at once, later ones back off. */
	fault->poll_later = camera->errors > 1;
	if (camera->errors > 1 && now < camera->next_repair_ns) {
		snprintf(fault->reason, sizeof(fault->reason), "%u poll errors in a row",
			 camera->errors);
		return 0;
	}

	r = diagnose_and_repair(camera, fault);
	if (r == -ENODEV) {
		snprintf(fault->reason, sizeof(fault->reason), "the device is gone");
		return r;
	}

	if (camera->holding)
		fault->poll_later = false;	/* a frame is there: no loop without progress */
	/* fault->errors: the probe may have ended the run since (a frame came). */
	backoff = BACKOFF_MIN_NS << (fault->errors < 7 ? fault->errors - 1 : 6);
	camera->next_repair_ns = now + (backoff < BACKOFF_MAX_NS ? backoff : BACKOFF_MAX_NS);
	/*
	 * One line per run of errors, not one per poll; streams that keep
	 * being interrupted harmlessly are logged ever more rarely.
	 */
	if (fault->repair == EGATE_CAMERA_NOTHING_WRONG)
		fault->log = fault->errors == 1 && power_of_two(camera->spurious);
	else
		fault->log = r < 0 || power_of_two(fault->errors);
	return r;
}
