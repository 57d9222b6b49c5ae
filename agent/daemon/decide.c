// SPDX-License-Identifier: GPL-2.0
/*
 * decide.c - the agent's reasoning: face results go through the policy
 * while the lane can take a traveller.  No audit record, no decision: a
 * verdict is first written to the audit log (by the store worker) and
 * carried out only once it is written, within AGENT_RECORD_WAIT_MS.  An
 * admission then authorises one passage (tagged with the decision's audit
 * id) whose completion is the passage's outcome; a denial tells the lane.
 * A verdict whose record failed or came too late is not carried out (an
 * admission gets an "aborted" passage record once its decision is
 * written), and no new one is made until that record is written.  The
 * lane's events report state changes and alarms.
 */
#include <math.h>
#include <string.h>
#include <syslog.h>

#include "agent.h"
#include "macro.h"

bool agent_lane_ready(const struct agent *a)
{
	return a->lane.state == EGATE_ST_IDLE && !a->auth_tag && !a->verdict.waiting &&
	       !a->decisions_unwritten && !a->audit_failing_ns && !a->faults;
}

int agent_command(struct agent *a, uint32_t op, uint32_t arg, uint32_t timeout_ms,
		  uint64_t tag)
{
	int r = lane_command_slot(&a->lane, op, arg, timeout_ms, tag);

	if (r < 0)
		agent_logp(a, LOG_ERR, "cannot send %s to the lane: too many commands in flight",
			   lane_command_name(op));
	return r < 0 ? r : 0;
}

/*
 * 1:1: the face was compared with the document's reference, not with the
 * gallery.  The traveller is nobody the gallery knows; the score is the
 * distance to the reference, whether it admitted or not.
 */
static int record_decision(struct agent *a, enum egate_decision decision,
			   const struct policy_decision *d, uint64_t cookie)
{
	struct policy_decision v = *d;

	if (!a->verify)
		return agent_record_decision(a, decision, d, NULL, cookie);
	v.traveller_id = 0;
	v.distance = decision == EGATE_DECISION_ADMIT ? d->distance : d->candidate_distance;
	v.candidate_id = 0;
	v.candidate_distance = NAN;
	return agent_record_decision(a, decision, &v, agent_reference_document(a), cookie);
}

static void act(struct agent *a, enum policy_verdict verdict, const struct policy_decision *d,
		const struct worker_timing *timing)
{
	static const enum egate_decision decisions[] = {
		[POLICY_ADMIT] = EGATE_DECISION_ADMIT, [POLICY_DENY] = EGATE_DECISION_DENY,
		[POLICY_ONE_AT_A_TIME] = EGATE_DECISION_ONE_AT_A_TIME,
	};
	struct agent_verdict *v = &a->verdict;

	if (verdict == POLICY_NONE)
		return;
	*v = (struct agent_verdict) {
		.cookie = ++a->next_cookie,
		.decision = decisions[verdict],
		.traveller_id = a->verify ? 0 : d->traveller_id,
		.decided_ns = a->now_ns,
		.timing = *timing,
	};
	v->waiting = record_decision(a, v->decision, d, v->cookie) >= 0;
	a->decisions_unwritten += v->waiting;
	if (verdict == POLICY_ONE_AT_A_TIME)
		agent_log(a, "several faces in view: one at a time, please");
	else if (a->verify)	/* one document, one decision */
		agent_reference_consume(a);
}

/* The verdict's record is written: carry it out. */
static void carry_out(struct agent *a, int64_t id)
{
	struct agent_verdict *v = &a->verdict;

	v->waiting = false;
	switch (v->decision) {
	case EGATE_DECISION_ADMIT:
		a->auth_tag = id;
		a->auth_traveller = v->traveller_id;
		if (agent_command(a, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD,
				  a->settings->lane.auth_window_s * 1000, (uint64_t)id) < 0)
			a->auth_tag = 0;
		else
			metrics_admission(&a->metrics, &v->timing, monotonic_ns());
		break;
	case EGATE_DECISION_DENY:
		agent_command(a, EGATE_CMD_DENY, 0, 0, 0);
		break;
	default:
		break;
	}
}

/*
 * The verdict is not carried out: the traveller still in view gets a new
 * session once decisions are made again, not the one that decided.
 */
static void refuse(struct agent *a)
{
	a->verdict.waiting = false;
	a->metrics.verdicts_refused++;
	a->metrics.dirty = true;
	policy_reset(&a->policy);
}

void agent_on_recorded(struct agent *a, const struct store_job *job)
{
	struct agent_verdict *v = &a->verdict;
	bool ours = v->waiting && job->cookie == v->cookie;

	if (job->record.kind != EGATE_AUDIT_DECISION)
		return;
	if (job->final)
		a->decisions_unwritten--;
	if (ours && job->final && job->result >= 0) {
		carry_out(a, job->id);
		return;
	}
	if (ours) {	/* failed: the store worker goes on trying */
		refuse(a);
		agent_logp(a, LOG_ERR, "decision %s not carried out: no audit record",
			   egate_decision_name(v->decision));
		return;
	}
	/* A verdict given up earlier, written now: an admission that never was. */
	if (job->final && job->result >= 0 && job->record.decision == EGATE_DECISION_ADMIT) {
		agent_logp(a, LOG_WARNING, "decision #%lld written after %u attempts: "
			   "it was not carried out", (long long)job->id, job->attempts);
		agent_record_passage(a, job->id, job->record.traveller_id, -ETIMEDOUT);
	}
}

