-- The counts of the operator's views (/admin and /admin/stats: subscribers by status,
-- deliveries by status overall and per edition, papers, votes, suppressions by reason,
-- webhook events by type and day, bounces by kind) kept up to date by triggers, so a view
-- reads a few rows per edition and per event type and day instead of every row it counts
-- (~125 M rows a view at a million daily readers: docs/architecture.md, Limits). Triggers
-- keep every writer exact without touching its code: the planner's inserts, the sender's
-- settles, webhooks, sign-ups, erasures, imports and the retention deletes. Each write
-- costs one counter row more (two for a subscriber's status change); a claim
-- (queued -> sending) costs nothing, because both count as "queued or sending".
-- No statement of the project uses REPLACE, whose deletes would fire no trigger; a future
-- migration that rebuilds one of these tables must create its triggers again.

-- key: 'papers', 'subscribers:<status>', 'feedback:<vote>', 'suppressions:<reason>',
-- 'bounces:permanent' | 'bounces:transient', 'events:<type>:<YYYY-MM-DD of received_at>';
-- only counts above 0 are kept.
CREATE TABLE counts (
  key TEXT PRIMARY KEY,
  n   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- One row per edition, created and deleted with it: its deliveries by status ('queued'
-- holds 'sending' too). The dashboard's totals are the sum over the editions kept.
CREATE TABLE edition_deliveries (
  edition_id TEXT PRIMARY KEY,
  queued     INTEGER NOT NULL DEFAULT 0,
  sent       INTEGER NOT NULL DEFAULT 0,
  failed     INTEGER NOT NULL DEFAULT 0,
  skipped    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The dashboard's newest editions: a walk of 10 entries, not a sort of every edition
-- kept with its candidate list (up to tens of KB a row).
CREATE INDEX editions_planned ON editions (planned_at, id);

-- Writing (gone, came) here moves one unit from the counter `gone` to the counter `came`
-- (NULL: none): every trigger below says what its row changes in one line, and this is the
-- one place that writes `counts`. A counter that reaches 0 goes (an event day's row, say),
-- so the rows kept follow what is counted; a missing key reads as 0.
CREATE VIEW count_moves (gone, came) AS SELECT NULL, NULL WHERE 0;
CREATE TRIGGER count_moves_apply INSTEAD OF INSERT ON count_moves WHEN NEW.gone IS NOT NEW.came BEGIN
  UPDATE counts SET n = n - 1 WHERE key = NEW.gone;
  INSERT INTO counts (key, n) SELECT NEW.came, 1 WHERE NEW.came IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER counts_emptied AFTER UPDATE OF n ON counts WHEN NEW.n <= 0 BEGIN
  DELETE FROM counts WHERE key = NEW.key;
END;

-- A webhook event counts for its type and UTC day (so "the last 7 days" is a sum of whole
-- days) and, for a bounce, its kind as the suppression reads it: the type in any letter
-- case, a payload that is not JSON left out (CASE evaluates json_extract on JSON only).
CREATE VIEW counted_events (type, received_at, payload, delta) AS SELECT NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER counted_events_apply INSTEAD OF INSERT ON counted_events BEGIN
  INSERT INTO count_moves (gone, came)
  SELECT CASE WHEN NEW.delta < 0 THEN k.key END, CASE WHEN NEW.delta > 0 THEN k.key END
  FROM (SELECT 'events:' || NEW.type || ':' || substr(NEW.received_at, 1, 10) AS key
        UNION ALL SELECT CASE
          WHEN NEW.type IS NOT 'email.bounced' OR NOT json_valid(NEW.payload) THEN NULL
          WHEN lower(COALESCE(json_extract(NEW.payload, '$.data.bounce.type'), '')) = 'permanent'
            THEN 'bounces:permanent'
          ELSE 'bounces:transient' END) AS k
  WHERE k.key IS NOT NULL;
END;

-- The same for an edition's deliveries: (edition, gone status, came status), '' for none.
-- "queued" and "sending" are one count, so the sender's claim writes nothing.
CREATE VIEW edition_moves (edition_id, gone, came) AS SELECT NULL, NULL, NULL WHERE 0;
CREATE TRIGGER edition_moves_apply INSTEAD OF INSERT ON edition_moves
WHEN NEW.gone IS NOT NEW.came AND NOT (NEW.gone IN ('queued', 'sending') AND NEW.came IN ('queued', 'sending')) BEGIN
  UPDATE edition_deliveries SET
    queued = queued + (NEW.came IN ('queued', 'sending')) - (NEW.gone IN ('queued', 'sending')),
    sent = sent + (NEW.came = 'sent') - (NEW.gone = 'sent'),
    failed = failed + (NEW.came = 'failed') - (NEW.gone = 'failed'),
    skipped = skipped + (NEW.came = 'skipped') - (NEW.gone = 'skipped')
  WHERE edition_id = NEW.edition_id;
END;

-- Backfill, in the same transaction as the triggers below, so no write falls in between.
INSERT INTO counts (key, n)
  SELECT 'papers', COUNT(*) FROM papers
  UNION ALL SELECT 'subscribers:' || status, COUNT(*) FROM subscribers GROUP BY status
  UNION ALL SELECT 'feedback:' || vote, COUNT(*) FROM feedback GROUP BY vote
  UNION ALL SELECT 'suppressions:' || reason, COUNT(*) FROM suppressions GROUP BY reason
  UNION ALL SELECT 'events:' || type || ':' || substr(received_at, 1, 10), COUNT(*) FROM webhook_events
    WHERE type IS NOT 'email.bounced' GROUP BY 1;
DELETE FROM counts WHERE n = 0;
-- Bounces are few: each goes through the rule above, which counts its day and its kind.
INSERT INTO counted_events SELECT type, received_at, payload, 1 FROM webhook_events WHERE type = 'email.bounced';
INSERT INTO edition_deliveries (edition_id, queued, sent, failed, skipped)
  SELECT e.id, COALESCE(SUM(d.status IN ('queued', 'sending')), 0), COALESCE(SUM(d.status = 'sent'), 0),
         COALESCE(SUM(d.status = 'failed'), 0), COALESCE(SUM(d.status = 'skipped'), 0)
  FROM editions e LEFT JOIN deliveries d ON d.edition_id = e.id GROUP BY e.id;

-- One line a write: what it adds, takes away or moves.
CREATE TRIGGER papers_counted_insert AFTER INSERT ON papers BEGIN INSERT INTO count_moves VALUES (NULL, 'papers'); END;
CREATE TRIGGER papers_counted_delete AFTER DELETE ON papers BEGIN INSERT INTO count_moves VALUES ('papers', NULL); END;

CREATE TRIGGER subscribers_counted_insert AFTER INSERT ON subscribers BEGIN INSERT INTO count_moves VALUES (NULL, 'subscribers:' || NEW.status); END;
CREATE TRIGGER subscribers_counted_delete AFTER DELETE ON subscribers BEGIN INSERT INTO count_moves VALUES ('subscribers:' || OLD.status, NULL); END;
CREATE TRIGGER subscribers_counted_update AFTER UPDATE OF status ON subscribers BEGIN INSERT INTO count_moves VALUES ('subscribers:' || OLD.status, 'subscribers:' || NEW.status); END;

CREATE TRIGGER webhook_events_counted_insert AFTER INSERT ON webhook_events BEGIN INSERT INTO counted_events VALUES (NEW.type, NEW.received_at, NEW.payload, 1); END;
CREATE TRIGGER webhook_events_counted_delete AFTER DELETE ON webhook_events BEGIN INSERT INTO counted_events VALUES (OLD.type, OLD.received_at, OLD.payload, -1); END;
CREATE TRIGGER webhook_events_counted_update AFTER UPDATE OF type, received_at, payload ON webhook_events BEGIN
  INSERT INTO counted_events VALUES (OLD.type, OLD.received_at, OLD.payload, -1), (NEW.type, NEW.received_at, NEW.payload, 1);
END;

CREATE TRIGGER feedback_counted_insert AFTER INSERT ON feedback BEGIN INSERT INTO count_moves VALUES (NULL, 'feedback:' || NEW.vote); END;
CREATE TRIGGER feedback_counted_delete AFTER DELETE ON feedback BEGIN INSERT INTO count_moves VALUES ('feedback:' || OLD.vote, NULL); END;
CREATE TRIGGER feedback_counted_update AFTER UPDATE OF vote ON feedback BEGIN INSERT INTO count_moves VALUES ('feedback:' || OLD.vote, 'feedback:' || NEW.vote); END;

-- An edition exists before its deliveries (foreign key), and goes after them.
CREATE TRIGGER editions_counted_insert AFTER INSERT ON editions BEGIN INSERT INTO edition_deliveries (edition_id) VALUES (NEW.id); END;
CREATE TRIGGER editions_counted_delete AFTER DELETE ON editions BEGIN DELETE FROM edition_deliveries WHERE edition_id = OLD.id; END;

CREATE TRIGGER suppressions_counted_insert AFTER INSERT ON suppressions BEGIN INSERT INTO count_moves VALUES (NULL, 'suppressions:' || NEW.reason); END;
CREATE TRIGGER suppressions_counted_delete AFTER DELETE ON suppressions BEGIN INSERT INTO count_moves VALUES ('suppressions:' || OLD.reason, NULL); END;
CREATE TRIGGER suppressions_counted_update AFTER UPDATE OF reason ON suppressions BEGIN INSERT INTO count_moves VALUES ('suppressions:' || OLD.reason, 'suppressions:' || NEW.reason); END;

CREATE TRIGGER deliveries_counted_insert AFTER INSERT ON deliveries BEGIN INSERT INTO edition_moves VALUES (NEW.edition_id, '', NEW.status); END;
CREATE TRIGGER deliveries_counted_delete AFTER DELETE ON deliveries BEGIN INSERT INTO edition_moves VALUES (OLD.edition_id, OLD.status, ''); END;
CREATE TRIGGER deliveries_counted_update AFTER UPDATE OF status, edition_id ON deliveries BEGIN
  INSERT INTO edition_moves
  SELECT NEW.edition_id, OLD.status, NEW.status WHERE OLD.edition_id IS NEW.edition_id
  UNION ALL SELECT OLD.edition_id, OLD.status, '' WHERE OLD.edition_id IS NOT NEW.edition_id
  UNION ALL SELECT NEW.edition_id, '', NEW.status WHERE OLD.edition_id IS NOT NEW.edition_id;
END;
