// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - what the agent leaves behind: one log line per thing that
 * happened (stderr, which systemd hands to the journal), a structured
 * journal entry with a MESSAGE_ID for every decision and passage outcome,
 * and the audit record in the store (never a face image).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "agent.h"

/* MESSAGE_IDs of the agent's journal entries (journalctl MESSAGE_ID=...). */
#define MESSAGE_ID_DECISION "10953241a4b9491dbcfff7a1c9492831"
#define MESSAGE_ID_PASSAGE "9b38213c053e44c49e1ce2e5111106bf"

void agent_log(struct agent *a, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, a->lane_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void log_store_failure(struct agent *a, const char *what, int r)
{
	agent_log(a, "audit: recording the %s failed (%s): %s", what, strerror(-r),
		  egate_store_last_error(a->store));
}

int64_t agent_record_decision(struct agent *a, enum egate_decision decision,
			      const struct policy_decision *d, const char *document_id)
{
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_DECISION,
		.lane = a->lane_name,
		.traveller_id = d->traveller_id,
		.score = d->distance,
		.margin = d->margin,
		.quality = d->quality,
		.decision = decision,
		.candidate_id = d->candidate_id,
		.candidate_distance = d->candidate_distance,
		.document_id = document_id,
	};
	char candidate[EGATE_STORE_LABEL_MAX + 64] = "";
	int64_t id = 0;
	int r;

	r = egate_store_audit_append(a->store, &rec, &id);
	if (r < 0)
		log_store_failure(a, "decision", r);
	a->metrics.decisions[decision]++;
	a->metrics.dirty = true;
	if (d->candidate_id)
		snprintf(candidate, sizeof(candidate), " nearest %s (id %lld) at %.3f",
			 agent_label(a, d->candidate_id), (long long)d->candidate_id,
			 d->candidate_distance);
	else if (document_id)
		snprintf(candidate, sizeof(candidate), " to document %s", document_id);
	agent_log(a, "decision %s: traveller %s (id %lld) distance %.3f%s margin %.3f "
		  "quality %.2f after %u frames, audit #%lld", egate_decision_name(decision),
		  agent_label(a, d->traveller_id), (long long)d->traveller_id, d->distance,
		  candidate, d->margin, d->quality, d->frames, (long long)id);
	sd_journal_send("MESSAGE=%s: %s traveller %s", a->lane_name,
			egate_decision_name(decision), agent_label(a, d->traveller_id),
			"MESSAGE_ID=" MESSAGE_ID_DECISION, "PRIORITY=6",
			"EGATE_LANE=%s", a->lane_name,
			"EGATE_DECISION=%s", egate_decision_name(decision),
			"EGATE_TRAVELLER_ID=%lld", (long long)d->traveller_id,
			"EGATE_DISTANCE=%.4f", d->distance,
			"EGATE_CANDIDATE_ID=%lld", (long long)d->candidate_id,
			"EGATE_CANDIDATE_DISTANCE=%.4f", d->candidate_distance,
			"EGATE_DOCUMENT_ID=%s", document_id ? document_id : "",
			"EGATE_AUDIT_ID=%lld", (long long)id, NULL);
	return id;
}

void agent_record_passage(struct agent *a, int64_t decision_id, int64_t traveller_id,
			  int outcome)
{
	/* A refused (or cancelled) authorisation: no passage, aborted. */
	const char *name = outcome > 0 ? lane_outcome_name(outcome) : strerror(-outcome);
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_PASSAGE,
		.lane = a->lane_name,
		.traveller_id = traveller_id,
		.score = NAN, .margin = NAN, .quality = NAN,
		.outcome = outcome > 0 ? lane_outcome_to_audit(outcome) : EGATE_OUTCOME_ABORTED,
		.decision_id = decision_id,
	};
	int64_t id = 0;
	int r;

	r = egate_store_audit_append(a->store, &rec, &id);
	if (r < 0)
		log_store_failure(a, "passage", r);
	if (outcome > 0 && outcome < EGATE_OUT_COUNT)
		a->metrics.outcomes[outcome]++;
	a->metrics.dirty = true;
	agent_log(a, "passage of %s (decision #%lld): %s%s, audit #%lld",
		  agent_label(a, traveller_id), (long long)decision_id,
		  outcome > 0 ? "" : "the lane refused the authorisation: ", name, (long long)id);
	sd_journal_send("MESSAGE=%s: passage %s", a->lane_name, name,
			"MESSAGE_ID=" MESSAGE_ID_PASSAGE,
			"PRIORITY=%d", outcome == EGATE_OUT_COMPLETED ? 6 : 4,
			"EGATE_LANE=%s", a->lane_name,
			"EGATE_OUTCOME=%s", outcome > 0 ? name : "refused",
			"EGATE_TRAVELLER_ID=%lld", (long long)traveller_id,
			"EGATE_DECISION_ID=%lld", (long long)decision_id,
			"EGATE_AUDIT_ID=%lld", (long long)id, NULL);
}

/*
 * The retention purge (store.audit_retention_days), at start and then
 * hourly: an hour's worth of expired records is a few hundred rows at a
 * busy lane, one indexed DELETE and one fsync, milliseconds; an hour with
 * nothing to delete costs one index probe and writes nothing.  The loop
 * is held while it runs (and up to store.busy_timeout_ms if another
 * process holds the database), so the tick runs it only while the lane is
 * idle with no authorisation pending; the first purge after a long
 * downtime may take longer and runs before the lane is claimed.
 */
void agent_audit_purge(struct agent *a)
{
	unsigned int days = a->settings->store.audit_retention_days;
	struct timespec ts;
	uint64_t deleted = 0;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	r = egate_store_audit_purge(a->store, days, (int64_t)ts.tv_sec * 1000000 +
				    ts.tv_nsec / 1000, &deleted);
	if (r < 0)
		log_store_failure(a, "retention purge", r);
	else if (deleted)
		agent_log(a, "audit: retention purge deleted %llu records older than %u days",
			  (unsigned long long)deleted, days);
	a->next_purge_ns = agent_now_ns() + AGENT_PURGE_MS * 1000000ull;
}
