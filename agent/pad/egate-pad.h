/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-pad.h - presentation-attack detection (ISO/IEC 30107): is the face in
 * front of the lane's cameras a live head, or a print, a screen, a print with
 * the eyes cut out?  Documentation/pad.md explains the measures and where
 * their thresholds (thresholds.h) come from.
 *
 * Two modes, for the two camera set-ups of a kiosk:
 *  - depth: a depth image (Z16, millimetres) registered to the colour
 *    image; the face's shape decides (a nose standing out of the
 *    brow-mouth plane, a surface no quadric explains).  The strong one.
 *  - colour: landmark tracks over several frames; a flat object moves by a
 *    homography, a head's nose and contour show parallax.  Blinks are
 *    measured too.  Weaker: a screen replaying a video of a moving head
 *    shows the parallax of the recorded head.
 *
 * Conventions of libgpiod v2 and systemd: an opaque object from
 * egate_pad_new(), freed by egate_pad_free() (NULL accepted); negative errno
 * on failure (-EINVAL bad argument, -E2BIG a size over a limit, -ENOMEM).
 * One object follows one traveller's presentation; egate_pad_reset() starts
 * the next.  Not thread-safe; one object per lane.
 */
#ifndef EGATE_PAD_H
#define EGATE_PAD_H

#include <stdint.h>

#include "egate-face.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits on what a caller passes. */
#define EGATE_PAD_MAX_FRAMES	256	/* params.max_frames */
#define EGATE_PAD_MAX_DEPTH_DIM	2048	/* depth crop width or height */

enum egate_pad_mode {
	EGATE_PAD_COLOUR = 1,
	EGATE_PAD_DEPTH = 2,
};

enum egate_pad_verdict {
	EGATE_PAD_UNDECIDED = 0,	/* not enough evidence yet: feed more frames */
	EGATE_PAD_BONA_FIDE = 1,
	EGATE_PAD_ATTACK = 2,
};

/* Every field 0 takes the default of thresholds.h. */
struct egate_pad_params {
	uint32_t min_frames;	/* colour: frames before any verdict */
	uint32_t max_frames;	/* frames after which the evidence decides as it is */
	uint32_t depth_frames;	/* depth: depth frames whose median decides */
	double focal;		/* colour camera focal length, pixels (0: image's longer side) */
	double min_motion_deg;	/* colour: head rotation that makes parallax evidence */
	double parallax;	/* colour: threshold on the parallax score */
	double relief_mm;	/* depth: threshold on the nose relief */
	double quadric_mm;	/* depth: threshold on the quadric fit's residual */
	int require_blink;	/* colour: 1 also requires a blink (default 0) */
};

/* A depth image registered to the colour image: pixel (u, v) of the crop is
 * pixel (x0 + u, y0 + v) of the colour frame, seen by a pinhole camera with
 * the colour camera's intrinsics (what a D4xx "aligned depth" stream is). */
struct egate_pad_depth {
	const uint16_t *z;	/* millimetres, 0 = no measurement */
	uint32_t width, height;
	uint32_t stride;	/* elements (not bytes) per row, >= width */
	int32_t x0, y0;		/* crop origin in the colour frame, pixels */
	double fx, fy, cx, cy;	/* intrinsics, colour frame pixels */
};

struct egate_pad_frame {
	const struct egate_face_landmarks *lm;	/* the face, colour frame pixels */
	uint32_t width, height;			/* colour frame size */
	const struct egate_pad_depth *depth;	/* NULL: no depth with this frame */
};

/* What the verdict is made of (NaN where not measured yet). */
struct egate_pad_scores {
	uint32_t frames;	/* frames fed */
	uint32_t depth_frames;	/* of them with a usable depth crop */
	double motion_deg;	/* largest head rotation seen against the first frame */
	/* colour: RMS homography residual over the eye distance (x100) of the
	 * frames turned by min_motion_deg from the first, beyond that of
	 * consecutive frames (the landmarks' jitter) */
	double parallax;
	double blink;		/* smallest eye aspect ratio / open-eye ratio */
	uint32_t blinks;	/* blinks seen */
	double plane_mm;	/* depth: RMS residual of a plane fit to the face */
	double quadric_mm;	/* depth: RMS residual of a quadric fit beyond the sensor noise */
	double relief_mm;	/* depth: nose tip in front of the brow-mouth plane */
	double score;		/* the mode's score: >= 1 bona fide, < 1 attack */
};

struct egate_pad;

int egate_pad_new(enum egate_pad_mode mode, const struct egate_pad_params *params,
		  struct egate_pad **out);
void egate_pad_free(struct egate_pad *pad);
/* Forgets the frames: the next presentation. */
void egate_pad_reset(struct egate_pad *pad);

/* Adds one frame; returns the verdict so far (enum egate_pad_verdict) or a
 * negative errno (-EINVAL: no landmarks, a landmark not finite, a zero
 * frame size; the frame is then not counted).  Once decided the verdict stays until egate_pad_reset();
 * further frames are ignored. */
int egate_pad_feed(struct egate_pad *pad, const struct egate_pad_frame *frame);

/* The verdict so far and (SCORES may be NULL) its scores. */
enum egate_pad_verdict egate_pad_verdict(const struct egate_pad *pad,
					 struct egate_pad_scores *scores);

const char *egate_pad_verdict_name(enum egate_pad_verdict v);
const char *egate_pad_mode_name(enum egate_pad_mode m);

#ifdef __cplusplus
}
#endif
#endif
