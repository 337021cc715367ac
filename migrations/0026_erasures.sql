-- Erased subscribers whose history is still being deleted. "Delete me" removes the person
-- (their row, address, aliases, mail requests, events naming the address) at once, but
-- the rows keyed only by their random id (deliveries, votes, legacy sent_papers rows) can
-- be far more than one invocation may write, so they go in bounded steps
-- (src/db/erasure.ts). A row here says an id's history is still due for deletion; it holds
-- the id and when, nothing that names the person, and goes with the last of the history.
CREATE TABLE erasures (
  subscriber_id TEXT PRIMARY KEY,
  requested_at  TEXT NOT NULL
);
CREATE INDEX erasures_requested ON erasures (requested_at);
