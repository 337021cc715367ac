-- The retention pass deletes a paper only when no edition still kept has it inside its
-- candidate window (src/db/retention.ts): MIN(window_start) over the editions, one seek of
-- this index instead of a scan of every edition kept, once per step.
CREATE INDEX editions_window_start ON editions (window_start);
