-- SPDX-License-Identifier: GPL-2.0
--
-- 003_central_api.sql - what the centre's administrators do (egate-central):
-- enrol and revoke travellers, register and revoke lanes, verify the
-- archive.  Owner only: no EXECUTE for PUBLIC or the lanes.

-- Every gallery write goes through here: the lock makes writers commit in
-- version order (a lane that pulled version V never misses a change
-- committed later with a smaller version); readers are not blocked.
CREATE FUNCTION egate.gallery_change(p_traveller bigint, p_revoked boolean) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, egate AS $$
DECLARE
	v bigint;
BEGIN
	LOCK TABLE egate.gallery_changes IN SHARE ROW EXCLUSIVE MODE;
	v := nextval('egate.gallery_version_seq');
	INSERT INTO egate.gallery_changes (traveller_id, version, revoked)
	VALUES (p_traveller, v, p_revoked)
	ON CONFLICT (traveller_id) DO UPDATE
		SET version = v, revoked = p_revoked, changed_at = now(), changed_by = session_user;
	RETURN v;
END $$;

-- A traveller with 1 to 32 templates (512 bytes each); returns their id.
CREATE FUNCTION egate.enrol_traveller(p_label text, p_valid_until date, p_templates bytea[])
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, egate AS $$
DECLARE
	id bigint;
BEGIN
	IF coalesce(array_length(p_templates, 1), 0) NOT BETWEEN 1 AND 32 THEN
		RAISE EXCEPTION 'a traveller has 1 to 32 templates'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO egate.travellers (label, valid_until) VALUES (p_label, p_valid_until)
		RETURNING travellers.id INTO id;
	INSERT INTO egate.templates (traveller_id, descriptor)
		SELECT id, t FROM unnest(p_templates) t;
	PERFORM egate.gallery_change(id, false);
	RETURN id;
END $$;

-- Removes the traveller and every template of theirs; lanes delete them
-- at their next pull.  False: no such traveller enrolled.
CREATE FUNCTION egate.revoke_traveller(p_id bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, egate AS $$
BEGIN
	DELETE FROM egate.travellers WHERE id = p_id;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM egate.gallery_change(p_id, true);
	RETURN true;
END $$;

-- A lane and its login role (named as the lane), member of egate_lane.
CREATE FUNCTION egate.register_lane(p_name text, p_public_key bytea) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, egate AS $$
DECLARE
	id bigint;
BEGIN
	INSERT INTO egate.lanes (name, role_name, audit_public_key)
	VALUES (p_name, p_name, p_public_key) RETURNING lanes.id INTO id;
	EXECUTE format('CREATE ROLE %I LOGIN IN ROLE egate_lane', p_name);
	RETURN id;
END $$;

-- The lane may no longer log in or call anything; its sessions end; its
-- archive stays.  False: no such lane, or revoked already.
CREATE FUNCTION egate.revoke_lane(p_name text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, egate AS $$
BEGIN
	UPDATE egate.lanes SET revoked_at = now() WHERE name = p_name AND revoked_at IS NULL;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	EXECUTE format('ALTER ROLE %I NOLOGIN', p_name);
	EXECUTE format('REVOKE egate_lane FROM %I', p_name);
	PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = p_name;
	RETURN true;
END $$;

-- Walks every lane's archived chain: each record links to the one before
-- (from where the archive starts), and the last is the head ingestion
-- recorded.  problem NULL: the lane's archive is intact.
CREATE FUNCTION egate.verify_archive()
RETURNS TABLE (lane text, records bigint, head_seq bigint, problem text, seq bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, egate AS $$
DECLARE
	l egate.lanes;
	r record;
	head bytea;
BEGIN
	FOR l IN SELECT * FROM egate.lanes ORDER BY name LOOP
		lane := l.name;
		records := 0;
		head_seq := 0;
		problem := NULL;
		seq := NULL;
		head := l.archive_start_prev;
		FOR r IN SELECT a.seq AS s, a.canonical, a.hash FROM egate.audit_archive a
			  WHERE a.lane_id = l.id ORDER BY a.seq LOOP
			IF head IS NULL OR sha256(head || r.canonical) <> r.hash OR
			   egate.be64(r.canonical, 2) <> r.s THEN
				problem := 'broken-link';
				seq := r.s;
				EXIT;
			END IF;
			head := r.hash;
			head_seq := r.s;
			records := records + 1;
		END LOOP;
		IF problem IS NULL AND (head_seq <> l.archived_seq OR
		   (records > 0 AND head <> l.archived_hash)) THEN
			problem := 'truncated';
			seq := head_seq;
		END IF;
		RETURN NEXT;
	END LOOP;
END $$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA egate FROM PUBLIC;
GRANT EXECUTE ON FUNCTION egate.lane_hello(bigint), egate.pull_gallery(bigint, integer),
	egate.push_audit(bytea, bytea, bigint[], bytea[], bytea[]) TO egate_lane;
