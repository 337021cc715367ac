-- The sender leaves out an edition's candidates that arXiv reported withdrawn after the
-- edition was frozen (src/delivery/send.ts). Its candidates are the papers first ingested
-- inside its window, so those withdrawn since are the withdrawn papers ingested in that
-- window: one range of this index, a handful of entries, read once per queue batch. Partial
-- on withdrawn = 1 so it holds only the few withdrawn papers, and the read never walks the
-- window's thousands of candidates (papers_ingested_at would).
CREATE INDEX papers_withdrawn_ingested ON papers (ingested_at, id) WHERE withdrawn = 1;
