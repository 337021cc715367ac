-- A sign-up that came while its mailbox was at the sign-up mail cap (an email less than
-- 10 minutes ago, or 3 today): no email is sent, but its settings are kept here so the
-- person fixing a typo and submitting again does not silently get the older settings.
-- They never apply by themselves (anyone can type anyone's address): the confirm page of
-- a link the mailbox owner received shows them beside the email's, and only the owner's
-- choice there applies them. One row per mailbox (the newest sign-up replaces it); a new
-- confirmation email, confirming, erasure, 7 days (the link's lifetime) or the deletion of
-- its unconfirmed subscriber remove it.
CREATE TABLE held_signups (
  address_hash  TEXT PRIMARY KEY,   -- HMAC of the mailbox key, as mail_requests.address_hash
  id            TEXT NOT NULL,      -- random; the confirm page's "use the newer settings" names it
  subscriber_id TEXT NOT NULL,      -- the (pending or unsubscribed) subscriber of that exact address
  settings      TEXT NOT NULL,      -- JSON, as mail_requests.settings: only the settings given
  created_at    TEXT NOT NULL
);
CREATE INDEX held_signups_subscriber ON held_signups (subscriber_id);
CREATE INDEX held_signups_created ON held_signups (created_at);
