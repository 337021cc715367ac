-- One address is one person. Addresses are stored as typed (domain lower-cased), but mail
-- providers treat the local part case-insensitively too, so `Victim@example.org` and
-- `victim@example.org` are the same mailbox. This merges the rows that differ only by
-- letter case into one and adds a UNIQUE index on lower(email), so it cannot happen again.
--
-- Per address the earliest-created row survives (its id keeps its links working). It takes
-- the strictest status of the group (suppressed > unsubscribed > active > pending), the
-- earliest confirmed consent, the preferences of the most recently updated confirmed row,
-- and everything that hangs off the other rows (deliveries, sent papers, votes), so nothing
-- is lost and no paper or period is sent twice. The merged-away ids become aliases: links
-- in mail already sent to them (above all, unsubscribe links) keep working.

CREATE TABLE subscriber_aliases (
  alias_id                 TEXT PRIMARY KEY,  -- the merged-away subscriber id, still named by old links
  subscriber_id            TEXT NOT NULL,     -- the subscriber it became
  alias_token_version      INTEGER NOT NULL,  -- its token_version when merged (older links stay dead)
  subscriber_token_version INTEGER NOT NULL,  -- the survivor's version then (a later bump kills alias links too)
  merged_at                TEXT NOT NULL
);
CREATE INDEX subscriber_aliases_subscriber ON subscriber_aliases (subscriber_id);

-- Makes the per-address lookups below indexed; replaced by the UNIQUE index at the end.
CREATE INDEX subscribers_email_lower_merge ON subscribers (lower(email));

INSERT INTO subscriber_aliases (alias_id, subscriber_id, alias_token_version, subscriber_token_version, merged_at)
SELECT s.id,
       (SELECT k.id FROM subscribers k WHERE lower(k.email) = lower(s.email) ORDER BY k.created_at, k.id LIMIT 1),
       s.token_version, s.token_version, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM subscribers s
WHERE lower(s.email) IN (SELECT lower(email) FROM subscribers GROUP BY lower(email) HAVING COUNT(*) > 1)
  AND s.id <> (SELECT k.id FROM subscribers k WHERE lower(k.email) = lower(s.email) ORDER BY k.created_at, k.id LIMIT 1);

-- Which row of each group supplies what (work table, dropped below).
CREATE TABLE subscriber_merge_plan (
  id            TEXT PRIMARY KEY,  -- the surviving subscriber
  status        TEXT NOT NULL,     -- strictest status of the group
  consent_id    TEXT,              -- row with the earliest confirmation (NULL: none confirmed)
  prefs_id      TEXT NOT NULL,     -- row whose preferences win
  weights_id    TEXT NOT NULL,     -- row whose learned term weights win
  suppressed_id TEXT,              -- earliest suppressed row, if any
  unsubscribed_at TEXT             -- latest unsubscription in the group
);

INSERT INTO subscriber_merge_plan (id, status, consent_id, prefs_id, weights_id, suppressed_id, unsubscribed_at)
SELECT s.id,
       (SELECT g.status FROM subscribers g WHERE lower(g.email) = lower(s.email)
        ORDER BY CASE g.status WHEN 'suppressed' THEN 0 WHEN 'unsubscribed' THEN 1 WHEN 'active' THEN 2 ELSE 3 END
        LIMIT 1),
       (SELECT g.id FROM subscribers g WHERE lower(g.email) = lower(s.email) AND g.confirmed_at IS NOT NULL
        ORDER BY g.confirmed_at, g.id LIMIT 1),
       (SELECT g.id FROM subscribers g WHERE lower(g.email) = lower(s.email)
        ORDER BY g.confirmed_at IS NULL, g.updated_at DESC, g.id LIMIT 1),
       (SELECT g.id FROM subscribers g WHERE lower(g.email) = lower(s.email)
        ORDER BY g.term_weights = '{}', g.updated_at DESC, g.id LIMIT 1),
       (SELECT g.id FROM subscribers g WHERE lower(g.email) = lower(s.email) AND g.status = 'suppressed'
        ORDER BY g.suppressed_at, g.id LIMIT 1),
       (SELECT MAX(g.unsubscribed_at) FROM subscribers g WHERE lower(g.email) = lower(s.email))
