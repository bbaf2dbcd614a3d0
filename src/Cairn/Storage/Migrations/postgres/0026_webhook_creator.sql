-- Issue 19: a webhook delivers only what its creator may read, re-evaluated at delivery. The creator used to be looked up
-- as an API token by name, so a webhook made by a user signed in through OIDC delivered nothing. The kind of principal
-- ('token', 'user', or 'local' for the admin of a store without authentication) and, for a user, its groups (a JSON
-- array, as the provider's token named them at creation) are kept with the webhook. NULL: created before this
-- migration, read as a token as before.
ALTER TABLE webhooks ADD COLUMN creator_kind TEXT;
ALTER TABLE webhooks ADD COLUMN creator_groups TEXT;
