/* SPDX-License-Identifier: GPL-2.0 */
/*
 * worker.h - the face worker: one thread that runs the face engine on the
 * newest frame (detect, landmarks, quality, descriptor, 1:N search) while
 * the loop goes on.  The loop hands it a frame only when it is idle (frames
 * that arrive meanwhile are dropped, never queued) and learns that a result
 * is ready from an eventfd.
 *
 * The traveller's face is the one face in the capture zone: its box's
 * centre inside the zone and the box at least min_face_px wide.  Faces
 * outside it, or smaller, are the queue behind and are not reported; two
 * faces in it are a crowd (n_faces counts them) and are not described.
 */
#ifndef EGATE_AGENT_WORKER_H
#define EGATE_AGENT_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "egate-capture.h"
#include "egate-face.h"
#include "policy.h"

#define WORKER_MAX_FACES 16	/* faces looked at per frame, the likeliest first */

/* The capture zone, in fractions of the frame's width and height. */
struct worker_zone {
	double left, top, right, bottom;	/* 0 <= left < right <= 1, same for y */
	unsigned int min_face_px;
};
/* The whole frame, any face size. */
#define WORKER_ZONE_ALL ((const struct worker_zone) { .right = 1, .bottom = 1 })

/* Where the time of one frame went, CLOCK_MONOTONIC nanoseconds. */
struct worker_timing {
	uint64_t captured;	/* the driver's capture timestamp */
	uint64_t started;	/* the worker took the frame */
	uint64_t detected;
	uint64_t landmarked;	/* landmarks and quality */
	uint64_t described;
	uint64_t searched;	/* result ready */
};

struct worker_result {
	struct policy_frame frame;
	/* the traveller's landmarks (one face in the zone, landmarked), for PAD */
	bool landmarked;
	struct egate_face_landmarks lm;
	uint32_t width, height;	/* the frame's */
	struct worker_timing timing;
	int error;		/* negative errno of the engine, 0 */
};

struct worker;

/*
 * Takes ownership of neither: engine and gallery must outlive the worker.
 * Its capture zone is the whole frame, any face size, until set.
 */
int worker_new(const struct egate_face_engine *engine, unsigned int input_size,
	       unsigned int threads, struct worker **ret);
void worker_free(struct worker *w);
/* For the frames started from now on. */
void worker_set_zone(struct worker *w, const struct worker_zone *zone);
/* Readable (eventfd) when a result is ready. */
int worker_fd(const struct worker *w);
/* The frame to fill while the worker is idle; NULL while it is busy. */
struct egate_frame *worker_idle_frame(struct worker *w);
/* Starts work on the frame just filled; the gallery must stay until done. */
void worker_start(struct worker *w, const struct egate_face_gallery *gallery);
/* The finished result: -EAGAIN while the worker is busy. */
int worker_take_result(struct worker *w, struct worker_result *ret);
bool worker_busy(struct worker *w);

/*
 * What the worker does with one frame, in the caller's thread (tests,
 * bench).  The worker thread also counts the frames the engine failed on
 * into the next result's frame.failed_before.
 */
void worker_look(struct egate_face_engine *e, unsigned int input_size,
		 const struct worker_zone *zone, const struct egate_face_image *img,
		 const struct egate_face_gallery *gallery, uint64_t captured_ns,
		 struct worker_result *r);

#endif
