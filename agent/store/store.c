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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

int store_utc_date(time_t t, char date[16])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -EINVAL;
	strftime(date, 16, "%Y-%m-%d", &tm);
	return 0;
}

int store_wal_wipe(struct egate_store *store)
{
	int frames = -1, copied = -1;
	int rc = sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					   &frames, &copied);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return store_errno(store->db, rc);
	return rc == SQLITE_OK && frames == 0 ? 0 : -EAGAIN;
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

static int configure(struct egate_store *store, char *err, size_t err_size)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	const char *mode;
	int r;

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

/*
 * A read-only open must not write: SQLite opens a WAL database read-only
 * when its -shm can be read or made.  A copy in a folder we cannot write,
 * with no -wal beside it, is one no connection is using (the last one to
 * close removes the -wal): it is opened as immutable, with no -shm at all.
 */
static int uri_read_only(const char *path, char *uri, size_t size)
{
	const char *slash = strrchr(path, '/');
	char wal[PATH_MAX + 8], dir[PATH_MAX];
	bool immutable;
	size_t used;
	int n;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	immutable = access(wal, F_OK) < 0 && errno == ENOENT && access(dir, W_OK) < 0;
	/* A file: URI escapes '%', '?' and '#' of the path. */
	used = (size_t)snprintf(uri, size, "file:");
	for (const char *p = path; *p; p++) {
		if (used + 4 >= size)
			return -ENAMETOOLONG;
		if (strchr("%?#", *p))
			used += (size_t)snprintf(uri + used, size - used, "%%%02X", (unsigned char)*p);
		else
			uri[used++] = *p;
	}
	n = snprintf(uri + used, size - used, "?mode=ro%s", immutable ? "&immutable=1" : "");
	return n < 0 || (size_t)n >= size - used ? -ENAMETOOLONG : 0;
}

static int open_connection(const char *path, unsigned int flags, struct egate_store *store,
			   char *msg, size_t msg_size)
{
	int open_flags = SQLITE_OPEN_NOMUTEX;
	char uri[3 * PATH_MAX + 32];
	int rc, r;

	if (flags & EGATE_STORE_READ_ONLY) {
		r = uri_read_only(path, uri, sizeof(uri));
		if (r < 0) {
			snprintf(msg, msg_size, "%s", strerror(-r));
			return r;
		}
		open_flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
		path = uri;
	} else {
		open_flags |= SQLITE_OPEN_READWRITE;
	}
	rc = sqlite3_open_v2(path, &store->db, open_flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msg_size, "%s", store->db ? sqlite3_errmsg(store->db) :
			 sqlite3_errstr(rc));
		return store_errno(store->db, rc);
	}
	return 0;
}

static int store_open_checked(const char *path, const struct egate_store_options *o,
			      struct egate_store *store, char *msg, size_t msg_size)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0) {
		r = -errno;
		if (r != -ENOENT || !(o->flags & EGATE_STORE_CREATE)) {
			snprintf(msg, msg_size, "%s", strerror(-r));
			return r;
		}
		r = store_create_file(path, o->audit_group, msg, msg_size);
		if (r < 0)
			return r;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msg_size, "not a regular file");
		return -EINVAL;
	}

	r = open_connection(path, o->flags, store, msg, msg_size);
	if (r < 0)
		return r;
	sqlite3_extended_result_codes(store->db, 1);
	/*
	 * Until the file is known to be sound, closing must not checkpoint
	 * a leftover WAL into it: the check must leave a bad file as it was.
	 */
	sqlite3_db_config(store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_busy_timeout(store->db, (int)o->busy_timeout_ms);

	r = check_integrity(store, msg, msg_size);
	if (r >= 0)
		r = schema_check_owner(store, msg, msg_size);
	if (o->flags & EGATE_STORE_READ_ONLY)
		return r >= 0 ? schema_check_current(store, msg, msg_size) : r;
	if (r >= 0)
		r = configure(store, msg, msg_size);
	if (r >= 0)
		r = schema_migrate(store, msg, msg_size);
	if (r >= 0)
		sqlite3_db_config(store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
	return r;
}

DEFINE_POINTER_CLEANUP(struct egate_store, egate_store_closep, egate_store_close)

int egate_store_open(const char *path, const struct egate_store_options *options,
		     struct egate_store **ret, char *err, size_t err_size)
{
	_cleanup_(egate_store_closep) struct egate_store *store = NULL;
	char msg[EGATE_ERRMSG_MAX] = "";
	int r;

	assert(path);
	assert(options);
	assert(ret);
	if (!*path || strlen(path) >= PATH_MAX ||
	    (options->flags & ~(EGATE_STORE_CREATE | EGATE_STORE_READ_ONLY)) ||
	    (options->flags & EGATE_STORE_CREATE && options->flags & EGATE_STORE_READ_ONLY) ||
	    options->busy_timeout_ms > INT32_MAX)
		return -EINVAL;

	store = calloc(1, sizeof(*store));
	if (!store)
		return -ENOMEM;
	r = store_open_checked(path, options, store, msg, sizeof(msg));
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
