-- SPDX-License-Identifier: GPL-2.0
--
-- 001_schema.sql - the central store of a fleet of lanes (Documentation/fleet.md):
-- the gallery (travellers and their face templates), the change log lanes
-- pull from, the lanes, and the archive of every lane's audit chain.
--
-- Templates are biometric data: only templates are stored (128 float32,
-- little-endian, 512 bytes each), never a photo.  No role but the owner of
-- the schema (the centre's administrators, through egate-central) may read
-- the tables; a lane reads the gallery only through egate.pull_gallery().

CREATE SCHEMA egate;
REVOKE ALL ON SCHEMA egate FROM PUBLIC;

-- Every lane role is a member of egate_lane: it may call the lane functions
-- (002_lane_api.sql) and nothing else.
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'egate_lane') THEN
		CREATE ROLE egate_lane NOLOGIN;
	END IF;
END $$;
GRANT USAGE ON SCHEMA egate TO egate_lane;

-- An enrolled traveller: valid through valid_until (NULL: no end), a date
-- every lane enforces by itself (its gallery leaves expired travellers out).
CREATE TABLE egate.travellers (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	label text NOT NULL CHECK (octet_length(label) BETWEEN 1 AND 128
				   AND label !~ '[\x01-\x1f\x7f]'),
	valid_from date NOT NULL DEFAULT current_date,
	valid_until date CHECK (valid_until IS NULL OR valid_until >= valid_from),
	enrolled_at timestamptz NOT NULL DEFAULT now(),
	enrolled_by text NOT NULL DEFAULT session_user
);

CREATE TABLE egate.templates (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	traveller_id bigint NOT NULL REFERENCES egate.travellers ON DELETE CASCADE,
	descriptor bytea NOT NULL CHECK (octet_length(descriptor) = 512),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX templates_by_traveller ON egate.templates (traveller_id);

-- The change log: one row per traveller ever enrolled, with the version of
-- its last change.  A lane at version V has every change up to V; it pulls
-- the rows after V.  A revoked traveller's row stays (revoked) so lanes
-- delete them; their templates are gone from the centre at once.  Writers
-- serialise on this table (egate.gallery_change), so versions commit in
-- order and a lane never skips one.
CREATE SEQUENCE egate.gallery_version_seq;
CREATE TABLE egate.gallery_changes (
	traveller_id bigint PRIMARY KEY,
	version bigint NOT NULL UNIQUE,
	revoked boolean NOT NULL DEFAULT false,
	changed_at timestamptz NOT NULL DEFAULT now(),
	changed_by text NOT NULL DEFAULT session_user
);

-- A lane: its PostgreSQL role (it logs in as it), its audit key, what it
-- last reported.  genesis: the lane's audit chain, bound at its first push.
CREATE TABLE egate.lanes (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
	role_name text NOT NULL UNIQUE,
	audit_public_key bytea CHECK (octet_length(audit_public_key) = 32),
	registered_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz,
	last_seen timestamptz,
	gallery_version bigint NOT NULL DEFAULT 0,	-- as the lane last reported it
	genesis bytea CHECK (octet_length(genesis) = 32),
	archive_start_seq bigint,		-- the first archived record
	archive_start_prev bytea,		-- the hash it links to
	archived_seq bigint NOT NULL DEFAULT 0,	-- the chain head archived
	archived_hash bytea CHECK (octet_length(archived_hash) = 32)
);

-- The archive: every lane's audit records as the lane hashed them, keyed
-- by (lane, seq) so a record sent twice is stored once.  canonical is the
-- record's encoding (Documentation/audit.md, with its version byte);
-- hash = sha256(previous hash || canonical).  kind and time_us are read
-- out of the encoding for queries.
CREATE TABLE egate.audit_archive (
	lane_id bigint NOT NULL REFERENCES egate.lanes,
	seq bigint NOT NULL,
	canonical bytea NOT NULL,
	hash bytea NOT NULL CHECK (octet_length(hash) = 32),
	kind text,
	time_us bigint,
	received_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (lane_id, seq)
);
CREATE INDEX audit_archive_by_time ON egate.audit_archive (time_us);

-- What ingestion refused, and why: the central alarm list.
CREATE TABLE egate.audit_alarms (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	lane_id bigint NOT NULL REFERENCES egate.lanes,
	seq bigint,
	problem text NOT NULL,
	detail text,
	raised_at timestamptz NOT NULL DEFAULT now()
);
