/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test-sql.h - SQL on a test database from a connection of its own, as any
 * other program with access to the file could run it.
 */
#ifndef EGATE_TEST_SQL_H
#define EGATE_TEST_SQL_H

#include <stddef.h>

/* A SQLite result code; msg receives SQLite's error message ("" for none). */
int raw_sql(const char *path, const char *sql, char *msg, size_t msg_size);
/* raw_sql() of the SQL in the file sql_file (a dump): -1 when it cannot be read. */
int raw_sql_file(const char *path, const char *sql_file, char *msg, size_t msg_size);
/* The first column of the first row of sql, read only: -1 on error. */
long long raw_count(const char *path, const char *sql);

#endif
