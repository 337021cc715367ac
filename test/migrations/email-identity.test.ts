/**
 * Migration 0005 on a database that already holds the same address in several letter
 * cases (issue 12: "letter case splits one person in two"): it merges them into the
 * earliest row with the strictest status and the earliest confirmed consent, moves their
 * deliveries, sent papers and votes across without sending a period or a paper twice,
 * keeps the merged-away ids' links working as aliases, and adds the UNIQUE index on
 * lower(email). Runs on a second, empty D1 database, migrated step by step.
 */
import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { preferencesUrl, unsubscribeUrl } from '../../src/links';
import { subscriberFromToken } from '../../src/subscriptions/access';

const db = env.MIGRATION_TEST_DB;
const before = env.TEST_MIGRATIONS.filter((migration) => migration.name < '0005');
const after = env.TEST_MIGRATIONS;

interface MergedRow {
  id: string;
  email: string;
  status: string;
  interests: string;
  frequency: string;
  confirmed_at: string | null;
  consent_at: string | null;
  consent_method: string | null;
  unsubscribed_at: string | null;
  term_weights: string;
  token_version: number;
}

beforeAll(async () => {
  await applyD1Migrations(db, before);
  const subscriber = (
    id: string,
    email: string,
    status: string,
    created: string,
    updated: string,
    extra: {
      confirmed?: string;
      method?: string;
      interests?: string;
      weights?: string;
      version?: number;
      unsubscribed?: string;
    } = {},
  ) =>
    db
      .prepare(
        `INSERT INTO subscribers (id, email, status, interests, created_at, updated_at, confirmed_at, consent_at,
           consent_method, term_weights, token_version, unsubscribed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        id,
        email,
        status,
        extra.interests ?? '',
        created,
        updated,
        extra.confirmed ?? null,
        extra.confirmed ?? null,
        extra.method ?? null,
        extra.weights ?? '{}',
        extra.version ?? 1,
        extra.unsubscribed ?? null,
      );
  const delivery = (id: string, edition: string, subscriberId: string, period: string, status: string) =>
    db
      .prepare(
        `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'x', 'x')`,
      )
      .bind(id, edition, subscriberId, period, status);
  await db.batch([
    // One person, three spellings: the first confirmed earliest, the second is the latest
    // preferences, the third unsubscribed (the strictest status wins).
    subscriber('victim-1', 'victim@example.org', 'active', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z', {
      confirmed: '2026-01-02T00:00:00Z',
      method: 'form',
      interests: 'old topics',
      version: 2,
    }),
    subscriber('victim-2', 'Victim@example.org', 'active', '2026-02-01T00:00:00Z', '2026-02-10T00:00:00Z', {
      confirmed: '2026-02-02T00:00:00Z',
      method: 'api',
      interests: 'new topics',
      weights: '{"agents":0.4}',
      version: 3,
    }),
    subscriber(
      'victim-3',
      'VICTIM@example.org',
      'unsubscribed',
      '2026-03-01T00:00:00Z',
      '2026-03-02T00:00:00Z',
      {
        unsubscribed: '2026-03-02T00:00:00Z',
      },
    ),
    // Two pending spellings of someone else; and an unrelated subscriber.
    subscriber('pend-1', 'Pat@example.org', 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    subscriber('pend-2', 'pat@example.org', 'pending', '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z'),
    subscriber('alone', 'alone@example.org', 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', {
      confirmed: '2026-01-01T00:00:00Z',
    }),
    db.prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
       VALUES ('e1', 'daily', '2026-03-05', 'x', 'x', 'x'), ('e2', 'daily', '2026-03-06', 'x', 'x', 'x')`,
    ),
    // 03-05: one copy was sent, the other still queued: the queued one must not go out.
    delivery('d-sent', 'e1', 'victim-2', '2026-03-05', 'sent'),
    delivery('d-queued-same-day', 'e1', 'victim-1', '2026-03-05', 'queued'),
    // 03-06: two queued copies: one is kept.
    delivery('d-06-a', 'e2', 'victim-2', '2026-03-06', 'queued'),
    delivery('d-06-b', 'e2', 'victim-3', '2026-03-06', 'queued'),
    db.prepare(
      `INSERT INTO sent_papers (subscriber_id, paper_id, delivery_id, sent_at) VALUES
         ('victim-1', 'p1', 'd-old', '2026-01-10'), ('victim-2', 'p1', 'd-sent', '2026-03-05'),
         ('victim-2', 'p2', 'd-sent', '2026-03-05')`,
    ),
    db.prepare(
      `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) VALUES
         ('victim-1', 'p1', 1, '2026-01-11'), ('victim-2', 'p1', -1, '2026-03-05'), ('victim-2', 'p2', 1, '2026-03-05')`,
    ),
  ]);
  await applyD1Migrations(db, after);
});

