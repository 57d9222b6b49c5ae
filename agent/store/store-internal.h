/* SPDX-License-Identifier: GPL-2.0 */
/* store-internal.h - what the store's files share: the connection, errors. */
#ifndef EGATE_STORE_INTERNAL_H
#define EGATE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "egate-store.h"
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

/* gallery.c, inside a transaction: erases travellers expired before today. */
int gallery_erase_expired(struct egate_store *store, const char *today, uint64_t *ret_erased);

/* schema.c: brings a checked database up to the current schema. */
int schema_migrate(struct egate_store *store, char *err, size_t err_size);
int schema_check_owner(struct egate_store *store, char *err, size_t err_size);
/* Read only: -EROFS for a schema that needs migrating. */
int schema_check_current(struct egate_store *store, char *err, size_t err_size);

/* create.c: a new, empty database file (and its folder), see EGATE_STORE_CREATE. */
int store_create_file(const char *path, const char *audit_group, char *err, size_t err_size);

#endif
