// SPDX-License-Identifier: GPL-2.0
/*
 * migrate.c - the central schema, versioned: sql/NNN_name.sql applied in
 * order, each once, each in one transaction with its row in
 * egate_migrations (so a failed migration leaves the schema as it was).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central.h"
#include "pg.h"

#define MIGRATION_BYTES_MAX (1024 * 1024)

static int migration_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 8 && d->d_name[0] >= '0' && d->d_name[0] <= '9' &&
		strspn(d->d_name, "0123456789") == 3 && d->d_name[3] == '_' &&
		!strcmp(d->d_name + n - 4, ".sql");
}

static int read_file(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *text = NULL;
	size_t n;

	if (!f)
		return -errno;
	text = malloc(MIGRATION_BYTES_MAX + 1);
	if (!text)
		return -ENOMEM;
	n = fread(text, 1, MIGRATION_BYTES_MAX + 1, f);
	if (ferror(f))
		return -EIO;
	if (n > MIGRATION_BYTES_MAX)
		return -EFBIG;
	text[n] = 0;
	*ret = TAKE_PTR(text);
	return 0;
}

/* Runs statements (no parameters, several allowed): 0 or -EIO with err. */
static int exec(PGconn *pg, const char *sql, char *err, size_t err_size)
{
	_cleanup_pgresult_ PGresult *res = PQexec(pg, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	snprintf(err, err_size, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
	err[strcspn(err, "\n")] = 0;
	return -EIO;
}

static int apply(PGconn *pg, const char *dir, const char *name, char *err, size_t err_size)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	_cleanup_free_ char *sql = NULL;
	char path[4096], version[4], msg[512];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(version, sizeof(version), "%.3s", name);
	r = read_file(path, &sql);
	if (r < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(-r));
		return r;
	}
	r = exec(pg, "BEGIN", err, err_size);
	if (r < 0)
		return r;
	res = pg_query(pg, "SELECT 1 FROM egate_migrations WHERE version = $1 FOR UPDATE", 1,
		       (const char *[]){ version }, err, err_size);
	if (!res || PQntuples(res)) {	/* failed, or another run applied it */
		exec(pg, "ROLLBACK", msg, sizeof(msg));
		return res ? 0 : -EIO;
	}
	r = exec(pg, sql, msg, sizeof(msg));
	if (r >= 0) {
		PQclear(res);
		res = pg_query(pg, "INSERT INTO egate_migrations (version, name) VALUES ($1, $2)",
			       2, (const char *[]){ version, name }, msg, sizeof(msg));
		r = res ? exec(pg, "COMMIT", msg, sizeof(msg)) : -EIO;
	}
	if (r < 0) {
		snprintf(err, err_size, "%s: %s", name, msg);
		exec(pg, "ROLLBACK", msg, sizeof(msg));
		return r;
	}
	return 1;
}

int central_migrate(PGconn *pg, const char *dir, char *err, size_t err_size)
{
	struct dirent **names = NULL;
	int n, applied = 0, r = 0;

	r = exec(pg, "SET client_min_messages = warning;"
		     " CREATE TABLE IF NOT EXISTS egate_migrations (version integer PRIMARY KEY,"
		     " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
		     " REVOKE ALL ON egate_migrations FROM PUBLIC", err, err_size);
	if (r < 0)
		return r;
	n = scandir(dir, &names, migration_filter, alphasort);
	if (n < 0) {
		snprintf(err, err_size, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		if (r >= 0) {
			r = apply(pg, dir, names[i]->d_name, err, err_size);
			applied += r > 0;
		}
		free(names[i]);
	}
	free(names);
	return r < 0 ? r : applied;
}
