-- Fewer b-trees written per OpenLineage event (issue 13, item 6; decision 0015). lineage_edges, a rowid table with a
-- composite primary key, kept every edge twice: in the table, ordered by rowid, and in the key's index; WITHOUT ROWID
-- keeps it once, ordered by the key (its rows are small, as SQLite advises for WITHOUT ROWID). executions.run_id's
-- UNIQUE index repeated the primary key (run:<run_id>); executions stays a rowid table, since its rows carry the run's
-- and job's facets, often many kilobytes. Tables are rebuilt (create, copy, drop, rename) inside the migration's
-- transaction; neither is named by a foreign key (dropping a parent with foreign keys on would cascade into its children).

CREATE TABLE lineage_edges_0012 (
    source     TEXT    NOT NULL REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    target     TEXT    NOT NULL REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (source, target, kind)
) WITHOUT ROWID;
INSERT INTO lineage_edges_0012 (source, target, kind, created_at) SELECT source, target, kind, created_at FROM lineage_edges;
DROP TABLE lineage_edges;
ALTER TABLE lineage_edges_0012 RENAME TO lineage_edges;
CREATE INDEX ix_lineage_edges_target ON lineage_edges (target, source);

-- run_id stays unique: it is the primary key's text after 'run:'.
CREATE TABLE executions_0012 (
    id            TEXT    PRIMARY KEY REFERENCES lineage_nodes (id) ON DELETE CASCADE,
    run_id        TEXT    NOT NULL,
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
INSERT INTO executions_0012 (id, run_id, type, job_namespace, job_name, state, properties, facets, parent_run_id, started_at, ended_at, created_at, created_by, updated_at, updated_by)
SELECT id, run_id, type, job_namespace, job_name, state, properties, facets, parent_run_id, started_at, ended_at, created_at, created_by, updated_at, updated_by FROM executions;
DROP TABLE executions;
ALTER TABLE executions_0012 RENAME TO executions;
CREATE INDEX ix_executions_job ON executions (job_namespace, job_name, started_at);
CREATE INDEX ix_executions_parent ON executions (parent_run_id);
