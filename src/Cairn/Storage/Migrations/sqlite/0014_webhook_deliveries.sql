-- Issue 16 (decision 0018): webhooks are fed from the events table (0013) instead of the outbox, each with its own
-- cursor and its own delivery log. A webhook subscribes to event type patterns (entity.action, '*' for any run of
-- characters) in a namespace (and below it), optionally for one model, in MLflow's or CloudEvents' format.
ALTER TABLE webhooks ADD COLUMN namespace TEXT NOT NULL DEFAULT '/';
ALTER TABLE webhooks ADD COLUMN model TEXT;
ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'mlflow';
-- The secret is stored as ISecretProtector protected it; a secret written before this migration is plaintext
-- (secret_plain = 1) until the dispatcher protects it at startup.
ALTER TABLE webhooks ADD COLUMN secret_plain INTEGER NOT NULL DEFAULT 0;
-- After a rotation the previous secret keeps signing (webhook-signature) until previous_secret_until.
ALTER TABLE webhooks ADD COLUMN previous_secret TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_until INTEGER;
-- The last event seq this webhook has considered: later events are fanned out to it as deliveries.
ALTER TABLE webhooks ADD COLUMN cursor_seq INTEGER NOT NULL DEFAULT 0;
-- Which dispatcher (replica) works this webhook's deliveries, until when.
ALTER TABLE webhooks ADD COLUMN lease_owner TEXT;
ALTER TABLE webhooks ADD COLUMN lease_until INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
UPDATE webhooks SET secret_plain = 1 WHERE secret IS NOT NULL;
-- Existing webhooks start at the head: what happened before they were fed from the events table is not sent again.
UPDATE webhooks SET cursor_seq = (SELECT COALESCE(MAX(seq), 0) FROM events);

CREATE TABLE webhook_patterns (
    webhook_id TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    pattern    TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, position)
);
INSERT INTO webhook_patterns (webhook_id, position, pattern) SELECT webhook_id, position, entity || '.' || action FROM webhook_events;
DROP TABLE webhook_events;

-- One event to hand to one webhook. id is the delivery id the receiver sees (X-MLflow-Delivery-Id, webhook-id), the same
-- on every attempt. Deliveries of a webhook go out in (created_at, event_seq) order, the head one at a time.
CREATE TABLE webhook_deliveries (
    id              TEXT    PRIMARY KEY,
    webhook_id      TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    -- Past this, a failing delivery is given up and its webhook disabled.
    expires_at      INTEGER NOT NULL,
    completed_at    INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    redelivery_of   TEXT
);
CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (webhook_id, created_at, event_seq) WHERE state = 'PENDING';
CREATE INDEX ix_webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at, event_seq);

-- Every attempt of a delivery: when, what the receiver answered (the first KiB), how long it took, or why nothing came.
CREATE TABLE webhook_attempts (
    delivery_id      TEXT    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    at               INTEGER NOT NULL,
    status           INTEGER,
    latency_ms       INTEGER NOT NULL,
    response_excerpt TEXT,
    error            TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

DROP TABLE outbox;
