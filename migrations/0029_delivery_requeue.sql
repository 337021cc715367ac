-- Which requeue of the hourly planner last put an unfinished delivery back on the queue
-- (NULL: the message that planned it still carries it). The requeue's messages name it, and
-- a message that exhausts its retries gives up only on the rows it still carries
-- (src/db/settling.ts failUnfinished): an older message of the same rows, dead-lettered
-- later, must not fail a digest the newer one is sending.
ALTER TABLE deliveries ADD COLUMN requeue_id TEXT;
