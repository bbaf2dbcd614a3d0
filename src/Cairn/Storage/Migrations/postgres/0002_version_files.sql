-- PostgreSQL form of sqlite/0002_version_files.sql: the same tables, columns and keys; BIGINT for integers and epoch milliseconds,
-- identity columns for surrogate keys, DOUBLE PRECISION for metric values.
-- Files of model versions: where they are, how big, their SHA-256 (computed as the bytes streamed in).
CREATE TABLE version_files (
    version_id  BIGINT NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    storage_key TEXT    NOT NULL UNIQUE,
    size        BIGINT NOT NULL,
    sha256      TEXT    NOT NULL,
    format      TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT    NOT NULL,
    PRIMARY KEY (version_id, path)
);

-- What the version's files say about the model (format introspection).
ALTER TABLE model_versions ADD COLUMN format TEXT;
ALTER TABLE model_versions ADD COLUMN signature TEXT;
ALTER TABLE model_versions ADD COLUMN format_properties TEXT;
ALTER TABLE model_versions ADD COLUMN introspection_error TEXT;
