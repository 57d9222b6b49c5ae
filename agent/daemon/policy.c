// SPDX-License-Identifier: GPL-2.0
/*
 * policy.c - the decision policy; policy.h says what it decides and why.
 */
#include <math.h>
#include <string.h>

#include "policy.h"

void policy_init(struct policy *p, const struct policy_config *config)
{
	memset(p, 0, sizeof(*p));
	p->config = *config;
	policy_reset(p);
}

static void streak_break(struct policy *p)
{
	p->candidate = 0;
	p->streak = 0;
	p->streak_distance = p->streak_margin = p->streak_quality = 0;
}

void policy_reset(struct policy *p)
{
	p->in_session = false;
	p->decided = false;
	p->crowd_reported = false;
	p->frames_seen = 0;
	p->nearest_id = 0;
	p->nearest_distance = INFINITY;
	p->nearest_margin = p->nearest_quality = NAN;
	streak_break(p);
}

static bool frame_usable(const struct policy *p, const struct policy_frame *f)
{
	return f->face_px >= p->config.min_face_px && f->quality >= p->config.min_quality;
}

static bool frame_matches(const struct policy *p, const struct policy_frame *f)
{
	return f->best_id > 0 && f->best_distance < p->config.threshold &&
	       f->second_distance - f->best_distance >= p->config.margin;
}

/* NaN (not measured) when nobody else is enrolled. */
static double margin_of(const struct policy_frame *f)
{
	return isinf(f->second_distance) ? NAN : f->second_distance - f->best_distance;
}

static void remember_nearest(struct policy *p, const struct policy_frame *f)
{
	if (f->best_id <= 0 || f->best_distance >= p->nearest_distance)
		return;
	p->nearest_id = f->best_id;
	p->nearest_distance = f->best_distance;
	p->nearest_margin = margin_of(f);
	p->nearest_quality = f->quality;
}

static enum policy_verdict deny(struct policy *p, struct policy_decision *d)
{
	p->decided = true;
	*d = (struct policy_decision) {
		.verdict = POLICY_DENY,
		.distance = NAN,
		.margin = p->nearest_margin,
		.quality = p->nearest_quality,
		.candidate_id = p->nearest_id,
		.candidate_distance = p->nearest_id ? p->nearest_distance : NAN,
		.frames = p->frames_seen,
	};
	return POLICY_DENY;
}

/* Time is the frames' capture time: a slow machine sees as long as a fast one. */
static enum policy_verdict unknown_timeout(struct policy *p, const struct policy_frame *f,
					   struct policy_decision *d)
{
	if (f->time_ns - p->first_seen_ns < p->config.unknown_timeout_ns)
		return POLICY_NONE;
	return deny(p, d);
}

static enum policy_verdict vote(struct policy *p, const struct policy_frame *f,
				struct policy_decision *d)
{
	if (f->best_id != p->candidate)
		streak_break(p);
	p->candidate = f->best_id;
	p->streak++;
	p->streak_distance += f->best_distance;
	p->streak_margin += margin_of(f);
	p->streak_quality += f->quality;
	if (p->streak < p->config.frames)
		return POLICY_NONE;
	p->decided = true;
	*d = (struct policy_decision) {
		.verdict = POLICY_ADMIT,
		.traveller_id = p->candidate,
		.distance = p->streak_distance / p->streak,
		.margin = p->streak_margin / p->streak,
		.quality = p->streak_quality / p->streak,
		.frames = p->frames_seen,
	};
	return POLICY_ADMIT;
}

enum policy_verdict policy_feed(struct policy *p, const struct policy_frame *f,
				struct policy_decision *d)
{
	if (f->n_faces == 0) {
		if (p->in_session && f->time_ns - p->last_seen_ns >= POLICY_ABSENT_NS) {
			policy_reset(p);	/* they walked away */
			return POLICY_NONE;
		}
		streak_break(p);
		return POLICY_NONE;
	}
	if (!p->in_session) {
		policy_reset(p);
		p->in_session = true;
		p->first_seen_ns = f->time_ns;
	}
	p->last_seen_ns = f->time_ns;
	p->frames_seen++;
	if (p->decided)
		return POLICY_NONE;
	if (f->n_faces > 1) {
		streak_break(p);
		if (p->crowd_reported)
			return unknown_timeout(p, f, d);
		p->crowd_reported = true;
		*d = (struct policy_decision) {
			.verdict = POLICY_ONE_AT_A_TIME,
			.distance = NAN, .margin = NAN, .quality = NAN,
			.candidate_distance = NAN,
			.frames = p->frames_seen,
		};
		return POLICY_ONE_AT_A_TIME;
	}
	p->crowd_reported = false;
	if (frame_usable(p, f)) {
		remember_nearest(p, f);
		if (frame_matches(p, f))
			return vote(p, f, d);
	}
	streak_break(p);
	return unknown_timeout(p, f, d);
}
