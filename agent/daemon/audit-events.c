// SPDX-License-Identifier: GPL-2.0
/*
 * audit-events.c - what matters after the fact besides decisions and
 * passages, as audit records (Documentation/audit.md): every officer
 * command the kernel reports for this lane, under the uid of the process
 * that sent it; the lane's alarms and emergencies; the periods it was out
 * of service, with why, and when it came back.  Recorded through the store
 * worker like every record: nothing here waits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "agent.h"

static int64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void record_lane(struct agent *a, const char *action, const char *detail,
			int64_t decision_id)
{
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_LANE_EVENT,
		.time_us = realtime_us(),
		.lane = a->lane_name,
		.action = action,
		.detail = detail && detail[0] ? detail : NULL,
		.decision_id = decision_id,
	};

	agent_record_submit(a, &rec, 0);
}

/* Why the lane went out of service, as far as the agent knows. */
static void out_of_service_cause(const struct agent *a, char *buf, size_t size)
{
	size_t n;

	if (a->lane_audit.heartbeat_lost) {
		snprintf(buf, size, "the agent's heartbeat was lost");
	} else if (a->lane.mode == EGATE_MODE_OUT_OF_SERVICE && a->faults) {
		n = (size_t)snprintf(buf, size, "set out of service by the agent:");
		for (uint32_t f = 1; f <= AGENT_FAULT_WORKER && n < size; f <<= 1)
			if (a->faults & f)
				n += (size_t)snprintf(buf + n, size - n, " %s;",
						      agent_fault_name(f));
	} else if (a->lane.mode == EGATE_MODE_OUT_OF_SERVICE) {
		snprintf(buf, size, "mode out_of_service, not set by the agent");
	} else {
		snprintf(buf, size, "the driver took it out of service");
	}
}

void agent_audit_lane_event(struct agent *a, const struct egate_event *ev)
{
	struct agent_lane_audit *la = &a->lane_audit;
	char detail[EGATE_AUDIT_TEXT_MAX + 1] = "";

	switch (ev->type) {
	case EGATE_EV_ALARM:
		snprintf(detail, sizeof(detail), "%s (beams 0x%x)", lane_alarm_name(ev->arg),
			 ev->beams);
		record_lane(a, EGATE_AUDIT_LANE_ALARM, detail, (int64_t)ev->tag);
		break;
	case EGATE_EV_EMERGENCY:
		record_lane(a, ev->arg ? EGATE_AUDIT_LANE_EMERGENCY :
			    EGATE_AUDIT_LANE_EMERGENCY_CLEAR, NULL, 0);
		break;
	case EGATE_EV_HEARTBEAT_LOST:
		la->heartbeat_lost = true;
		break;
	case EGATE_EV_STATE:
		if (ev->state == EGATE_ST_OUT_OF_SERVICE && ev->arg != EGATE_ST_OUT_OF_SERVICE) {
			out_of_service_cause(a, detail, sizeof(detail));
			la->out_of_service_ns = ev->timestamp_ns;
			record_lane(a, EGATE_AUDIT_LANE_OUT_OF_SERVICE, detail, 0);
		} else if (ev->arg == EGATE_ST_OUT_OF_SERVICE &&
			   ev->state != EGATE_ST_OUT_OF_SERVICE) {
			if (la->out_of_service_ns)
				snprintf(detail, sizeof(detail), "after %.1f s out of service",
					 (ev->timestamp_ns - la->out_of_service_ns) / 1e9);
			la->out_of_service_ns = 0;
			la->heartbeat_lost = false;
			record_lane(a, EGATE_AUDIT_LANE_IN_SERVICE, detail, 0);
		}
		break;
	default:
		break;
	}
}

void agent_audit_stopping(struct agent *a)
{
	if (a->store_worker && a->lane.fd >= 0 && a->lane.state != EGATE_ST_OUT_OF_SERVICE)
		record_lane(a, EGATE_AUDIT_LANE_OUT_OF_SERVICE, "the agent stopped", 0);
}

static void on_officer(const struct officer_event *ev, void *userdata)
{
	struct agent *a = userdata;
	const char *action = officer_action_name(ev->action);
	char unknown[32];
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_OFFICER,
		.time_us = realtime_us(),
		.lane = a->lane_name,
		.actor_uid = ev->uid,
		.actor = ev->operator[0] ? ev->operator : NULL,
		.reason = ev->reason[0] ? ev->reason : NULL,
	};

	if (ev->lane != a->lane.info.lane_id)
		return;
	if (!action) {	/* a newer driver's: recorded all the same */
		snprintf(unknown, sizeof(unknown), "action %u", ev->action);
		action = unknown;
	}
	rec.action = action;
	agent_logp(a, LOG_NOTICE, "officer %s (uid %u): %s: %s", ev->operator, ev->uid, action,
		   ev->reason);
	agent_record_submit(a, &rec, 0);
}

int agent_officers_init(struct agent *a)
{
	char err[EGATE_ERRMSG_MAX] = "";
	int r = officer_watch_new(&a->officers, err, sizeof(err));

	if (r < 0)
		agent_log(a, "officer commands: %s", err);
	return r;
}

void agent_officers_ready(struct agent *a)
{
	int r = officer_watch_read(a->officers, on_officer, a);

	if (r == -ENOBUFS) {
		agent_logp(a, LOG_ERR, "officer commands: netlink socket overrun, some may be "
			   "missing from the audit log (the kernel log has them)");
		record_lane(a, EGATE_AUDIT_LANE_EVENTS_LOST,
			    "officer commands: netlink socket overrun", 0);
	} else if (r < 0) {
		agent_logp(a, LOG_ERR, "officer commands: reading the netlink socket failed");
	}
}
