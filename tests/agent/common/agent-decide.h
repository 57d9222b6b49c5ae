/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent-decide.h - the agent's decision path on the host, without a lane
 * device or a camera: a struct agent on a real store (and its store
 * worker), fed face results as the worker would give them, its store jobs
 * handed back as the loop does.  For the tests that link the daemon's
 * objects (tests/agent, tests/fleet); functions of a header, since the
 * helpers of tests/agent/common go into programs without the daemon.
 */
#ifndef EGATE_TEST_AGENT_DECIDE_H
#define EGATE_TEST_AGENT_DECIDE_H

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "agent.h"

#define AGENT_DECIDE_FRAME_NS 100000000ull
#define AGENT_DECIDE_WAIT_MS 10000	/* a store job back this late is a hang */

static const struct policy_config agent_decide_policy = {
	.threshold = 0.5, .margin = 0.05, .min_quality = 0.5, .min_face_px = 80,
	.frames = 3, .unknown_timeout_ns = 2000000000ull, .session_max_ns = 5000000000ull,
};

/* An idle lane named lane on store, with its store worker and gallery. */
static inline int agent_decide_init(struct agent *a, const struct egate_settings *settings,
				    const char *lane, struct egate_store *store)
{
	int r;

	*a = (struct agent) {
		.settings = settings, .lane_name = lane, .store = store,
		.lane = { .fd = -1, .state = EGATE_ST_IDLE, .heartbeat_ms = 5000 },
		.now_ns = 1000000000ull,
	};
	strcpy(a->lane.device, "egate0");
	policy_init(&a->policy, &agent_decide_policy);
	r = store_worker_new(store, NULL, &a->store_worker);
	return r < 0 ? r : agent_gallery_load(a);
}

static inline void agent_decide_done(struct agent *a)
{
	store_worker_free(a->store_worker);
	a->store_worker = NULL;
	agent_gallery_free(a);
}

/* The next job back from the store worker. */
static inline int agent_decide_take(struct agent *a, struct store_job *job)
{
	struct pollfd p = { .fd = store_worker_fd(a->store_worker), .events = POLLIN };

	for (int waited = 0; waited < AGENT_DECIDE_WAIT_MS; waited += 10) {
		if (store_worker_take(a->store_worker, job) == 0)
			return 0;
		poll(&p, 1, 10);
	}
	return -ETIMEDOUT;
}

/*
 * Traveller id's face in view, recognised at distance 0.3, frame after
 * frame until a verdict waits for its record; then the store's jobs as
 * the loop hands them on until that record is written.  The lane command
 * the verdict led to (EGATE_CMD_*), or -errno.  The session ends after.
 */
static inline int agent_decide(struct agent *a, int64_t id)
{
	struct worker_result r = {
		.frame = { .n_faces = 1, .face_px = 150, .quality = 0.9, .described = true,
			   .best_id = id, .best_distance = 0.3, .second_distance = 0.9 },
	};
	struct store_job job;
	int op = -ENOMSG, slot;

	r.frame.descriptor[id % EGATE_FACE_DESCRIPTOR_DIM] = 0.5f;
	for (int i = 0; i < 5 && !a->verdict.waiting; i++) {
		r.frame.time_ns = a->now_ns += AGENT_DECIDE_FRAME_NS;
		agent_on_result(a, &r);
	}
	while (a->verdict.waiting) {
		if (agent_decide_take(a, &job) < 0)
			return -ETIMEDOUT;
		if (job.result < 0)
			return job.result;
		agent_audit_done(a, &job);
		agent_on_recorded(a, &job);
	}
	while ((slot = lane_next_queued(&a->lane)) >= 0) {
		op = (int)a->lane.commands[slot].op;
		lane_command_done(&a->lane, slot, 0);
	}
	policy_reset(&a->policy);
	a->auth_tag = 0;
	a->now_ns += 2 * POLICY_ABSENT_NS;
	return op;
}

#endif
