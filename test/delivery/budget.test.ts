/**
 * Workers limits as a budget: every invocation of the planner (the first step from
 * POST /admin/digest or the cron, then each continuation from the plan queue) and of the
 * sender (one queue batch) runs against a D1 binding that counts its statements and the
 * rows D1 reports it read, wrote (index entries included) and returned, at several sizes.
 * A planner step stays within ~500 statements and ~10,000 rows of each kind whatever the
 * number of subscribers; a sender batch within the statement budget, with rows per message
 * that do not grow with a subscriber's history. docs/architecture.md derives the 1M
 * arithmetic from the same bounds.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SendMessage, sendMessageSchema } from '../../src/delivery/messages';
import { PAGE_SIZE, STEP_SUBSCRIBERS } from '../../src/delivery/plan-step';
import { EXPIRE_LIMIT, REQUEUE_LIMIT } from '../../src/delivery/planner';
import { EDITION_PAGE } from '../../src/delivery/render';
import { SPLIT_REQUESTS } from '../../src/delivery/request';
import { type D1Spy, spyD1 } from '../helpers/d1-spy';
import {
  deliverBatch,
  fakeResend,
  PLAN_QUEUE,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscribers,
} from './helpers';

const AT = '2026-11-26T08:30:00.000Z';
const BUDGET = { statements: 500, rows: 10_000 };

/**
 * The planner's per-step statement bound, from its constants: per page at most 5 statements
 * (read, planned check, insert per frequency, update), with one more page in a run's first
 * step (it starts small); per step the lease (taken or checked) and its progress record, the
 * sweep (quota pause, 2 expiries, orphan list, re-enqueue) and the editions frozen on first use.
 */
const PLANNER_STEP_STATEMENTS = 5 * (Math.ceil(STEP_SUBSCRIBERS / PAGE_SIZE) + 1) + 2 + 5 + 2;
/** D1 rows per subscriber planned, as measured below: 10 written (delivery, new instant, index entries), 10 read. */
const PLANNER_ROWS_PER_SUBSCRIBER = 10;

/** One invocation's D1 work, by D1's own counters. */
type Invocation = ReturnType<D1Spy['totals']>;

function expectWithinBudget(invocation: Invocation): void {
  expect(invocation.statements).toBeLessThanOrEqual(BUDGET.statements);
  expect(invocation.rowsRead).toBeLessThanOrEqual(BUDGET.rows);
  expect(invocation.rowsWritten).toBeLessThanOrEqual(BUDGET.rows);
  expect(invocation.rowsReturned).toBeLessThanOrEqual(BUDGET.rows);
}

/** `count` candidate papers in the edition's window, in a few statements. */
async function seedCandidates(count: number): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  for (let index = 0; index < count; index++) {
    statements.push(
      env.DB.prepare(
        `INSERT INTO papers (id, title, abstract, authors, categories, sources, upvotes, ingested_at, refreshed_at)
         VALUES (?, ?, 'We study diffusion models and attention in language models.', '["Ada Lovelace"]',
                 '["cs.LG"]', '["arxiv"]', ?, '2026-11-26T02:00:00.000Z', '2026-11-26T02:00:00.000Z')`,
      ).bind(`2611.${String(20_000 + index)}`, `Paper ${index} on diffusion and attention`, index % 50),
    );
  }
  for (let start = 0; start < statements.length; start += 500) {
    await env.DB.batch(statements.slice(start, start + 500));
  }
}

beforeEach(resetDelivery);

