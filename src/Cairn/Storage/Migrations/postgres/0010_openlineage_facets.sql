-- PostgreSQL form of sqlite/0010_openlineage_facets.sql.
-- OpenLineage kept whole (issue 13): every facet an event carries, column lineage field by field, and the names a
-- symlinks facet gives a dataset. Decision 0013.

-- A dataset's facets as last sent: a JSON object of facet name -> facet, each facet replaced whole by a later one.
ALTER TABLE datasets ADD COLUMN facets TEXT NOT NULL DEFAULT '{}';
-- The facets a dataset had when a version was first written.
ALTER TABLE dataset_versions ADD COLUMN facets TEXT;

-- Input and output facets (inputFacets, outputFacets) of one run's read or write of one dataset, as last sent.
CREATE TABLE run_dataset_facets (
    run_id     TEXT    NOT NULL,   -- run:<runId>
    dataset_id TEXT    NOT NULL,   -- dataset:<namespace>:<name> of the canonical dataset
    direction  TEXT    NOT NULL,   -- input | output
    facets     TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (run_id, dataset_id, direction)
);
CREATE INDEX ix_run_dataset_facets_dataset ON run_dataset_facets (dataset_id);

-- The columnLineage facet, one row per (output field, input field): output_field '' is the facet's dataset-level
-- entry (inputs that affect the whole output, such as a filter). transformations is the 1-2-0 list as sent; the
-- 1-0-x description and type stay in their own columns. The latest event to name an edge writes its row.
-- Datasets are named by node id (after symlinks are resolved) and, for answers, by namespace and name.
CREATE TABLE column_lineage (
    output_dataset             TEXT    NOT NULL,
    output_field               TEXT    NOT NULL,
    input_dataset              TEXT    NOT NULL,
    input_field                TEXT    NOT NULL,
    output_namespace           TEXT    NOT NULL,
    output_name                TEXT    NOT NULL,
    input_namespace            TEXT    NOT NULL,
    input_name                 TEXT    NOT NULL,
    transformation_description TEXT,
    transformation_type        TEXT,
    transformations            TEXT,
    run_id                     TEXT,
    job_id                     TEXT,
    created_at                 BIGINT  NOT NULL,
    updated_at                 BIGINT  NOT NULL,
    PRIMARY KEY (output_dataset, output_field, input_dataset, input_field)
);
CREATE INDEX ix_column_lineage_input ON column_lineage (input_dataset, input_field);
CREATE INDEX ix_column_lineage_job ON column_lineage (job_id);

-- Other names of a dataset (a Hive table's name for its HDFS location, from the symlinks facet): each resolves to
-- the one node the dataset is, by the node id the name would have had.
CREATE TABLE dataset_aliases (
    id         TEXT    PRIMARY KEY,   -- dataset:<namespace>:<name> of the other name
    namespace  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    type       TEXT,
    dataset_id TEXT    NOT NULL,      -- the dataset's node
    created_at BIGINT  NOT NULL
);
CREATE INDEX ix_dataset_aliases_dataset ON dataset_aliases (dataset_id);
