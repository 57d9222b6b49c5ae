// SPDX-License-Identifier: GPL-2.0
/*
 * schema.c - the database schema and its migrations.
 *
 * PRAGMA user_version is the schema version: migrations[v] takes a database
 * from version v to v + 1, all steps of one open in one transaction, so a
 * crash mid-migration leaves the old version intact.  To change the schema,
 * append a step (ALTER TABLE, new tables, data copies); never edit a step
 * that has shipped.  PRAGMA application_id marks the file as egate's, so a
 * foreign SQLite file given by mistake is refused rather than written into.
 */
#include <errno.h>
#include <stdio.h>

#include "store-internal.h"

#define EGATE_APPLICATION_ID 0x45474154	/* "EGAT" */

struct migration {
	const char *sql;
	/* After sql, in the same transaction: what SQL alone cannot do. */
	int (*then)(struct egate_store *store);
};

/*
 * The audit table of version 3 on (each version's CHECKs; a step's SQL is
 * still what it shipped as): kinds, more kinds after 'officer'; cases, more
 * WHEN branches of the record's CHECK.
 */
#define AUDIT_TABLE(kinds, cases) \
	"CREATE TABLE audit (" \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  kind TEXT NOT NULL CHECK (kind IN ('decision', 'passage', 'purge', 'checkpoint'," \
	"    'gallery', 'officer'" kinds "))," \
	"  time_us INTEGER NOT NULL," \
	"  lane TEXT CHECK (length(CAST(lane AS BLOB)) BETWEEN 1 AND 63)," \
	"  traveller_id INTEGER," \
	"  score REAL, margin REAL, quality REAL," \
	"  decision TEXT CHECK (decision IN ('admit', 'deny', 'one_at_a_time'))," \
	"  outcome TEXT CHECK (outcome IN ('passed', 'expired', 'cancelled'," \
	"    'aborted', 'tailgating', 'wrong_way', 'intrusion', 'loitering'," \
	"    'forced_door', 'obstruction', 'emergency', 'fault'))," \
	"  decision_id INTEGER," \
	"  detail TEXT CHECK (length(CAST(detail AS BLOB)) <= 255)," \
	"  candidate_id INTEGER CHECK (candidate_id IS NULL OR kind = 'decision')," \
	"  candidate_distance REAL CHECK (candidate_distance IS NULL OR candidate_id IS NOT NULL)," \
	"  document_id TEXT CHECK (document_id IS NULL OR (kind = 'decision' AND" \
	"    length(CAST(document_id AS BLOB)) BETWEEN 1 AND 63))," \
	"  actor_uid INTEGER CHECK (actor_uid BETWEEN 0 AND 4294967295)," \
	"  actor TEXT CHECK (length(CAST(actor AS BLOB)) BETWEEN 1 AND 255)," \
	"  action TEXT CHECK (length(CAST(action AS BLOB)) BETWEEN 1 AND 255)," \
	"  reason TEXT CHECK (length(CAST(reason AS BLOB)) BETWEEN 1 AND 255)," \
	"  first_id INTEGER, last_id INTEGER," \
	"  last_hash BLOB CHECK (length(last_hash) = 32)," \
	"  signature BLOB CHECK (length(signature) = 64)," \
	"  hash BLOB NOT NULL CHECK (length(hash) = 32)," \
	"  CHECK (CASE kind" \
	"    WHEN 'decision' THEN decision IS NOT NULL AND outcome IS NULL AND lane IS NOT NULL" \
	"    WHEN 'passage' THEN outcome IS NOT NULL AND decision IS NULL AND lane IS NOT NULL" \
	"    WHEN 'purge' THEN detail IS NOT NULL" \
	"    WHEN 'checkpoint' THEN last_id IS NOT NULL AND last_hash IS NOT NULL" \
	"      AND signature IS NOT NULL" \
	cases \
	"    ELSE actor_uid IS NOT NULL AND action IS NOT NULL END));"

