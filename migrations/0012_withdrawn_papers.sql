-- Withdrawn papers are never mailed.
--   withdrawn  1 when the newest arXiv version we stored is a withdrawal (its comment, or an
--              abstract replaced by the notice, says so: src/ingest/normalise.ts). Kept so a
--              withdrawal that arrives after the paper was first stored still takes it out of
--              the next editions (src/db/editions.ts); the row stays, because digests already
--              sent and votes refer to it. Rows stored before this migration read 0 until arXiv
--              reports them again.
ALTER TABLE papers ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
