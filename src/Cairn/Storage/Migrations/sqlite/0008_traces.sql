-- Traces (GenAI tracing, as MLflow 3 records them): one row per trace with its timing, state and previews, its
-- immutable metadata and mutable tags, the spans that OTLP exporters send, and links to the runs a trace belongs to.
-- A trace belongs to an experiment; trace ids are the client's ("tr-" and the OpenTelemetry trace id in hex).

CREATE TABLE traces (
    trace_id           TEXT    PRIMARY KEY,
    experiment_id      INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    request_time       INTEGER NOT NULL,  -- epoch milliseconds
    execution_duration INTEGER,           -- milliseconds; null while unknown
    state              TEXT    NOT NULL CHECK (state IN ('STATE_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS')),
    client_request_id  TEXT,
    request_preview    TEXT,
    response_preview   TEXT
);
-- Searches read one experiment's traces newest first, trace id breaking ties (MLflow's default order).
CREATE INDEX ix_traces_experiment_time ON traces (experiment_id, request_time DESC, trace_id);

CREATE TABLE trace_tags (
    trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (trace_id, key)
);
CREATE INDEX ix_trace_tags_key_value ON trace_tags (key, value);

CREATE TABLE trace_metadata (
    trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (trace_id, key)
);
CREATE INDEX ix_trace_metadata_key_value ON trace_metadata (key, value);

-- A span as its exporter sent it: the columns searches filter on, and the whole span as JSON (content).
CREATE TABLE trace_spans (
    trace_id             TEXT    NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    span_id              TEXT    NOT NULL,  -- 16 hex digits
    parent_span_id       TEXT,
    name                 TEXT    NOT NULL,
    span_type            TEXT,
    status               TEXT    NOT NULL,
    start_time_unix_nano INTEGER NOT NULL,
    end_time_unix_nano   INTEGER,
    content              TEXT    NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX ix_trace_spans_name ON trace_spans (name, trace_id);

-- Traces linked to a run after the fact (MLflow's link_traces_to_run); a run id need not name a run of this store.
CREATE TABLE trace_run_links (
    trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    run_id   TEXT NOT NULL,
    PRIMARY KEY (trace_id, run_id)
);
CREATE INDEX ix_trace_run_links_run ON trace_run_links (run_id, trace_id);
