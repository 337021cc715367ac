-- When a delivery was claimed under its current send_key ('sending'), i.e. no later than
-- the first request under that key. Resend remembers an Idempotency-Key for 24 hours only:
-- a replay older than that could be sent a second time, so the sender stops replaying a
-- claim before then (src/delivery/send.ts). NULL on rows claimed before this migration;
-- their queued_at, which is earlier still, stands in for it.
ALTER TABLE deliveries ADD COLUMN claimed_at TEXT;
