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
