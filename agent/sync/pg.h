/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pg.h - the few libpq helpers egate-sync and egate-central share: a
 * connection, a checked query, hex for bytea.
 */
#ifndef EGATE_SYNC_PG_H
#define EGATE_SYNC_PG_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "macro.h"

DEFINE_POINTER_CLEANUP(PGconn, pg_finishp, PQfinish)
DEFINE_POINTER_CLEANUP(PGresult, pg_clearp, PQclear)
#define _cleanup_pgconn_ _cleanup_(pg_finishp)
#define _cleanup_pgresult_ _cleanup_(pg_clearp)

/*
 * Connects with conninfo (a libpq connection string; "" takes the PG*
 * environment): -ECONNREFUSED with the server's message in err when it
 * cannot (unreachable, refused, authentication failed).
 */
int pg_connect(const char *conninfo, PGconn **ret, char *err, size_t err_size);

/*
 * Runs sql with n text parameters (NULL: SQL NULL) and checks that it
 * returned rows or completed: the result, or NULL with the server's first
 * message line in err.
 */
PGresult *pg_query(PGconn *pg, const char *sql, int n, const char *const *params,
		   char *err, size_t err_size);

/* "\\x" and the hex of n bytes, into out (2 * n + 3 bytes). */
void pg_hex(const uint8_t *bytes, size_t n, char *out);
/* A bytea in text format ("\x...") into out: the size, or -EBADMSG / -E2BIG. */
int pg_unhex(const char *text, uint8_t *out, size_t max);

#endif
