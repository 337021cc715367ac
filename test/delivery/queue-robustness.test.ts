/**
 * The queue entry point under failure and across deploys, through the Worker's real queue
 * handler: retry delays stay within what Cloudflare Queues accepts whatever an upstream
 * asks for, and a dead-letter batch settles each message on its own, so one message whose
 * write fails neither stops the others nor is dropped unlogged; a plan-queue batch mixing
 * kinds settles each message on its own, and a step on its last attempt says it gives up.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_RETRY_DELAY_SECONDS,
  PLAN_QUEUE_MAX_RETRIES,
  SEND_QUEUE_MAX_RETRIES,
  sendMessageSchema,
} from '../../src/delivery/messages';
import { MAX_RATE_LIMIT_WAIT_SECONDS } from '../../src/delivery/transport';
import wranglerToml from '../../wrangler.toml?raw';
import { spyD1 } from '../helpers/d1-spy';
import {
  capturedLogs,
  DEAD_LETTER_QUEUE,
  deliver,
  deliverBatch,
  deliveriesOf,
  fakeResend,
  PLAN_QUEUE,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
} from './helpers';

const AT = '2026-11-26T09:00:00.000Z';

async function planEdition(subscribers: number) {
  await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z', upvotes: 12 });
  const people = [];
  for (let index = 0; index < subscribers; index++) people.push(await seedSubscriber());
  const setup = resendEnv();
  expect((await planViaAdmin(setup.env, { at: AT })).status).toBe(200);
  const message = sendMessageSchema.parse(setup.queued[0]);
  return { ...setup, people, message, editionId: message.editionId };
}

beforeEach(resetDelivery);
afterEach(() => {
  vi.restoreAllMocks();
});

describe('retry delays', () => {
  // Resend's windows are a second long: a header asking for 27 h (beyond the 12 h Queues
  // accept, and a hold every sender would share) waits a minute instead.
  it('caps a retry-after of hours at a minute, well inside the 12 h Queues allow', async () => {
    fakeResend([
      {
        status: 429,
        name: 'rate_limit_exceeded',
        message: 'Too many requests.',
        headers: { 'retry-after': '100000' },
      },
    ]);
    const { env: testEnv, message, queued, queuedDelays } = await planEdition(1);
    queued.length = 0;
    queuedDelays.length = 0;
    // A wait comes back as a copy of the message sent with that delay.
    expect(await deliver(testEnv, message)).toEqual({ acked: true, retryDelay: null });
    expect(queued).toEqual([message]);
    expect(queuedDelays).toEqual([MAX_RATE_LIMIT_WAIT_SECONDS]);
    expect(MAX_RATE_LIMIT_WAIT_SECONDS).toBeLessThan(MAX_RETRY_DELAY_SECONDS);
  });
});

describe('failures between rate-limit waits', () => {
  it('adds up across the copies a wait sends: the message gives up after the queue’s retries, not never', async () => {
    // Resend alternates: a 500 (an attempt spent), then a 429 (a wait: a fresh copy).
    const steps = Array.from({ length: 60 }, (_, index) =>
      index % 2 === 0
        ? { status: 500, name: 'internal_server_error', message: 'Something went wrong' }
        : {
            status: 429,
            name: 'rate_limit_exceeded',
            message: 'Too many requests.',
            headers: { 'retry-after': '1' },
          },
    );
    const resend = fakeResend(steps);
    const { env: testEnv, message, editionId, queued } = await planEdition(2);
    queued.length = 0;
    const logs = capturedLogs();
    // Follow the message as the queue would: retries, copies, and the dead-letter queue.
    let body: unknown = message;
    let attempts = 1;
    for (let run = 0; run < 60; run++) {
      const before = queued.length;
      const result = await deliver(testEnv, body, attempts);
      // The hold a 429 puts on every consumer ends before the next delivery.
      await env.DB.prepare(`DELETE FROM app_state WHERE key = 'resend_next_slot_ms'`).run();
      if (!result.acked && attempts > SEND_QUEUE_MAX_RETRIES) {
        await deliver(testEnv, body, 1, DEAD_LETTER_QUEUE);
        break;
      }
      if (!result.acked) attempts++;
      else if (queued.length > before) {
        body = queued.at(-1);
        attempts = 1;
      } else break;
    }
    const failures = resend.requests.filter((_, index) => index % 2 === 0);
    expect(failures).toHaveLength(SEND_QUEUE_MAX_RETRIES + 1);
    expect(resend.requests.length).toBeLessThanOrEqual(2 * (SEND_QUEUE_MAX_RETRIES + 1));
    const rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['failed', 'failed']);
    expect(rows[0]!.error).toContain('exhausted its queue retries');
    expect(resend.delivered).toHaveLength(0);
    expect(logs.some((line) => line.event === 'send_message_dead_lettered')).toBe(true);
  });
});

describe('dead-letter queue', () => {
  it('leaves alone the rows a later requeue put under a new message: the digest it is sending is not lost', async () => {
    const resend = fakeResend([
      { status: 500, name: 'internal_server_error', message: 'Something went wrong' },
    ]);
    const { message, editionId } = await planEdition(1);
    // The rows lose their message (parked, or untouched for hours) and the planner requeues them.
    await env.DB.prepare('UPDATE deliveries SET enqueued_at = NULL').run();
    const sweep = resendEnv();
    expect((await planViaAdmin(sweep.env, { at: AT })).json.requeued).toBe(1);
    const requeued = sendMessageSchema.parse(sweep.queued[0]);
    // The new message claims the row and meets a 500: its retry will replay that claim.
    expect((await deliver(sweep.env, requeued)).acked).toBe(false);
    expect((await deliveriesOf(editionId)).map((row) => row.status)).toEqual(['sending']);
    // The old message, still on the queue all along, exhausts its retries meanwhile.
    const logs = capturedLogs();
    expect(await deliver(sweep.env, message, 9, DEAD_LETTER_QUEUE)).toEqual({
      acked: true,
      retryDelay: null,
    });
    expect(logs.find((line) => line.event === 'send_message_dead_lettered')).toMatchObject({ failed: 0 });
    expect((await deliveriesOf(editionId)).map((row) => row.status)).toEqual(['sending']);
    // The new message's retry sends the digest, once.
    expect(await deliver(sweep.env, requeued, 2)).toEqual({ acked: true, retryDelay: null });
    expect((await deliveriesOf(editionId)).map((row) => row.status)).toEqual(['sent']);
    expect(resend.delivered).toHaveLength(1);
  });

  it('still fails the rows of a requeued message that exhausts its retries', async () => {
    fakeResend([{ status: 500, name: 'internal_server_error', message: 'Something went wrong' }]);
    const { editionId } = await planEdition(1);
    await env.DB.prepare('UPDATE deliveries SET enqueued_at = NULL').run();
    const sweep = resendEnv();
    await planViaAdmin(sweep.env, { at: AT });
    const requeued = sendMessageSchema.parse(sweep.queued[0]);
    expect((await deliver(sweep.env, requeued)).acked).toBe(false);
    expect(await deliver(sweep.env, requeued, 9, DEAD_LETTER_QUEUE)).toEqual({
      acked: true,
      retryDelay: null,
    });
    const [row] = await deliveriesOf(editionId);
    expect(row!.status).toBe('failed');
    expect(row!.error).toContain('exhausted its queue retries');
  });

  it('settles each dead letter on its own: one failed write is retried, the others are marked failed', async () => {
    fakeResend();
    const { people, editionId } = await planEdition(2);
    const [broken, fine] = people.map((person) => person.id) as [string, string];
    // D1 refuses the write for the first message only (an overloaded or restarting database).
    const spy = spyD1(env.DB, (sql, params) => {
      if (sql.includes('UPDATE deliveries') && params.some((value) => String(value).includes(broken)))
        throw new Error('D1_ERROR: Network connection lost.');
    });
    const testEnv = { ...resendEnv().env, DB: spy.db };
    const logs = capturedLogs();
    const runs = await deliverBatch(
      testEnv,
      [
        { v: 1, editionId, subscriberIds: [broken] },
        { v: 1, editionId, subscriberIds: [fine] },
      ],
      9,
      DEAD_LETTER_QUEUE,
    );
    expect(runs[0]!.acked).toBe(false);
    expect(runs[0]!.retryDelay).toBeGreaterThan(0);
    expect(runs[1]).toEqual({ acked: true, retryDelay: null });
    const rows = await deliveriesOf(editionId);
    expect(rows.find((row) => row.subscriber_id === fine)!.status).toBe('failed');
    expect(rows.find((row) => row.subscriber_id === broken)!.status).not.toBe('failed');
    expect(logs.some((line) => line.event === 'dead_letter_failed' && line.edition === editionId)).toBe(true);
  });
});

describe('plan queue', () => {
  it("gives up on a step in the open: the last attempt says so, and the batch's other kinds are settled", async () => {
    const erased = 'erased-subscriber-id';
    const spy = spyD1(env.DB, (_sql, params) => {
      if (params.includes(erased)) throw new Error('D1_ERROR: Network connection lost.');
    });
    const testEnv = { ...resendEnv().env, DB: spy.db };
    const logs = capturedLogs();
    const last = PLAN_QUEUE_MAX_RETRIES + 1;
    const runs = await deliverBatch(
      testEnv,
      [
        { v: 1, kind: 'erase', subscriber: erased, step: 3 },
        { v: 1, kind: 'prune', run: 'old-run', at: AT, step: 2 },
        { v: 1, kind: 'plan', run: 'superseded', at: AT, all: false, editions: {}, step: 2 },
        { v: 2, kind: 'reindex', shard: 7 },
      ],
      last,
      PLAN_QUEUE,
    );
    expect(runs.map((run) => run.acked)).toEqual([false, true, true, true]);
    const failed = logs.find((line) => line.event === 'erasure_step_failed');
    expect(failed).toMatchObject({ subscriber: erased, attempts: last, gives_up: true });
    expect(logs.some((line) => line.event === 'retention_step' && line.run === 'old-run')).toBe(true);
    expect(logs.some((line) => line.event === 'plan_superseded' && line.run === 'superseded')).toBe(true);
    expect(logs.some((line) => line.event === 'plan_message_invalid')).toBe(true);
  });
});

describe('queue settings', () => {
  it.each([
    ['papers-digest-send', SEND_QUEUE_MAX_RETRIES],
    ['papers-digest-plan', PLAN_QUEUE_MAX_RETRIES],
  ])('knows the retries wrangler.toml gives %s in every environment', (queue, retries) => {
    const consumers = [
      ...wranglerToml.matchAll(
        new RegExp(`queues\\.consumers\\]\\]\\nqueue = "${queue}"\\n(?:[a-z_]+ = .*\\n)*`, 'g'),
      ),
    ];
    expect(consumers).toHaveLength(2);
    for (const [block] of consumers) expect(block).toContain(`max_retries = ${retries}\n`);
  });
});
