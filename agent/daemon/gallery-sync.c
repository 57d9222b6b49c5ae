// SPDX-License-Identifier: GPL-2.0
/*
 * gallery-sync.c - the enrolled gallery as the worker searches it: every
 * unexpired template from the store, in the face engine's search
 * structure.  Loaded at start; then the store worker reloads it when the
 * store's gallery version changes (an enrolment or deletion by the admin
 * tool), on SIGHUP, and at the instant the next enrolment expires, without
 * stopping the lane: the new one waits until the worker is not searching
 * the old one.  A reload that fails is logged once, and again when one
 * works; the gallery in use stays.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "agent.h"

/* A gallery the store worker built: take it (the worker is idle or not). */
static void take(struct agent *a, struct store_job *job)
{
	egate_face_gallery_free(a->gallery_next);
	a->gallery_next = job->gallery;
	job->gallery = NULL;
	egate_referrals_free(a->referrals);
	a->referrals = TAKE_PTR(job->referrals);
	a->gallery_version = job->version;
	a->gallery_expiry_s = job->next_expiry_s;
	a->gallery_stale = false;
	agent_log(a, "gallery: %zu travellers, %zu templates, %zu referred to an officer",
		  job->n_travellers, job->n_templates, egate_referrals_count(a->referrals));
}

int agent_gallery_load(struct agent *a)
{
	struct store_job job = { .kind = STORE_GALLERY, .force = true, .now_s = time(NULL) };

	store_job_run(a->store, &job);
	if (job.result < 0) {
		agent_logp(a, LOG_ERR, "loading the gallery failed: %s", job.error);
		return job.result;
	}
	take(a, &job);
	agent_gallery_swap(a);
	return 0;
}

void agent_gallery_check(struct agent *a)
{
	bool expired = a->gallery_expiry_s && a->now_real_s >= a->gallery_expiry_s;
	struct store_job job = {
		.kind = STORE_GALLERY,
		.version = a->gallery_version,
		.force = a->gallery_stale || expired,
		.now_s = a->now_real_s,
	};

	if (a->gallery_loading || (!job.force && a->now_ns < a->next_gallery_check_ns))
		return;
	if (store_worker_submit(a->store_worker, &job) == 0)
		a->gallery_loading = true;
	a->next_gallery_check_ns = a->now_ns + AGENT_GALLERY_CHECK_MS * 1000000ull;
}

void agent_on_gallery(struct agent *a, struct store_job *job)
{
	a->gallery_loading = false;
	if (job->result < 0) {
		if (!a->gallery_failing)
			agent_logp(a, LOG_ERR, "reloading the gallery failed (%s): %s; "
				   "keeping the one loaded", strerror(-job->result), job->error);
		a->gallery_failing = true;
		return;
	}
	if (a->gallery_failing)
		agent_logp(a, LOG_NOTICE, "the gallery can be read again");
	a->gallery_failing = false;
	if (job->gallery)	/* NULL: the version had not changed */
		take(a, job);
	if (!a->worker_started_ns)
		agent_gallery_swap(a);
}

void agent_gallery_swap(struct agent *a)
{
	if (!a->gallery_next)
		return;
	egate_face_gallery_free(a->gallery);
	a->gallery = a->gallery_next;
	a->gallery_next = NULL;
}

void agent_gallery_free(struct agent *a)
{
	egate_face_gallery_free(a->gallery);
	a->gallery = NULL;
	egate_face_gallery_free(a->gallery_next);
	a->gallery_next = NULL;
	egate_referrals_free(a->referrals);
	a->referrals = NULL;
}
