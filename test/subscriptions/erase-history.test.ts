/**
 * Erasing someone with years of history, through the Worker's real handlers: the request
 * removes the address and everything naming the person at once and stays inside the
 * invocation budget, and the rest of the history (keyed only by the random subscriber id)
 * goes in bounded steps on the plan queue, or from the daily housekeeping pass when the
 * continuation could not be queued.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { parseConfig } from '../../src/env';
import { dataLinkUrl } from '../../src/links';
import { deliverBatch, PLAN_QUEUE, resendEnv, seedSubscriber, type TestEnv } from '../delivery/helpers';
import { BASE_URL, fetchWith, runScheduled } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { suppressionOf } from '../helpers/suppressions';

const config = parseConfig(env);
const HISTORY = 3_000;

/**
 * Local D1 counts a written row once; production D1 also counts each index entry it
 * changes. Weighted by the indexes of each table (a sent delivery has 7, a vote 1, a legacy
 * sent_papers row 2, a subscriber 7), so the budget is checked as production bills it.
 */
const INDEX_WEIGHT: Record<string, number> = {
  deliveries: 8,
  feedback: 2,
  sent_papers: 3,
  subscribers: 8,
  webhook_events: 3,
  mail_requests: 5,
};
const COUNTED = new Set(['deliveries', 'feedback', 'subscribers', 'suppressions', 'webhook_events']);
function productionRowsWritten(spy: ReturnType<typeof spyD1>): number {
  return spy.calls.reduce((sum, call) => {
    const table = /^\s*(?:DELETE FROM|INSERT(?: OR \w+)? INTO|UPDATE)\s+(\w+)/i.exec(call.sql)?.[1] ?? '';
    // Half of what local D1 reports for these is the counter row each row's trigger writes
    // (migrations/0030), which has no index: it counts once.
    const own = COUNTED.has(table) ? call.rowsWritten / 2 : call.rowsWritten;
    return sum + own * (INDEX_WEIGHT[table] ?? 4) + (call.rowsWritten - own);
  }, 0);
}

/** Every table with a column naming a subscriber id, found from the schema itself. */
async function rowsNaming(id: string): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT m.name AS tbl, p.name AS col FROM sqlite_master m, pragma_table_info(m.name) p
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_cf_%'
       AND p.name IN ('id', 'subscriber_id', 'alias_id')`,
  ).all<{ tbl: string; col: string }>();
  const found: Record<string, number> = {};
  for (const { tbl, col } of results) {
    const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM "${tbl}" WHERE "${col}" = ?`)
      .bind(id)
      .first<{ n: number }>();
    if (row!.n > 0) found[`${tbl}.${col}`] = row!.n;
  }
  return found;
}

