-- ML metadata in the spirit of Google's ML Metadata. Datasets, features, executions (runs of jobs, as OpenLineage
-- calls them) and typed artifacts are lineage nodes: each row's id is its node id (dataset:<namespace>:<name>,
-- feature:<namespace>:<name>, run:<run_id>, artifact:<type>:<name>), so the lineage graph is the one graph they hang
-- in, and MLMD's input/output events are its edges. Contexts group nodes (attribution, association) without being in
-- the graph. Properties are JSON objects; tags are key/value rows, searchable like models' tags.

-- Declared types: an execution, artifact or context type names its properties and their types (INT, DOUBLE,
-- STRING, BOOLEAN, STRUCT), which the entities of that type must respect.
CREATE TABLE metadata_types (
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT,
    properties  TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE datasets (
    id          TEXT    PRIMARY KEY REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    version     TEXT,
    location    TEXT,
    description TEXT,
    schema      TEXT,   -- JSON array of fields: {"name","type","description"}
    statistics  TEXT,   -- JSON object per column: count, nulls, min, max, mean, stddev, histogram or quantiles
    properties  TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL
);
CREATE UNIQUE INDEX ix_datasets_namespace_name ON datasets (namespace, name);
CREATE INDEX ix_datasets_updated ON datasets (updated_at);

-- Every version a dataset was written at, with what it looked like then.
CREATE TABLE dataset_versions (
    dataset_id TEXT    NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    version    TEXT    NOT NULL,
    location   TEXT,
    schema     TEXT,
    statistics TEXT,
    run_id     TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

CREATE TABLE features (
    id          TEXT    PRIMARY KEY REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    value_type  TEXT    NOT NULL,
    description TEXT,
    dataset_id  TEXT    REFERENCES datasets (id) ON DELETE SET NULL,
    statistics  TEXT,
    properties  TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL
);
CREATE UNIQUE INDEX ix_features_namespace_name ON features (namespace, name);
CREATE INDEX ix_features_dataset ON features (dataset_id);

-- A run of a job: a training, evaluation, ingestion or transformation step, or a declared execution type.
CREATE TABLE executions (
    id            TEXT    PRIMARY KEY REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    run_id        TEXT    NOT NULL UNIQUE,
    type          TEXT    NOT NULL,
    job_namespace TEXT    NOT NULL,
    job_name      TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    properties    TEXT    NOT NULL DEFAULT '{}',
    facets        TEXT    NOT NULL DEFAULT '{}',
    parent_run_id TEXT,
    started_at    INTEGER,
    ended_at      INTEGER,
    created_at    INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT    NOT NULL
);
CREATE INDEX ix_executions_job ON executions (job_namespace, job_name, started_at);
CREATE INDEX ix_executions_parent ON executions (parent_run_id);

CREATE TABLE artifacts (
    id         TEXT    PRIMARY KEY REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    type       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    uri        TEXT,
    state      TEXT    NOT NULL,
    properties TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL
);
CREATE UNIQUE INDEX ix_artifacts_type_name ON artifacts (type, name);

CREATE TABLE contexts (
    id         TEXT    PRIMARY KEY,   -- context:<type>:<name>
    type       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    properties TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL
);
CREATE UNIQUE INDEX ix_contexts_type_name ON contexts (type, name);

-- MLMD's attributions (an artifact in a context) and associations (an execution in a context).
CREATE TABLE context_members (
    context_id TEXT    NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    node_id    TEXT    NOT NULL REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    relation   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (context_id, node_id)
);
CREATE INDEX ix_context_members_node ON context_members (node_id);

-- Tags of any metadata entity, keyed by its id.
CREATE TABLE metadata_tags (
    entity_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (entity_id, key)
);
CREATE INDEX ix_metadata_tags_key_value ON metadata_tags (key, value);

-- Custom metadata schemas: per namespace and entity kind, versioned JSON Schemas that entities' properties must meet.
CREATE TABLE metadata_schemas (
    namespace  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    schema     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    PRIMARY KEY (namespace, kind, version)
);
