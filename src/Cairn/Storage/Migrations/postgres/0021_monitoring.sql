-- Issue 18: what serving sides report about a deployed version, and what Cairn computes from it.
-- Windows, drift results, predictions, ground truth and performance figures keep the deployment's id and the model's
-- and version's ids and names without foreign keys: they are the evidence of how a version behaved in production and
-- outlive a deleted deployment or version.

-- The reference a version's serving data is compared with: a Monitoring.DatasetProfile (JSON) made from its training
-- dataset's statistics (source 'dataset', dataset_id and dataset_version say which) or from an uploaded sample
-- (source 'sample'). One per version; a new one replaces the old.
CREATE TABLE reference_profiles (
    version_id      BIGINT PRIMARY KEY REFERENCES model_versions (id) ON DELETE CASCADE,
    model_id        BIGINT  NOT NULL,
    source          TEXT    NOT NULL,
    dataset_id      TEXT,
    dataset_version TEXT,
    rows            BIGINT  NOT NULL,
    profile         TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL
);

-- Per-model drift settings (JSON, Monitoring.DriftSettings): methods and thresholds per feature, dataset drift share.
CREATE TABLE monitoring_settings (
    model_id   BIGINT PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
    settings   TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL,
    updated_by TEXT    NOT NULL
);

-- A window of serving data one deployment reported for one of the versions it serves: its profile (JSON,
-- Monitoring.DatasetProfile) as reported or as Cairn computed it from raw rows (source 'profile', 'csv', 'parquet'),
-- and the dataset-level drift verdict against the version's reference when there was one (drift JSON,
-- Monitoring.DatasetDrift; null without a reference).
CREATE TABLE monitoring_windows (
    id            TEXT    PRIMARY KEY,
    deployment_id TEXT    NOT NULL,
    model_id      BIGINT  NOT NULL,
    model         TEXT    NOT NULL,
    version_id    BIGINT  NOT NULL,
    version       BIGINT  NOT NULL,
    starts_at     BIGINT  NOT NULL,
    ends_at       BIGINT  NOT NULL,
    rows          BIGINT  NOT NULL,
    source        TEXT    NOT NULL,
    profile       TEXT    NOT NULL,
    drift         TEXT,
    drifted       INTEGER,
    drift_share   DOUBLE PRECISION,
    reported_at   BIGINT  NOT NULL,
    reported_by   TEXT    NOT NULL
);
CREATE INDEX ix_monitoring_windows_deployment ON monitoring_windows (deployment_id, starts_at);
CREATE INDEX ix_monitoring_windows_version ON monitoring_windows (version_id, starts_at);

-- One row per window and feature: the drift figures of that feature (set-based reads per feature over time).
CREATE TABLE monitoring_feature_drift (
    window_id  TEXT    NOT NULL REFERENCES monitoring_windows (id) ON DELETE CASCADE,
    feature    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    method     TEXT    NOT NULL,
    score      DOUBLE PRECISION,
    statistic  DOUBLE PRECISION,
    threshold  DOUBLE PRECISION    NOT NULL,
    drifted    INTEGER NOT NULL,
    psi        DOUBLE PRECISION,
    PRIMARY KEY (window_id, feature)
);

-- Predictions a deployment made, by the caller's prediction id; ground truth arrives later with the same id.
-- prediction and actual are JSON values (a label or a number); probabilities a JSON object label -> probability.
CREATE TABLE predictions (
    deployment_id TEXT    NOT NULL,
    prediction_id TEXT    NOT NULL,
    version_id    BIGINT  NOT NULL,
    version       BIGINT  NOT NULL,
    at            BIGINT  NOT NULL,
    prediction    TEXT    NOT NULL,
    probabilities TEXT,
    PRIMARY KEY (deployment_id, prediction_id)
);
CREATE INDEX ix_predictions_time ON predictions (deployment_id, at);

CREATE TABLE ground_truth (
    deployment_id TEXT    NOT NULL,
    prediction_id TEXT    NOT NULL,
    actual        TEXT    NOT NULL,
    at            BIGINT  NOT NULL,
    PRIMARY KEY (deployment_id, prediction_id)
);

-- Performance figures per deployment, version and time bucket: computed from predictions joined with ground truth
-- (source 'computed') or reported by the serving side as they are (source 'reported').
CREATE TABLE performance_metrics (
    deployment_id TEXT    NOT NULL,
    version_id    BIGINT  NOT NULL,
    version       BIGINT  NOT NULL,
    metric        TEXT    NOT NULL,
    starts_at     BIGINT  NOT NULL,
    ends_at       BIGINT  NOT NULL,
    value         DOUBLE PRECISION    NOT NULL,
    count         BIGINT,
    source        TEXT    NOT NULL,
    recorded_at   BIGINT  NOT NULL,
    PRIMARY KEY (deployment_id, version_id, metric, starts_at, source)
);
