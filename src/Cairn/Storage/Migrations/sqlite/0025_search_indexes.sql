-- Reads of the web UI at scale (issue 15, item 5), decision 0032.
--
-- 1. Runs of one experiment ordered by a metric or a param. A run's experiment and start time are copied onto its
-- latest metrics and its params (both are fixed once the run exists), so that "ORDER BY metrics.x LIMIT 50" walks an
-- index of (experiment, key, value, start time) and stops at the page, where it sorted every run of the experiment.
-- The writers of these tables fill both columns in the transaction that writes the row; existing rows are filled here.
ALTER TABLE run_latest_metrics ADD COLUMN experiment_id INTEGER;
ALTER TABLE run_latest_metrics ADD COLUMN start_time INTEGER;
ALTER TABLE run_params ADD COLUMN experiment_id INTEGER;
ALTER TABLE run_params ADD COLUMN start_time INTEGER;
UPDATE run_latest_metrics SET experiment_id = r.experiment_id, start_time = r.start_time FROM runs r WHERE r.id = run_latest_metrics.run_id;
UPDATE run_params SET experiment_id = r.experiment_id, start_time = r.start_time FROM runs r WHERE r.id = run_params.run_id;
-- MLflow's order is value (either way), then start_time DESC: NaN points and runs without the key come after and are
-- read apart, so the metric index needs one direction only (metric values seldom tie); param values tie a lot (a
-- learning rate takes a handful of values), so each direction of value has an index matching start_time DESC.
CREATE INDEX ix_run_latest_metrics_order ON run_latest_metrics (experiment_id, key, is_nan, value, start_time);
CREATE INDEX ix_run_params_order_asc ON run_params (experiment_id, key, value, start_time DESC);
CREATE INDEX ix_run_params_order_desc ON run_params (experiment_id, key, value DESC, start_time DESC);

-- 2. Free text over models (name or description containing the words, any case): a trigram index of both, which
-- finds the candidates of any text of three characters or more; the exact LIKE still decides, so results are the
-- same as the scan's. External content (the models table itself), kept in step by triggers in the writing transaction.
CREATE VIRTUAL TABLE models_text USING fts5(full_name, description, content = 'models', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO models_text (rowid, full_name, description) SELECT id, full_name, COALESCE(description, '') FROM models;
CREATE TRIGGER models_text_insert AFTER INSERT ON models BEGIN
    INSERT INTO models_text (rowid, full_name, description) VALUES (new.id, new.full_name, COALESCE(new.description, ''));
END;
CREATE TRIGGER models_text_delete AFTER DELETE ON models BEGIN
    INSERT INTO models_text (models_text, rowid, full_name, description) VALUES ('delete', old.id, old.full_name, COALESCE(old.description, ''));
END;
CREATE TRIGGER models_text_update AFTER UPDATE OF full_name, description ON models BEGIN
    INSERT INTO models_text (models_text, rowid, full_name, description) VALUES ('delete', old.id, old.full_name, COALESCE(old.description, ''));
    INSERT INTO models_text (rowid, full_name, description) VALUES (new.id, new.full_name, COALESCE(new.description, ''));
END;
