-- How many times a delivery was sent again after Resend reported a temporary failure of an
-- email it had accepted (email.failed for its daily quota, say): the webhook puts such a
-- digest back to `queued` for the planner to send under a new Idempotency-Key, at most
-- TEMPORARY_FAILURE_RESENDS times (src/delivery/webhook-events.ts), so a failure that keeps
-- coming back ends as `failed` with the reason instead of looping.
ALTER TABLE deliveries ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
