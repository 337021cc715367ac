-- "Delete me" (src/db/subscribers.ts eraseSubscriberData) removes the webhook events that
-- name the address, compared as lower(recipient) so every letter case goes. Without an
-- index on that expression each erasure read every webhook event ever stored (several per
-- email sent: tens of millions of rows), from a link anyone can ask for by email.
CREATE INDEX webhook_events_recipient ON webhook_events (lower(recipient));
