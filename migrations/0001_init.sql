-- The whole domain in one place: papers from ingest, subscribers and their consent,
-- editions/deliveries (one row per subscriber per edition), what each subscriber has
-- already received, ingest runs, webhook events and the development outbox.
-- Timestamps are ISO-8601 UTC strings (sortable, readable in `wrangler d1 execute`).

CREATE TABLE papers (
  id               TEXT PRIMARY KEY,          -- canonical arXiv id without version, e.g. 2411.01234
  version          INTEGER,                   -- latest arXiv version seen (2 for ...v2)
  title            TEXT NOT NULL,
  abstract         TEXT NOT NULL DEFAULT '',
  authors          TEXT NOT NULL DEFAULT '[]', -- JSON array of names, hidden authors dropped
  categories       TEXT NOT NULL DEFAULT '[]', -- JSON array, primary first
  primary_category TEXT,
  abs_url          TEXT,
  pdf_url          TEXT,
  hf_url           TEXT,
  code_url         TEXT,
  project_url      TEXT,
  github_stars     INTEGER,
  thumbnail_url    TEXT,
  upvotes          INTEGER NOT NULL DEFAULT 0,
  num_comments     INTEGER NOT NULL DEFAULT 0,
  ai_summary       TEXT,
  ai_keywords      TEXT NOT NULL DEFAULT '[]', -- JSON array
  comment          TEXT,
  doi              TEXT,
  journal_ref      TEXT,
  published_at     TEXT,                      -- first arXiv publication
  updated_at       TEXT,                      -- arXiv "updated" of the stored version
  hf_date          TEXT,                      -- YYYY-MM-DD of the HF daily list it appeared on
  sources          TEXT NOT NULL DEFAULT '[]', -- JSON array: "hf", "arxiv"
  ingested_at      TEXT NOT NULL,             -- first time we stored it: "new" means ingested since
  refreshed_at     TEXT NOT NULL
);
CREATE INDEX papers_ingested_at ON papers (ingested_at);
CREATE INDEX papers_hf_date ON papers (hf_date);
CREATE INDEX papers_published_at ON papers (published_at);

CREATE TABLE subscribers (
  id               TEXT PRIMARY KEY,          -- random UUID; tokens sign this, never the email
  email            TEXT NOT NULL UNIQUE,      -- normalised: trimmed, domain lower-cased
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'active', 'unsubscribed', 'suppressed')),
  interests        TEXT NOT NULL DEFAULT '',  -- free text as typed: topics; arXiv categories; authors
  frequency        TEXT NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'weekly')),
  send_hour        INTEGER NOT NULL DEFAULT 8 CHECK (send_hour BETWEEN 0 AND 23),
  send_weekday     INTEGER NOT NULL DEFAULT 1 CHECK (send_weekday BETWEEN 0 AND 6), -- weekly: 0 = Sunday
  time_zone        TEXT NOT NULL DEFAULT 'UTC',
  digest_size      INTEGER NOT NULL DEFAULT 10 CHECK (digest_size BETWEEN 1 AND 50),
  trending_mix     REAL NOT NULL DEFAULT 0.3 CHECK (trending_mix BETWEEN 0 AND 1),
  always_send      INTEGER NOT NULL DEFAULT 0,
  term_weights     TEXT NOT NULL DEFAULT '{}', -- learned from 👍/👎 (bounded)
  token_version    INTEGER NOT NULL DEFAULT 1, -- bump to invalidate every link sent so far
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  confirmed_at     TEXT,
  unsubscribed_at  TEXT,
  suppressed_at    TEXT,
  suppressed_reason TEXT,
  consent_at       TEXT,
  consent_method   TEXT,                       -- form | api | import
  consent_ip_hash  TEXT
);
CREATE INDEX subscribers_status ON subscribers (status);

-- Addresses that must never be (re)imported or mailed: erased ("delete me") or suppressed.
CREATE TABLE suppressions (
  email_hash TEXT PRIMARY KEY,                -- SHA-256 of the normalised email
  reason     TEXT NOT NULL,                   -- erased | bounced | complained | suppressed
  created_at TEXT NOT NULL
);

-- One edition = one planner run's candidate set for one frequency and period.
CREATE TABLE editions (
  id            TEXT PRIMARY KEY,
  frequency     TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
  period_key    TEXT NOT NULL,                -- YYYY-MM-DD (daily) or YYYY-Www (weekly), UTC planner time
  planned_at    TEXT NOT NULL,
  window_start  TEXT NOT NULL,
  window_end    TEXT NOT NULL,
  paper_ids     TEXT NOT NULL DEFAULT '[]'    -- JSON array of candidate ids
);

CREATE TABLE deliveries (
  id            TEXT PRIMARY KEY,
  edition_id    TEXT NOT NULL REFERENCES editions (id),
  subscriber_id TEXT NOT NULL,
  period_key    TEXT NOT NULL,                -- subscriber-local day or ISO week: one digest per period
  status        TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
  subject       TEXT,
  paper_ids     TEXT NOT NULL DEFAULT '[]',
  resend_id     TEXT,
  error         TEXT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_event    TEXT,                         -- latest webhook event type
  queued_at     TEXT NOT NULL,
  sent_at       TEXT,
  updated_at    TEXT NOT NULL,
  UNIQUE (subscriber_id, edition_id),
  UNIQUE (subscriber_id, period_key)
);
CREATE INDEX deliveries_edition ON deliveries (edition_id, status);
CREATE INDEX deliveries_resend_id ON deliveries (resend_id);

-- What each subscriber has received, so no paper is sent twice.
CREATE TABLE sent_papers (
  subscriber_id TEXT NOT NULL,
  paper_id      TEXT NOT NULL,
  delivery_id   TEXT NOT NULL,
  sent_at       TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, paper_id)
);

CREATE TABLE feedback (
  subscriber_id TEXT NOT NULL,
  paper_id      TEXT NOT NULL,
  vote          INTEGER NOT NULL CHECK (vote IN (-1, 1)),
  created_at    TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, paper_id)
);

CREATE TABLE ingest_runs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  source       TEXT NOT NULL,                 -- hf | arxiv
  window       TEXT NOT NULL,                 -- e.g. 2026-11-26 or cat:cs.CL OR ...
  status       TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  fetched      INTEGER NOT NULL DEFAULT 0,
  inserted     INTEGER NOT NULL DEFAULT 0,
  updated      INTEGER NOT NULL DEFAULT 0,
  skipped      INTEGER NOT NULL DEFAULT 0,
  errors       TEXT NOT NULL DEFAULT '[]',
  started_at   TEXT NOT NULL,
  duration_ms  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ingest_runs_source ON ingest_runs (source, started_at);

CREATE TABLE webhook_events (
  svix_id      TEXT PRIMARY KEY,              -- dedupe: each event is stored once
  type         TEXT NOT NULL,
  email_id     TEXT,                          -- Resend message id
  recipient    TEXT,
  payload      TEXT NOT NULL,
  received_at  TEXT NOT NULL
);

-- Operational flags, e.g. the Resend quota pause: key -> JSON value.
CREATE TABLE app_state (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Development mail sink: every email goes here when no RESEND_API_KEY is set.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  to_addr         TEXT NOT NULL,
  from_addr       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  html            TEXT NOT NULL,
  text            TEXT NOT NULL,
  headers         TEXT NOT NULL DEFAULT '{}',
  tags            TEXT NOT NULL DEFAULT '[]',
  idempotency_key TEXT,
  created_at      TEXT NOT NULL
);
