-- Issue 14, item 8 (decision 0002): the rows of the registry and governance tables record the audit entry that last
-- wrote them, so that a log emptied or cut short under populated tables no longer verifies. NULL on rows written before.
ALTER TABLE models ADD COLUMN audit_seq INTEGER;
ALTER TABLE model_versions ADD COLUMN audit_seq INTEGER;
ALTER TABLE aliases ADD COLUMN audit_seq INTEGER;
ALTER TABLE api_tokens ADD COLUMN audit_seq INTEGER;
