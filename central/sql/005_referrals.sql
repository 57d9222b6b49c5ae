-- SPDX-License-Identifier: GPL-2.0
--
-- 005_referrals.sql - "refer to officer": a traveller the centre flags is
-- denied by every lane, with reason "referred", and an officer is called
-- (the watch-list case).  The flag travels with the traveller's state in
-- the change log: flagging or clearing is a gallery change, pulled like
-- any other.  Why a traveller was flagged stays here: lanes get the flag
-- only.  Every change of the flag is kept, with who made it and why.

ALTER TABLE egate.travellers ADD COLUMN referred boolean NOT NULL DEFAULT false;

CREATE TABLE egate.referrals (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	traveller_id bigint NOT NULL,		-- no FK: outlives a revoked traveller
	referred boolean NOT NULL,		-- flagged, or cleared
	reason text NOT NULL CHECK (octet_length(reason) BETWEEN 1 AND 255
				    AND reason !~ '[\x01-\x1f\x7f]'),
	changed_at timestamptz NOT NULL DEFAULT now(),
	changed_by text NOT NULL DEFAULT session_user
);
CREATE INDEX referrals_by_traveller ON egate.referrals (traveller_id, id);

-- Flags (p_referred) or clears the traveller; lanes follow at their next
-- pull.  The gallery version it made, or NULL: no such traveller.  A flag
-- set again (or cleared again) is recorded but changes no lane.
CREATE FUNCTION egate.refer_traveller(p_id bigint, p_referred boolean, p_reason text)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, egate AS $$
DECLARE
	was boolean;
BEGIN
	SELECT referred INTO was FROM egate.travellers WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	INSERT INTO egate.referrals (traveller_id, referred, reason)
	VALUES (p_id, p_referred, p_reason);
	IF was = p_referred THEN
		RETURN (SELECT version FROM egate.gallery_changes WHERE traveller_id = p_id);
	END IF;
	UPDATE egate.travellers SET referred = p_referred WHERE id = p_id;
	RETURN egate.gallery_change(p_id, false);
END $$;

-- pull_gallery() as in 002, with the flag: a function's result type
-- cannot be altered, so it is made anew (and granted anew).
DROP FUNCTION egate.pull_gallery(bigint, integer);
CREATE FUNCTION egate.pull_gallery(p_after bigint, p_limit integer)
RETURNS TABLE (version bigint, traveller_id bigint, revoked boolean, label text,
	       valid_until date, templates bytea, referred boolean)
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
		  FROM egate.templates d WHERE d.traveller_id = c.traveller_id),
	       coalesce(t.referred, false)
	  FROM egate.gallery_changes c LEFT JOIN egate.travellers t ON t.id = c.traveller_id
	 WHERE c.version > p_after
	 ORDER BY c.version LIMIT p_limit;
END $$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA egate FROM PUBLIC;
GRANT EXECUTE ON FUNCTION egate.pull_gallery(bigint, integer) TO egate_lane;
