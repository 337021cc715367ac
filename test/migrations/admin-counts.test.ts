/**
 * Migration 0030 on a database that already holds rows: its one-time backfill gives the
 * counters (`counts`, `edition_deliveries`) the values a direct COUNT gives, so the operator's
 * views are exact from the moment the triggers take over. Runs on a second, empty D1
 * database, migrated step by step.
 */
import { applyD1Migrations, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getDashboardData } from '../../src/db/admin';
import { getStats } from '../../src/db/stats';

const db = env.MIGRATION_TEST_DB;
const at = new Date().toISOString();

describe('migration 0030 (admin counts)', () => {
  it('backfills every counter from the rows already stored', async () => {
    await applyD1Migrations(
      db,
      env.TEST_MIGRATIONS.filter((migration) => migration.name < '0030'),
    );
    const event = (id: string, type: string, payload: string, receivedAt = at) =>
      db
        .prepare('INSERT INTO webhook_events (svix_id, type, payload, received_at) VALUES (?, ?, ?, ?)')
        .bind(id, type, payload, receivedAt);
    await db.batch([
      db
        .prepare(
          `INSERT INTO subscribers (id, email, status, created_at, updated_at) VALUES
           ('a', 'a@x.org', 'active', ?1, ?1), ('b', 'b@x.org', 'active', ?1, ?1),
           ('p', 'p@x.org', 'pending', ?1, ?1), ('s', 's@x.org', 'suppressed', ?1, ?1)`,
        )
        .bind(at),
      db
        .prepare(
          `INSERT INTO papers (id, title, ingested_at, refreshed_at) VALUES ('1', 't', ?1, ?1), ('2', 't', ?1, ?1)`,
        )
        .bind(at),
      db.prepare(
        `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end) VALUES
           ('e1', 'daily', 'd1', '2026-01-01', 'x', 'y'), ('e2', 'daily', 'd2', '2026-01-02', 'x', 'y')`,
      ),
      db
        .prepare(
          `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at) VALUES
           ('d1', 'e1', 'a', 'd1', 'sent', ?1, ?1), ('d2', 'e1', 'b', 'd1', 'failed', ?1, ?1),
           ('d3', 'e2', 'a', 'd2', 'sending', ?1, ?1), ('d4', 'e2', 'b', 'd2', 'queued', ?1, ?1)`,
        )
        .bind(at),
      db
        .prepare(
          `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) VALUES ('a', '1', 1, ?1), ('b', '1', -1, ?1), ('b', '2', -1, ?1)`,
        )
        .bind(at),
      db
        .prepare(
          `INSERT INTO suppressions (email_hash, reason, created_at) VALUES ('h1', 'erased', ?1), ('h2', 'bounced', ?1)`,
        )
        .bind(at),
      event('v1', 'email.bounced', '{"data":{"bounce":{"type":"Permanent"}}}'),
      event('v2', 'email.bounced', '{"data":{"bounce":{"type":"Transient"}}}'),
      event('v3', 'email.bounced', 'not json'),
      event('v4', 'email.delivered', '{}'),
      event('v5', 'email.delivered', '{}', '2020-01-01T00:00:00.000Z'),
    ]);

    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    const stats = await getStats(db);
    expect(stats.papers).toBe(2);
    expect(stats.subscribers).toEqual({ pending: 1, active: 2, unsubscribed: 0, suppressed: 1 });
    expect(stats.deliveries).toEqual({ queued: 2, sent: 1, failed: 1, skipped: 0 });
    const data = await getDashboardData(db);
    expect(data.editions.map(({ id, queued, sent, failed }) => ({ id, queued, sent, failed }))).toEqual([
      { id: 'e2', queued: 2, sent: 0, failed: 0 },
      { id: 'e1', queued: 0, sent: 1, failed: 1 },
    ]);
    expect(data.webhookEvents).toEqual([
      { type: 'email.bounced', total: 3, last7d: 3 },
      { type: 'email.delivered', total: 2, last7d: 1 },
    ]);
    // A payload that is not JSON is neither kind, as the suppression reads it.
    expect(data.bounces).toEqual({ permanent: 1, transient: 1 });
    expect(data.suppressionsByReason).toEqual([
      { reason: 'bounced', count: 1 },
      { reason: 'erased', count: 1 },
    ]);
    expect(data.feedback).toEqual({ up: 1, down: 2 });
  });
});
