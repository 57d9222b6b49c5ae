/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pad-check.h - presentation-attack detection beside the policy: the
 * policy says who the face is, PAD (egate-pad.h) whether it is a live head.
 * Pure, like the policy: no I/O, no clock but the frames' and the cost of
 * PAD itself, so that it is tested on the host with synthetic tracks.
 *
 * One PAD object per lane follows the policy's session (policy.h): when the
 * policy starts a new session PAD starts afresh.  Every processed frame
 * with the traveller's landmarks is fed to PAD (with its depth crop in
 * depth mode) until PAD decides, at the latest after its max_frames
 * (PAD_MAX_FRAMES, 60) such frames.  Then:
 *  - the policy's ADMIT is held until PAD says bona fide: the two run side
 *    by side, neither waits for the other to start;
 *  - PAD's attack, in a session the policy has not denied, is a DENY with
 *    reason "presentation_attack" (a held ADMIT is dropped), given once;
 *  - the policy's own DENY and ONE_AT_A_TIME pass unchanged.
 * A decided session (admitted or denied) stays so until the policy ends it.
 */
#ifndef EGATE_AGENT_PAD_CHECK_H
#define EGATE_AGENT_PAD_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "egate-pad.h"
#include "egate-store.h"
#include "policy.h"

#define PAD_CHECK_REASON "presentation_attack"

/* What PAD gets of one processed frame. */
struct pad_input {
	const struct egate_face_landmarks *lm;	/* NULL: no traveller's landmarks */
	uint32_t width, height;			/* the colour frame */
	const struct egate_pad_depth *depth;	/* NULL: no depth with this frame */
	uint64_t time_ns;			/* capture time */
};

struct pad_check {
	struct egate_pad *pad;		/* NULL: pad.mode=off, verdicts pass */
	enum egate_pad_mode mode;
	uint64_t session;		/* the policy session PAD follows */
	bool held;			/* the policy's ADMIT waits for PAD */
	bool attacked;			/* this session was denied as an attack */
	struct policy_decision admit;	/* the held ADMIT */
	uint64_t first_ns, last_ns;	/* capture times of PAD's first and last frame */
	uint64_t feed_ns;		/* time spent in egate_pad_feed, this session */
	uint32_t errors;		/* frames PAD refused (-EINVAL), this session */
	/* The audit detail of the last verdict, Documentation/pad.md "Audit". */
	char detail[EGATE_AUDIT_TEXT_MAX + 1];
};

/* MODE 0: off.  PARAMS NULL: thresholds.h. */
int pad_check_init(struct pad_check *pc, enum egate_pad_mode mode,
		   const struct egate_pad_params *params);
void pad_check_done(struct pad_check *pc);

/*
 * After policy_feed() (verdict V, decision D) on the same frame: the
 * verdict to act on, D updated.  An attack DENY sets d->reason to
 * PAD_CHECK_REASON; both an attack and a released ADMIT point d->detail
 * at pc->detail (the PAD scores and timings).
 */
enum policy_verdict pad_check_decide(struct pad_check *pc, struct policy *p,
				     const struct pad_input *in, enum policy_verdict v,
				     struct policy_decision *d);

/*
 * A depth camera's image registered into the colour frame's grid
 * (Documentation/pad.md, Calibration): depth pixel (u, v) lies at colour
 * pixel (offset_x + scale u, offset_y + scale v); the colour camera's focal
 * length focal (0: the frame's longer side), principal point at its centre.
 */
struct pad_registration {
	double offset_x, offset_y, scale, focal;
};

/* A depth camera's frame: millimetres, 0 = no measurement. */
struct pad_depth_image {
	const uint16_t *z;
	uint32_t width, height, stride;		/* stride: elements per row */
};

/*
 * The depth over the face of LM (its landmarks' box and a quarter of it
 * around, within the colour frame WIDTH x HEIGHT), resampled nearest-
 * neighbour into *BUF (grown as needed, *BUF_SIZE elements; the caller
 * frees it) and described in OUT.  -EINVAL: no face box in the frame,
 * -E2BIG: a box over EGATE_PAD_MAX_DEPTH_DIM, -ENOMEM.
 */
int pad_register_depth(const struct pad_registration *reg, const struct pad_depth_image *img,
		       const struct egate_face_landmarks *lm, uint32_t width, uint32_t height,
		       uint16_t **buf, size_t *buf_size, struct egate_pad_depth *out);

/* PAD's verdict in the current session, and its scores (may be NULL). */
enum egate_pad_verdict pad_check_verdict(const struct pad_check *pc,
					 struct egate_pad_scores *scores);

#endif
