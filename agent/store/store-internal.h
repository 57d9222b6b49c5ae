/* SPDX-License-Identifier: GPL-2.0 */
/* store-internal.h - what the store's files share: the connection, errors. */
#ifndef EGATE_STORE_INTERNAL_H
#define EGATE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "egate-store.h"
#include "egate-store-sync.h"
#include "macro.h"

struct egate_store {
	sqlite3 *db;
};

DEFINE_POINTER_CLEANUP(sqlite3_stmt, sqlite3_finalizep, sqlite3_finalize)
#define _cleanup_finalize_ _cleanup_(sqlite3_finalizep)

/* A SQLite result code as a negative errno. */
int store_errno(sqlite3 *db, int rc);

int store_prepare(struct egate_store *store, const char *sql, sqlite3_stmt **ret);
int store_exec(struct egate_store *store, const char *sql);
/* Steps a statement that returns no rows. */
int store_step_done(struct egate_store *store, sqlite3_stmt *stmt);
/* Steps to the one row a query must return: -ENODATA if there is none. */
int store_step_row(struct egate_store *store, sqlite3_stmt *stmt);

/*
 * Write transactions: BEGIN IMMEDIATE takes the write lock up front, so a
 * busy database is met (and waited for) at the start, never half way.
 * Holding the result of store_begin() in a _cleanup_rollback_ variable
 * rolls back on every early return; store_commit() disarms it.
 */
int store_begin(struct egate_store *store, struct egate_store **tx);
int store_commit(struct egate_store **tx);
void store_rollbackp(struct egate_store **tx);
#define _cleanup_rollback_ _cleanup_(store_rollbackp)

int64_t store_now_us(void);
/* "YYYY-MM-DD" of t in UTC: -EINVAL for a time gmtime cannot take. */
int store_utc_date(time_t t, char date[16]);

/*
 * Checkpoints the whole WAL into the database and truncates it, waiting
 * for readers up to the busy timeout: -EAGAIN if a reader kept it from
 * finishing (frames are left in the WAL).
 */
int store_wal_wipe(struct egate_store *store);

/* enrolments.c, inside a transaction: erases travellers expired before today. */
int gallery_erase_expired(struct egate_store *store, const char *today, uint64_t *ret_erased);

/*
 * chain.c: the hash chain (Documentation/audit.md).  A column value as
 * SQLite stores it; CHAIN_COLUMNS of them, in chain_column_names' order,
 * are a record's canonical encoding.
 */
struct chain_value {
	int type;		/* SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL */
	int64_t i;
	double d;
	const void *p;
	size_t len;
};

enum chain_column {
	CHAIN_ID, CHAIN_KIND, CHAIN_TIME, CHAIN_LANE, CHAIN_TRAVELLER, CHAIN_SCORE,
	CHAIN_MARGIN, CHAIN_QUALITY, CHAIN_DECISION, CHAIN_OUTCOME, CHAIN_DECISION_ID,
	CHAIN_DETAIL, CHAIN_CANDIDATE, CHAIN_CANDIDATE_DISTANCE, CHAIN_DOCUMENT,
	CHAIN_ACTOR_UID, CHAIN_ACTOR, CHAIN_ACTION, CHAIN_REASON, CHAIN_FIRST_ID,
	CHAIN_LAST_ID, CHAIN_LAST_HASH, CHAIN_SIGNATURE,
	CHAIN_COLUMNS
};
extern const char *const chain_column_names[CHAIN_COLUMNS];

/* The one row of audit_chain: what the genesis is made of, and the head. */
struct chain_info {
	uint8_t chain_id[16];
	char lane[EGATE_STORE_LANE_MAX + 1];	/* "": none */
	int64_t created_us;
	uint8_t genesis[EGATE_AUDIT_HASH_SIZE];
	int64_t head_id;			/* 0: no record yet */
	uint8_t head_hash[EGATE_AUDIT_HASH_SIZE];
};

void chain_text(struct chain_value *v, const char *text);
void chain_int(struct chain_value *v, int64_t i);
void chain_blob(struct chain_value *v, const void *p, size_t len);
void chain_column(sqlite3_stmt *stmt, int column, struct chain_value *v);
/* SHA-256(prev || version || encoding of values); prev NULL: none. */
void chain_hash(const uint8_t prev[EGATE_AUDIT_HASH_SIZE], const struct chain_value *values,
		size_t n, uint8_t out[EGATE_AUDIT_HASH_SIZE]);
/* The same bytes written out: their size, or -E2BIG past the buffer. */
int chain_encode(const struct chain_value *values, size_t n,
		 uint8_t buf[EGATE_AUDIT_CANONICAL_MAX]);
void chain_genesis(const struct chain_info *info, uint8_t out[EGATE_AUDIT_HASH_SIZE]);
/* -ENODATA: no chain yet. */
int chain_info_load(struct egate_store *store, struct chain_info *info);
/* Inside a transaction: the head, the chain started (for lane) if there is none. */
int chain_head(struct egate_store *store, const char *lane, struct chain_info *info);
/*
 * Inside a transaction: appends the record values (CHAIN_ID set by it
 * unless given) linked to the head, and moves the head.
 */
int chain_append(struct egate_store *store, struct chain_value values[CHAIN_COLUMNS],
		 int64_t *ret_id);
/* The migration to the chain: re-appends the records of audit_v2 in order. */
int chain_adopt(struct egate_store *store);

/* audit.c: every column of audit, in chain order, then hash. */
#define AUDIT_SELECT "SELECT id, kind, time_us, lane, traveller_id, score, margin, quality," \
	" decision, outcome, decision_id, detail, candidate_id, candidate_distance," \
	" document_id, actor_uid, actor, action, reason, first_id, last_id, last_hash," \
	" signature, hash FROM audit"
/* A row of AUDIT_SELECT, valid until the statement steps: -EBADMSG for a hand edit. */
int audit_record_from_row(sqlite3_stmt *stmt, struct egate_audit_record *rec);
/* Appends in the caller's transaction, or in one of its own. */
int audit_append_locked(struct egate_store *store, const struct egate_audit_record *rec,
			int64_t *ret_id);

/* checkpoint.c: the digest a checkpoint's signature signs. */
void checkpoint_message(const uint8_t genesis[EGATE_AUDIT_HASH_SIZE], int64_t id,
			int64_t time_us, int64_t head_id, const uint8_t head[EGATE_AUDIT_HASH_SIZE],
			uint8_t out[EGATE_AUDIT_HASH_SIZE]);

/* schema.c: brings a checked database up to the current schema. */
int schema_migrate(struct egate_store *store, char *err, size_t err_size);
int schema_check_owner(struct egate_store *store, char *err, size_t err_size);
/* Read only: -EROFS for a schema that needs migrating. */
int schema_check_current(struct egate_store *store, char *err, size_t err_size);

/* create.c: a new, empty database file (and its folder), see EGATE_STORE_CREATE. */
int store_create_file(const char *path, const char *audit_group, char *err, size_t err_size);

#endif
