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
	[EGATE_AUDIT_CHECKPOINT] = "checkpoint",
	[EGATE_AUDIT_GALLERY] = "gallery",
	[EGATE_AUDIT_OFFICER] = "officer",
	[EGATE_AUDIT_LANE_EVENT] = "lane_event",
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

_Static_assert(ELEMENTSOF(kind_names) == EGATE_AUDIT_KIND_COUNT, "a kind has no name");
_Static_assert(ELEMENTSOF(decision_names) == EGATE_DECISION_COUNT, "a decision has no name");
_Static_assert(ELEMENTSOF(outcome_names) == EGATE_OUTCOME_COUNT, "an outcome has no name");

const char *egate_audit_kind_name(enum egate_audit_kind kind)
{
	return (unsigned int)kind < ELEMENTSOF(kind_names) ? kind_names[kind] : NULL;
}

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

static void value_measure(struct chain_value *v, double value)
{
	*v = isnan(value) ? (struct chain_value){ .type = SQLITE_NULL } :
		(struct chain_value){ .type = SQLITE_FLOAT, .d = value };
}

static void value_id(struct chain_value *v, int64_t id)
{
	if (id > 0)
		chain_int(v, id);
	else
		*v = (struct chain_value){ .type = SQLITE_NULL };
}

/*
 * Appends without checks (the public entries and the purge validate),
 * inside a transaction: the record's column values, as they are stored
 * and hashed.
 */
static int append(struct egate_store *store, const struct egate_audit_record *rec,
		  int64_t *ret_id)
{
	struct chain_value v[CHAIN_COLUMNS];

	for (int i = 0; i < CHAIN_COLUMNS; i++)
		v[i].type = SQLITE_NULL;
	chain_text(&v[CHAIN_KIND], kind_names[rec->kind]);
	chain_int(&v[CHAIN_TIME], rec->time_us ?: store_now_us());
	chain_text(&v[CHAIN_LANE], rec->lane);
	value_id(&v[CHAIN_TRAVELLER], rec->traveller_id);
	switch (rec->kind) {
	case EGATE_AUDIT_DECISION:
		value_measure(&v[CHAIN_SCORE], rec->score);
		value_measure(&v[CHAIN_MARGIN], rec->margin);
		value_measure(&v[CHAIN_QUALITY], rec->quality);
		chain_text(&v[CHAIN_DECISION], decision_names[rec->decision]);
		if (rec->candidate_id > 0) {
			chain_int(&v[CHAIN_CANDIDATE], rec->candidate_id);
			value_measure(&v[CHAIN_CANDIDATE_DISTANCE], rec->candidate_distance);
		}
		chain_text(&v[CHAIN_DOCUMENT], rec->document_id);
		chain_text(&v[CHAIN_REASON], rec->reason);	/* a deny's why: "referred" */
		break;
	case EGATE_AUDIT_PASSAGE:
		chain_text(&v[CHAIN_OUTCOME], outcome_names[rec->outcome]);
		value_id(&v[CHAIN_DECISION_ID], rec->decision_id);
		break;
	case EGATE_AUDIT_GALLERY:
	case EGATE_AUDIT_OFFICER:
		chain_int(&v[CHAIN_ACTOR_UID], rec->actor_uid);
		chain_text(&v[CHAIN_ACTOR], rec->actor);
		chain_text(&v[CHAIN_ACTION], rec->action);
		chain_text(&v[CHAIN_REASON], rec->reason);
		break;
	case EGATE_AUDIT_LANE_EVENT:
		chain_text(&v[CHAIN_ACTION], rec->action);
		value_id(&v[CHAIN_DECISION_ID], rec->decision_id);
		break;
	case EGATE_AUDIT_PURGE:
	case EGATE_AUDIT_CHECKPOINT:
		value_id(&v[CHAIN_FIRST_ID], rec->first_id);
		chain_int(&v[CHAIN_LAST_ID], rec->last_id);
		chain_blob(&v[CHAIN_LAST_HASH], rec->last_hash, EGATE_AUDIT_HASH_SIZE);
		chain_blob(&v[CHAIN_SIGNATURE], rec->signature, EGATE_AUDIT_SIGNATURE_SIZE);
		break;
	default:
		break;
	}
	chain_text(&v[CHAIN_DETAIL], rec->detail);
	return chain_append(store, v, ret_id);
}

