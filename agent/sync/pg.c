// SPDX-License-Identifier: GPL-2.0
/* pg.c - libpq helpers: connect, a checked query, bytea as hex. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pg.h"

/* The first line of a libpq message, without "ERROR:  " and the newline. */
static void first_line(const char *msg, char *err, size_t err_size)
{
	size_t n;

	if (!strncmp(msg, "ERROR:  ", 8))
		msg += 8;
	n = strcspn(msg, "\n");
	snprintf(err, err_size, "%.*s", (int)n, msg);
}

int pg_connect(const char *conninfo, PGconn **ret, char *err, size_t err_size)
{
	_cleanup_pgconn_ PGconn *pg = PQconnectdb(conninfo);

	if (!pg)
		return -ENOMEM;
	if (PQstatus(pg) != CONNECTION_OK) {
		first_line(PQerrorMessage(pg), err, err_size);
		return -ECONNREFUSED;
	}
	*ret = TAKE_PTR(pg);
	return 0;
}

PGresult *pg_query(PGconn *pg, const char *sql, int n, const char *const *params,
		   char *err, size_t err_size)
{
	_cleanup_pgresult_ PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return TAKE_PTR(res);
	first_line(res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) :
		   PQerrorMessage(pg), err, err_size);
	return NULL;
}

void pg_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	*out++ = '\\';
	*out++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*out++ = digits[bytes[i] >> 4];
		*out++ = digits[bytes[i] & 15];
	}
	*out = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pg_unhex(const char *text, uint8_t *out, size_t max)
{
	size_t len = strlen(text), n;

	if (len < 2 || text[0] != '\\' || text[1] != 'x' || len % 2)
		return -EBADMSG;
	n = (len - 2) / 2;
	if (n > max)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(text[2 + 2 * i]), lo = nibble(text[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)n;
}
