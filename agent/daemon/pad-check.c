// SPDX-License-Identifier: GPL-2.0
/*
 * pad-check.c - presentation-attack detection beside the policy; pad-check.h
 * says how the two verdicts combine.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
	uint64_t t0 = now_ns();
	int r = egate_pad_feed(pc->pad, &(struct egate_pad_frame) {
		.lm = in->lm, .width = in->width, .height = in->height, .depth = in->depth,
	});

	pc->feed_ns += now_ns() - t0;
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
