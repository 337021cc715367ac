/**
 * The operator's counts (/admin/stats and the /admin dashboard) kept by the triggers of
 * migrations/0030: equal to direct COUNTs of the tables after sign-ups, confirmations,
 * digests planned and sent, webhook events, an unsubscription, a permanent bounce, an
 * erasure and votes went through the Worker's real handlers; and what a view costs D1,
 * the same few rows read at 100 subscribers as at 1,100 with their digests, events and votes.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { getDashboardData } from '../../src/db/admin';
import type { Stats } from '../../src/db/stats';
import { sendMessageSchema } from '../../src/delivery/messages';
import { parseConfig } from '../../src/env';
import { dataLinkUrl, unsubscribeUrl } from '../../src/links';
import {
  deliverBatch,
  fakeResend,
  PLAN_QUEUE,
  planViaAdmin,
  resendEnv,
  seedPaper,
} from '../delivery/helpers';
import { ADMIN_TOKEN, BASE_URL, fetchWith, runScheduled } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { postForm, subscribeAndConfirm } from '../helpers/subscribers';
import { signedWebhook } from '../helpers/webhooks';

const config = parseConfig(env);
const basic = `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`;

async function view(path: string, db: D1Database = env.DB): Promise<Response> {
  const { response } = await fetchWith(
    new Request(new URL(path, BASE_URL), { headers: { authorization: basic, accept: 'text/html' } }),
    { ...env, DB: db },
  );
  expect(response.status).toBe(200);
  return response;
}

async function count(sql: string, ...params: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>())!.n;
}

function resendEventFor(type: string, to: string, data: Record<string, unknown> = {}) {
  const at = new Date().toISOString();
  return {
    type,
    created_at: at,
    data: { created_at: at, email_id: crypto.randomUUID(), from: 'digest@example.com', to: [to], ...data },
  };
}

/** What /admin/stats and the dashboard should say, counted from the tables themselves. */
async function directCounts() {
  const byStatus = async (table: string) =>
    Object.fromEntries(
      (
        await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM ${table} GROUP BY status`).all<{
          status: string;
          n: number;
        }>()
      ).results.map((row) => [row.status, row.n]),
    );
  const subscribers = await byStatus('subscribers');
  const deliveries = await byStatus('deliveries');
  const since = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  const events = await env.DB.prepare(
    `SELECT type, COUNT(*) AS total, SUM(received_at >= ?) AS last7d FROM webhook_events
     GROUP BY type ORDER BY total DESC, type`,
  )
    .bind(since)
    .all<{ type: string; total: number; last7d: number }>();
  const editions = await env.DB.prepare(
    `SELECT e.id, SUM(d.status IN ('queued', 'sending')) AS queued, SUM(d.status = 'sent') AS sent,
            SUM(d.status = 'failed') AS failed, SUM(d.status = 'skipped') AS skipped
     FROM editions e JOIN deliveries d ON d.edition_id = e.id GROUP BY e.id ORDER BY e.planned_at DESC, e.id DESC`,
  ).all<{ id: string; queued: number; sent: number; failed: number; skipped: number }>();
  return {
    stats: {
      papers: await count('SELECT COUNT(*) AS n FROM papers'),
      subscribers: {
        pending: subscribers.pending ?? 0,
        active: subscribers.active ?? 0,
        unsubscribed: subscribers.unsubscribed ?? 0,
        suppressed: subscribers.suppressed ?? 0,
      },
      deliveries: {
        queued: (deliveries.queued ?? 0) + (deliveries.sending ?? 0),
        sent: deliveries.sent ?? 0,
        failed: deliveries.failed ?? 0,
        skipped: deliveries.skipped ?? 0,
      },
    },
    events: events.results,
    editions: editions.results,
    bounces: {
      permanent: await count(
        `SELECT COUNT(*) AS n FROM webhook_events WHERE type = 'email.bounced'
         AND lower(json_extract(payload, '$.data.bounce.type')) = 'permanent'`,
      ),
      transient: await count(
        `SELECT COUNT(*) AS n FROM webhook_events WHERE type = 'email.bounced'
         AND lower(COALESCE(json_extract(payload, '$.data.bounce.type'), '')) != 'permanent'`,
      ),
    },
    suppressions: (
      await env.DB.prepare(
        'SELECT reason, COUNT(*) AS count FROM suppressions GROUP BY reason ORDER BY count DESC, reason',
      ).all<{
        reason: string;
        count: number;
      }>()
    ).results,
    feedback: {
      up: await count('SELECT COUNT(*) AS n FROM feedback WHERE vote = 1'),
      down: await count('SELECT COUNT(*) AS n FROM feedback WHERE vote = -1'),
    },
  };
}

async function expectCountsExact() {
  const expected = await directCounts();
  const stats = await (await view('/admin/stats')).json<Stats>();
  expect({ papers: stats.papers, subscribers: stats.subscribers, deliveries: stats.deliveries }).toEqual(
    expected.stats,
  );
  const data = await getDashboardData(env.DB);
  expect(data.webhookEvents).toEqual(expected.events);
  expect(data.bounces).toEqual(expected.bounces);
  expect(data.suppressionsByReason).toEqual(expected.suppressions);
  expect(data.feedback).toEqual(expected.feedback);
  expect(
    data.editions.map(({ id, queued, sent, failed, skipped }) => ({ id, queued, sent, failed, skipped })),
  ).toEqual(expected.editions);
  const html = await (await view('/admin')).text();
  expect(html).toContain(`<b>${expected.stats.subscribers.active}</b><span>active</span>`);
  expect(html).toContain(`<b>${expected.stats.deliveries.sent}</b><span>sent</span>`);
  return expected;
}

describe('the operator counts', () => {
  it('stay equal to COUNTs of the tables through sign-ups, digests, events, unsubscribing, bounces and erasure', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    for (let index = 0; index < 3; index++) await seedPaper({ ingestedAt: hourAgo, upvotes: 10 - index });
    const people = [];
    for (const name of ['ada', 'alan', 'grace', 'edsger', 'barbara']) {
      people.push(await subscribeAndConfirm(`${name}@example.org`, { interests: 'diffusion models' }));
    }
    expect((await postForm('/subscribe', { email: 'pending@example.org', interests: 'x' })).status).toBe(200);
    let expected = await expectCountsExact();
    expect(expected.stats.subscribers).toEqual({ pending: 1, active: 5, unsubscribed: 0, suppressed: 0 });

    // Digests planned (queued), then sent by the real queue consumer.
    const resend = fakeResend();
    const setup = resendEnv();
    expect((await planViaAdmin(setup.env, { all: true })).status).toBe(200);
    expected = await expectCountsExact();
    expect(expected.stats.deliveries.queued).toBe(5);
    const messages = setup.queued.map((body) => sendMessageSchema.parse(body));
    await deliverBatch(setup.env, messages);
    expect(resend.requests.length).toBeGreaterThan(0);
    expected = await expectCountsExact();
    expect(expected.stats.deliveries.queued).toBe(0);

    // Webhook events, one of them a permanent bounce that suppresses its subscriber.
    const [ada, alan, grace, edsger] = people;
    expect((await signedWebhook(resendEventFor('email.delivered', ada!.email))).status).toBe(200);
    expect((await signedWebhook(resendEventFor('email.delivered', alan!.email))).status).toBe(200);
    const bounce = resendEventFor('email.bounced', grace!.email, { bounce: { type: 'Permanent' } });
    expect((await signedWebhook(bounce)).status).toBe(200);
    const transient = resendEventFor('email.bounced', alan!.email, { bounce: { type: 'Transient' } });
    expect((await signedWebhook(transient)).status).toBe(200);
    expected = await expectCountsExact();
    expect(expected.stats.subscribers.suppressed).toBe(1);
    expect(expected.bounces).toEqual({ permanent: 1, transient: 1 });

    // One-click unsubscribe, and votes cast, changed and taken back.
    const unsubscribe = await unsubscribeUrl(config, { id: alan!.id, tokenVersion: alan!.token_version });
    await postForm(unsubscribe.replace(BASE_URL, ''), { 'List-Unsubscribe': 'One-Click' });
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) VALUES (?1, 'p1', 1, ?2), (?1, 'p2', -1, ?2), (?3, 'p1', 1, ?2)`,
      ).bind(ada!.id, hourAgo, edsger!.id),
      env.DB.prepare(`UPDATE feedback SET vote = -1 WHERE subscriber_id = ? AND paper_id = 'p1'`).bind(
        ada!.id,
      ),
      env.DB.prepare(`DELETE FROM feedback WHERE subscriber_id = ? AND paper_id = 'p2'`).bind(ada!.id),
    ]);
    expected = await expectCountsExact();
    expect(expected.stats.subscribers.unsubscribed).toBe(1);
    expect(expected.feedback).toEqual({ up: 1, down: 1 });

    // "Delete me": the person at once, their history on the plan queue.
    const erase = resendEnv();
    const link = await dataLinkUrl(config, { id: edsger!.id, tokenVersion: edsger!.token_version }, 'erase');
    const { response } = await fetchWith(
      new Request(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE_URL },
        body: '',
      }),
      erase.env,
    );
    expect(response.status).toBe(200);
    while (erase.continuations.length > 0) {
      await deliverBatch(erase.env, [erase.continuations.shift()], 1, PLAN_QUEUE);
    }
    expected = await expectCountsExact();
    expect(expected.stats.subscribers.active).toBe(2);
    expect(expected.suppressions.map((row) => row.reason).sort()).toEqual(['bounced', 'erased']);
    expect(await count('SELECT COUNT(*) AS n FROM deliveries WHERE subscriber_id = ?', edsger!.id)).toBe(0);

    // The retention pass, 40 days on: events, digests and their edition go, papers stay.
    const later = resendEnv();
    await runScheduled(CRONS.housekeeping, Date.now() + 40 * 86_400_000, later.env);
    while (later.continuations.length > 0) {
      await deliverBatch(later.env, [later.continuations.shift()], 1, PLAN_QUEUE);
    }
    expected = await expectCountsExact();
    expect(expected.stats.deliveries).toEqual({ queued: 0, sent: 0, failed: 0, skipped: 0 });
    expect(expected.events).toEqual([]);
    expect(expected.editions).toEqual([]);
    expect(expected.stats.papers).toBe(3);
  });
});

