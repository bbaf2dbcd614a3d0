-- The lineage graph: runs, model versions, datasets, jobs and the rest are nodes with typed ids in Marquez's style
-- (dataset:<namespace>:<name>, job:<namespace>:<name>, run:<id>, model:<full_name>:<version>), edges say what fed what.
CREATE TABLE lineage_nodes (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    namespace  TEXT,
    name       TEXT    NOT NULL,
    properties TEXT    NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_lineage_nodes_kind_name ON lineage_nodes (kind, namespace, name);

-- source fed target: a dataset read by a run (input), a dataset or model version a run produced (output).
CREATE TABLE lineage_edges (
    source     TEXT    NOT NULL REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    target     TEXT    NOT NULL REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (source, target, kind)
);
CREATE INDEX ix_lineage_edges_target ON lineage_edges (target, source);
