// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - what the agent leaves behind: log entries with a priority
 * (to the journal's native protocol when stderr is the journal, so each
 * entry carries its priority and lane and gets one timestamp, the
 * journal's; otherwise timestamped lines on stderr), for every decision
 * and passage outcome one entry with a MESSAGE_ID and structured fields,
 * and the audit record in the store, through the store worker (never a
 * face image).  Travellers are named by their id only: names and document
 * numbers stay in the database, out of the journal.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "agent.h"
#include "macro.h"

/* MESSAGE_IDs of the agent's journal entries (journalctl MESSAGE_ID=...). */
#define MESSAGE_ID_DECISION "10953241a4b9491dbcfff7a1c9492831"
#define MESSAGE_ID_PASSAGE "9b38213c053e44c49e1ce2e5111106bf"

/* stderr is the journal's stream (systemd sets JOURNAL_STREAM=dev:ino). */
static bool stderr_is_journal(void)
{
	static int journal = -1;
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (journal < 0)
		journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
			  fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
	return journal;
}

static void vlog(struct agent *a, int priority, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[LOG_EMERG] = "error: ", [LOG_ALERT] = "error: ", [LOG_CRIT] = "error: ",
		[LOG_ERR] = "error: ", [LOG_WARNING] = "warning: ", [LOG_NOTICE] = "",
		[LOG_INFO] = "", [LOG_DEBUG] = "",
	};
	char message[1024];
	struct timespec ts;
	struct tm tm;

	vsnprintf(message, sizeof(message), fmt, ap);
	if (stderr_is_journal()) {
		sd_journal_send("MESSAGE=%s: %s", a->lane_name, message, "PRIORITY=%d", priority,
				"EGATE_LANE=%s", a->lane_name, "EGATE_DEVICE=%s", a->lane.device,
				NULL);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s: %s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, a->lane_name, prefix[priority & 7], message);
}

void agent_logp(struct agent *a, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(a, priority, fmt, ap);
	va_end(ap);
}

void agent_log(struct agent *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(a, LOG_INFO, fmt, ap);
	va_end(ap);
}

/* -EAGAIN when the store worker's queue is full. */
int agent_record_submit(struct agent *a, const struct egate_audit_record *rec, uint64_t cookie)
{
	struct store_job job;
	int r;

	r = store_job_append(&job, rec, cookie);
	if (r >= 0)
		r = store_worker_submit(a->store_worker, &job);
	if (r < 0) {
		a->metrics.audit_failures++;
		a->metrics.dirty = true;
		agent_logp(a, LOG_ERR, "audit: cannot queue the record: %s", strerror(-r));
	}
	return r;
}

