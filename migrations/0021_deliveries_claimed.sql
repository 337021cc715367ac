-- A subscriber's digest claimed but not settled yet (`sending`: its request may already have
-- reached Resend, and a retry replays it as claimed) counts as received for their other
-- digests, or a second edition in flight (a switch from daily to weekly, a new time zone)
-- ranks the same papers and both go out. The sender reads those claims per subscriber
-- (src/db/sending.ts getRecentlySentPaperIds): one range of this index, which holds only
-- the rows in flight, so it stays tiny whatever the history.
CREATE INDEX deliveries_claimed ON deliveries (subscriber_id) WHERE status = 'sending';
