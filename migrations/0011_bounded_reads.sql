-- Reads that stay proportional to what is due, not to what is stored (issue 11).
--   sent_papers_recent   the sender only needs what a subscriber received since the edition's
--                        window opened (a candidate paper cannot have been sent before it was
--                        ingested), not their whole history.
--   deliveries_sent      likewise their last digests sent since then.
--   deliveries_pending_age  expiry finds old unfinished rows without visiting every pending one.
CREATE INDEX sent_papers_recent ON sent_papers (subscriber_id, sent_at);
CREATE INDEX deliveries_sent ON deliveries (subscriber_id, sent_at) WHERE status = 'sent';
CREATE INDEX deliveries_pending_age ON deliveries (status, queued_at) WHERE status IN ('queued', 'sending');
