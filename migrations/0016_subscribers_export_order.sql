-- The operators' CSV export (src/db/admin.ts listSubscribersForExport) pages through
-- subscribers in sign-up order, keyset on (created_at, id). Without an index on that order
-- each page read and sorted the whole table (or every subscriber of the status asked for),
-- so a million-subscriber export read the table once per 500 rows. created_at never
-- changes after the insert, so the index costs one entry per sign-up and nothing after.
CREATE INDEX subscribers_created ON subscribers (created_at, id);
