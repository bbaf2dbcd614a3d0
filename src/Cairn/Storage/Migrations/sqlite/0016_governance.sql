-- Issue 17: promotion policies, promotion requests with their reviews, and model cards.
-- Requests, reviews and cards keep the model's and version's ids and names without foreign keys: they are evidence
-- for compliance reports and must outlive a deleted model or version (version numbers are never reused).

-- A policy document (JSON, Governance.Policy) for a namespace, inherited by the namespaces below it, or for one model.
CREATE TABLE policies (
    id         INTEGER PRIMARY KEY,
    namespace  TEXT,
    model_id   INTEGER REFERENCES models (id) ON DELETE CASCADE,
    document   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL,
    CHECK ((namespace IS NULL) <> (model_id IS NULL))
);
CREATE UNIQUE INDEX ux_policies_namespace ON policies (namespace) WHERE namespace IS NOT NULL;
CREATE UNIQUE INDEX ux_policies_model ON policies (model_id) WHERE model_id IS NOT NULL;

-- A request to move a protected target (a stage or an alias) to a version. status: PENDING, APPLIED, REJECTED,
-- CANCELLED, EXPIRED. rule: the policy rule (JSON, Governance.ProtectedTarget) last evaluated, with policy_source
-- saying whose policy it was; gates: the last gate evaluation (JSON, GateResult[]), at gates_at.
CREATE TABLE promotion_requests (
    id               TEXT    PRIMARY KEY,
    model_id         INTEGER NOT NULL,
    model            TEXT    NOT NULL,
    namespace        TEXT    NOT NULL,
    version_id       INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    target_kind      TEXT    NOT NULL,
    target           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    comment          TEXT,
    requested_by     TEXT    NOT NULL,
    requested_at     INTEGER NOT NULL,
    expires_at       INTEGER,
    rule             TEXT    NOT NULL,
    policy_source    TEXT    NOT NULL,
    gates            TEXT,
    gates_at         INTEGER,
    decided_at       INTEGER,
    decided_by       TEXT,
    decision         TEXT,
    -- The version that held the target just before the request was applied (null when none did).
    previous_version INTEGER
);
CREATE INDEX ix_promotion_requests_model ON promotion_requests (model_id, requested_at);
CREATE INDEX ix_promotion_requests_namespace ON promotion_requests (namespace, status);
CREATE INDEX ix_promotion_requests_expiry ON promotion_requests (status, expires_at);
-- At most one open request per version and target.
CREATE UNIQUE INDEX ux_promotion_requests_open ON promotion_requests (version_id, target_kind, target) WHERE status = 'PENDING';

-- One reviewer's verdict on a request: APPROVE or REJECT, once per reviewer.
CREATE TABLE promotion_reviews (
    request_id TEXT    NOT NULL,
    reviewer   TEXT    NOT NULL,
    verdict    TEXT    NOT NULL,
    comment    TEXT,
    at         INTEGER NOT NULL,
    PRIMARY KEY (request_id, reviewer)
);

-- A version's model card: the sections people write (JSON), its risk rating and its review status
-- (Draft, PendingReview, Approved). What the registry knows (name, version, metrics, lineage …) is filled in when
-- the card is read, not stored here.
CREATE TABLE model_cards (
    version_id   INTEGER PRIMARY KEY,
    model_id     INTEGER NOT NULL,
    model        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    document     TEXT    NOT NULL,
    risk_rating  TEXT    NOT NULL DEFAULT 'Unknown',
    status       TEXT    NOT NULL DEFAULT 'Draft',
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT    NOT NULL,
    submitted_at INTEGER,
    submitted_by TEXT,
    approved_at  INTEGER,
    approved_by  TEXT
);
CREATE INDEX ix_model_cards_model ON model_cards (model_id, version);