int agent_record_decision(struct agent *a, enum egate_decision decision,
			  const struct policy_decision *d, const char *document_id,
			  uint64_t cookie)
{
	struct timespec ts;
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
		.reason = d->reason,
		.detail = d->detail,
	};
	char candidate[64] = "", message[256];

	/* the verdict's time, however late it is written */
	clock_gettime(CLOCK_REALTIME, &ts);
	rec.time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	a->metrics.decisions[decision]++;
	a->metrics.dirty = true;
	if (d->candidate_id)
		snprintf(candidate, sizeof(candidate), " nearest id %lld at %.3f",
			 (long long)d->candidate_id, d->candidate_distance);
	else if (document_id)
		snprintf(candidate, sizeof(candidate), " to the document");
	snprintf(message, sizeof(message), "decision %s%s%s: traveller id %lld distance %.3f%s "
		 "margin %.3f quality %.2f after %u frames", egate_decision_name(decision),
		 d->reason ? " " : "", d->reason ?: "", (long long)d->traveller_id, d->distance,
		 candidate, d->margin, d->quality, d->frames);
	if (!stderr_is_journal())
		agent_log(a, "%s", message);
	else
		sd_journal_send("MESSAGE=%s: %s", a->lane_name, message,
				"MESSAGE_ID=" MESSAGE_ID_DECISION, "PRIORITY=6",
				"EGATE_LANE=%s", a->lane_name,
				"EGATE_DECISION=%s", egate_decision_name(decision),
				"EGATE_REASON=%s", d->reason ?: "",
				"EGATE_PAD=%s", d->detail ?: "",
				"EGATE_TRAVELLER_ID=%lld", (long long)d->traveller_id,
				"EGATE_DISTANCE=%.4f", d->distance,
				"EGATE_CANDIDATE_ID=%lld", (long long)d->candidate_id,
				"EGATE_CANDIDATE_DISTANCE=%.4f", d->candidate_distance, NULL);
	return agent_record_submit(a, &rec, cookie);
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

	char message[256];
	int priority = outcome == EGATE_OUT_COMPLETED ? LOG_INFO : LOG_WARNING;

	if (outcome > 0 && outcome < EGATE_OUT_COUNT)
		a->metrics.outcomes[outcome]++;
	a->metrics.dirty = true;
	snprintf(message, sizeof(message), "passage of traveller id %lld (decision #%lld): %s%s",
		 (long long)traveller_id, (long long)decision_id,
		 outcome > 0 ? "" : "no passage: ", name);
	if (!stderr_is_journal())
		agent_logp(a, priority, "%s", message);
	else
		sd_journal_send("MESSAGE=%s: %s", a->lane_name, message,
				"MESSAGE_ID=" MESSAGE_ID_PASSAGE, "PRIORITY=%d", priority,
				"EGATE_LANE=%s", a->lane_name,
				"EGATE_OUTCOME=%s", outcome > 0 ? name : "refused",
				"EGATE_TRAVELLER_ID=%lld", (long long)traveller_id,
				"EGATE_DECISION_ID=%lld", (long long)decision_id, NULL);
	agent_record_submit(a, &rec, 0);
}

/*
 * The retention purge (store.audit_retention_days): at start, in this
 * thread before the lane is claimed (a first purge after a long downtime
 * may take a while), then hourly by the store worker.
 */
void agent_audit_purge(struct agent *a)
{
	struct store_job job = {
		.kind = STORE_PURGE,
		.days = a->settings->store.audit_retention_days,
		.now_s = time(NULL),
	};

	a->next_purge_ns = monotonic_ns() + AGENT_PURGE_MS * 1000000ull;
	if (!a->store_worker) {
		store_job_run(a->store, &job);
		agent_purge_done(a, &job);
	} else if (store_worker_submit(a->store_worker, &job) < 0) {
		agent_logp(a, LOG_WARNING, "audit: retention purge postponed: the store is behind");
	}
}

void agent_audit_done(struct agent *a, const struct store_job *job)
{
	if (job->result < 0) {
		a->metrics.audit_failures++;
		a->metrics.dirty = true;
		if (!a->audit_failing_ns || a->audit_error != job->result)
			agent_logp(a, LOG_ERR, "audit: writing a %s record failed (%s): %s; "
				   "no decision is carried out until it is written",
				   egate_audit_kind_name(job->record.kind),
				   strerror(-job->result), job->error);
		a->audit_failing_ns = a->audit_failing_ns ?: a->now_ns ?: monotonic_ns();
		a->audit_error = job->result;
	} else if (a->audit_failing_ns) {
		agent_logp(a, LOG_NOTICE, "audit: records are written again (after %u attempts)",
			   job->attempts);
		a->audit_failing_ns = 0;
		a->audit_error = 0;
	}
}

void agent_purge_done(struct agent *a, const struct store_job *job)
{
	if (job->result < 0)
		agent_logp(a, LOG_WARNING, "audit: the retention purge failed (%s): %s",
			   strerror(-job->result), job->error);
	else if (job->deleted)
		agent_log(a, "audit: retention purge deleted %llu records older than %u days",
			  (unsigned long long)job->deleted, job->days);
	if (job->result >= 0 && job->held)
		agent_logp(a, LOG_WARNING, "audit: retention purge kept %llu records older than"
			   " %u days: the centre has not archived them yet",
			   (unsigned long long)job->held, job->days);
}
