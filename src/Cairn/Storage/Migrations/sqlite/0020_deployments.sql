-- Issue 18: where each version serves. Environments, deployments with their traffic allocation per revision, and
-- their status history. A deployment keeps its model's and versions' ids and names without foreign keys, and a deleted
-- deployment keeps its rows (deleted_at/deleted_by): which version served which share where, and since when, is
-- evidence that outlives the deployment (decision 0023).

-- Where deployments run (dev, staging, prod). A protected environment serves only versions that were promoted, through
-- an applied promotion request, to its target: a stage (Production) or an alias (@prod), as Governance writes targets.
CREATE TABLE environments (
    name        TEXT    PRIMARY KEY,
    protected   INTEGER NOT NULL,
    target      TEXT,
    description TEXT,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL
);

-- One deployment of one model in one environment. revision is the current revision (deployment_revisions); status the
-- latest entry of deployment_status. environment_variables is a JSON object, stored as given (secrets unmasked, as
-- data-source connections are) and masked on the way out.
CREATE TABLE deployments (
    id                    TEXT    PRIMARY KEY,
    environment           TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    model_id              INTEGER NOT NULL,
    model                 TEXT    NOT NULL,
    namespace             TEXT    NOT NULL,
    endpoint              TEXT,
    environment_variables TEXT    NOT NULL,
    method                TEXT,
    strategy              TEXT,
    description           TEXT,
    status                TEXT    NOT NULL,
    status_message        TEXT,
    revision              INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    created_by            TEXT    NOT NULL,
    updated_at            INTEGER NOT NULL,
    updated_by            TEXT    NOT NULL,
    deleted_at            INTEGER,
    deleted_by            TEXT
);
-- A name is unique among the live deployments of an environment; a deleted one frees its name.
CREATE UNIQUE INDEX ux_deployments_name ON deployments (environment, name) WHERE deleted_at IS NULL;
CREATE INDEX ix_deployments_model ON deployments (model_id);

-- Every allocation a deployment had. restored_from names the revision a rollback copied.
CREATE TABLE deployment_revisions (
    deployment_id TEXT    NOT NULL,
    revision      INTEGER NOT NULL,
    restored_from INTEGER,
    comment       TEXT,
    created_at    INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    PRIMARY KEY (deployment_id, revision)
);

-- The versions of one revision with their shares in hundredths of a percent (10000 = 100 %). Non-shadow shares of a
-- revision sum to 10000; a shadow receives a copy of that share of the traffic and answers no user.
CREATE TABLE deployment_allocations (
    deployment_id TEXT    NOT NULL,
    revision      INTEGER NOT NULL,
    version_id    INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    share         INTEGER NOT NULL,
    shadow        INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, revision, version)
);
CREATE INDEX ix_deployment_allocations_version ON deployment_allocations (version_id);

-- Status history: each report of a deployment tool (or change Cairn made: a new revision, a rollback).
CREATE TABLE deployment_status (
    id            INTEGER PRIMARY KEY,
    deployment_id TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    message       TEXT,
    revision      INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    actor         TEXT    NOT NULL
);
CREATE INDEX ix_deployment_status_deployment ON deployment_status (deployment_id, id);
