-- SPDX-License-Identifier: GPL-2.0
--
-- 002_lane_api.sql - what a lane may do: three functions, run with the
-- owner's rights (SECURITY DEFINER), that know the lane by its login role
-- (session_user).  A lane role has no privilege on any table: it reads the
-- gallery and writes its own audit records through these only.

-- Big-endian int8 at byte offset off (0-based) of b.
CREATE FUNCTION egate.be64(b bytea, off integer) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT
RETURN ('x' || encode(substring(b FROM off + 1 FOR 8), 'hex'))::bit(64)::bigint;

-- The calling lane, locked for the rest of the transaction; refused when
-- the role is not a lane's or the lane was revoked.
-- The kind and time of a record, from its encoding (the second and third
-- fields: text, integer); NULL for an encoding not shaped so.
CREATE FUNCTION egate.record_meta(c bytea, OUT kind text, OUT time_us bigint)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	n integer;
BEGIN
	IF octet_length(c) < 15 OR get_byte(c, 10) <> 3 THEN
		RETURN;
	END IF;
	n := ('x' || encode(substring(c FROM 12 FOR 4), 'hex'))::bit(32)::integer;
	IF n NOT BETWEEN 1 AND 32 OR octet_length(c) < 24 + n THEN
		RETURN;
	END IF;
	kind := convert_from(substring(c FROM 16 FOR n), 'UTF8');
	IF get_byte(c, 15 + n) = 1 THEN
		time_us := egate.be64(c, 16 + n);
	END IF;
EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
	kind := NULL;
END $$;

CREATE FUNCTION egate.current_lane() RETURNS egate.lanes
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, egate AS $$
DECLARE
	l egate.lanes;
BEGIN
	SELECT * INTO l FROM egate.lanes WHERE role_name = session_user AND revoked_at IS NULL
		FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" is not a registered lane', session_user
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN l;
END $$;

