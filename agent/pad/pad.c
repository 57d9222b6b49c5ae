// SPDX-License-Identifier: GPL-2.0
/*
 * pad.c - the presentation-attack verdict of one presentation: gathers the
 * measures of colour.c and depth.c frame by frame and decides once there is
 * enough evidence, or when the frames run out.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pad-internal.h"
#include "thresholds.h"

struct egate_pad {
	enum egate_pad_mode mode;
	struct egate_pad_params p;
	enum egate_pad_verdict verdict;
	uint32_t frames;
	/* colour */
	int have_first;
	struct egate_face_landmarks first, prev;
	struct egate_face_pose first_pose;
	double motion_max;
	double parallax_ss;	/* squared parallax against the first frame, moved frames */
	uint32_t parallax_n;
	double jitter_ss;	/* squared parallax between consecutive frames: the noise */
	uint32_t jitter_n;
	double ear[EGATE_PAD_MAX_FRAMES];
	/* depth, one entry per usable depth frame */
	uint32_t n_depth;
	double plane[EGATE_PAD_MAX_FRAMES], quadric[EGATE_PAD_MAX_FRAMES];
	double relief[EGATE_PAD_MAX_FRAMES];
};

#define DEFAULT(field, value) do { if (!p.field) p.field = (value); } while (0)

int egate_pad_new(enum egate_pad_mode mode, const struct egate_pad_params *params,
		  struct egate_pad **out)
{
	struct egate_pad_params p = params ? *params : (struct egate_pad_params){ 0 };
	struct egate_pad *pad;

	if (!out || (mode != EGATE_PAD_COLOUR && mode != EGATE_PAD_DEPTH))
		return -EINVAL;
	DEFAULT(min_frames, PAD_MIN_FRAMES);
	DEFAULT(max_frames, PAD_MAX_FRAMES);
	DEFAULT(depth_frames, PAD_DEPTH_FRAMES);
	DEFAULT(min_motion_deg, PAD_MIN_MOTION_DEG);
	DEFAULT(parallax, PAD_PARALLAX);
	DEFAULT(relief_mm, PAD_RELIEF_MM);
	DEFAULT(quadric_mm, PAD_QUADRIC_MM);
	if (p.max_frames > EGATE_PAD_MAX_FRAMES)
		return -E2BIG;
	if (p.min_frames > p.max_frames || p.depth_frames > p.max_frames || p.focal < 0 ||
	    !(p.min_motion_deg > 0) || !(p.parallax > 0) || !(p.relief_mm > 0) ||
	    !(p.quadric_mm > 0) || !isfinite(p.focal))
		return -EINVAL;
	pad = calloc(1, sizeof(*pad));
	if (!pad)
		return -ENOMEM;
	pad->mode = mode;
	pad->p = p;
	*out = pad;
	return 0;
}

void egate_pad_free(struct egate_pad *pad)
{
	free(pad);
}

void egate_pad_reset(struct egate_pad *pad)
{
	enum egate_pad_mode mode = pad->mode;
	struct egate_pad_params p = pad->p;

	memset(pad, 0, sizeof(*pad));
	pad->mode = mode;
	pad->p = p;
}

static double median(const double *v, size_t n)
{
	double s[EGATE_PAD_MAX_FRAMES];

	if (!n)
		return NAN;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), pad_cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void colour_frame(struct egate_pad *pad, const struct egate_pad_frame *f)
{
	struct egate_face_pose pose;

	pad->ear[pad->frames] = pad_eye_ratio(f->lm);
	if (egate_face_pose(f->lm, f->width, f->height, pad->p.focal, &pose) < 0)
		return;
	if (!pad->have_first) {
		pad->have_first = 1;
		pad->first = pad->prev = *f->lm;
		pad->first_pose = pose;
		return;
	}
	double motion = hypot(pose.yaw - pad->first_pose.yaw, pose.pitch - pad->first_pose.pitch);
	double jitter = pad_parallax(&pad->prev, f->lm), parallax;

	pad->prev = *f->lm;
	if (!isnan(jitter)) {
		pad->jitter_ss += jitter * jitter;
		pad->jitter_n++;
	}
	pad->motion_max = fmax(pad->motion_max, motion);
	if (motion < pad->p.min_motion_deg)
		return;
	parallax = pad_parallax(&pad->first, f->lm);
	if (isnan(parallax))
		return;
	pad->parallax_ss += parallax * parallax;
	pad->parallax_n++;
}

