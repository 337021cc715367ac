-- The arXiv ingest crawls every category an active subscriber follows. It used to read the
-- interests text of every active subscriber and parse them all in the Worker: at a million
-- subscribers that is tens of MB of free text, past the Worker's memory and D1's result
-- size. The categories parsed from the interests are now stored beside them, as a JSON
-- array written by every statement that writes interests (src/db/subscribers.ts,
-- src/db/imports.ts), so the ingest asks D1 for the distinct categories only.
-- NULL = not computed yet: rows stored before this migration, parsed in the Worker as
-- before until their interests are next written (that set only shrinks).
ALTER TABLE subscribers ADD COLUMN categories TEXT;
-- Most subscribers follow no category ('[]'): the partial index leaves them out, so the
-- listing reads only followers and not-yet-computed rows. categories is in the key so the
-- followers' listing never visits the table and the legacy listing seeks only NULL rows.
CREATE INDEX subscribers_categories ON subscribers (status, categories)
  WHERE categories IS NULL OR categories <> '[]';
