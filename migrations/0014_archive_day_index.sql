-- The public archive (src/db/archive.ts) finds a paper's day by its Hugging Face list date,
-- else, for a paper HF never listed, by its arXiv publication date. With only single-column
-- indexes SQLite served "hf_date IS NULL AND published_at in the day" (and the MAX/MIN of
-- published_at for the newest, previous and next days) from papers_hf_date's NULL entries:
-- every arXiv-only paper, most of the table after a year of arXiv ingest, on each archive
-- view. On (hf_date, published_at) both kinds of day are one index range, and the MIN/MAX
-- one index entry. Partial on withdrawn = 0, the archive's own filter, so those walks never
-- step over withdrawn papers.
CREATE INDEX papers_day ON papers (hf_date, published_at) WHERE withdrawn = 0;
