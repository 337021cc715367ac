-- The landing page's sample (src/db/papers.ts listLatestPapers) orders every paper by its
-- day, then upvotes: without an index on that order it read the whole table on each view,
-- a million rows after a year of arXiv ingest. Partial on withdrawn = 0, the listing's own
-- filter, so the index walk stops after the few papers it shows.
CREATE INDEX papers_latest ON papers (
  COALESCE(hf_date, substr(published_at, 1, 10), substr(ingested_at, 1, 10)) DESC,
  upvotes DESC,
  id DESC
) WHERE withdrawn = 0;
