// SPDX-License-Identifier: GPL-2.0
/*
 * decide.c - the agent's reasoning: face results go through the policy
 * while the lane can take a traveller; an admission authorises one passage
 * (tagged with the decision's audit id) whose completion is the passage's
 * outcome, a denial tells the lane and the log; the lane's events report
 * state changes and alarms.  The timer keeps the heartbeat, the unknown
 * timeout, the optional automatic reset, the audit retention purge, the
 * watchdog and the metrics.
 */
#include <math.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "agent.h"

static bool lane_ready(const struct agent *a)
{
	return a->lane.state == EGATE_ST_IDLE && !a->auth_tag;
}

/*
 * 1:1: the face was compared with the document's reference, not with the
 * gallery.  The traveller is nobody the gallery knows; the score is the
 * distance to the reference, whether it admitted or not.
 */
static int64_t record_decision(struct agent *a, enum egate_decision decision,
			       const struct policy_decision *d)
{
	struct policy_decision v = *d;

	if (!a->verify)
		return agent_record_decision(a, decision, d, NULL);
	v.traveller_id = 0;
	v.distance = decision == EGATE_DECISION_ADMIT ? d->distance : d->candidate_distance;
	v.candidate_id = 0;
	v.candidate_distance = NAN;
	return agent_record_decision(a, decision, &v, agent_reference_document(a));
}

static void act(struct agent *a, enum policy_verdict verdict, const struct policy_decision *d,
		const struct worker_timing *timing)
{
	int64_t id;

	switch (verdict) {
	case POLICY_NONE:
		return;
	case POLICY_ADMIT:
		id = record_decision(a, EGATE_DECISION_ADMIT, d);
		/* The tag names the decision; a failed audit write still admits. */
		a->auth_tag = id > 0 ? id : -1;
		a->auth_traveller = a->verify ? 0 : d->traveller_id;
		if (agent_command(a, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD,
				  AGENT_AUTH_TIMEOUT_MS, (uint64_t)a->auth_tag) < 0)
			a->auth_tag = 0;
		else
			metrics_admission(&a->metrics, timing, agent_now_ns());
		break;
	case POLICY_DENY:
		record_decision(a, EGATE_DECISION_DENY, d);
		agent_command(a, EGATE_CMD_DENY, 0, 0, 0);
		break;
	case POLICY_ONE_AT_A_TIME:
		record_decision(a, EGATE_DECISION_ONE_AT_A_TIME, d);
		agent_log(a, "several faces in view: one at a time, please");
		return;
	}
	if (a->verify)	/* one document, one decision */
		agent_reference_consume(a);
}

void agent_on_result(struct agent *a, const struct worker_result *r)
{
	struct policy_decision d;
	enum policy_verdict v;

	a->metrics.frames_processed++;
	if (r->error < 0) {
		a->metrics.engine_errors++;
		agent_log(a, "face engine: %s", strerror(-r->error));
		return;
	}
	if (a->auth_tag) {
		policy_feed(&a->policy, &r->frame, &d);	/* presence only: decided */
	} else if (!lane_ready(a)) {
		policy_reset(&a->policy);
	} else if (!a->verify || !agent_reference_missing(a, &r->frame)) {
		v = policy_feed(&a->policy, &r->frame, &d);
		act(a, v, &d, &r->timing);
	}
	/* The worker is idle until the next frame: the reference may change now. */
	if (a->verify)
		agent_reference_check(a);
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
		agent_log(a, "lane: authorisation %llu completed (%d) but not in flight",
			  (unsigned long long)tag, res);
		return;
	}
	agent_record_passage(a, a->auth_tag > 0 ? a->auth_tag : 0, a->auth_traveller, res);
	a->auth_done_tag = a->auth_tag;
	a->auth_tag = 0;
	a->auth_traveller = 0;
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
		agent_log(a, "lane: ALARM %s (beams 0x%x)", lane_alarm_name(ev->arg), ev->beams);
		break;
	case EGATE_EV_EMERGENCY:
		agent_log(a, "lane: emergency input %s", ev->arg ? "ACTIVE: doors open" : "clear");
		break;
	case EGATE_EV_HEARTBEAT_LOST:
		agent_log(a, "lane: the driver says our heartbeat was lost");
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

/* With lane.alarm_reset_s set, an alarm or emergency over a clear lane resets itself. */
static void auto_reset(struct agent *a)
{
	unsigned int after_s = a->settings->lane.alarm_reset_s;
	bool latched = a->lane.state == EGATE_ST_ALARM || a->lane.state == EGATE_ST_EMERGENCY;
	struct egate_status st;

	if (!after_s || !latched || a->lane.beams) {
		a->alarm_since_ns = 0;
		return;
	}
	if (!a->alarm_since_ns)
		a->alarm_since_ns = a->now_ns;
	if (a->now_ns - a->alarm_since_ns < after_s * 1000000000ull)
		return;
	if (lane_status(&a->lane, &st) == 0 && (st.flags & EGATE_STATUS_EMERGENCY_IN))
		return;	/* the fire alarm is still on */
	agent_log(a, "lane: clear for %u s after the %s: resetting", after_s,
		  lane_state_name(a->lane.state));
	agent_command(a, EGATE_CMD_RESET, 0, 0, 0);
	a->alarm_since_ns = 0;
}

void agent_on_tick(struct agent *a)
{
	if (a->now_ns >= a->next_heartbeat_ns) {
		agent_command(a, EGATE_CMD_HEARTBEAT, 0, 0, 0);
		a->next_heartbeat_ns = a->now_ns + a->lane.heartbeat_ms * 1000000ull / 4;
	}
	if (a->watchdog_usec)
		sd_notify(0, "WATCHDOG=1");
	auto_reset(a);
	if (a->now_ns >= a->next_purge_ns && lane_ready(a))
		agent_audit_purge(a);
	if (!a->verify)
		agent_gallery_check(a);
	else if (!worker_busy(a->worker))
		agent_reference_check(a);
	if (a->camera.camera)
		agent_arm_camera(a);
	else if (a->now_ns >= a->camera.next_look_ns)
		agent_camera_look(a);
	if (a->metrics_path[0] && a->metrics.dirty && a->now_ns >= a->next_metrics_ns) {
		int r = metrics_write(&a->metrics, a->metrics_path, a->lane_name);

		if (r < 0)
			agent_log(a, "metrics: cannot write %s: %s", a->metrics_path, strerror(-r));
		a->next_metrics_ns = a->now_ns + AGENT_METRICS_MS * 1000000ull;
	}
}
