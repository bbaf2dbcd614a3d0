-- Issue 19: roles move from tokens to role bindings (docs/auth.md, decision 0027). A binding gives a principal a role on
-- a namespace, inherited by every namespace below it. A principal is an API token (by its unique name), a user of the
-- OpenID provider (the configured user claim's value) or a group (a value of the configured groups claim).
-- A caller's effective role on a namespace is the highest role among the bindings of its token, or of its user and
-- groups, on that namespace or an ancestor.
CREATE TABLE role_bindings (
    id             INTEGER PRIMARY KEY,
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('token', 'user', 'group')),
    principal      TEXT    NOT NULL,
    namespace      TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('reader', 'writer', 'approver', 'admin')),
    created_at     INTEGER  NOT NULL,
    created_by     TEXT    NOT NULL,
    UNIQUE (principal_kind, principal, namespace)
);

-- Authentication reads a caller's bindings by principal, one query per request.
CREATE INDEX role_bindings_principal ON role_bindings (principal, principal_kind);

-- Existing tokens keep their roles: one binding per grant, dated and attributed as the token was.
INSERT INTO role_bindings (principal_kind, principal, namespace, role, created_at, created_by)
SELECT 'token', t.name, g.namespace, g.role, t.created_at, t.created_by
FROM role_grants g JOIN api_tokens t ON t.id = g.token_id;

DROP TABLE role_grants;