/** Years of daily digests (one edition each), as many 👍/👎, and what else names the person. */
async function seedHistory(email: string) {
  const subscriber = await seedSubscriber({ email });
  const at = '2023-01-01T06:00:00.000Z';
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
       SELECT ?1 || '-ed-' || i, 'daily', ?1 || '-p-' || i, ?3, ?3, ?3 FROM n`,
    ).bind(subscriber.id, HISTORY, at),
    env.DB.prepare(
      `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, ranking,
                               resend_id, send_key, queued_at, sent_at, updated_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
       SELECT ?1 || '-d-' || i, ?1 || '-ed-' || i, ?1, ?1 || '-p-' || i, 'sent',
              '["2611.00001","2611.00002"]', '[{"id":"2611.00001","score":0.9,"why":[]}]',
              ?1 || '-re-' || i, ?1 || '-key-' || i, ?3, ?3, ?3
       FROM n`,
    ).bind(subscriber.id, HISTORY, at),
    env.DB.prepare(
      `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
       SELECT ?1, '2301.' || (10000 + i), CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END, ?3 FROM n`,
    ).bind(subscriber.id, HISTORY, at),
    // Rows of the table earlier releases wrote for every paper sent.
    env.DB.prepare(
      `INSERT INTO sent_papers (subscriber_id, paper_id, delivery_id, sent_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 699)
       SELECT ?1, '2201.' || (10000 + i), 'old', ?2 FROM n`,
    ).bind(subscriber.id, at),
    env.DB.prepare(
      `INSERT INTO mail_requests (id, address_hash, kind, subscriber_id, created_at)
       VALUES (?1 || '-mr', 'hash', 'erase', ?1, ?2)`,
    ).bind(subscriber.id, new Date().toISOString()),
    env.DB.prepare(
      `INSERT INTO subscriber_aliases (alias_id, subscriber_id, alias_token_version, subscriber_token_version, merged_at)
       VALUES (?1 || '-alias', ?1, 0, 0, ?2)`,
    ).bind(subscriber.id, at),
    env.DB.prepare(
      `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
       VALUES (?1 || '-ev', 'email.delivered', ?1 || '-re-0', ?2, '{}', ?3)`,
    ).bind(subscriber.id, email.toUpperCase(), new Date().toISOString()),
  ]);
  return subscriber;
}

function eraseRequest(link: string): Request {
  return new Request(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE_URL },
    body: '',
  });
}

async function housekeeping(testEnv: TestEnv, at: Date): Promise<void> {
  await runScheduled(CRONS.housekeeping, at.getTime(), testEnv);
}

/** Runs the plan queue's messages through the Worker's queue handler until none is left. */
async function drain(testEnv: TestEnv, continuations: unknown[], spy: ReturnType<typeof spyD1>) {
  const steps: ReturnType<typeof spy.totals>[] = [];
  while (continuations.length > 0) {
    const message = continuations.shift();
    spy.reset();
    const [run] = await deliverBatch({ ...testEnv, DB: spy.db }, [message], 1, PLAN_QUEUE);
    expect(run).toEqual({ acked: true, retryDelay: null });
    steps.push({ ...spy.totals(), rowsWritten: productionRowsWritten(spy) });
    expect(steps.length).toBeLessThan(50);
  }
  return steps;
}

beforeEach(async () => {
  await env.DB.exec('DELETE FROM sent_papers');
});

describe('erasing a long history', () => {
  it('removes the person at once within the budget, then the rest of their history in bounded steps', async () => {
    const subscriber = await seedHistory('Long.History@example.org');
    const setup = resendEnv({ DIGEST_RETENTION_DAYS: '0' });
    const spy = spyD1(env.DB);
    const link = await dataLinkUrl(config, subscriber, 'erase');

    const { response } = await fetchWith(eraseRequest(link), { ...setup.env, DB: spy.db });
    expect(response.status).toBe(200);
    const request = { ...spy.totals(), rowsWritten: productionRowsWritten(spy) };
    console.log(JSON.stringify({ test: 'erase request', ...request }));
    expect(request.statements).toBeLessThanOrEqual(25);
    expect(request.rowsWritten).toBeLessThanOrEqual(10_000);
    expect(request.rowsRead).toBeLessThanOrEqual(10_000);

    // Nothing that names the person is left, and nothing can be sent to the address.
    const left = await rowsNaming(subscriber.id);
    expect(left).not.toHaveProperty('subscribers.id');
    expect(left).not.toHaveProperty('mail_requests.subscriber_id');
    expect(left).not.toHaveProperty('subscriber_aliases.subscriber_id');
    expect(
      await env.DB.prepare(`SELECT COUNT(*) AS n FROM webhook_events WHERE lower(recipient) = ?`)
        .bind('long.history@example.org')
        .first('n'),
    ).toBe(0);
    expect((await suppressionOf('long.history@example.org'))!.reason).toBe('erased');

    const steps = await drain(setup.env, setup.continuations, spy);
    console.log(JSON.stringify({ test: 'erase steps', steps }));
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      expect(step.statements).toBeLessThanOrEqual(5);
      expect(step.rowsWritten).toBeLessThanOrEqual(10_000);
      expect(step.rowsRead).toBeLessThanOrEqual(10_000);
    }
    expect(await rowsNaming(subscriber.id)).toEqual({});

    // The link used again says what happened, and deletes nothing of anyone else's.
    const again = await fetchWith(eraseRequest(link), setup.env);
    expect(again.response.status).toBe(410);
    expect(await again.response.text()).toContain('does not exist any more');
    expect(setup.continuations).toEqual([]);
  });

  it('finishes from the daily housekeeping pass when the continuation could not be queued', async () => {
    const subscriber = await seedHistory('lost-continuation@example.org');
    const setup = resendEnv({ DIGEST_RETENTION_DAYS: '0' });
    const failing = {
      send: async () => {
        throw new Error('queue unavailable');
      },
      sendBatch: async () => {
        throw new Error('queue unavailable');
      },
    } as unknown as Queue<unknown>;
    const link = await dataLinkUrl(config, subscriber, 'erase');
    const { response } = await fetchWith(eraseRequest(link), { ...setup.env, PLAN_QUEUE: failing });
    // The person is erased: the answer says so, whatever happens to the rest.
    expect(response.status).toBe(200);
    expect(await rowsNaming(subscriber.id)).not.toHaveProperty('subscribers.id');
    expect(Object.keys(await rowsNaming(subscriber.id))).toContain('deliveries.subscriber_id');

    await housekeeping(setup.env, new Date(Date.now() + 2 * 3_600_000));
    const spy = spyD1(env.DB);
    await drain(setup.env, setup.continuations, spy);
    expect(await rowsNaming(subscriber.id)).toEqual({});
  });

  it('a replayed erase message deletes nothing of a subscriber who was not erased', async () => {
    const subscriber = await seedHistory('still-here@example.org');
    const setup = resendEnv();
    const [run] = await deliverBatch(
      setup.env,
      [{ v: 1, kind: 'erase', subscriber: subscriber.id, step: 2 }],
      1,
      PLAN_QUEUE,
    );
    expect(run).toEqual({ acked: true, retryDelay: null });
    const left = await rowsNaming(subscriber.id);
    expect(left['deliveries.subscriber_id']).toBe(HISTORY);
    expect(left['feedback.subscriber_id']).toBe(HISTORY);
    expect(left['subscribers.id']).toBe(1);
  });
});
