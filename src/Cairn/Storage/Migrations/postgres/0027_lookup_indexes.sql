-- PostgreSQL form of sqlite/0027_lookup_indexes.sql, plus the audit trail's index.
--
-- 1. The versions registered from a run, which a run's page lists: without an index on run_id every version was read.
CREATE INDEX ix_model_versions_run ON model_versions (run_id);

-- 2. A resource's audit trail: the resource and what is under it, "models/m" and the range ["models/m/", "models/m0")
-- in byte order ('0' follows '/'). Under the database's collation (en_US.UTF-8; C.UTF-8 too, in PostgreSQL 15) the
-- (resource, seq) index answers neither that range nor a LIKE prefix, so the trail read the whole log. Rebuilt under
-- "C", it compares bytes as SQLite's does whatever the database's collation; the audit list's queries compare the
-- resource COLLATE "C" to use it (equality included: an index serves only comparisons made in its own collation).
DROP INDEX ix_audit_log_resource;
CREATE INDEX ix_audit_log_resource ON audit_log (resource COLLATE "C", seq);