int audit_append_locked(struct egate_store *store, const struct egate_audit_record *rec,
			int64_t *ret_id)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	int r;

	if (!sqlite3_get_autocommit(store->db))
		return append(store, rec, ret_id);	/* the caller's transaction */
	r = store_begin(store, &tx);
	if (r >= 0)
		r = append(store, rec, ret_id);
	if (r >= 0)
		r = store_commit(&tx);
	return r;
}

static bool optional_text_valid(const char *text, size_t max)
{
	return !text || text_valid(text, max);
}

int egate_store_audit_append(struct egate_store *store,
			     const struct egate_audit_record *rec, int64_t *ret_id)
{
	assert(store);
	assert(rec);
	if (!text_valid(rec->lane, EGATE_STORE_LANE_MAX) || rec->time_us < 0 ||
	    rec->traveller_id < 0 || (rec->detail && rec->kind != EGATE_AUDIT_LANE_EVENT &&
				      rec->kind != EGATE_AUDIT_DECISION))
		return -EINVAL;
	switch (rec->kind) {
	case EGATE_AUDIT_DECISION:
		if (!egate_decision_name(rec->decision) || isinf(rec->score) ||
		    !optional_text_valid(rec->reason, EGATE_AUDIT_TEXT_MAX) ||
		    !optional_text_valid(rec->detail, EGATE_AUDIT_TEXT_MAX) ||
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
	case EGATE_AUDIT_GALLERY:
	case EGATE_AUDIT_OFFICER:
		if (!text_valid(rec->action, EGATE_AUDIT_TEXT_MAX) ||
		    !optional_text_valid(rec->actor, EGATE_AUDIT_TEXT_MAX) ||
		    !optional_text_valid(rec->reason, EGATE_AUDIT_TEXT_MAX) ||
		    rec->candidate_id || rec->document_id)
			return -EINVAL;
		break;
	case EGATE_AUDIT_LANE_EVENT:
		if (!text_valid(rec->action, EGATE_AUDIT_TEXT_MAX) ||
		    !optional_text_valid(rec->detail, EGATE_AUDIT_TEXT_MAX) ||
		    rec->decision_id < 0 || rec->candidate_id || rec->document_id ||
		    rec->actor || rec->reason)
			return -EINVAL;
		break;
	default:
		return -EINVAL;	/* purges and checkpoints come from the store only */
	}
	return audit_append_locked(store, rec, ret_id);
}

static double column_measure(sqlite3_stmt *stmt, int column)
{
	return sqlite3_column_type(stmt, column) == SQLITE_NULL ? NAN :
		sqlite3_column_double(stmt, column);
}

static const void *column_blob(sqlite3_stmt *stmt, int column, int size)
{
	return sqlite3_column_bytes(stmt, column) == size ? sqlite3_column_blob(stmt, column) : NULL;
}

int audit_record_from_row(sqlite3_stmt *stmt, struct egate_audit_record *rec)
{
	int kind = name_index(kind_names, ELEMENTSOF(kind_names),
			      (const char *)sqlite3_column_text(stmt, CHAIN_KIND));
	int decision = name_index(decision_names, ELEMENTSOF(decision_names),
				  (const char *)sqlite3_column_text(stmt, CHAIN_DECISION));
	int outcome = name_index(outcome_names, ELEMENTSOF(outcome_names),
				 (const char *)sqlite3_column_text(stmt, CHAIN_OUTCOME));

	*rec = (struct egate_audit_record){
		.id = sqlite3_column_int64(stmt, CHAIN_ID),
		.kind = (enum egate_audit_kind)kind,
		.time_us = sqlite3_column_int64(stmt, CHAIN_TIME),
		.lane = (const char *)sqlite3_column_text(stmt, CHAIN_LANE),
		.traveller_id = sqlite3_column_int64(stmt, CHAIN_TRAVELLER),
		.score = column_measure(stmt, CHAIN_SCORE),
		.margin = column_measure(stmt, CHAIN_MARGIN),
		.quality = column_measure(stmt, CHAIN_QUALITY),
		.decision = (enum egate_decision)decision,
		.outcome = (enum egate_passage_outcome)outcome,
		.decision_id = sqlite3_column_int64(stmt, CHAIN_DECISION_ID),
		.detail = (const char *)sqlite3_column_text(stmt, CHAIN_DETAIL),
		.candidate_id = sqlite3_column_int64(stmt, CHAIN_CANDIDATE),
		.candidate_distance = column_measure(stmt, CHAIN_CANDIDATE_DISTANCE),
		.document_id = (const char *)sqlite3_column_text(stmt, CHAIN_DOCUMENT),
		.actor_uid = (uint32_t)sqlite3_column_int64(stmt, CHAIN_ACTOR_UID),
		.actor = (const char *)sqlite3_column_text(stmt, CHAIN_ACTOR),
		.action = (const char *)sqlite3_column_text(stmt, CHAIN_ACTION),
		.reason = (const char *)sqlite3_column_text(stmt, CHAIN_REASON),
		.first_id = sqlite3_column_int64(stmt, CHAIN_FIRST_ID),
		.last_id = sqlite3_column_int64(stmt, CHAIN_LAST_ID),
		.last_hash = column_blob(stmt, CHAIN_LAST_HASH, EGATE_AUDIT_HASH_SIZE),
		.signature = column_blob(stmt, CHAIN_SIGNATURE, EGATE_AUDIT_SIGNATURE_SIZE),
		.hash = column_blob(stmt, CHAIN_COLUMNS, EGATE_AUDIT_HASH_SIZE),
	};
	/* The schema's CHECKs make these impossible short of a hand edit. */
	if (kind < 0 || (kind == EGATE_AUDIT_DECISION && decision < 0) ||
	    (kind == EGATE_AUDIT_PASSAGE && outcome < 0))
		return -EBADMSG;
	return 0;
}

int egate_store_audit_foreach(struct egate_store *store, int64_t after_id,
			      egate_audit_cb cb, void *userdata)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	struct egate_audit_record rec;
	int rc, r;

	assert(store);
	assert(cb);
	r = store_prepare(store, AUDIT_SELECT " WHERE id > ? ORDER BY id", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, after_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = audit_record_from_row(stmt, &rec);
		if (r >= 0)
			r = cb(&rec, userdata);
		if (r < 0)
			return r;
	}
	return store_errno(store->db, rc);
}

