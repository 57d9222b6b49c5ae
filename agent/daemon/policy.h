/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.h - the decision policy: from per-frame face results to "admit
 * traveller T", "deny" or "one at a time please".  Pure: no I/O, no clock
 * of its own (times come with the frames), so it is tested on the host.
 *
 * The worker reports only the faces in the capture zone (worker.h): the
 * traveller is the largest of them; faces of the queue behind are smaller
 * or outside, and the policy never sees them.
 *
 * A session starts when a face comes into view.  It ends on what the lane
 * knows, and a new one starts with the face then in view:
 *  - a frame without a face taken POLICY_ABSENT_NS or more after the last
 *    face (they walked away);
 *  - a change of identity: a usable face further than threshold from the
 *    session's face (the mean descriptor of its usable frames), or, once
 *    the session is decided, a usable face that matches a traveller other
 *    than the one admitted (after a DENY: any enrolled traveller);
 *  - a decided session whose first face is session_max_ns old;
 *  - the caller's policy_reset(): the passage ended (AUTH_END), the camera
 *    went away, a new document.
 * Only frames end it, never the clock: on a slow machine a frame's result
 * comes long after it was taken.  In a session:
 *  - several faces in the zone: ONE_AT_A_TIME (once per crowd), the streak
 *    starts again;
 *  - one face, usable (box at least min_face_px wide, quality at least
 *    min_quality, described), whose best enrolled identity is nearer than
 *    threshold and beats the runner-up identity by margin: a vote for it;
 *    frames consecutive votes for the same identity: ADMIT;
 *  - anything else breaks the streak, and so does a frame the engine
 *    failed on (failed_before: the failed frame itself never gets here);
 *  - a face not admitted unknown_timeout_ns after the session's first face
 *    (capture times, so that slow processing does not shorten it): DENY.
 * After ADMIT or DENY the session makes no more decisions until it ends.
 */
#ifndef EGATE_AGENT_POLICY_H
#define EGATE_AGENT_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "egate-face.h"

#define POLICY_ABSENT_NS 1000000000ull	/* no face this long ends a session */

struct policy_config {
	double threshold;	/* largest distance accepted as a match */
	double margin;		/* runner-up identity at least this much further */
	double min_quality;	/* 0..1 */
	unsigned int min_face_px;
	unsigned int frames;	/* consecutive agreeing frames to admit */
	uint64_t unknown_timeout_ns;
	uint64_t session_max_ns;	/* a decided session ends this long after its start */
};

/* What the face worker found in one frame. */
struct policy_frame {
	uint64_t time_ns;	/* CLOCK_MONOTONIC capture time */
	unsigned int failed_before;	/* frames the engine failed on since the last result */
	unsigned int n_faces;	/* in the capture zone */
	double face_px;		/* width of the traveller's face box */
	double quality;		/* 0..1, see worker.c */
	bool described;		/* descriptor, best_* and second_distance are set */
	float descriptor[EGATE_FACE_DESCRIPTOR_DIM];
	int64_t best_id;	/* nearest traveller, 0: gallery empty */
	double best_distance;
	double second_distance;	/* nearest other traveller; INFINITY if none */
};

enum policy_verdict {
	POLICY_NONE,		/* nothing to act on yet */
	POLICY_ADMIT,
	POLICY_DENY,
	POLICY_ONE_AT_A_TIME,
};

/*
 * What a verdict rests on, for the audit log.  A DENY names nobody: the
 * nearest enrolled traveller seen on a usable frame is its candidate, so
 * that an auditor sees how close the face came; margin and quality are
 * that frame's.
 */
struct policy_decision {
	enum policy_verdict verdict;
	int64_t traveller_id;		/* ADMIT; 0 otherwise */
	double distance;		/* ADMIT: mean over the streak; NaN otherwise */
	double margin;
	double quality;
	int64_t candidate_id;		/* DENY: nearest seen, 0: none */
	double candidate_distance;	/* its distance; NaN when none */
	unsigned int frames;		/* frames seen in the session */
	/* not the policy's: why a DENY, and the PAD scores (pad-check.h) */
	const char *reason;
	const char *detail;
};

struct policy {
	struct policy_config config;
	uint64_t session;	/* +1 whenever a session ends: what PAD follows */
	bool in_session;
	bool decided;		/* ADMIT or DENY given in this session */
	bool crowd_reported;
	int64_t admitted_id;	/* ADMIT given to them in this session */
	uint64_t first_seen_ns, last_seen_ns;
	unsigned int frames_seen;
	double face_sum[EGATE_FACE_DESCRIPTOR_DIM];	/* the session's face: */
	unsigned int face_frames;			/* sum over its usable frames */
	int64_t candidate;
	unsigned int streak;
	double streak_distance, streak_margin, streak_quality;	/* sums */
	int64_t nearest_id;	/* for DENY records: best single-face frame */
	double nearest_distance, nearest_margin, nearest_quality;
};

void policy_init(struct policy *p, const struct policy_config *config);
/* Ends the session: the face in view, if any, starts a new one. */
void policy_reset(struct policy *p);
enum policy_verdict policy_feed(struct policy *p, const struct policy_frame *f,
				struct policy_decision *d);
/*
 * A DENY of the session now, for a reason outside the policy (a
 * presentation attack): the session is decided, d names the nearest
 * traveller seen as any DENY does.
 */
enum policy_verdict policy_deny(struct policy *p, struct policy_decision *d);

#endif
