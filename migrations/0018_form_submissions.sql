-- The public forms (sign-up, /data) accepted per client network in the last 24 hours. The
-- per-IP burst limit (Rate Limiting binding) counts a minute at most, so one IP could still
-- make us send 14,400 confirmation emails a day to as many addresses (catch-all domains,
-- typo traps, strangers), spending the Resend quota the digests need. A row is one accepted
-- submission; the client is stored only as a keyed hash (HMAC with TOKEN_SECRET of its IPv4
-- address or IPv6 /64) and rows are deleted by the daily housekeeping once a day old.
CREATE TABLE form_submissions (
  id INTEGER PRIMARY KEY,
  client_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX form_submissions_client ON form_submissions (client_hash, created_at);
CREATE INDEX form_submissions_created ON form_submissions (created_at);
