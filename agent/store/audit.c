// SPDX-License-Identifier: GPL-2.0
/*
 * audit.c - the append-only audit log: decisions, passage outcomes, and the
 * retention purge, which is the only path that deletes (see schema.c for
 * the triggers that hold everyone else to appending).
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store-internal.h"

#define US_PER_DAY (86400LL * 1000000)

static const char *const kind_names[] = {
	[EGATE_AUDIT_DECISION] = "decision",
	[EGATE_AUDIT_PASSAGE] = "passage",
	[EGATE_AUDIT_PURGE] = "purge",
};

static const char *const decision_names[] = {
	[EGATE_DECISION_ADMIT] = "admit",
	[EGATE_DECISION_DENY] = "deny",
	[EGATE_DECISION_ONE_AT_A_TIME] = "one_at_a_time",
};

static const char *const outcome_names[] = {
	[EGATE_OUTCOME_PASSED] = "passed",
	[EGATE_OUTCOME_EXPIRED] = "expired",
	[EGATE_OUTCOME_CANCELLED] = "cancelled",
	[EGATE_OUTCOME_ABORTED] = "aborted",
	[EGATE_OUTCOME_TAILGATING] = "tailgating",
	[EGATE_OUTCOME_WRONG_WAY] = "wrong_way",
	[EGATE_OUTCOME_INTRUSION] = "intrusion",
	[EGATE_OUTCOME_LOITERING] = "loitering",
	[EGATE_OUTCOME_FORCED_DOOR] = "forced_door",
	[EGATE_OUTCOME_OBSTRUCTION] = "obstruction",
	[EGATE_OUTCOME_EMERGENCY] = "emergency",
	[EGATE_OUTCOME_FAULT] = "fault",
};

_Static_assert(ELEMENTSOF(decision_names) == EGATE_DECISION_COUNT, "a decision has no name");
_Static_assert(ELEMENTSOF(outcome_names) == EGATE_OUTCOME_COUNT, "an outcome has no name");

const char *egate_decision_name(enum egate_decision decision)
{
	return (unsigned int)decision < ELEMENTSOF(decision_names) ?
		decision_names[decision] : NULL;
}

const char *egate_passage_outcome_name(enum egate_passage_outcome outcome)
{
	return (unsigned int)outcome < ELEMENTSOF(outcome_names) ?
		outcome_names[outcome] : NULL;
}

/* The index of name in names, or -1. */
static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

static bool text_valid(const char *text, size_t max)
{
	size_t len = text ? strlen(text) : 0;

	return len >= 1 && len <= max;
}

static void bind_measure(sqlite3_stmt *stmt, int column, double value)
{
	if (isnan(value))
		sqlite3_bind_null(stmt, column);
	else
		sqlite3_bind_double(stmt, column, value);
}

static void bind_id(sqlite3_stmt *stmt, int column, int64_t id)
{
	if (id > 0)
		sqlite3_bind_int64(stmt, column, id);
	else
		sqlite3_bind_null(stmt, column);
}

/* Appends without checks: the public entry and the purge validate. */
static int append(struct egate_store *store, const struct egate_audit_record *rec,
		  int64_t *ret_id)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_prepare(store, "INSERT INTO audit (kind, time_us, lane, traveller_id, score,"
				 " margin, quality, decision, outcome, decision_id, detail,"
				 " candidate_id, candidate_distance, document_id)"
				 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, kind_names[rec->kind], -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, rec->time_us ?: store_now_us());
	sqlite3_bind_text(stmt, 3, rec->lane, -1, SQLITE_STATIC);
	bind_id(stmt, 4, rec->traveller_id);
	if (rec->kind == EGATE_AUDIT_DECISION) {
		bind_measure(stmt, 5, rec->score);
		bind_measure(stmt, 6, rec->margin);
		bind_measure(stmt, 7, rec->quality);
		sqlite3_bind_text(stmt, 8, decision_names[rec->decision], -1, SQLITE_STATIC);
		if (rec->candidate_id > 0) {
			sqlite3_bind_int64(stmt, 12, rec->candidate_id);
			sqlite3_bind_double(stmt, 13, rec->candidate_distance);
		}
		sqlite3_bind_text(stmt, 14, rec->document_id, -1, SQLITE_STATIC);
	} else if (rec->kind == EGATE_AUDIT_PASSAGE) {
		sqlite3_bind_text(stmt, 9, outcome_names[rec->outcome], -1, SQLITE_STATIC);
		bind_id(stmt, 10, rec->decision_id);
	}
	sqlite3_bind_text(stmt, 11, rec->detail, -1, SQLITE_STATIC);
	r = store_step_done(store, stmt);
	if (r >= 0 && ret_id)
		*ret_id = sqlite3_last_insert_rowid(store->db);
	return r;
}

