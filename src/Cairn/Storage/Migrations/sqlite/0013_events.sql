-- Events: one per audit entry, written by the same statement batch in the mutation's transaction (AuditChain), so an
-- event exists exactly when its change committed. seq is the audit entry's seq: every writer holds the store's write
-- lock from its first statement to its commit, so seq order is commit order and seq is a durable cursor for the feed
-- (/api/v1/events) and for each webhook's deliveries. read_role is the least role on namespace that may see the event.
CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    resource  TEXT    NOT NULL,
    namespace TEXT    NOT NULL,
    read_role TEXT    NOT NULL,
    payload   TEXT
);
CREATE INDEX ix_events_type ON events (type, seq);
CREATE INDEX ix_events_namespace ON events (namespace, seq);
