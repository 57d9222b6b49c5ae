// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - opening the database: integrity first, then durability settings
 * and the schema; and the statement and transaction helpers.
 *
 * Durability (Documentation/agent-store.md): journal_mode=WAL with
 * synchronous=FULL.  In WAL mode a commit appends to the -wal file; FULL
 * makes every commit fsync it before returning, so a power cut loses at
 * most the transaction that was being written, and a torn WAL frame is
 * discarded on recovery by its checksum: the database never corrupts.
 * synchronous=NORMAL would be as safe against corruption but can lose the
 * last several committed transactions - decisions already acted upon at
 * the lane, which the audit log must keep.  The price, one fsync per
 * commit, is nothing at a few decisions per minute.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store-internal.h"

int store_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = db ? sqlite3_system_errno(db) : 0;
		return sys > 0 ? -sys : -EIO;
	default:
		return -EIO;
	}
}

int store_prepare(struct egate_store *store, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(store->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : store_errno(store->db, rc);
}

int store_exec(struct egate_store *store, const char *sql)
{
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_errno(store->db, rc);
}

int store_step_done(struct egate_store *store, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	return rc == SQLITE_DONE ? 0 : store_errno(store->db, rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

int store_step_row(struct egate_store *store, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENODATA : store_errno(store->db, rc);
}

int store_begin(struct egate_store *store, struct egate_store **tx)
{
	int r = store_exec(store, "BEGIN IMMEDIATE");

	if (r >= 0)
		*tx = store;
	return r;
}

int store_commit(struct egate_store **tx)
{
	int r = store_exec(*tx, "COMMIT");

	if (r >= 0)
		*tx = NULL;
	return r;
}

void store_rollbackp(struct egate_store **tx)
{
	/* Keeps the error of the failed step for egate_store_last_error(). */
	if (*tx && !sqlite3_get_autocommit((*tx)->db))
		sqlite3_exec((*tx)->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t store_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * PRAGMA quick_check reads every page: a file that is not a database, or
 * is one with damaged pages, fails here before anything writes to it.
 */
static int check_integrity(struct egate_store *store, char *err, size_t err_size)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	const char *first;
	int r;

	r = store_prepare(store, "PRAGMA quick_check(1)", &stmt);
	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r < 0) {
		snprintf(err, err_size, "cannot read the database: %s",
			 sqlite3_errmsg(store->db));
		return r;
	}
	first = (const char *)sqlite3_column_text(stmt, 0);
	if (!first || strcmp(first, "ok")) {
		snprintf(err, err_size, "the database is corrupt: %s", first ? first : "?");
		return -EBADMSG;
	}
	return 0;
}

static int configure(struct egate_store *store, unsigned int busy_timeout_ms,
		     char *err, size_t err_size)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	const char *mode;
	int r;

	sqlite3_busy_timeout(store->db, (int)busy_timeout_ms);
	/*
	 * secure_delete: a deleted traveller's templates are zeroed in the
	 * file.  journal_size_limit: the WAL is cut back to 4 MiB after a
	 * checkpoint instead of keeping its largest size for good.
	 */
	r = store_exec(store, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
			      " PRAGMA secure_delete = ON; PRAGMA journal_size_limit = 4194304");
	if (r >= 0)
		r = store_prepare(store, "PRAGMA journal_mode = WAL", &stmt);
	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r < 0) {
		snprintf(err, err_size, "cannot configure the database: %s",
			 sqlite3_errmsg(store->db));
		return r;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (!mode || strcmp(mode, "wal")) {
		snprintf(err, err_size, "the database cannot use write-ahead logging (%s)",
			 mode ? mode : "?");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int store_open_checked(const char *path, unsigned int flags,
			      unsigned int busy_timeout_ms, struct egate_store *store,
			      char *msg, size_t msg_size)
{
	int open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	struct stat st;
	int rc, r;

	if (stat(path, &st) < 0) {
		r = -errno;
		if (r != -ENOENT || !(flags & EGATE_STORE_CREATE)) {
			snprintf(msg, msg_size, "%s", strerror(-r));
			return r;
		}
		open_flags |= SQLITE_OPEN_CREATE;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msg_size, "not a regular file");
		return -EINVAL;
	}

	rc = sqlite3_open_v2(path, &store->db, open_flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msg_size, "%s", store->db ? sqlite3_errmsg(store->db) :
			 sqlite3_errstr(rc));
		return store_errno(store->db, rc);
	}
	sqlite3_extended_result_codes(store->db, 1);
	/*
	 * Until the file is known to be sound, closing must not checkpoint
	 * a leftover WAL into it: the check must leave a bad file as it was.
	 */
	sqlite3_db_config(store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_busy_timeout(store->db, (int)busy_timeout_ms);

	r = check_integrity(store, msg, msg_size);
	if (r >= 0)
		r = schema_check_owner(store, msg, msg_size);
	if (r >= 0)
		r = configure(store, busy_timeout_ms, msg, msg_size);
	if (r >= 0)
		r = schema_migrate(store, msg, msg_size);
	if (r >= 0)
		sqlite3_db_config(store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
	return r;
}

DEFINE_POINTER_CLEANUP(struct egate_store, egate_store_closep, egate_store_close)

int egate_store_open(const char *path, unsigned int flags,
		     unsigned int busy_timeout_ms, struct egate_store **ret,
		     char *err, size_t err_size)
{
	_cleanup_(egate_store_closep) struct egate_store *store = NULL;
	char msg[EGATE_ERRMSG_MAX] = "";
	int r;

	assert(path);
	assert(ret);
	if (!*path || strlen(path) >= PATH_MAX || (flags & ~EGATE_STORE_CREATE) ||
	    busy_timeout_ms > INT32_MAX)
		return -EINVAL;

	store = calloc(1, sizeof(*store));
	if (!store)
		return -ENOMEM;
	r = store_open_checked(path, flags, busy_timeout_ms, store, msg, sizeof(msg));
	if (r < 0) {
		if (err && err_size)
			snprintf(err, err_size, "%s: %s", path, msg);
		return r;
	}
	*ret = TAKE_PTR(store);
	return 0;
}

void egate_store_close(struct egate_store *store)
{
	if (!store)
		return;
	sqlite3_close_v2(store->db);
	free(store);
}

const char *egate_store_last_error(const struct egate_store *store)
{
	assert(store);
	return sqlite3_errmsg(store->db);
}