int egate_store_audit_append(struct egate_store *store,
			     const struct egate_audit_record *rec, int64_t *ret_id)
{
	assert(store);
	assert(rec);
	if (!text_valid(rec->lane, EGATE_STORE_LANE_MAX) || rec->time_us < 0 || rec->traveller_id < 0 || rec->detail)
		return -EINVAL;
	switch (rec->kind) {
	case EGATE_AUDIT_DECISION:
		if (!egate_decision_name(rec->decision) || isinf(rec->score) ||
		    isinf(rec->margin) || isinf(rec->quality) || rec->candidate_id < 0 ||
		    (rec->candidate_id && !isfinite(rec->candidate_distance)) ||
		    (rec->document_id && !text_valid(rec->document_id, EGATE_STORE_DOCUMENT_MAX)))
			return -EINVAL;
		break;
	case EGATE_AUDIT_PASSAGE:
		if (!egate_passage_outcome_name(rec->outcome) || rec->decision_id < 0 ||
		    rec->candidate_id || rec->document_id)
			return -EINVAL;
		break;
	default:
		return -EINVAL;	/* purge records come from the purge only */
	}
	/* Outside a transaction, the INSERT is one, committed durably. */
	return append(store, rec, ret_id);
}

static double column_measure(sqlite3_stmt *stmt, int column)
{
	return sqlite3_column_type(stmt, column) == SQLITE_NULL ? NAN :
		sqlite3_column_double(stmt, column);
}

int egate_store_audit_foreach(struct egate_store *store, int64_t after_id,
			      egate_audit_cb cb, void *userdata)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	assert(store);
	assert(cb);
	r = store_prepare(store, "SELECT id, kind, time_us, lane, traveller_id, score, margin,"
				 " quality, decision, outcome, decision_id, detail, candidate_id,"
				 " candidate_distance, document_id FROM audit WHERE id > ? ORDER BY id",
			  &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, after_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int kind = name_index(kind_names, ELEMENTSOF(kind_names),
				      (const char *)sqlite3_column_text(stmt, 1));
		int decision = name_index(decision_names, ELEMENTSOF(decision_names),
					  (const char *)sqlite3_column_text(stmt, 8));
		int outcome = name_index(outcome_names, ELEMENTSOF(outcome_names),
					 (const char *)sqlite3_column_text(stmt, 9));
		struct egate_audit_record rec = {
			.id = sqlite3_column_int64(stmt, 0),
			.kind = (enum egate_audit_kind)kind,
			.time_us = sqlite3_column_int64(stmt, 2),
			.lane = (const char *)sqlite3_column_text(stmt, 3),
			.traveller_id = sqlite3_column_int64(stmt, 4),
			.score = column_measure(stmt, 5),
			.margin = column_measure(stmt, 6),
			.quality = column_measure(stmt, 7),
			.decision = (enum egate_decision)decision,
			.outcome = (enum egate_passage_outcome)outcome,
			.decision_id = sqlite3_column_int64(stmt, 10),
			.detail = (const char *)sqlite3_column_text(stmt, 11),
			.candidate_id = sqlite3_column_int64(stmt, 12),
			.candidate_distance = column_measure(stmt, 13),
			.document_id = (const char *)sqlite3_column_text(stmt, 14),
		};

		/* The schema's CHECKs make these impossible short of a hand edit. */
		if (kind < 0 || (kind == EGATE_AUDIT_DECISION && decision < 0) ||
		    (kind == EGATE_AUDIT_PASSAGE && outcome < 0))
			return -EBADMSG;
		r = cb(&rec, userdata);
		if (r < 0)
			return r;
	}
	return store_errno(store->db, rc);
}

