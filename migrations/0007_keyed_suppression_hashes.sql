-- Suppression rows used to hold an unsalted SHA-256 of the address, which anyone holding a
-- copy of the database could confirm by hashing guessed addresses. New rows hold
-- HMAC-SHA256(EMAIL_HASH_SECRET, that SHA-256) instead (keyed = 1). A SQL migration cannot
-- compute the HMAC (the secret is not in D1), so existing rows are marked keyed = 0 and the
-- nightly housekeeping cron re-keys them in place; until then lookups check both forms.
ALTER TABLE suppressions ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX suppressions_legacy ON suppressions (created_at) WHERE keyed = 0;