describe('the planner’s invocations', () => {
  it('the per-step bound from its constants is itself within the budget', () => {
    expect(PLANNER_STEP_STATEMENTS).toBeLessThanOrEqual(BUDGET.statements);
    const sweepRows = 2 * EXPIRE_LIMIT + REQUEUE_LIMIT;
    expect(STEP_SUBSCRIBERS * PLANNER_ROWS_PER_SUBSCRIBER + sweepRows).toBeLessThanOrEqual(BUDGET.rows);
  });

  it.each([100, 1_000, 4_100])(
    '%i due subscribers: every step within the budget, each planned once',
    async (count) => {
      await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z' });
      await seedSubscribers(count, { sendHour: 8 });
      const spy = spyD1(env.DB);
      const setup = resendEnv({ DB: spy.db });
      const plan = await planViaAdmin(setup.env, { at: AT });
      expect(plan.status).toBe(200);
      expect(plan.json.planned).toBe(Math.min(count, STEP_SUBSCRIBERS));
      const invocations = [spy.totals()];
      while (setup.continuations.length > 0) {
        spy.reset();
        const [run] = await deliverBatch(setup.env, [setup.continuations.shift()], 1, PLAN_QUEUE);
        expect(run!.acked).toBe(true);
        invocations.push(spy.totals());
      }
      console.log(JSON.stringify({ test: 'planner budget', subscribers: count, invocations }));
      for (const invocation of invocations) {
        expectWithinBudget(invocation);
        expect(invocation.statements).toBeLessThanOrEqual(PLANNER_STEP_STATEMENTS);
      }
      // One step per STEP_SUBSCRIBERS, the last one finding the range empty.
      expect(invocations).toHaveLength(Math.floor(count / STEP_SUBSCRIBERS) + 1);
      const messages = setup.queued.map((body) => sendMessageSchema.parse(body) as SendMessage);
      const ids = messages.flatMap((message) => message.subscriberIds);
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
      const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM deliveries').first<{ n: number }>();
      expect(rows!.n).toBe(count);
    },
  );

  it('the expiry sweep reads the old pending rows, not every edition ever stored', async () => {
    // A year and more of hourly runs: 10,000 editions of each frequency.
    await env.DB.prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
       SELECT 'old-' || i, CASE WHEN i % 2 = 0 THEN 'daily' ELSE 'weekly' END, 'p' || i,
              '2025-06-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z' FROM n`,
    ).run();
    // A weekly digest still pending after 30 h (a quota pause, say): past the daily expiry's
    // cutoff, within the weekly one, so the daily sweep looks at it and leaves it.
    const ids = await seedSubscribers(3, { sendHour: 20 });
    // The sweep runs on the clock, not the run's time.
    const queuedAt = new Date(Date.now() - 30 * 3_600_000).toISOString();
    await env.DB.batch(
      ids.map((id, index) =>
        env.DB.prepare(
          `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at, enqueued_at)
           VALUES (?1, 'old-1', ?2, '2026-W48', 'queued', ?3, ?3, ?4)`,
        ).bind(`pending-${index}`, id, queuedAt, new Date().toISOString()),
      ),
    );
    const spy = spyD1(env.DB);
    const run = resendEnv({ DB: spy.db });
    expect((await planViaAdmin(run.env, { at: AT })).json.expired).toBe(0);
    const sweeps = spy.calls.filter((call) => call.sql.includes('queued_at < ?3'));
    expect(sweeps).toHaveLength(2);
    console.log(
      JSON.stringify({
        test: 'expiry sweep, 20,000 editions',
        rowsRead: sweeps.map((call) => call.rowsRead),
      }),
    );
    for (const sweep of sweeps) expect(sweep.rowsRead).toBeLessThan(100);
  });

  it('reads nothing but the due range: a run where nobody new is due costs a few rows', async () => {
    await seedSubscribers(3_000, { sendHour: 8 });
    const first = resendEnv();
    await planViaAdmin(first.env, { at: AT });
    while (first.continuations.length > 0) {
      await deliverBatch(first.env, [first.continuations.shift()], 1, PLAN_QUEUE);
    }
    const spy = spyD1(env.DB);
    const again = resendEnv({ DB: spy.db });
    const plan = await planViaAdmin(again.env, { at: '2026-11-26T09:00:00.000Z' });
    expect(plan.json.planned).toBe(0);
    expect(again.continuations).toHaveLength(0);
    const invocation = spy.totals();
    console.log(JSON.stringify({ test: 'planner, nobody due', subscribers: 3_000, invocation }));
    expect(invocation.rowsRead).toBeLessThan(50);
    expect(invocation.statements).toBeLessThan(12);
  });
});

describe('the sender’s invocations', () => {
  it.each([
    [300, 10],
    [3_000, 3],
  ])(
    '%i candidate papers, a batch of %i messages of 100: within the budget',
    async (candidates, messages) => {
      fakeResend();
      await seedCandidates(candidates);
      await seedSubscribers(messages * 100, { sendHour: 8, digestSize: 10 });
      const planning = resendEnv();
      await planViaAdmin(planning.env, { at: AT });
      while (planning.continuations.length > 0) {
        await deliverBatch(planning.env, [planning.continuations.shift()], 1, PLAN_QUEUE);
      }
      expect(planning.queued).toHaveLength(messages);

      const spy = spyD1(env.DB);
      const sending = resendEnv({ DB: spy.db });
      const runs = await deliverBatch(sending.env, planning.queued);
      expect(runs.every((run) => run.acked)).toBe(true);
      const invocation = spy.totals();
      console.log(JSON.stringify({ test: 'sender budget', candidates, messages, invocation }));
      expect(invocation.statements).toBeLessThanOrEqual(BUDGET.statements);
      // Per message ≤ 12 statements (pause check, load, claim, pacing slot, settle), plus the
      // edition once: its row, then its candidates a page at a time, and once per batch the
      // candidates withdrawn since it was frozen.
      expect(invocation.statements).toBeLessThanOrEqual(
        12 * messages + 2 + Math.ceil(candidates / EDITION_PAGE),
      );
      const withdrawals = spy.calls.filter((call) => call.sql.includes('withdrawn = 1'));
      expect(withdrawals).toHaveLength(1);
      // One seek into the partial index: not the window's candidates (there are none withdrawn).
      expect(withdrawals[0]!.rowsRead).toBeLessThanOrEqual(1);
      // Rows returned: the edition's candidates once, then a few hundred per message.
      expect(invocation.rowsReturned).toBeLessThanOrEqual(candidates + 600 * messages);
      const sent = await env.DB.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'sent'`).first<{
        n: number;
      }>();
      expect(sent!.n).toBe(messages * 100);
    },
  );

  it('reads per message do not grow with what subscribers received before', async () => {
    fakeResend();
    await seedCandidates(300);
    const ids = await seedSubscribers(100, { sendHour: 8, digestSize: 10 });
    // A year of history: 365 sent digests of 10 papers each, outside this edition's window.
    const day = `strftime('%Y-%m-%dT08:00:00.000Z', '2025-11-01', '-' || i || ' days')`;
    const papers = `'[' || ${Array.from({ length: 10 }, (_, k) => `'"old-' || i || '-${k}"'`).join(` || ',' || `)} || ']'`;
    const year = 'WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 364)';
    const history: D1PreparedStatement[] = [
      env.DB.prepare(
        `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
         ${year} SELECT 'old-edition-' || i, 'daily', 'old-' || i, ${day}, ${day}, ${day} FROM n`,
      ),
    ];
    for (const id of ids) {
      history.push(
        env.DB.prepare(
          `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, queued_at, sent_at, updated_at)
           ${year} SELECT ?1 || '-old-' || i, 'old-edition-' || i, ?1, 'old-' || i, 'sent',
                  ${papers},
                  ${day}, ${day}, ${day}
           FROM n`,
        ).bind(id),
      );
    }
    for (let start = 0; start < history.length; start += 50)
      await env.DB.batch(history.slice(start, start + 50));
    const planning = resendEnv();
    await planViaAdmin(planning.env, { at: AT });
    const spy = spyD1(env.DB);
    const sending = resendEnv({ DB: spy.db });
    await deliverBatch(sending.env, planning.queued);
    const invocation = spy.totals();
    console.log(JSON.stringify({ test: 'sender with a year of history', invocation }));
    // 36,500 sent digests (365,000 papers) of history; the message reads the edition and
    // its own rows, not those.
    expect(invocation.rowsRead).toBeLessThan(10_000);
  });
});

