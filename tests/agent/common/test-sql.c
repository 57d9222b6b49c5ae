// SPDX-License-Identifier: GPL-2.0
/* test-sql.c - SQL on a test database from a connection of its own. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "test-sql.h"

/* Runs SQL on its own connection, as any other program could. */
int raw_sql(const char *path, const char *sql, char *msg, size_t msg_size)
{
	char *errmsg = NULL;
	sqlite3 *db;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, &errmsg);
	snprintf(msg, msg_size, "%s", errmsg ? errmsg : "");
	sqlite3_free(errmsg);
	sqlite3_close(db);
	return rc;
}

long long raw_count(const char *path, const char *sql)
{
	sqlite3_stmt *stmt;
	long long n = -1;
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			n = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return n;
}

int raw_sql_file(const char *path, const char *sql_file, char *msg, size_t msg_size)
{
	char *sql = NULL;
	size_t size = 0;
	FILE *f = fopen(sql_file, "re"), *m = open_memstream(&sql, &size);
	int c, rc = -1;

	while (f && m && (c = fgetc(f)) != EOF)
		fputc(c, m);
	if (f)
		fclose(f);
	if (m && fclose(m) == 0 && f)
		rc = raw_sql(path, sql, msg, msg_size);
	free(sql);
	return rc;
}
