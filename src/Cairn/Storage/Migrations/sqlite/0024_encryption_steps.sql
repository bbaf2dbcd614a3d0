-- Issue 19 (decision 0030): secrets in the database are encrypted with the Data Protection key ring. SQL cannot encrypt,
-- so what was stored in clear before is sealed by the server at start-up (Encryption/StoredSecrets.cs), once: the step
-- is recorded here in the same transaction, and later starts skip it. Sealed values carry the prefix 'cairn-enc:v1:',
-- so a clear value written meanwhile (by an older replica) is still read as it is, and sealed at its next write.
CREATE TABLE encryption_steps (
    name    TEXT    PRIMARY KEY,
    done_at INTEGER NOT NULL,
    changed INTEGER NOT NULL
);
