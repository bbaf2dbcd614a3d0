-- Fewer indexes written per OpenLineage event (issue 13, item 6; decision 0015): executions.run_id's unique index
-- repeated the primary key (run:<run_id>). run_id stays unique: it is the primary key's text after 'run:'.
-- (SQLite's migration also makes lineage_edges WITHOUT ROWID; PostgreSQL's heap tables have no such choice.)
ALTER TABLE executions DROP CONSTRAINT IF EXISTS executions_run_id_key;
