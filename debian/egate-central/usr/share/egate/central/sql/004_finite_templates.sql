-- SPDX-License-Identifier: GPL-2.0
--
-- 004_finite_templates.sql - a template is 128 finite float32: one with a
-- NaN or an infinity (exponent bits all ones) would be refused by every
-- lane and hold their gallery back, so the centre refuses it at enrolment.

CREATE FUNCTION egate.template_finite(d bytea) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT
RETURN NOT EXISTS (SELECT FROM generate_series(0, octet_length(d) / 4 - 1) i
		   WHERE get_byte(d, i * 4 + 3) & 127 = 127 AND get_byte(d, i * 4 + 2) >= 128);

REVOKE EXECUTE ON FUNCTION egate.template_finite(bytea) FROM PUBLIC;

ALTER TABLE egate.templates ADD CONSTRAINT templates_finite
	CHECK (egate.template_finite(descriptor));