/* Append-only: the retention purge alone deletes, up to the window's id. */
#define AUDIT_TRIGGERS \
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN" \
	"  SELECT RAISE(ABORT, 'the audit log is append-only'); END;" \
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit" \
	"  WHEN old.id > coalesce((SELECT max(last_id) FROM audit_purge_window), 0)" \
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only" \
	" (records leave it only through the retention purge)'); END;"

static const struct migration migrations[] = {
	/* 0 -> 1: gallery and audit log. */
	{ 
	"CREATE TABLE travellers ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  label TEXT NOT NULL CHECK (length(CAST(label AS BLOB)) BETWEEN 1 AND 128),"
	"  expires TEXT CHECK (expires IS NULL OR date(expires) IS expires),"
	"  enrolled_us INTEGER NOT NULL);"
	"CREATE TABLE templates ("
	"  id INTEGER PRIMARY KEY,"
	"  traveller_id INTEGER NOT NULL REFERENCES travellers (id) ON DELETE CASCADE,"
	"  descriptor BLOB NOT NULL CHECK (length(descriptor) = 512));"
	"CREATE INDEX templates_by_traveller ON templates (traveller_id);"
	/* Bumped on every gallery change, so the agent knows when to reload. */
	"CREATE TABLE gallery_version (version INTEGER NOT NULL);"
	"INSERT INTO gallery_version VALUES (0);"
	"CREATE TRIGGER gallery_template_added AFTER INSERT ON templates BEGIN"
	"  UPDATE gallery_version SET version = version + 1; END;"
	"CREATE TRIGGER gallery_template_removed AFTER DELETE ON templates BEGIN"
	"  UPDATE gallery_version SET version = version + 1; END;"

	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"	/* ids never reused */
	"  kind TEXT NOT NULL CHECK (kind IN ('decision', 'passage', 'purge')),"
	"  time_us INTEGER NOT NULL,"
	"  lane TEXT CHECK (length(CAST(lane AS BLOB)) BETWEEN 1 AND 63),"
	"  traveller_id INTEGER,"			/* no FK: outlives the traveller */
	"  score REAL, margin REAL, quality REAL,"
	"  decision TEXT CHECK (decision IN ('admit', 'deny', 'one_at_a_time')),"
	"  outcome TEXT CHECK (outcome IN ('passed', 'expired', 'cancelled',"
	"    'aborted', 'tailgating', 'wrong_way', 'intrusion', 'loitering',"
	"    'forced_door', 'obstruction', 'emergency', 'fault')),"
	"  decision_id INTEGER,"
	"  detail TEXT CHECK (length(CAST(detail AS BLOB)) <= 255),"
	"  CHECK (CASE kind"
	"    WHEN 'decision' THEN decision IS NOT NULL AND outcome IS NULL AND lane IS NOT NULL"
	"    WHEN 'passage' THEN outcome IS NOT NULL AND decision IS NULL AND lane IS NOT NULL"
	"    ELSE detail IS NOT NULL END));"
	"CREATE INDEX audit_by_time ON audit (time_us);"
	/*
	 * Append-only.  The retention purge alone may delete, and only rows
	 * older than the cutoff it writes into audit_purge_window for the
	 * length of its transaction; purge records themselves stay.
	 */
	"CREATE TABLE audit_purge_window (cutoff_us INTEGER NOT NULL);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  WHEN old.kind = 'purge' OR old.time_us >= coalesce("
	"    (SELECT min(cutoff_us) FROM audit_purge_window), -9223372036854775808)"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only"
	" (records leave it only through the retention purge)'); END;", NULL },

	/*
	 * 1 -> 2: a denied face names no traveller (traveller_id NULL); the
	 * nearest enrolled traveller and its distance are the candidate.
	 * Deny records written before keep the nearest in traveller_id: the
	 * log is append-only, history is not rewritten.  ADD COLUMN keeps
	 * the triggers.
	 */
	{ "ALTER TABLE audit ADD COLUMN candidate_id INTEGER"
	"  CHECK (candidate_id IS NULL OR kind = 'decision');"
	"ALTER TABLE audit ADD COLUMN candidate_distance REAL"
	"  CHECK (candidate_distance IS NULL OR candidate_id IS NOT NULL);"
	/* 1:1 verification: the document whose reference the face was compared with. */
	"ALTER TABLE audit ADD COLUMN document_id TEXT"
	"  CHECK (document_id IS NULL OR (kind = 'decision' AND"
	"    length(CAST(document_id AS BLOB)) BETWEEN 1 AND 63));", NULL },

	/*
	 * 2 -> 3: the hash chain (Documentation/audit.md), and the records of
	 * checkpoints, gallery changes and officer commands.  A CHECK cannot
	 * be altered: the table is made anew and chain_adopt() re-appends
	 * every record, in order and with its id, into the chain.  The purge
	 * now removes the oldest records by id (a prefix of the chain): the
	 * window is the last id it may delete.
	 */
	{ "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
	"DROP INDEX audit_by_time; DROP TABLE audit_purge_window;"
	"ALTER TABLE audit RENAME TO audit_v2;"
	AUDIT_TABLE("", "")
	"CREATE INDEX audit_by_time ON audit (time_us);"
	"CREATE INDEX audit_by_kind ON audit (kind, id);"
	"CREATE TABLE audit_purge_window (last_id INTEGER NOT NULL);"
	AUDIT_TRIGGERS
	/* One row: the genesis's parts and the chain head. */
	"CREATE TABLE audit_chain ("
	"  chain_id BLOB NOT NULL CHECK (length(chain_id) = 16),"
	"  lane TEXT CHECK (length(CAST(lane AS BLOB)) BETWEEN 1 AND 63),"
	"  created_us INTEGER NOT NULL,"
	"  genesis BLOB NOT NULL CHECK (length(genesis) = 32),"
	"  head_id INTEGER NOT NULL,"
	"  head_hash BLOB NOT NULL CHECK (length(head_hash) = 32));"
	"CREATE TRIGGER audit_chain_one BEFORE INSERT ON audit_chain"
	"  WHEN (SELECT count(*) FROM audit_chain) > 0"
	"  BEGIN SELECT RAISE(ABORT, 'the audit chain has one genesis'); END;"
	"CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain"
	"  BEGIN SELECT RAISE(ABORT, 'the audit chain has one genesis'); END;"
	"CREATE TRIGGER audit_chain_genesis BEFORE UPDATE OF chain_id, lane, created_us,"
	"  genesis ON audit_chain"
	"  BEGIN SELECT RAISE(ABORT, 'the audit chain has one genesis'); END;",
	  chain_adopt },

	/*
	 * 3 -> 4: lane event records (alarms, emergencies, out of service and
	 * back).  The kind CHECK is made anew with the table, and every row
	 * copied as it is, hash and all: the chain is not touched and still
	 * verifies.  AUTOINCREMENT's counter goes with the rows.
	 */
	{ "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
	"DROP INDEX audit_by_time; DROP INDEX audit_by_kind;"
	"ALTER TABLE audit RENAME TO audit_v3;"
	AUDIT_TABLE(", 'lane_event'",
	"    WHEN 'lane_event' THEN action IS NOT NULL AND lane IS NOT NULL"
	"      AND actor_uid IS NULL")
	"INSERT INTO audit SELECT * FROM audit_v3;"
	"UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence"
	"  WHERE name = 'audit_v3'), 0)) WHERE name = 'audit';"
	"DROP TABLE audit_v3; DELETE FROM sqlite_sequence WHERE name = 'audit_v3';"
	"CREATE INDEX audit_by_time ON audit (time_us);"
	"CREATE INDEX audit_by_kind ON audit (kind, id);"
	AUDIT_TRIGGERS, NULL },

	/*
	 * 4 -> 5: the fleet (Documentation/fleet.md).  A traveller the centre
	 * flagged "refer to officer" (referred): the agent denies them and
	 * calls an officer; a change of the flag reloads the gallery.  The
	 * sync's state, which egate-sync made itself until now (a lane that
	 * never synced has the table without its row), gets the central
	 * version the lane last heard of, for its lag.
	 */
	{ "ALTER TABLE travellers ADD COLUMN referred INTEGER NOT NULL DEFAULT 0"
	"  CHECK (referred IN (0, 1));"
	"CREATE INDEX travellers_referred ON travellers (id) WHERE referred;"
	"CREATE TRIGGER gallery_traveller_referred AFTER UPDATE OF referred ON travellers"
	"  BEGIN UPDATE gallery_version SET version = version + 1; END;"
	"CREATE TABLE IF NOT EXISTS sync_state ("
	"  one INTEGER PRIMARY KEY CHECK (one = 1),"
	"  gallery_version INTEGER NOT NULL CHECK (gallery_version >= 0),"
	"  audit_acked_id INTEGER NOT NULL CHECK (audit_acked_id >= 0),"
	"  last_contact_us INTEGER NOT NULL);"
	"ALTER TABLE sync_state ADD COLUMN central_version INTEGER NOT NULL DEFAULT 0"
	"  CHECK (central_version >= 0);", NULL },
};

