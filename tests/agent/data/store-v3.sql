-- SPDX-License-Identifier: GPL-2.0
-- An egate database as schema version 3 wrote it (sqlite3 .dump of a file
-- made through the store's API at version 3: an enrolment, a decision, a
-- passage, an officer record, a checkpoint signed with the Ed25519 key of
-- seed 32 x 0x07, public key
-- ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c, and a
-- deletion): the starting point of audit_chain_test's migration test.
-- Never regenerate it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE travellers (  id INTEGER PRIMARY KEY AUTOINCREMENT,  label TEXT NOT NULL CHECK (length(CAST(label AS BLOB)) BETWEEN 1 AND 128),  expires TEXT CHECK (expires IS NULL OR date(expires) IS expires),  enrolled_us INTEGER NOT NULL);
CREATE TABLE templates (  id INTEGER PRIMARY KEY,  traveller_id INTEGER NOT NULL REFERENCES travellers (id) ON DELETE CASCADE,  descriptor BLOB NOT NULL CHECK (length(descriptor) = 512));
CREATE TABLE gallery_version (version INTEGER NOT NULL);
INSERT INTO gallery_version VALUES(2);
CREATE TABLE audit (  id INTEGER PRIMARY KEY AUTOINCREMENT,  kind TEXT NOT NULL CHECK (kind IN ('decision', 'passage', 'purge', 'checkpoint',    'gallery', 'officer')),  time_us INTEGER NOT NULL,  lane TEXT CHECK (length(CAST(lane AS BLOB)) BETWEEN 1 AND 63),  traveller_id INTEGER,  score REAL, margin REAL, quality REAL,  decision TEXT CHECK (decision IN ('admit', 'deny', 'one_at_a_time')),  outcome TEXT CHECK (outcome IN ('passed', 'expired', 'cancelled',    'aborted', 'tailgating', 'wrong_way', 'intrusion', 'loitering',    'forced_door', 'obstruction', 'emergency', 'fault')),  decision_id INTEGER,  detail TEXT CHECK (length(CAST(detail AS BLOB)) <= 255),  candidate_id INTEGER CHECK (candidate_id IS NULL OR kind = 'decision'),  candidate_distance REAL CHECK (candidate_distance IS NULL OR candidate_id IS NOT NULL),  document_id TEXT CHECK (document_id IS NULL OR (kind = 'decision' AND    length(CAST(document_id AS BLOB)) BETWEEN 1 AND 63)),  actor_uid INTEGER CHECK (actor_uid BETWEEN 0 AND 4294967295),  actor TEXT CHECK (length(CAST(actor AS BLOB)) BETWEEN 1 AND 255),  action TEXT CHECK (length(CAST(action AS BLOB)) BETWEEN 1 AND 255),  reason TEXT CHECK (length(CAST(reason AS BLOB)) BETWEEN 1 AND 255),  first_id INTEGER, last_id INTEGER,  last_hash BLOB CHECK (length(last_hash) = 32),  signature BLOB CHECK (length(signature) = 64),  hash BLOB NOT NULL CHECK (length(hash) = 32),  CHECK (CASE kind    WHEN 'decision' THEN decision IS NOT NULL AND outcome IS NULL AND lane IS NOT NULL    WHEN 'passage' THEN outcome IS NOT NULL AND decision IS NULL AND lane IS NOT NULL    WHEN 'purge' THEN detail IS NOT NULL    WHEN 'checkpoint' THEN last_id IS NOT NULL AND last_hash IS NOT NULL      AND signature IS NOT NULL    ELSE actor_uid IS NOT NULL AND action IS NOT NULL END));
INSERT INTO audit VALUES(1,'gallery',1796201366704917,'lane-1',1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1000,NULL,'enrol','new staff',NULL,NULL,NULL,NULL,X'93a3fff202bafdccae6a69637ab36ed09f06a9a8a75466f0b0dfc41779642ccf');
INSERT INTO audit VALUES(2,'decision',1800000001000000,'lane-1',1,0.41999999999999998445,0.2000000000000000111,0.9000000000000000222,'admit',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,X'8092a12c8878040e6ff8196499b7bf3cd498d3234442e96b4245e6f634ab9834');
INSERT INTO audit VALUES(3,'passage',1800000002000000,'lane-1',1,NULL,NULL,NULL,NULL,'passed',2,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,X'a9b03a034f615edd54499ce4152e89bfb5ee07f48a39f472a1e127cb3f959782');
INSERT INTO audit VALUES(4,'officer',1800000003000000,'lane-1',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1001,'officer7','lock','drill',NULL,NULL,NULL,NULL,X'23d4092a6024c6328a65de71e168609f19fb1f176b47c5292eaa53e2ad92a346');
INSERT INTO audit VALUES(5,'checkpoint',1800000004000000,'lane-1',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,4,X'23d4092a6024c6328a65de71e168609f19fb1f176b47c5292eaa53e2ad92a346',X'8219613b49746403c31666b002051083bdfa3d8296ccfc2db2c46b122af01db1d5bb5c83d680d1d6c09c7b8db53a5f1e2e01dd82f94d23495d0a4e9fcc9c680a',X'4c009ef89e67330854a0a1889ca9785b56c54df2b4581f0216c0cf5c75721d00');
INSERT INTO audit VALUES(6,'gallery',1796201366722276,'lane-1',1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1000,NULL,'delete','left the service',NULL,NULL,NULL,NULL,X'eed94c0bde55494609cfab51ab0ef4fcddc0c483cea12f415941b982309ca8a0');
CREATE TABLE audit_purge_window (last_id INTEGER NOT NULL);
CREATE TABLE audit_chain (  chain_id BLOB NOT NULL CHECK (length(chain_id) = 16),  lane TEXT CHECK (length(CAST(lane AS BLOB)) BETWEEN 1 AND 63),  created_us INTEGER NOT NULL,  genesis BLOB NOT NULL CHECK (length(genesis) = 32),  head_id INTEGER NOT NULL,  head_hash BLOB NOT NULL CHECK (length(head_hash) = 32));
INSERT INTO audit_chain VALUES(X'148f7aef4dbca64afb3d8599be7d802b','lane-1',1796201366704936,X'5346aaa2a7d7d5b14d17fc60144635f5f55824d3dd51884e8e9c91b348db4c8e',6,X'eed94c0bde55494609cfab51ab0ef4fcddc0c483cea12f415941b982309ca8a0');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('travellers',1);
INSERT INTO sqlite_sequence VALUES('audit',6);
CREATE INDEX templates_by_traveller ON templates (traveller_id);
CREATE TRIGGER gallery_template_added AFTER INSERT ON templates BEGIN  UPDATE gallery_version SET version = version + 1; END;
CREATE TRIGGER gallery_template_removed AFTER DELETE ON templates BEGIN  UPDATE gallery_version SET version = version + 1; END;
CREATE INDEX audit_by_time ON audit (time_us);
CREATE INDEX audit_by_kind ON audit (kind, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN  SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit  WHEN old.id > coalesce((SELECT max(last_id) FROM audit_purge_window), 0)  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (records leave it only through the retention purge)'); END;
CREATE TRIGGER audit_chain_one BEFORE INSERT ON audit_chain  WHEN (SELECT count(*) FROM audit_chain) > 0  BEGIN SELECT RAISE(ABORT, 'the audit chain has one genesis'); END;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain  BEGIN SELECT RAISE(ABORT, 'the audit chain has one genesis'); END;
CREATE TRIGGER audit_chain_genesis BEFORE UPDATE OF chain_id, lane, created_us,  genesis ON audit_chain  BEGIN SELECT RAISE(ABORT, 'the audit chain has one genesis'); END;
PRAGMA user_version = 3;
PRAGMA application_id = 1162297684;
COMMIT;