describe('the sender when Resend refuses every email of a batch', () => {
  it('a full batch of messages whose every email is refused (422) stays within the budget', async () => {
    // A cause common to every email (a header or tag all of them carry, a list of bad
    // addresses imported together) is reported as 422 validation_error like one bad address.
    const resend = fakeResend([], undefined, () => true);
    await seedCandidates(300);
    await seedSubscribers(1_000, { sendHour: 8, digestSize: 10 });
    const planning = resendEnv();
    await planViaAdmin(planning.env, { at: AT });
    while (planning.continuations.length > 0) {
      await deliverBatch(planning.env, [planning.continuations.shift()], 1, PLAN_QUEUE);
    }
    expect(planning.queued).toHaveLength(10);
    const spy = spyD1(env.DB);
    const sending = resendEnv({ DB: spy.db });
    const runs = await deliverBatch(sending.env, planning.queued);
    expect(runs.every((run) => run.acked)).toBe(true);
    const invocation = spy.totals();
    console.log(
      JSON.stringify({ test: 'sender, every email refused', requests: resend.requests.length, invocation }),
    );
    // Like the happy path (see above), rows read follow the messages; what splitting can
    // blow up is statements and requests.
    expect(invocation.statements).toBeLessThanOrEqual(BUDGET.statements);
    expect(resend.requests.length).toBeLessThanOrEqual(10 * SPLIT_REQUESTS);
    const failed = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM deliveries WHERE status = 'failed' AND error LIKE '%Invalid \`to\` field%'`,
    ).first<{ n: number }>();
    expect(failed!.n).toBe(1_000);
    expect(resend.delivered).toHaveLength(0);
  }, 120_000);

  it('one refused address among 100 still fails alone, within the splitting budget', async () => {
    let refused = '';
    const resend = fakeResend([], undefined, (to) => to === refused);
    await seedCandidates(50);
    const ids = await seedSubscribers(100, { sendHour: 8, digestSize: 10 });
    const planning = resendEnv();
    await planViaAdmin(planning.env, { at: AT });
    expect(planning.queued).toHaveLength(1);
    // Wherever it sits in the batch, finding it takes at most 1 + 2 × 7 requests.
    const last = [...ids].sort().at(-1)!;
    refused = (await env.DB.prepare('SELECT email FROM subscribers WHERE id = ?')
      .bind(last)
      .first<{ email: string }>())!.email;
    await deliverBatch(resendEnv().env, planning.queued);
    const { results } = await env.DB.prepare(
      'SELECT subscriber_id, status FROM deliveries ORDER BY subscriber_id',
    ).all<{ subscriber_id: string; status: string }>();
    expect(results.filter((row) => row.status === 'failed').map((row) => row.subscriber_id)).toEqual([last]);
    expect(results.filter((row) => row.status === 'sent')).toHaveLength(99);
    expect(resend.requests.length).toBeLessThanOrEqual(SPLIT_REQUESTS);
  });
});