int egate_store_schema_version(void)
{
	return (int)ELEMENTSOF(migrations);
}

static int pragma_int(struct egate_store *store, const char *sql, int64_t *ret)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r = store_prepare(store, sql, &stmt);

	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r < 0)
		return r;
	*ret = sqlite3_column_int64(stmt, 0);
	return 0;
}

/* Refuses a file that another program made or a newer egate wrote. */
int schema_check_owner(struct egate_store *store, char *err, size_t err_size)
{
	int64_t app_id, version, objects;
	int r;

	r = pragma_int(store, "PRAGMA application_id", &app_id);
	if (r >= 0)
		r = pragma_int(store, "PRAGMA user_version", &version);
	if (r >= 0)
		r = pragma_int(store, "SELECT count(*) FROM sqlite_master", &objects);
	if (r < 0) {
		snprintf(err, err_size, "%s", sqlite3_errmsg(store->db));
		return r;
	}
	if (app_id != EGATE_APPLICATION_ID && (app_id != 0 || objects > 0)) {
		snprintf(err, err_size, "not an egate database (application_id %#llx)",
			 (unsigned long long)app_id);
		return -EMEDIUMTYPE;
	}
	if (version > egate_store_schema_version()) {
		snprintf(err, err_size,
			 "schema version %lld is newer than this program's (%d): upgrade egate",
			 (long long)version, egate_store_schema_version());
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int schema_check_current(struct egate_store *store, char *err, size_t err_size)
{
	int64_t version;
	int r = pragma_int(store, "PRAGMA user_version", &version);

	if (r < 0) {
		snprintf(err, err_size, "%s", sqlite3_errmsg(store->db));
		return r;
	}
	if (version != egate_store_schema_version()) {
		snprintf(err, err_size, "schema version %lld needs an upgrade to %d, which a"
			 " read-only open cannot make: open it once for writing",
			 (long long)version, egate_store_schema_version());
		return -EROFS;
	}
	return 0;
}

int schema_migrate(struct egate_store *store, char *err, size_t err_size)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	char sql[64];
	int64_t version;
	int r;

	r = store_begin(store, &tx);
	if (r >= 0)	/* again, under the write lock: another process may have */
		r = pragma_int(store, "PRAGMA user_version", &version);
	for (; r >= 0 && version < egate_store_schema_version(); version++) {
		r = store_exec(store, migrations[version].sql);
		if (r >= 0 && migrations[version].then)
			r = migrations[version].then(store);
	}
	if (r >= 0) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
			 egate_store_schema_version(), EGATE_APPLICATION_ID);
		r = store_exec(store, sql);
	}
	if (r >= 0)
		r = store_commit(&tx);
	if (r < 0)
		snprintf(err, err_size, "cannot update the schema: %s", sqlite3_errmsg(store->db));
	return r;
}
