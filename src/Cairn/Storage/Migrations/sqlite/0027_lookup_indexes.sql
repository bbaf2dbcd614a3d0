-- Lookups that read a whole table at the web UI's scale (issue 15, item 5; BENCHMARKS.md, PostgreSQL at full scale).
--
-- The versions registered from a run, which a run's page lists (filter run_id = '…'): without an index on run_id every
-- version was read, 301,437 at the issue's scale. (PostgreSQL's 0027 also makes its audit trail by resource an index
-- range; SQLite's (resource, seq) index already compares bytes, which ed09082's query uses.)
CREATE INDEX ix_model_versions_run ON model_versions (run_id);
