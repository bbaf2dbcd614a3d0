-- The link to the run that produced a version, as MLflow's create_model_version records it (run_link).
ALTER TABLE model_versions ADD COLUMN run_link TEXT;
