-- Issue 18: alert rules over what monitoring stores, and the alerts they raise (docs/monitoring.md, decision 0026).

-- A rule watches one model's windows or performance figures, on every deployment serving it or on one (deployment_id).
-- kind 'drift': the window's dataset verdict (feature null) or one feature's verdict; 'psi': a feature's PSI (or the
-- largest of any feature's, feature null) at or above threshold; 'metric': a performance metric (source 'computed',
-- 'reported' or null for either) compared with threshold by operator ('<', '<=', '>', '>='). It raises when the last
-- 'consecutive' windows (or metric buckets) of a deployment's version all breach, none of them evidence of an earlier
-- alert of the rule on that deployment, and no alert of the rule on that deployment was raised within cooldown_ms of
-- data time.
CREATE TABLE alert_rules (
    id            TEXT    PRIMARY KEY,
    model_id      INTEGER  NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    deployment_id TEXT,
    name          TEXT    NOT NULL,
    description   TEXT,
    kind          TEXT    NOT NULL,
    feature       TEXT,
    metric        TEXT,
    source        TEXT,
    operator      TEXT,
    threshold     REAL,
    consecutive   INTEGER NOT NULL,
    cooldown_ms   INTEGER  NOT NULL,
    severity      TEXT    NOT NULL,
    enabled       INTEGER NOT NULL,
    created_at    INTEGER  NOT NULL,
    created_by    TEXT    NOT NULL,
    updated_at    INTEGER  NOT NULL,
    updated_by    TEXT    NOT NULL
);
CREATE INDEX ix_alert_rules_model ON alert_rules (model_id, kind);

-- An alert a rule raised, with its evidence (JSON, Monitoring.Alerts.AlertEvidence: the rule as it was, the model,
-- version and deployment, the features and their figures, the windows or metric values). Like the windows it cites it
-- keeps ids and names (and the model's namespace then, for scoping lists by the caller's roles) without foreign keys
-- and outlives its rule, model and deployment. data_from/data_to span the
-- evidence's windows (data time); last_start is the newest one's start, the mark later alerts of the rule must pass.
-- status: open, acknowledged, resolved (final).
CREATE TABLE alerts (
    id              TEXT    PRIMARY KEY,
    rule_id         TEXT    NOT NULL,
    model_id        INTEGER  NOT NULL,
    model           TEXT    NOT NULL,
    namespace       TEXT    NOT NULL,
    version_id      INTEGER  NOT NULL,
    version         INTEGER  NOT NULL,
    deployment_id   TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    severity        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    summary         TEXT    NOT NULL,
    evidence        TEXT    NOT NULL,
    data_from       INTEGER  NOT NULL,
    data_to         INTEGER  NOT NULL,
    last_start      INTEGER  NOT NULL,
    raised_at       INTEGER  NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    acknowledge_comment TEXT,
    resolved_at     INTEGER,
    resolved_by     TEXT,
    resolve_comment TEXT
);
CREATE INDEX ix_alerts_rule ON alerts (rule_id, deployment_id, data_to);
CREATE INDEX ix_alerts_raised ON alerts (raised_at, id);
CREATE INDEX ix_alerts_deployment ON alerts (deployment_id, status);
