// SPDX-License-Identifier: GPL-2.0
/* test-gallery.c - a store's gallery filled by plain SQL. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "test-gallery.h"

#define COMMIT_EVERY 65536

int test_gallery_fill(const char *path, size_t n, const struct synth *s, size_t bad)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *t = NULL, *p = NULL;
	float x[SYNTH_D];
	int rc;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA synchronous = OFF; BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO travellers (id, label, enrolled_us)"
					" VALUES (?, 'test', 0)", -1, &t, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO templates (id, traveller_id, descriptor)"
					" VALUES (?, ?, ?)", -1, &p, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		int64_t traveller = (int64_t)(1 + i / TEST_GALLERY_PER_TRAVELLER);

		if (i % TEST_GALLERY_PER_TRAVELLER == 0) {
			sqlite3_bind_int64(t, 1, traveller);
			rc = sqlite3_step(t) == SQLITE_DONE ? sqlite3_reset(t) : SQLITE_ERROR;
		}
		synth_draw(s, i, x);
		if (i == bad)
			x[7] = NAN;
		sqlite3_bind_int64(p, 1, (int64_t)i + 1);
		sqlite3_bind_int64(p, 2, traveller);
		sqlite3_bind_blob(p, 3, x, sizeof(x), SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(p) == SQLITE_DONE ? sqlite3_reset(p) : SQLITE_ERROR;
		if (rc == SQLITE_OK && (i + 1) % COMMIT_EVERY == 0)
			rc = sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "filling %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_finalize(t);
	sqlite3_finalize(p);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -EIO;
}
