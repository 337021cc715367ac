/**
 * The retention pass, through the Worker's real handlers: the daily housekeeping cron
 * starts it, the plan queue continues it a step per invocation while a page comes back
 * full, and each step stays inside the invocation budget (D1's own row counters). What it
 * deletes stops mattering: a deleted digest's links say why they no longer work, and a
 * complaint about its email still suppresses the address.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { parseConfig } from '../../src/env';
import { viewInBrowserUrl } from '../../src/links';
import { request, runScheduled } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { signedWebhook } from '../helpers/webhooks';
import {
  deliver,
  deliverBatch,
  deliveryOf,
  fakeResend,
  PLAN_QUEUE,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
  type TestEnv,
} from './helpers';

const NOW = new Date('2026-11-26T04:45:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

async function housekeeping(testEnv: TestEnv, at = NOW): Promise<void> {
  await runScheduled(CRONS.housekeeping, at.getTime(), testEnv);
}

/** `count` sent digests of `subscriberId` in one edition planned `age` days ago, 10 papers each. */
async function seedDigests(subscriberId: string, edition: string, age: number, count: number) {
  const at = daysAgo(age);
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
       VALUES (?1, 'daily', ?1, ?2, ?2, ?2)`,
    ).bind(edition, at),
    env.DB.prepare(
      `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, ranking,
                               resend_id, send_key, queued_at, sent_at, updated_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?4 - 1)
       SELECT ?1 || '-' || i, ?1, CASE WHEN i = 0 THEN ?2 ELSE ?2 || '-' || i END, ?1, 'sent',
              '["2611.00001","2611.00002","2611.00003","2611.00004","2611.00005"]',
              '[{"id":"2611.00001","score":0.9,"why":["matches “RLHF”"]}]',
              ?1 || '-resend-' || i, ?1 || '-key-' || (i / 100), ?3, ?3, ?3
       FROM n`,
    ).bind(edition, subscriberId, at, count),
  ]);
}

/** `count` stored Resend events received `age` days ago. */
async function seedEvents(age: number, count: number, prefix: string) {
  await env.DB.prepare(
    `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
     WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
     SELECT ?1 || i, 'email.delivered', 'email-' || i, 'reader' || i || '@example.org', '{"type":"email.delivered"}', ?3
     FROM n`,
  )
    .bind(prefix, count, daysAgo(age))
    .run();
}

const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;

beforeEach(async () => {
  await resetDelivery();
  await env.DB.exec('DELETE FROM sent_papers');
});

describe('the retention pass', () => {
  it('deletes week-old events, digests past DIGEST_RETENTION_DAYS with the editions they empty, and old sent_papers rows', async () => {
    const reader = await seedSubscriber();
    await seedDigests(reader.id, 'old-edition', 31, 3);
    await seedDigests(reader.id, 'recent-edition', 29, 2);
    await seedEvents(8, 5, 'old-');
    await seedEvents(6, 4, 'recent-');
    // Rows of the table earlier releases wrote for every paper sent: nothing reads them now.
    await env.DB.prepare(
      `INSERT INTO sent_papers (subscriber_id, paper_id, delivery_id, sent_at) VALUES (?1, 'a', 'd', ?2), (?1, 'b', 'd', ?2)`,
    )
      .bind(reader.id, daysAgo(1))
      .run();

    const setup = resendEnv();
    await housekeeping(setup.env);

    expect(await count(`SELECT COUNT(*) AS n FROM deliveries WHERE edition_id = 'old-edition'`)).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM deliveries WHERE edition_id = 'recent-edition'`)).toBe(2);
    expect(await count(`SELECT COUNT(*) AS n FROM editions WHERE id = 'old-edition'`)).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM editions WHERE id = 'recent-edition'`)).toBe(1);
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_events WHERE svix_id LIKE 'old-%'`)).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_events WHERE svix_id LIKE 'recent-%'`)).toBe(4);
    expect(await count('SELECT COUNT(*) AS n FROM sent_papers')).toBe(0);
    // Nothing was left over, so nothing was queued.
    expect(setup.continuations).toEqual([]);
  });

  it('keeps an edition while a digest of it is kept, and every digest when DIGEST_RETENTION_DAYS is 0', async () => {
    const reader = await seedSubscriber();
    await seedDigests(reader.id, 'old-edition', 40, 2);
    // A digest of an old edition queued later (a catch-up) is younger than its edition.
    await env.DB.prepare(`UPDATE deliveries SET queued_at = ?, sent_at = ? WHERE id = 'old-edition-1'`)
      .bind(daysAgo(5), daysAgo(5))
      .run();
    await housekeeping(resendEnv().env);
    expect(await count('SELECT COUNT(*) AS n FROM deliveries')).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM editions')).toBe(1);

    await seedDigests(reader.id, 'ancient-edition', 400, 1);
    await housekeeping(resendEnv({ DIGEST_RETENTION_DAYS: '0' }).env);
    expect(await count('SELECT COUNT(*) AS n FROM deliveries')).toBe(2);
  });

  it('refuses a DIGEST_RETENTION_DAYS shorter than the candidate window', () => {
    expect(() => parseConfig({ ...env, DIGEST_RETENTION_DAYS: '7' })).toThrow(/at least 12 days/);
    expect(() => parseConfig({ ...env, DIGEST_RETENTION_DAYS: '11' })).toThrow(/at least 12 days/);
    expect(parseConfig({ ...env, DIGEST_RETENTION_DAYS: '' }).DIGEST_RETENTION_DAYS).toBe(30);
    expect(parseConfig({ ...env, DIGEST_RETENTION_DAYS: '0' }).DIGEST_RETENTION_DAYS).toBe(0);
  });

  it('refuses a PAPER_RETENTION_DAYS inside the ingest’s lookbacks, and keeps papers a year by default', () => {
    expect(() => parseConfig({ ...env, PAPER_RETENTION_DAYS: '29' })).toThrow(/at least 30 days/);
    expect(parseConfig({ ...env, PAPER_RETENTION_DAYS: '' }).PAPER_RETENTION_DAYS).toBe(365);
    expect(parseConfig({ ...env, PAPER_RETENTION_DAYS: '0' }).PAPER_RETENTION_DAYS).toBe(0);
  });

  it('deletes papers past PAPER_RETENTION_DAYS, never one an edition still kept has in its window', async () => {
    const reader = await seedSubscriber();
    const ancient = await seedPaper({ ingestedAt: daysAgo(400) });
    const sent = await seedPaper({ ingestedAt: daysAgo(390) });
    const recent = await seedPaper({ ingestedAt: daysAgo(300) });
    // A digest of 388 days ago, kept because DIGEST_RETENTION_DAYS is 0 (for ever).
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end, paper_ids)
         VALUES ('kept', 'daily', 'kept', ?1, ?2, ?1, ?3)`,
      ).bind(daysAgo(388), daysAgo(391), JSON.stringify([sent])),
      env.DB.prepare(
        `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, queued_at, sent_at, updated_at)
         VALUES ('kept-digest', 'kept', ?1, 'kept', 'sent', ?2, ?3, ?3, ?3)`,
      ).bind(reader.id, JSON.stringify([sent]), daysAgo(388)),
    ]);
    const papers = async () =>
      (await env.DB.prepare('SELECT id FROM papers ORDER BY id').all<{ id: string }>()).results.map(
        (row) => row.id,
      );

    await housekeeping(resendEnv({ DIGEST_RETENTION_DAYS: '0', PAPER_RETENTION_DAYS: '0' }).env);
    expect(await papers()).toEqual([ancient, sent, recent]);

    await housekeeping(resendEnv({ DIGEST_RETENTION_DAYS: '0' }).env);
    expect(await papers()).toEqual([sent, recent]);
    const config = parseConfig(env);
    const view = await request(
      (await viewInBrowserUrl(config, reader, 'kept-digest')).replace(config.PUBLIC_URL, ''),
    );
    expect(await view.text()).toContain(`Diffusion models for sparse attention ${sent}`);

    // Once the digest goes (digests kept 30 days), its edition and then its paper go with it.
    await housekeeping(resendEnv().env);
    expect(await count('SELECT COUNT(*) AS n FROM deliveries')).toBe(0);
    expect(await papers()).toEqual([recent]);
  });

  it('at the shortest DIGEST_RETENTION_DAYS allowed, a weekly digest sent late still leaves out what an earlier digest in its window carried', async () => {
    // The smallest value the configuration accepts besides 0 (keep for ever).
    const accepted = (days: number) => {
      try {
        parseConfig({ ...env, DIGEST_RETENTION_DAYS: String(days) });
        return true;
      } catch {
        return false;
      }
    };
    const shortest = Array.from({ length: 60 }, (_, index) => index + 1).find(accepted)!;
    const hour = 3_600_000;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    // A weekly edition planned 71 h ago (its digests expire at 72 h: one parked through a
    // quota pause is still sent now), whose 8-day window opened at `opened`.
    const planned = now - 71 * hour;
    const opened = planned - 8 * 24 * hour;
    const seen = await seedPaper({ ingestedAt: iso(opened + hour / 2) });
    const fresh = await seedPaper({ ingestedAt: iso(planned - 24 * hour) });
    const reader = await seedSubscriber({ frequency: 'weekly' });
    // When the reader was still daily: a digest planned an hour after that window opened
    // carried the paper ingested just inside it.
    const daily = iso(opened + hour);
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end, paper_ids)
         VALUES ('earlier-daily', 'daily', 'earlier-daily', ?1, ?2, ?1, ?3)`,
      ).bind(daily, iso(opened + hour - 72 * hour), JSON.stringify([seen])),
      env.DB.prepare(
        `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, queued_at, sent_at, updated_at)
         VALUES ('earlier-digest', 'earlier-daily', ?1, 'earlier-daily', 'sent', ?2, ?3, ?3, ?3)`,
      ).bind(reader.id, JSON.stringify([seen]), daily),
      env.DB.prepare(
        `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end, paper_ids)
         VALUES ('late-weekly', 'weekly', 'late-weekly', ?1, ?2, ?1, ?3)`,
      ).bind(iso(planned), iso(opened), JSON.stringify([seen, fresh])),
      env.DB.prepare(
        `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at, enqueued_at)
         VALUES ('late-digest', 'late-weekly', ?1, 'late-weekly', 'queued', ?2, ?2, NULL)`,
      ).bind(reader.id, iso(planned)),
    ]);

    // The day's retention pass runs just before the quota pause ends and the digest goes.
    const setup = resendEnv({ DIGEST_RETENTION_DAYS: String(shortest) });
    await housekeeping(setup.env, new Date(now));
    const resend = fakeResend();
    expect(await deliver(setup.env, { v: 1, editionId: 'late-weekly', subscriberIds: [reader.id] })).toEqual({
      acked: true,
      retryDelay: null,
    });
    expect(resend.requests).toHaveLength(1);
    expect(JSON.parse((await deliveryOf(reader.id))!.paper_ids)).toEqual([fresh]);
  });

  it('continues on the plan queue a step per invocation, each inside the budget, until nothing old is left', async () => {
    const reader = await seedSubscriber();
    // 2,000 digests and 3,500 events past their time, and a day's worth kept.
    await seedDigests(reader.id, 'old-a', 45, 1_000);
    await seedDigests(reader.id, 'old-b', 44, 1_000);
    await seedDigests(reader.id, 'today', 0, 300);
    await seedEvents(10, 3_500, 'old-');
    await seedEvents(0, 300, 'today-');
    // 250 papers of two years ago, and 100 kept.
    await env.DB.prepare(
      `INSERT INTO papers (id, title, ingested_at, refreshed_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 349)
       SELECT '2411.' || (10000 + i), 'Paper ' || i, CASE WHEN i < 250 THEN ?1 ELSE ?2 END, ?1 FROM n`,
    )
      .bind(daysAgo(730), daysAgo(1))
      .run();

    const setup = resendEnv();
    const spy = spyD1(env.DB);
    await housekeeping({ ...setup.env, DB: spy.db });
    const steps = [spy.totals()];
    while (setup.continuations.length > 0) {
      const message = setup.continuations.shift();
      expect(message).toMatchObject({ v: 1, kind: 'prune', step: steps.length + 1 });
      spy.reset();
      const [run] = await deliverBatch({ ...setup.env, DB: spy.db }, [message], 1, PLAN_QUEUE);
      expect(run).toEqual({ acked: true, retryDelay: null });
      steps.push(spy.totals());
      expect(steps.length).toBeLessThan(20);
    }
    console.log(JSON.stringify({ test: 'retention steps', steps }));
    // 2,000 digests at 500 a step (3,500 events at 1,000 go meanwhile): four full pages,
    // and a fifth that finds the rest kept.
    expect(steps).toHaveLength(5);
    for (const [index, step] of steps.entries()) {
      // One statement per table; the cron's first step shares its invocation with the rest
      // of the housekeeping.
      expect(step.statements).toBeLessThanOrEqual(index === 0 ? 20 : 5);
      expect(step.rowsWritten).toBeLessThanOrEqual(10_000);
      expect(step.rowsRead).toBeLessThanOrEqual(10_000);
    }
    expect(await count('SELECT COUNT(*) AS n FROM deliveries')).toBe(300);
    expect(await count(`SELECT COUNT(*) AS n FROM editions`)).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM webhook_events')).toBe(300);
    expect(await count(`SELECT COUNT(*) AS n FROM papers WHERE id LIKE '2411.%'`)).toBe(100);
  });

  it('a deleted digest’s links say why they stopped working, and a complaint about it still suppresses', async () => {
    const reader = await seedSubscriber();
    await seedDigests(reader.id, 'old-edition', 31, 1);
    const config = parseConfig(env);
    const link = (await viewInBrowserUrl(config, reader, 'old-edition-0')).replace(config.PUBLIC_URL, '');
    expect((await request(link)).status).toBe(200);

    await housekeeping(resendEnv().env);

    const gone = await request(link);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('its digest has been deleted (digests are kept for 30 days)');
    const complaint = await signedWebhook({
      type: 'email.complained',
      created_at: new Date().toISOString(),
      data: {
        created_at: new Date().toISOString(),
        email_id: 'old-edition-resend-0',
        from: 'Papers Digest <digest@example.com>',
        to: [reader.email],
        subject: 'Your papers',
        tags: { delivery: 'old-edition-0', category: 'digest' },
      },
    });
    expect(complaint.status).toBe(200);
    expect(
      await env.DB.prepare('SELECT status, suppressed_reason FROM subscribers WHERE id = ?')
        .bind(reader.id)
        .first(),
    ).toEqual({ status: 'suppressed', suppressed_reason: 'complained' });
  });
});
