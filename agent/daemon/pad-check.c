// SPDX-License-Identifier: GPL-2.0
/*
 * pad-check.c - presentation-attack detection beside the policy; pad-check.h
 * says how the two verdicts combine.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pad-check.h"

int pad_check_init(struct pad_check *pc, enum egate_pad_mode mode,
		   const struct egate_pad_params *params)
{
	*pc = (struct pad_check) { .mode = mode };
	return mode ? egate_pad_new(mode, params, &pc->pad) : 0;
}

void pad_check_done(struct pad_check *pc)
{
	egate_pad_free(pc->pad);
	pc->pad = NULL;
}

static void start_session(struct pad_check *pc, const struct policy *p)
{
	egate_pad_reset(pc->pad);
	pc->session = p->session;
	pc->held = pc->attacked = false;
	pc->first_ns = pc->last_ns = pc->feed_ns = 0;
	pc->errors = 0;
	pc->detail[0] = '\0';
}

static void feed(struct pad_check *pc, const struct pad_input *in)
{
	uint64_t t0 = monotonic_ns();
	int r = egate_pad_feed(pc->pad, &(struct egate_pad_frame) {
		.lm = in->lm, .width = in->width, .height = in->height, .depth = in->depth,
	});

	pc->feed_ns += monotonic_ns() - t0;
	if (r < 0) {
		pc->errors++;
		return;
	}
	pc->first_ns = pc->first_ns ?: in->time_ns;
	pc->last_ns = in->time_ns;
}

enum egate_pad_verdict pad_check_verdict(const struct pad_check *pc,
					 struct egate_pad_scores *scores)
{
	return pc->pad ? egate_pad_verdict(pc->pad, scores) : EGATE_PAD_UNDECIDED;
}

/*
 * One line, "key=value" separated by spaces, at most EGATE_AUDIT_TEXT_MAX
 * bytes; Documentation/pad.md "Audit" lists the keys.
 */
static const char *describe(struct pad_check *pc, enum egate_pad_verdict v)
{
	struct egate_pad_scores s;

	egate_pad_verdict(pc->pad, &s);
	snprintf(pc->detail, sizeof(pc->detail),
		 "pad=%s verdict=%s score=%.3g frames=%u depth_frames=%u relief_mm=%.3g "
		 "quadric_mm=%.3g plane_mm=%.3g parallax=%.3g motion_deg=%.3g blinks=%u "
		 "wait_ms=%llu feed_ms=%.3g",
		 egate_pad_mode_name(pc->mode), egate_pad_verdict_name(v), s.score, s.frames,
		 s.depth_frames, s.relief_mm, s.quadric_mm, s.plane_mm, s.parallax, s.motion_deg,
		 s.blinks, (unsigned long long)((pc->last_ns - pc->first_ns) / 1000000),
		 pc->feed_ns / 1e6);
	return pc->detail;
}

enum policy_verdict pad_check_decide(struct pad_check *pc, struct policy *p,
				     const struct pad_input *in, enum policy_verdict v,
				     struct policy_decision *d)
{
	enum egate_pad_verdict pad;

	if (!pc->pad)
		return v;
	if (pc->session != p->session)
		start_session(pc, p);
	if (in->lm && !pc->attacked && egate_pad_verdict(pc->pad, NULL) == EGATE_PAD_UNDECIDED)
		feed(pc, in);
	pad = egate_pad_verdict(pc->pad, NULL);
	if (v == POLICY_ADMIT) {
		pc->admit = *d;
		pc->held = true;
	} else if (v != POLICY_NONE) {
		return v;	/* the policy's DENY or ONE_AT_A_TIME */
	}
	if (pad == EGATE_PAD_ATTACK && !pc->attacked && (pc->held || !p->decided)) {
		pc->attacked = true;
		pc->held = false;
		policy_deny(p, d);
		d->reason = PAD_CHECK_REASON;
		d->detail = describe(pc, pad);
		return POLICY_DENY;
	}
	if (pad == EGATE_PAD_BONA_FIDE && pc->held) {
		pc->held = false;
		*d = pc->admit;
		d->detail = describe(pc, pad);
		return POLICY_ADMIT;
	}
	return POLICY_NONE;
}

/* The face's landmark box and a quarter of it around, clipped to the frame. */
static int face_box(const struct egate_face_landmarks *lm, uint32_t width, uint32_t height,
		    int32_t *x0, int32_t *y0, uint32_t *w, uint32_t *h)
{
	double lo_x = INFINITY, lo_y = INFINITY, hi_x = -INFINITY, hi_y = -INFINITY, mx, my;

	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		lo_x = fmin(lo_x, lm->x[i]);
		hi_x = fmax(hi_x, lm->x[i]);
		lo_y = fmin(lo_y, lm->y[i]);
		hi_y = fmax(hi_y, lm->y[i]);
	}
	mx = (hi_x - lo_x) / 4;
	my = (hi_y - lo_y) / 4;
	lo_x = fmax(0, floor(lo_x - mx));
	lo_y = fmax(0, floor(lo_y - my));
	hi_x = fmin(width, ceil(hi_x + mx));
	hi_y = fmin(height, ceil(hi_y + my));
	if (!(hi_x > lo_x) || !(hi_y > lo_y))	/* NaN too */
		return -EINVAL;
	if (hi_x - lo_x > EGATE_PAD_MAX_DEPTH_DIM || hi_y - lo_y > EGATE_PAD_MAX_DEPTH_DIM)
		return -E2BIG;
	*x0 = (int32_t)lo_x;
	*y0 = (int32_t)lo_y;
	*w = (uint32_t)(hi_x - lo_x);
	*h = (uint32_t)(hi_y - lo_y);
	return 0;
}

int pad_register_depth(const struct pad_registration *reg, const struct pad_depth_image *img,
		       const struct egate_face_landmarks *lm, uint32_t width, uint32_t height,
		       uint16_t **buf, size_t *buf_size, struct egate_pad_depth *out)
{
	double focal = reg->focal > 0 ? reg->focal : fmax(width, height);
	uint32_t w, h;
	int32_t x0, y0;
	int r;

	if (!(reg->scale > 0))
		return -EINVAL;
	r = face_box(lm, width, height, &x0, &y0, &w, &h);
	if (r < 0)
		return r;
	if (*buf_size < (size_t)w * h) {
		uint16_t *grown = realloc(*buf, sizeof(**buf) * w * h);

		if (!grown)
			return -ENOMEM;
		*buf = grown;
		*buf_size = (size_t)w * h;
	}
	for (uint32_t v = 0; v < h; v++)
		for (uint32_t u = 0; u < w; u++) {
			double du = floor((x0 + (double)u - reg->offset_x) / reg->scale + 0.5);
			double dv = floor((y0 + (double)v - reg->offset_y) / reg->scale + 0.5);

			(*buf)[(size_t)v * w + u] = du >= 0 && dv >= 0 && du < img->width &&
						    dv < img->height ?
				img->z[(size_t)dv * img->stride + (size_t)du] : 0;
		}
	*out = (struct egate_pad_depth) {
		.z = *buf, .width = w, .height = h, .stride = w, .x0 = x0, .y0 = y0,
		.fx = focal, .fy = focal, .cx = width / 2.0, .cy = height / 2.0,
	};
	return 0;
}
