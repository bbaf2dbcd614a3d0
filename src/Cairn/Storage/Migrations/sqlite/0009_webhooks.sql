-- Webhooks: HTTP endpoints told of registry events (MLflow 3.x's webhooks). The secret signs deliveries and is never
-- returned by any API. A webhook's events keep the order they were given in (position).
CREATE TABLE webhooks (
    id          TEXT    PRIMARY KEY,
    -- Creation order (several webhooks can share a millisecond): listings are newest first by it.
    ordinal     INTEGER NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT,
    url         TEXT    NOT NULL,
    secret      TEXT,
    status      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE webhook_events (
    webhook_id TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    entity     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, position)
);
CREATE INDEX ix_webhook_events_event ON webhook_events (entity, action);

-- The outbox: every registry event, written by the mutation's own transaction, then handed to the webhooks subscribed
-- to it by one dispatcher (which leases rows until lease_until and marks them delivered_at once handed over).
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    entity       TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    lease_until  INTEGER,
    delivered_at INTEGER
);
CREATE INDEX ix_outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