FROM subscribers s
WHERE s.id IN (SELECT subscriber_id FROM subscriber_aliases);

UPDATE subscribers SET
  status = m.status,
  confirmed_at = COALESCE(c.confirmed_at, subscribers.confirmed_at),
  consent_at = COALESCE(c.consent_at, subscribers.consent_at),
  consent_method = COALESCE(c.consent_method, subscribers.consent_method),
  consent_ip_hash = CASE WHEN c.id IS NULL THEN subscribers.consent_ip_hash ELSE c.consent_ip_hash END,
  unsubscribed_at = CASE WHEN m.status IN ('unsubscribed', 'suppressed') THEN m.unsubscribed_at END,
  suppressed_at = x.suppressed_at,
  suppressed_reason = x.suppressed_reason,
  interests = p.interests,
  frequency = p.frequency,
  send_hour = p.send_hour,
  send_weekday = p.send_weekday,
  time_zone = p.time_zone,
  digest_size = p.digest_size,
  trending_mix = p.trending_mix,
  always_send = p.always_send,
  term_weights = w.term_weights,
  updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM subscriber_merge_plan AS m
  JOIN subscribers AS p ON p.id = m.prefs_id
  JOIN subscribers AS w ON w.id = m.weights_id
  LEFT JOIN subscribers AS c ON c.id = m.consent_id
  LEFT JOIN subscribers AS x ON x.id = m.suppressed_id
WHERE m.id = subscribers.id;

DROP TABLE subscriber_merge_plan;

-- A period already sent to one row of the group is not sent again: the group's unsent
-- deliveries for that period give way to the sent one.
DELETE FROM deliveries
WHERE status IN ('queued', 'skipped', 'failed')
  AND subscriber_id IN (SELECT alias_id FROM subscriber_aliases UNION SELECT subscriber_id FROM subscriber_aliases)
  AND EXISTS (
    SELECT 1 FROM deliveries AS o
    WHERE o.id <> deliveries.id AND o.status IN ('sent', 'sending') AND o.period_key = deliveries.period_key
      AND COALESCE((SELECT a.subscriber_id FROM subscriber_aliases a WHERE a.alias_id = o.subscriber_id), o.subscriber_id)
        = COALESCE((SELECT a.subscriber_id FROM subscriber_aliases a WHERE a.alias_id = deliveries.subscriber_id),
                   deliveries.subscriber_id)
  );

-- The rest moves to the survivor; where the survivor already has that edition or period,
-- the survivor's record is kept and the duplicate's is dropped (its papers still count below).
UPDATE OR IGNORE deliveries
SET subscriber_id = (SELECT a.subscriber_id FROM subscriber_aliases a WHERE a.alias_id = deliveries.subscriber_id)
WHERE subscriber_id IN (SELECT alias_id FROM subscriber_aliases);
DELETE FROM deliveries WHERE subscriber_id IN (SELECT alias_id FROM subscriber_aliases);

-- Papers any row received are never sent again; the survivor's own vote wins over a duplicate's.
INSERT OR IGNORE INTO sent_papers (subscriber_id, paper_id, delivery_id, sent_at)
SELECT a.subscriber_id, s.paper_id, s.delivery_id, s.sent_at
FROM sent_papers s JOIN subscriber_aliases a ON a.alias_id = s.subscriber_id
ORDER BY s.sent_at;
DELETE FROM sent_papers WHERE subscriber_id IN (SELECT alias_id FROM subscriber_aliases);

INSERT OR IGNORE INTO feedback (subscriber_id, paper_id, vote, created_at)
SELECT a.subscriber_id, f.paper_id, f.vote, f.created_at
FROM feedback f JOIN subscriber_aliases a ON a.alias_id = f.subscriber_id
ORDER BY f.created_at DESC;
DELETE FROM feedback WHERE subscriber_id IN (SELECT alias_id FROM subscriber_aliases);

UPDATE subscriber_aliases
SET subscriber_token_version = (SELECT s.token_version FROM subscribers s WHERE s.id = subscriber_aliases.subscriber_id);

DELETE FROM subscribers WHERE id IN (SELECT alias_id FROM subscriber_aliases);

DROP INDEX subscribers_email_lower_merge;
CREATE UNIQUE INDEX subscribers_email_key ON subscribers (lower(email));
