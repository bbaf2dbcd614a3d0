-- Logged models (MLflow 3's LoggedModel): a model an experiment's run produced, with its own id (m-<32 hex>), status,
-- params, tags and the metrics linked to it; the runs it fed or came out of; the registered versions made from it.

CREATE TABLE logged_models (
    model_id          TEXT    PRIMARY KEY,  -- 'm-' and 32 hex digits
    experiment_id     INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    artifact_location TEXT    NOT NULL,     -- {experiment location}/models/{model_id}/artifacts
    status            TEXT    NOT NULL CHECK (status IN ('PENDING', 'READY', 'FAILED')),
    status_message    TEXT,
    model_type        TEXT,
    source_run_id     TEXT,                 -- not a foreign key: MLflow records it unchecked
    lifecycle_stage   TEXT    NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    created_by        TEXT    NOT NULL
);
CREATE INDEX ix_logged_models_experiment ON logged_models (experiment_id, created_at DESC);
CREATE INDEX ix_logged_models_source_run ON logged_models (source_run_id);

CREATE TABLE logged_model_params (
    model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
);

CREATE TABLE logged_model_tags (
    model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
);

-- Metric points a run logged with a model_id, keyed as MLflow keys them (a point again is kept once).
-- NaN is value 0 with is_nan 1, as in run_metrics.
CREATE TABLE logged_model_metrics (
    model_id       TEXT    NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key            TEXT    NOT NULL,
    timestamp      INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    run_id         TEXT    NOT NULL,
    value          REAL    NOT NULL,
    is_nan         INTEGER NOT NULL DEFAULT 0,
    dataset_name   TEXT,
    dataset_digest TEXT,
    PRIMARY KEY (model_id, key, timestamp, step, run_id)
);
CREATE INDEX ix_logged_model_metrics_key_value ON logged_model_metrics (key, value);

-- Models a run read (log-inputs' models) or produced (runs/outputs, at a step). The model is not checked, as in MLflow.
CREATE TABLE run_model_links (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    direction TEXT    NOT NULL CHECK (direction IN ('input', 'output')),
    model_id  TEXT    NOT NULL,
    step      INTEGER,
    PRIMARY KEY (run_id, direction, model_id)
);

-- The logged model a registered version was made from.
ALTER TABLE model_versions ADD COLUMN logged_model_id TEXT;
CREATE INDEX ix_model_versions_logged_model ON model_versions (logged_model_id);
