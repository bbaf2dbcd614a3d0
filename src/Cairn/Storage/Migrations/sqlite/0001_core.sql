-- Cairn core schema: catalog, registry, governance. Times are Unix epoch milliseconds (UTC).
CREATE TABLE models (
    id            INTEGER PRIMARY KEY,
    namespace     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    full_name     TEXT    NOT NULL UNIQUE,
    description   TEXT,
    owner         TEXT,
    url           TEXT,
    data_sources  TEXT    NOT NULL DEFAULT '[]',
    inference     TEXT,
    last_version  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT    NOT NULL
);
CREATE INDEX ix_models_namespace ON models (namespace);
CREATE INDEX ix_models_updated_at ON models (updated_at);

CREATE TABLE model_tags (
    model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (model_id, key)
);
CREATE INDEX ix_model_tags_key_value ON model_tags (key, value);

CREATE TABLE model_versions (
    id             INTEGER PRIMARY KEY,
    model_id       INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    semver         TEXT,
    description    TEXT,
    source         TEXT,
    run_id         TEXT,
    framework      TEXT,
    parent_version INTEGER,
    status         TEXT    NOT NULL,
    stage          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    created_by     TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL,
    updated_by     TEXT    NOT NULL,
    UNIQUE (model_id, version),
    UNIQUE (model_id, semver)
);
CREATE INDEX ix_model_versions_stage ON model_versions (stage);
CREATE INDEX ix_model_versions_created_at ON model_versions (created_at);

CREATE TABLE version_tags (
    version_id INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    PRIMARY KEY (version_id, key)
);
CREATE INDEX ix_version_tags_key_value ON version_tags (key, value);

CREATE TABLE version_metrics (
    version_id INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      REAL    NOT NULL,
    PRIMARY KEY (version_id, key)
);
CREATE INDEX ix_version_metrics_key_value ON version_metrics (key, value);

CREATE TABLE version_params (
    version_id INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    PRIMARY KEY (version_id, key)
);
CREATE INDEX ix_version_params_key_value ON version_params (key, value);

CREATE TABLE aliases (
    model_id   INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    alias      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (model_id, alias)
);

-- Every assignment and removal of an alias; version NULL means the alias was removed.
CREATE TABLE alias_history (
    id               INTEGER PRIMARY KEY,
    model_id         INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    alias            TEXT    NOT NULL,
    version          INTEGER,
    previous_version INTEGER,
    changed_at       INTEGER NOT NULL,
    changed_by       TEXT    NOT NULL
);
CREATE INDEX ix_alias_history_model_alias ON alias_history (model_id, alias, id);

CREATE TABLE stage_transitions (
    id          INTEGER PRIMARY KEY,
    version_id  INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    from_stage  TEXT    NOT NULL,
    to_stage    TEXT    NOT NULL,
    comment     TEXT,
    changed_at  INTEGER NOT NULL,
    changed_by  TEXT    NOT NULL
);
CREATE INDEX ix_stage_transitions_version ON stage_transitions (version_id, id);

-- Hash-chained audit log: hash = SHA-256 over (seq, at, actor, action, resource, before, after, prev_hash).
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    resource   TEXT    NOT NULL,
    before     TEXT,
    after      TEXT,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE INDEX ix_audit_log_actor ON audit_log (actor, seq);
CREATE INDEX ix_audit_log_resource ON audit_log (resource, seq);
CREATE INDEX ix_audit_log_at ON audit_log (at);

-- The chain's head, written in the same transaction as each entry, so that removing the newest
-- entries is detected too (a chain alone cannot tell a truncated tail from a short log).
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    revoked_at  INTEGER
);

-- Roles granted to a token's principal per namespace; a grant covers the namespace and all below it.
CREATE TABLE role_grants (
    token_id  INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    namespace TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    PRIMARY KEY (token_id, namespace)
);
