// SPDX-License-Identifier: GPL-2.0
/*
 * verify-reference.c - decision.mode=verify: the reference of the traveller at
 * the lane, as the document reader gives it, is the one template the
 * worker compares faces with.
 *
 * Lifecycle of reference_dir/LANE.ref (format: egate-reference.h):
 *  - the document reader writes it atomically (beside it, then rename),
 *    signed with its own key, for this lane and a time window;
 *  - the agent looks for it after every face result and every tick while
 *    the worker is idle (one rename(2); the worker's gallery only changes
 *    between frames): it takes it by renaming it to LANE.ref.inuse, then
 *    reads and checks that: its owner and mode, its signature by a key of
 *    decision.reference_keys, its lane, its window, and that it is newer
 *    than the last one taken (a copy of an old reference is a replay).
 *    From then on the reader may write the next traveller's without a
 *    race, and a new LANE.ref replaces the one in use (a new document at
 *    the reader is a new traveller: the session starts again);
 *  - a file that fails the checks is logged and removed;
 *  - the decision (admit or deny) consumes it: LANE.ref.inuse is removed
 *    and the lane waits for the next document; one document, one decision;
 *  - one not decided on reference_max_age_s after it was taken, or past
 *    the end of its window, is stale (the traveller left with their
 *    document): logged and removed.
 *  A replay is only caught while the agent runs: after a restart, a
 *  reference still inside its window (reference_max_age_s at most) could
 *  be taken a second time.
 * Without a reference the lane decides nothing: a face in view is told
 * (in the log) that the lane is waiting for a document.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"

#define REFERENCE_ID 1	/* the one template's id in the worker's gallery */

static int64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int agent_reference_init(struct agent *a, const char *lane)
{
	struct agent_reference *ref = &a->reference;
	const char *dir = a->settings->decision.reference_dir;
	char err[EGATE_ERRMSG_MAX] = "";
	int r;

	r = egate_reference_keys_parse(a->settings->decision.reference_keys, &ref->keys,
				       err, sizeof(err));
	if (r >= 0 && !ref->keys.n) {
		snprintf(err, sizeof(err), "none: decision.mode=verify takes only references"
			 " signed by a document reader's key listed here (egate-gallery keygen)");
		r = -ENOKEY;
	}
	if (r < 0) {
		agent_log(a, "decision.reference_keys: %s", err);
		return r;
	}
	if (snprintf(ref->lane, sizeof(ref->lane), "%s", lane) >= (int)sizeof(ref->lane)) {
		agent_log(a, "lane %s: name too long for a reference", lane);
		return -ENAMETOOLONG;
	}

	if (snprintf(ref->path, sizeof(ref->path), "%s/%s.ref", dir, lane) >=
	    (int)sizeof(ref->path) - 6 ||
	    snprintf(ref->inuse, sizeof(ref->inuse), "%s.inuse", ref->path) >=
	    (int)sizeof(ref->inuse)) {
		agent_log(a, "decision.reference_dir: path too long");
		return -ENAMETOOLONG;
	}
	unlink(ref->inuse);	/* a previous agent's: its traveller is gone */
	agent_log(a, "1:1 verification: references from %s", ref->path);
	return 0;
}

static void drop(struct agent *a)
{
	egate_face_gallery_free(a->gallery);
	a->gallery = NULL;
	a->reference.loaded = false;
	unlink(a->reference.inuse);
	policy_reset(&a->policy);
}

static int load(struct agent *a, const struct egate_reference *r)
{
	struct egate_face_gallery *g;
	int64_t idx;
	int ret;

	ret = egate_face_gallery_new(EGATE_FACE_GALLERY_F32, 1, &g);
	if (ret < 0)
		return ret;
	idx = egate_face_gallery_add(g, REFERENCE_ID, r->descriptor);
	if (idx < 0) {
		egate_face_gallery_free(g);
		return (int)idx;
	}
	egate_face_gallery_free(a->gallery);
	a->gallery = g;
	a->reference.ref = *r;
	a->reference.loaded = true;
	a->reference.taken_ns = a->now_ns;
	a->reference.waiting_logged = false;
	policy_reset(&a->policy);	/* a new document: a new traveller */
	return 0;
}

/*
 * A reference in the log: by the start of its signed window, never by its
 * document number (that stays in the audit log, out of the journal).
 */
static long long window_of(const struct egate_reference *r)
{
	return (long long)(r->not_before_us / 1000);
}

static void drop_if_stale(struct agent *a)
{
	struct agent_reference *ref = &a->reference;
	unsigned int max_age_s = a->settings->decision.reference_max_age_s;

	if (a->now_ns - ref->taken_ns >= max_age_s * 1000000000ull)
		agent_log(a, "reference %lld: unused for %u s, stale: removed",
			  window_of(&ref->ref), max_age_s);
	else if (realtime_us() > ref->ref.not_after_us)
		agent_log(a, "reference %lld: past the end of its time window, stale:"
			  " removed", window_of(&ref->ref));
	else
		return;
	drop(a);
}

void agent_reference_check(struct agent *a)
{
	struct agent_reference *ref = &a->reference;
	struct egate_reference r;
	char err[EGATE_ERRMSG_MAX] = "";
	int ret;

	/* Taken first: the file read is the one taken; what comes next, the reader's next. */
	if (rename(ref->path, ref->inuse) < 0) {
		int e = errno;

		if (e != ENOENT && e != ref->take_errno)	/* once, not per tick */
			agent_log(a, "reference %s: cannot take it: %s", ref->path, strerror(e));
		ref->take_errno = e;
		if (e == ENOENT && ref->loaded)
			drop_if_stale(a);
		return;
	}
	ref->take_errno = 0;
	ret = egate_reference_read(ref->inuse, &ref->keys, &r, err, sizeof(err));
	if (ret >= 0)
		ret = egate_reference_check(&r, ref->lane, realtime_us(),
					    a->settings->decision.reference_max_age_s,
					    ref->last_not_before_us, err, sizeof(err));
	if (ret >= 0) {
		ref->last_not_before_us = r.not_before_us;	/* taken: never again */
		ret = load(a, &r);
		if (ret < 0)
			snprintf(err, sizeof(err), "%s", strerror(-ret));
	}
	if (ret < 0) {
		agent_log(a, "reference %s refused: %s; removed, waiting for a document",
			  ref->path, err);
		drop(a);
		return;
	}
	agent_log(a, "reference %lld: taken, verifying", window_of(&r));
}

bool agent_reference_missing(struct agent *a, const struct policy_frame *f)
{
	if (a->reference.loaded)
		return false;
	policy_reset(&a->policy);
	if (f->n_faces && !a->reference.waiting_logged)
		agent_log(a, "face in view: waiting for a document");
	a->reference.waiting_logged = f->n_faces > 0;
	return true;
}

const char *agent_reference_document(const struct agent *a)
{
	return a->reference.loaded && a->reference.ref.document_id[0] ?
		a->reference.ref.document_id : NULL;
}

void agent_reference_consume(struct agent *a)
{
	agent_log(a, "reference %lld: consumed", window_of(&a->reference.ref));
	drop(a);
}