/*
 * The newest time the database has seen, the purge's bound on a clock
 * that may be wrong: records and enrolments (not purge or checkpoint
 * records, which a wrong clock itself stamps).  0: none stored.
 */
static int newest_record_us(struct egate_store *store, int64_t *ret)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_prepare(store, "SELECT max(coalesce((SELECT max(time_us) FROM audit"
				 " WHERE kind NOT IN ('purge', 'checkpoint')), 0),"
				 " coalesce((SELECT max(enrolled_us) FROM travellers), 0))", &stmt);
	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r >= 0)
		*ret = sqlite3_column_int64(stmt, 0);
	return r;
}

/*
 * The range a purge removes: the oldest records by id, up to the first
 * one not older than cutoff_us, so that the chain loses a prefix only.
 * rec->last_id 0: nothing to remove.
 */
static int purge_range(struct egate_store *store, int64_t cutoff_us,
		       struct egate_audit_record *rec, uint8_t last_hash[EGATE_AUDIT_HASH_SIZE])
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_prepare(store, "SELECT (SELECT min(id) FROM audit), id, hash FROM audit"
				 " WHERE id < coalesce((SELECT min(id) FROM audit WHERE time_us >= ?),"
				 " 9223372036854775807) ORDER BY id DESC LIMIT 1", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, cutoff_us);
	r = store_step_row(store, stmt);
	if (r == -ENODATA)
		return 0;
	if (r < 0)
		return r;
	if (sqlite3_column_bytes(stmt, 2) != EGATE_AUDIT_HASH_SIZE)
		return -EBADMSG;
	rec->first_id = sqlite3_column_int64(stmt, 0);
	rec->last_id = sqlite3_column_int64(stmt, 1);
	memcpy(last_hash, sqlite3_column_blob(stmt, 2), EGATE_AUDIT_HASH_SIZE);
	rec->last_hash = last_hash;
	return 0;
}

