-- Plan what is due, not what is stored (issue 11).
--   next_send_at  UTC instant (ISO-8601) from which the hourly planner may find the subscriber
--                 due: their next local send hour (weekly: on their weekday), computed with their
--                 IANA zone in the Worker (src/delivery/schedule.ts), so DST lands where the zone
--                 puts it. The planner reads `status = 'active' AND next_send_at <= now`, a range
--                 of the index below (what may be due, not what is stored), and moves the value
--                 on. '' (the default) sorts before every instant, so a row nobody scheduled yet
--                 (a new sign-up, changed preferences, the rows that exist now) is looked at by
--                 the next run, which computes its instant.
ALTER TABLE subscribers ADD COLUMN next_send_at TEXT NOT NULL DEFAULT '';

CREATE INDEX subscribers_next_send ON subscribers (status, next_send_at);
