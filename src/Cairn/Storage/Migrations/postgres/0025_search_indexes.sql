-- PostgreSQL form of sqlite/0025_search_indexes.sql (decision 0032).
--
-- 1. Runs of one experiment ordered by a metric or a param: the run's experiment and start time on its latest metrics
-- and params (fixed once the run exists), filled by the writers in the writing transaction and here for existing rows.
ALTER TABLE run_latest_metrics ADD COLUMN experiment_id BIGINT;
ALTER TABLE run_latest_metrics ADD COLUMN start_time BIGINT;
ALTER TABLE run_params ADD COLUMN experiment_id BIGINT;
ALTER TABLE run_params ADD COLUMN start_time BIGINT;
UPDATE run_latest_metrics SET experiment_id = r.experiment_id, start_time = r.start_time FROM runs r WHERE r.id = run_latest_metrics.run_id;
UPDATE run_params SET experiment_id = r.experiment_id, start_time = r.start_time FROM runs r WHERE r.id = run_params.run_id;
CREATE INDEX ix_run_latest_metrics_order ON run_latest_metrics (experiment_id, key, is_nan, value, start_time);
CREATE INDEX ix_run_params_order_asc ON run_params (experiment_id, key, value, start_time DESC);
CREATE INDEX ix_run_params_order_desc ON run_params (experiment_id, key, value DESC, start_time DESC);

-- 2. Free text over models: trigram GIN indexes (pg_trgm) that ILIKE '%text%' uses. pg_trgm ships with Debian's
-- server package, but creating it needs the right; without it the store works as before (a scan), so a failure to
-- create the extension or the indexes is reported as a notice, not an error.
DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): free-text model search scans', SQLERRM;
    END;
    SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX ix_models_full_name_trgm ON models USING gin (full_name %I.gin_trgm_ops)', trgm_schema);
        EXECUTE format('CREATE INDEX ix_models_description_trgm ON models USING gin (description %I.gin_trgm_ops)', trgm_schema);
    END IF;
END
$$;