const SCALE_EDITION = 'scale-edition';

/** `size` more subscribers, each with a digest of one edition, two webhook events and a vote. */
async function seedScale(prefix: string, size: number): Promise<void> {
  const now = new Date().toISOString();
  const rows = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)`;
  await env.DB.batch([
    env.DB.prepare(
      `INSERT OR IGNORE INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
       VALUES (?1, 'daily', '2026-12-01', ?2, ?2, ?2)`,
    ).bind(SCALE_EDITION, now),
    env.DB.prepare(
      `INSERT INTO subscribers (id, email, status, created_at, updated_at)
       ${rows} SELECT ?1 || '-' || i, ?1 || '-' || i || '@example.org', 'active', ?3, ?3 FROM n`,
    ).bind(prefix, size, now),
    env.DB.prepare(
      `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at)
       ${rows} SELECT ?1 || '-d-' || i, ?4, ?1 || '-' || i, ?1,
                      CASE i % 4 WHEN 0 THEN 'queued' WHEN 1 THEN 'sent' WHEN 2 THEN 'failed' ELSE 'skipped' END, ?3, ?3
       FROM n`,
    ).bind(prefix, size, now, SCALE_EDITION),
    env.DB.prepare(
      `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
       ${rows} SELECT ?1 || '-e-' || i || '-' || k.type, k.type, NULL, NULL, k.payload, ?3
       FROM n, (SELECT 'email.delivered' AS type, '{}' AS payload
                UNION ALL SELECT 'email.bounced', '{"data":{"bounce":{"type":"Transient"}}}') AS k`,
    ).bind(prefix, size, now),
    env.DB.prepare(
      `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at)
       ${rows} SELECT ?1 || '-' || i, 'p', CASE i % 2 WHEN 0 THEN 1 ELSE -1 END, ?3 FROM n`,
    ).bind(prefix, size, now),
  ]);
}

describe('what a view costs D1', () => {
  it('reads the same few rows whatever the number of subscribers, digests, events and votes', async () => {
    const measure = async () => {
      const spy = spyD1(env.DB);
      await view('/admin', spy.db);
      await view('/admin/stats', spy.db);
      return spy.totals();
    };
    await seedScale('small', 100);
    const small = await measure();
    await seedScale('large', 1_000);
    const large = await measure();
    console.log(JSON.stringify({ test: 'admin views', small, large }));
    // Rows read follow the editions, event types and days kept, not what they count.
    expect(large.rowsRead).toBe(small.rowsRead);
    expect(large.rowsRead).toBeLessThan(100);
    expect(large.statements).toBe(small.statements);
    await expectCountsExact();
  });
});