-- Contact: the lane says which gallery version it has; it learns the
-- centre's version and the head of its archived audit chain (where its
-- next push starts).
CREATE FUNCTION egate.lane_hello(p_gallery_version bigint, OUT lane text,
				 OUT central_version bigint, OUT archived_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, egate AS $$
DECLARE
	l egate.lanes := egate.current_lane();
BEGIN
	UPDATE egate.lanes SET last_seen = now(), gallery_version = p_gallery_version
		WHERE id = l.id;
	lane := l.name;
	archived_seq := l.archived_seq;
	SELECT coalesce(max(version), 0) INTO central_version FROM egate.gallery_changes;
END $$;

-- Gallery changes after version p_after, oldest first, at most p_limit:
-- each is a traveller's current state (templates: their 512-byte
-- templates back to back) or their revocation.  A change superseded by a
-- later one of the same traveller is not sent twice: it is that later one.
CREATE FUNCTION egate.pull_gallery(p_after bigint, p_limit integer)
RETURNS TABLE (version bigint, traveller_id bigint, revoked boolean, label text,
	       valid_until date, templates bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, egate AS $$
BEGIN
	PERFORM egate.current_lane();
	IF p_after < 0 OR p_limit NOT BETWEEN 1 AND 10000 THEN
		RAISE EXCEPTION 'pull: version >= 0 and 1 to 10000 changes'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	SELECT c.version, c.traveller_id, c.revoked, t.label, t.valid_until,
	       (SELECT string_agg(d.descriptor, ''::bytea ORDER BY d.id)
		  FROM egate.templates d WHERE d.traveller_id = c.traveller_id)
	  FROM egate.gallery_changes c LEFT JOIN egate.travellers t ON t.id = c.traveller_id
	 WHERE c.version > p_after
	 ORDER BY c.version LIMIT p_limit;
END $$;

CREATE FUNCTION egate.raise_alarm(p_lane bigint, p_seq bigint, p_problem text, p_detail text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, egate
BEGIN ATOMIC
	INSERT INTO egate.audit_alarms (lane_id, seq, problem, detail)
		VALUES (p_lane, p_seq, p_problem, p_detail);
END;

-- Audit up: records p_seq[i] with their canonical encodings and hashes,
-- in chain order.  Archived only while each continues the lane's chain:
-- sha256(hash before || canonical) = hash, the encoding names seq as its
-- id, and seq follows the archived head.  A record already archived with
-- the same bytes is skipped (a retry after a lost acknowledgement); any
-- other record at or below the head, or one that does not link, stops the
-- batch there: the records before it are archived, the refusal is an
-- alarm row and is returned (refused_seq, problem).
--
-- p_genesis: the encoding of the lane's chain genesis; its hash binds the
-- lane's chain at its first push and must match at every later one.
-- p_prev: at the first push, the hash the first record links to (the
-- genesis, or the last purged record's hash when the lane's retention
-- removed older records before it joined: an alarm says so).
CREATE FUNCTION egate.push_audit(p_genesis bytea, p_prev bytea, p_seq bigint[],
				 p_canonical bytea[], p_hash bytea[],
				 OUT archived_seq bigint, OUT refused_seq bigint, OUT problem text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, egate AS $$
DECLARE
	l egate.lanes := egate.current_lane();
	n integer := coalesce(array_length(p_seq, 1), 0);
	head bytea;
	have egate.audit_archive;
	c bytea;
	meta record;
BEGIN
	IF n > 10000 OR coalesce(array_length(p_canonical, 1), 0) <> n OR
	   coalesce(array_length(p_hash, 1), 0) <> n THEN
		RAISE EXCEPTION 'push: 0 to 10000 records, each with its encoding and hash'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_genesis IS NULL OR octet_length(p_genesis) > 1024 THEN
		RAISE EXCEPTION 'push: the chain genesis is missing'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF l.genesis IS NULL THEN
		l.genesis := sha256(p_genesis);
		UPDATE egate.lanes SET genesis = l.genesis WHERE id = l.id;
	ELSIF sha256(p_genesis) <> l.genesis THEN
		PERFORM egate.raise_alarm(l.id, NULL, 'genesis-mismatch',
					  'the lane pushed another chain than the one archived');
		archived_seq := l.archived_seq;
		problem := 'genesis-mismatch';
		RETURN;
	END IF;
	head := CASE WHEN l.archived_seq = 0 THEN coalesce(p_prev, l.genesis)
		     ELSE l.archived_hash END;
	FOR i IN 1 .. n LOOP
		c := p_canonical[i];
		IF p_seq[i] <= l.archived_seq THEN
			SELECT * INTO have FROM egate.audit_archive
			 WHERE lane_id = l.id AND seq = p_seq[i];
			CONTINUE WHEN FOUND AND have.hash = p_hash[i] AND have.canonical = c;
			problem := 'rewrite';
		ELSIF c IS NULL OR p_hash[i] IS NULL OR octet_length(c) < 10 OR
		      octet_length(c) > 65536 OR get_byte(c, 0) <> 1 OR get_byte(c, 1) <> 1 OR
		      egate.be64(c, 2) <> p_seq[i] THEN
			problem := 'bad-encoding';
		ELSIF sha256(head || c) <> p_hash[i] THEN
			problem := CASE WHEN l.archived_seq > 0 AND p_seq[i] > l.archived_seq + 1
					THEN 'gap' ELSE 'broken-link' END;
		END IF;
		IF problem IS NOT NULL THEN
			refused_seq := p_seq[i];
			PERFORM egate.raise_alarm(l.id, p_seq[i], problem, NULL);
			EXIT;
		END IF;
		IF l.archive_start_seq IS NULL THEN
			l.archive_start_seq := p_seq[i];
			l.archive_start_prev := head;
			IF head <> l.genesis THEN
				PERFORM egate.raise_alarm(l.id, p_seq[i], 'starts-after-purge',
					'records before it were purged on the lane before it joined');
			END IF;
		END IF;
		meta := egate.record_meta(c);
		INSERT INTO egate.audit_archive (lane_id, seq, canonical, hash, kind, time_us)
		VALUES (l.id, p_seq[i], c, p_hash[i], meta.kind, meta.time_us);
		head := p_hash[i];
		l.archived_seq := p_seq[i];
	END LOOP;
	UPDATE egate.lanes SET archived_seq = l.archived_seq, archived_hash = head,
			       archive_start_seq = l.archive_start_seq,
			       archive_start_prev = l.archive_start_prev, last_seen = now()
	 WHERE id = l.id;
	archived_seq := l.archived_seq;
END $$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA egate FROM PUBLIC;
GRANT EXECUTE ON FUNCTION egate.lane_hello(bigint), egate.pull_gallery(bigint, integer),
	egate.push_audit(bytea, bytea, bigint[], bytea[], bytea[]) TO egate_lane;
