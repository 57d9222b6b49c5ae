/* SPDX-License-Identifier: GPL-2.0 */
/*
 * storeworker.h - the store's own thread.  Every use of the database while
 * the lane runs (audit records, the retention purge, gallery reloads) is a
 * job that this thread runs in order, so that a slow disk (synchronous=FULL
 * fsyncs), a database locked by another process (up to
 * store.busy_timeout_ms) or a large gallery never hold up the event loop
 * that sends the lane's heartbeat and the systemd watchdog ping.
 *
 * A job is submitted by value and comes back by value, readable from an
 * eventfd.  An audit record is never given up: a failed append is reported
 * at once (final = false, so that the loop can refuse the decision and take
 * the lane out of service) and tried again every STORE_RETRY_MS until it is
 * written, then reported again (final = true).  Later jobs wait behind it:
 * the log keeps its order.  Purges and gallery loads report once.
 */
#ifndef EGATE_AGENT_STOREWORKER_H
#define EGATE_AGENT_STOREWORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egate-face.h"
#include "egate-reference.h"	/* EGATE_REFERENCE_SECRET_SIZE */
#include "egate-store.h"
#include "egate-store-sync.h"
#include "macro.h"	/* EGATE_ERRMSG_MAX */

#define STORE_QUEUE_MAX 32	/* jobs waiting; more is refused (-EAGAIN) */
#define STORE_RETRY_MS 1000	/* a failed audit append is tried again this often */

enum store_job_kind {
	STORE_APPEND,		/* record: one audit record */
	STORE_PURGE,		/* days: the retention purge */
	STORE_GALLERY,		/* the gallery, if its version is not version (or force) */
	STORE_SYNC,		/* the fleet's sync state: the lane's lag */
};

struct store_job {
	enum store_job_kind kind;
	uint64_t cookie;			/* the submitter's */
	/* STORE_APPEND: the record's strings are copied below */
	struct egate_audit_record record;
	char lane[EGATE_STORE_LANE_MAX + 1];
	char document[EGATE_STORE_DOCUMENT_MAX + 1];
	char actor[EGATE_AUDIT_TEXT_MAX + 1];
	char action[EGATE_AUDIT_TEXT_MAX + 1];
	char reason[EGATE_AUDIT_TEXT_MAX + 1];
	char detail[EGATE_AUDIT_TEXT_MAX + 1];
	/* STORE_PURGE */
	unsigned int days;
	/* STORE_GALLERY: now_s decides expiry */
	uint64_t version;
	bool force;
	int64_t now_s;

	/* results */
	int result;				/* 0, or -errno of this attempt */
	bool final;				/* false: failed, tried again */
	unsigned int attempts;
	int64_t id;				/* STORE_APPEND: the record's id */
	uint64_t deleted;			/* STORE_PURGE */
	uint64_t held;				/* STORE_PURGE: kept, not yet archived */
	struct egate_face_gallery *gallery;	/* STORE_GALLERY: new, the taker's;
						 * NULL: the version had not changed */
	struct egate_referrals *referrals;	/* STORE_GALLERY: with gallery, the taker's */
	struct egate_sync_state sync;		/* STORE_SYNC */
	size_t n_travellers, n_templates;
	int64_t next_expiry_s;			/* first enrolment to expire after now_s
						 * (CLOCK_REALTIME s), 0: none */
	char error[EGATE_ERRMSG_MAX];		/* result < 0: what the store said */
};

struct store_worker;

/*
 * How the worker signs the audit chain: a checkpoint (store.audit_key's
 * Ed25519 key) after every_records appended records, or after an append
 * every_s seconds after the last one, and one more when the worker stops.
 */
struct store_signing {
	uint8_t secret_key[EGATE_REFERENCE_SECRET_SIZE];
	unsigned int every_records, every_s;
};

/*
 * Copies the record's strings (lane, document_id, actor, action, reason,
 * detail) into the job: the caller's may go at once.  -EINVAL: one is
 * longer than the store takes.
 */
int store_job_append(struct store_job *job, const struct egate_audit_record *record,
		     uint64_t cookie);
/* Runs job once on store, in the caller's thread (at start, before the worker). */
void store_job_run(struct egate_store *store, struct store_job *job);

/*
 * The worker uses store until store_worker_free(); the caller still owns
 * it.  signing: NULL leaves the chain unsigned (no checkpoints).
 */
int store_worker_new(struct egate_store *store, const struct store_signing *signing,
		     struct store_worker **ret);
/* Tries what is still queued once, then stops: how many records were lost. */
unsigned int store_worker_free(struct store_worker *w);
/* Readable (eventfd) when a job came back. */
int store_worker_fd(const struct store_worker *w);
/* -EAGAIN: STORE_QUEUE_MAX jobs already wait. */
int store_worker_submit(struct store_worker *w, const struct store_job *job);
/* A job that came back (or a failed attempt of one): -EAGAIN when none. */
int store_worker_take(struct store_worker *w, struct store_job *ret);
/* Jobs submitted and not yet final. */
unsigned int store_worker_queued(struct store_worker *w);

#endif
