-- Experiment tracking, as MLflow models it (mlflow/store/tracking/dbmodels): experiments, runs, params,
-- metrics with their full history and each key's latest point, tags, and the datasets a run consumed.
-- Runs carry MLflow's 32-hex run_uuid for the API and an integer id that the child tables join on.

CREATE TABLE experiments (
    id                INTEGER PRIMARY KEY,  -- MLflow's experiment_id (sent as a string); 0 is "Default"
    name              TEXT    NOT NULL UNIQUE,
    artifact_location TEXT    NOT NULL,
    lifecycle_stage   TEXT    NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    created_by        TEXT    NOT NULL
);
CREATE INDEX ix_experiments_lifecycle ON experiments (lifecycle_stage, id);

CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    PRIMARY KEY (experiment_id, key)
);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    run_uuid        TEXT    NOT NULL UNIQUE,
    experiment_id   INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name            TEXT,
    user_id         TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),
    start_time      INTEGER,
    end_time        INTEGER,
    deleted_time    INTEGER,
    lifecycle_stage TEXT    NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
    artifact_uri    TEXT    NOT NULL
);
CREATE INDEX ix_runs_experiment_start ON runs (experiment_id, start_time DESC, id);

CREATE TABLE run_params (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key    TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX ix_run_params_key_value ON run_params (key, value);

CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key    TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX ix_run_tags_key_value ON run_tags (key, value);

-- Every logged point. NaN cannot be stored as a SQL REAL in SQLite, so it is value 0 with is_nan 1 (as in MLflow).
-- Logging the exact same point twice keeps one row (INSERT … ON CONFLICT DO NOTHING), as MLflow's store does.
-- WITHOUT ROWID: the primary key is the table, so each point is written to one b-tree, not a table and an index.
CREATE TABLE run_metrics (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    step      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL    NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, key, step, timestamp, value, is_nan)
) WITHOUT ROWID;

-- Each key's latest point (highest step, then timestamp, then value), which is what runs/get reports and
-- what search_runs filters and orders on.
CREATE TABLE run_latest_metrics (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    step      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL    NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX ix_run_latest_metrics_key_value ON run_latest_metrics (key, value);

-- Datasets logged with log-inputs, one per (experiment, name, digest) as in MLflow.
CREATE TABLE tracking_datasets (
    id            INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    source_type   TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    schema        TEXT,
    profile       TEXT,
    UNIQUE (experiment_id, name, digest)
);

CREATE TABLE run_inputs (
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    dataset_id INTEGER NOT NULL REFERENCES tracking_datasets (id) ON DELETE CASCADE,
    tags       TEXT    NOT NULL DEFAULT '{}',  -- input tags (e.g. mlflow.data.context) as a JSON object
    PRIMARY KEY (run_id, dataset_id)
);
