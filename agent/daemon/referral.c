// SPDX-License-Identifier: GPL-2.0
/*
 * referral.c - "refer to officer" (Documentation/fleet.md): the centre
 * flags a traveller (egate-central flag) and every lane, once its gallery
 * has the flag, denies them where the policy would admit them.  The deny
 * record names the traveller as its candidate, with reason "referred"; an
 * officer is called by a log entry at LOG_ALERT (the journal's priority
 * 1, for the officers' console) and a lane event record "referred", which
 * egate-sync carries to the centre's archive.
 */
#include <math.h>
#include <stdio.h>
#include <syslog.h>

#include "agent.h"

static void call_officer(struct agent *a, int64_t traveller_id, double distance)
{
	char detail[EGATE_AUDIT_TEXT_MAX + 1];
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_LANE_EVENT,
		.lane = a->lane_name,
		.action = EGATE_AUDIT_LANE_REFERRED,
		.detail = detail,
	};

	snprintf(detail, sizeof(detail), "traveller id %lld (distance %.3f) flagged by the"
		 " centre: denied, refer to an officer", (long long)traveller_id, distance);
	agent_logp(a, LOG_ALERT, "REFER TO OFFICER: %s", detail);
	agent_record_submit(a, &rec, 0);
}

enum policy_verdict agent_referral(struct agent *a, enum policy_verdict v,
				   struct policy_decision *d)
{
	if (v != POLICY_ADMIT || !egate_referrals_contains(a->referrals, d->traveller_id))
		return v;
	call_officer(a, d->traveller_id, d->distance);
	a->metrics.referrals++;
	/* A DENY names nobody: the flagged traveller is its candidate. */
	d->verdict = POLICY_DENY;
	d->candidate_id = d->traveller_id;
	d->candidate_distance = d->distance;
	d->traveller_id = 0;
	d->distance = NAN;
	d->reason = EGATE_AUDIT_REASON_REFERRED;
	return POLICY_DENY;
}