/*
 * A lane fed by a centre (a sync state exists) keeps what the centre has
 * not archived: the range stops at the acknowledged record, and *held
 * says how many records older than the cutoff stay for it.  A lane
 * without a fleet purges as before.
 */
static int hold_unarchived(struct egate_store *store, struct egate_audit_record *rec,
			   uint8_t last_hash[EGATE_AUDIT_HASH_SIZE], uint64_t *held)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int64_t acked;
	int r;

	r = store_prepare(store, "SELECT s.audit_acked_id, (SELECT count(*) FROM audit"
				 " WHERE id > s.audit_acked_id AND id <= ?1), (SELECT hash FROM"
				 " audit WHERE id = (SELECT max(id) FROM audit WHERE"
				 " id <= s.audit_acked_id)) FROM sync_state s", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, rec->last_id);
	r = store_step_row(store, stmt);
	if (r == -ENODATA)
		return 0;	/* no fleet */
	if (r < 0)
		return r;
	acked = sqlite3_column_int64(stmt, 0);
	*held = (uint64_t)sqlite3_column_int64(stmt, 1);
	if (acked >= rec->last_id)
		return 0;
	if (acked < rec->first_id) {	/* nothing archived in the range */
		rec->last_id = 0;
		return 0;
	}
	if (sqlite3_column_bytes(stmt, 2) != EGATE_AUDIT_HASH_SIZE)
		return -EBADMSG;
	rec->last_id = acked;
	memcpy(last_hash, sqlite3_column_blob(stmt, 2), EGATE_AUDIT_HASH_SIZE);
	return 0;
}

static int delete_through(struct egate_store *store, int64_t last_id, uint64_t *ret_deleted)
{
	_cleanup_finalize_ sqlite3_stmt *open_window = NULL, *purge = NULL;
	int r;

	r = store_prepare(store, "INSERT INTO audit_purge_window VALUES (?)", &open_window);
	if (r >= 0) {
		sqlite3_bind_int64(open_window, 1, last_id);
		r = store_step_done(store, open_window);
	}
	if (r >= 0)
		r = store_prepare(store, "DELETE FROM audit WHERE id <= ?", &purge);
	if (r >= 0) {
		sqlite3_bind_int64(purge, 1, last_id);
		r = store_step_done(store, purge);
	}
	if (r < 0)
		return r;
	*ret_deleted = (uint64_t)sqlite3_changes64(store->db);
	return store_exec(store, "DELETE FROM audit_purge_window");
}

int egate_store_audit_purge(struct egate_store *store, unsigned int days,
			    int64_t now_us, uint64_t *ret_deleted, uint64_t *ret_held)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	struct egate_audit_record rec = { .kind = EGATE_AUDIT_PURGE, .time_us = now_us };
	uint8_t last_hash[EGATE_AUDIT_HASH_SIZE];
	int64_t newest_us, trusted_us, cutoff_us;
	uint64_t deleted = 0, erased = 0, held = 0;
	char detail[EGATE_AUDIT_TEXT_MAX + 1], today[16];
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
		r = purge_range(store, cutoff_us, &rec, last_hash);
	if (r >= 0 && rec.last_id)
		r = hold_unarchived(store, &rec, last_hash, &held);
	if (r >= 0 && rec.last_id)
		r = delete_through(store, rec.last_id, &deleted);
	if (r >= 0)
		r = gallery_erase_expired(store, today, &erased);
	if (r < 0)
		return r;
	/* One purge record per purge that deleted, not per run. */
	if (deleted || erased) {
		snprintf(detail, sizeof(detail),
			 "retention %u days: deleted %llu records older than %lld us;"
			 " erased %llu enrolments expired before %s%s",
			 days, (unsigned long long)deleted, (long long)cutoff_us,
			 (unsigned long long)erased, today,
			 held ? "; kept the records the centre has not archived" : "");
		rec.detail = detail;
		r = append(store, &rec, NULL);
	}
	if (r >= 0)
		r = store_commit(&tx);
	if (r < 0)
		return r;
	if (ret_deleted)
		*ret_deleted = deleted;
	if (ret_held)
		*ret_held = held;
	/* As a delete does: no erased template stays in the files. */
	return erased ? store_wal_wipe(store) : 0;
}