/*
 * The newest time the database has seen, the purge's bound on a clock
 * that may be wrong: decisions, passages and enrolments (not purge records,
 * which a wrong clock itself stamps).  0: none stored.
 */
static int newest_record_us(struct egate_store *store, int64_t *ret)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_prepare(store, "SELECT max(coalesce((SELECT max(time_us) FROM audit"
				 " WHERE kind != 'purge'), 0), coalesce((SELECT max(enrolled_us)"
				 " FROM travellers), 0))", &stmt);
	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r >= 0)
		*ret = sqlite3_column_int64(stmt, 0);
	return r;
}

static int delete_older(struct egate_store *store, int64_t cutoff_us, uint64_t *ret_deleted)
{
	_cleanup_finalize_ sqlite3_stmt *open_window = NULL, *purge = NULL;
	int r;

	r = store_prepare(store, "INSERT INTO audit_purge_window VALUES (?)", &open_window);
	if (r >= 0) {
		sqlite3_bind_int64(open_window, 1, cutoff_us);
		r = store_step_done(store, open_window);
	}
	if (r >= 0)
		r = store_prepare(store, "DELETE FROM audit WHERE time_us < ? AND kind != 'purge'",
				  &purge);
	if (r >= 0) {
		sqlite3_bind_int64(purge, 1, cutoff_us);
		r = store_step_done(store, purge);
	}
	if (r < 0)
		return r;
	*ret_deleted = (uint64_t)sqlite3_changes64(store->db);
	return store_exec(store, "DELETE FROM audit_purge_window");
}

int egate_store_audit_purge(struct egate_store *store, unsigned int days,
			    int64_t now_us, uint64_t *ret_deleted)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	struct egate_audit_record rec = { .kind = EGATE_AUDIT_PURGE, .time_us = now_us };
	int64_t newest_us, trusted_us, cutoff_us;
	uint64_t deleted = 0, erased = 0;
	char detail[192], today[16];
	int r;

	assert(store);
	if (!days || days > 36500 || now_us < (int64_t)days * US_PER_DAY)
		return -EINVAL;

	r = store_begin(store, &tx);
	if (r >= 0)
		r = newest_record_us(store, &newest_us);
	if (r < 0)
		return r;
	if (!newest_us)
		return 0;	/* nothing stored, nothing to purge */
	trusted_us = newest_us < now_us ? newest_us : now_us;
	cutoff_us = trusted_us - (int64_t)days * US_PER_DAY;
	r = store_utc_date((time_t)(trusted_us / 1000000), today);
	if (r >= 0)
		r = delete_older(store, cutoff_us, &deleted);
	if (r >= 0)
		r = gallery_erase_expired(store, today, &erased);
	if (r < 0)
		return r;
	/* Purge records stay for good: one per purge that deleted, not per run. */
	if (deleted || erased) {
		snprintf(detail, sizeof(detail),
			 "retention %u days: deleted %llu records older than %lld us;"
			 " erased %llu enrolments expired before %s",
			 days, (unsigned long long)deleted, (long long)cutoff_us,
			 (unsigned long long)erased, today);
		rec.detail = detail;
		r = append(store, &rec, NULL);
	}
	if (r >= 0)
		r = store_commit(&tx);
	if (r < 0)
		return r;
	if (ret_deleted)
		*ret_deleted = deleted;
	/* As a delete does: no erased template stays in the files. */
	return erased ? store_wal_wipe(store) : 0;
}
