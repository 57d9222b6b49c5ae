-- SPDX-License-Identifier: GPL-2.0
-- An egate database as schema version 1 wrote it (sqlite3 .dump of a file
-- made by egate-gallery at version 1, with records added by hand): the
-- starting point of store_test's migration test.  Never regenerate it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE travellers (  id INTEGER PRIMARY KEY AUTOINCREMENT,  label TEXT NOT NULL CHECK (length(CAST(label AS BLOB)) BETWEEN 1 AND 128),  expires TEXT CHECK (expires IS NULL OR date(expires) IS expires),  enrolled_us INTEGER NOT NULL);
INSERT INTO travellers VALUES(1,'alice',NULL,1700000000000000);
CREATE TABLE templates (  id INTEGER PRIMARY KEY,  traveller_id INTEGER NOT NULL REFERENCES travellers (id) ON DELETE CASCADE,  descriptor BLOB NOT NULL CHECK (length(descriptor) = 512));
CREATE TABLE gallery_version (version INTEGER NOT NULL);
INSERT INTO gallery_version VALUES(0);
CREATE TABLE audit (  id INTEGER PRIMARY KEY AUTOINCREMENT,  kind TEXT NOT NULL CHECK (kind IN ('decision', 'passage', 'purge')),  time_us INTEGER NOT NULL,  lane TEXT CHECK (length(CAST(lane AS BLOB)) BETWEEN 1 AND 63),  traveller_id INTEGER,  score REAL, margin REAL, quality REAL,  decision TEXT CHECK (decision IN ('admit', 'deny', 'one_at_a_time')),  outcome TEXT CHECK (outcome IN ('passed', 'expired', 'cancelled',    'aborted', 'tailgating', 'wrong_way', 'intrusion', 'loitering',    'forced_door', 'obstruction', 'emergency', 'fault')),  decision_id INTEGER,  detail TEXT CHECK (length(CAST(detail AS BLOB)) <= 255),  CHECK (CASE kind    WHEN 'decision' THEN decision IS NOT NULL AND outcome IS NULL AND lane IS NOT NULL    WHEN 'passage' THEN outcome IS NOT NULL AND decision IS NULL AND lane IS NOT NULL    ELSE detail IS NOT NULL END));
INSERT INTO audit VALUES(1,'decision',1700000001000000,'lane-1',1,0.41999999999999998445,0.2000000000000000111,0.9000000000000000222,'admit',NULL,NULL,NULL);
INSERT INTO audit VALUES(2,'passage',1700000002000000,'lane-1',1,NULL,NULL,NULL,NULL,'passed',1,NULL);
INSERT INTO audit VALUES(3,'decision',1700000003000000,'lane-1',1,0.60999999999999998667,0.29999999999999998889,0.8000000000000000444,'deny',NULL,NULL,NULL);
CREATE TABLE audit_purge_window (cutoff_us INTEGER NOT NULL);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('travellers',1);
INSERT INTO sqlite_sequence VALUES('audit',3);
CREATE INDEX templates_by_traveller ON templates (traveller_id);
CREATE TRIGGER gallery_template_added AFTER INSERT ON templates BEGIN  UPDATE gallery_version SET version = version + 1; END;
CREATE TRIGGER gallery_template_removed AFTER DELETE ON templates BEGIN  UPDATE gallery_version SET version = version + 1; END;
CREATE INDEX audit_by_time ON audit (time_us);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN  SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit  WHEN old.kind = 'purge' OR old.time_us >= coalesce(    (SELECT min(cutoff_us) FROM audit_purge_window), -9223372036854775808)  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (records leave it only through the retention purge)'); END;
COMMIT;
PRAGMA user_version = 1;
PRAGMA application_id = 1162297684;
