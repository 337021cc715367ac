-- Delivery bookkeeping for exactly-once sending and webhook ordering.
--   send_key     the Resend Idempotency-Key a delivery was claimed under ('sending'); a retry
--                replays exactly that group with that key, so Resend answers with the first result.
--   ranking      JSON snapshot of what was ranked for the subscriber ([{id, score, why}]), so a
--                replay re-renders the same email instead of re-ranking.
--   enqueued_at  when a queue message last carried this delivery; NULL = parked (e.g. quota pause).
--                The planner re-enqueues parked and stale rows, so nothing waits forever.
--   last_event_at created_at of the newest webhook event applied (events may arrive out of order).
ALTER TABLE deliveries ADD COLUMN send_key TEXT;
ALTER TABLE deliveries ADD COLUMN ranking TEXT;
ALTER TABLE deliveries ADD COLUMN enqueued_at TEXT;
ALTER TABLE deliveries ADD COLUMN last_event_at TEXT;

CREATE INDEX deliveries_send_key ON deliveries (send_key) WHERE send_key IS NOT NULL;
CREATE INDEX deliveries_pending ON deliveries (status, enqueued_at) WHERE status IN ('queued', 'sending');
CREATE INDEX editions_period ON editions (frequency, period_key);
