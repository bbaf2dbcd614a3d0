-- cairn: foreign_keys = OFF
-- Lineage edges keyed by integers (issue 13, item 6; decision 0037). An OpenLineage event writes about five edges, and
-- each edge was three b-tree entries keyed by long text ids (`dataset:s3://bucket:path/table`, `run:<uuid>`): the rowid
-- table, its primary key and the target index. With 1,000 datasets in use, a group commit dirtied a leaf page of two of
-- them for nearly every edge. Here a node gets an integer key (its rowid, kept), an edge is (source, target, kind) of
-- those keys in a table without rowid and one index, about a tenth of the pages. `lineage_edges` stays, as a view that
-- names nodes by id, so every query that reads the graph reads it as before; writes of many edges go to
-- `lineage_links` directly, and the view's triggers serve the occasional single write.
--
-- lineage_nodes is rebuilt to declare the key (a rowid may change on VACUUM; an INTEGER PRIMARY KEY never does), which
-- is why this migration runs with foreign keys off: dropping the old table would otherwise delete every row that
-- references it. The migrator checks every foreign key before it commits.
CREATE TABLE lineage_nodes_new (
    key        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL,
    namespace  TEXT,
    name       TEXT    NOT NULL,
    properties TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO lineage_nodes_new (key, id, kind, namespace, name, properties, created_at, updated_at)
SELECT rowid, id, kind, namespace, name, properties, created_at, updated_at FROM lineage_nodes ORDER BY rowid;

CREATE TABLE lineage_links (
    source     INTEGER NOT NULL REFERENCES lineage_nodes (key) ON DELETE CASCADE,
    target     INTEGER NOT NULL REFERENCES lineage_nodes (key) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (source, target, kind)
) WITHOUT ROWID;
INSERT INTO lineage_links (source, target, kind, created_at)
SELECT s.key, t.key, e.kind, e.created_at
FROM lineage_edges e JOIN lineage_nodes_new s ON s.id = e.source JOIN lineage_nodes_new t ON t.id = e.target
ORDER BY 1, 2, 3;

DROP TABLE lineage_edges;
DROP TABLE lineage_nodes;
ALTER TABLE lineage_nodes_new RENAME TO lineage_nodes;
CREATE INDEX ix_lineage_nodes_kind_name ON lineage_nodes (kind, namespace, name);
CREATE INDEX ix_lineage_links_target ON lineage_links (target, source);

CREATE VIEW lineage_edges (source, target, kind, created_at) AS
SELECT s.id, t.id, l.kind, l.created_at
FROM lineage_links l JOIN lineage_nodes s ON s.key = l.source JOIN lineage_nodes t ON t.key = l.target;

-- An edge to or from a node that is not recorded fails, as the foreign keys of the old table made it fail.
CREATE TRIGGER lineage_edges_insert INSTEAD OF INSERT ON lineage_edges BEGIN
    INSERT INTO lineage_links (source, target, kind, created_at)
    VALUES ((SELECT key FROM lineage_nodes WHERE id = new.source), (SELECT key FROM lineage_nodes WHERE id = new.target), new.kind, new.created_at)
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER lineage_edges_delete INSTEAD OF DELETE ON lineage_edges BEGIN
    DELETE FROM lineage_links
    WHERE source = (SELECT key FROM lineage_nodes WHERE id = old.source) AND target = (SELECT key FROM lineage_nodes WHERE id = old.target) AND kind = old.kind;
END;