void agent_verdict_check(struct agent *a)
{
	struct agent_verdict *v = &a->verdict;

	if (!v->waiting || a->now_ns - v->decided_ns < AGENT_RECORD_WAIT_MS * 1000000ull)
		return;
	refuse(a);
	agent_logp(a, LOG_WARNING, "decision %s not carried out: its audit record is not "
		   "written after %u ms", egate_decision_name(v->decision), AGENT_RECORD_WAIT_MS);
}

void agent_on_result(struct agent *a, const struct worker_result *r)
{
	struct policy_decision d;
	enum policy_verdict v;

	a->worker_started_ns = 0;
	a->metrics.frames_processed++;
	if (r->error < 0) {
		a->metrics.engine_errors++;
		agent_logp(a, LOG_WARNING, "face engine: %s", strerror(-r->error));
		return;
	}
	if (a->auth_tag) {
		policy_feed(&a->policy, &r->frame, &d);	/* presence only: decided */
	} else if (a->verdict.waiting) {
		/* its record first: the session goes on after it */
	} else if (!agent_lane_ready(a)) {
		policy_reset(&a->policy);
	} else if (!a->verify || !agent_reference_missing(a, &r->frame)) {
		v = policy_feed(&a->policy, &r->frame, &d);
		v = agent_pad_decide(a, r, v, &d);	/* PAD beside the policy */
		v = agent_referral(a, v, &d);
		act(a, v, &d, &r->timing);
	}
}

/*
 * One source of truth for the passage record: the AUTHORISE's completion.
 * The driver ends an authorisation in one critical section that both
 * queues EGATE_EV_AUTH_END and completes the parked URING_CMD (the CQE is
 * posted from task work in this thread), but the two reach the loop on
 * separate requests, in either order, possibly in different batches.
 * Recording on whichever came first would need the other to be matched
 * and dropped; the completion alone is exactly once (io_uring completes a
 * request once), cannot be lost (the event stream drops its oldest
 * records on overflow), and belongs to this agent's own request, so the
 * event is only logged when it is someone else's: a previous controller's
 * authorisation ending after a takeover.  Ours is the one in flight or,
 * when the event comes after the completion, the one just completed
 * (auth_done_tag).  Until the completion comes, auth_tag keeps the lane
 * from taking the next traveller even when the events already say idle.
 */
void agent_on_authorise_done(struct agent *a, uint64_t tag, int res)
{
	if (!a->auth_tag || tag != (uint64_t)a->auth_tag) {	/* cannot be: one in flight */
		agent_logp(a, LOG_ERR, "lane: authorisation %llu completed (%d) but not in flight",
			   (unsigned long long)tag, res);
		return;
	}
	agent_record_passage(a, a->auth_tag, a->auth_traveller, res);
	a->auth_done_tag = a->auth_tag;
	a->auth_tag = 0;
	a->auth_traveller = 0;
	policy_reset(&a->policy);	/* the passage ended: the face in view is looked at afresh */
}

static void on_auth_end(struct agent *a, const struct egate_event *ev)
{
	if ((a->auth_tag && ev->tag == (uint64_t)a->auth_tag) ||
	    (a->auth_done_tag && ev->tag == (uint64_t)a->auth_done_tag))
		return;	/* ours: recorded from the AUTHORISE's completion */
	agent_log(a, "lane: authorisation %llu ended (%s), not ours",
		  (unsigned long long)ev->tag, lane_outcome_name(ev->arg));
}

void agent_on_lane_event(struct agent *a, const struct egate_event *ev)
{
	switch (ev->type) {
	case EGATE_EV_STATE:
		agent_log(a, "lane: %s -> %s", lane_state_name(ev->arg),
			  lane_state_name(ev->state));
		break;
	case EGATE_EV_AUTH_END:
		on_auth_end(a, ev);
		break;
	case EGATE_EV_ALARM:
		if (ev->arg < EGATE_ALARM_COUNT)
			a->metrics.alarms[ev->arg]++;
		a->metrics.dirty = true;
		agent_logp(a, LOG_WARNING, "lane: ALARM %s (beams 0x%x)", lane_alarm_name(ev->arg),
			   ev->beams);
		break;
	case EGATE_EV_EMERGENCY:
		agent_logp(a, LOG_WARNING, "lane: emergency input %s",
			   ev->arg ? "ACTIVE: doors open" : "clear");
		break;
	case EGATE_EV_HEARTBEAT_LOST:
		agent_logp(a, LOG_ERR, "lane: the driver says our heartbeat was lost");
		break;
	case EGATE_EV_PASSAGE_START:
		agent_log(a, "lane: traveller entered");
		break;
	case EGATE_EV_PASSAGE_DONE:
		agent_log(a, "lane: traveller through (%u passages)", ev->arg);
		break;
	default:
		break;
	}
}