const rows = async (sql: string, ...values: unknown[]) =>
  (
    await db
      .prepare(sql)
      .bind(...values)
      .all<Record<string, unknown>>()
  ).results;

describe('migration 0005: one address, one subscriber', () => {
  it('keeps the earliest row per address, with the strictest status and the earliest confirmed consent', async () => {
    const subscribers = await rows('SELECT id, email FROM subscribers ORDER BY id');
    expect(subscribers).toEqual([
      { id: 'alone', email: 'alone@example.org' },
      { id: 'pend-1', email: 'Pat@example.org' },
      { id: 'victim-1', email: 'victim@example.org' },
    ]);
    const victim = (await db.prepare(`SELECT * FROM subscribers WHERE id = 'victim-1'`).first<MergedRow>())!;
    expect(victim).toMatchObject({
      status: 'unsubscribed',
      confirmed_at: '2026-01-02T00:00:00Z',
      consent_at: '2026-01-02T00:00:00Z',
      consent_method: 'form',
      unsubscribed_at: '2026-03-02T00:00:00Z',
      // The most recently updated confirmed row's preferences and learned weights.
      interests: 'new topics',
      term_weights: '{"agents":0.4}',
      token_version: 2,
    });
    expect(
      (await db.prepare(`SELECT status FROM subscribers WHERE id = 'pend-1'`).first<{ status: string }>())!
        .status,
    ).toBe('pending');
  });

  it('moves deliveries, sent papers and votes to the survivor without sending anything twice', async () => {
    expect(
      await rows('SELECT id, subscriber_id, period_key, status FROM deliveries ORDER BY period_key, id'),
    ).toEqual([
      { id: 'd-sent', subscriber_id: 'victim-1', period_key: '2026-03-05', status: 'sent' },
      { id: 'd-06-a', subscriber_id: 'victim-1', period_key: '2026-03-06', status: 'queued' },
    ]);
    expect(await rows('SELECT subscriber_id, paper_id FROM sent_papers ORDER BY paper_id')).toEqual([
      { subscriber_id: 'victim-1', paper_id: 'p1' },
      { subscriber_id: 'victim-1', paper_id: 'p2' },
    ]);
    // The survivor's own vote wins over a duplicate's; the rest is kept.
    expect(await rows('SELECT subscriber_id, paper_id, vote FROM feedback ORDER BY paper_id')).toEqual([
      { subscriber_id: 'victim-1', paper_id: 'p1', vote: 1 },
      { subscriber_id: 'victim-1', paper_id: 'p2', vote: 1 },
    ]);
  });

  it('adds a UNIQUE index on lower(email)', async () => {
    await expect(
      db
        .prepare(
          `INSERT INTO subscribers (id, email, created_at, updated_at) VALUES ('dupe', 'ALONE@example.org', 'x', 'x')`,
        )
        .run(),
    ).rejects.toThrow(/UNIQUE/);
  });

  it("keeps the merged-away ids' links working: unsubscribe of any version, others of their last", async () => {
    const app = { config: parseConfig(env), db } as Parameters<typeof subscriberFromToken>[0];
    const link = await unsubscribeUrl(app.config, { id: 'victim-2', tokenVersion: 3 });
    const { subscriber, claims } = await subscriberFromToken(
      app,
      new URL(link).searchParams.get('token'),
      'unsubscribe',
    );
    expect(subscriber.id).toBe('victim-1');
    // Claims are translated to the survivor's version, so its conditional updates apply.
    expect(claims.v).toBe(2);
    const older = await unsubscribeUrl(app.config, { id: 'victim-2', tokenVersion: 2 });
    const fromOlder = await subscriberFromToken(app, new URL(older).searchParams.get('token'), 'unsubscribe');
    expect(fromOlder.subscriber.id).toBe('victim-1');
    expect(fromOlder.claims.v).toBe(2);
    const olderPreferences = await preferencesUrl(app.config, { id: 'victim-2', tokenVersion: 2 });
    // Refused as out of date; the survivor is unsubscribed, so that is what the message says.
    await expect(
      subscriberFromToken(app, new URL(olderPreferences).searchParams.get('token'), 'preferences'),
    ).rejects.toMatchObject({ status: 410, message: expect.stringMatching(/when you unsubscribed/) });
    expect(await rows('SELECT alias_id, subscriber_id FROM subscriber_aliases ORDER BY alias_id')).toEqual([
      { alias_id: 'pend-2', subscriber_id: 'pend-1' },
      { alias_id: 'victim-2', subscriber_id: 'victim-1' },
      { alias_id: 'victim-3', subscriber_id: 'victim-1' },
    ]);
  });
});