/* RMS parallax of the moved frames beyond the landmarks' own jitter */
static double parallax_score(const struct egate_pad *pad)
{
	double noise = pad->jitter_n ? pad->jitter_ss / pad->jitter_n : 0;

	if (!pad->parallax_n)
		return NAN;
	return sqrt(fmax(0, pad->parallax_ss / pad->parallax_n - noise));
}

static void depth_frame(struct egate_pad *pad, const struct egate_pad_frame *f)
{
	struct pad_depth_measure m;

	if (!f->depth || pad_depth_measure(f->depth, f->lm, &m) < 0)
		return;
	pad->plane[pad->n_depth] = m.plane_mm;
	pad->quadric[pad->n_depth] = m.quadric_mm;
	pad->relief[pad->n_depth] = m.relief_mm;
	pad->n_depth++;
}

static enum egate_pad_verdict scores(const struct egate_pad *pad, struct egate_pad_scores *s)
{
	int last = pad->frames >= pad->p.max_frames;
	unsigned blinks;

	*s = (struct egate_pad_scores){
		.frames = pad->frames, .depth_frames = pad->n_depth,
		.motion_deg = pad->have_first ? pad->motion_max : NAN,
		.parallax = parallax_score(pad),
		.plane_mm = median(pad->plane, pad->n_depth),
		.quadric_mm = median(pad->quadric, pad->n_depth),
		.relief_mm = median(pad->relief, pad->n_depth),
		.score = NAN,
	};
	blinks = pad_count_blinks(pad->ear, pad->frames, &s->blink);
	s->blinks = blinks;
	if (pad->mode == EGATE_PAD_DEPTH) {
		if (pad->n_depth)
			s->score = fmin(s->relief_mm / pad->p.relief_mm,
					s->quadric_mm / pad->p.quadric_mm);
		if (pad->n_depth < pad->p.depth_frames && !last)
			return EGATE_PAD_UNDECIDED;
		return s->score >= 1 ? EGATE_PAD_BONA_FIDE : EGATE_PAD_ATTACK;
	}
	if (pad->parallax_n)
		s->score = s->parallax / pad->p.parallax;
	int live = pad->parallax_n >= PAD_MOTION_FRAMES && s->score >= 1 &&
		   (!pad->p.require_blink || blinks > 0);

	if (live && pad->frames >= pad->p.min_frames)
		return EGATE_PAD_BONA_FIDE;
	return last ? EGATE_PAD_ATTACK : EGATE_PAD_UNDECIDED;
}

int egate_pad_feed(struct egate_pad *pad, const struct egate_pad_frame *f)
{
	struct egate_pad_scores s;

	if (!pad || !f || !f->lm || !f->width || !f->height)
		return -EINVAL;
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++)
		if (!isfinite(f->lm->x[i]) || !isfinite(f->lm->y[i]))
			return -EINVAL;
	if (pad->verdict != EGATE_PAD_UNDECIDED)
		return pad->verdict;
	colour_frame(pad, f);
	depth_frame(pad, f);
	pad->frames++;
	pad->verdict = scores(pad, &s);
	return pad->verdict;
}

enum egate_pad_verdict egate_pad_verdict(const struct egate_pad *pad,
					 struct egate_pad_scores *s)
{
	if (s)
		scores(pad, s);
	return pad->verdict;
}

const char *egate_pad_verdict_name(enum egate_pad_verdict v)
{
	switch (v) {
	case EGATE_PAD_UNDECIDED:
		return "undecided";
	case EGATE_PAD_BONA_FIDE:
		return "bona_fide";
	case EGATE_PAD_ATTACK:
		return "presentation_attack";
	}
	return "unknown";
}

const char *egate_pad_mode_name(enum egate_pad_mode m)
{
	switch (m) {
	case EGATE_PAD_COLOUR:
		return "colour";
	case EGATE_PAD_DEPTH:
		return "depth";
	}
	return "unknown";
}
