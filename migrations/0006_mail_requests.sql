-- Every email sent because someone asked for it on our site: sign-up confirmations,
-- "you are already subscribed" notices, and the short-lived export/erase links. The
-- per-address caps count these rows (at most 3 sign-up emails per address per 24 h, at
-- least 10 minutes apart, whatever the IP or letter case), and a confirmation link names
-- its row, which carries the settings asked for: a sign-up never changes an existing
-- subscriber, the settings apply only when the link is confirmed. Rows go after 7 days
-- (the confirmation link's lifetime); the address is kept only as a keyed hash.
CREATE TABLE mail_requests (
  id            TEXT PRIMARY KEY,   -- random; a confirmation link names it (token claim x)
  address_hash  TEXT NOT NULL,      -- HMAC of the address's comparison key (identity.ts)
  kind          TEXT NOT NULL CHECK (kind IN ('confirm', 'already_subscribed', 'export', 'erase')),
  subscriber_id TEXT,               -- whom it was sent to
  settings      TEXT,               -- confirm: JSON of the settings asked for (only those given)
  created_at    TEXT NOT NULL,
  used_at       TEXT                -- confirm: when the link was confirmed
);
CREATE INDEX mail_requests_address ON mail_requests (address_hash, created_at);
CREATE INDEX mail_requests_subscriber ON mail_requests (subscriber_id);
CREATE INDEX mail_requests_created ON mail_requests (created_at);
