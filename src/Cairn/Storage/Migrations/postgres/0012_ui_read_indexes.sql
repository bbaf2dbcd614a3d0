-- PostgreSQL form of sqlite/0012_ui_read_indexes.sql.
-- Reads of the web UI at scale (issue 15, item 5): a run search of one experiment in MLflow's default order
-- (start_time DESC, then run_uuid) walks this index and stops at the page, where (experiment_id, start_time DESC, id)
-- left the run_uuid tie-break to a sort of every run of the experiment.
CREATE INDEX ix_runs_experiment_start_uuid ON runs (experiment_id, start_time DESC, run_uuid);
