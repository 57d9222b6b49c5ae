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
	p->session++;
	p->in_session = false;
	p->decided = false;
	p->crowd_reported = false;
	p->admitted_id = 0;
	p->frames_seen = 0;
	memset(p->face_sum, 0, sizeof(p->face_sum));
	p->face_frames = 0;
	p->nearest_id = 0;
	p->nearest_distance = INFINITY;
	p->nearest_margin = p->nearest_quality = NAN;
	streak_break(p);
}

/* Capture times come from the camera: a time before t0 is no time at all. */
static uint64_t since(uint64_t t, uint64_t t0)
{
	return t > t0 ? t - t0 : 0;
}

static bool frame_usable(const struct policy *p, const struct policy_frame *f)
{
	return f->n_faces == 1 && f->described && f->face_px >= p->config.min_face_px &&
	       f->quality >= p->config.min_quality;
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

/* How far a usable face is from the session's face, by the match's own measure. */
static double distance_to_session(const struct policy *p, const struct policy_frame *f)
{
	float mean[EGATE_FACE_DESCRIPTOR_DIM];

	for (int k = 0; k < EGATE_FACE_DESCRIPTOR_DIM; k++)
		mean[k] = (float)(p->face_sum[k] / p->face_frames);
	return egate_face_distance(mean, f->descriptor);
}

/*
 * Someone else is at the capture point: a face that is not the session's,
 * or, once decided, a face that matches a traveller the session did not
 * admit.  Either way they get a session, and a verdict, of their own.
 */
static bool identity_changed(const struct policy *p, const struct policy_frame *f)
{
	if (!frame_usable(p, f))
		return false;
	if (p->face_frames && distance_to_session(p, f) > p->config.threshold)
		return true;
	return p->decided && frame_matches(p, f) && f->best_id != p->admitted_id;
}

static bool session_over(const struct policy *p, const struct policy_frame *f)
{
	return identity_changed(p, f) ||
	       (p->decided && since(f->time_ns, p->first_seen_ns) >= p->config.session_max_ns);
}

static void remember_face(struct policy *p, const struct policy_frame *f)
{
	for (int k = 0; k < EGATE_FACE_DESCRIPTOR_DIM; k++)
		p->face_sum[k] += f->descriptor[k];
	p->face_frames++;
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

enum policy_verdict policy_deny(struct policy *p, struct policy_decision *d)
{
	p->decided = true;
	p->admitted_id = 0;
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
	if (since(f->time_ns, p->first_seen_ns) < p->config.unknown_timeout_ns)
		return POLICY_NONE;
	return policy_deny(p, d);
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
	p->admitted_id = p->candidate;
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

static enum policy_verdict crowd(struct policy *p, const struct policy_frame *f,
				 struct policy_decision *d)
{
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

enum policy_verdict policy_feed(struct policy *p, const struct policy_frame *f,
				struct policy_decision *d)
{
	bool usable = frame_usable(p, f);

	if (f->failed_before)	/* the streak's frames must be consecutive */
		streak_break(p);
	if (f->n_faces == 0) {
		if (p->in_session && since(f->time_ns, p->last_seen_ns) >= POLICY_ABSENT_NS) {
			policy_reset(p);	/* they walked away */
			return POLICY_NONE;
		}
		streak_break(p);
		return POLICY_NONE;
	}
	if (!p->in_session || session_over(p, f)) {
		policy_reset(p);
		p->in_session = true;
		p->first_seen_ns = f->time_ns;
	}
	p->last_seen_ns = f->time_ns;
	p->frames_seen++;
	if (usable)
		remember_face(p, f);
	if (p->decided)
		return POLICY_NONE;
	if (f->n_faces > 1)
		return crowd(p, f, d);
	p->crowd_reported = false;
	if (usable) {
		remember_nearest(p, f);
		if (frame_matches(p, f))
			return vote(p, f, d);
	}
	streak_break(p);
	return unknown_timeout(p, f, d);
}
