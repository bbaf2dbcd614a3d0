-- ASP.NET Core Data Protection's key ring (Storage/DatabaseKeyRepository.cs): one row per key, its XML as Data
-- Protection writes it. Kept in the metadata database so that every replica, and the same server after a restart,
-- unprotects what another protected: web UI session and anti-forgery cookies, webhook secrets. Rows are only ever
-- added (a key's revocation is a new element); created_at is Unix milliseconds, for people reading the table.
CREATE TABLE data_protection_keys (
    name       TEXT    PRIMARY KEY,
    xml        TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
